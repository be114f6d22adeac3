"""Local user accounts (not synced): argon2 password hashes and roles."""
import datetime
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from sync.store import transaction
from village.audit import record as audit
from village.i18n_markers import N_

ROLES = ("clerk", "fieldworker", "admin")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{2,40}$")
MIN_PASSWORD = 8
_hasher = PasswordHasher()


class UserError(ValueError):
    """A user account that cannot be made as asked."""

    def __init__(self, message, **params):
        super().__init__(message % params)
        self.message, self.params = message, params


def add_user(db, username, role, password, actor="cli"):
    """Create a user with an argon2 password hash; refuse a bad name, role or password."""
    if not USERNAME_RE.match(username or ""):
        raise UserError(N_("A username is 2 to 40 letters, digits, dots, dashes or underscores."))
    if role not in ROLES:
        raise UserError(N_("The role must be one of: %(roles)s."), roles=", ".join(ROLES))
    if len(password or "") < MIN_PASSWORD:
        raise UserError(N_("The password must have at least %(n)s characters."), n=MIN_PASSWORD)
    with transaction(db):
        if db.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
            raise UserError(N_("There is already a user called %(name)s."), name=username)
        db.execute("INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
                   [username, _hasher.hash(password), role,
                    datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")])
        audit(db, actor, "user.add", username, role)


def check_password(db, username, password):
    """Return the user's role when the password is right, else None."""
    row = db.execute("SELECT password_hash, role FROM users WHERE username = ? AND disabled = 0",
                     [username]).fetchone()
    if row is None:
        # Hash anyway, so a wrong username takes as long as a wrong password.
        _hasher.hash(password or "")
        return None
    try:
        _hasher.verify(row[0], password or "")
    except (VerificationError, InvalidHashError):
        return None
    return row[1]
