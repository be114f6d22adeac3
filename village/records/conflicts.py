"""The conflicts sync recorded: read them with who wrote each value and when, and resolve them.

A conflict is one field two nodes changed without seeing each other's value (`sync.changelog`
records it; the higher version already won everywhere). Resolving it writes the chosen value
through the one write path, so the resolution is a change like any other and reaches every node.
"""
import datetime
import json

from sync.clock import physical_ms, split_version, utc_text
from sync.meta import HUB_NAME, HUB_NODE_ID, get_meta
from sync.scope import inside
from sync.store import dicts
from village.audit import record as audit
from village.records import core
from village.records.households import household_of
from village.records.schema import TABLES, fields

# Conflicts are rare and each is read with its record: a hub with more open than this shows
# the oldest first, and the rest once those are resolved.
MAX_OPEN = 500


class AlreadyResolved(Exception):
    """The conflict was resolved (by someone else, or in another tab) before this resolution."""


def writer_of(db, node, version):
    """Return {node, at} of a version: the name of the node that wrote it and when (UTC datetime)."""
    stamp, node_id = split_version(version)
    if node_id == node.node_id:
        name = node.name
    elif node.role == "village" and node_id == get_meta(db, HUB_NODE_ID, None):  # only a village has a hub above
        name = get_meta(db, HUB_NAME, None) or node_id  # a village's county hub
    else:
        row = db.execute("SELECT name FROM nodes WHERE enrolled_by = ? ORDER BY revoked_at IS NULL DESC LIMIT 1",
                         [node_id]).fetchone()
        name = row[0] if row else node_id
    at = datetime.datetime.fromtimestamp(physical_ms(stamp) / 1000, datetime.timezone.utc)
    return {"node": name, "at": at}


def _value(text):
    return None if text is None else json.loads(text)


def _described(db, node, conflict, record):
    """Return a conflict with its record, household, field spec and both sides' writers."""
    table = conflict["tbl"]
    hh_id = household_of(db, table, record) if record else None
    conflict.update(
        record=record, spec=fields(table).get(conflict["field"]),
        household=core.get(db, "households", hh_id) if hh_id else None,
        kept=_value(conflict["kept_value"]), lost=_value(conflict["lost_value"]),
        kept_by=writer_of(db, node, conflict["kept_version"]), lost_by=writer_of(db, node, conflict["lost_version"]),
        current=record.get(conflict["field"]) if record else None)
    return conflict


def open_conflicts(db, node, area, newest_first=False):
    """Return the unresolved conflicts on live records inside `area`, oldest (or newest) first, described."""
    order = "DESC" if newest_first else "ASC"
    cur = db.execute(f"SELECT * FROM _conflicts WHERE resolved_at IS NULL ORDER BY id {order} LIMIT ?", [MAX_OPEN])
    out = []
    for conflict in dicts(cur):
        if conflict["tbl"] not in TABLES:
            continue
        record = core.get(db, conflict["tbl"], conflict["row_id"])
        if record is not None and inside(record["area"], area):
            out.append(_described(db, node, conflict, record))
    return out


def get_conflict(db, node, conflict_id):
    """Return one conflict (resolved or not) described, or None when there is none or its record is gone."""
    cur = db.execute("SELECT * FROM _conflicts WHERE id = ?", [conflict_id])
    conflict = next(dicts(cur), None)
    if conflict is None or conflict["tbl"] not in TABLES:
        return None
    record = core.get(db, conflict["tbl"], conflict["row_id"])
    if record is None or not inside(record["area"], node.area):
        return None
    return _described(db, node, conflict, record)


def resolve(db, node, conflict_id, value, actor):
    """Write `value` into the conflict's field through the one write path and mark its conflicts resolved.

    Every open conflict of the same field of the same record is resolved with it: the value
    chosen answers them all. Raise ValidationError (nothing written) for a value the field
    refuses, AlreadyResolved when someone resolved it first, KeyError when there is no such conflict.
    """
    with core.write(db, node) as writer:
        db = writer.db  # its reads and writes in the one transaction (a store hands out several)
        row = db.execute("SELECT tbl, row_id, field, resolved_at FROM _conflicts WHERE id = ?",
                         [conflict_id]).fetchone()
        if row is None:
            raise KeyError(conflict_id)
        table, row_id, field, resolved_at = row
        if resolved_at:
            raise AlreadyResolved(conflict_id)
        core.save(writer, node, table, {field: value}, row_id=row_id, actor=actor)
        db.execute("UPDATE _conflicts SET resolved_at = ?, resolved_by = ? "
                   "WHERE tbl = ? AND row_id = ? AND field = ? AND resolved_at IS NULL",
                   [utc_text(), actor, table, row_id, field])
        # Audited even when the value kept is the one already there (then save writes nothing).
        audit(db, actor, "conflict.resolve", f"{table} {row_id}", field)
