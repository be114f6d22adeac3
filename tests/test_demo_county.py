"""The demo county `make demo` serves: built through the real sync protocol with the promised story.

Built here on a small size (6 villages besides 红星村, 12 households each) by the same function
`village demo` runs at full size; the hub is served over real HTTP on 127.0.0.1. Built twice: its
hub on SQLite, and on PostgreSQL (`village demo --database`).
"""
import datetime

import pytest
import requests
from conftest import HUB_TEMPLATE, LiveServer, _hub_template, free_port
from pg_helpers import template

from sync.quarantine import held
from sync.store import transaction
from village import create_app
from village.hubdb import close_store, sync_store
from village.node import init_node, load_node, open_db
from village.ops import demo_county
from village.records import conflicts, county

COUNT = 6  # villages 002-007: 004 and 006 are the stale ones


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo_database(request):
    """Where the demo hub keeps its records: "" (its own SQLite file), or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield ""
        return
    cluster = request.getfixturevalue("pg_cluster")
    name = cluster.fresh_database(template(cluster, HUB_TEMPLATE, _hub_template))
    yield cluster.url(name)
    cluster.drop_database(name)


@pytest.fixture(scope="module")
def built(tmp_path_factory, demo_database):
    """The demo county built once per store: (served village, hub, hub's store, what build said)."""
    data = tmp_path_factory.mktemp("demo")
    served = init_node(data, "village", "红星村", "52/5201/520102/001", "zh_Hans")
    hub = demo_county.create_hub(data, demo_database)
    server = LiveServer(create_app({"NODE": hub, "TESTING": True}))  # kept: a later start's villages report to it
    said = []
    try:
        made = demo_county.build(served, hub, server.url, lambda message, **params: said.append(message % params),
                                 count=COUNT, households=12)
        local = open_db(hub)
        hub_db = sync_store(hub, local)
        yield served, hub, hub_db, made, said
        close_store(hub_db, local)
        local.close()
    finally:
        server.stop()


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def test_the_full_demo_holds_at_least_20_villages_and_the_small_one_all_it_asked_for(built):
    served, hub, hub_db, made, said = built
    assert len(demo_county.village_paths(served.data_dir)) >= 20  # what `village demo` builds
    assert made == {"villages": COUNT + 1, "stale": 2, "conflicts": 1, "held": 1}
    assert "石门村 enrolled, filled and synced (1 of 7)" in said  # progress, the stale ones first


def test_each_village_is_a_real_node_whose_records_reached_the_hub(built):
    served, hub, hub_db, _made, _said = built
    for code, name, path in demo_county.village_paths(served.data_dir, COUNT):
        node = load_node(path)
        db = open_db(node)
        try:
            mine = db.execute("SELECT COUNT(*) FROM households WHERE area = ?", [node.area]).fetchone()[0]
        finally:
            db.close()
        at_hub = hub_db.execute("SELECT COUNT(*) FROM households WHERE area = ?", [node.area]).fetchone()[0]
        assert (node.name, node.role) == (name, "village") and mine >= 12
        assert at_hub == mine
    assert hub_db.execute("SELECT COUNT(*) FROM households WHERE area = ?", [served.area]).fetchone()[0] == 200


def test_some_villages_are_stale_for_days(built):
    _served, hub, hub_db, _made, _said = built
    figures = county.overview(hub_db, hub.area, now().date(), now())
    assert (figures["synced"], figures["villages"]) == (COUNT - 1, COUNT + 1)
    _columns, stale, _total = county.stale_villages(hub_db, hub.area, now().date(), now())
    assert [row["name"] for row in stale] == ["桃园村", "石门村"]  # 9 and 3 days silent, the longest first
    assert stale[0]["last_seen"] < (now() - datetime.timedelta(days=8)).isoformat()


def test_one_open_conflict_and_one_held_change(built):
    _served, hub, hub_db, _made, _said = built
    [conflict] = conflicts.open_conflicts(hub_db, hub, hub.area)
    assert (conflict["tbl"], conflict["field"]) == ("households", "phone")
    assert {conflict["kept"], conflict["lost"]} == {"13985054321", "13985012345"}
    assert conflict["lost_by"]["node"] == hub.name and conflict["kept_by"]["node"] == "白云村"
    [kept] = held(hub_db)
    assert kept["tbl"] == "announcements" and "written only at the hub" in kept["message"]


def test_the_alert_is_acknowledged_by_some_villages_not_all(built):
    _served, hub, hub_db, _made, _said = built
    reach = county.alert_reach(hub_db, hub.area, now())
    live = COUNT - 1  # the stale villages never received it
    assert reach == {"villages": COUNT + 1, "delivered_at": live, "displayed_at": 4, "acknowledged_at": 3}
    assert 0 < county.acknowledged_share(hub_db, hub.area, now()) < 100
    identifier = hub_db.execute("SELECT identifier, msg_type FROM cap_messages").fetchall()
    assert [row[1] for row in identifier] == ["Alert"]  # imported from the CAP file kept at the hub
    assert (hub.data_dir / "demo-alert.xml").read_bytes().count(identifier[0][0].encode()) == 1


def test_a_week_of_prices_from_the_official_file(built):
    _served, hub, hub_db, _made, _said = built
    days = [row[0] for row in hub_db.execute("SELECT DISTINCT observed_on FROM market_prices ORDER BY 1")]
    today = now().date()
    assert days == [(today - datetime.timedelta(days=n)).isoformat() for n in range(6, -1, -1)]
    units = {row[0] for row in hub_db.execute("SELECT DISTINCT unit FROM market_prices")}
    assert units == {"元/公斤"}  # 元/斤 and 元/500克 of the file converted
    assert "元/斤" in (hub.data_dir / "demo-prices.csv").read_text(encoding="utf-8-sig")


def test_a_later_start_lets_villages_in_contact_report_again(built):
    served, hub, hub_db, _made, _said = built
    earlier = (now() - datetime.timedelta(days=2)).isoformat(timespec="seconds")
    with transaction(hub_db) as tx:
        tx.execute("UPDATE nodes SET last_seen = ? WHERE name IN ('白云村', '石门村')", [earlier])
    said = []
    demo_county.refresh(served.data_dir, lambda message, **params: said.append(message % params))
    seen = dict(hub_db.execute("SELECT name, last_seen FROM nodes").fetchall())
    assert seen["白云村"] > earlier and seen["石门村"] == earlier  # a stale village stays silent
    assert "白云村 reported to the hub" in said and not any("石门村" in line for line in said)


def test_the_hub_is_served_by_village_serve_and_stopped_after(tmp_path, demo_database, request):
    cluster = request.getfixturevalue("pg_cluster") if demo_database else None
    # A database of its own: the built county's belongs to another hub.
    name = cluster and cluster.fresh_database(template(cluster, HUB_TEMPLATE, _hub_template))
    try:
        hub = demo_county.create_hub(tmp_path, cluster.url(name) if cluster else "")
        port = free_port()
        with demo_county.ServedHub(demo_county.hub_path(tmp_path), "127.0.0.1", port) as served:
            answer = requests.get(f"{served.url}/county/", allow_redirects=False, timeout=10)
            assert answer.status_code == 302 and "/login" in answer.headers["Location"]
        assert served.process.returncode is not None
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/", timeout=2)
        assert hub.role == "county"
    finally:
        if cluster:
            cluster.drop_database(name)


def test_a_demo_whose_database_is_refused_makes_nothing_and_the_next_start_makes_it_whole(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    data = tmp_path / "demo"
    unreachable = f"postgresql://nobody@127.0.0.1:{free_port()}/demo"
    refused = subprocess.run([sys.executable, "-m", "village", "demo", "--no-serve", "--villages", "0",
                              "--database", unreachable, "--data", str(data)],
                             capture_output=True, text=True, timeout=120, cwd=root)
    assert refused.returncode == 1 and "could not be reached" in refused.stderr and "Traceback" not in refused.stderr
    assert not data.exists() or not any(data.rglob("*.json"))  # no village, no hub: "Nothing was changed"
    again = subprocess.run([sys.executable, "-m", "village", "demo", "--no-serve", "--villages", "0", "--data", str(data)],
                           capture_output=True, text=True, timeout=120, cwd=root)
    assert again.returncode == 0, again.stderr
    assert load_node(data).role == "village" and load_node(demo_county.hub_path(data)).role == "county"
    assert "no demo county" not in again.stderr
