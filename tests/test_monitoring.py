"""Poverty-return monitoring cases (DOMAIN 1): each step at its tier, each guard, on both sides of a sync."""
import dataclasses
import datetime
import hashlib

import pytest
from conftest import audited_write
from sync_helpers import enrolled_pair, sync

from village.records import core
from village.records.monitoring import decision_late, days_left, stable_income_days, Facts
from village.records.services import change_status
from village.records.validate import ValidationError

TODAY = datetime.date.today()


def days_ago(n):
    return (TODAY - datetime.timedelta(days=n)).isoformat()


def household(w, node, members=(("张三", "full"),)):
    hh = core.save(w, node, "households", {"code": f"M{len(members)}{members[0][1]}", "head_name": members[0][0]})
    for name, labour in members:
        core.save(w, node, "persons", {"household_id": hh, "name": name, "labour_capacity": labour})
    return hh


def consent_file(w, node, case):
    return core.save(w, node, "attachments", {"owner_table": "monitor_cases", "owner_id": case, "kind": "consent_scan",
                                              "sha256": hashlib.sha256(case.encode()).hexdigest(), "size": 1000,
                                              "mime": "application/pdf"})


def to_notice(w, node, case, notice_days=7, ended_days_ago=1):
    """Take a lead through the village's steps up to a public notice that ended `ended_days_ago` days ago."""
    change_status(w, node, "monitor_cases", case, "home_check", "clerk")
    change_status(w, node, "monitor_cases", case, "consent", "clerk",
                  values={"consent_on": days_ago(12), "consent_file": consent_file(w, node, case)})
    change_status(w, node, "monitor_cases", case, "data_matching", "clerk")
    change_status(w, node, "monitor_cases", case, "deliberation", "clerk", values={"deliberation_on": days_ago(10)})
    start = TODAY - datetime.timedelta(days=notice_days - 1 + ended_days_ago)
    change_status(w, node, "monitor_cases", case, "notice", "clerk",
                  values={"notice_from": start.isoformat(),
                          "notice_to": (start + datetime.timedelta(days=notice_days - 1)).isoformat()})


def new_case(w, node, hh, lead_days_ago=3):
    return core.save(w, node, "monitor_cases", {"household_id": hh, "category": "edge_vulnerable",
                                                "channel": "cadre_screening", "lead_on": days_ago(lead_days_ago),
                                                "risks": ["illness", "schooling"]})


def problems_of(exc):
    return " ".join(message % params for _f, message, params in exc.value.problems)


def test_no_step_past_consent_without_the_signed_form(node_db):
    node, db = node_db
    with core.write(db, node) as w:
        case = new_case(w, node, household(w, node))
        change_status(w, node, "monitor_cases", case, "home_check", "clerk")
    with pytest.raises(ValidationError) as exc, core.write(db, node) as w:
        change_status(w, node, "monitor_cases", case, "consent", "clerk", values={"consent_on": days_ago(1)})
    assert "consent_file" in [f for f, _m, _p in exc.value.problems]
    assert core.get(db, "monitor_cases", case)["status"] == "home_check"
    # Nor can a new record be entered past consent without it (a CSV row that jumps ahead).
    with pytest.raises(ValidationError) as exc, core.write(db, node) as w:
        core.save(w, node, "monitor_cases", {"household_id": core.get(db, "monitor_cases", case)["household_id"],
                                             "channel": "self_report", "lead_on": days_ago(1), "status": "deliberation"})
    assert "consent" in problems_of(exc)


def test_steps_follow_the_declared_order_only(node_db):
    node, db = node_db
    with core.write(db, node) as w:
        case = new_case(w, node, household(w, node))
    with pytest.raises(ValidationError) as exc, core.write(db, node) as w:
        core.save(w, node, "monitor_cases", {"status": "deliberation"}, row_id=case)
    assert "cannot become" in problems_of(exc)


def test_a_notice_runs_five_days_and_its_end_is_waited_for(node_db):
    node, db = node_db
    hub = dataclasses.replace(node, role="county")  # the hub's tiers, on the same records
    with core.write(db, node) as w:
        case = new_case(w, node, household(w, node))
    with pytest.raises(ValidationError) as exc, core.write(db, node) as w:
        to_notice(w, node, case, notice_days=4)
    assert "at least 5 days" in problems_of(exc)
    with core.write(db, node) as w:
        to_notice(w, node, case, notice_days=5, ended_days_ago=-1)  # ends tomorrow
    with pytest.raises(ValidationError) as exc, core.write(db, hub) as w:
        change_status(w, hub, "monitor_cases", case, "township_reviewed", "乡镇审核员")
    assert "decide after it ends" in problems_of(exc)


