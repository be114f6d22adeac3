"""The same batches as the HTTP sync, in signed files carried on a USB stick (sneakernet).

A node exports a *push* bundle: its changes the hub has not acknowledged (after its push
cursor), and its pull cursor. The hub imports it through the same apply function as an HTTP
push (`sync.server.receive_push`) and writes a *reply* bundle: the acknowledgement and the
changes in the node's scope after that pull cursor (`sync.server.serve_pull`). The node
imports the reply. Every import is idempotent and tolerates order: a bundle imported twice,
or an older one after a newer one, changes nothing more.

File layout (one batch format, `sync.batch`):

    VILLAGE-BUNDLE/1\\n
    {"kind": ..., "link": ..., "sizes": [...], "sig": ..., ...}\\n   (one line of JSON)
    batch bytes, batch bytes, ...                                  (sizes[i] bytes each)

`sig` is the HMAC-SHA256 (`sync.auth.sign`) with the node's sync secret over the header
without `sig` and all batch bytes; a file that does not match is refused before anything
is read from its batches.
"""
import datetime
import json
import os
import types
from pathlib import Path

from sync import jobs
from sync.auth import sign, signature_ok
from sync.batch import BadBatch, apply_changes, decode, encode
from sync.changelog import last_seq, writing
from sync.clock import wall_ms
from sync.meta import get_meta, set_meta
from sync.server import SyncRefused, receive_push, serve_pull
from sync.store import transaction

MAGIC = b"VILLAGE-BUNDLE/1\n"
PUSH, REPLY = "push", "reply"
BATCH_CHANGES = 5000
MAX_HEADER = 64 * 1024


class BundleRefused(Exception):
    """A bundle that cannot be exported or imported; nothing was changed. `code` says why."""

    def __init__(self, code, detail="", **params):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code, self.detail, self.params = code, detail, params


# --- the file -------------------------------------------------------------------------------

def _signed_bytes(header, payloads):
    unsigned = {k: v for k, v in header.items() if k != "sig"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":")).encode() + b"\n" + b"".join(payloads)


def _signature(secret, header, payloads):
    return sign(secret, "BUNDLE", header["kind"], _signed_bytes(header, payloads), "", header["link"])


def write_bundle(path, secret, header, payloads):
    """Write a signed bundle file atomically (a half-written file never has the final name)."""
    header = dict(header, sizes=[len(p) for p in payloads])
    header["sig"] = _signature(secret, header, payloads)
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as out:
        out.write(MAGIC)
        out.write(json.dumps(header, sort_keys=True, separators=(",", ":")).encode() + b"\n")
        for payload in payloads:
            out.write(payload)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    return path


def read_bundle(path):
    """Return (header, payloads) of a bundle file, unchecked; raise BundleRefused("damaged")."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise BundleRefused("unreadable", str(exc)) from None
    if not raw.startswith(MAGIC):
        raise BundleRefused("damaged", "not a bundle file")
    end = raw.find(b"\n", len(MAGIC), len(MAGIC) + MAX_HEADER)
    try:
        header = json.loads(raw[len(MAGIC):end])
        sizes = [int(s) for s in header["sizes"]]
        str(header["link"]), str(header["kind"]), str(header["sig"])
    except (ValueError, KeyError, TypeError):
        raise BundleRefused("damaged", "unreadable header") from None
    body, payloads, at = raw[end + 1:], [], 0
    for size in sizes:
        payloads.append(body[at:at + size])
        at += size
    if at != len(body) or any(s < 0 for s in sizes):
        raise BundleRefused("damaged", "truncated or padded")
    return header, payloads


def check_signature(secret, header, payloads):
    """Raise BundleRefused("tampered") unless the bundle was signed with `secret`."""
    if not signature_ok(secret, header["sig"], "BUNDLE", header["kind"], _signed_bytes(header, payloads), "",
                        header["link"]):
        raise BundleRefused("tampered", "the signature does not match the contents")


def _decode_all(payloads):
    try:
        return [decode(p) for p in payloads]
    except BadBatch as exc:
        raise BundleRefused("damaged", str(exc)) from None


def _credentials(db):
    link, secret = get_meta(db, "sync.link_id"), get_meta(db, "sync.secret")
    if not (link and secret):
        raise BundleRefused("not_enrolled", "this node holds no hub credentials")
    return link, secret


# --- at the node ----------------------------------------------------------------------------

def export_bundle(db, out):
    """Write a push bundle of every change the hub has not acknowledged; return a summary."""
    link, secret = _credentials(db)
    cursor = start = int(get_meta(db, jobs.PUSH_CURSOR, "0"))
    payloads, count = [], 0
    while True:
        changes = jobs.pending(db, cursor, BATCH_CHANGES)
        if not changes:
            break
        end = changes[-1]["seq"]
        payloads.append(encode({"kind": PUSH, "start": cursor, "end": end}, changes))
        count, cursor = count + len(changes), end
    header = {"kind": PUSH, "link": link, "start": start, "end": cursor,
              "pull_cursor": int(get_meta(db, jobs.PULL_CURSOR, "0")), "last_seq": last_seq(db)}
    write_bundle(out, secret, header, payloads)
    return {"kind": PUSH, "changes": count, "start": start, "end": cursor, "path": str(out)}


def import_reply(db, node_id, header, payloads):
    """Apply a hub's reply bundle at the node: its acknowledgement, then its changes."""
    link, secret = _credentials(db)
    if header["link"] != link:
        raise BundleRefused("wrong_node", link=header["link"])
    check_signature(secret, header, payloads)
    batches = _decode_all(payloads)
    ack, pulled = dict(header["ack"]), 0
    hub = types.SimpleNamespace(hub_clock=int(header.get("clock") or 0) or None, hub_time=None)
    with transaction(db):
        pushed_to = int(get_meta(db, jobs.PUSH_CURSOR, "0"))
        if not ack.get("gap"):
            # An older reply imported after a newer one must not move the cursor back.
            ack["cursor"] = max(int(ack["cursor"]), pushed_to)
        # hub_time stays None: a reply carried for days says nothing about the hub's clock offset.
        jobs.acknowledge(db, node_id, hub, ack, wall_ms)
        for envelope, changes in batches:
            pulled += _apply_pulled(db, node_id, envelope, changes, hub.hub_clock)
    return {"kind": REPLY, "acknowledged": ack["cursor"], "received": sum(len(c) for _, c in batches),
            "applied": pulled}


