"""API tokens: made by an admin for a user, shown once, kept as a hash, scoped to a role and an area.

A token is 256 random bits. It is stored as its SHA-256, not with argon2 like a password: a
password is short and guessable, so its hash must be slow; a 256-bit secret cannot be guessed,
so a fast hash loses nothing, and it lets every API request find its token by an index lookup
instead of paying argon2's second of work (which would also let anyone slow the node down).
"""
import datetime
import hashlib
import re
import secrets
import uuid

from sync.clock import utc_text
from sync.scope import inside
from sync.store import dicts, transaction
from village.audit import record as audit
from village.errors import Problem
from village.users import ROLES

PREFIX = "vt_"  # says what a leaked string is, so a secret scanner or a person can tell
NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{2,60}$")
DEFAULT_DAYS = 90
MAX_DAYS = 3650
AREA_RE = re.compile(r"^\d+(/\d+)*$")


def digest(secret):
    """Return the stored form of a token's secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _user_role(db, username):
    row = db.execute("SELECT role, disabled FROM users WHERE username = ?", [username]).fetchone()
    if row is None:
        raise Problem("user.missing", name=username)
    if row[1]:
        raise Problem("token.user_disabled", name=username)
    return row[0]


def _scope(db, username, role, area, node_area):
    """Return the (role, area) a new token gets; refuse a role above the user's or an area outside the node."""
    held = _user_role(db, username)
    role = role or held
    if role not in ROLES:
        raise Problem("user.bad_role", roles=", ".join(ROLES))
    if role != held and held != "admin":
        raise Problem("token.role_above_user", name=username, role=role, held=held)
    area = (area or node_area).strip().strip("/")
    if not AREA_RE.match(area) or not inside(area, node_area):
        raise Problem("token.outside_area", area=area, node=node_area)
    return role, area


def add_token(db, username, name, node_area, role=None, area=None, days=DEFAULT_DAYS, actor="cli"):
    """Make a token for `username`; return (its record, the secret to show once)."""
    if not NAME_RE.match(name or ""):
        raise Problem("token.bad_name")
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise Problem("token.bad_days", max=MAX_DAYS)
    secret = PREFIX + secrets.token_urlsafe(32)
    expires = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)).isoformat(
        timespec="seconds")
    with transaction(db):
        role, area = _scope(db, username, role, area, node_area)
        if db.execute("SELECT 1 FROM api_tokens WHERE name = ?", [name]).fetchone():
            raise Problem("token.exists", name=name)
        record = {"id": uuid.uuid4().hex[:12], "name": name, "username": username, "role": role, "area": area,
                  "created_at": utc_text(), "expires_at": expires, "revoked_at": None}
        db.execute("INSERT INTO api_tokens (id, name, username, role, area, token_hash, created_at, expires_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [record["id"], name, username, role, area, digest(secret),
                                                      record["created_at"], expires])
        audit(db, actor, "token.add", name, f"{username} {role} {area} until {expires}")
    return record, secret


COLUMNS = "id, name, username, role, area, created_at, expires_at, revoked_at"


def list_tokens(db):
    """Return every token (never its secret or hash), the newest first."""
    return list(dicts(db.execute(f"SELECT {COLUMNS} FROM api_tokens ORDER BY created_at DESC, name")))


def revoke_token(db, name, actor="cli"):
    """Revoke the token named `name` (or with that id); it opens nothing from the next request on."""
    with transaction(db):
        row = db.execute("SELECT id, name FROM api_tokens WHERE (name = ? OR id = ?) AND revoked_at IS NULL",
                         [name, name]).fetchone()
        if row is None:
            raise Problem("token.missing", name=name)
        db.execute("UPDATE api_tokens SET revoked_at = ? WHERE id = ?", [utc_text(), row[0]])
        audit(db, actor, "token.revoke", row[1], "")


def token_for(db, secret, now=None):
    """Return the live token whose secret is `secret` as a dict, or None.

    Live: not revoked, not expired, its user there and enabled, and the user still holds the
    token's role (or is an admin): a user disabled or moved to another role stops their tokens too.
    """
    if not isinstance(secret, str) or not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    row = next(dicts(db.execute(
        "SELECT t.id, t.name, t.username, t.role, t.area, t.expires_at, t.revoked_at, u.role AS held, u.disabled "
        "FROM api_tokens t JOIN users u ON u.username = t.username WHERE t.token_hash = ?", [digest(secret)])), None)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if row is None or row["revoked_at"] or row["disabled"] or now >= datetime.datetime.fromisoformat(row["expires_at"]):
        return None
    if row["held"] not in (row["role"], "admin"):
        return None
    return {k: row[k] for k in ("id", "name", "username", "role", "area")}


def actor_of(token):
    """Return how the audit log names a write made with `token`: the user and the token's name."""
    return f"{token['username']} (token {token['name']})"