def test_each_tier_takes_only_its_own_steps(node_db):
    node, db = node_db
    hub = dataclasses.replace(node, role="county")
    with core.write(db, node) as w:
        case = new_case(w, node, household(w, node))
        to_notice(w, node, case)
    with pytest.raises(ValidationError) as exc, core.write(db, node) as w:
        change_status(w, node, "monitor_cases", case, "township_reviewed", "clerk")
    assert "Only the township" in problems_of(exc)
    with core.write(db, hub) as w:
        change_status(w, hub, "monitor_cases", case, "returned", "乡镇", values={"reason": "评议记录缺签名"})
    with pytest.raises(ValidationError) as exc, core.write(db, hub) as w:
        change_status(w, hub, "monitor_cases", case, "deliberation", "县")
    assert "Only the village" in problems_of(exc)
    with core.write(db, node) as w:
        change_status(w, node, "monitor_cases", case, "deliberation", "clerk")
    assert core.get(db, "monitor_cases", case)["status"] == "deliberation"


def test_the_fifteen_day_clock(node_db):
    node, db = node_db
    hub = dataclasses.replace(node, role="county")
    with core.write(db, node) as w:
        late = new_case(w, node, household(w, node), lead_days_ago=20)
        to_notice(w, node, late)
    with core.write(db, hub) as w:
        change_status(w, hub, "monitor_cases", late, "township_reviewed", "乡")
        change_status(w, hub, "monitor_cases", late, "monitored", "县")
    decided = core.get(db, "monitor_cases", late)
    assert decided["county_on"] == TODAY.isoformat() and decided["county_by"] == "县"
    assert decision_late(decided, TODAY) and days_left(decided, TODAY) is None
    fresh = {"lead_on": days_ago(3), "status": "notice"}
    assert not decision_late(fresh, TODAY) and days_left(fresh, TODAY) == 12


def follow_ups(w, node, case, hh, incomes, every=30):
    """Record monthly poverty follow-ups of `case`, the last one today, with these incomes (oldest first)."""
    for i, income in enumerate(incomes):
        core.save(w, node, "visits", {"household_id": hh, "visitor": "工作队", "kind": "poverty_monitoring",
                                      "case_id": case, "visited_on": days_ago(every * (len(incomes) - 1 - i)),
                                      "answers": {"income_per_person": income, "risks": []}})


def monitored_case(db, node, hub, members=(("张三", "full"),)):
    with core.write(db, node) as w:
        hh = household(w, node, members)
        case = new_case(w, node, hh, lead_days_ago=300)
        to_notice(w, node, case)
    with core.write(db, hub) as w:
        change_status(w, hub, "monitor_cases", case, "township_reviewed", "乡")
        change_status(w, hub, "monitor_cases", case, "monitored", "县")
    with core.write(db, node) as w:
        for step in ("elimination_checked", "elimination_deliberated"):
            change_status(w, node, "monitor_cases", case, step, "clerk")
        start = TODAY - datetime.timedelta(days=7)
        change_status(w, node, "monitor_cases", case, "elimination_notice", "clerk",
                      values={"notice_from": start.isoformat(), "notice_to": days_ago(1)})
    return hh, case


def thresholds(w, node, amount=8000):
    for year in {TODAY.year, TODAY.year - 1}:
        core.save(w, node, "monitor_thresholds", {"year": year, "province": node.area.split("/")[0],
                                                  "yuan_per_person": amount})


def test_elimination_needs_six_months_above_that_years_line(node_db):
    node, db = node_db
    hub = dataclasses.replace(node, role="county")
    hh, case = monitored_case(db, node, hub)
    with core.write(db, node) as w:
        follow_ups(w, node, case, hh, [9000] * 7)
    with pytest.raises(ValidationError) as exc, core.write(db, hub) as w:
        change_status(w, hub, "monitor_cases", case, "eliminated", "县", values={"elimination_type": "after_support"})
    assert "no poverty line" in problems_of(exc)
    with core.write(db, hub) as w:
        thresholds(w, hub, amount=9500)  # the line is above these incomes
    with pytest.raises(ValidationError) as exc, core.write(db, hub) as w:
        change_status(w, hub, "monitor_cases", case, "eliminated", "县", values={"elimination_type": "after_support"})
    assert "above the line for 0 days" in problems_of(exc)
    with core.write(db, hub) as w:
        core.save(w, hub, "monitor_thresholds", {"yuan_per_person": 8000},
                  row_id=next(r["id"] for r in core.rows(db, "monitor_thresholds")))
        core.save(w, hub, "monitor_thresholds", {"yuan_per_person": 8000},
                  row_id=list(core.rows(db, "monitor_thresholds"))[-1]["id"])
    assert stable_income_days(Facts(db), core.get(db, "monitor_cases", case)) == (180, None)
    with core.write(db, hub) as w:
        change_status(w, hub, "monitor_cases", case, "eliminated", "县", values={"elimination_type": "after_support"})
    assert core.get(db, "monitor_cases", case)["status"] == "eliminated"


