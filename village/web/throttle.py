"""Rate limits kept in the database, so every server thread and process shares them.

Two kinds: a fixed window (at most N events per key per window: ticket lookups, audit rows of
failed logins) and the login back-off (after a few failures a key must wait, twice as long
after each further failure). Keys are short texts such as "status|192.168.1.7".
"""
import time

from sync.store import transaction

# Login back-off. A (user, address) pair gets a few free tries for typing mistakes; an address
# gets more, spread over any usernames, so spraying many names is slowed too. A key's count
# starts again when it has had no failure for FORGET_SECONDS, and the real user's success from
# their own address clears their pair (not the address's count: a valid account must not let
# an attacker reset the limit on guessing others).
FREE_PER_USER = 3
FREE_PER_ADDRESS = 10
LONGEST_WAIT = 15 * 60
FORGET_SECONDS = 60 * 60
MAX_KEY = 200


def _key(*parts):
    return "|".join(str(p)[:MAX_KEY] for p in parts)


def login_keys(username, ip):
    """Return the back-off keys of a login attempt: (user and address, address)."""
    return _key("login", username, ip), _key("login-ip", ip)


def login_wait(db, username, ip, now=None):
    """Return how many seconds this address must still wait before trying `username` again (0: go ahead)."""
    now = time.time() if now is None else now
    keys = login_keys(username, ip)
    rows = db.execute(f"SELECT until FROM throttle WHERE key IN ({', '.join('?' * len(keys))})", keys).fetchall()
    return max([0] + [int(until - now + 0.999) for (until,) in rows if until and until > now])


def _forget_old(db, now):
    # Old counters go, so a spray of made-up usernames or addresses does not grow the table for ever.
    db.execute("DELETE FROM throttle WHERE since < ? AND until < ?", [now - FORGET_SECONDS, now])


def _delay(failures, free):
    return 0 if failures <= free else min(2 ** (failures - free - 1), LONGEST_WAIT)


def login_failed(db, username, ip, now=None):
    """Count a failed login of `username` from `ip` and set how long both keys must now wait."""
    now = time.time() if now is None else now
    with transaction(db):
        _forget_old(db, now)
        for key, free in zip(login_keys(username, ip), (FREE_PER_USER, FREE_PER_ADDRESS)):
            row = db.execute("SELECT count, since FROM throttle WHERE key = ?", [key]).fetchone()
            count = 1 if row is None or row[1] < now - FORGET_SECONDS else row[0] + 1
            db.execute("INSERT OR REPLACE INTO throttle (key, count, since, until) VALUES (?, ?, ?, ?)",
                       [key, count, now, now + _delay(count, free)])


def login_succeeded(db, username, ip):
    """Clear the back-off of this user at this address after the right password."""
    with transaction(db):
        db.execute("DELETE FROM throttle WHERE key = ?", [login_keys(username, ip)[0]])


def allow(db, key, limit, window=60, now=None):
    """Count one event of `key`; return False when it is over `limit` events in the current window."""
    now = time.time() if now is None else now
    key = key[:MAX_KEY * 2]
    # Refused without a write: a flood past the limit costs the node no disk work.
    row = db.execute("SELECT count, since FROM throttle WHERE key = ?", [key]).fetchone()
    if row is not None and row[1] > now - window and row[0] >= limit:
        return False
    with transaction(db):
        _forget_old(db, now)
        row = db.execute("SELECT count, since FROM throttle WHERE key = ?", [key]).fetchone()
        if row is None or row[1] <= now - window:
            db.execute("INSERT OR REPLACE INTO throttle (key, count, since, until) VALUES (?, 1, ?, 0)", [key, now])
            return True
        if row[0] >= limit:
            return False
        db.execute("UPDATE throttle SET count = count + 1 WHERE key = ?", [key])
        return True
