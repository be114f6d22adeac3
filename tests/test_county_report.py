"""The monthly report against a hand count on two villages brought to the hub by sync; plots as GeoJSON."""
import csv
import datetime
import io
import json

import pytest
from conftest import COUNTY_AREA
from county_helpers import county_client
from sync_helpers import enroll, serve_hub, sync

from village import create_app
from village.records import core
from village.records.services import change_status, submit

pytestmark = pytest.mark.usefixtures("hub_engine")  # every test on a SQLite and a PostgreSQL hub

EAST, WEST = COUNTY_AREA + "/001", COUNTY_AREA + "/002"
TODAY = datetime.date.today()
MONTH = TODAY.strftime("%Y-%m")
LAST_MONTH = (TODAY.replace(day=1) - datetime.timedelta(days=1)).isoformat()


def _village_work(db, node, follow_ups, elderly, closed_requests, with_plots=False):
    """Record a village's month: visits, a lead, requests (some issued), a grievance closed, plots."""
    with core.write(db, node) as w:
        hh = core.save(w, node, "households", {"code": f"{node.name}1", "head_name": "王"})
        for kind, n in (("poverty_monitoring", follow_ups), ("elderly_care", elderly)):
            for _ in range(n):
                core.save(w, node, "visits", {"household_id": hh, "visitor": "李", "kind": kind,
                                              "visited_on": TODAY.isoformat()})
        core.save(w, node, "visits", {"household_id": hh, "visitor": "李", "kind": "elderly_care",
                                      "visited_on": LAST_MONTH})  # another month: not counted
        core.save(w, node, "monitor_cases", {"household_id": hh, "channel": "self_report",
                                             "lead_on": TODAY.isoformat()})
        for i in range(2):
            row, _ticket = submit(w, node, "service_requests", {"applicant_name": "李", "kind": "subsidy"})
            if i < closed_requests:
                for step in ("in_review", "approved", "issued"):
                    change_status(w, node, "service_requests", row, step, "clerk1")
        grievance, _t = submit(w, node, "grievances", {"category": "road", "description": "路坏了"})
        for step in ("in_progress", "resolved", "closed"):
            change_status(w, node, "grievances", grievance, step, "clerk1")
        if with_plots:
            core.save(w, node, "plots", {"household_id": hh, "name": "东坡", "area_mu": 2.5, "land_type": "dry",
                                         "lat": 26.5783, "lon": 106.7135})
            core.save(w, node, "plots", {"household_id": hh, "name": "河边", "area_mu": 1, "land_type": "paddy"})


@pytest.fixture
def county(make_node, serve):
    hub, hub_db, server = serve_hub(make_node, serve, area=COUNTY_AREA)
    for area, name, work in ((EAST, "东村", (2, 1, 1, True)), (WEST, "西村", (0, 3, 2, False))):
        node, db = make_node(area=area, name=name)
        enroll(hub, server, node, name=name)
        _village_work(db, node, *work)
        assert sync(node).exit_code == 0
    app = create_app({"NODE": hub, "TESTING": True})
    return county_client(app, hub_db)


def test_the_months_figures_match_a_hand_count(county):
    answer = county.get(f"/county/report?month={MONTH}&export=csv")
    rows = list(csv.DictReader(io.StringIO(answer.data.decode("utf-8-sig"))))
    by_area = {row["Area code"]: row for row in rows}
    assert set(by_area) == {EAST, WEST} and by_area[EAST]["Area"] == "东村"
    assert [by_area[EAST][k] for k in ("Follow-up visits", "Elderly care visits", "New monitoring leads")] == \
        ["2", "1", "1"]
    assert [by_area[WEST][k] for k in ("Follow-up visits", "Elderly care visits", "Requests closed")] == \
        ["0", "3", "2"]
    assert by_area[EAST]["Requests received"] == by_area[WEST]["Requests received"] == "2"
    assert by_area[EAST]["Grievances closed"] == "1"
    page = county.get(f"/county/report?month={MONTH}").get_data(as_text=True)
    assert "lead recorded" in page  # cases by their step, in words
    last = county.get(f"/county/report?month={LAST_MONTH[:7]}&export=csv").data.decode("utf-8-sig")
    assert [r["Elderly care visits"] for r in csv.DictReader(io.StringIO(last))] == ["1", "1"]


def test_a_township_drills_down_to_its_village(county):
    page = county.get(f"/county/report?month={MONTH}&area={EAST}").get_data(as_text=True)
    assert "东村" in page and "西村" not in page


def test_a_bad_month_shows_the_form_again(county):
    answer = county.get("/county/report?month=2025-13")
    assert answer.status_code == 400 and 'aria-invalid="true"' in answer.get_data(as_text=True)


def test_plots_are_geojson_in_wgs84_with_the_system_named(county):
    answer = county.get("/county/report/plots.geojson")
    assert answer.mimetype == "application/geo+json"
    data = json.loads(answer.data)
    assert data["crs"]["properties"]["name"] == "urn:ogc:def:crs:OGC:1.3:CRS84"
    located = [f for f in data["features"] if f["geometry"]]
    assert [f["geometry"]["coordinates"] for f in located] == [[106.7135, 26.5783]]  # longitude first
    assert data["without_location"] == 1 and len(data["features"]) == 2
    assert "1 of them with a location" in county.get(f"/county/report?month={MONTH}").get_data(as_text=True)
