"""Merging over real HTTP: concurrent edits, deletes, wrong clocks, scope moves, announcements, tiers."""
import datetime
import json
import time

import pytest
from conftest import VILLAGE_AREA, Village
from sync_helpers import add_households, assert_same, edit, enroll, enrolled_pair, serve_hub, sync

from sync.clock import FUTURE_LIMIT_MS, physical_ms, split_version
from sync.meta import get_meta
from village import create_app
from village.records import core
from village.records.notices import current_announcements
from village.ops.sync import run_sync

pytestmark = pytest.mark.usefixtures("hub_engine")  # every test on a SQLite and a PostgreSQL hub

OTHER_VILLAGE = "52/5201/520102/002"
TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000


def _conflicts(node):
    return json.loads(Village(node.data_dir)("export", "conflicts", "--format", "json").output)


def _pair(make_node, serve, count=2):
    hub, hub_db, server, village, db, _link = enrolled_pair(make_node, serve)
    ids = add_households(db, village, count)
    assert sync(village).exit_code == 0
    return hub, hub_db, village, db, ids


def test_same_field_converges_and_the_loser_is_kept(make_node, serve):
    hub, hub_db, village, db, ids = _pair(make_node, serve)
    edit(db, village, "households", ids[0], notes="village says")
    time.sleep(0.002)
    edit(hub_db, hub, "households", ids[0], notes="county says")  # later: wins everywhere
    assert sync(village).exit_code == 0
    assert core.get(db, "households", ids[0])["notes"] == core.get(hub_db, "households", ids[0])["notes"] == "county says"
    lost = [c for c in _conflicts(hub) if c["field"] == "notes"]
    assert [json.loads(c["lost_value"]) for c in lost] == ["village says"]
    assert [json.loads(c["lost_value"]) for c in _conflicts(village) if c["field"] == "notes"] == ["village says"]
    assert_same(db, hub_db, village.area)


def test_different_fields_both_survive(make_node, serve):
    hub, hub_db, village, db, ids = _pair(make_node, serve)
    edit(db, village, "households", ids[0], phone="13999999999")
    edit(hub_db, hub, "households", ids[0], address="新村路 8 号")
    assert sync(village).exit_code == 0
    for database in (db, hub_db):
        row = core.get(database, "households", ids[0])
        assert (row["phone"], row["address"]) == ("13999999999", "新村路 8 号")
    assert not _conflicts(hub) and not _conflicts(village)
    assert_same(db, hub_db, village.area)


def test_delete_against_edit(make_node, serve):
    hub, hub_db, village, db, ids = _pair(make_node, serve)
    with core.write(db, village) as writer:
        core.delete(writer, village, "households", ids[0])
    edit(hub_db, hub, "households", ids[0], notes="edited at the county meanwhile")
    assert sync(village).exit_code == 0
    for database in (db, hub_db):
        assert core.get(database, "households", ids[0]) is None
        assert core.get(database, "households", ids[0], include_deleted=True)["notes"] == "edited at the county meanwhile"
    assert_same(db, hub_db, village.area)


def test_village_clock_reset_to_1970_after_syncing(make_node, serve):
    hub, hub_db, village, db, ids = _pair(make_node, serve)
    epoch = lambda: 0  # noqa: E731 - the machine lost its clock after a power cut
    edit(db, village, "households", ids[0], notes="after the power cut", wall=epoch)
    edit(hub_db, hub, "households", ids[1], notes="county edit")
    assert run_sync(village, wall=epoch).ok
    assert core.get(hub_db, "households", ids[0])["notes"] == "after the power cut"
    # Having heard the hub's time, the node's next stamps are near the real time again.
    edit(db, village, "households", ids[0], notes="later", wall=epoch)
    stamp = physical_ms(split_version(core.get(db, "households", ids[0])["_version"])[0])
    assert abs(stamp - time.time() * 1000) < 60_000
    assert run_sync(village, wall=epoch).ok
    assert_same(db, hub_db, village.area)


