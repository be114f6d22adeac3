"""A first load as a snapshot: the live records a link receives, in pages, with the cursor to pull on from.

Replaying a village's change log from 0 sends every change of every record; a snapshot sends
each record once, as it stands. A page is a batch of the one batch format (`sync.batch`): each
record is one `put` per version still holding some of its fields (the newest change of each
field, exactly what a replay leaves), so a receiver lays pages over its copy as it lays pulled
changes, field by field by version.

Pages go by (table, id), so a page cut off on the way is asked for again from the last record
the receiver kept. Each page is read in one snapshot together with the change log's last seq;
the first page's seq is the snapshot's `cursor`. A record changed after it may be sent in a
later page with its newer fields, and is sent again by the pull from `cursor` that follows the
last page: laid field by field by version, both give the record as it stands, once.
"""
import json

from sync import codes
from sync.changelog import SYNC_COLUMNS
from sync.epoch import epochs
from sync.screen import MAX_ID
from sync.server import SyncRefused
from sync.stores import as_tx


def page_after(asked, tables):
    """Return the page cursor a request names ((table, id), or None: from the start); refuse anything else.

    The table is one of `tables`: it becomes part of a query, so nothing else ever may.
    """
    if asked is None:
        return None
    if not (isinstance(asked, list) and len(asked) == 2 and asked[0] in tables and isinstance(asked[1], str)
            and 0 < len(asked[1]) <= MAX_ID):
        raise SyncRefused(400, codes.BAD_REQUEST, "\"after\" is null or [table, id] of a record a page held")
    return tuple(asked)


def serve_snapshot(db, link, after, limit, tables):
    """Return (envelope, changes): one page of the live records of `tables` in `link`'s scope.

    `after` is what `page_after` returned. The page holds at most `limit` changes (and at least
    one record). The envelope: `cursor` (the change log's last seq when the page was read),
    `more`, `after` (the page cursor to ask from next, while `more`) and `epochs`.
    """
    tables = tuple(tables)
    with as_tx(db).snapshot() as tx:
        rows, last = tx.live_rows(tables, link["area"].rstrip("/"), after, limit)
        history = epochs(tx)
    changes, sent, more = [], None, len(rows) == limit
    for table, row in rows:
        puts = record_changes(table, row)
        if sent and len(changes) + len(puts) > limit:
            more = True
            break
        changes += puts
        sent = [table, row["id"]]
    # Grouped by table and fields, newest last: longer runs of columns, smaller clock deltas. Order within a page
    # means nothing to a receiver: each field of a record is in one change only.
    order = {table: i for i, table in enumerate(tables)}
    changes.sort(key=lambda c: (order[c["tbl"]], tuple(c["data"]), c["version"]))
    envelope = {"cursor": last, "more": more, "after": sent if more else None, "epochs": history}
    return envelope, changes


def record_changes(table, row):
    """Return a stored record as puts: one per version that still holds some of its fields, oldest first."""
    fv = row["_fv"] if isinstance(row["_fv"], dict) else json.loads(row["_fv"])
    by_version = {}
    for field, value in row.items():  # in the table's column order: the same fields in the same order
        if field in fv and field != "id" and field not in SYNC_COLUMNS:
            by_version.setdefault(fv[field], {})[field] = value
    return [{"tbl": table, "row_id": row["id"], "version": version, "op": "put", "data": data, "area": row["area"],
             "prev_area": None, "base": None} for version, data in sorted(by_version.items())]
