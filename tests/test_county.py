"""County overview, village-station health, completeness and steps: each figure against a hand count,
the roll-ups against a recount after a real sync and after `village check --repair`, and the
village's status report (a hostile one refused at the hub)."""
import datetime
import json

import pytest
from conftest import COUNTY_AREA, VILLAGE_AREA, Village, local
from clerk_helpers import PASSWORD, login
from sync_helpers import enrolled_pair, sync
from test_monitoring import new_case, to_notice

from sync.batch import encode
from sync.meta import PUSH_CURSOR, get_meta
from sync.transport import Refused
from village import create_app
from village.hubdb import audited
from village.ops.sync import hub_client
from village.records import completeness, core, county, rollups, stations
from village.records.services import change_status
from village.users import add_user

pytestmark = pytest.mark.usefixtures("hub_engine")  # every test on a SQLite and a PostgreSQL hub

TODAY = datetime.date.today()
NOW = datetime.datetime.now(datetime.timezone.utc)


def days_ago(n):
    return (TODAY - datetime.timedelta(days=n)).isoformat()


def request_of_age(w, node, days, status="submitted", ticket=None):
    """A service request submitted `days` days ago (its history's first entry says when)."""
    history = [{"status": "submitted", "by": "kiosk", "at": f"{days_ago(days)}T08:00:00Z", "note": ""}]
    return core.save(w, node, "service_requests", {"ticket": ticket or f"S-0000-{days:04d}", "applicant_name": "李",
                                                   "kind": "subsidy", "status": status, "history": history})


def household(w, node, code):
    return core.save(w, node, "households", {"code": code, "head_name": "张三"})


def village_records(db, node):
    """Records of a village whose figures are counted by hand in the tests below."""
    with core.write(db, node) as w:
        for days in (1, 2, 5, 20):
            request_of_age(w, node, days)
        request_of_age(w, node, 9, status="rejected", ticket="S-0000-9999")  # done: not open
        core.save(w, node, "grievances", {"ticket": "G-0000-0001", "category": "road", "description": "路坏了",
                                          "status": "open", "responses": [{"status": "open", "by": "kiosk",
                                                                           "at": f"{days_ago(10)}T08:00:00Z"}]})
        late = new_case(w, node, household(w, node, "A1"), lead_days_ago=20)
        fresh = new_case(w, node, household(w, node, "A2"), lead_days_ago=3)
        to_notice(w, node, fresh)
        hh = household(w, node, "A3")
        person = core.save(w, node, "persons", {"household_id": hh, "name": "王奶奶"})
        overdue = core.save(w, node, "elder_profiles", {"person_id": person, "tier": "key",
                                                        "next_visit_due": days_ago(40)})
        visited = core.save(w, node, "elder_profiles", {"person_id": person, "tier": "key",
                                                        "next_visit_due": days_ago(40)})
        core.save(w, node, "visits", {"household_id": hh, "visitor": "李", "kind": "elderly_care",
                                      "elder_id": visited, "visited_on": days_ago(2)})
    return {"late": late, "fresh": fresh, "overdue": overdue, "visited": visited}


@pytest.fixture
def county_hub(make_node, serve):
    """A hub with one village that synced its hand-counted records over real HTTP."""
    hub, hub_db, server, node, db, link = enrolled_pair(make_node, serve)
    made = village_records(db, node)
    assert sync(node).exit_code == 0
    return hub, hub_db, node, db, link, made


def test_overview_figures_match_a_hand_count(county_hub):
    hub, hub_db, node, db, link, made = county_hub
    figures = county.overview(hub_db, COUNTY_AREA, TODAY, NOW)
    assert (figures["synced"], figures["villages"]) == (1, 1)
    assert figures["open"]["service_requests"] == {"0-3": 2, "4-7": 1, "8-15": 0, "16+": 1}
    assert figures["open"]["grievances"] == {"0-3": 0, "4-7": 0, "8-15": 1, "16+": 0}
    assert figures["late_cases"] == 1  # the 20-day-old lead; the 3-day-old one is on its clock
    assert figures["overdue_elders"] == 1  # the one never visited since its first due day
    assert figures["monitored"] == [] and figures["alerts"] == 0 and figures["prices_age"] is None
    assert figures["alerts_acknowledged"] is None  # no active alert reaches a village: no share to show
    # The county decides the fresh case at the hub: it is monitored now, counted by category and main risk.
    with audited(hub_db, local(hub_db)) as tx, core.write(tx, hub) as w:  # audited in the hub's own database
        change_status(w, hub, "monitor_cases", made["fresh"], "township_reviewed", "乡")
        change_status(w, hub, "monitor_cases", made["fresh"], "monitored", "县")
    assert local(hub_db).execute("SELECT actor FROM audit WHERE action = 'monitor_cases.status' "
                                 "ORDER BY id").fetchall() == [("乡",), ("县",)]
    figures = county.overview(hub_db, COUNTY_AREA, TODAY, NOW)
    assert figures["monitored"] == [("edge_vulnerable", "illness", 1)] and figures["late_cases"] == 1
    # Another area's figures hold none of this village's.
    assert county.overview(hub_db, "52/5201/520102/002", TODAY, NOW)["open"]["service_requests"]["0-3"] == 0
    columns, rows, _total = county.LISTS["requests"][1](hub_db, COUNTY_AREA, TODAY, NOW, "0-3")
    assert sorted(r["days"] for r in rows) == [1, 2] and ("ticket", "Ticket") in columns


