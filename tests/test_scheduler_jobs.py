"""The scheduler's jobs besides sync: nightly backups kept and rotated, expired announcements tombstoned."""
import datetime

import pytest

from village.ops import backups
from village.ops import scheduler as sch
from tests.conftest import COUNTY_AREA
from village.records import core

UTC = datetime.timezone.utc


def test_backup_rotation_keeps_the_newest_n(node, db):
    node.settings["backup_keep"] = 3
    start = datetime.datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
    made = [backups.nightly_backup(db, node, now=start + datetime.timedelta(days=d)) for d in range(5)]
    kept = sorted((node.data_dir / backups.BACKUP_DIR).iterdir())
    assert kept == made[-3:]
    import sqlite3

    with sqlite3.connect(kept[-1]) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


H = datetime.timedelta(hours=1)
NOON = datetime.datetime(2026, 3, 2, 12, tzinfo=UTC)


@pytest.mark.parametrize("newest, now, hour, due", [
    (None, NOON, 12, True),
    (NOON - 21 * H, NOON, 3, True),     # night, last one yesterday night
    (NOON - 21 * H, NOON, 12, False),   # daytime: wait for the night
    (NOON - 27 * H, NOON, 12, True),    # the node was off every night: do it now
    (NOON - 2 * H, NOON, 3, False),
    (NOON + 24 * 365 * H, NOON, 12, True),  # the clock went back years
])
def test_backup_due(newest, now, hour, due):
    assert backups.backup_due(newest, now, hour) is due


def test_backup_if_due_takes_one_a_day(node, db):
    first = backups.backup_if_due(db, node, now=NOON)
    assert first is not None and backups.newest_backup(first.parent) == NOON
    assert backups.backup_if_due(db, node, now=NOON + 2 * H) is None
    assert backups.backup_if_due(db, node, now=NOON + 27 * H) is not None


def test_rotation_ignores_other_files(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    for name in ("village-1.db", "village-2.db", "village-3.db"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in backups.rotate_backups(tmp_path, 1)] == ["village-1.db", "village-2.db"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "village-3.db"]


def announce(db, node, title, expires, area=None):
    values = {"title": {"en": title}, "expires_at": expires}
    if area:
        values["area"] = area
    with core.write(db, node) as writer:
        return core.save(writer, node, "announcements", values)


@pytest.mark.usefixtures("hub_engine")  # on a SQLite and a PostgreSQL hub
def test_expiry_tombstones_expired_announcements_through_the_write_path(make_node):
    county, db = make_node(role="county", area=COUNTY_AREA, name="县")
    old = announce(db, county, "Old", "2026-01-01T00:00:00+00:00")
    current = announce(db, county, "Current", "2026-12-31T00:00:00+00:00")
    forever = announce(db, county, "Forever", None)
    now = datetime.datetime(2026, 6, 1, tzinfo=UTC)
    assert sch.expire_announcements(db, county, now=now) == [old]
    assert core.get(db, "announcements", old) is None
    assert core.get(db, "announcements", old, include_deleted=True)["_deleted"] == 1
    assert core.get(db, "announcements", current) and core.get(db, "announcements", forever)
    ops = db.execute("SELECT op FROM _changes WHERE row_id = ? ORDER BY seq", [old]).fetchall()
    assert ops == [("put",), ("del",)]  # the tombstone is in the change log, so it syncs
    assert sch.expire_announcements(db, county, now=now) == []  # nothing more the second time


@pytest.mark.usefixtures("hub_engine")  # on a SQLite and a PostgreSQL hub
def test_expiry_leaves_announcements_of_a_higher_hub_alone(make_node):
    county, db = make_node(role="county", area=COUNTY_AREA, name="县")
    with core.write(db, county) as writer:
        writer.apply({"tbl": "announcements", "row_id": "prov-1", "version": "0000000000010000-province",
                      "op": "put", "area": "52", "prev_area": None,
                      "data": {"area": "52", "title": '{"en":"Province"}', "expires_at": "2026-01-01T00:00:00+00:00"}},
                     src="up")
    assert sch.expire_announcements(db, county, now=datetime.datetime(2026, 6, 1, tzinfo=UTC)) == []
    assert core.get(db, "announcements", "prov-1")
