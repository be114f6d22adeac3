"""The only place the schema changes: sqlite-utils Migrations, the sync engine's set first.

The sync engine's tables are the engine's own (`sync.migrations`). Until it owned them, the
migrations m001, m003, m004, m006 and m007 below made them too: those keep their names, so a
database that ran them is recognised, and `LEGACY_SYNC_STEPS` says what they made, so that a
backup of that time can be checked against what the program of that time made.
"""
import sqlite_utils
from sqlite_utils import Migrations

from sync import migrations as sync_schema
from village.errors import Problem
from village.records.schema import ALERTS_MIGRATION, MONITORING_MIGRATION, NEW_TABLES, SQL_TYPES, TABLES

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
    "monitor_cases": (["household_id"], ["status"]),
    "measures": (["case_id"],),
    "elder_profiles": (["person_id"],),
    "monitor_thresholds": (["year", "province"],),
    "attachments": (["owner_id"], ["sha256"]),
    "alert_receipts": (["cap_id"], ["announcement_id"]),
}


# Indexes a later migration adds to tables older than it.
LATER_INDEXES = {MONITORING_MIGRATION: (("visits", ["case_id"]), ("visits", ["elder_id"])),
                 ALERTS_MIGRATION: (("announcements", ["alert_key"]),
                                    ("market_prices", ["commodity", "spec", "market", "observed_on"]))}
# The county's roll-ups (one fact per counted record, monthly completeness) and its goals per
# area: written in the SQL both engines speak, so a hub on PostgreSQL makes them alike (village.hubdb).
ROLLUP_TABLES = (
    "CREATE TABLE county_facts (tbl TEXT NOT NULL, row_id TEXT NOT NULL, area TEXT NOT NULL, "
    "kind TEXT NOT NULL, k1 TEXT, k2 TEXT, day TEXT, PRIMARY KEY (tbl, row_id))",
    "CREATE INDEX county_facts_kind ON county_facts (kind, area, day)",
    "CREATE TABLE county_rollup_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE county_months (area TEXT NOT NULL, month TEXT NOT NULL, measure TEXT NOT NULL, "
    "due INTEGER NOT NULL, done INTEGER NOT NULL, PRIMARY KEY (area, month, measure))",
    "CREATE TABLE county_months_stale (area TEXT NOT NULL, month TEXT NOT NULL, PRIMARY KEY (area, month))",
    # The county's goal per area (percent of due visits done): this hub's own, never synced.
    "CREATE TABLE county_goals (area TEXT PRIMARY KEY, percent INTEGER NOT NULL, set_by TEXT, set_at TEXT)",
)
# The hub's register of CAP messages imported (m041; on PostgreSQL, village.hubdb): columns, key first.
CAP_MESSAGES = {"identifier": str, "sender": str, "sent": str, "msg_type": str, "status": str, "alert_key": str,
                "imported_at": str, "outcome": str}
CAP_MESSAGES_NOT_NULL = {"msg_type", "imported_at"}
# m044: the facts keyed by area first, a push's facts (one village's) together in the key's index.
FACTS_KEY = ("area", "tbl", "row_id")


class SchemaTooNew(Problem):
    """The database was written by a newer version of this program (its migration `name` is unknown here)."""

    def __init__(self, name):
        super().__init__("schema_too_new", name=name)


@migrations()
def m001_records(db):
    """Create the record tables of SPEC 3 as first released (later ones and fields: their own migration)."""
    later = {table for tables in NEW_TABLES.values() for table in tables}
    for table in TABLES:
        if table not in later:
            _create_table(db, table, "")


def _create_table(db, table, since):
    """Create record table `table` with the fields a migration `since` gave it, and its indexes."""
    specs = [f for f in TABLES[table] if f.since == since]
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


@migrations()
def m003_sync_nodes(db):
    """Nothing now: the sync engine's s002_nodes makes its tables of nodes, nonces and re-stamps."""


@migrations()
def m004_change_base(db):
    """Nothing now: the sync engine's s001_changes gives each change its base."""


@migrations()
def m005_audit_indexes(db):
    """Index the audit log for the login rate limit and per-user lookups."""
    db["audit"].create_index(["action", "target"])
    db["audit"].create_index(["action", "actor"])


@migrations()
def m006_last_push(db):
    """Nothing now: the sync engine's s002_nodes keeps each node's last push."""


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
    """Nothing now: the sync engine's s002_nodes and s003_refusals make what this made."""


def _add_fields(db, since):
    """Create the tables migration `since` adds, and the fields it adds to older tables."""
    for table in NEW_TABLES[since]:
        _create_table(db, table, "")
    for table, specs in TABLES.items():
        for spec in specs:
            if spec.since == since:
                # A reference column added later carries no foreign key (SQLite cannot add one):
                # references are checked by the write path and on receipt.
                db[table].add_column(spec.name, SQL_TYPES[spec.kind])


@migrations()
def m009_monitoring(db):
    """Create the monitoring and elderly-care tables and the fields they need in older tables (SPEC 3)."""
    _add_fields(db, MONITORING_MIGRATION)
    for table, cols in LATER_INDEXES[MONITORING_MIGRATION]:
        db[table].create_index(cols)


# What m001, m003, m004, m006 and m007 made of the sync engine's tables, in that order, before
# the engine owned them: only to tell what a backup of that time should hold.
LEGACY_SYNC_STEPS = {
    "m001_records": (sync_schema.change_tables,),
    "m003_sync_nodes": (sync_schema.node_tables,),
    "m004_change_base": (sync_schema.change_base,),
    "m006_last_push": (sync_schema.node_last_push,),
    "m007_trust": (sync_schema.refusal_tables, sync_schema.node_enroll_claim),
}
SETS = (sync_schema.migrations, migrations)  # applied in this order: the engine's tables first


