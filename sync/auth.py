"""Sign and check sync requests; hand out and consume the hub's single-use nonces.

A request is signed with the node's own secret over (method, path, body hash, nonce, node id).
The nonce comes from the hub (every answer carries a fresh one) and is consumed by the request
that uses it, so a replayed request is refused without trusting anybody's wall clock.
"""
import hashlib
import hmac
import secrets
import time

NONCE_TTL_MS = 15 * 60 * 1000
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read aloud and typed


def sign(secret, method, path, body, nonce, node_id):
    """Return the hex HMAC-SHA256 signature of one request."""
    message = "\n".join([method.upper(), path, hashlib.sha256(body or b"").hexdigest(), nonce, node_id])
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def signature_ok(secret, signature, method, path, body, nonce, node_id):
    """Return True when `signature` is the right one for this request."""
    return hmac.compare_digest(sign(secret, method, path, body, nonce, node_id), signature or "")


def issue_nonce(db, now_ms=None):
    """Store and return a new single-use nonce (pruning expired ones)."""
    now_ms = now_ms or int(time.time() * 1000)
    nonce = secrets.token_urlsafe(18)
    db.execute("DELETE FROM sync_nonces WHERE issued_ms < ?", [now_ms - NONCE_TTL_MS])
    db.execute("INSERT INTO sync_nonces (nonce, issued_ms) VALUES (?, ?)", [nonce, now_ms])
    return nonce


def consume_nonce(db, nonce, now_ms=None):
    """Consume `nonce`; return False when the hub never issued it, it was used, or it expired.

    Expiry uses only the hub's own clock, which issued the nonce.
    """
    now_ms = now_ms or int(time.time() * 1000)
    cur = db.execute("DELETE FROM sync_nonces WHERE nonce = ? AND issued_ms >= ?", [nonce or "", now_ms - NONCE_TTL_MS])
    return cur.rowcount == 1


def new_code():
    """Return a new one-time enrollment code, e.g. K7QX-3MPA-W9RT."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return "-".join(raw[i:i + 4] for i in range(0, 12, 4))


def code_hash(code):
    """Return the stored form of an enrollment code (the hub keeps no readable copy)."""
    canonical = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    return hashlib.sha256(canonical.encode()).hexdigest()


def new_secret():
    """Return a new node secret."""
    return secrets.token_hex(32)
