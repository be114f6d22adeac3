"""What a receiving tier lets in: who may write each table, and the same validators as a local write.

Passed to the sync engine as its policy (see `sync.screen`): the engine has already checked the
changes' shape and that the sender's path holds the record's stored and declared areas.
"""
import json

from sync.quarantine import Refusal
from sync.scope import inside
from sync.server import TABLET
from sync.stores.pg_sql import json_elements
from village.records.core import UNIQUE_IN_AREA, check_unique, taken_error
from village.records.monitoring import DOWNWARD_TIERS, UPWARD_TIERS, guard_problems
from village.records.schema import DOWNSTREAM, FIELD_EVIDENCE, FIELD_TABLES, TABLES, fields
from village.records.columns import column_ok
from village.records.row_checks import ROW_CHECKS, cross_checks
from village.records.validate import ValidationError, clean, plan


class _Batch:
    """What earlier changes of the same batch made: records that exist, codes that are taken."""

    def __init__(self, db, changes):
        self.db = db
        self.gone, self.taken = set(), {}
        self.rows = {}  # (table, id) -> the record as earlier changes of this batch leave it
        self.held = _referenced(db, changes)  # (table, id) -> whether a live record is held here
        self.codes = _codes_held(db, changes)  # (table, value) -> {(area, id)} of live records using it

    def exists(self, table, row_id):
        if (table, row_id) in self.gone:
            return False
        if (table, row_id) in self.rows:
            return True
        held = self.held.get((table, row_id))
        if held is None:
            held = self.db.execute(f"SELECT 1 FROM [{table}] WHERE id = ? AND _deleted = 0", [row_id]).fetchone() is not None
        return held

    def clash(self, table, row_id, row):
        """Raise ValidationError when `row` takes a household code or ticket already used in its area.

        Used by another record held here (the local write's own check) or made earlier in this batch.
        """
        name = UNIQUE_IN_AREA.get(table)
        if not name or not row.get(name):
            return
        key = (table, row["area"], row[name])
        if self.taken.setdefault(key, row_id) != row_id:
            raise taken_error(name, row[name])
        holders = self.codes.get((table, row[name]))
        if holders is None:  # a value the batch's data did not carry (kept from the stored row)
            check_unique(self.db, table, row_id, row)
        elif any(area == row["area"] and held != row_id for area, held in holders):
            raise taken_error(name, row[name])


def policy(db, sender_area, changes, upward, stored):
    """Return {position: Refusal} for the changes this node must not apply.

    `stored` maps (table, row_id) to the row held here before this batch.
    """
    batch, verdicts, quick = _Batch(db, changes), {}, _in_stored_form(changes, stored, sender_area if upward else None)
    for i, change in enumerate(changes):
        table = change["tbl"]
        if change["op"] not in ("put", "del"):
            continue
        if upward and table in DOWNSTREAM:
            verdicts[i] = Refusal("not_writable", f"{table} are written only at the hub and flow down to villages")
            continue
        if change["op"] == "del":
            batch.gone.add((table, change["row_id"]))
            continue
        key = (table, change["row_id"])
        tiers = UPWARD_TIERS if upward else DOWNWARD_TIERS
        if i in quick and key not in batch.rows and _took_new(change, batch, tiers):
            continue
        refusal = _check_put(change, batch.rows.get(key, stored.get(key)), batch, sender_area if upward else None,
                             tiers)
        if refusal:
            verdicts[i] = refusal
    return verdicts


def policy_for(link):
    """Return the policy for pushes of `link`: a tablet's may write only what a field worker may write."""
    return tablet_policy if link.get("kind") == TABLET else policy


def tablet_policy(db, sender_area, changes, upward, stored):
    """Return {position: Refusal}: `policy`'s, and a refusal of every change a field worker may not write.

    A tablet writes FIELD_TABLES, and of attachments only new photos (FIELD_EVIDENCE) of a visit
    inside its area, held here or made earlier in the same batch.
    """
    verdicts, allowed = {}, []
    for i, change in enumerate(changes):
        if change["tbl"] in FIELD_TABLES or change["tbl"] == "attachments":
            allowed.append(i)
        else:
            verdicts[i] = Refusal("not_writable", f"a tablet may not write {change['tbl']}: "
                                                  f"field workers write {', '.join(FIELD_TABLES)}")
    checked = policy(db, sender_area, [changes[i] for i in allowed], upward, stored)
    verdicts.update((allowed[j], refusal) for j, refusal in checked.items())
    made = set()  # (table, id) of the puts of this batch taken so far
    for i in allowed:
        change = changes[i]
        if i not in verdicts and change["tbl"] == "attachments":
            refusal = _photo_refusal(db, change, stored, made, sender_area)
            if refusal:
                verdicts[i] = refusal
        if i not in verdicts and change["op"] == "put":
            made.add((change["tbl"], change["row_id"]))
    return verdicts


def _photo_refusal(db, change, stored, made, sender_area):
    """Return a Refusal unless `change` makes a new photo record (FIELD_EVIDENCE) of a visit inside `sender_area`."""
    key, data = ("attachments", change["row_id"]), change.get("data") or {}
    if change["op"] != "put" or key in stored or key in made:
        return Refusal("not_writable", "a tablet adds photo records; it changes or deletes none")
    if any(data.get(name) != value for name, value in FIELD_EVIDENCE.items()):
        said = ", ".join(f"{name} {value}" for name, value in FIELD_EVIDENCE.items())
        return Refusal("not_writable", f"a tablet attaches only photos of visits ({said})")
    owner = data.get("owner_id")
    if ("visits", owner) in made:
        return None
    row = db.execute("SELECT area FROM visits WHERE id = ? AND _deleted = 0", [owner]).fetchone()
    if row is None or not inside(row[0], sender_area):
        return Refusal("invalid", f"attachments {change['row_id']}: no visit {owner} inside this tablet's area "
                                  "is held here")
    return None


