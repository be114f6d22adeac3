"""The node's own commands at a county hub, on SQLite and on PostgreSQL: status, check, backup and restore.

On a hub whose records are in PostgreSQL, `status` and `check` read them there (not the node's
SQLite file, which holds its users and audit log); `backup` and `restore` cannot copy them and
say so, pointing at PostgreSQL's own tools.
"""
import json

import pytest
from conftest import Village
from sync_helpers import add_households, enrolled_pair, sync

from sync.store import transaction

pytestmark = pytest.mark.usefixtures("hub_engine")  # every test on a SQLite and a PostgreSQL hub


def test_status_counts_the_records_and_villages_where_they_are(make_node, serve):
    hub, hub_db, _server, village, db, link = enrolled_pair(make_node, serve)
    add_households(db, village, 5)
    assert sync(village).exit_code == 0
    shown = Village(hub.data_dir)("status", "--json")
    assert shown.exit_code == 0, shown.output
    info = json.loads(shown.output)
    assert info["records"]["households"] == 5 and info["records"]["persons"] == 5
    assert info["sync"]["last_seq"] == 10
    assert [n["node_id"] for n in info["sync"]["nodes"]] == [link]


def test_check_reads_the_records_where_they_are(make_node, serve):
    hub, hub_db, _server, village, db, _link = enrolled_pair(make_node, serve)
    add_households(db, village, 3)
    assert sync(village).exit_code == 0
    clean = Village(hub.data_dir)("check")
    assert clean.exit_code == 0 and "The database is in order." in clean.output, clean.output
    with transaction(hub_db) as tx:  # written past the write path: outside the hub's area, never logged
        tx.execute("UPDATE households SET area = '53/5301' WHERE code = 'H00000'")
    found = Village(hub.data_dir)("check")
    assert found.exit_code != 0 and "Traceback" not in found.output
    assert "is outside this node's area 52/5201/520102" in found.output


def test_backup_and_restore_say_what_they_can_do(make_node, tmp_path):
    hub, _db = make_node(role="county", area="52/5201/520102")
    out = tmp_path / "hub.db"
    made = Village(hub.data_dir)("backup", "--out", str(out))
    if not hub.setting("database"):
        assert made.exit_code == 0 and out.exists()
        return
    for done in (made, Village(hub.data_dir)("restore", str(out))):
        assert done.exit_code != 0 and "Traceback" not in done.output
        assert "keeps its records and sync data in PostgreSQL" in done.output and "pg_dump and pg_restore" in done.output
    assert not out.exists()


def test_import_writes_the_records_where_they_are_all_or_nothing(make_node, tmp_path):
    hub, hub_db = make_node(role="county", area="52/5201/520102")
    good = tmp_path / "households.csv"
    good.write_text("code,head_name,area\nH1,王建国,52/5201/520102/001\nH2,李秀英,52/5201/520102/002\n", encoding="utf-8")
    done = Village(hub.data_dir)("import", "households", str(good))
    assert done.exit_code == 0 and "Imported 2 rows into households." in done.output, done.output
    stored = hub_db.execute("SELECT code, area FROM households ORDER BY code").fetchall()
    assert [tuple(row) for row in stored] == [("H1", "52/5201/520102/001"), ("H2", "52/5201/520102/002")]
    bad = tmp_path / "bad.csv"
    bad.write_text("code,head_name,area\nH3,张三,52/5201/520102/001\nH4,李四,53/5301\n", encoding="utf-8")
    refused = Village(hub.data_dir)("import", "households", str(bad))
    assert refused.exit_code != 0 and "row 3" in refused.output and "Traceback" not in refused.output
    assert hub_db.execute("SELECT COUNT(*) FROM households").fetchone()[0] == 2  # the file rolled back whole
    shown = Village(hub.data_dir)("export", "households")
    assert shown.exit_code == 0 and "王建国" in shown.output and "张三" not in shown.output
