"""Monitoring and care pages in Chromium: axe and touch targets in zh_Hans and ug, a case moved by clicking."""
import datetime
from pathlib import Path

import pytest
from browser_helpers import watch_csp
from test_clerk_browser import PASSWORD, log_in
from test_clerk_cases import a_case, days_ago, to_deliberation, to_notice
from test_clerk_care import an_elder

from village import create_app
from village.ops.demo import populate
from village.records import core
from village.users import add_user

SHOTS = Path(__file__).parent.parent / "docs" / "screenshots"
MIN_TARGET = 44  # px: the clerk's tablet, a finger's width
SMALL_TARGETS = """(least) => [...document.querySelectorAll('a, button, input, select, textarea')]
  .filter(el => el.offsetParent !== null && el.type !== 'hidden')
  .map(el => [el, el.getBoundingClientRect()])
  .filter(([el, r]) => r.height < least || r.width < least)
  .map(([el, r]) => el.outerHTML.slice(0, 80) + ` ${Math.round(r.width)}x${Math.round(r.height)}`)"""


@pytest.fixture
def live(node, db, serve):
    """A demo village with cases, an elder and a visit, served over HTTP with a clerk; returns (url, ids)."""
    populate(db, node, households=12)
    add_user(db, "clerk1", "clerk", PASSWORD)
    hh, lead = a_case(db, node, lead_days_ago=2, code="M0001", labour="no_labour", risks=("illness", "accident"))
    _hh, deliberated = a_case(db, node, lead_days_ago=18, code="M0002")
    to_deliberation(db, node, deliberated)
    _hh, on_notice = a_case(db, node, lead_days_ago=9, code="M0003")
    to_notice(db, node, on_notice, ended_days_ago=-3)
    with core.write(db, node) as w:
        core.save(w, node, "measures", {"case_id": deliberated, "type": "job_grant", "start_on": days_ago(40),
                                        "end_on": (datetime.date.today() + datetime.timedelta(days=12)).isoformat()})
    _ehh, person, elder = an_elder(db, node, "王奶奶", "high", days_ago(9), household=hh)
    with core.write(db, node) as w:
        visit = core.save(w, node, "visits", {"household_id": hh, "visitor": "志愿者", "kind": "elderly_care",
                                              "elder_id": elder, "visited_on": days_ago(9), "mode": "phone_video",
                                              "answers": {"speech_ok": True, "illness": False}})
    server = serve(create_app({"NODE": node}))
    ids = {"household": hh, "lead": lead, "deliberated": deliberated, "person": person, "visit": visit,
           "other_person": next(core.rows(db, "persons", "household_id != ?", [hh]))["id"]}
    return server.url, ids


@pytest.fixture
def page(page):
    """The conftest page; the test fails if the Content-Security-Policy blocked anything on it."""
    blocked = watch_csp(page)
    yield page
    assert not blocked, blocked


def monitoring_pages(url, ids):
    """Return (name, address) of every monitoring and care page, with real records behind the ids."""
    hh, case = ids["household"], ids["deliberated"]
    return [
        ("cases", f"{url}/clerk/cases"),
        ("cases-by-step", f"{url}/clerk/cases?step=deliberation"),
        ("case", f"{url}/clerk/cases/{case}"),
        ("case-lead", f"{url}/clerk/cases/{ids['lead']}"),
        ("notice", f"{url}/clerk/cases/notice"),
        ("lead-form", f"{url}/clerk/households/{hh}/cases/new"),
        ("measure-form", f"{url}/clerk/cases/{case}/measures/new"),
        ("household", f"{url}/clerk/households/{hh}"),
        ("follow-up-form", f"{url}/clerk/households/{hh}/visits/new/poverty_monitoring"),
        ("care-visit-form", f"{url}/clerk/households/{hh}/visits/new/elderly_care"),
        ("plot-visit-form", f"{url}/clerk/households/{hh}/visits/new/plot_inspection"),
        ("visit", f"{url}/clerk/visits/{ids['visit']}"),
        ("elders", f"{url}/clerk/elders"),
        ("elder-form", f"{url}/clerk/persons/{ids['other_person']}/elder"),
    ]


def check_page(page, axe, name, problems):
    """Add what axe and the touch-target measure find on the page shown to `problems`."""
    results = axe.run(page)
    if results.violations_count:
        problems.append(f"{name}: {results.generate_report()}")
    small = page.evaluate(SMALL_TARGETS, MIN_TARGET)
    if small:
        problems.append(f"{name}: touch targets under {MIN_TARGET} px: {small}")


@pytest.mark.parametrize("lang", ("zh_Hans", "ug"))
def test_axe_and_touch_targets_on_the_monitoring_pages(live, page, lang):
    from axe_playwright_python.sync_playwright import Axe

    url, ids = live
    log_in(page, url, lang)
    axe, problems = Axe(), []
    for name, address in monitoring_pages(url, ids):
        page.goto(address)
        assert page.locator("html").get_attribute("lang") == lang.replace("_", "-"), name
        check_page(page, axe, name, problems)
        if name == "case":  # a refused move: the problem shown, the form kept
            page.fill("#notice-notice_to", days_ago(-1))
            page.click("button[value=notice]")
            assert page.locator("#move-problem").is_visible()
            check_page(page, axe, "case with a refused move", problems)
        if name == "follow-up-form":
            page.fill("#a-income_per_person", "abc")
            page.click("form.record-form button[type=submit]")
            check_page(page, axe, "follow-up form with problems", problems)
    assert not problems, "\n\n".join(problems)


def test_a_case_is_moved_by_clicking_and_a_refusal_keeps_the_form(live, page):
    url, ids = live
    log_in(page, url, "zh_Hans")
    page.goto(f"{url}/clerk/cases/{ids['lead']}")
    page.fill("#home_check-note", "入户看过，情况属实")
    page.click("button[value=home_check]")
    assert page.locator(".status").inner_text() == "已入户核查"
    assert "入户看过，情况属实" in page.locator(".history").inner_text()
    page.goto(f"{url}/clerk/cases/{ids['deliberated']}")
    page.fill("#notice-notice_to", days_ago(-2))  # a three-day notice
    page.fill("#notice-note", "张贴于村务公开栏")
    page.click("button[value=notice]")
    assert "公示期至少5天" in page.locator("#move-problem").inner_text()
    assert page.locator("#notice-note").input_value() == "张贴于村务公开栏"  # the form kept
    page.fill("#notice-notice_to", days_ago(-6))
    page.click("button[value=notice]")
    assert page.locator(".status").inner_text() == "村级公示中"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 1600})
    page.screenshot(path=str(SHOTS / "clerk-case.png"), full_page=True)
    page.click("text=公示（打印）")
    page.wait_for_url("**/notice")
    page.wait_for_load_state("load")  # its style sheets too, before the print media is looked at
    page.emulate_media(media="print")
    assert page.locator("header.top").is_hidden() and page.locator("#print-button").is_hidden()
    assert "M0002" not in page.locator(".public-notice").inner_text()  # the name, not the household code
    page.screenshot(path=str(SHOTS / "clerk-notice.png"), full_page=True)
    page.emulate_media(media="screen")
    page.goto(f"{url}/clerk/elders?lang=ug")
    page.screenshot(path=str(SHOTS / "clerk-elders-ug.png"), full_page=True)
