"""What a receiving tier lets in: who may write each table, and the same validators as a local write.

Passed to the sync engine as its policy (see `sync.screen`): the engine has already checked the
changes' shape and that the sender's path holds the record's stored and declared areas.
"""
from sync.quarantine import Refusal
from sync.screen import stored_rows
from village.records.core import UNIQUE_IN_AREA
from village.records.schema import DOWNSTREAM, TABLES
from village.records.validate import ValidationError, clean

RECEIVED_TABLES = frozenset(TABLES)


class _Batch:
    """What earlier changes of the same batch made: records that exist, codes that are taken."""

    def __init__(self, db):
        self.db = db
        self.made, self.gone, self.taken = set(), set(), {}
        self.rows = {}  # (table, id) -> the record as earlier changes of this batch leave it

    def exists(self, table, row_id):
        if (table, row_id) in self.gone:
            return False
        if (table, row_id) in self.made:
            return True
        return self.db.execute(f"SELECT 1 FROM [{table}] WHERE id = ? AND _deleted = 0", [row_id]).fetchone() is not None

    def clash(self, table, row_id, row):
        """Return the unique value `row` would take twice in its area, or None."""
        name = UNIQUE_IN_AREA.get(table)
        value = row.get(name) if name else None
        if not value:
            return None
        key = (table, row["area"], value)
        if self.taken.get(key, row_id) != row_id:
            return value
        other = self.db.execute(f"SELECT 1 FROM [{table}] WHERE [{name}] = ? AND area = ? AND id != ? AND _deleted = 0",
                                [value, row["area"], row_id]).fetchone()
        if other:
            return value
        self.taken[key] = row_id
        return None


def policy(db, sender_area, changes, upward):
    """Return {position: Refusal} for the changes this node must not apply."""
    stored = stored_rows(db, [c for c in changes if c["op"] == "put"], "*")
    batch, verdicts = _Batch(db), {}
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
        refusal = _check_put(change, batch.rows.get(key, stored.get(key)), batch, sender_area if upward else None)
        if refusal:
            verdicts[i] = refusal
    return verdicts


def _check_put(change, existing, batch, sender_area):
    """Validate one received put like a local write; fix its values to their stored form."""
    table, data = change["tbl"], change["data"]
    try:
        cleaned = clean(table, data, existing, batch.exists, sender_area)
    except ValidationError as exc:
        return Refusal("invalid", f"{table} {change['row_id']}: {exc}"[:500], exc.problems)
    row = {**(existing or {}), **cleaned, "area": change["area"]}
    value = batch.clash(table, change["row_id"], row)
    if value is not None:
        name = UNIQUE_IN_AREA[table]
        return Refusal("invalid", f"{table} {change['row_id']}: {name} {value} is already used in area {row['area']}",
                       [(name, "“%(value)s” is already used by another record here.", {"value": value})])
    for key in data:
        if key in cleaned:
            data[key] = cleaned[key]
    batch.made.add((table, change["row_id"]))
    batch.rows[(table, change["row_id"])] = row
    return None


__all__ = ["RECEIVED_TABLES", "policy"]
