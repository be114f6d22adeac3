"""The hub's sync endpoints under /sync/: ping, enroll, push, pull, a tablet's snapshot and conflicts, the file lane's.

See docs/sync.md.
"""
import json
import logging

from flask import Blueprint, Response, current_app, jsonify, request

from sync import codes
from sync.auth import issue_nonce, nonce_key
from sync.batch import BadBatch, decode, encode
from sync.changelog import UnknownTable
from sync.clock import stored_stamp, wall_ms
from sync.epoch import epochs
from sync.filehub import check_piece, files_status, receive_piece, serve_piece
from sync.links import admitted, authenticate, identify, verify
from sync.server import TABLET, SyncRefused, enroll, last_push, receive_push, serve_pull
from sync.screen import whole_number
from sync.snapshot import page_after, serve_snapshot
from sync.store import transaction
from sync.stores import as_tx
from village.web.db import get_db, get_store
from village.web.errors import json_error
from village.web.ratelimit import FailureLimit
from village.ops import station
from village.records import evidence, rollups, trust
from village.web.extensions import csrf
from village.field import conflicts as field_conflicts
from village.field.outbox import active_workers, unsealer_for
from village.keys import public_key_text
from village.records.schema import TABLET_HOLDS

bp = Blueprint("sync", __name__, url_prefix="/sync")
log = logging.getLogger("village.sync")
csrf.exempt(bp)  # machine-to-machine: every request is signed instead
MAX_BODY = 16 * 1024 * 1024
MAX_PULL = 20_000
# Failed enrollments per address per minute: a code has 32^12 values, so this makes guessing
# hopeless, while a clerk who mistypes a code twice is not held up.
ENROLL_FAILURES_PER_MINUTE = 10


@bp.record_once
def _install(state):
    state.app.extensions["enroll_limit"] = FailureLimit(per_minute=ENROLL_FAILURES_PER_MINUTE)


@bp.errorhandler(SyncRefused)
def refused(exc):
    """Answer a refusal with the one JSON error shape."""
    return json_error(exc.status, exc.code, exc.message, **exc.extra)


@bp.errorhandler(BadBatch)
@bp.errorhandler(UnknownTable)
def bad_batch(exc):
    """Answer an unreadable batch, or one naming a table or field this hub does not sync."""
    return json_error(400, codes.BAD_BATCH, f"the batch could not be read or applied: {exc}")


@bp.before_request
def limit_body():
    """Hold a sync request to MAX_BODY: larger than a page's limit (the app's MAX_CONTENT_LENGTH)."""
    request.max_content_length = MAX_BODY


@bp.after_request
def stamp(response):
    """Give every answer a fresh nonce, the hub's wall time and its clock."""
    db = get_store()
    response.headers["X-Sync-Nonce"] = issue_nonce(_nonce_key(db))
    response.headers["X-Sync-Time"] = str(wall_ms())
    with as_tx(db).reading() as tx:
        response.headers["X-Sync-Clock"] = f"{stored_stamp(tx):016x}"
    return response


def _nonce_key(db):
    """Return the hub's nonce key (made, in a write transaction, only the first time it is needed)."""
    if "sync_nonce_key" not in current_app.extensions:
        with transaction(db) as tx:
            current_app.extensions["sync_nonce_key"] = nonce_key(tx)
    return current_app.extensions["sync_nonce_key"]


def _body():
    if (request.content_length or 0) > MAX_BODY:
        raise SyncRefused(413, codes.TOO_LARGE, "the batch is too large; send smaller batches")
    return request.get_data(cache=True)


def _signed():
    """Return (link id, signature, method, path, body, nonce) of this request, as `sync.server` checks them."""
    headers = request.headers
    return (headers.get("X-Sync-Node"), headers.get("X-Sync-Signature"), request.method, request.path, _body(),
            headers.get("X-Sync-Nonce"))


def _node_wall():
    """Return the wall time (ms) the caller sent, or None."""
    sent_time = request.headers.get("X-Sync-Time", "")
    # A wall time is 13 digits; anything longer is not one (and would not fit a column).
    return int(sent_time) if sent_time.isdigit() and len(sent_time) <= 15 else None