def _codes_held(db, changes, chunk=500):
    """Return {(table, value): {(area, id)}} of the live records using each code or ticket the batch's puts carry."""
    wanted = {}
    for change in changes:
        name = UNIQUE_IN_AREA.get(change["tbl"])
        if name and change["op"] == "put" and isinstance(change.get("data"), dict):
            value = change["data"].get(name)
            if isinstance(value, str) and value:
                wanted.setdefault(change["tbl"], set()).add(value)
    held = {}
    for table, values in wanted.items():
        name, values = UNIQUE_IN_AREA[table], sorted(values)
        held.update(((table, value), set()) for value in values)
        for i in range(0, len(values), chunk):
            for row_id, area, value in db.execute(
                    f"SELECT t.id, t.area, t.[{name}] FROM {json_elements(db, '?', 'j', scalars=True)} "
                    f"JOIN [{table}] t ON t.[{name}] = j.value WHERE t._deleted = 0", [json.dumps(values[i:i + chunk])]):
                held[(table, value)].add((area, row_id))
    return held


# (field, table it refers to) of each record table: what a received put may point at.
_REFS = {table: tuple((spec.name, spec.ref) for spec in fields(table).values() if spec.ref) for table in TABLES}


def _referenced(db, changes, chunk=500):
    """Return {(table, id): held live here} for every record the batch's puts refer to, in few queries."""
    wanted = {}
    for change in changes:
        refs = _REFS.get(change["tbl"])
        if not refs or change["op"] != "put" or not isinstance(change.get("data"), dict):
            continue
        data = change["data"]
        for name, ref in refs:
            value = data.get(name)
            if isinstance(value, str) and value:
                wanted.setdefault(ref, set()).add(value)
    held = {}
    for table, ids in wanted.items():
        ids = sorted(ids)
        for i in range(0, len(ids), chunk):
            part = ids[i:i + chunk]
            # The ids as one JSON parameter, not 500 placeholders: one statement text each time,
            # which PostgreSQL's driver parses once (it re-parses any of more than 50 parameters).
            live = {r[0] for r in db.execute(f"SELECT t.id FROM {json_elements(db, '?', 'j', scalars=True)} "
                                             f"JOIN [{table}] t ON t.id = j.value WHERE t._deleted = 0",
                                             [json.dumps(part)])}
            held.update(((table, row_id), row_id in live) for row_id in part)
    return held


def _check_put(change, existing, batch, sender_area, tiers):
    """Validate one received put like a local write (guards included); fix its values to their stored form."""
    table, data = change["tbl"], change["data"]
    try:
        cleaned = clean(table, data, existing, batch.exists, sender_area)
        row = {**(existing or {}), **cleaned, "area": change["area"], "id": change["row_id"]}
        batch.clash(table, change["row_id"], row)
        problems = guard_problems(batch.db, table, tiers, existing, row, batch.rows)
        if problems:
            raise ValidationError(problems)
    except ValidationError as exc:
        return Refusal("invalid", f"{table} {change['row_id']}: {exc}"[:500], exc.problems)
    for key in data:
        if key in cleaned:
            data[key] = cleaned[key]
    batch.rows[(table, change["row_id"])] = row
    return None


def _in_stored_form(changes, stored, sender_area):
    """Return the positions of the new records' puts whose every value is already in stored form.

    Checked a column at a time (records.columns) over the puts of one table that carry the same
    fields: the bulk of a first sync. Every other change is checked one by one.
    """
    groups = {}
    for i, change in enumerate(changes):
        data = change.get("data")
        if change["op"] == "put" and change["tbl"] in TABLES and (change["tbl"], change["row_id"]) not in stored:
            groups.setdefault((change["tbl"], tuple(data)), []).append(i)
    quick = set()
    for (table, names), positions in groups.items():
        specs, required, _defaults, _fast = plan(table)
        if set(required) <= set(names) and all(_column_in_stored_form(specs, name, [
                changes[i]["data"][name] for i in positions], sender_area) for name in names):
            quick.update(positions)
    return quick


def _column_in_stored_form(specs, name, values, sender_area):
    """Return True when every value of field `name` is one the full check takes as it is."""
    if name == "area":  # a record's area path: written as stored, inside the sender's own
        return all(type(v) is str and v and v == v.strip().strip("/") and (sender_area is None or inside(v, sender_area))
                   for v in values)
    return name in specs and column_ok(specs[name], values)


def _took_new(change, batch, tiers):
    """Take a new record whose values are all in stored form, with the checks that need the row; False: check it fully.

    What it takes, the full check (`_check_put`) takes unchanged; anything it doubts (a reference
    not held, a code taken, a cross-field or workflow problem) goes the full way to be worded.
    """
    table, data, row_id = change["tbl"], change["data"], change["row_id"]
    defaults = plan(table)[2]
    if any(data.get(name) and not batch.exists(ref, data[name]) for name, ref in _REFS[table]):
        return False
    row = {**defaults, **data, "area": change["area"], "id": row_id}
    if table in ROW_CHECKS and cross_checks(table, row):
        return False
    try:
        batch.clash(table, row_id, row)
    except ValidationError:
        return False
    if guard_problems(batch.db, table, tiers, None, row, batch.rows):
        return False
    batch.rows[(table, row_id)] = row
    return True
