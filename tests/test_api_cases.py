"""Monitoring cases through the JSON API (DOMAIN 1): each step a move of its own, taken by its tier, with its values.

A case is walked through every step by a village's token and the county hub's token, the two
nodes syncing over real HTTP in between; each kind of refused move answers 4xx in the one error
shape and changes nothing.
"""
import dataclasses
import datetime
import hashlib

import pytest
from api_helpers import COUNTY, VILLAGE, token
from conftest import audited_write, local
from sync_helpers import enrolled_pair, sync

from village import create_app
from village.records import core
from village.records.services import change_status
from village.records.workflows import CASES

TODAY = datetime.date.today()


def day(ago):
    return (TODAY - datetime.timedelta(days=ago)).isoformat()


def notice(ended_ago, days=7):
    """Return the dates of a public notice of `days` days that ended `ended_ago` days ago."""
    return {"notice_from": day(ended_ago + days - 1), "notice_to": day(ended_ago)}


class Api:
    """One node's API as one token sees it."""

    def __init__(self, node, db, role):
        self.client = create_app({"NODE": node, "TESTING": True}).test_client()
        self.headers = token(db, node, role=role)

    def new(self, table, **values):
        created = self.client.post(f"/api/{table}", headers=self.headers, json=values)
        assert created.status_code == 201, created.json
        return created.json["id"]

    def read(self, case):
        return self.client.get(f"/api/monitor_cases/{case}", headers=self.headers)

    def move(self, case, status, **values):
        etag = self.read(case).headers["ETag"]
        return self.client.post(f"/api/monitor_cases/{case}/transitions", headers={**self.headers, "If-Match": etag},
                                json={"status": status, **values})

    def walk(self, case, *moves):
        for status, values in moves:
            moved = self.move(case, status, **values)
            assert moved.status_code == 200 and moved.json["status"] == status, (status, moved.json)


def scan(api, case, kind="consent_scan"):
    """Record an evidence file of `case` through the API; return its id."""
    return api.new("attachments", owner_table="monitor_cases", owner_id=case, kind=kind, size=1000,
                   sha256=hashlib.sha256(f"{case}{kind}".encode()).hexdigest(), mime="application/pdf")


def village_steps(api, case, consent_file, notice_ended=1):
    return [("home_check", {}), ("consent", {"consent_on": day(30), "consent_file": consent_file}),
            ("data_matching", {}), ("deliberation", {"deliberation_on": day(20)}), ("notice", notice(notice_ended))]


ELIMINATION = [("elimination_checked", {}), ("elimination_deliberated", {}), ("elimination_notice", notice(1))]


def test_a_case_walks_every_step_through_the_api_of_the_village_and_the_county_hub(make_node, serve):
    hub, hub_db, _server, village, db, _link = enrolled_pair(make_node, serve)
    v, h = Api(village, db, "clerk"), Api(hub, hub_db, "county")
    hh = v.new("households", code="M1", head_name="张三")
    v.new("persons", household_id=hh, name="张三", labour_capacity="full")
    case = v.new("monitor_cases", household_id=hh, category="edge_vulnerable", channel="cadre_screening",
                 lead_on=day(300), risks=["illness"])
    v.walk(case, *village_steps(v, case, scan(v, case)))
    assert sync(village).exit_code == 0
    h.walk(case, ("returned", {"reason": "公示材料不全"}))
    assert sync(village).exit_code == 0
    v.walk(case, ("deliberation", {"deliberation_on": day(10)}), ("notice", notice(1)))
    for year in {TODAY.year, int(day(240)[:4])}:  # the poverty line of each year the follow-ups span
        h.new("monitor_thresholds", year=year, province="52", yuan_per_person=6000)
    assert sync(village).exit_code == 0
    h.walk(case, ("township_reviewed", {}), ("monitored", {"category": "unstable_exited"}))
    assert sync(village).exit_code == 0
    for month in range(8):  # monthly follow-ups above the line, the last today
        v.new("visits", household_id=hh, case_id=case, visitor="工作队", kind="poverty_monitoring",
              visited_on=day(30 * month), answers={"income_per_person": 9000})
    v.walk(case, *ELIMINATION)
    assert sync(village).exit_code == 0
    h.walk(case, ("monitored", {"category": "unstable_exited", "note": "再观察一季"}))
    assert sync(village).exit_code == 0
    v.walk(case, *ELIMINATION)
    assert sync(village).exit_code == 0
    h.walk(case, ("eliminated", {"elimination_type": "after_support"}))
    assert sync(village).exit_code == 0
    v.walk(case, ("reopened", {}), *village_steps(v, case, scan(v, case), notice_ended=0))
    assert sync(village).exit_code == 0
    h.walk(case, ("not_included", {}))
    assert sync(village).exit_code == 0

    final = v.read(case).json
    passed = [entry["status"] for entry in final["steps"]]
    assert {CASES.first, *passed} == set(CASES.statuses)  # every step of the workflow, each by its tier's token
    county = "county-user (token county-user-node)"
    by = {entry["status"]: entry["by"] for entry in final["steps"]}
    assert by["township_reviewed"] == by["eliminated"] == by["not_included"] == county
    assert by["home_check"] == by["reopened"] == "clerk-user (token clerk-user-node)"
    assert (final["status"], final["county_by"], final["county_on"]) == ("not_included", county, TODAY.isoformat())
    assert (final["elimination_type"], final["reason"]) == ("after_support", "公示材料不全")
    assert h.read(case).json == final  # the hub holds the same case


