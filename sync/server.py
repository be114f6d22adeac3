"""The hub side of sync, as functions of (db, hub node id, link, batch): no HTTP here.

Two ids, never mixed: a *node id* is a node's own identity (the hub's `hub_node_id`, the
enroller's `enrolled_by`); a *link id* is what the hub gave one enrollment (the column
`nodes.node_id`, the X-Sync-Node header, the node's `sync.link_id`). A *link* is the hub's row
of one enrollment, as a dict, with its link id also under "link_id" (see `sync.links`).

Cursors: the hub keeps, per enrolled node, the highest node sequence number up to which it has
applied everything (`nodes.push_cursor`). A push declares the span (start, end] of node
sequence numbers it covers; it is accepted only when start <= cursor, so nothing is skipped.
"""
import datetime
import json
import secrets

from sync import codes
from sync.auth import CLAIM_WINDOW_S, claim_hash, code_hash, new_code, new_secret
from sync.batch import EVICT, apply_changes
from sync.changelog import writing
from sync.epoch import epochs
from sync.clock import (
    FUTURE_LIMIT_MS,
    make_version,
    physical_ms,
    split_version,
    utc_now,
    utc_text,
    wall_ms,
)
from sync.jobs import PULLED_OPS
from sync.meta import SCOPE, get_meta
from sync.quarantine import DISCARDED, HELD, RELEASED, decide, get_held, hold
from sync.scope import in_scope, inside
from sync.status import BadStatus, checked
from sync.screen import BadEnvelope, TooManyChanges, push_span, screen
from sync.store import dicts, transaction
from sync.stores import as_tx

OPS = ("put", "del")
# What an enrolled link is: a node of the tier below (a village at its county), or a tablet at its village.
NODE, TABLET = "node", "tablet"
LINK_KINDS = (NODE, TABLET)


