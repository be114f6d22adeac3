"""A county hub whose records and sync data live on PostgreSQL (`village init --database postgresql://…`).

What moves there: the sync engine's tables (`sync.stores.pg_migrations`), the record tables and
the county's roll-ups, so that a push (the nonce, screening, the trust policy, quarantine, the
apply and the roll-ups) is one PostgreSQL transaction. What stays in the node's SQLite file: its
users, web sessions, audit log and API tokens (the pages' own tables).

The record tables are made from `records/schema.py`, one step per SQLite migration that adds
record tables or fields, under the same name (so a field added later is declared once and
reaches both engines); the roll-ups from the same DDL as on SQLite (`village.migrations`). The
steps are recorded with the engine's own in `sync_migrations`.
"""
import contextlib
import re

from sync.meta import get_meta, set_meta
from sync.store import transaction
from village.errors import Problem
from village.migrations import CAP_MESSAGES, CAP_MESSAGES_NOT_NULL, FACTS_KEY, INDEXES, LATER_INDEXES, ROLLUP_TABLES
from village.records.schema import ALERTS_MIGRATION, MONITORING_MIGRATION, NEW_TABLES, TABLES

SCHEMES = ("postgresql://", "postgres://")
PG_TYPES = {"text": "TEXT", "choice": "TEXT", "date": "TEXT", "datetime": "TEXT", "json": "TEXT", "int": "BIGINT",
            "bool": "BIGINT", "float": "DOUBLE PRECISION"}
NODE_ID_KEY = "node.id"  # as village.node: which node a database belongs to
CONNECT_TIMEOUT_S = 10
_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")


def shown(url):
    """Return `url` with any password in it blotted out (for messages and logs)."""
    return _PASSWORD.sub(r"\1***@", url)


def _index(table, cols):
    quoted = ", ".join(f'"{c}"' for c in cols)
    return f'CREATE INDEX "idx_{table}_{"_".join(cols)}" ON "{table}" ({quoted})'


def _table(table):
    """Return the statements that make record table `table` as first released, with its indexes."""
    columns = ["id TEXT PRIMARY KEY", "area TEXT NOT NULL"]
    columns += [f'"{f.name}" {PG_TYPES[f.kind]}' for f in TABLES[table] if not f.since]
    # No foreign keys (as for fields SQLite added later): references are checked on receipt.
    columns += ["_version TEXT NOT NULL", "_origin TEXT NOT NULL", "_deleted BIGINT NOT NULL DEFAULT 0",
                "_fv TEXT NOT NULL"]
    return [f'CREATE TABLE "{table}" ({", ".join(columns)})', *(_index(table, c) for c in INDEXES.get(table, ()))]


def _fields_step(since):
    """Return the statements of the migration `since`: its new tables, and its fields of older tables."""
    statements = [s for table in NEW_TABLES[since] for s in _table(table)]
    statements += [f'ALTER TABLE "{table}" ADD COLUMN "{f.name}" {PG_TYPES[f.kind]}'
                   for table, specs in TABLES.items() if table not in NEW_TABLES[since] for f in specs
                   if f.since == since]
    return statements + [_index(table, cols) for table, cols in LATER_INDEXES[since]]


def _cap_messages():
    """Return the statement making the hub's register of CAP messages, from the columns SQLite's m041 makes."""
    columns = [f'"{name}" TEXT' + (" PRIMARY KEY" if i == 0 else " NOT NULL" if name in CAP_MESSAGES_NOT_NULL else "")
               for i, name in enumerate(CAP_MESSAGES)]
    return f'CREATE TABLE cap_messages ({", ".join(columns)})'


