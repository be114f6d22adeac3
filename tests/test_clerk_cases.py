"""Clerk pages of monitoring cases: the list by step and its clocks, moves by tier, refusals, measures, evidence."""
import dataclasses
import datetime
import hashlib
import re

import pytest
from clerk_helpers import PASSWORD, login
from conftest import audited_write as write, local

from village import create_app
from village.records import core, evidence
from village.records.services import change_status
from village.users import add_user

TODAY = datetime.date.today()


def days_ago(n):
    return (TODAY - datetime.timedelta(days=n)).isoformat()


def a_case(db, node, lead_days_ago=3, code="M0001", labour="full", risks=("illness", "schooling")):
    """Save a household with one member and a case led `lead_days_ago` days ago; return (household, case)."""
    with write(db, node) as w:
        hh = core.save(w, node, "households", {"code": code, "head_name": "张秀兰"})
        core.save(w, node, "persons", {"household_id": hh, "name": "张秀兰", "labour_capacity": labour})
        case = core.save(w, node, "monitor_cases", {"household_id": hh, "channel": "cadre_screening",
                                                    "category": "edge_vulnerable", "lead_on": days_ago(lead_days_ago),
                                                    "risks": list(risks)})
    return hh, case


def consent_scan(w, node, case):
    return core.save(w, node, "attachments", {"owner_table": "monitor_cases", "owner_id": case, "kind": "consent_scan",
                                              "sha256": hashlib.sha256(case.encode()).hexdigest(), "size": 900,
                                              "mime": "application/pdf", "name": "承诺书.pdf"})


def to_deliberation(db, node, case):
    """Take a case through the village's steps up to its deliberation, held ten days ago."""
    with write(db, node) as w:
        change_status(w, node, "monitor_cases", case, "home_check", "clerk1")
        change_status(w, node, "monitor_cases", case, "consent", "clerk1",
                      values={"consent_on": days_ago(12), "consent_file": consent_scan(w, node, case)})
        change_status(w, node, "monitor_cases", case, "data_matching", "clerk1")
        change_status(w, node, "monitor_cases", case, "deliberation", "clerk1", values={"deliberation_on": days_ago(10)})


def to_notice(db, node, case, ended_days_ago=1):
    """Take a case through the village's steps to a 7-day notice that ended `ended_days_ago` days ago."""
    to_deliberation(db, node, case)
    with write(db, node) as w:
        change_status(w, node, "monitor_cases", case, "notice", "clerk1",
                      values={"notice_from": days_ago(6 + ended_days_ago), "notice_to": days_ago(ended_days_ago)})


