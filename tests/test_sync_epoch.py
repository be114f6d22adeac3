"""Epochs (sync.epoch): a hub restored from a backup lost history; its villages rewind and everything arrives once."""
import subprocess

import pytest
from conftest import Village, local
from pg_helpers import PG_BIN
from sync_helpers import add_households, assert_same, enroll, serve_hub

from sync.epoch import bump, epochs, heard, safe_point
from sync.meta import HUB_EPOCH, HUB_URL, PULL_CURSOR, PUSH_CURSOR, get_meta, set_meta
from sync.store import transaction
from village import create_app
from village.hubdb import sync_store
from village.node import open_db
from village.ops.sync import run_sync

pytestmark = pytest.mark.usefixtures("hub_engine")  # every test on a SQLite and a PostgreSQL hub

HOUSEHOLDS = "SELECT COUNT(*), COUNT(DISTINCT id) FROM households"
CHANGES = "SELECT COUNT(*), COUNT(DISTINCT version) FROM _changes"


@pytest.mark.parametrize("known,cursor,expected", [
    ("a", 500, 120),          # one bump since: back to where the new history began
    ("a", 80, 80),            # the node never got that far: it stays
    ("b", 500, 300),          # it knew the second epoch: only the third's start counts
    ("lost", 500, 0),         # an epoch of a history the hub never held: from the start
])
def test_the_safe_point_is_what_both_histories_share(known, cursor, expected):
    items = [["a", 0], ["b", 120], ["c", 300]]
    assert safe_point(known, items, cursor) == expected


@pytest.mark.parametrize("body", [
    {}, {"epochs": []}, {"epochs": "x"}, {"epochs": [["a"]]}, {"epochs": [["a", -1]]}, {"epochs": [["a", True]]},
    {"epochs": [[1, 0]]}, {"epochs": [["a" * 65, 0]]}, {"epochs": [["a", 0]] * 21}, [["a", 0]],
])
def test_a_malformed_epoch_from_the_hub_is_ignored_not_followed(body):
    assert heard(body) is None


def restart(hub, server, serve, village, db):
    """Serve the hub again (a new app: the database file was replaced) and point the village at it."""
    server.stop()
    again = serve(create_app({"NODE": hub, "TESTING": True}))
    with transaction(db):
        set_meta(db, HUB_URL, again.url)
    return again


def take_backup(hub, hub_db, path):
    """Back the hub up as its operator does: `village backup`, or pg_dump for a hub on PostgreSQL (which
    `village backup` refuses, saying so)."""
    done = Village(hub.data_dir)("backup", "--out", str(path))
    if not hub.setting("database"):
        assert done.exit_code == 0, done.output
        return
    assert done.exit_code != 0 and "pg_dump" in done.output and "Traceback" not in done.output
    assert not path.exists()
    subprocess.run([PG_BIN / "pg_dump", "-Fc", "-f", path, hub.setting("database")], check=True)


def restore_backup(hub, hub_db, path):
    """Restore the hub from `path` (the hub stopped); return its store opened again."""
    done = Village(hub.data_dir)("restore", str(path))
    if not hub.setting("database"):
        assert done.exit_code == 0, done.output
        return open_db(hub)
    assert done.exit_code != 0 and "pg_restore" in done.output and "Traceback" not in done.output
    # Into the same database of the same cluster: no new timeline, no new system: new tables.
    subprocess.run([PG_BIN / "pg_restore", "--clean", "--if-exists", "-d", hub.setting("database"), path], check=True)
    return sync_store(hub, local(hub_db))


def test_a_hub_restored_from_a_backup_gets_back_what_it_lost(make_node, serve, tmp_path):
    hub, hub_db, server = serve_hub(make_node, serve)
    a, a_db = make_node(area="52/5201/520102/001", subdir="a")
    b, b_db = make_node(area="52/5201/520102/002", subdir="b")
    for node in (a, b):
        enroll(hub, server, node)
    add_households(a_db, a, 20, prefix="A")
    assert run_sync(a).ok and run_sync(b).ok
    first = get_meta(a_db, HUB_EPOCH)
    assert first == epochs(hub_db)[-1][0]  # heard with the first answer, nothing rewound
    backup = tmp_path / "hub-backup.db"
    take_backup(hub, hub_db, backup)
    # After the backup: A pushes 30 more (B, a village elsewhere, only moves its cursor past them).
    add_households(a_db, a, 30, prefix="L")
    assert run_sync(a).ok and run_sync(b).ok
    seen_by_b = int(get_meta(b_db, PULL_CURSOR))
    hub_db.close()
    hub_db = restore_backup(hub, hub_db, backup)
    try:
        assert hub_db.execute(HOUSEHOLDS).fetchone()[0] == 20  # the 30 acknowledged ones are gone
        items = epochs(hub_db)
        assert len(items) == 2 and items[0][0] == first and items[1][1] < seen_by_b
        server = restart(hub, server, serve, a, a_db)
        with transaction(b_db):
            set_meta(b_db, HUB_URL, server.url)
        # A's push cursor said the hub held all 100 changes: the new epoch makes it send them again.
        assert run_sync(a).ok
        assert get_meta(a_db, HUB_EPOCH) == items[1][0] and int(get_meta(a_db, PUSH_CURSOR)) == 100
        assert hub_db.execute(HOUSEHOLDS).fetchone() == (50, 50)
        # B hears the new epoch in its pull, goes back to where both histories agree, then on.
        assert run_sync(b).ok
        assert get_meta(b_db, HUB_EPOCH) == items[1][0] and int(get_meta(b_db, PULL_CURSOR)) >= seen_by_b
        for db in (a_db, hub_db):
            count, distinct = db.execute(CHANGES).fetchone()
            assert count == distinct  # nothing logged twice
            assert db.execute(HOUSEHOLDS).fetchone() == (50, 50)
        assert assert_same(a_db, hub_db, a.area) == 100
        assert b_db.execute(HOUSEHOLDS).fetchone() == (0, 0)  # and nothing of A's reached B
    finally:
        hub_db.close()


def test_a_second_bump_while_a_node_was_away_rewinds_to_the_earliest_shared_point(make_node):
    hub, hub_db = make_node(role="county", area="52/5201/520102")
    with transaction(hub_db) as tx:
        first = epochs(tx)[-1][0]
        bump(tx, since=40)
        bump(tx, since=90)
    assert safe_point(first, epochs(hub_db), 200) == 40