@bp.get("/ping")
def ping():
    """Answer the reachability probe (and hand out the first nonce).

    A ping signed by an enrolled node also gets `last_push`: what the hub last committed of
    that node's pushes, so an answer lost on the way need not cost the whole batch again.
    """
    node = current_app.config["NODE"]
    answer = {"ok": True, "node_id": node.node_id, "role": node.role, "time": wall_ms()}
    headers = request.headers
    link = identify(get_store(), headers.get("X-Sync-Node"), headers.get("X-Sync-Signature"), "GET", request.path,
                    b"", headers.get("X-Sync-Nonce")) if headers.get("X-Sync-Signature") else None
    if link is not None:
        answer["last_push"] = last_push(link)
    with as_tx(get_store()).reading() as tx:
        answer["epochs"] = epochs(tx)  # which history this hub holds (sync.epoch)
    if link is not None and link.get("kind") == TABLET:
        # Who may still work on the village's tablets: a tablet forgets a worker missing here once their work
        # is pushed (the answer comes over the node's HTTPS, from a ping signed with the tablet's secret).
        answer["workers"] = active_workers(get_db())
    return jsonify(answer)


@bp.post("/enroll")
def enroll_node():
    """Exchange a one-time enrollment code for a node's credentials (rate-limited per address)."""
    ip, limit = request.remote_addr or "-", current_app.extensions["enroll_limit"]
    if not limit.allow(ip):
        log.warning("enrollment refused: too many attempts from %s", ip)
        raise SyncRefused(429, codes.SLOW_DOWN, "too many enrollment attempts from this address; wait a minute")
    try:
        asked = json.loads(_body())
        code, enroller, claim = str(asked["code"])[:64], str(asked["node_id"])[:64], asked.get("claim")
    except (ValueError, KeyError, TypeError, AttributeError):
        raise SyncRefused(400, codes.BAD_REQUEST, "send {\"code\": ..., \"node_id\": ..., \"claim\": ...}") from None
    hub = current_app.config["NODE"]
    try:
        answer = enroll(get_store(), code, enroller, claim)
    except SyncRefused as exc:
        limit.fail(ip)
        log.warning("enrollment attempt from %s refused: %s", ip, exc.code)
        raise
    log.info("node %s enrolled from %s", answer["node_id"], ip)
    return jsonify({**answer, "hub_node_id": hub.node_id, "hub_area": hub.area, "hub_name": hub.name,
                    "hub_sealing_key": public_key_text(hub.data_dir)})  # USB bundles are sealed to it


@bp.post("/push")
def push():
    """Apply one batch of the caller's changes, commit, then acknowledge.

    One write transaction: the request's nonce is consumed together with the apply.
    """
    db, signed = get_store(), _signed()
    link = verify(db, *signed)
    with admitted(db, link, signed[-1], _node_wall(), _nonce_key(db)) as tx:
        envelope, changes = decode(_body())
        ack = receive_push(tx, current_app.config["NODE"].node_id, link, envelope, changes,
                           policy=trust.policy_for(link),
                           status_check=station.check_report, after_apply=rollups.after_apply,
                           unseal=_unseal_for(link))
    return jsonify(ack)


def _unseal_for(link):
    """Return the hook that opens a tablet's sealed outbox entries (None for a node of the tier below)."""
    return unsealer_for(current_app.config["NODE"], link)


@bp.post("/pull")
def pull():
    """Send the changes in the caller's scope after its cursor."""
    link = authenticate(get_store(), *_signed(), _node_wall(), _nonce_key(get_store()))
    try:
        asked = json.loads(_body())
        cursor = whole_number(asked["cursor"], "cursor")
        limit = min(whole_number(asked.get("limit", 1000), "limit", low=1), MAX_PULL)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise SyncRefused(400, codes.BAD_REQUEST, "send {\"cursor\": whole number, \"limit\": whole number}") from None
    tables = TABLET_HOLDS if link.get("kind") == TABLET else None  # a tablet holds its workers' assignment
    envelope, changes = serve_pull(get_store(), link, cursor, limit, tables)
    return Response(encode(envelope, changes), mimetype="application/x-village-batch")


