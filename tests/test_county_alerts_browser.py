"""Alerts and prices in Debian's Chromium: the kiosk's full-screen alert read aloud and closed, and the
county and clerk pages with axe finding nothing in zh_Hans and ug."""
import re
from pathlib import Path

import pytest
from browser_helpers import watch_csp
from clerk_helpers import PASSWORD
from conftest import COUNTY_AREA, VILLAGE_AREA, Village, local

from village import create_app
from village.records import alerts, cap, core, prices
from village.records.receipt_rules import receipt_id
from village.users import add_user

DATA = Path(__file__).parent / "data"
FIRST = "52010241600000_20250601080000"


@pytest.fixture
def page(page):
    """The conftest page; the test fails if the Content-Security-Policy blocked anything on it."""
    blocked = watch_csp(page)
    yield page
    assert not blocked, blocked


@pytest.fixture
def hub_url(make_node, serve):
    """A county hub with two villages registered, alerts (one half reported back) and a week of prices."""
    node, db = make_node(role="county", area=COUNTY_AREA, subdir="hub")
    run = Village(node.data_dir)
    for name, area in (("红星村", VILLAGE_AREA), ("白云村", COUNTY_AREA + "/002")):
        assert run("node", "add", "--name", name, "--area", area).exit_code == 0
    for name in ("alert.xml", "exercise.xml"):
        alerts.import_cap(db, node, (DATA / "cap" / name).read_bytes())
    with core.write(db, node) as writer:  # what 红星村 would have sent up
        core.save(writer, node, "alert_receipts", {"announcement_id": alerts.record_id(FIRST, VILLAGE_AREA),
                                                   "cap_id": FIRST, "delivered_at": "2025-06-01T00:10:00+00:00",
                                                   "area": VILLAGE_AREA}, row_id=receipt_id(FIRST, VILLAGE_AREA))
    prices.publish(db, node, prices.check(db, (DATA / "prices" / "prices_gb18030.csv").read_bytes()).rows)
    add_user(local(db), "county1", "county", PASSWORD)  # users: in the hub's own file
    return serve(create_app({"NODE": node})).url


@pytest.fixture
def village_url(make_node, serve):
    """A village holding an orange alert, with a clerk."""
    node, db = make_node(lang="zh_Hans")
    alerts.apply(db, node, cap.parse((DATA / "cap" / "alert.xml").read_bytes()), area=node.area)
    add_user(db, "clerk1", "clerk", PASSWORD)
    return serve(create_app({"NODE": node})).url


def log_in(page, url, user, lang, lands):
    page.goto(f"{url}/login?lang={lang}")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(lands))


def axe_problems(page, axe, name):
    results = axe.run(page)
    return [f"{name}: {results.generate_report()}"] if results.violations_count else []


@pytest.mark.usefixtures("hub_engine")  # on a SQLite and a PostgreSQL hub
@pytest.mark.parametrize("lang", ("zh_Hans", "ug"))
def test_axe_finds_nothing_on_the_county_alert_and_price_pages(hub_url, page, lang):
    from axe_playwright_python.sync_playwright import Axe

    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, hub_url, "county1", lang, r".*/county/$")
    axe, problems = Axe(), []
    page.goto(f"{hub_url}/county/alerts/")
    assert page.locator("html").get_attribute("lang") == lang.replace("_", "-")
    assert page.locator("tr.not-reached").count() == 2  # the exercise reaches both; the alert 红星村, reported
    problems += axe_problems(page, axe, "alerts")
    page.click("#new-h ~ form button[type=submit]")  # no headline: the form again, the problem marked
    assert page.locator("#headline[aria-invalid=true]").is_visible()
    problems += axe_problems(page, axe, "alert form with problems")
    page.goto(f"{hub_url}/county/prices/")
    assert page.locator("svg.sparkline").count() == 4
    problems += axe_problems(page, axe, "prices")
    page.set_input_files("#file", str(DATA / "prices" / "prices_all_units.csv"))
    page.click("form[action$='/preview'] button[type=submit]")
    assert page.locator("tr.bad").count() == 1
    problems += axe_problems(page, axe, "price preview with a bad row")
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("lang", ("zh_Hans", "ug"))
def test_the_kiosk_alert_fills_the_screen_is_read_aloud_and_closes_to_home(village_url, page, lang):
    from axe_playwright_python.sync_playwright import Axe

    page.goto(f"{village_url}/?lang={lang}")
    screen = page.locator(".alert-screen")
    assert screen.is_visible() and "colour-orange" in screen.get_attribute("class")
    box, viewport = screen.bounding_box(), page.viewport_size
    assert box["width"] > viewport["width"] * 0.9 and box["height"] > viewport["height"] * 0.8
    assert screen.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(122, 49, 0)"
    problems = axe_problems(page, Axe(), f"kiosk alert ({lang})")
    with page.expect_response(re.compile(r".*/speak/notice/.*")) as spoken:
        page.click(".alert-screen button.speak")
    assert spoken.value.status in (200, 206) and spoken.value.headers["content-type"] == "audio/wav"
    page.click(".alert-close")
    page.wait_for_selector(".actions")
    assert page.locator(".alert-screen").count() == 0 and page.locator(".emergencies").is_visible()
    assert not problems, "\n\n".join(problems)


def test_a_clerk_confirms_an_alert_in_chromium_and_axe_finds_nothing(village_url, page):
    from axe_playwright_python.sync_playwright import Axe

    page.goto(f"{village_url}/?lang=ug")  # the kiosk shows it: displayed
    log_in(page, village_url, "clerk1", "ug", r".*/clerk/households$")
    page.goto(f"{village_url}/clerk/alerts")
    problems = axe_problems(page, Axe(), "clerk alerts")
    page.click("form[action$='/acknowledge'] button")
    assert page.locator("form[action$='/acknowledge']").count() == 0 and "(clerk1)" in page.content()
    problems += axe_problems(page, Axe(), "clerk alerts confirmed")
    assert not problems, "\n\n".join(problems)
