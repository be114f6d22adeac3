"""Sign and check sync requests; hand out and consume the hub's single-use nonces.

A request is signed with the node's own secret over (method, path, body hash, nonce, node id).
The nonce comes from the hub (every answer carries a fresh one, sealed with the hub's key so
the hub stores nothing until it is used) and is consumed by the request that uses it, so a
replayed request is refused without trusting anybody's wall clock.
"""
import base64
import hashlib
import hmac
import secrets
import time


NONCE_TTL_MS = 15 * 60 * 1000
CLAIM_WINDOW_S = 15 * 60  # how long after first use a code's answer can be asked for again
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read aloud and typed


def sign(secret, method, path, body, nonce, node_id):
    """Return the hex HMAC-SHA256 signature of one request."""
    message = "\n".join([method.upper(), path, hashlib.sha256(body or b"").hexdigest(), nonce, node_id])
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def signature_ok(secret, signature, method, path, body, nonce, node_id):
    """Return True when `signature` is the right one for this request."""
    return hmac.compare_digest(sign(secret, method, path, body, nonce, node_id), signature or "")


def nonce_key(db):
    """Return the hub's key for nonces, made once (inside a write transaction the first time)."""
    from sync.meta import NONCE_KEY, get_meta, set_meta

    key = get_meta(db, NONCE_KEY)
    if key is None:
        key = secrets.token_hex(32)
        set_meta(db, NONCE_KEY, key)
    return bytes.fromhex(key)


def issue_nonce(key, now_ms=None):
    """Return a new single-use nonce: its issue time and randomness, sealed with the hub's key.

    Nothing is stored: a request that is never answered with a valid signature costs the hub
    no row (an unauthenticated caller cannot fill its database).
    """
    now_ms = now_ms or int(time.time() * 1000)
    body = now_ms.to_bytes(8, "big") + secrets.token_bytes(10)
    tag = hmac.new(key, body, hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(body + tag).decode()


def nonce_issued(key, nonce, now_ms):
    """Return when (ms) this hub issued `nonce`, or None when it did not or the nonce expired. Reads nothing.

    Expiry uses only the hub's own clock, which issued the nonce.
    """
    try:
        raw = base64.urlsafe_b64decode((nonce or "").encode())
    except (ValueError, TypeError):
        return None
    body, tag = raw[:18], raw[18:]
    if len(raw) != 30 or not hmac.compare_digest(hmac.new(key, body, hashlib.sha256).digest()[:12], tag):
        return None
    issued = int.from_bytes(body[:8], "big")
    return issued if now_ms - NONCE_TTL_MS <= issued <= now_ms + NONCE_TTL_MS else None


def oldest_kept(now_ms):
    """Return the issue time before which used nonces are forgotten (they would have expired anyway)."""
    return now_ms - NONCE_TTL_MS


def new_code():
    """Return a new one-time enrollment code, e.g. K7QX-3MPA-W9RT."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return "-".join(raw[i:i + 4] for i in range(0, 12, 4))


def claim_hash(claim):
    """Return the stored form of an enroller's claim (the secret it sent with the code)."""
    return hashlib.sha256(("claim:" + (claim or "")).encode()).hexdigest()


def code_hash(code):
    """Return the stored form of an enrollment code (the hub keeps no readable copy)."""
    canonical = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    return hashlib.sha256(canonical.encode()).hexdigest()


def new_secret():
    """Return a new node secret."""
    return secrets.token_hex(32)
