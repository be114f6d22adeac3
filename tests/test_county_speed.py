"""County pages at scale kept right: figures kept between two changes are counted again after one (a sync, a
write at the hub, a goal set), and long lists are paged with how many more."""
import datetime

import pytest
from clerk_helpers import PASSWORD, login
from conftest import COUNTY_AREA, local
from sync_helpers import sync
from test_county import county_hub, request_of_age  # noqa: F401  (the fixture)
from test_county_exports import Tables, page_table

from sync.clock import utc_text
from sync.server import add_node
from sync.store import transaction
from village import create_app
from village.records import core, county
from village.users import add_user

pytestmark = pytest.mark.usefixtures("hub_engine")  # every test on a SQLite and a PostgreSQL hub


def client_of(hub, hub_db):
    app = create_app({"NODE": hub, "TESTING": True, "WTF_CSRF_ENABLED": False})
    add_user(local(hub_db), "county1", "county", PASSWORD)
    client = app.test_client()
    assert login(client, "county1").status_code == 302
    return client


def listed(text):
    """Return the first cell of every row of every table on the page: what it lists, not its other text
    (which holds a random CSRF token, where "A1" turns up one page in fifty)."""
    return {row[0] for _heads, rows in Tables(text).tables.values() for row in rows if row}


def test_kept_figures_are_counted_again_after_a_sync_and_after_a_write_at_the_hub(county_hub):  # noqa: F811
    hub, hub_db, node, db, link, made = county_hub
    client = client_of(hub, hub_db)
    before = client.get("/county/lists/requests?lang=en").text
    assert "S-0000-0001" in before and "S-0000-0003" not in before
    with core.write(db, node) as w:  # a new request at the village, then its sync
        request_of_age(w, node, 3, ticket="S-0000-0003")
    assert sync(node).exit_code == 0
    assert "S-0000-0003" in client.get("/county/lists/requests?lang=en").text
    home = client.get("/county/lists/late-cases?lang=en").text
    assert "A1" in listed(home)
    with core.write(hub_db, hub) as w:  # the county decides the late case at the hub: off the list
        core.save(w, hub, "monitor_cases", {"county_on": datetime.date.today().isoformat()}, row_id=made["late"])
    assert "A1" not in listed(client.get("/county/lists/late-cases?lang=en").text)


def test_a_goal_set_shows_in_the_kept_matrix(county_hub):  # noqa: F811
    hub, hub_db = county_hub[:2]
    client = client_of(hub, hub_db)
    assert page_table(client.get("/county/completeness?lang=en").text, "")[1][0][1] == "90 %"
    assert client.post(f"/county/completeness?area={COUNTY_AREA}", data={"goal": "75"}).status_code == 302
    assert page_table(client.get("/county/completeness?lang=en").text, "")[1][0][1] == "75 %"


def test_village_stations_are_paged_a_hundred_at_a_time(county_hub):  # noqa: F811
    hub, hub_db = county_hub[:2]
    with transaction(hub_db) as tx:
        for i in range(120):
            link, _code = add_node(tx, f"村{i}", f"{COUNTY_AREA}/{i + 100:03d}", COUNTY_AREA)
            tx.execute("UPDATE nodes SET enrolled_at = ? WHERE node_id = ?", [utc_text(), link])
    client = client_of(hub, hub_db)
    first = client.get("/county/health?lang=en")
    assert len(page_table(first.text, "")[1]) == 100 and "21 more on the other pages" in first.text
    second = page_table(client.get("/county/health?lang=en&page=2").text, "")[1]
    assert len(second) == 21
    assert client.get("/county/health?page=zz").status_code == 200  # a hand-edited page: the first, no error


def test_an_emergency_in_force_adds_its_high_tier_elders_to_the_overdue_list(county_hub):  # noqa: F811
    hub, hub_db, node, db, link, made = county_hub
    today = datetime.date.today()
    with core.write(db, node) as w:  # visited five days ago: not due by its own day
        hh = core.save(w, node, "households", {"code": "B1", "head_name": "李四"})
        person = core.save(w, node, "persons", {"household_id": hh, "name": "马爷爷"})
        high = core.save(w, node, "elder_profiles", {"person_id": person, "tier": "high",
                                                     "next_visit_due": (today + datetime.timedelta(days=9)).isoformat()})
        core.save(w, node, "visits", {"household_id": hh, "visitor": "李", "kind": "elderly_care", "elder_id": high,
                                      "visited_on": (today - datetime.timedelta(days=5)).isoformat()})
    assert sync(node).exit_code == 0
    client = client_of(hub, hub_db)
    assert "马爷爷" not in client.get("/county/lists/overdue-elders?lang=en").text
    now = datetime.datetime.now(datetime.timezone.utc)
    start = now - datetime.timedelta(hours=4 * 24)  # began four days ago, after the last visit: due the day after
    with core.write(hub_db, hub) as w:
        core.save(w, hub, "announcements", {"title": {"zh_Hans": "暴雨红色预警"}, "priority": "emergency",
                                            "publish_at": start.isoformat(timespec="seconds"),
                                            "expires_at": (now + datetime.timedelta(days=2)).isoformat()})
    listed = page_table(client.get("/county/lists/overdue-elders?lang=en").text, "")[1]
    assert [row[0] for row in listed] == ["王奶奶", "马爷爷"]  # the longest overdue first: 40 days, then three
    assert listed[1][-1] == "3"
    assert county.overview(hub_db, COUNTY_AREA, today, now)["overdue_elders"] == 2