class SyncRefused(Exception):
    """A request the hub refuses: an HTTP status, a stable error code and a message."""

    def __init__(self, status, code, message, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra



def add_node(db, name, area, hub_area, kind=NODE):
    """Register a node (or a tablet) to enroll under this hub; return (its link id, one-time code)."""
    if not inside(area, hub_area):
        raise SyncRefused(400, codes.OUTSIDE_AREA, f"area {area} is not inside this hub's area {hub_area}")
    if kind not in LINK_KINDS:
        raise ValueError(kind)
    link_id, code = secrets.token_hex(6), new_code()
    with transaction(db) as tx:
        as_tx(tx).add_link({"node_id": link_id, "name": name, "area": area, "code_hash": code_hash(code),
                            "secret": new_secret(), "created_at": utc_text(), "kind": kind})
    return link_id, code


def enroll(db, code, enroller, claim):
    """Hand out the credentials a one-time code stands for; return them as a dict.

    A code retires at its first use. An answer lost on the way must not strand the node, so
    for CLAIM_WINDOW_S after that use the same answer is given again, but only to a request
    that proves it is the first one's sender: the same random `claim` (never shown anywhere),
    not merely the enroller's node id (printed in every certificate's QR code).
    """
    if not isinstance(claim, str) or not 16 <= len(claim) <= 128:
        raise SyncRefused(400, codes.BAD_REQUEST, "send a claim: 16 to 128 random characters kept until enrolled")
    with transaction(db) as tx:
        row = tx.execute("SELECT node_id, area, secret, enrolled_by, enrolled_at, revoked_at, enroll_claim "
                         "FROM nodes WHERE code_hash = ?", [code_hash(code)]).fetchone()
        if row is None:
            raise SyncRefused(403, codes.BAD_CODE, "this enrollment code is not known at the hub")
        link_id, area, secret, enrolled_by, enrolled_at, revoked_at, stored_claim = row
        if revoked_at:
            raise SyncRefused(403, codes.REVOKED, "this node was revoked at the hub")
        if enrolled_by:
            age = (utc_now()
                   - datetime.datetime.fromisoformat(enrolled_at)).total_seconds()
            if enrolled_by != enroller or stored_claim != claim_hash(claim) or age > CLAIM_WINDOW_S:
                raise SyncRefused(409, codes.CODE_USED, "this enrollment code was already used")
        else:
            # Only while still unused: of two enrollments with one code at once (writers run at
            # once on PostgreSQL), the second finds it used.
            if tx.execute("UPDATE nodes SET enrolled_by = ?, enrolled_at = ?, enroll_claim = ? WHERE node_id = ? "
                          "AND enrolled_by IS NULL", [enroller, utc_text(), claim_hash(claim), link_id]).rowcount != 1:
                raise SyncRefused(409, codes.CODE_USED, "this enrollment code was already used")
    return {"node_id": link_id, "secret": secret, "area": area}  # "node_id": the wire name of the link id


def revoke(db, link_id):
    """Revoke an enrolled node's credentials; return False when there is no such link."""
    with transaction(db) as tx:
        return tx.execute("UPDATE nodes SET revoked_at = ? WHERE node_id = ? AND revoked_at IS NULL",
                          [utc_text(), link_id]).rowcount == 1


def rename(db, link_id, name):
    """Give an enrolled node another name (what pages call it); return False when there is no such link."""
    with transaction(db) as tx:
        return tx.execute("UPDATE nodes SET name = ? WHERE node_id = ?", [name, link_id]).rowcount == 1


def reissue_code(db, link_id):
    """Return a new one-time code for a node not enrolled yet (the old one stops working); None otherwise.

    Only the code's hash is kept, so a lost code cannot be shown again: a new one replaces it.
    """
    code = new_code()
    with transaction(db) as tx:
        done = tx.execute("UPDATE nodes SET code_hash = ? WHERE node_id = ? AND enrolled_by IS NULL "
                          "AND revoked_at IS NULL", [code_hash(code), link_id]).rowcount == 1
    return code if done else None


def receive_push(db, hub_node_id, link, envelope, changes, wall=wall_ms, policy=None, status_check=None,
                 after_apply=None, unseal=None):
    """Apply one pushed batch in one transaction (the caller's, when one is open); return the acknowledgement.

    Raise SyncRefused (nothing applied) on a malformed envelope or a gap after the cursor.
    Each change is checked as strictly as a local write (`sync.screen`, then `policy`): one
    that fails is held in quarantine and listed in the acknowledgement's `refused`, and the
    rest apply. Changes already held are acknowledged again, not applied twice.

    The envelope may carry the node's `status` report (`sync.status`): checked for shape here,
    then by `status_check(status)` (which returns a problem's text, or None), and kept in the
    link's row; a bad one refuses the whole push. `after_apply(db, applied changes, created)`
    runs in the same transaction once the batch is applied (the receiver's own bookkeeping);
    `created` holds the (table, row id) of the rows the batch inserted (`Writer.created`).

    `unseal(db, changes)` (a village hearing from a tablet) opens changes carried sealed to this
    node before any check; it returns (changes, [(change, Refusal)]) and what it refuses is held.
    """
    try:
        start, end = push_span(envelope, changes)
        status = _status_text(envelope, status_check)
    except TooManyChanges as exc:
        raise SyncRefused(413, codes.TOO_LARGE, str(exc)) from None
    except BadStatus as exc:
        raise SyncRefused(400, codes.BAD_STATUS, str(exc)) from None
    except BadEnvelope as exc:
        raise SyncRefused(400, codes.BAD_BATCH, str(exc)) from None
    with writing(db, hub_node_id, wall) as writer:
        db, tx = writer.db, writer.tx
        # Locked until commit: two pushes of one node wait for each other, other nodes' do not.
        cursor = tx.lock_push_cursor(link["link_id"])
        if start > cursor:
            raise SyncRefused(409, codes.GAP, f"batch starts after {start} but the hub holds up to {cursor}",
                              cursor=cursor)
        fresh, refused = _not_held_yet(tx, changes), []
        if unseal is not None:
            fresh, refused = unseal(db, fresh)
        accepted, screened = screen(db, link["area"], fresh, OPS, policy)
        refused += screened
        restamps = _restamp(tx, writer.clock, accepted, wall)
        applied = apply_changes(writer, accepted, link["link_id"])
        refusals = [hold(db, link["link_id"], change, why) for change, why in refused]
        if after_apply is not None:
            after_apply(db, accepted, writer.created)
        if status is not None:
            tx.save_status(link["link_id"], status, utc_text())
        cursor = max(cursor, end)
        ack = {"cursor": cursor, "applied": applied, "received": len(changes), "restamped": restamps,
               "refused": refusals, "epochs": epochs(tx)}
        # Kept with the commit: a node whose answer was lost asks for it (last_push) instead of
        # sending the whole batch again over a slow link.
        tx.save_push(link["link_id"], cursor, len(restamps), json.dumps({"start": start, "end": end, "ack": ack}))
    return ack


def _status_text(envelope, status_check):
    """Return the envelope's status report as JSON text (None when it carries none); raise BadStatus."""
    if envelope.get("status") is None:
        return None
    text = checked(envelope["status"])
    problem = status_check(envelope["status"]) if status_check else None
    if problem:
        raise BadStatus(problem)
    return text


def _not_held_yet(tx, changes):
    """Return the changes whose versions this hub does not hold (a batch sent again applies nothing twice)."""
    versions = [c.get("version") for c in changes if isinstance(c, dict) and isinstance(c.get("version"), str)]
    known = tx.known_versions(versions)
    return [c for c in changes if not (isinstance(c, dict) and c.get("version") in known)]


def last_push(link):
    """Return {"start", "end", "ack"} of the last batch the hub committed from `link`, or None."""
    return json.loads(link["last_push"]) if link.get("last_push") else None


def _restamp(tx, clock, changes, wall):
    """Give changes stamped more than FUTURE_LIMIT_MS ahead of the hub the hub's own stamp.

    A node whose clock ran years ahead must not win every merge: its changes take the time
    they reach the hub instead. Return {old version: new version} for the node to rewrite.
    """
    limit = wall() + clock.offset_ms + FUTURE_LIMIT_MS
    restamps = {}
    for change in changes:
        hlc, node = split_version(change["version"])
        if physical_ms(hlc) <= limit:
            continue
        new = tx.restamp_of(change["version"])
        if new is None:
            new = make_version(clock.now(), node)
            tx.add_restamp(change["version"], new)
        restamps[change["version"]] = new
        change["version"] = new
    return restamps


def serve_pull(db, link, cursor, limit, tables=None):
    """Return (envelope, changes): changes in the node's scope after hub seq `cursor`.

    The envelope's `last` is the last hub seq scanned, so the node's cursor moves past
    changes out of its scope too; `more` tells whether to ask again; `epochs` says which
    history the seqs belong to (`sync.epoch`). `tables` (a tablet's
    pull) keeps only the changes of those tables.
    """
    path = link["area"].rstrip("/")
    changes = []
    with as_tx(db).reading() as tx:  # `Tx.pull` needs no snapshot
        rows, last = tx.pull(cursor, path, link["link_id"], limit, tables)
        for row in rows:
            if not in_scope(row["area"], path):
                row.update(op=EVICT, data={}, base=None)
            elif row["prev_area"] is not None and not in_scope(row["prev_area"], path):
                # Moved into this scope: the node has never seen the record, send its whole history
                # (applying it again is harmless).
                changes += [_wire(change) for change in tx.history(row["tbl"], row["row_id"], row["seq"])]
            changes.append(_wire(row))
        history = epochs(tx)
    return {"last": max(last, cursor), "more": len(rows) == limit, "epochs": history}, changes


def _wire(change):
    """Return a change-log entry as a pull sends it (without its seq and sender)."""
    return {key: change[key] for key in ("tbl", "row_id", "version", "op", "data", "area", "prev_area", "base")}


def nodes_status(db, not_seen_days=3):
    """Return each enrolled node's last contact, clock skew and cursor, for `village status`."""
    cur = as_tx(db).execute("SELECT node_id, name, area, enrolled_by, enrolled_at, revoked_at, push_cursor, last_seen, "
                     "clock_skew_ms, restamped, kind FROM nodes ORDER BY area, name")
    now = utc_now()
    out = []
    for info in dicts(cur):
        seen = info["last_seen"] and datetime.datetime.fromisoformat(info["last_seen"])
        info["not_seen"] = bool(info["enrolled_at"]) and not info["revoked_at"] and (
            not seen or (now - seen).days >= not_seen_days)
        info["clock_far_ahead"] = (info["clock_skew_ms"] or 0) > FUTURE_LIMIT_MS
        out.append(info)
    return out


def release_held(db, hub_node_id, quarantine_id, by, policy=None, wall=wall_ms, after_apply=None, unseal=None):
    """Check a quarantined change again and apply it; return None, or the Refusal that still holds.

    A release is no way around the checks: it is for a change refused for a reason since fixed
    (its parent record arrived, a clashing code was changed). Raise KeyError when nothing is held.
    `unseal` is receive_push's hook: a change held sealed is opened and checked as at its push.
    """
    entry = get_held(db, quarantine_id)
    if entry is None or entry["state"] != HELD:
        raise KeyError(quarantine_id)
    with writing(db, hub_node_id, wall) as writer:
        db, link = writer.db, writer.tx.get_link(entry["node_id"])
        if link is None:  # held at a village from its hub: checked against the scope the hub granted
            accepted, refused = screen(db, get_meta(db, SCOPE, ""), [entry["change"]], PULLED_OPS, policy,
                                       upward=False)
        else:
            changes, refused = unseal(db, [entry["change"]]) if unseal else ([entry["change"]], [])
            accepted, screened = screen(db, link["area"], changes, OPS, policy)
            refused += screened
        if refused:
            return refused[0][1]
        apply_changes(writer, accepted, entry["node_id"])
        if after_apply is not None:
            after_apply(db, accepted, writer.created)
        decide(db, quarantine_id, RELEASED, by)
    return None


def discard_held(db, quarantine_id, by):
    """Mark a quarantined change discarded (it stays on record); raise KeyError when nothing is held."""
    entry = get_held(db, quarantine_id)
    if entry is None or entry["state"] != HELD:
        raise KeyError(quarantine_id)
    with transaction(db) as tx:
        decide(tx, quarantine_id, DISCARDED, by)
