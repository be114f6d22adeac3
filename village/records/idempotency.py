"""Answers kept for the API's Idempotency-Key header: a retried create is answered, never done twice.

The answer is stored in the transaction that made the record, so a create and its kept answer
are committed together or not at all; a retry waiting on the write lock then finds it.
"""
import hashlib
import json
import time

from village.errors import Problem

KEEP_SECONDS = 24 * 3600  # a client retries within minutes; a day covers a night without network
MAX_KEY = 200


def fingerprint(method, path, body):
    """Return what identifies a request for its key: method, path and the JSON body in canonical form."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode("utf-8")).hexdigest()


def check_key(key):
    """Return the header's key, or raise Problem when it is empty or too long."""
    key = key.strip()
    if not key or len(key) > MAX_KEY or not key.isprintable():
        raise Problem("api.bad_idempotency_key", max=MAX_KEY)
    return key


def recall(db, token_id, key, print_):
    """Return (status, body) kept for this token's `key`, or None; raise Problem if it was another request."""
    row = db.execute("SELECT fingerprint, status, body FROM api_idempotency WHERE token_id = ? AND key = ? "
                     "AND created_at > ?", [token_id, key, time.time() - KEEP_SECONDS]).fetchone()
    if row is None:
        return None
    if row[0] != print_:
        raise Problem("api.idempotency_mismatch")
    return row[1], json.loads(row[2])


def remember(db, token_id, key, print_, status, body, now=None):
    """Keep the answer to this token's `key` (inside the caller's write transaction); forget old ones."""
    now = time.time() if now is None else now
    db.execute("DELETE FROM api_idempotency WHERE created_at <= ?", [now - KEEP_SECONDS])
    db.execute("INSERT OR REPLACE INTO api_idempotency (token_id, key, fingerprint, status, body, created_at) "
               "VALUES (?, ?, ?, ?, ?, ?)", [token_id, key, print_, status,
                                             json.dumps(body, ensure_ascii=False), now])
