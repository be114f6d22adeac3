"""Fixtures of the sync engine's own tests: sync-only databases, no `village`, no Flask.

These tests run with `village` not importable at all (see tests/test_sync_alone.py).
"""
import pytest

from sync.migrations import migrations
from sync.store import connect, transaction

HUB_AREA = "52/5201"
AREA = "52/5201/001"


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
