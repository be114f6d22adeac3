"""A damaged, empty or missing database is reported plainly and never recreated; restore repairs it."""
import json
import os
import sqlite3

import pytest
from conftest import Village

AREA = "52/5201/520102/001"


@pytest.fixture
def village(runner, tmp_path):
    """A village with 2,000 households, a clerk, and a backup of all that at tmp_path/good.db."""
    assert runner("init", "--role", "village", "--name", "红星村", "--area", AREA, "--lang", "en").exit_code == 0
    path = tmp_path / "h.csv"
    path.write_text("code,head_name\n" + "".join(f"H{n},王{n}\n" for n in range(2000)), encoding="utf-8")
    assert runner("import", "households", str(path)).exit_code == 0
    assert runner("user", "add", "clerk1", "--role", "clerk", "--password-stdin", input="correct horse\n").exit_code == 0
    assert runner("backup", "--out", str(tmp_path / "good.db")).exit_code == 0
    return runner


def db_file(village):
    return os.path.join(village.data_dir, "village.db")


def households(village):
    return json.loads(village("status", "--json").output)["records"]["households"]


def test_a_database_cut_in_half_is_reported_by_every_command(village):
    path = db_file(village)
    os.truncate(path, os.path.getsize(path) // 2)
    for command in (["status"], ["check"], ["backup", "--out", os.path.join(village.data_dir, "..", "x.db")],
                    ["serve", "--port", "1"]):
        result = village(*command)  # the runner lets any traceback through: none may come
        assert result.exit_code == 1, command
        # "cut short" when the header tells (no WAL left), else SQLite's own finding.
        assert "was cut short" in result.output or "is damaged" in result.output, command
        assert "village restore" in result.output and "Nothing was changed" in result.output, command
    assert not os.path.exists(os.path.join(village.data_dir, "..", "x.db"))


def test_a_database_damaged_inside_is_reported_not_a_traceback(village):
    with open(db_file(village), "r+b") as handle:
        handle.seek(4096 * 40)
        handle.write(b"\xff" * 4096 * 20)
    for command in (["status"], ["check"], ["export", "households"]):
        result = village(*command)
        assert result.exit_code == 1, command
        assert "is damaged" in result.output and "village restore" in result.output, command


@pytest.mark.parametrize("damage", ["empty", "missing"])
def test_an_empty_or_missing_database_is_never_recreated(village, damage):
    path = db_file(village)
    if damage == "empty":
        open(path, "wb").close()
    else:
        os.unlink(path)
    for command in ("status", "check", "sync"):
        result = village(command)
        assert result.exit_code == 1
        assert ("is empty (0 bytes)" if damage == "empty" else "is missing") in result.output
        assert "Nothing was" in result.output and "village restore" in result.output
    assert (os.path.getsize(path) == 0) if damage == "empty" else not os.path.exists(path)


def test_the_scheduler_does_not_recreate_a_missing_database(village):
    from village.node import load_node
    from village.ops.scheduler import NodeScheduler

    node = load_node(village.data_dir)
    os.unlink(node.db_path)
    jobs = NodeScheduler(node, sync=lambda: True, probe=lambda: True)
    assert jobs.sync_tick() == "not enrolled"
    from village.ops.scheduler import backup_if_due

    assert jobs.with_db(backup_if_due)() is None
    assert not os.path.exists(node.db_path)


@pytest.mark.parametrize("damage", ["half", "empty", "missing", "garbage"])
def test_restore_repairs_a_damaged_database_without_opening_it(village, tmp_path, damage):
    path = db_file(village)
    if damage == "half":
        os.truncate(path, os.path.getsize(path) // 2)
    elif damage == "empty":
        os.truncate(path, 0)
    elif damage == "missing":
        os.unlink(path)
    else:
        with open(path, "r+b") as handle:
            handle.write(b"\x00" * 100)
    result = village("restore", str(tmp_path / "good.db"))
    assert result.exit_code == 0, result.output
    assert households(village) == 2000 and village("check").exit_code == 0
    if damage in ("empty", "missing"):
        # It cannot say how far the change sequence had got: new changes start far beyond.
        assert "could not be read" in result.output
    last = json.loads(village("status", "--json").output)["sync"]["last_seq"]
    (tmp_path / "more.csv").write_text("code,head_name\nNEW1,新\n", encoding="utf-8")
    assert village("import", "households", str(tmp_path / "more.csv")).exit_code == 0
    assert json.loads(village("status", "--json").output)["sync"]["last_seq"] > last


def test_restore_keeps_the_clock_and_sequence_ahead_and_the_replaced_database(village, tmp_path):
    (tmp_path / "more.csv").write_text("code,head_name\nNEW1,新\n", encoding="utf-8")
    village("import", "households", str(tmp_path / "more.csv"))
    before = json.loads(village("status", "--json").output)["sync"]["last_seq"]
    result = village("restore", str(tmp_path / "good.db"))
    assert result.exit_code == 0 and "could not be read" not in result.output
    assert "village.db.before-restore" in result.output and "clerk1 (clerk)" in result.output
    assert households(village) == 2000
    kept = sqlite3.connect(os.path.join(village.data_dir, "village.db.before-restore"))
    assert kept.execute("SELECT COUNT(*) FROM households").fetchone()[0] == 2001
    kept.close()
    village("import", "households", str(tmp_path / "more.csv"))
    assert json.loads(village("status", "--json").output)["sync"]["last_seq"] > before


def test_restore_of_a_name_with_a_hash_works_and_leaves_no_stray_file(village, tmp_path):
    os.rename(tmp_path / "good.db", tmp_path / "backup#1.db")
    before = sorted(os.listdir(tmp_path))
    result = village("restore", str(tmp_path / "backup#1.db"))
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(tmp_path)) == before
    assert households(village) == 2000


def test_restore_refuses_another_nodes_backup_unless_forced(village, tmp_path):
    other = Village(tmp_path / "other")
    assert other("init", "--role", "village", "--name", "别村", "--area", AREA, "--lang", "en").exit_code == 0
    result = other("restore", str(tmp_path / "good.db"))
    assert result.exit_code == 1 and "backup of another node" in result.output and "--force" in result.output
    assert json.loads(other("status", "--json").output)["records"]["households"] == 0
    forced = other("restore", str(tmp_path / "good.db"), "--force")
    assert forced.exit_code == 0, forced.output
    assert json.loads(other("status", "--json").output)["records"]["households"] == 2000
    assert other("check").exit_code == 0  # the restored database now belongs to this node


def _alter(path, *statements):
    db = sqlite3.connect(path)
    for statement in statements:
        db.execute(statement)
    db.commit()
    db.close()


@pytest.mark.parametrize("statements, named", [
    (["CREATE TRIGGER steal AFTER INSERT ON households BEGIN DELETE FROM users; END"], "trigger steal"),
    (["CREATE VIEW secrets AS SELECT * FROM _sync_meta"], "view secrets"),
    (["CREATE TABLE loot (x TEXT)"], "table loot"),
    (["ALTER TABLE households ADD COLUMN hidden TEXT"], "column households.hidden"),
    (["DROP TRIGGER audit_no_delete"], "trigger audit_no_delete (missing)"),
])
def test_restore_refuses_schema_objects_it_does_not_make(village, tmp_path, statements, named):
    _alter(tmp_path / "good.db", *statements)
    (tmp_path / "more.csv").write_text("code,head_name\nNEW1,新\n", encoding="utf-8")
    village("import", "households", str(tmp_path / "more.csv"))
    result = village("restore", str(tmp_path / "good.db"))
    assert result.exit_code == 1 and named in result.output and "Nothing was changed" in result.output
    assert households(village) == 2001
    assert not [n for n in os.listdir(village.data_dir) if "restoring" in n]


def test_an_added_admin_is_data_and_shown_after_restore(village, tmp_path):
    _alter(tmp_path / "good.db", "INSERT INTO users (username, password_hash, role, created_at) "
                                 "VALUES ('mallory', 'x', 'admin', '2026-01-01')")
    result = village("restore", str(tmp_path / "good.db"))
    assert result.exit_code == 0 and "mallory (admin)" in result.output


def test_restore_is_refused_while_the_node_serves(village, tmp_path):
    from village.ops.scheduler import DataDirLock

    lock = DataDirLock(village.data_dir)
    assert lock.acquire()  # what the first process of `village serve` holds
    try:
        result = village("restore", str(tmp_path / "good.db"))
    finally:
        lock.release()
    assert result.exit_code == 1 and "Stop it, restore" in result.output


@pytest.mark.parametrize("make, says", [
    (lambda p: p.write_bytes(b"not a database at all" * 100), "not a backup"),
    (lambda p: p.mkdir(), "There is no backup file"),
    (lambda p: None, "There is no backup file"),
])
def test_restore_refuses_what_is_not_a_backup(village, tmp_path, make, says):
    make(tmp_path / "junk.db")
    result = village("restore", str(tmp_path / "junk.db"))
    assert result.exit_code == 1 and says in result.output
    assert households(village) == 2000
