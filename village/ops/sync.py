"""A node's sync with its hub, as the CLI, the scheduler and the clerk's button run it."""
import contextlib
import fcntl
import secrets

from sync.clock import utc_text, wall_ms
from sync.jobs import SCOPE, pending_count, sync_once
from sync.meta import all_meta, get_meta, set_meta
from sync.scope import inside
from sync.store import transaction
from sync.transport import HubClient, Refused, TransportError, Unreachable
from village.errors import Problem, refusal
from village.node import open_db
from village.records import trust

LOCK_FILE = "sync.lock"
CREDENTIALS = ("sync.hub_url", "sync.link_id", "sync.secret")
CLAIM_KEY = "sync.enroll_claim"


class SyncBusy(Exception):
    """Another sync round is running on this data directory."""


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
    meta = all_meta(db, "sync.")
    if not all(meta.get(key) for key in CREDENTIALS):
        return None
    return HubClient(meta["sync.hub_url"], meta["sync.link_id"], meta["sync.secret"],
                     ca_file=node.setting("hub_ca_file") or None, wall=wall)


def run_sync(node, progress=None, wall=wall_ms):
    """Run one full sync round; return {"ok", "pushed", "pulled", "pending", "error", "code"}.

    `ok` is True only when the round ended fully in sync. Never raises for a network or hub
    problem: it is reported in the result and in the node's status (sync.last_error).
    """
    result = {"ok": False, "pushed": 0, "pulled": 0, "pending": None, "error": None, "code": None}
    try:
        with round_lock(node):
            db = open_db(node)
            try:
                return _round(node, db, result, progress, wall)
            finally:
                db.close()
    except SyncBusy:
        result.update(code="busy", error="another sync round is running on this node")
        return result


def _round(node, db, result, progress, wall):
    client = hub_client(node, db, wall)
    if client is None:
        result.update(code="not_enrolled", error="this node is not enrolled at a hub", pending=pending_count(db))
        return result
    try:
        counts = sync_once(db, node.node_id, client, progress, wall, policy=trust.policy)
    except TransportError as exc:
        result.update(code=exc.code, error=exc.message, pending=pending_count(db))
        with transaction(db):
            set_meta(db, "sync.last_error", f"{utc_text()} {exc.code}: {exc.message}")
        return result
    result.update(counts, ok=counts["pending"] == 0, bytes_sent=client.bytes_sent,
                  bytes_received=client.bytes_received)
    with transaction(db):
        set_meta(db, "sync.last_success", utc_text())
        db.execute("DELETE FROM _sync_meta WHERE key = 'sync.last_error'")
    return result



def probe(node):
    """Return True when the node's hub answers (the cheap reachability probe)."""
    db = open_db(node)
    try:
        client = hub_client(node, db)
    finally:
        db.close()
    if client is None:
        return False
    try:
        client.ping()
        return True
    except TransportError:
        return False


def enroll(node, db, hub_url, code, insecure=False):
    """Obtain this node's credentials from the hub with a one-time code and store them.

    A plain http:// hub would see the node's secret travel in clear: refused unless `insecure`.
    """
    if not hub_url.lower().startswith("https://") and not insecure:
        raise Problem("enroll.insecure", url=hub_url)
    client = HubClient(hub_url, ca_file=node.setting("hub_ca_file") or None)
    with transaction(db):
        # Kept until enrolled: a retry after a lost answer proves with it that it is the first sender.
        claim = get_meta(db, CLAIM_KEY) or secrets.token_urlsafe(24)
        set_meta(db, CLAIM_KEY, claim)
    try:
        answer = client.enroll(code, node.node_id, claim)
    except Unreachable as exc:
        raise Problem("enroll.unreachable", url=hub_url, error=exc.message) from None
    except Refused as exc:
        raise refusal("enroll", exc.code, error=exc.message) from None
    if not inside(node.area, answer["area"]):
        raise Problem("enroll.wrong_area", granted=answer["area"], area=node.area)
    with transaction(db):
        if get_meta(db, "sync.link_id") != answer["node_id"]:
            # A new link starts from nothing: the new hub holds none of our changes yet.
            for key in ("sync.push_cursor", "sync.pull_cursor"):
                set_meta(db, key, "0")
        for key, value in (("sync.hub_url", hub_url.rstrip("/")), ("sync.link_id", answer["node_id"]),
                           ("sync.secret", answer["secret"]), ("sync.hub_node_id", answer["hub_node_id"]),
                           ("sync.hub_name", answer.get("hub_name", "")), (SCOPE, answer["area"]),
                           ("sync.hub_sealing_key", str(answer.get("hub_sealing_key") or ""))):
            set_meta(db, key, value)
    return answer