def test_a_month_below_the_line_or_a_long_gap_restarts_the_six_months(node_db):
    node, db = node_db
    hub = dataclasses.replace(node, role="county")
    hh, case = monitored_case(db, node, hub)
    with core.write(db, node) as w:
        thresholds(w, hub)
        follow_ups(w, node, case, hh, [9000, 9000, 9000, 7000, 9000, 9000, 9000])
    assert stable_income_days(Facts(db), core.get(db, "monitor_cases", case)) == (60, None)
    with pytest.raises(ValidationError), core.write(db, hub) as w:
        change_status(w, hub, "monitor_cases", case, "eliminated", "县", values={"elimination_type": "natural"})


def test_a_household_that_cannot_work_on_the_safety_net_is_never_eliminated(node_db):
    node, db = node_db
    hub = dataclasses.replace(node, role="county")
    hh, case = monitored_case(db, node, hub, members=(("王奶奶", "no_labour"), ("王爷爷", "no_labour")))
    with core.write(db, node) as w:
        thresholds(w, hub)
        follow_ups(w, node, case, hh, [12000] * 8)
        core.save(w, node, "measures", {"case_id": case, "type": "minimum_allowance", "start_on": days_ago(200)})
    with pytest.raises(ValidationError) as exc, core.write(db, hub) as w:
        change_status(w, hub, "monitor_cases", case, "eliminated", "县", values={"elimination_type": "after_support"})
    assert "never marked eliminated" in problems_of(exc)


def test_a_case_goes_from_lead_to_elimination_across_village_and_hub(make_node, serve, hub_engine):
    hub, hub_db, _server, village, db, _link = enrolled_pair(make_node, serve)
    with core.write(db, village) as w:
        hh = household(w, village)
        case = new_case(w, village, hh, lead_days_ago=300)
        to_notice(w, village, case)
    assert sync(village).exit_code == 0
    assert core.get(hub_db, "monitor_cases", case)["status"] == "notice"
    with audited_write(hub_db, hub) as w:
        change_status(w, hub, "monitor_cases", case, "township_reviewed", "乡镇审核员")
        change_status(w, hub, "monitor_cases", case, "monitored", "县审定")
        thresholds(w, hub)
    assert sync(village).exit_code == 0
    here = core.get(db, "monitor_cases", case)
    assert (here["status"], here["county_by"]) == ("monitored", "县审定")
    with core.write(db, village) as w:
        follow_ups(w, village, case, hh, [9000] * 7)
        for step in ("elimination_checked", "elimination_deliberated"):
            change_status(w, village, "monitor_cases", case, step, "clerk")
        change_status(w, village, "monitor_cases", case, "elimination_notice", "clerk",
                      values={"notice_from": days_ago(7), "notice_to": days_ago(1)})
    assert sync(village).exit_code == 0
    with audited_write(hub_db, hub) as w:
        change_status(w, hub, "monitor_cases", case, "eliminated", "县审定", values={"elimination_type": "after_support"})
    assert sync(village).exit_code == 0
    assert core.get(db, "monitor_cases", case)["status"] == "eliminated"
    steps = [entry["status"] for entry in core.public("monitor_cases", core.get(db, "monitor_cases", case))["steps"]]
    assert steps == ["home_check", "consent", "data_matching", "deliberation", "notice", "township_reviewed",
                     "monitored", "elimination_checked", "elimination_deliberated", "elimination_notice", "eliminated"]


def test_a_village_cannot_take_the_countys_step_by_sync(make_node, serve, hub_engine):
    hub, hub_db, _server, village, db, _link = enrolled_pair(make_node, serve)
    with core.write(db, village) as w:
        case = new_case(w, village, household(w, village))
        to_notice(w, village, case)
    # A tampered village writes the county's decision straight into its own database's write path.
    forger = dataclasses.replace(village, role="county")
    with core.write(db, forger) as w:
        change_status(w, forger, "monitor_cases", case, "township_reviewed", "伪造")
        change_status(w, forger, "monitor_cases", case, "monitored", "伪造")
    result = sync(village)
    assert core.get(hub_db, "monitor_cases", case)["status"] == "notice"
    refused = hub_db.execute("SELECT message FROM sync_quarantine WHERE tbl = 'monitor_cases'").fetchall()
    assert refused and any("Only the township" in r[0] for r in refused), result.output


def test_a_village_cannot_set_the_poverty_line_by_sync(make_node, serve, hub_engine):
    hub, hub_db, _server, village, db, _link = enrolled_pair(make_node, serve)
    with core.write(db, village) as w:  # a village that writes a (low) line into its own database
        core.save(w, village, "monitor_thresholds", {"year": TODAY.year, "province": "52", "yuan_per_person": 1})
    sync(village)
    assert hub_db.execute("SELECT COUNT(*) FROM monitor_thresholds").fetchone()[0] == 0
    codes = [r[0] for r in hub_db.execute("SELECT code FROM sync_quarantine WHERE tbl = 'monitor_thresholds'")]
    assert codes == ["not_writable"]