@pytest.fixture
def cases(node, db):
    """A village's API (a clerk's token) and a lead recorded through it, with its signed consent form."""
    api = Api(node, db, "clerk")
    hh = api.new("households", code="M1", head_name="张三")
    case = api.new("monitor_cases", household_id=hh, channel="cadre_screening", lead_on=day(20))
    return api, case, scan(api, case), db


def refused(api, db, case, status, values, http, code):
    """Assert the move answers `http` with `code` in the one error shape and leaves the case and the log as they were."""
    before, logged = api.read(case).json, local(db).execute("SELECT COUNT(*) FROM audit").fetchone()[0]
    answer = api.move(case, status, **values)
    assert answer.status_code == http and answer.json["error"]["code"] == code, answer.json
    assert answer.json["error"]["message"]
    assert api.read(case).json == before and local(db).execute("SELECT COUNT(*) FROM audit").fetchone()[0] == logged
    return {p["field"]: p["message"] for p in answer.json["error"].get("problems", [])}


def test_a_move_without_the_values_its_step_records_is_refused(cases):
    api, case, consent, db = cases
    api.walk(case, ("home_check", {}))
    assert set(refused(api, db, case, "consent", {}, 422, "invalid")) == {"consent_on", "consent_file"}
    wrong = refused(api, db, case, "consent", {"consent_on": "2024-13-40", "consent_file": consent}, 422, "invalid")
    assert set(wrong) == {"consent_on"}
    typed = refused(api, db, case, "consent", {"consent_on": 20240101, "consent_file": consent}, 422, "invalid")
    assert "JSON type string" in typed["consent_on"]


def test_a_move_cannot_write_what_its_step_does_not_record_nor_sign_for_the_county(cases):
    api, case, _consent, db = cases
    problems = refused(api, db, case, "home_check", {"county_by": "县乡村振兴局", "category": "edge_vulnerable"},
                       422, "invalid")
    assert set(problems) == {"county_by", "category"} and "does not record" in problems["county_by"]
    etag = api.read(case).headers["ETag"]
    for forged in ({"status": "monitored"}, {"county_by": "县"}, {"county_on": day(1)}, {"steps": []}):
        written = api.client.patch(f"/api/monitor_cases/{case}", headers={**api.headers, "If-Match": etag}, json=forged)
        assert written.status_code == 422 and written.json["error"]["problems"][0]["field"] in forged
    assert api.read(case).json["status"] == "lead"


def test_consent_needs_this_cases_own_signed_form(cases):
    api, case, consent, db = cases
    api.walk(case, ("home_check", {}))
    photo = scan(api, case, kind="photo")
    other_case = api.new("monitor_cases", household_id=api.read(case).json["household_id"], channel="cadre_screening",
                         lead_on=day(5))
    for file_id in (photo, scan(api, other_case), "no-such-file"):
        assert set(refused(api, db, case, "consent", {"consent_on": day(1), "consent_file": file_id},
                           422, "invalid")) == {"consent_file"}
    api.walk(case, ("consent", {"consent_on": day(1), "consent_file": consent}))


