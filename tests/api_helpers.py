"""Tokens and requests for the JSON API tests."""
from conftest import local
from village.records.tokens import add_token
from village.users import add_user

VILLAGE = "52/5201/520102/001"
NEIGHBOUR = "52/5201/520102/002"
COUNTY = "52/5201/520102"


def token(db, node, role="clerk", area=None, name=None, username=None):
    """Make a user of `role` (if new) and a token for it; return the Authorization header."""
    username, db = username or f"{role}-user", local(db)  # a hub's users and tokens: in its own database
    if not db.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
        add_user(db, username, role, "password-123")
    _record, secret = add_token(db, username, name or f"{username}-{area or 'node'}".replace("/", "-"), node.area,
                                area=area)
    return {"Authorization": f"Bearer {secret}"}