def test_roll_ups_equal_a_recount_after_sync_and_after_repair(county_hub):
    hub, hub_db, node, db, link, made = county_hub
    assert rollups.stored(hub_db) == rollups.recount(hub_db) and len(rollups.stored(hub_db)) == 9
    with core.write(db, node) as w:  # more changes at the village: a visit and a request closed
        core.save(w, node, "visits", {"household_id": core.get(db, "monitor_cases", made["late"])["household_id"],
                                      "visitor": "李", "kind": "elderly_care", "elder_id": made["overdue"],
                                      "visited_on": days_ago(0)})
        core.delete(w, node, "grievances", next(core.rows(db, "grievances"))["id"])
    assert sync(node).exit_code == 0
    assert rollups.stored(hub_db) == rollups.recount(hub_db)
    assert county.overview(hub_db, COUNTY_AREA, TODAY, NOW)["overdue_elders"] == 0
    hub_db.execute("DELETE FROM county_facts WHERE kind = 'service_requests'")  # damaged, say by a bad restore
    assert rollups.stored(hub_db) != rollups.recount(hub_db)
    result = Village(hub.data_dir)("check", "--repair")
    assert "counted again" in result.output
    assert rollups.stored(hub_db) == rollups.recount(hub_db)


def test_the_village_reports_its_status_and_health_lists_it(county_hub):
    hub, hub_db, node, db, link, made = county_hub
    report = json.loads(hub_db.execute("SELECT status FROM nodes WHERE node_id = ?", [link]).fetchone()[0])
    assert report["records_waiting"] == 0 and report["files_waiting"] == 0 and report["free_disk_mb"] > 0
    assert report["version"] and report["cert_expires"] is None
    hub_db.execute("INSERT INTO sync_quarantine (node_id, version, tbl, row_id, change, code, message, received_at) "
                   "VALUES (?, '1-x', 'households', 'h', '{}', 'invalid', 'bad', '2025-01-01')", [link])
    columns, rows = stations.health(hub_db, COUNTY_AREA, NOW)
    assert [r["name"] for r in rows] == ["村"] and rows[0]["quarantined"] == 1
    assert "changes quarantined" in rows[0]["problems"]


def test_the_village_reports_when_the_certificate_it_serves_expires(county_hub):
    from village.tls import cert_info, init_tls

    hub, hub_db, node, db, link, made = county_hub
    init_tls(node)  # the node's own CA and server certificate, as `village tls init` makes them
    assert sync(node).exit_code == 0  # the report changed, so the round sends it
    report = json.loads(hub_db.execute("SELECT status FROM nodes WHERE node_id = ?", [link]).fetchone()[0])
    assert report["cert_expires"] == cert_info(node).not_after.date().isoformat()


HOSTILE = [
    {"records_waiting": -1, "files_waiting": 0, "free_disk_mb": 1, "version": "1.0", "cert_expires": None},
    {"records_waiting": True, "files_waiting": 0, "free_disk_mb": 1, "version": "1.0", "cert_expires": None},
    {"records_waiting": 0, "files_waiting": 0, "free_disk_mb": 1, "version": "<script>", "cert_expires": None},
    {"records_waiting": 0, "files_waiting": 0, "free_disk_mb": 1, "version": "1.0", "cert_expires": "2025-02-30"},
    {"records_waiting": 0, "files_waiting": 0, "free_disk_mb": 1, "version": "1.0", "cert_expires": None, "x": 1},
    {"records_waiting": 0, "files_waiting": 0, "free_disk_mb": 1, "version": "1.0", "cert_expires": {"a": 1}},
    {"records_waiting": 0, "files_waiting": 0, "free_disk_mb": 10 ** 20, "version": "1.0", "cert_expires": None},
    {f"k{i}": "x" * 100 for i in range(20)},
    ["not", "an", "object"],
]