def text_of(response):
    """Return a page's visible text, tags removed and spaces squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_the_list_shows_each_clock_and_says_past_the_limit_in_words(clerk, node, db):
    _hh, late = a_case(db, node, lead_days_ago=20, code="M0001")
    a_case(db, node, lead_days_ago=3, code="M0002")
    page = clerk.get("/clerk/cases")
    assert page.status_code == 200
    text = text_of(page)
    assert "5 days past the 15-day limit" in text and "12 days left of 15" in text
    assert text.index("M0001") < text.index("M0002")  # the oldest lead, the least time left, first
    assert 'class="is-late"' in page.get_data(as_text=True)
    with write(db, node) as w:
        change_status(w, node, "monitor_cases", late, "home_check", "clerk1")
    filtered = text_of(clerk.get("/clerk/cases?step=home_check"))
    assert "M0001" in filtered and "M0002" not in filtered
    assert "M0002" in text_of(clerk.get("/clerk/cases?step=nonsense"))  # an unknown step: every open case


def test_the_household_page_shows_its_open_case_next_step_and_deadline(clerk, node, db):
    hh, case = a_case(db, node, lead_days_ago=3)
    with write(db, node) as w:
        core.save(w, node, "visits", {"household_id": hh, "visitor": "驻村工作队", "kind": "poverty_monitoring",
                                      "visited_on": days_ago(1), "case_id": case, "risk_level": "medium"})
    text = text_of(clerk.get(f"/clerk/households/{hh}"))
    assert "Open case: lead recorded" in text
    assert "12 days left of 15" in text
    deadline = (TODAY + datetime.timedelta(days=12))
    assert f"County decision due by {deadline:%b} {deadline.day}, {deadline.year}" in text
    assert "Next step: Record the home check" in text
    assert "poverty follow-up" in text and "medium risk" in text and "驻村工作队" in text


def test_a_clerk_moves_a_case_and_the_step_records_who_and_when(clerk, node, db):
    _hh, case = a_case(db, node)
    answer = clerk.post(f"/clerk/cases/{case}/move", data={"status": "home_check", "note": "入户核实"})
    assert answer.status_code == 302
    saved = core.public("monitor_cases", core.get(db, "monitor_cases", case))
    assert saved["status"] == "home_check"
    assert (saved["steps"][-1]["by"], saved["steps"][-1]["note"]) == ("clerk1", "入户核实")
    assert "入户核实" in text_of(clerk.get(f"/clerk/cases/{case}"))


def test_a_refused_move_says_which_rule_in_the_clerks_language_and_keeps_the_form(clerk, node, db):
    _hh, case = a_case(db, node)
    to_deliberation(db, node, case)
    short = {"status": "notice", "notice_from": days_ago(0), "notice_to": (TODAY + datetime.timedelta(days=2)).isoformat(),
             "note": "张贴于村务公开栏"}
    refused = clerk.post(f"/clerk/cases/{case}/move", data=short)
    assert refused.status_code == 409
    assert "A public notice stays up at least 5 days." in text_of(refused)
    html = refused.get_data(as_text=True)
    assert f'value="{short["notice_to"]}"' in html and "张贴于村务公开栏" in html  # the clerk's values kept
    assert core.get(db, "monitor_cases", case)["status"] == "deliberation"
    in_chinese = clerk.post(f"/clerk/cases/{case}/move?lang=zh_Hans", data=short)
    assert in_chinese.status_code == 409 and "公示期至少5天" in text_of(in_chinese)
    in_uyghur = clerk.post(f"/clerk/cases/{case}/move?lang=ug", data=short)
    assert "كەم دېگەندە 5 كۈن" in text_of(in_uyghur)


def test_consent_takes_only_this_cases_own_signed_form(clerk, node, db):
    _hh, case = a_case(db, node)
    _other_hh, other = a_case(db, node, code="M0002")
    with write(db, node) as w:
        change_status(w, node, "monitor_cases", case, "home_check", "clerk1")
        theirs = consent_scan(w, node, other)  # a form posted by hand: the page lists only this case's
    refused = clerk.post(f"/clerk/cases/{case}/move", data={"status": "consent", "consent_on": days_ago(1),
                                                            "consent_file": theirs})
    assert refused.status_code == 409 and "own files of the kind “signed consent form”" in text_of(refused)
    assert core.get(db, "monitor_cases", case)["status"] == "home_check"


def test_a_village_offers_only_its_own_steps(clerk, node, db):
    _hh, case = a_case(db, node)
    to_notice(db, node, case)
    html = clerk.get(f"/clerk/cases/{case}").get_data(as_text=True)
    assert 'value="township_reviewed"' not in html and "Taken by the township: Township review: pass" in text_of(
        clerk.get(f"/clerk/cases/{case}"))
    # A hand-made POST of the township's step is refused by the guard, in words.
    refused = clerk.post(f"/clerk/cases/{case}/move", data={"status": "township_reviewed"})
    assert refused.status_code == 409 and "Only the township records the step" in text_of(refused)


@pytest.fixture
def hub(make_node, hub_engine):
    """A county hub (its records in SQLite, then in PostgreSQL) with a county user, and a case a village
    took to a notice that has ended."""
    hub, db = make_node(role="county", area="52/5201/520102")
    village = dataclasses.replace(hub, role="village", area="52/5201/520102/001")
    _hh, case = a_case(db, village, lead_days_ago=9)
    to_notice(db, village, case)
    add_user(local(db), "county1", "county", PASSWORD)
    client = create_app({"NODE": hub, "TESTING": True, "WTF_CSRF_ENABLED": False}).test_client()
    assert login(client, "county1").status_code == 302
    return client, db, case


def test_county_staff_decide_on_the_hubs_clerk_pages(hub):
    client, db, case = hub
    assert client.get("/clerk/cases").status_code == 200
    assert client.get("/clerk/households").status_code == 403  # the register stays the clerks'
    assert "张秀兰" in text_of(client.get("/clerk/cases/notice"))  # the notice up, read from the hub's store
    page = client.get(f"/clerk/cases/{case}").get_data(as_text=True)
    assert 'value="township_reviewed"' in page and 'value="returned"' in page
    assert client.post(f"/clerk/cases/{case}/move", data={"status": "township_reviewed"}).status_code == 302
    decided = client.post(f"/clerk/cases/{case}/move", data={"status": "monitored", "category": "edge_vulnerable"})
    assert decided.status_code == 302
    saved = core.get(db, "monitor_cases", case)
    assert (saved["status"], saved["township_by"], saved["county_by"]) == ("monitored", "county1", "county1")
    assert saved["county_on"] == TODAY.isoformat()
    # Each move's audit entry is in the hub's own database (beside a PostgreSQL store, not in it).
    moves = local(db).execute("SELECT actor, target, detail FROM audit WHERE action = 'monitor_cases.status' "
                              "AND actor = 'county1' ORDER BY id").fetchall()
    assert moves == [("county1", case, "township_reviewed"), ("county1", case, "monitored")]
    # The village's own steps are not offered at the hub.
    assert 'value="elimination_checked"' not in client.get(f"/clerk/cases/{case}").get_data(as_text=True)


def test_a_return_to_the_village_asks_for_the_reason(hub):
    client, db, case = hub
    refused = client.post(f"/clerk/cases/{case}/move", data={"status": "returned", "reason": ""})
    assert refused.status_code == 409 and "Reason: " in text_of(refused)
    assert client.post(f"/clerk/cases/{case}/move", data={"status": "returned", "reason": "评议记录缺签名"}).status_code == 302
    assert core.get(db, "monitor_cases", case)["reason"] == "评议记录缺签名"


def test_a_new_lead_keeps_the_main_risk_first(clerk, node, db):
    hh, _case = a_case(db, node)
    assert clerk.get(f"/clerk/households/{hh}/cases/new").status_code == 200
    form = {"channel": "self_report", "lead_on": days_ago(0), "category": "sudden_hardship",
            "risks__main": "accident", "risks": ["illness", "accident"]}
    assert clerk.post(f"/clerk/households/{hh}/cases/new", data=form).status_code == 302
    saved = next(core.rows(db, "monitor_cases", "category = 'sudden_hardship'"))
    assert saved["risks"] == ["accident", "illness"]
    before = db.execute("SELECT COUNT(*) FROM monitor_cases").fetchone()[0]
    refused = clerk.post(f"/clerk/households/{hh}/cases/new", data={**form, "channel": "", "lead_on": "2025-13-01"})
    assert refused.status_code == 400 and "not a real date" in text_of(refused)
    assert db.execute("SELECT COUNT(*) FROM monitor_cases").fetchone()[0] == before


def test_support_gaps_are_warned_and_go_when_measures_cover_them(clerk, node, db):
    _hh, case = a_case(db, node, labour="no_labour", risks=("illness",))
    text = text_of(clerk.get(f"/clerk/cases/{case}"))
    assert "An illness risk, but no medical measure." in text
    assert "Nobody in the household can work, and no safety-net measure supports it." in text
    assert clerk.get(f"/clerk/cases/{case}/measures/new").status_code == 200
    ending = (TODAY + datetime.timedelta(days=10)).isoformat()
    for kind, end in (("medical_insurance", ending), ("minimum_allowance", "")):
        answer = clerk.post(f"/clerk/cases/{case}/measures/new",
                            data={"type": kind, "start_on": days_ago(30), "end_on": end, "amount": "3600"})
        assert answer.status_code == 302
    text = text_of(clerk.get(f"/clerk/cases/{case}"))
    assert "no medical measure" not in text and "no safety-net measure" not in text
    assert "within 30 days" in text and "medical insurance and aid" in text


def test_a_measure_ending_before_it_starts_is_refused_and_nothing_saved(clerk, node, db):
    _hh, case = a_case(db, node)
    answer = clerk.post(f"/clerk/cases/{case}/measures/new",
                        data={"type": "job_grant", "start_on": days_ago(0), "end_on": days_ago(5)})
    assert answer.status_code == 400 and "A measure must end after it starts." in text_of(answer)
    assert db.execute("SELECT COUNT(*) FROM measures").fetchone()[0] == 0


def test_evidence_is_listed_by_step_and_a_file_not_held_is_shown_missing(clerk, node, db):
    _hh, case = a_case(db, node)
    to_notice(db, node, case)
    text = text_of(clerk.get(f"/clerk/cases/{case}"))
    assert "承诺书.pdf" in text and "file missing on this node" in text
    assert re.search("deliberation minutes *: none recorded", text)
    # A file the node's store holds is shown held.
    with write(db, node) as w:
        evidence.attach(w, node, "monitor_cases", case, "consent_scan", b"%PDF-1.4\n% signed\n%%EOF\n",
                        "承诺书-补签.pdf", "application/pdf")
    text = text_of(clerk.get(f"/clerk/cases/{case}"))
    assert re.search("承诺书-补签.pdf[^.]*held here", text) and "承诺书.pdf" in text


def test_unknown_cases_are_not_found(clerk):
    for url in ("/clerk/cases/nope", "/clerk/cases/nope/notice", "/clerk/cases/nope/measures/new"):
        assert clerk.get(url).status_code == 404
    assert clerk.post("/clerk/cases/nope/move", data={"status": "home_check"}).status_code == 404


def menu_of(page):
    """Return the addresses and words of a clerk page's menu (before its log-out form)."""
    nav = page.split('class="clerk-nav"', 1)[1].split('id="logout-form"', 1)[0]
    return re.findall(r'<a href="([^"]+)">([^<]+)</a>', nav)


def test_the_menu_shows_each_role_its_own_pages_in_its_language(hub, clerk):
    county_staff, _db, _case = hub
    assert menu_of(county_staff.get("/clerk/cases").get_data(as_text=True)) == [("/clerk/cases", "Monitoring")]
    desk = menu_of(clerk.get("/clerk/households").get_data(as_text=True))
    assert [href for href, _words in desk] == ["/clerk/households", "/clerk/requests", "/clerk/grievances",
                                               "/clerk/cases", "/clerk/elders", "/clerk/alerts", "/clerk/sync",
                                               "/clerk/tablets"]
    chinese = menu_of(clerk.get("/clerk/households?lang=zh_Hans").get_data(as_text=True))
    assert [href for href, _w in chinese] == [href for href, _w in desk]  # the same pages, kept per language
    assert all(words != english for (_h, words), (_h2, english) in zip(chinese, desk))
