"""The one write path: row and change together, tombstones, per-field versions."""
import json
import sqlite3

import pytest

from sync.changelog import changes_after, writing
from village.records import core


def count(db, sql):
    return db.execute(sql).fetchone()[0]


def test_a_write_stores_row_and_change_in_one_transaction(node_db):
    node, db = node_db
    with core.write(db, node) as w:
        hh = core.save(w, node, "households", {"code": "H1", "head_name": "王建国", "members": 3})
    row = db.execute("SELECT _version, _origin, _deleted, _fv FROM households WHERE id = ?", [hh]).fetchone()
    change = changes_after(db, 0)[-1]
    assert change["row_id"] == hh and change["version"] == row[0] and change["op"] == "put"
    assert change["data"]["head_name"] == "王建国" and change["area"] == node.area and change["src"] is None
    assert row[1] == node.node_id and row[2] == 0
    assert set(json.loads(row[3])) >= {"code", "head_name", "members"}


def test_a_failing_write_leaves_neither_row_nor_change(node_db):
    node, db = node_db
    with pytest.raises(RuntimeError):
        with core.write(db, node) as w:
            core.save(w, node, "households", {"code": "H1", "head_name": "王"})
            raise RuntimeError("power cut in the middle")
    assert count(db, "SELECT COUNT(*) FROM households") == 0
    assert count(db, "SELECT COUNT(*) FROM _changes") == 0


def test_a_database_error_mid_write_rolls_back_the_row(node_db):
    node, db = node_db
    with pytest.raises(sqlite3.IntegrityError):
        with writing(db, node.node_id) as w:
            # A reference to a missing household: the row insert fails after the clock ticked.
            w.put("persons", "p1", {"household_id": "missing", "name": "李", "area": node.area})
    assert count(db, "SELECT COUNT(*) FROM persons") + count(db, "SELECT COUNT(*) FROM _changes") == 0


def test_an_update_logs_only_the_changed_fields_and_keeps_per_field_versions(node_db):
    node, db = node_db
    with core.write(db, node) as w:
        hh = core.save(w, node, "households", {"code": "H1", "head_name": "王", "phone": "13800000000"})
    with core.write(db, node) as w:
        core.save(w, node, "households", {"phone": "13900000000", "head_name": "王"}, row_id=hh)
    last = changes_after(db, 0)[-1]
    assert last["data"] == {"phone": "13900000000"}
    fv = json.loads(db.execute("SELECT _fv FROM households").fetchone()[0])
    assert fv["phone"] == last["version"] and fv["code"] < fv["phone"]


def test_delete_is_a_tombstone_that_logs_a_change(node_db):
    node, db = node_db
    with core.write(db, node) as w:
        hh = core.save(w, node, "households", {"code": "H1", "head_name": "王"})
    with core.write(db, node) as w:
        core.delete(w, node, "households", hh)
    assert db.execute("SELECT _deleted FROM households WHERE id = ?", [hh]).fetchone()[0] == 1
    assert changes_after(db, 0)[-1]["op"] == "del"
    assert core.get(db, "households", hh) is None
    assert list(core.rows(db, "households")) == []


def test_unsaved_changes_are_not_logged(node_db):
    node, db = node_db
    with core.write(db, node) as w:
        hh = core.save(w, node, "households", {"code": "H1", "head_name": "王"})
    before = count(db, "SELECT COUNT(*) FROM _changes")
    with core.write(db, node) as w:
        core.save(w, node, "households", {"head_name": "王"}, row_id=hh)
    assert count(db, "SELECT COUNT(*) FROM _changes") == before


def test_apply_of_a_remote_change_is_idempotent_and_merges_per_field(node_db):
    node, db = node_db
    with core.write(db, node) as w:
        hh = core.save(w, node, "households", {"code": "H1", "head_name": "王", "phone": "13800000000"})
    local = changes_after(db, 0)[-1]["version"]
    newer = "f" * 16 + "-othernode"
    older = "0" * 16 + "-othernode"
    change = {"tbl": "households", "row_id": hh, "op": "put", "area": node.area, "version": newer,
              "data": {"phone": "139"}}
    with writing(db, node.node_id) as w:
        assert w.apply(change, "peer") is True
        assert w.apply(change, "peer") is False
        assert w.apply({**change, "version": older, "data": {"phone": "000", "notes": "old note"}}, "peer")
    row = core.get(db, "households", hh)
    assert row["phone"] == "139" and row["notes"] == "old note"
    lost = db.execute("SELECT field, lost_value, kept_value FROM _conflicts ORDER BY id").fetchall()
    assert ("phone", '"13800000000"', '"139"') in lost and ("phone", '"000"', '"139"') in lost
    assert local < newer


def test_writes_from_every_table_go_through_the_change_log(node_db):
    from village.ops.demo import populate

    node, db = node_db
    populate(db, node, households=20)
    for table in ("households", "persons", "plots", "plantings", "livestock", "service_requests",
                  "grievances", "visits", "announcements", "market_prices"):
        orphans = count(db, f"SELECT COUNT(*) FROM {table} WHERE _version NOT IN (SELECT version FROM _changes)")
        assert orphans == 0, table
