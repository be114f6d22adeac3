"""The engine alone: its tables, its one write path, its change log."""
import json

import pytest

from sync.changelog import UnknownTable, changes_after, writing
from sync.meta import HLC, get_meta
from sync.migrations import migrations
from sync.store import transaction

from .conftest import AREA


def test_the_sync_set_makes_every_table_the_engine_uses(make_store):
    db = make_store("a")
    assert {"_sync_meta", "_changes", "_conflicts", "nodes", "sync_nonces", "sync_restamps", "sync_quarantine",
            "sync_refusals"} <= set(db.table_names())
    assert {"base"} <= set(db["_changes"].columns_dict)
    assert {"last_push", "enroll_claim"} <= set(db["nodes"].columns_dict)
    assert migrations.pending(db) == []


def test_a_write_stores_the_row_and_its_change_together(make_store):
    db = make_store("a")
    with writing(db, "n1") as writer:
        version = writer.put("notes", "r1", {"area": AREA, "text": "hello"})
    row = db.execute("SELECT text, _version, _origin FROM notes WHERE id = 'r1'").fetchone()
    assert row == ("hello", version, "n1")
    (change,) = changes_after(db, 0)
    assert (change["tbl"], change["row_id"], change["op"], change["data"]) == ("notes", "r1", "put",
                                                                               {"area": AREA, "text": "hello"})
    assert int(get_meta(db, HLC)) > 0  # the clock was saved with the write


def test_a_failed_write_leaves_nothing(make_store):
    db = make_store("a")
    with pytest.raises(UnknownTable):
        with writing(db, "n1") as writer:
            writer.put("notes", "r1", {"area": AREA, "text": "kept?"})
            writer.put("notes", "r2", {"area": AREA, "colour": "red"})  # no such field
    assert db.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == 0
    assert changes_after(db, 0) == []


def test_a_delete_is_a_tombstone_that_syncs(make_store):
    db = make_store("a")
    with writing(db, "n1") as writer:
        writer.put("notes", "r1", {"area": AREA, "text": "x"})
    with writing(db, "n1") as writer:
        writer.delete("notes", "r1")
    assert db.execute("SELECT _deleted FROM notes WHERE id = 'r1'").fetchone()[0] == 1
    assert [c["op"] for c in changes_after(db, 0)] == ["put", "del"]
    assert json.loads(db.execute("SELECT _fv FROM notes").fetchone()[0])


def test_a_transaction_is_all_or_nothing(make_store):
    db = make_store("a")
    with pytest.raises(RuntimeError):
        with transaction(db):
            db.execute("INSERT INTO _sync_meta VALUES ('k', 'v')")
            raise RuntimeError("power cut")
    assert get_meta(db, "k") is None
