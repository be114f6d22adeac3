"""The only place the schema changes: sqlite-utils Migrations, applied in order."""
from sqlite_utils import Migrations

from sync.quarantine import install as install_quarantine
from sync.store import install as install_sync_tables
from village.errors import Problem
from village.records.schema import SQL_TYPES, TABLES

migrations = Migrations("village")

INDEXES = {
    "households": (["code"], ["head_name"], ["phone"], ["id_number"]),
    "persons": (["household_id"], ["id_number"], ["name", "birth_date"]),
    "plots": (["household_id"],),
    "plantings": (["plot_id"],),
    "livestock": (["household_id"],),
    "service_requests": (["ticket"], ["status"], ["household_id"]),
    "grievances": (["ticket"], ["status"]),
    "visits": (["household_id"],),
    "announcements": (["area"],),
    "market_prices": (["observed_on"],),
}


class SchemaTooNew(Problem):
    """The database was written by a newer version of this program (its migration `name` is unknown here)."""

    def __init__(self, name):
        super().__init__("schema_too_new", name=name)


@migrations()
def m001_records(db):
    """Create the sync tables and every record table of SPEC 3."""
    install_sync_tables(db)
    for table, specs in TABLES.items():
        columns = {"id": str, "area": str}
        columns.update({f.name: SQL_TYPES[f.kind] for f in specs})
        columns.update({"_version": str, "_origin": str, "_deleted": int, "_fv": str})
        foreign_keys = [(f.name, f.ref, "id") for f in specs if f.ref]
        db[table].create(columns, pk="id", not_null={"area", "_version", "_origin", "_fv"},
                         defaults={"_deleted": 0}, foreign_keys=foreign_keys)
        for cols in INDEXES.get(table, ()):
            db[table].create_index(cols)


@migrations()
def m002_local_tables(db):
    """Create the tables that stay on this node: users and the append-only audit log."""
    db["users"].create({"username": str, "password_hash": str, "role": str, "created_at": str, "disabled": int},
                       pk="username", not_null={"password_hash", "role", "created_at"}, defaults={"disabled": 0})
    db["audit"].create({"id": int, "at": str, "actor": str, "action": str, "target": str, "detail": str},
                       pk="id", not_null={"at", "action"})
    # Append-only: the log of who did what must not be rewritten afterwards.
    for event in ("UPDATE", "DELETE"):
        db.execute(f"CREATE TRIGGER audit_no_{event.lower()} BEFORE {event} ON audit "
                   "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END")


def known_names():
    """Return the names of every migration this program knows."""
    return [m.name for m in migrations._migrations]


def migrate(db):
    """Bring the schema up to date; raise SchemaTooNew if it is ahead of this program."""
    applied = [m.name for m in migrations.applied(db)]
    unknown = [name for name in applied if name not in known_names()]
    if unknown:
        raise SchemaTooNew(unknown[0])
    if len(applied) < len(known_names()):
        migrations.apply(db)


@migrations()
def m003_sync_nodes(db):
    """Create the hub's tables of enrolled nodes and of the nonces it has handed out."""
    db["nodes"].create({"node_id": str, "name": str, "area": str, "code_hash": str, "secret": str,
                        "enrolled_by": str, "created_at": str, "enrolled_at": str, "revoked_at": str,
                        "push_cursor": int, "last_seen": str, "clock_skew_ms": int, "restamped": int},
                       pk="node_id", not_null={"name", "area", "code_hash", "secret", "created_at"},
                       defaults={"push_cursor": 0, "restamped": 0})
    db["nodes"].create_index(["code_hash"], unique=True)
    # Nonces are single-use: a request carrying one the hub does not hold is a replay.
    db["sync_nonces"].create({"nonce": str, "issued_ms": int}, pk="nonce", not_null={"issued_ms"})
    # A change stamped far in the future is re-stamped once; a replay must get the same stamp.
    db["sync_restamps"].create({"old_version": str, "new_version": str}, pk="old_version", not_null={"new_version"})


@migrations()
def m004_change_base(db):
    """Record, with each change, the field versions its writer had seen (to tell conflicts apart)."""
    db.execute("ALTER TABLE _changes ADD COLUMN base TEXT")


@migrations()
def m005_audit_indexes(db):
    """Index the audit log for the login rate limit and per-user lookups."""
    db["audit"].create_index(["action", "target"])
    db["audit"].create_index(["action", "actor"])


@migrations()
def m006_last_push(db):
    """Keep, per enrolled node, the hub's answer to its last push: an answer lost on the way can be asked again."""
    db.execute("ALTER TABLE nodes ADD COLUMN last_push TEXT")


@migrations()
def m008_accounts(db):
    """Create the server-side login sessions and the counters of the login and lookup rate limits."""
    # A session lives here, not in the cookie: logout, `user disable` and idle logout end it for
    # every copy of the cookie. The id is a hash of the cookie's token, so the table holds no live token.
    db["web_sessions"].create({"id": str, "username": str, "created_at": str, "last_seen": float, "ip": str},
                              pk="id", not_null={"username", "created_at", "last_seen"})
    db["web_sessions"].create_index(["username"])
    db["throttle"].create({"key": str, "count": int, "since": float, "until": float}, pk="key",
                          not_null={"count", "since"}, defaults={"until": 0})


@migrations()
def m007_trust(db):
    """Hold changes a receiving tier refused, remember those refused of this node's own, retire codes."""
    install_quarantine(db)
    # An enrollment code's answer is given again only to the first sender's claim (hashed).
    db.execute("ALTER TABLE nodes ADD COLUMN enroll_claim TEXT")
    # Nonces are now sealed by the hub's key and this table holds only used ones.
    db.execute("DELETE FROM sync_nonces")
