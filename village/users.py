"""Local user accounts (not synced): argon2 password hashes, roles, and their login sessions."""
import functools
import hashlib
import re
import secrets
import time
from dataclasses import dataclass

from sync.clock import utc_text
from sync.store import transaction
from village.audit import record as audit
from village.errors import Problem


@dataclass(frozen=True)
class Role:
    """What the users of one role may open, and the page the shared /login lands them on."""

    home: str  # endpoint of their home page
    surfaces: tuple  # the surfaces (clerk, field, county) whose pages they may open


# Every role a user can have, declared once: `village user add --role`, the login and every
# page's role check read this table.
ROLES = {
    "clerk": Role("clerk.households", ("clerk",)),
    "fieldworker": Role("field.home", ("field",)),
    "county": Role("county.home", ("county",)),
    "admin": Role("clerk.households", ("clerk", "field", "county")),
}
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{2,40}$")
MIN_PASSWORD = 8


@functools.lru_cache(maxsize=1)
def _hasher():
    # Imported on first use: every `village` command loads this module for its roles, and
    # argon2 alone took a fifth of the start-up time of a command that never hashes.
    from argon2 import PasswordHasher

    return PasswordHasher()


def roles_for(surface):
    """Return the names of the roles that may open the pages of `surface`, in declaration order."""
    return tuple(name for name, role in ROLES.items() if surface in role.surfaces)


def _check_role(role):
    if role not in ROLES:
        raise Problem("user.bad_role", roles=", ".join(ROLES))


def add_user(db, username, role, password, actor="cli"):
    """Create a user with an argon2 password hash; refuse a bad name, role or password."""
    if not USERNAME_RE.match(username or ""):
        raise Problem("user.bad_name")
    _check_role(role)
    if len(password or "") < MIN_PASSWORD:
        raise Problem("user.short_password", n=MIN_PASSWORD)
    with transaction(db):
        if db.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
            raise Problem("user.exists", name=username)
        db.execute("INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
                   [username, _hasher().hash(password), role, utc_text()])
        audit(db, actor, "user.add", username, role)


def check_password(db, username, password):
    """Return the user's role when the password is right and the user not disabled, else None."""
    row = db.execute("SELECT password_hash, role FROM users WHERE username = ? AND disabled = 0",
                     [username]).fetchone()
    if row is None:
        # Hash anyway, so a wrong username takes as long as a wrong password.
        _hasher().hash(password or "")
        return None
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        _hasher().verify(row[0], password or "")
    except (VerificationError, InvalidHashError):
        return None
    return row[1]


def _existing(db, username):
    if not db.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
        raise Problem("user.missing", name=username)


def set_disabled(db, username, disabled, actor="cli"):
    """Disable (or enable again) a user; disabling ends every session the user has open."""
    with transaction(db):
        _existing(db, username)
        db.execute("UPDATE users SET disabled = ? WHERE username = ?", [int(disabled), username])
        if disabled:
            db.execute("DELETE FROM web_sessions WHERE username = ?", [username])
        audit(db, actor, "user.disable" if disabled else "user.enable", username, "")


def set_role(db, username, role, actor="cli"):
    """Give a user another role; it holds from the user's next request on."""
    _check_role(role)
    with transaction(db):
        _existing(db, username)
        db.execute("UPDATE users SET role = ? WHERE username = ?", [role, username])
        audit(db, actor, "user.role", username, role)


def set_password(db, username, password, actor="cli"):
    """Give a user a new password; every session the user has open ends (a reset locks out whoever had it)."""
    if len(password or "") < MIN_PASSWORD:
        raise Problem("user.short_password", n=MIN_PASSWORD)
    with transaction(db):
        _existing(db, username)
        db.execute("UPDATE users SET password_hash = ? WHERE username = ?", [_hasher().hash(password), username])
        db.execute("DELETE FROM web_sessions WHERE username = ?", [username])
        audit(db, actor, "user.password", username, "")


def list_users(db):
    """Return every user as a dict: username, role, disabled, created_at, open sessions."""
    rows = db.execute("SELECT u.username, u.role, u.disabled, u.created_at, "
                      "(SELECT COUNT(*) FROM web_sessions s WHERE s.username = u.username) "
                      "FROM users u ORDER BY u.username").fetchall()
    return [{"username": r[0], "role": r[1], "disabled": bool(r[2]), "created_at": r[3], "sessions": r[4]}
            for r in rows]


# Sessions: the cookie holds a random token; the database holds its hash, the user and when last seen.

def _session_id(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(db, username, ip, idle_seconds):
    """Open a session for `username`; return the token for the cookie. Sessions idle too long are dropped."""
    token, now = secrets.token_urlsafe(32), time.time()
    with transaction(db):
        db.execute("DELETE FROM web_sessions WHERE last_seen < ?", [now - idle_seconds])
        db.execute("INSERT INTO web_sessions (id, username, created_at, last_seen, ip) VALUES (?, ?, ?, ?, ?)",
                   [_session_id(token), username, utc_text(), now, ip[:64]])
    return token


def session_user(db, token):
    """Return {username, role, last_seen} of a live session of an enabled user, else None."""
    if not isinstance(token, str) or not token:
        return None
    row = db.execute("SELECT u.username, u.role, s.last_seen FROM web_sessions s JOIN users u "
                     "ON u.username = s.username WHERE s.id = ? AND u.disabled = 0",
                     [_session_id(token)]).fetchone()
    return {"username": row[0], "role": row[1], "last_seen": row[2]} if row else None


def touch_session(db, token):
    """Note that the session was used just now (for the idle logout)."""
    with transaction(db):
        db.execute("UPDATE web_sessions SET last_seen = ? WHERE id = ?", [time.time(), _session_id(token)])


def end_session(db, token):
    """End one session: its cookie, and every copy of it, no longer logs anyone in."""
    if isinstance(token, str) and token:
        with transaction(db):
            db.execute("DELETE FROM web_sessions WHERE id = ?", [_session_id(token)])
