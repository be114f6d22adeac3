"""The hub's enrolled links and the requests signed by them: who signed, and the nonce used once.

A *link* is the hub's row of one enrollment (table `nodes`), as a dict, with its link id also
under "link_id". Requests are signed with the link's secret (`sync.auth`); a request is
verified first (nothing written), then admitted: its nonce consumed, inside the transaction of
the work it asks for when it writes (see `admitted`).
"""
import contextlib

from sync import codes
from sync.auth import nonce_issued, nonce_key, oldest_kept, signature_ok
from sync.clock import utc_text, wall_ms
from sync.server import SyncRefused
from sync.store import transaction
from sync.stores import as_tx


def get_link(db, link_id):
    """Return the hub's row of one enrollment as a dict (its link id also under "link_id"), or None."""
    with as_tx(db).reading() as tx:
        return tx.get_link(link_id)


def _signer(db, link_id, signature, method, path, body, nonce):
    """Return the link whose secret made `signature`, revoked or not; else None."""
    link = get_link(db, link_id)
    if link is None or not link["enrolled_by"] or \
            not signature_ok(link["secret"], signature, method, path, body, nonce or "", link_id):
        return None
    return link


def identify(db, link_id, signature, method, path, body, nonce):
    """Return the unrevoked link that signed this request, else None; the nonce is not consumed.

    For requests that change nothing (a ping): replaying one only shows its answer again.
    """
    link = _signer(db, link_id, signature, method, path, body, nonce)
    return link if link and not link["revoked_at"] else None


def verify(db, link_id, signature, method, path, body, nonce):
    """Return the unrevoked link that signed this request; raise SyncRefused otherwise. Writes nothing."""
    link = _signer(db, link_id, signature, method, path, body, nonce)
    if link is None:
        raise SyncRefused(401, codes.BAD_CREDENTIALS, "the request is not signed with valid node credentials")
    if link["revoked_at"]:
        raise SyncRefused(403, codes.REVOKED, "this node's credentials were revoked at the hub")
    return link


def admit(db, link, nonce, node_wall_ms=None, key=None):
    """Consume a verified request's nonce and note the contact (inside the caller's transaction).

    A valid signature over a used or unknown nonce is a replay (401, stale_nonce). `key` is the
    hub's nonce key (`sync.auth.nonce_key`), read from `db` when not given.
    """
    now = wall_ms()
    issued = nonce_issued(key or nonce_key(db), nonce, now)
    skew = None if node_wall_ms is None else node_wall_ms - now
    if issued is None or not as_tx(db).admit(link["link_id"], nonce, issued, oldest_kept(now), utc_text(), skew):
        raise SyncRefused(401, codes.STALE_NONCE, "the request's nonce is used or unknown (a replay?)")


def authenticate(db, link_id, signature, method, path, body, nonce, node_wall_ms=None, key=None):
    """Return the link that signed this request, its nonce consumed; raise SyncRefused otherwise.

    The nonce is consumed only after the signature checks out, so nobody without the secret
    can burn nonces. For the requests that come here (reads, and file pieces that are written
    idempotently by content), the nonce's commit does not wait for the disk: a power cut may
    forget that it was used, which lets a request captured before the cut be answered once more
    within the nonce's lifetime, and changes nothing. A poll then costs no disk flush.
    """
    link = verify(db, link_id, signature, method, path, body, nonce)
    with transaction(db, durable=False) as tx:
        admit(tx, link, nonce, node_wall_ms, key)
    return link


@contextlib.contextmanager
def admitted(db, link, nonce, node_wall_ms=None, key=None):
    """Run the block in one write transaction that first consumes the verified request's nonce; yield it.

    So a request that writes (a push) costs the hub one transaction, nonce and work together:
    the block does its work in the yielded transaction (on a store of many connections, a second
    transaction would wait on the link's row this one has locked).
    A signed request is single-use whatever its outcome: when the block fails, everything it
    did is rolled back but the nonce is still consumed, in a transaction of its own.
    """
    try:
        with transaction(db) as tx:
            admit(tx, link, nonce, node_wall_ms, key)
            yield tx
    except SyncRefused as exc:
        if exc.code != codes.STALE_NONCE:
            _burn(db, link, nonce, node_wall_ms, key)
        raise
    except BaseException:
        _burn(db, link, nonce, node_wall_ms, key)
        raise


def _burn(db, link, nonce, node_wall_ms, key):
    try:
        with transaction(db) as tx:
            admit(tx, link, nonce, node_wall_ms, key)
    except SyncRefused:
        pass  # used already: nothing to burn
