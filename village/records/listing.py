"""Reading records a page at a time for programs: keyset pages by id, and the change log as a cursor.

Both stay right while others write: a page starts after the last id seen (no offset to shift),
and following the change log by its sequence number meets every change once, in order.
"""
import functools
import json

from sync.scope import in_scope, inside
from sync.store import dicts
from sync.stores import as_tx
from village.records import core
from village.records.privacy import mask as mask_value, masked
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


def page(db, table, area, equal=None, after="", limit=100, mask=False):
    """Return (records as JSON texts, next id or None): live records of `table` in `area`, by id, after id `after`.

    `equal` maps field names to the value they must hold (checked names, see `filterable`);
    with `mask`, sensitive fields come masked.
    """
    where, params = scope_sql(table, area)
    postgres = _on_postgres(db)
    for name, value in (equal or {}).items():
        fields(table)[name]  # a name not of this table is a bug of the caller: fail loudly
        # What SQLite's IS means; PostgreSQL takes IS only before NULL, TRUE and FALSE.
        where += f" AND [{name}] {'IS NOT DISTINCT FROM' if postgres else 'IS'} ?"
        params.append(value)
    if after:
        where += " AND id > ?"
        params.append(after)
    if postgres:
        found = [(row["id"], json_text(table, row, mask)) for row in dicts(db.execute(
            f"SELECT * FROM [{table}] WHERE _deleted = 0 AND {where} ORDER BY id LIMIT ?", [*params, limit + 1]))]
    else:
        found = _with_functions(db).execute(f"SELECT id, {json_sql(table, mask)} FROM [{table}] WHERE _deleted = 0 "
                                            f"AND {where} ORDER BY id LIMIT ?", [*params, limit + 1]).fetchall()
    more = len(found) > limit
    found = found[:limit]
    return [text for _id, text in found], (found[-1][0] if more else None)


@functools.lru_cache(maxsize=None)
def json_sql(table, mask):
    """Return the SQL making a row of `table` into its JSON object as `exported` gives it, masked or not.

    SQLite writes the JSON: a page of records costs no Python per row (that was two thirds of a
    list's time), and a JSON field goes out as it is stored, never parsed and written again.
    Floats and masking call the same Python as the single record does (functions of `_with_functions`).
    """
    parts = ["'id', id", "'area', area"]
    for name, spec in fields(table).items():
        column = f"[{name}]"
        if spec.kind == "json":
            column = f"json({column})"
        elif spec.kind == "bool":
            column = f"CASE WHEN {column} IS NULL THEN NULL WHEN {column} THEN json('true') ELSE json('false') END"
        elif spec.kind == "float":
            column = f"json(village_float({column}))"
        elif spec.sensitive and mask:
            column = f"village_mask({column})"
        parts.append(f"'{name}', {column}")
    parts += ["'_version', _version", "'_deleted', CASE WHEN _deleted THEN json('true') ELSE json('false') END"]
    return f"json_object({', '.join(parts)})"


def _on_postgres(db):
    """Return True when `db` is a PostgreSQL hub's store, where Python writes the records' JSON (no json_object)."""
    return as_tx(db).engine == "postgresql"


def json_text(table, row, mask):
    """Return a stored row as the JSON object `json_sql` writes (Python writes it, for PostgreSQL)."""
    record = exported(table, row)
    return json.dumps(masked(table, record) if mask else record, ensure_ascii=False, separators=(",", ":"))


def _with_functions(db):
    """Give `db`'s connection the functions json_sql calls; return `db`."""
    db.conn.create_function("village_mask", 1, lambda value: mask_value(value) if value else value, deterministic=True)
    db.conn.create_function("village_float", 1, lambda value: None if value is None else json.dumps(value),
                            deterministic=True)
    return db


def changes(db, table, area, since=0, limit=100, mask=False):
    """Return (records as JSON texts, next cursor, more): the records of `table` changed after change `since`.

    Oldest first, each record once, at its latest change: with the cursor of the last page an
    integration meets every record that changed since, once, and a record changed again later
    comes again. A record deleted (or moved out of `area`) comes as {"id", "area", "_deleted": true}.
    Each carries `_seq`; the cursor is the sequence number of the last change looked at.
    """
    scope, params = scope_sql(table, area, "c.area")
    prev, prev_params = scope_sql(table, area, "c.prev_area")
    # One query a page: the changes scanned, whether each is its record's newest, and the record as it is.
    changed = (f"FROM (SELECT seq, row_id, seq = (SELECT MAX(seq) FROM _changes l WHERE l.tbl = c.tbl AND "
               f"l.row_id = c.row_id) AS newest FROM _changes c WHERE c.tbl = ? AND c.seq > ? AND ({scope} OR {prev}) "
               f"ORDER BY c.seq LIMIT ?) c LEFT JOIN [{table}] t ON t.id = c.row_id ORDER BY c.seq")
    params = [table, since, *params, *prev_params, limit]
    if _on_postgres(db):
        scanned = [(r["seq"], r["row_id"], r["newest"], r["area"], r["_deleted"], r["_version"],
                    json_text(table, r, mask) if r["newest"] and r["id"] is not None and not r["_deleted"] else None)
                   for r in dicts(db.execute(f"SELECT c.seq, c.row_id, c.newest, t.* {changed}", params))]
    else:
        scanned = _with_functions(db).execute(
            f"SELECT c.seq, c.row_id, c.newest, t.area, t._deleted, t._version, "
            f"CASE WHEN c.newest AND NOT t._deleted THEN {json_sql(table, mask)} END {changed}", params).fetchall()
    if not scanned:
        return [], since, False
    # A change that is not its record's newest is skipped: the later change brings the record.
    records = [_as_of(table, row_id, row, seq, area) for seq, row_id, newest, *row in scanned if newest]
    return records, scanned[-1][0], len(scanned) == limit


def _as_of(table, row_id, row, seq, area):
    """Return the record as it stands (area, deleted, version, JSON), with the change's sequence number;
    a tombstone when it is gone, deleted or out of `area`."""
    if row[3] is None or not sees(table, area, row[0]):
        return json.dumps({"id": row_id, "area": row[0], "_version": row[2], "_deleted": True, "_seq": seq},
                          ensure_ascii=False, separators=(",", ":"))
    return f'{row[3][:-1]},"_seq":{seq}}}'  # the object SQLite wrote, one key more


def sees(table, area, record_area):
    """Return True when a reader of `area` sees a record of `record_area` in `table` (as scope_sql keeps it)."""
    if table in DOWNSTREAM:
        return in_scope(record_area, area)
    return inside(record_area, area)


def exported(table, row):
    """Return a stored row as a program reads it: its fields, its version (the ETag) and whether deleted."""
    return {**core.public(table, row), "_version": row["_version"], "_deleted": bool(row["_deleted"])}
