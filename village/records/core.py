"""Create, update, delete and read records of any table, through the one write path."""
import contextlib
import json
import uuid

from sync.changelog import writing
from sync.scope import inside
from sync.store import dicts
from sync.stores.pg_sql import stored_order
from village.audit import record as audit
from village.i18n_markers import N_
from village.records import rollups
from village.records.monitoring import TIERS_OF_ROLE, guard_problems
from village.records.schema import fields
from village.records.validate import ValidationError, clean


def new_id():
    """Return a new record id (made where the record is born)."""
    return str(uuid.uuid4())


def row_exists(db, table, row_id):
    """Return True when `table` holds a live (not deleted) record with `row_id`."""
    return db.execute(f"SELECT 1 FROM [{table}] WHERE id = ? AND _deleted = 0", [row_id]).fetchone() is not None


def get(db, table, row_id, include_deleted=False):
    """Return the record `row_id` of `table` as a dict of its fields, or None."""
    fields(table)
    record = next(dicts(db.execute(f"SELECT * FROM [{table}] WHERE id = ?", [row_id])), None)
    if record is None or (record["_deleted"] and not include_deleted):
        return None
    return record


def public(table, row):
    """Return the record's exported fields (id, area, fields; JSON fields decoded)."""
    specs = fields(table)
    out = {"id": row["id"], "area": row["area"]}
    for name, spec in specs.items():
        value = row.get(name)
        if spec.kind == "json" and value is not None:
            value = json.loads(value)
        elif spec.kind == "bool" and value is not None:
            value = bool(value)
        out[name] = value
    return out


class Saved(str):
    """The id of the record one save wrote, with the fields it really changed and whether it created it.

    A str, so the many callers that only want the id keep using the result as the id.
    """

    def __new__(cls, row_id, changed, created):
        saved = super().__new__(cls, row_id)
        saved.changed, saved.created = tuple(changed), created
        return saved


def save(writer, node, table, values, row_id=None, actor=None):
    """Validate `values` and create or update one record; return its id as a Saved (with .changed, .created).

    `values` may carry an `id`: a record with that id is updated, else created with it. The fields
    changed are compared as stored (typed), so "3" typed over 3 is no change. With an `actor`, the
    audit entry naming them and the changed fields is written in the same transaction.
    """
    db = writer.db
    row_id = row_id or values.get("id") or new_id()
    existing = get(db, table, row_id, include_deleted=True)
    if existing is not None and existing["_deleted"]:
        raise ValidationError([("id", N_("Record %(id)s was deleted; it cannot be changed."), {"id": row_id})])
    cleaned = clean(table, values, existing, lambda t, i: row_exists(db, t, i), node.area)
    if existing is None:
        cleaned.setdefault("area", _parent_area(db, table, cleaned) or node.area)
    elif not inside(existing["area"], node.area):
        raise ValidationError([("area", N_("This record belongs to area %(area)s, outside this node."),
                                {"area": existing["area"]})])
    row = {**(existing or {}), **cleaned, "id": row_id}
    check_unique(db, table, row_id, row)
    problems = guard_problems(db, table, TIERS_OF_ROLE.get(node.role, ()), existing, row)
    if problems:
        raise ValidationError(problems)
    if existing is not None:
        cleaned = {k: v for k, v in cleaned.items() if not _same(existing.get(k), v)}
    saved = Saved(row_id, tuple(cleaned), existing is None)
    if cleaned:
        writer.put(table, row_id, cleaned, existing=existing)
        if actor is not None:
            audit(db, actor, f"{table}.{'create' if saved.created else 'edit'}", row_id, ",".join(saved.changed))
    return saved


def _same(stored, new):
    """Return True when a new typed value leaves the stored one as it is (an empty text is no text)."""
    return stored == new or (stored in (None, "") and new in (None, ""))


UNIQUE_IN_AREA = {"households": "code", "service_requests": "ticket", "grievances": "ticket"}


def check_unique(db, table, row_id, row):
    """Refuse a second live record with the same household code or ticket in one area.

    Checked here, not by a UNIQUE index: two villages may both hold a code, and a hub must
    never fail to apply a sync batch over it.
    """
    name = UNIQUE_IN_AREA.get(table)
    if name and row.get(name):
        clash = db.execute(f"SELECT 1 FROM [{table}] WHERE [{name}] = ? AND area = ? AND id != ? AND _deleted = 0",
                           [row[name], row["area"], row_id]).fetchone()
        if clash:
            raise taken_error(name, row[name])


def taken_error(name, value):
    """Return the error for a household code or ticket already used in the area."""
    return ValidationError([(name, N_("“%(value)s” is already used by another record here."), {"value": value})])


def _parent_area(db, table, cleaned):
    """Return the area of the record this one hangs under, so children stay in its scope."""
    for spec in fields(table).values():
        if spec.ref and cleaned.get(spec.name):
            row = db.execute(f"SELECT area FROM [{spec.ref}] WHERE id = ?", [cleaned[spec.name]]).fetchone()
            if row:
                return row[0]
    return None


def delete(writer, node, table, row_id, actor=None, note=""):
    """Delete record `row_id` (a tombstone that syncs); raise ValidationError if absent.

    With an `actor`, the audit entry naming them (and `note`) is written in the same transaction.
    """
    existing = get(writer.db, table, row_id)
    if existing is None:
        raise ValidationError([("id", N_("There is no record %(id)s in %(table)s."), {"id": row_id, "table": table})])
    if not inside(existing["area"], node.area):
        raise ValidationError([("area", N_("This record belongs to area %(area)s, outside this node."),
                                {"area": existing["area"]})])
    writer.delete(table, row_id)
    if actor is not None:
        audit(writer.db, actor, f"{table}.delete", row_id, note)


@contextlib.contextmanager
def write(db, node):
    """Open one transaction on `db` for `node`; yields the Writer to pass to save/delete.

    At a hub, the county's roll-ups follow the writes in the same transaction.
    """
    with writing(db, node.node_id) as writer:
        yield writer
        if node.role == "county":
            rollups.catch_up(writer.db)  # the writer's transaction (on a store of many connections, not another)


PAGE_SIZE = 25


def page_of(total, asked, size=PAGE_SIZE):
    """Return (page, pages): the page asked for as typed in ?page=, kept between the first and the last.

    Garbage or a page before the first gives the first page, one past the end the last: a
    hand-edited URL shows a page, never an error.
    """
    pages = max((total + size - 1) // size, 1)
    try:
        page = int(asked or 1)
    except (TypeError, ValueError):
        page = 1
    return min(max(page, 1), pages), pages


def rows(db, table, where="", params=(), order=None, limit=None, offset=0, with_=""):
    """Yield the live records of `table` as dicts of exported fields (`with_`: a WITH clause `where` uses).

    Without an `order`, in the order they were stored (`pg_sql.stored_order`: no rowid on PostgreSQL).
    """
    fields(table)
    sql = f"{with_} SELECT * FROM [{table}] WHERE _deleted = 0" + (f" AND ({where})" if where else "") + \
        f" ORDER BY {order or stored_order(db)}"
    if limit is not None:
        sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
    for row in dicts(db.execute(sql, list(params))):
        yield public(table, row)
