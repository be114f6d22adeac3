"""The sync engine's tables come from its own migration set; databases of the old program upgrade cleanly."""
import sqlite3
from pathlib import Path

import pytest

from sync.store import connect
from village.migrations import SchemaTooNew, applied_names, known_names, migrate, newer_names
from village.ops.restore import schema_shape, unknown_schema

LEGACY = Path(__file__).parent / "legacy_db"


def legacy_db(tmp_path, name):
    """Return a database file made from the saved dump of an old program's database."""
    path = tmp_path / f"{name}.db"
    conn = sqlite3.connect(path)
    conn.executescript((LEGACY / f"{name}.sql").read_text(encoding="utf-8"))
    conn.close()
    return connect(path)


def fresh_db(tmp_path):
    db = connect(tmp_path / "fresh.db")
    migrate(db)
    return db


def test_a_fresh_database_runs_the_sync_set_first(tmp_path):
    db = fresh_db(tmp_path)
    rows = db.execute("SELECT migration_set, name FROM _sqlite_migrations ORDER BY id").fetchall()
    assert rows[:3] == [("sync", "s001_changes"), ("sync", "s002_nodes"), ("sync", "s003_refusals")]
    assert {s for s, _ in rows} == {"sync", "village"} and [n for _, n in rows] == known_names()


@pytest.mark.parametrize("name", ["full", "m003"])
def test_an_old_database_upgrades_to_the_shape_of_a_fresh_one(tmp_path, name):
    db = legacy_db(tmp_path, name)
    assert newer_names(db) == []  # no "made by a newer version" false alarm
    migrate(db)
    assert schema_shape(db) == schema_shape(fresh_db(tmp_path))
    assert set(applied_names(db)) == set(known_names())


def test_an_old_database_keeps_every_row_of_the_sync_tables(tmp_path):
    db = legacy_db(tmp_path, "full")
    tables = ("_sync_meta", "_changes", "nodes", "sync_nonces", "sync_restamps", "sync_refusals", "households")
    columns = {t: ", ".join(f"[{c.name}]" for c in db[t].columns) for t in tables}  # later fields are added
    before = {t: db.execute(f"SELECT {columns[t]} FROM [{t}] ORDER BY 1").fetchall() for t in tables}
    migrate(db)
    migrate(db)  # a second open changes nothing
    for table, rows in before.items():
        after = db.execute(f"SELECT {columns[table]} FROM [{table}] ORDER BY 1").fetchall()
        if table == "_sync_meta":  # the one row added: the node's first epoch as a hub (s007_epoch)
            assert [key for key, _ in after if key == "hub.epochs"] == ["hub.epochs"]
            after = [row for row in after if row[0] != "hub.epochs"]
        assert rows and after == rows, table
    assert db.execute("SELECT last_push, enroll_claim FROM nodes").fetchone() == ('{"start": 0}', "c" * 64)


def test_an_old_m003_database_gains_the_columns_added_since(tmp_path):
    db = legacy_db(tmp_path, "m003")
    assert "base" not in db["_changes"].columns_dict
    migrate(db)
    assert "base" in db["_changes"].columns_dict
    assert {"last_push", "enroll_claim"} <= set(db["nodes"].columns_dict)
    assert db["sync_quarantine"].exists() and db["sync_refusals"].exists()


@pytest.mark.parametrize("name", ["full", "m003"])
def test_a_backup_of_the_old_program_holds_nothing_alien(tmp_path, name):
    db = legacy_db(tmp_path, name)
    assert unknown_schema(db, applied_names(db)) == []


def test_an_old_backup_with_a_trigger_added_is_caught(tmp_path):
    db = legacy_db(tmp_path, "full")
    db.execute("CREATE TRIGGER sneaky AFTER INSERT ON nodes BEGIN DELETE FROM sync_refusals; END")
    assert unknown_schema(db, applied_names(db)) == ["trigger sneaky"]


@pytest.mark.parametrize("migration_set", ["sync", "village"])
def test_a_newer_migration_of_either_set_is_refused(tmp_path, migration_set):
    db = fresh_db(tmp_path)
    db.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, 'x999_future', 'x')",
               [migration_set])
    with pytest.raises(SchemaTooNew):
        migrate(db)
