"""The same batches as the HTTP sync, in signed files carried on a USB stick (sneakernet).

A node exports a *push* bundle: its changes the hub has not acknowledged (after its push
cursor), and its pull cursor. The hub imports it through the same apply function as an HTTP
push (`sync.server.receive_push`) and writes a *reply* bundle: the acknowledgement and the
changes in the node's scope after that pull cursor (`sync.server.serve_pull`). The node
imports the reply. Every import is idempotent and tolerates order: a bundle imported twice,
or an older one after a newer one, changes nothing more.

The file itself, sealed to its receiver and signed by its link, is `sync.bundle_file`. A push
is sealed to the hub's public key (learnt at enrollment: `sync.hub_sealing_key`) and carries
the node's public key; the hub seals the reply to that key. A bundle holds at most
MAX_BUNDLE_BYTES: the changes beyond go in the next one (the cursors make that safe).
"""

from sync import codes
from sync import jobs
from sync.bundle_file import MAX_BUNDLE_BYTES, PUSH, REPLY, Bundle, BundleRefused, write_bundle
from sync.batch import encode
from sync.blobs import is_sha256
from sync.filehub import take_files
from sync.filelane import mark_sent, waiting_count, waiting_files
from sync.changelog import last_seq, writing
from sync.clock import utc_text, wall_ms
from sync.meta import HLC, HUB_SEALING_KEY, LINK_ID, PULL_CURSOR, PUSH_CURSOR, SECRET, get_meta, set_meta
from sync.seal import SealError, load_public, public_text
from sync.links import get_link
from sync.server import SyncRefused, receive_push, serve_pull
from sync.store import transaction

BATCH_CHANGES = 5000
# Room left for the headers and the seal's tags: the payloads of one file stay under this.
PAYLOAD_BUDGET = MAX_BUNDLE_BYTES - 4 * 1024 * 1024
# Files in one bundle: the whole bundle is held in memory while it is sealed; the rest of the
# files go in the next bundle.
FILES_BUDGET = 96 * 1024 * 1024


def _credentials(db):
    link, secret = get_meta(db, LINK_ID), get_meta(db, SECRET)
    if not (link and secret):
        raise BundleRefused(codes.NOT_ENROLLED, "this node holds no hub credentials")
    return link, secret


# --- at the node ----------------------------------------------------------------------------

def export_bundle(db, out, key, store=None):
    """Write a push bundle of the changes the hub has not acknowledged (as many as fit); return a summary.

    `key` is this node's sealing key: the hub seals its reply to its public half. With a blob
    `store`, the files the hub does not hold yet fill what room the changes leave (records first).
    """
    link, secret = _credentials(db)
    hub_key = get_meta(db, HUB_SEALING_KEY)
    try:
        load_public(hub_key)
    except SealError:
        raise BundleRefused("no_hub_key", "enrolled before bundles were sealed") from None
    cursor = start = int(get_meta(db, PUSH_CURSOR, "0"))
    payloads, count, size, more = [], 0, 0, False
    while True:
        changes = jobs.pending(db, cursor, BATCH_CHANGES)
        if not changes:
            break
        end = changes[-1]["seq"]
        payload = encode({"kind": PUSH, "start": cursor, "end": end}, changes)
        if payloads and size + len(payload) > PAYLOAD_BUDGET:
            more = True  # the rest goes in the next bundle, after this one's reply
            break
        payloads.append(payload)
        count, cursor, size = count + len(changes), end, size + len(payload)
    listed, blobs = waiting_files(db, store, min(FILES_BUDGET, PAYLOAD_BUDGET - size)) \
        if store is not None and not more else ([], [])
    inner = {"start": start, "end": cursor, "pull_cursor": int(get_meta(db, PULL_CURSOR, "0")),
             "last_seq": last_seq(db), "files": listed}
    write_bundle(out, secret, hub_key, {"kind": PUSH, "link": link, "reply_key": public_text(key)}, inner,
                 payloads + blobs)
    return {"kind": PUSH, "changes": count, "start": start, "end": cursor, "path": str(out), "more": more,
            "files": len(listed), "files_waiting": waiting_count(db) - len(listed)}


def import_reply(db, node_id, bundle, key, policy=None):
    """Apply a hub's reply bundle at the node: its acknowledgement, then its changes."""
    link, secret = _credentials(db)
    if bundle.header["link"] != link:
        raise BundleRefused("wrong_node", link=bundle.header["link"])
    bundle.check_signature(secret)
    inner, batches, _files = bundle.open(key)
    try:
        ack, pulled, received = dict(inner["ack"]), 0, 0
        held = [sha for sha in ack.get("files_held", []) if is_sha256(sha)]
        hub_clock = int(inner.get("clock") or 0) or None
    except (KeyError, TypeError, ValueError):
        raise BundleRefused("damaged", "no acknowledgement in the reply") from None
    with transaction(db):
        pushed_to = int(get_meta(db, PUSH_CURSOR, "0"))
        if not ack.get("gap"):
            # An older reply imported after a newer one must not move the cursor back.
            ack["cursor"] = max(int(ack["cursor"]), pushed_to)
        # hub_time stays None: a reply carried for days says nothing about the hub's clock offset.
        jobs.acknowledge(db, node_id, ack, hub_clock, None, wall_ms)
        mark_sent(db, held)
        for envelope, changes in batches:
            received += len(changes)
            pulled += _apply_pulled(db, node_id, envelope, changes, hub_clock, policy)
    return {"kind": REPLY, "acknowledged": ack["cursor"], "received": received, "applied": pulled,
            "files_held": len(held)}