def _all(migration_set):
    """Return every migration of a set, in order (all are pending on an empty database)."""
    return migration_set.pending(sqlite_utils.Database(memory=True))


def known_names():
    """Return the names of every migration this program knows, of every set."""
    return [m.name for migration_set in SETS for m in _all(migration_set)]


def applied_names(db):
    """Return the names of the migrations applied to `db`, of every set this program knows."""
    return [m.name for migration_set in SETS for m in migration_set.applied(db)]


def newer_names(db):
    """Return the migrations applied to `db` that this program does not know (a newer program's)."""
    known = set(known_names())
    newer = []
    for migration_set in SETS:
        newer += [m.name for m in migration_set.applied(db) if m.name not in known]
    return newer


def migrate(db):
    """Bring the schema up to date, the sync engine's set first; raise SchemaTooNew if it is ahead."""
    newer = newer_names(db)
    if newer:
        raise SchemaTooNew(newer[0])
    for migration_set in SETS:
        if migration_set.pending(db):
            migration_set.apply(db)


def replay(names):
    """Return an in-memory database holding what the migrations `names` make (to compare a backup with)."""
    fresh = sqlite_utils.Database(memory=True)
    migrations.ensure_migrations_table(fresh)
    # A backup from before the engine owned its tables ran none of its set: the village's
    # migrations of that time made them.
    legacy = not any(m.name in names for m in _all(sync_schema.migrations))
    for migration_set in SETS:
        for migration in _all(migration_set):
            if migration.name in names:
                steps = LEGACY_SYNC_STEPS.get(migration.name, ()) if legacy else ()
                with fresh.atomic():
                    for step in (*steps, migration.fn):
                        step(fresh)
    return fresh


@migrations()
def m030_api_tokens(db):
    """Create the JSON API's tokens and the answers kept for its Idempotency-Key header."""
    # A token is kept as the SHA-256 of its secret: the table holds nothing that opens the API.
    db["api_tokens"].create({"id": str, "name": str, "username": str, "role": str, "area": str, "token_hash": str,
                             "created_at": str, "expires_at": str, "revoked_at": str},
                            pk="id", not_null={"name", "username", "role", "area", "token_hash", "created_at",
                                               "expires_at"})
    db["api_tokens"].create_index(["token_hash"], unique=True)
    db["api_tokens"].create_index(["name"], unique=True)
    db["api_idempotency"].create({"token_id": str, "key": str, "fingerprint": str, "status": int, "body": str,
                                  "created_at": float}, pk=("token_id", "key"),
                                 not_null={"fingerprint", "status", "body", "created_at"})
    db["api_idempotency"].create_index(["created_at"])


@migrations()
def m040_county_rollups(db):
    """Create the county's roll-ups (one fact per counted record, monthly completeness) and its goals per area."""
    # Kept by village.records.rollups from the change log; rebuilt by `village check --repair`.
    for statement in ROLLUP_TABLES:
        db.execute(statement)


@migrations()
def m041_alerts_prices(db):
    """Give announcements their CAP alert fields and prices the official file's; alert receipts; CAP messages seen."""
    _add_fields(db, ALERTS_MIGRATION)
    for table, cols in LATER_INDEXES[ALERTS_MIGRATION]:
        db[table].create_index(cols)
    # The hub's own register of CAP messages it imported (never synced): a message imported
    # again, even after a later Update replaced what it said, changes nothing.
    db["cap_messages"].create(CAP_MESSAGES, pk="identifier", not_null=CAP_MESSAGES_NOT_NULL)


@migrations()
def m042_county_speed(db):
    """Index each elder's care visits by day: a hub's roll-ups find an elder's latest visit at every push."""
    db.execute("CREATE INDEX visits_elder_care ON visits (elder_id, visited_on) "
               "WHERE kind = 'elderly_care' AND _deleted = 0")


@migrations()
def m043_county_elder_visits(db):
    """Hold in the elders' care-visit index every column the roll-ups ask of an elder's latest visit.

    In the order asked (by day, then version): the latest is the index's last entry, read with no
    look-up in the table nor a sort of the visits of that day (the partial index's own condition
    columns too: SQLite looks them up in the table unless the index holds them).
    """
    db.execute("DROP INDEX visits_elder_care")
    db.execute("CREATE INDEX visits_elder_care ON visits (elder_id, visited_on, _version, next_due, kind, _deleted) "
               "WHERE kind = 'elderly_care' AND _deleted = 0")


@migrations()
def m044_county_facts_by_area(db):
    """Key the county's facts by area first (FACTS_KEY): a push writes one place in the index, not all over it."""
    # SQLite changes no table's key in place: the facts are copied to a table made with it.
    db.execute("CREATE TABLE county_facts_new (tbl TEXT NOT NULL, row_id TEXT NOT NULL, area TEXT NOT NULL, "
               f"kind TEXT NOT NULL, k1 TEXT, k2 TEXT, day TEXT, PRIMARY KEY ({', '.join(FACTS_KEY)}))")
    db.execute("INSERT INTO county_facts_new (tbl, row_id, area, kind, k1, k2, day) "
               "SELECT tbl, row_id, area, kind, k1, k2, day FROM county_facts")
    db.execute("DROP TABLE county_facts")
    db.execute("ALTER TABLE county_facts_new RENAME TO county_facts")
    db.execute("CREATE INDEX county_facts_kind ON county_facts (kind, area, day)")
