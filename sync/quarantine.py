"""Changes a tier refused: held at the receiver with their reason, remembered by the sender.

Its tables are made by `sync.migrations`.

A receiving tier (a hub for its villages, a village for its tablets or from its hub) checks
every change as strictly as a local write. What it refuses is *held* here instead of being
applied, the rest of the batch applies, and the sender is told which changes were refused and
why, so one bad record never stops a village's sync. Staff at the receiver may later
release a held change (it is checked and applied again, e.g. after the clash was fixed) or
discard it.
"""
import json
from dataclasses import dataclass, field

from sync.clock import utc_text
from sync.store import dicts
from sync.stores import as_tx

HELD, RELEASED, DISCARDED = "held", "released", "discarded"

# A held change is kept whole, but a bounded one: the batch limits already cap its size.
MAX_MESSAGE = 500


@dataclass
class Refusal:
    """Why one received change was not applied: a stable code, a message, the field problems."""

    code: str
    message: str
    problems: list = field(default_factory=list)  # [(field, message, params)] to translate on display


def _text(value):
    return str(value)[:200] if value is not None else ""


def hold(db, node_id, change, refusal):
    """Keep a refused change (inside the caller's transaction); return its acknowledgement entry."""
    version, table, row_id = _text(change.get("version")), _text(change.get("tbl")), _text(change.get("row_id"))
    problems = json.dumps(refusal.problems, ensure_ascii=False, default=str) if refusal.problems else None
    as_tx(db).hold({"node_id": node_id, "version": version, "tbl": table, "row_id": row_id,
                    "change": json.dumps(change, ensure_ascii=False, default=str), "code": refusal.code,
                    "message": refusal.message[:MAX_MESSAGE], "problems": problems, "received_at": utc_text()})
    return {"version": version, "tbl": table, "row_id": row_id, "code": refusal.code,
            "message": refusal.message[:MAX_MESSAGE], "problems": json.loads(problems) if problems else []}


def held(db, state=HELD, node_id=None, limit=500):
    """Return quarantined changes (newest first) as dicts, optionally of one sender."""
    with as_tx(db).snapshot() as tx:
        return [_decoded(row) for row in tx.held(state, node_id, limit)]


def _decoded(row):
    row["change"] = json.loads(row["change"])
    row["problems"] = json.loads(row["problems"]) if row["problems"] else []
    return row


def get_held(db, quarantine_id):
    """Return one quarantined change by id, or None."""
    with as_tx(db).snapshot() as tx:
        row = tx.get_held(quarantine_id)
    return None if row is None else _decoded(row)


def decide(db, quarantine_id, state, by):
    """Mark a held change released or discarded (inside the caller's transaction)."""
    as_tx(db).decide(quarantine_id, state, by, utc_text())


def held_counts(db):
    """Return {node_id: number of changes still held} for status pages."""
    return dict(db.execute("SELECT node_id, COUNT(*) FROM sync_quarantine WHERE state = ? GROUP BY node_id",
                           [HELD]).fetchall())


def remember_refusals(db, refused):
    """Record, at the sender, the changes its receiver refused (inside the caller's transaction)."""
    for entry in refused or ():
        if not isinstance(entry, dict) or not entry.get("version"):
            continue
        problems = entry.get("problems")
        db.execute("INSERT INTO sync_refusals (version, tbl, row_id, code, message, problems, refused_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (version) DO UPDATE SET tbl = excluded.tbl, "
                   "row_id = excluded.row_id, code = excluded.code, message = excluded.message, "
                   "problems = excluded.problems, refused_at = excluded.refused_at",
                   [_text(entry["version"]), _text(entry.get("tbl")), _text(entry.get("row_id")),
                    _text(entry.get("code")), str(entry.get("message", ""))[:MAX_MESSAGE],
                    json.dumps(problems, ensure_ascii=False) if problems else None, utc_text()])


def refusals(db, limit=200):
    """Return the sender's refused changes, newest first, with their problems decoded."""
    cur = db.execute("SELECT * FROM sync_refusals ORDER BY refused_at DESC, version LIMIT ?", [limit])
    out = list(dicts(cur))
    for entry in out:
        entry["problems"] = json.loads(entry["problems"]) if entry["problems"] else []
    return out


def refusal_count(db):
    """Return how many of this node's changes its receiver refused."""
    return db.execute("SELECT COUNT(*) FROM sync_refusals").fetchone()[0]
