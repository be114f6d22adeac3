"""Fixtures of the sync engine's own tests: sync-only databases, no `village`, no Flask.

These tests run with `village` not importable at all (see tests/test_sync_alone.py).
`store` gives each test a fresh store of each engine: a SQLite file, and a PostgreSQL database
copied from a template in the session's throwaway cluster (tests/pg_helpers.py).
"""
import pytest
from pg_helpers import shared_cluster, template

from sync.migrations import migrations
from sync.store import connect, transaction
from sync.stores.postgres import PostgresStore
from sync.stores.sqlite import SqliteTx

HUB_AREA = "52/5201"
AREA = "52/5201/001"
TEMPLATE = "sync_template"
PG_NOTES = ("CREATE TABLE notes (id TEXT PRIMARY KEY, area TEXT NOT NULL, text TEXT, _version TEXT NOT NULL, "
            "_origin TEXT NOT NULL, _deleted INTEGER NOT NULL DEFAULT 0, _fv TEXT NOT NULL)")


def synced_table(db, name="notes"):
    """Create a table the engine syncs: an id, an area, a field, and the engine's own columns."""
    db[name].create({"id": str, "area": str, "text": str, "_version": str, "_origin": str, "_deleted": int,
                     "_fv": str}, pk="id", defaults={"_deleted": 0})


@pytest.fixture
def make_store(tmp_path):
    """Return a function that makes a sync-only database (the engine's migrations and one synced table)."""
    made = []

    def make(name):
        db = connect(tmp_path / f"{name}.db")
        migrations.apply(db)
        with transaction(db):
            synced_table(db)
        made.append(db)
        return db

    yield make
    for db in made:
        db.close()


def _notes_template(url):
    store = PostgresStore.open(url, max_size=1)
    with store.pool.connection() as conn:
        conn.execute(PG_NOTES)
    store.close()


@pytest.fixture(scope="session")
def pg_cluster():
    """The PostgreSQL 15 cluster of this test session (shared with tests/conftest.py, stopped at the end,
    failed tests or not), with a template database holding the engine's tables and the synced table `notes`."""
    cluster = shared_cluster()
    template(cluster, TEMPLATE, _notes_template)
    yield cluster
    cluster.stop()


@pytest.fixture
def make_pg_store(request):
    """Return a function that makes a PostgreSQL store on a fresh database (engine tables and `notes`)."""
    made = []

    def make(max_size=4):
        cluster = request.getfixturevalue("pg_cluster")
        name = cluster.fresh_database(TEMPLATE)
        made.append((PostgresStore.open(cluster.url(name), max_size=max_size), name))
        return made[-1][0]

    yield make
    for store, name in made:
        store.close()
        request.getfixturevalue("pg_cluster").drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def make_any_store(request, make_store, make_pg_store):
    """Return a function that makes a fresh store of the engine this test runs on (both, in turn)."""
    if request.param == "sqlite":
        return lambda name="db", **_: SqliteTx(make_store(name))
    return lambda name="db", **options: make_pg_store(**options)


@pytest.fixture
def store(make_any_store):
    """A fresh hub store, once on SQLite and once on PostgreSQL."""
    return make_any_store("hub")
