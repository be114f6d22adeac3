"""Clerk pages of visits and elderly care: a visit's form drawn from its checklist, elders by visit due, visit rates."""
import datetime

import pytest
from test_clerk_cases import a_case, days_ago, text_of

from village.records import core
from village.records.checklists import CHECKLISTS

TODAY = datetime.date.today()


def an_elder(db, node, name, tier, first_due, household=None):
    """Save a person (in a new household unless given) with an elder profile; return (household, person, elder)."""
    with core.write(db, node) as w:
        hh = household or core.save(w, node, "households", {"code": f"E-{name}", "head_name": name})
        person = core.save(w, node, "persons", {"household_id": hh, "name": name, "birth_date": "1940-05-01"})
        elder = core.save(w, node, "elder_profiles", {"person_id": person, "tier": tier, "next_visit_due": first_due})
    return hh, person, elder


@pytest.mark.parametrize("kind", sorted(CHECKLISTS))
def test_the_visit_form_asks_every_question_of_its_kinds_checklist(clerk, node, db, kind):
    hh, _case = a_case(db, node)
    page = clerk.get(f"/clerk/households/{hh}/visits/new/{kind}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for item in CHECKLISTS[kind]:
        if item.kind == "files":
            assert f'name="a-{item.name}"' not in html  # photos come with the field app's uploads
        elif item.name == "referral":
            assert 'name="referral"' in html  # the visit's own field, asked once
        else:
            assert f'name="a-{item.name}"' in html and item.label in html, item.name
    for field in ("mode", "risk_level", "referral", "next_due", "visited_on"):
        assert f'name="{field}"' in html


def test_an_elderly_care_visit_is_saved_with_typed_answers_and_shown(clerk, node, db):
    hh, _person, elder = an_elder(db, node, "王奶奶", "high", days_ago(3))
    form = clerk.get(f"/clerk/households/{hh}/visits/new/elderly_care?elder={elder}").get_data(as_text=True)
    next_week = (TODAY + datetime.timedelta(days=7)).isoformat()
    assert f'value="{next_week}"' in form  # a weekly elder's next visit, a week on
    answer = clerk.post(f"/clerk/households/{hh}/visits/new/elderly_care",
                        data={"visitor": "志愿者小李", "visited_on": days_ago(0), "mode": "phone_video", "elder_id": elder,
                              "a-speech_ok": "1", "a-illness": "0", "a-children_contact": "", "risk_level": "medium",
                              "referral": "乡卫生院", "next_due": next_week})
    assert answer.status_code == 302
    visit = next(core.rows(db, "visits"))
    assert visit["answers"] == {"speech_ok": True, "illness": False}  # unanswered is not stored as "no"
    assert (visit["mode"], visit["elder_id"], visit["referral"]) == ("phone_video", elder, "乡卫生院")
    shown = text_of(clerk.get(answer.headers["Location"]))
    assert "Speaks clearly yes" in shown and "Ill now no" in shown and "medium risk" in shown
    assert "王奶奶" in shown and "phone or video" in shown
    history = text_of(clerk.get(f"/clerk/households/{hh}"))
    assert "elderly-care visit" in history and "志愿者小李" in history


def test_a_follow_up_keeps_the_main_risk_first_and_links_its_case(clerk, node, db):
    hh, case = a_case(db, node)
    assert f'<option value="{case}" selected' in clerk.get(
        f"/clerk/households/{hh}/visits/new/poverty_monitoring?case={case}").get_data(as_text=True)
    answer = clerk.post(f"/clerk/households/{hh}/visits/new/poverty_monitoring",
                        data={"visitor": "工作队", "visited_on": days_ago(0), "case_id": case,
                              "a-income_per_person": "9,200", "a-water_secure": "1",
                              "a-risks__main": "unstable_work", "a-risks": ["illness", "unstable_work"]})
    assert answer.status_code == 302
    visit = next(core.rows(db, "visits"))
    assert visit["answers"] == {"income_per_person": 9200, "water_secure": True, "risks": ["unstable_work", "illness"]}
    assert visit["case_id"] == case


def test_an_answer_not_understood_is_shown_with_what_was_typed_and_nothing_saved(clerk, node, db):
    hh, _case = a_case(db, node)
    answer = clerk.post(f"/clerk/households/{hh}/visits/new/poverty_monitoring",
                        data={"visitor": "工作队", "visited_on": days_ago(0), "a-income_per_person": "九千"})
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert "is not an amount in yuan" in html and 'value="九千"' in html and 'aria-invalid="true"' in html
    missing = clerk.post(f"/clerk/households/{hh}/visits/new/poverty_monitoring", data={"visited_on": "2025-02-30"})
    assert missing.status_code == 400 and "This is required." in text_of(missing)
    assert db.execute("SELECT COUNT(*) FROM visits").fetchone()[0] == 0
    assert clerk.get(f"/clerk/households/{hh}/visits/new/haircut").status_code == 404


def test_elders_are_listed_most_overdue_first_with_their_tier(clerk, node, db):
    an_elder(db, node, "赵爷爷", "key", (TODAY + datetime.timedelta(days=20)).isoformat())
    an_elder(db, node, "钱奶奶", "high", days_ago(10))
    hh, _p, general = an_elder(db, node, "孙爷爷", "general", days_ago(100))
    with core.write(db, node) as w:
        core.save(w, node, "visits", {"household_id": hh, "visitor": "村医", "kind": "elderly_care", "elder_id": general,
                                      "visited_on": days_ago(95)})  # due again 91 days later: 4 days ago
    text = text_of(clerk.get("/clerk/elders"))
    assert text.index("钱奶奶") < text.index("孙爷爷") < text.index("赵爷爷")
    assert "10 days overdue" in text and "4 days overdue" in text and "not overdue" in text
    assert "high (weekly)" in text and "key (monthly)" in text and "never visited" in text


def test_the_monthly_visit_rate_per_village(clerk, node, db):
    hh, _p, elder = an_elder(db, node, "周奶奶", "key", days_ago(40))
    with core.write(db, node) as w:
        core.save(w, node, "visits", {"household_id": hh, "visitor": "村医", "kind": "elderly_care", "elder_id": elder,
                                      "visited_on": TODAY.replace(day=1).isoformat()})
    text = text_of(clerk.get("/clerk/elders"))
    assert f"{node.area} 1 of 1 (100%) 0 of 1 (0%)" in text  # this month, then the month before


def test_an_elder_profile_is_added_for_a_person_once(clerk, node, db):
    hh, _case = a_case(db, node)
    person = next(core.rows(db, "persons", "household_id = ?", [hh]))["id"]
    assert "Add an elder profile" in text_of(clerk.get(f"/clerk/households/{hh}"))
    assert clerk.get(f"/clerk/persons/{person}/elder").status_code == 200
    refused = clerk.post(f"/clerk/persons/{person}/elder", data={"tier": "", "next_visit_due": days_ago(0)})
    assert refused.status_code == 400 and db.execute("SELECT COUNT(*) FROM elder_profiles").fetchone()[0] == 0
    saved = clerk.post(f"/clerk/persons/{person}/elder", data={"tier": "key", "next_visit_due": days_ago(0),
                                                               "reasons": "独居，患阿尔茨海默病"})
    assert saved.status_code == 302
    assert "张秀兰" in text_of(clerk.get("/clerk/elders"))
    again = clerk.get(f"/clerk/persons/{person}/elder")
    assert again.status_code == 302 and db.execute("SELECT COUNT(*) FROM elder_profiles").fetchone()[0] == 1
    assert clerk.get("/clerk/persons/nobody/elder").status_code == 404