def _apply_pulled(db, node_id, envelope, changes, hub_clock, policy=None):
    with writing(db, node_id) as writer:
        applied = jobs.apply_pulled(db, writer, changes, policy)
        cursor = int(get_meta(db, PULL_CURSOR, "0"))
        if int(envelope["start"]) <= cursor:  # never jump over changes we have not seen
            set_meta(db, PULL_CURSOR, str(max(cursor, int(envelope["last"]))))
        if hub_clock:
            writer.clock.observe(hub_clock)
    return applied


# --- at the hub -----------------------------------------------------------------------------

def _link(db, link_id):
    link = get_link(db, link_id)
    if link is None:
        raise BundleRefused("unknown_node", link=link_id)
    if link.get("revoked_at"):
        raise BundleRefused(codes.REVOKED, link=link_id)
    if not link.get("enrolled_by"):
        raise BundleRefused("unknown_node", link=link_id)
    return link


def import_push(db, hub_node_id, bundle, key, reply=None, policy=None, store=None, uploadable=None, check=None):
    """Apply a node's push bundle at the hub, all of it or nothing, and write the reply bundle.

    Then, with a blob `store`, keep the files it carries that a record held here inside the
    sending node's area names (`uploadable(area)` gives that test, the very one the HTTP file
    lane applies) and `check` finds no problem with (`sync.filehub.take_files`); the reply says
    which the hub holds, the summary which it refused and why.
    """
    link = _link(db, bundle.header["link"])
    bundle.check_signature(link["secret"])
    reply_key = bundle.reply_key()
    inner, batches, files = bundle.open(key)
    ack = {"cursor": link["push_cursor"] or 0, "restamped": {}}
    received = applied = 0
    try:
        with transaction(db) as tx:  # a store of many connections: every batch in this one
            for envelope, changes in batches:
                try:
                    done = receive_push(tx, hub_node_id, link, envelope, changes, policy=policy)
                except SyncRefused as exc:
                    if exc.code != codes.GAP:
                        raise
                    # We lack changes before this bundle: the reply makes the node send them again.
                    ack.update(cursor=int(exc.extra["cursor"]), gap=True)
                    break
                ack["cursor"] = done["cursor"]
                ack["restamped"].update(done["restamped"])
                ack.setdefault("refused", []).extend(done["refused"])
                received, applied = received + done["received"], applied + done["applied"]
            tx.execute("UPDATE nodes SET last_seen = ? WHERE node_id = ?", [utc_text(), link["link_id"]])
    except SyncRefused as exc:
        raise BundleRefused(exc.code, exc.message) from None
    taken = take_files(db, store, inner.get("files", []), files, uploadable(link["area"]), check) \
        if store is not None else {"held": [], "new": [], "refused": []}
    ack["files_held"] = taken["held"]
    summary = {"kind": PUSH, "received": received, "applied": applied, "cursor": ack["cursor"],
               "gap": bool(ack.get("gap")), "reply": None, "sent": 0, "files": len(taken["held"]),
               "files_new": len(taken["new"]), "files_refused": taken["refused"]}
    if reply is not None:
        try:
            summary["sent"] = write_reply(db, link, int(inner.get("pull_cursor", 0)), ack, reply, reply_key)
        except OSError as exc:
            # The import is committed; importing the same bundle again applies nothing twice.
            raise BundleRefused("reply_failed", exc.strerror or str(exc), path=str(reply)) from None
        summary["reply"] = str(reply)
    return summary


def write_reply(db, link, pull_cursor, ack, out, reply_key):
    """Write the reply bundle for `link`, sealed to `reply_key`: `ack` and its changes after hub seq `pull_cursor`."""
    payloads, count, cursor, size = [], 0, pull_cursor, 0
    while True:
        envelope, changes = serve_pull(db, link, cursor, BATCH_CHANGES)
        payloads.append(encode({"kind": REPLY, "start": cursor, "last": envelope["last"]}, changes))
        count, cursor, size = count + len(changes), envelope["last"], size + len(payloads[-1])
        # Past half the budget stop, so the last batch added cannot overflow the file; the
        # node's pull cursor moves only as far as this reply goes, the next one brings the rest.
        if not envelope["more"] or size > PAYLOAD_BUDGET // 2:
            break
    inner = {"ack": ack, "clock": int(get_meta(db, HLC, "0"))}
    write_bundle(out, link["secret"], reply_key, {"kind": REPLY, "link": link["link_id"]}, inner, payloads)
    return count



def import_bundle(db, node_id, path, reply=None, policy=None, key=None, store=None, uploadable=None, check=None):
    """Import the bundle at `path` (a push at a hub, a reply at a node) with private key `key`; return a summary.

    `store`, `uploadable` and `check`: where a hub keeps the files a push carries, and which it takes.
    """
    bundle = Bundle(path)
    if bundle.kind == PUSH:
        return import_push(db, node_id, bundle, key, reply, policy, store, uploadable, check)
    return import_reply(db, node_id, bundle, key, policy)
