"""A node's sync with its hub, as the CLI, the scheduler and the clerk's button run it."""
import contextlib
import dataclasses
import fcntl
import secrets
from dataclasses import dataclass, field
from typing import Optional

from sync import codes
from sync.clock import utc_text, wall_ms
from sync.jobs import pending_count, sync_once
from sync.meta import (CREDENTIALS, ENROLL_CLAIM, HUB_NAME, HUB_NODE_ID, HUB_SEALING_KEY, HUB_URL, LAST_ERROR,
                       LAST_SUCCESS, LINK_ID, LINK_PREFIX, PULL_CURSOR, PUSH_CURSOR, SCOPE, SECRET, all_meta, delete_meta,
                       get_meta, set_meta)
from sync.scope import inside
from sync.store import transaction
from sync.transport import HubClient, Refused, TransportError, Unreachable
from village.errors import Problem, refusal
from village.hubdb import close_store, sync_store
from village.node import open_db
from village.ops import station
from village.records import evidence, receipts, trust

LOCK_FILE = "sync.lock"


class SyncBusy(Exception):
    """Another sync round is running on this data directory."""


@dataclass(frozen=True)
class SyncResult:
    """How one sync round ended; `code` is None (codes.OK) or one of the names in `sync.codes`.

    `ok` is True only when the round ended fully in sync; `pending` is None when unknown.
    """

    ok: bool = False
    code: Optional[str] = codes.OK
    pushed: int = 0
    pulled: int = 0
    pending: Optional[int] = None
    error: Optional[str] = None
    bytes_sent: int = 0
    bytes_received: int = 0
    refused: list = field(default_factory=list)  # the changes of ours the hub refused this round
    files_sent: int = 0
    files_received: int = 0
    files_waiting: int = 0  # evidence files the hub does not hold yet (sent at a later round)


@contextlib.contextmanager
def round_lock(node):
    """Hold the data directory's sync lock for one round (raise SyncBusy when it is taken)."""
    with open(node.data_dir / LOCK_FILE, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SyncBusy() from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def hub_client(node, db, wall=wall_ms):
    """Return a HubClient with the node's stored credentials, or None when not enrolled."""
    meta = all_meta(db, LINK_PREFIX)
    if not all(meta.get(key) for key in CREDENTIALS):
        return None
    return HubClient(meta[HUB_URL], meta[LINK_ID], meta[SECRET], ca_file=node.setting("hub_ca_file") or None, wall=wall)


def run_sync(node, progress=None, wall=wall_ms, db=None):
    """Run one full sync round on `db` (opened here when None); return a SyncResult.

    Never raises for a network or hub problem: it is reported in the result and in the node's
    status (sync.last_error). A caller that keeps the database open (the scheduler, the CLI)
    passes it, so it is not opened and its schema not checked again for every round.
    """
    try:
        with round_lock(node):
            if db is not None:
                return _round(node, db, progress, wall)
            db = open_db(node)
            store = None
            try:
                store = sync_store(node, db)  # a county hub's PostgreSQL store, syncing with the hub above
                return _round(node, store, progress, wall)
            finally:
                if store is not None:
                    close_store(store, db)
                db.close()
    except SyncBusy:
        return SyncResult(code=codes.BUSY, error="another sync round is running on this node")


def _round(node, db, progress, wall):
    client = hub_client(node, db, wall)
    if client is None:
        return SyncResult(code=codes.NOT_ENROLLED, error="this node is not enrolled at a hub",
                          pending=pending_count(db))
    try:
        counts = sync_once(db, node.node_id, client, progress, wall, policy=trust.policy, store=evidence.store(node),
                           wanted=evidence.wanted, status=station.report(node))
        if receipts.note(db, node, "delivered_at"):
            # Alerts just received: their receipts go up in this round, not minutes later at the next.
            first = counts
            counts = sync_once(db, node.node_id, client, progress, wall, policy=trust.policy,
                               store=evidence.store(node), wanted=evidence.wanted, status=station.report(node))
            counts = dataclasses.replace(counts, pushed=counts.pushed + first.pushed,
                                         pulled=counts.pulled + first.pulled, refused=first.refused + counts.refused)
    except TransportError as exc:
        with transaction(db) as tx:
            set_meta(tx, LAST_ERROR, f"{utc_text()} {exc.code}: {exc.message}")
        return SyncResult(code=exc.code, error=exc.message, pending=pending_count(db),
                          bytes_sent=client.bytes_sent, bytes_received=client.bytes_received)
    files = counts.files_error
    with transaction(db) as tx:
        set_meta(tx, LAST_SUCCESS, utc_text())  # the records are through, whatever became of the files
        if files is None:
            delete_meta(tx, LAST_ERROR)
        else:
            set_meta(tx, LAST_ERROR, f"{utc_text()} {codes.FILES_WAITING}: {files.code}: {files.message}")
    return SyncResult(ok=counts.pending == 0 and files is None, pushed=counts.pushed, pulled=counts.pulled,
                      pending=counts.pending, bytes_sent=client.bytes_sent, bytes_received=client.bytes_received,
                      refused=counts.refused, files_sent=counts.files_sent,
                      files_received=counts.files_received, files_waiting=counts.files_waiting,
                      code=codes.FILES_WAITING if files is not None and not counts.pending else codes.OK,
                      error=files.message if files is not None else None)



def enroll(node, db, hub_url, code, insecure=False):
    """Obtain this node's credentials from the hub with a one-time code and store them.

    A plain http:// hub would see the node's secret travel in clear: refused unless `insecure`.
    """
    if not hub_url.lower().startswith("https://") and not insecure:
        raise Problem("enroll.insecure", url=hub_url)
    client = HubClient(hub_url, ca_file=node.setting("hub_ca_file") or None)
    with transaction(db) as tx:
        # Kept until enrolled: a retry after a lost answer proves with it that it is the first sender.
        claim = get_meta(tx, ENROLL_CLAIM) or secrets.token_urlsafe(24)
        set_meta(tx, ENROLL_CLAIM, claim)
    try:
        answer = client.enroll(code, node.node_id, claim)
    except Unreachable as exc:
        raise Problem("enroll.unreachable", url=hub_url, error=exc.message) from None
    except Refused as exc:
        raise refusal("enroll", exc.code, error=exc.message) from None
    if not inside(node.area, answer["area"]):
        raise Problem("enroll.wrong_area", granted=answer["area"], area=node.area)
    with transaction(db) as tx:
        if get_meta(tx, LINK_ID) != answer["node_id"]:
            # A new link starts from nothing: the new hub holds none of our changes yet.
            for key in (PUSH_CURSOR, PULL_CURSOR):
                set_meta(tx, key, "0")
        for key, value in ((HUB_URL, hub_url.rstrip("/")), (LINK_ID, answer["node_id"]),
                           (SECRET, answer["secret"]), (HUB_NODE_ID, answer["hub_node_id"]),
                           (HUB_NAME, answer.get("hub_name", "")), (SCOPE, answer["area"]),
                           (HUB_SEALING_KEY, str(answer.get("hub_sealing_key") or ""))):
            set_meta(tx, key, value)
    return answer