def steps():
    """Return the record tables' steps on PostgreSQL: (name, SQL script), in the SQLite migrations' order."""
    later = {table for tables in NEW_TABLES.values() for table in tables}
    first = [s for table in TABLES if table not in later for s in _table(table)]
    made = [("m001_records", first), ("m009_monitoring", _fields_step(MONITORING_MIGRATION)),
            ("m040_county_rollups", list(ROLLUP_TABLES)), ("m041_alerts_prices", _fields_step(ALERTS_MIGRATION)),
            ("m044_county_facts_by_area", ["ALTER TABLE county_facts DROP CONSTRAINT county_facts_pkey",
                                           f"ALTER TABLE county_facts ADD PRIMARY KEY ({', '.join(FACTS_KEY)})"]),
            # Steps SQLite took inside m041 and m043 that came to PostgreSQL later (hence their own names).
            ("m041_cap_messages", [_cap_messages()]),
            # An elder's latest care visit read from the index alone, as SQLite's m043 makes it possible.
            ("m043_county_elder_visits", ["CREATE INDEX visits_elder_care ON visits (elder_id, visited_on, _version) "
                                          "INCLUDE (next_due) WHERE kind = 'elderly_care' AND _deleted = 0"])]
    return [(name, ";\n".join(statements)) for name, statements in made]


def open_store(url, node_id, max_size=8):
    """Open the hub's PostgreSQL store at `url`, its schema brought up to date; raise Problem when it cannot be.

    The database must be this node's (or new): one holding another node's data is refused.
    """
    # Imported here, not at the top: a village or a SQLite hub never loads psycopg (about 10 MB a process).
    import psycopg

    from sync.stores import pg_epoch, pg_migrations
    from sync.stores.postgres import PostgresStore

    if not url.startswith(SCHEMES):
        raise Problem("db.pg_bad_url", url=shown(url))
    try:
        # One plain connection first: a wrong address is said in seconds (a pool would wait for it).
        with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S, autocommit=True) as conn:
            standby = conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]
        if standby:
            raise Problem("db.pg_standby", url=shown(url))
        store = PostgresStore.open(url, max_size=max_size)
    except psycopg.Error as exc:
        raise Problem("db.pg_unreachable", url=shown(url), error=str(exc).strip()[:300]) from None
    try:
        with store.pool.connection() as conn:
            pg_migrations.migrate(conn, steps())
        with store.transaction() as tx:
            owner = get_meta(tx, NODE_ID_KEY)
            if owner is None:
                set_meta(tx, NODE_ID_KEY, node_id)
            elif owner != node_id:
                raise Problem("db.pg_other_node", url=shown(url), owner=owner)
        # A promoted standby (a new timeline) or another cluster: a new epoch (sync.epoch).
        pg_epoch.check(store)
    except pg_epoch.InRecovery:
        store.close()
        raise Problem("db.pg_standby", url=shown(url)) from None
    except BaseException:
        store.close()
        raise
    return store


def sync_store(node, db):
    """Return where `node` keeps its records and sync data: its PostgreSQL store when it has one, else `db`.

    The caller closes a store it was given (`close_store`).
    """
    url = node.setting("database") if node.role == "county" else ""
    return open_store(url, node.node_id, max_size=2) if url else db


def close_store(store, db):
    """Close a store `sync_store` opened (nothing when it handed back the SQLite database)."""
    if store is not db:
        store.close()


def own_db(tx):
    """Return the node's own database (users, audit log, API tokens) of a write `audited` opened: its `local`."""
    return getattr(tx, "audit_db", tx)


@contextlib.contextmanager
def audited(store, local):
    """Open one write at the hub: its records in `store`, its audit entries in `local`; yield the transaction.

    On a SQLite hub both are the node's database: one transaction. On a PostgreSQL hub the
    audit log stays in the node's SQLite file (`local`): its transaction is opened first and
    committed after PostgreSQL's, so an entry is kept only with the change it tells of (and a
    failed change leaves no entry). `village.audit.record` finds `local` as the transaction's
    `audit_db`.
    """
    with transaction(local):
        if store is local:
            yield local
            return
        with transaction(store) as tx:
            tx.audit_db = local
            yield tx