def _apply_pulled(db, node_id, envelope, changes, hub_clock):
    with writing(db, node_id) as writer:
        applied = apply_changes(writer, changes, jobs.UP)
        cursor = int(get_meta(db, jobs.PULL_CURSOR, "0"))
        if int(envelope["start"]) <= cursor:  # never jump over changes we have not seen
            set_meta(db, jobs.PULL_CURSOR, str(max(cursor, int(envelope["last"]))))
        if hub_clock:
            writer.clock.observe(hub_clock)
    return applied


# --- at the hub -----------------------------------------------------------------------------

def _link(db, link_id):
    cur = db.execute("SELECT * FROM nodes WHERE node_id = ?", [link_id])
    row = cur.fetchone()
    if row is None:
        raise BundleRefused("unknown_node", link=link_id)
    link = dict(zip([d[0] for d in cur.description], row))
    if link.get("revoked_at"):
        raise BundleRefused("revoked", link=link_id)
    if not link.get("enrolled_by"):
        raise BundleRefused("unknown_node", link=link_id)
    return link


def import_push(db, hub_id, header, payloads, reply=None):
    """Apply a node's push bundle at the hub, all of it or nothing, and write the reply bundle."""
    link = _link(db, header["link"])
    check_signature(link["secret"], header, payloads)
    batches = _decode_all(payloads)
    ack = {"cursor": link["push_cursor"] or 0, "restamped": {}}
    received = applied = 0
    try:
        with transaction(db):
            for envelope, changes in batches:
                try:
                    done = receive_push(db, hub_id, link, envelope, changes)
                except SyncRefused as exc:
                    if exc.code != "gap":
                        raise
                    # We lack changes before this bundle: the reply makes the node send them again.
                    ack.update(cursor=int(exc.extra["cursor"]), gap=True)
                    break
                ack["cursor"] = done["cursor"]
                ack["restamped"].update(done["restamped"])
                received, applied = received + done["received"], applied + done["applied"]
            db.execute("UPDATE nodes SET last_seen = ? WHERE node_id = ?", [_now_iso(), link["node_id"]])
    except SyncRefused as exc:
        raise BundleRefused(exc.code, exc.message) from None
    summary = {"kind": PUSH, "received": received, "applied": applied, "cursor": ack["cursor"],
               "gap": bool(ack.get("gap")), "reply": None, "sent": 0}
    if reply is not None:
        summary["sent"] = write_reply(db, link, int(header.get("pull_cursor", 0)), ack, reply)
        summary["reply"] = str(reply)
    return summary


def write_reply(db, link, pull_cursor, ack, out):
    """Write the reply bundle for `link`: `ack` and its changes after hub seq `pull_cursor`."""
    payloads, count, cursor = [], 0, pull_cursor
    while True:
        envelope, changes = serve_pull(db, link, cursor, BATCH_CHANGES)
        payloads.append(encode({"kind": REPLY, "start": cursor, "last": envelope["last"]}, changes))
        count, cursor = count + len(changes), envelope["last"]
        if not envelope["more"]:
            break
    header = {"kind": REPLY, "link": link["node_id"], "ack": ack, "clock": int(get_meta(db, "hlc", "0"))}
    write_bundle(out, link["secret"], header, payloads)
    return count


def _now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def import_bundle(db, node_id, path, reply=None):
    """Import the bundle at `path` (a push at a hub, a reply at a node); return a summary."""
    header, payloads = read_bundle(path)
    if header["kind"] == PUSH:
        return import_push(db, node_id, header, payloads, reply)
    if header["kind"] == REPLY:
        return import_reply(db, node_id, header, payloads)
    raise BundleRefused("damaged", f"unknown bundle kind {header['kind']!r}")