def test_village_clock_ten_years_ahead_does_not_win(make_node, serve):
    hub, hub_db, village, db, ids = _pair(make_node, serve)
    future = lambda: int(time.time() * 1000) + TEN_YEARS_MS  # noqa: E731
    edit(db, village, "households", ids[0], notes="from the future", wall=future)
    assert run_sync(village, wall=future).ok
    time.sleep(0.002)
    edit(hub_db, hub, "households", ids[0], notes="county, later in real time")
    assert run_sync(village, wall=future).ok
    for database in (db, hub_db):
        row = core.get(database, "households", ids[0])
        assert row["notes"] == "county, later in real time"
        assert physical_ms(split_version(row["_version"])[0]) < time.time() * 1000 + FUTURE_LIMIT_MS
    status = json.loads(Village(hub.data_dir)("status", "--json").output)
    flagged = [n for n in status["sync"]["nodes"] if n["clock_far_ahead"]]
    assert len(flagged) == 1 and flagged[0]["restamped"] == 1
    # The node's own later edits are stamped near the real time again and do win.
    edit(db, village, "households", ids[0], notes="village, latest", wall=future)
    assert run_sync(village, wall=future).ok
    assert core.get(hub_db, "households", ids[0])["notes"] == "village, latest"
    assert_same(db, hub_db, village.area)


def test_record_moved_out_of_scope_is_evicted(make_node, serve):
    hub, hub_db, server = serve_hub(make_node, serve)
    first, first_db = make_node(area=VILLAGE_AREA)
    second, second_db = make_node(area=OTHER_VILLAGE)
    enroll(hub, server, first)
    enroll(hub, server, second)
    with core.write(first_db, first) as writer:
        moved = core.save(writer, first, "households", {"code": "M1", "head_name": "李", "notes": "moves"})
        core.save(writer, first, "households", {"code": "S1", "head_name": "王"})
    assert sync(first).exit_code == 0
    edit(hub_db, hub, "households", moved, area=OTHER_VILLAGE)
    for node in (first, second):
        assert sync(node).exit_code == 0
    assert core.get(first_db, "households", moved, include_deleted=True) is None
    assert core.get(second_db, "households", moved)["notes"] == "moves"
    assert_same(first_db, hub_db, first.area)
    assert_same(second_db, hub_db, second.area)


def test_announcement_reaches_exactly_the_villages_under_its_path(make_node, serve):
    hub, hub_db, server = serve_hub(make_node, serve)
    villages = [make_node(area=VILLAGE_AREA), make_node(area=OTHER_VILLAGE)]
    for node, _db in villages:
        enroll(hub, server, node)
    expires = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)).isoformat(timespec="seconds")
    for title, area in (("修路通知", VILLAGE_AREA), ("全县停水", hub.area)):
        done = Village(hub.data_dir)("announce", "--title", title, "--body", "…", "--priority", "emergency",
                                     "--area", area, "--expires", expires)
        assert done.exit_code == 0, done.output
    for node, _db in villages:
        assert sync(node).exit_code == 0
    shown = [[a["title"][hub.lang] for a in current_announcements(db, node.area)] for node, db in villages]
    assert sorted(shown[0]) == ["修路通知", "全县停水"] and shown[1] == ["全县停水"]
    page = create_app({"NODE": villages[0][0], "TESTING": True}).test_client().get("/")
    assert "修路通知" in page.get_data(as_text=True)
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=2)
    for node, db in [*villages, (hub, hub_db)]:
        assert current_announcements(db, node.area, now=later) == []
    for node, db in villages:
        assert_same(db, hub_db, node.area)


def test_multi_tier_village_county_province_exactly_once(make_node, serve):
    province, province_db, province_server = serve_hub(make_node, serve, area="52/5201", name="省", subdir="province")
    county, county_db, county_server = serve_hub(make_node, serve)
    village, db = make_node()
    enroll(province, province_server, county, name="县")
    enroll(county, county_server, village)
    add_households(db, village, 20)
    with core.write(province_db, province) as writer:
        core.save(writer, province, "announcements", {"title": {"en": "Province-wide drill"}, "area": "52/5201"})
    for node in (village, county, village, county, village):  # repeated rounds: nothing doubles
        result = sync(node)
        assert result.exit_code == 0, result.output
    versions = province_db.execute("SELECT COUNT(*), COUNT(DISTINCT version), COUNT(DISTINCT row_id) FROM _changes "
                                   "WHERE tbl = 'households'").fetchone()
    assert versions == (20, 20, 20)
    assert province_db.execute("SELECT COUNT(*) FROM households").fetchone()[0] == 20
    assert [a["title"]["en"] for a in current_announcements(db, village.area)] == ["Province-wide drill"]
    assert_same(db, county_db, village.area)
    assert_same(county_db, province_db, county.area)
    assert_same(db, province_db, village.area)
    assert get_meta(county_db, "sync.pull_cursor") != "0"