@bp.post("/snapshot")
def snapshot():
    """Send an enrolled tablet one page of its first load: the live records it holds, and the cursor to pull on from."""
    link = authenticate(get_store(), *_signed(), _node_wall(), _nonce_key(get_store()))
    if link.get("kind") != TABLET:  # a village starts from its county's log; only a tablet loads a copy
        raise SyncRefused(403, codes.NOT_A_TABLET, "only an enrolled tablet loads a snapshot")
    try:
        asked = json.loads(_body())
        after = page_after(asked.get("after"), TABLET_HOLDS)
        limit = min(whole_number(asked.get("limit", 1000), "limit", low=1), MAX_PULL)
    except (ValueError, TypeError, AttributeError):
        raise SyncRefused(400, codes.BAD_REQUEST, "send {\"after\": null or [table, id], \"limit\": whole number}") from None
    envelope, changes = serve_snapshot(get_store(), link, after, limit, TABLET_HOLDS)
    return Response(encode(envelope, changes), mimetype="application/x-village-batch")


@bp.post("/conflicts")
def conflicts():
    """Send an enrolled tablet the standing conflicts on the records it holds, inside its own area only."""
    link = authenticate(get_store(), *_signed(), _node_wall(), _nonce_key(get_store()))
    if link.get("kind") != TABLET:
        raise SyncRefused(403, codes.NOT_A_TABLET, "only an enrolled tablet is sent the conflicts of its records")
    return jsonify(field_conflicts.for_tablet(get_db(), current_app.config["NODE"], link))


@bp.post("/files/have")
def files_have():
    """Say which of the caller's files the hub holds, wants (from which byte) or knows no record of."""
    link = authenticate(get_store(), *_signed(), _node_wall(), _nonce_key(get_store()))
    try:
        items = json.loads(_body())["files"]
    except (ValueError, KeyError, TypeError):
        raise SyncRefused(400, codes.BAD_REQUEST, "send {\"files\": [[sha256, size], ...]}") from None
    node = current_app.config["NODE"]
    return jsonify(files_status(get_store(), evidence.store(node), items, evidence.uploadable(link["area"])))


def _whole_numbers(*texts):
    """Return the path's size and offset as numbers (ASCII digits only), or refuse the request."""
    if not all(text.isascii() and text.isdigit() and len(text) <= 15 for text in texts):
        raise SyncRefused(400, codes.BAD_REQUEST, "a file's size and a piece's offset are whole numbers")
    return [int(text) for text in texts]


@bp.post("/files/get/<sha>/<size>/<offset>")
def file_get(sha, size, offset):
    """Send one piece of a file named by a record in the caller's scope."""
    size, offset = _whole_numbers(size, offset)
    link = authenticate(get_store(), *_signed(), _node_wall(), _nonce_key(get_store()))
    if link.get("kind") == TABLET:  # a tablet sends its photos up; the village's evidence never goes down to one
        raise SyncRefused(409, codes.FILE_UNKNOWN, "a tablet fetches no files")
    node = current_app.config["NODE"]
    data = serve_piece(get_store(), evidence.store(node), link, sha, size, offset, evidence.readable)
    return Response(data, mimetype="application/octet-stream")


@bp.post("/files/<sha>/<size>/<offset>")
def file_piece(sha, size, offset):
    """Take one piece of a file: bytes `offset`.. of the file `sha` of `size` bytes (the body).

    Only a file named by a record inside the caller's area is taken, and kept only when it is the
    kind of file that record says (`evidence.content_problem`).
    """
    size, offset = _whole_numbers(size, offset)
    check_piece(sha, size, offset, request.content_length or 0)  # before a byte of it is read
    link = authenticate(get_store(), *_signed(), _node_wall(), _nonce_key(get_store()))
    node = current_app.config["NODE"]
    answer = receive_piece(get_store(), evidence.store(node), sha, size, offset, _body(),
                           evidence.uploadable(link["area"]), evidence.content_problem)
    if answer["done"]:
        log.info("file %s (%s bytes) received from node %s", sha[:12], size, link["link_id"])
    return jsonify(answer)