def test_the_guards_of_the_pages_hold_in_the_api(cases):
    api, case, consent, db = cases
    refused(api, db, case, "monitored", {"category": "edge_vulnerable"}, 409, "api.bad_transition")
    api.walk(case, *village_steps(api, case, consent)[:4])
    short = refused(api, db, case, "notice", notice(1, days=3), 422, "invalid")
    assert "at least 5 days" in short["notice_to"]
    api.walk(case, ("notice", notice(1)))
    # The village's token cannot take the township's or the county's step: its node is a village.
    tier = refused(api, db, case, "township_reviewed", {}, 422, "invalid")
    assert "Only the township" in tier["status"]
    refused(api, db, case, "not_included", {}, 422, "invalid")
    field = Api(api.client.application.config["NODE"], db, "fieldworker")  # the field app's role moves no case
    assert refused(field, db, case, "deliberation", {"deliberation_on": day(1)}, 403, "api.forbidden") == {}


@pytest.fixture
def hub_case(make_node, hub_engine):
    """A county hub (its records in SQLite, then in PostgreSQL) holding a case its village took to a public notice
    still up, and a county token's API."""
    hub, db = make_node("county", COUNTY)
    village = dataclasses.replace(hub, role="village", area=VILLAGE)  # the village's moves, as sync brings them
    with audited_write(db, village) as w:
        hh = core.save(w, village, "households", {"code": "M1", "head_name": "张三"})
        core.save(w, village, "persons", {"household_id": hh, "name": "张三", "labour_capacity": "full"})
        case = core.save(w, village, "monitor_cases", {"household_id": hh, "channel": "cadre_screening",
                                                        "lead_on": day(20), "category": "edge_vulnerable"})
        form = core.save(w, village, "attachments", {"owner_table": "monitor_cases", "owner_id": case, "size": 9,
                                                     "kind": "consent_scan", "sha256": "a" * 64, "mime": "image/png"})
        for status, values in [("home_check", {}), ("consent", {"consent_on": day(15), "consent_file": form}),
                               ("data_matching", {}), ("deliberation", {"deliberation_on": day(10)}),
                               ("notice", notice(-3))]:
            change_status(w, village, "monitor_cases", case, status, "村", values=values)
    return Api(hub, db, "county"), case, db, village


def test_the_county_waits_for_the_notice_and_cannot_eliminate_without_six_months_above_the_line(hub_case):
    api, case, db, village = hub_case
    running = refused(api, db, case, "township_reviewed", {}, 422, "invalid")
    assert "runs until" in running["status"]
    with audited_write(db, village) as w:  # the notice ends (its dates corrected by the village)
        core.save(w, village, "monitor_cases", notice(1), row_id=case)
    api.walk(case, ("township_reviewed", {}), ("monitored", {"category": "edge_vulnerable"}))
    with audited_write(db, village) as w:
        for month in range(3):  # three months above any line: not yet six
            core.save(w, village, "visits", {"household_id": api.read(case).json["household_id"], "case_id": case,
                                             "visitor": "工作队", "kind": "poverty_monitoring",
                                             "visited_on": day(30 * month), "answers": {"income_per_person": 9000}})
        for status, values in ELIMINATION:
            change_status(w, village, "monitor_cases", case, status, "村", values=values)
    line = refused(api, db, case, "eliminated", {"elimination_type": "natural"}, 422, "invalid")
    assert "no poverty line" in line["status"]
    for year in {TODAY.year, int(day(60)[:4])}:
        api.new("monitor_thresholds", year=year, province="52", yuan_per_person=6000)
    short = refused(api, db, case, "eliminated", {"elimination_type": "natural"}, 422, "invalid")
    assert "above the line for 60 days" in short["status"]


def test_the_county_hub_does_not_take_the_villages_steps(hub_case):
    api, case, db, _village = hub_case
    lead = api.new("monitor_cases", household_id=api.read(case).json["household_id"], channel="department_alert",
                   lead_on=day(1))
    assert "Only the village" in refused(api, db, lead, "home_check", {}, 422, "invalid")["status"]
