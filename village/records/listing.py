"""Reading records a page at a time for programs: keyset pages by id, and the change log as a cursor.

Both stay right while others write: a page starts after the last id seen (no offset to shift),
and following the change log by its sequence number meets every change once, in order.
"""
import functools
import json

from sync.scope import in_scope, inside
from sync.store import dicts
from village.records import core
from village.records.schema import DOWNSTREAM, fields

MAX_LIMIT = 1000


def scope_sql(table, area, column="area"):
    """Return (SQL, params) keeping the records of `table` a reader of `area` sees.

    Its own area and below; for tables written at a hub and sent down, the notices of the
    areas above it too, as its kiosk shows them.
    """
    sql, params = f"({column} = ? OR {column} LIKE ?", [area, area + "/%"]
    if table in DOWNSTREAM:
        sql += f" OR ? LIKE {column} || '/%'"
        params.append(area)
    return sql + ")", params


def page(db, table, area, equal=None, after="", limit=100):
    """Return (records, next id or None): live records of `table` in `area`, by id, after id `after`.

    `equal` maps field names to the value they must hold (checked names, see `filterable`).
    """
    where, params = scope_sql(table, area)
    for name, value in (equal or {}).items():
        fields(table)[name]  # a name not of this table is a bug of the caller: fail loudly
        where += f" AND [{name}] IS ?"
        params.append(value)
    if after:
        where += " AND id > ?"
        params.append(after)
    names, decode = _shape(table)
    cursor = db.execute(f"SELECT {', '.join(f'[{n}]' for n in names)} FROM [{table}] WHERE _deleted = 0 AND {where} "
                        "ORDER BY id LIMIT ?", [*params, limit + 1])
    found = [decode(dict(zip(names, row))) for row in cursor]
    more = len(found) > limit
    found = found[:limit]
    return found, (found[-1]["id"] if more else None)


@functools.lru_cache(maxsize=None)
def _shape(table):
    """Return (the columns a program reads, a function giving a row of them its exported types), made once.

    The same result as `exported`, without its per-field loop: a page of 100 records is most of a
    list's cost.
    """
    specs = fields(table)
    names = ("id", "area", *specs, "_version", "_deleted")
    as_json = tuple(n for n, spec in specs.items() if spec.kind == "json")
    as_bool = tuple(n for n, spec in specs.items() if spec.kind == "bool")

    def decode(record):
        for name in as_json:
            if record[name] is not None:
                record[name] = json.loads(record[name])
        for name in (*as_bool, "_deleted"):
            if record[name] is not None:
                record[name] = bool(record[name])
        return record

    return names, decode


def changes(db, table, area, since=0, limit=100):
    """Return (records, next cursor, more): the records of `table` changed after change `since`, oldest first.

    Each record comes once, at its latest change: with the cursor of the last page an integration
    meets every record that changed since, once, and a record changed again later comes again.
    A record deleted (or moved out of `area`) comes as {"id", "area", "_deleted": True}. The
    cursor is the sequence number of the last change looked at.
    """
    scope, params = scope_sql(table, area, "c.area")
    prev, prev_params = scope_sql(table, area, "c.prev_area")
    scanned = db.execute(
        f"SELECT c.seq, c.row_id FROM _changes c WHERE c.tbl = ? AND c.seq > ? AND ({scope} OR {prev}) "
        "ORDER BY c.seq LIMIT ?", [table, since, *params, *prev_params, limit]).fetchall()
    if not scanned:
        return [], since, False
    latest = _latest_of(db, table, scanned)
    records = []
    for seq, row_id in scanned:
        if latest.get(row_id) != seq:
            continue  # a later change of the same record brings it
        records.append(_as_of(db, table, row_id, seq, area))
    return records, scanned[-1][0], len(scanned) == limit


def _latest_of(db, table, scanned):
    """Return {row id: the sequence number of its newest change} for the records scanned."""
    ids = list({row_id for _seq, row_id in scanned})
    latest = {}
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        latest.update(db.execute(f"SELECT row_id, MAX(seq) FROM _changes WHERE tbl = ? AND row_id IN "
                                 f"({', '.join('?' * len(part))}) GROUP BY row_id", [table, *part]).fetchall())
    return latest


def _as_of(db, table, row_id, seq, area):
    """Return the record `row_id` as it stands, with the change's sequence number; a tombstone when gone."""
    row = next(dicts(db.execute(f"SELECT * FROM [{table}] WHERE id = ?", [row_id])), None)
    if row is None or row["_deleted"] or not sees(table, area, row["area"]):
        return {"id": row_id, "area": row["area"] if row else None, "_version": row["_version"] if row else None,
                "_deleted": True, "_seq": seq}
    return {**exported(table, row), "_seq": seq}


def sees(table, area, record_area):
    """Return True when a reader of `area` sees a record of `record_area` in `table` (as scope_sql keeps it)."""
    if table in DOWNSTREAM:
        return in_scope(record_area, area)
    return inside(record_area, area)


def exported(table, row):
    """Return a stored row as a program reads it: its fields, its version (the ETag) and whether deleted."""
    return {**core.public(table, row), "_version": row["_version"], "_deleted": bool(row["_deleted"])}