@pytest.mark.parametrize("status", HOSTILE, ids=range(len(HOSTILE)))
def test_a_hostile_status_report_is_refused_and_changes_nothing(county_hub, status):
    hub, hub_db, node, db, link, made = county_hub
    before = hub_db.execute("SELECT status, status_at, push_cursor FROM nodes WHERE node_id = ?", [link]).fetchone()
    with core.write(db, node) as w:  # a real change rides with it: it must not be applied either
        core.save(w, node, "households", {"code": "EVIL1", "head_name": "坏人"})
    client = hub_client(node, db)
    cursor = int(get_meta(db, PUSH_CURSOR))
    changes = [c for c in __import__("sync.jobs", fromlist=["pending"]).pending(db, cursor, 100)]
    with pytest.raises(Refused) as exc:
        client.push(encode({"start": cursor, "end": changes[-1]["seq"], "status": status}, changes))
    assert exc.value.status == 400 and exc.value.code == "bad_status"
    after = hub_db.execute("SELECT status, status_at, push_cursor FROM nodes WHERE node_id = ?", [link]).fetchone()
    assert after == before
    assert not hub_db.execute("SELECT 1 FROM households WHERE code = 'EVIL1'").fetchone()


def test_completeness_counts_due_and_done_and_marks_below_the_goal(county_hub):
    hub, hub_db, node, db, link, made = county_hub
    month = TODAY.isoformat()[:7]
    months, rows = completeness.matrix(hub_db, COUNTY_AREA, [month], 90)
    (row,) = rows
    # Two key-tier elders are due one visit each this month; one was visited (two days ago, if this month).
    visited_this_month = days_ago(2)[:7] == month
    assert row["cells"][month]["elder_visits"][:2] == (1 if visited_this_month else 0, 2)
    assert row["cells"][month]["follow_ups"] == (0, 0, None)  # no monitored case yet
    assert (month, "elder_visits") in row["below"]
    completeness.set_goal(hub_db, COUNTY_AREA, 0, "county1")  # a goal set above applies below
    assert completeness.matrix(hub_db, COUNTY_AREA, [month], 90)[1][0]["below"] == []
    # A visit at the village marks the month stale; the next view counts it.
    with core.write(db, node) as w:
        core.save(w, node, "visits", {"household_id": core.get(db, "monitor_cases", made["late"])["household_id"],
                                      "visitor": "李", "kind": "elderly_care", "elder_id": made["overdue"],
                                      "visited_on": TODAY.isoformat()})
    assert sync(node).exit_code == 0
    cell = completeness.matrix(hub_db, COUNTY_AREA, [month], 90)[1][0]["cells"][month]["elder_visits"]
    assert cell[:2] == ((2 if visited_this_month else 1), 2)


@pytest.mark.parametrize("path", ["/county/", "/county/health", "/county/health/phone", "/county/completeness",
                                  "/county/steps", "/county/lists/requests?age=0-3", "/county/lists/late-cases"])
@pytest.mark.parametrize("lang", ["en", "zh_Hans", "ug"])
def test_every_county_page_shows_for_county_staff(county_hub, path, lang):
    hub, hub_db, node, db, link, made = county_hub
    hub.settings["lang"] = lang
    app = create_app({"NODE": hub, "TESTING": True, "WTF_CSRF_ENABLED": False})
    add_user(local(hub_db), "county1", "county", PASSWORD)
    client = app.test_client()
    assert login(client, "county1").status_code == 302
    page = client.get(path, headers={"Accept-Language": lang})
    assert page.status_code == 200
    assert "Traceback" not in page.text


def test_the_steps_page_lists_the_township_queue_and_links_the_case_page(county_hub):
    hub, hub_db, node, db, link, made = county_hub
    app = create_app({"NODE": hub, "TESTING": True, "WTF_CSRF_ENABLED": False})
    add_user(local(hub_db), "county1", "county", PASSWORD)
    client = app.test_client()
    login(client, "county1")
    page = client.get("/county/steps").text
    assert f"/clerk/cases/{made['fresh']}" in page  # on notice: waiting for the township's review
    assert f"/clerk/cases/{made['late']}" not in page.split("Waiting for the county")[0].split("township")[-1]


def test_a_bad_goal_shows_the_form_again_and_changes_nothing(county_hub):
    hub, hub_db, node, db, link, made = county_hub
    app = create_app({"NODE": hub, "TESTING": True, "WTF_CSRF_ENABLED": False})
    add_user(local(hub_db), "county1", "county", PASSWORD)
    client = app.test_client()
    login(client, "county1")
    for bad in ("101", "-5", "abc", "٥٠"):
        answer = client.post("/county/completeness", data={"goal": bad})
        assert answer.status_code == 400 and 'aria-invalid="true"' in answer.text
    assert hub_db.execute("SELECT COUNT(*) FROM county_goals").fetchone()[0] == 0
    assert client.post("/county/completeness?area=" + VILLAGE_AREA, data={"goal": "80"}).status_code == 302
    assert completeness.goal_for(hub_db, VILLAGE_AREA, 90) == 80
