"""Tablets enrolled at a village node: the node is their hub, one sync tier down (SPEC 2).

A tablet is a link of kind "tablet" in the node's `nodes` table. `village tablet add` (or the
clerk's tablets page) makes one with a one-time code; the tablet enrolls with it at /sync/enroll
and gets its own secret; its pushes are checked like a village's at its hub, and may write only
what field workers may write (`records.trust.tablet_policy`).
"""
from sync.server import TABLET, SyncRefused, add_node, revoke
from sync.store import dicts
from village.errors import Problem

ENROLL_PATH = "/field/"  # the field app opens its enrollment from the QR code's #enroll=CODE


def add_tablet(node, db, name):
    """Register a tablet for this village; return (its link id, one-time code)."""
    if node.role != "village":
        raise Problem("tablet.village_only", role=node.role)
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise Problem("tablet.bad_name")
    try:
        return add_node(db, name, node.area, node.area, kind=TABLET)
    except SyncRefused:  # the village's own area is always inside itself
        raise Problem("tablet.village_only", role=node.role) from None


def list_tablets(db):
    """Return the tablets registered here, newest first, with their enrollment and last contact."""
    cur = db.execute("SELECT node_id, name, area, enrolled_by, created_at, enrolled_at, revoked_at, last_seen, "
                     "push_cursor, clock_skew_ms FROM nodes WHERE kind = ? ORDER BY created_at DESC, name", [TABLET])
    return list(dicts(cur))


def revoke_tablet(db, link_id):
    """Revoke a tablet's credentials (a lost or retired tablet can no longer sync); refuse an unknown one."""
    known = db.execute("SELECT 1 FROM nodes WHERE node_id = ? AND kind = ?", [link_id, TABLET]).fetchone()
    if known is None or not revoke(db, link_id):
        raise Problem("tablet.no_such_tablet", id=link_id)


def enroll_url(base_url, code):
    """Return the address a tablet's QR code opens: the field app, with the code after # (never sent in a request)."""
    return f"{base_url.rstrip('/')}{ENROLL_PATH}#enroll={code}"
