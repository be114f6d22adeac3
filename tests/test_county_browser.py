"""County pages in Chromium: axe in every language, at an office screen's size.

The overview's screenshot is made from the demo county (test_demo_county_browser.py).
"""
import pytest
from browser_helpers import watch_csp
from clerk_helpers import PASSWORD
from conftest import local
from sync_helpers import enrolled_pair, sync
from test_county import village_records

from village.users import add_user

pytestmark = pytest.mark.usefixtures("hub_engine")  # every test on a SQLite and a PostgreSQL hub

PAGES = ("/county/", "/county/health", "/county/health/phone", "/county/completeness", "/county/steps",
         "/county/lists/requests?age=0-3", "/county/lists/late-cases", "/county/lists/overdue-elders")


@pytest.fixture
def live(make_node, serve):
    """A hub serving over HTTP with one village synced to it, and a county account."""
    hub, hub_db, server, node, db, _link = enrolled_pair(make_node, serve)
    village_records(db, node)
    assert sync(node).exit_code == 0
    add_user(local(hub_db), "county1", "county", PASSWORD)  # users: in the hub's own file
    return server.url


@pytest.fixture
def page(page):
    """The conftest page at an office screen's size; the test fails if the CSP blocked anything on it."""
    page.set_viewport_size({"width": 1366, "height": 768})
    blocked = watch_csp(page)
    yield page
    assert not blocked, blocked


def log_in(page, url, lang):
    page.goto(f"{url}/clerk/login?lang={lang}")
    page.fill("#username", "county1")
    page.fill("#password", PASSWORD)
    page.click("form.card button[type=submit]")


@pytest.mark.parametrize("lang", ("zh_Hans", "ug", "en"))
def test_every_county_page_passes_axe(live, page, lang):
    from axe_playwright_python.sync_playwright import Axe

    log_in(page, live, lang)
    problems = []
    for path in PAGES:
        page.goto(live + path)
        assert page.locator("html").get_attribute("lang") == lang.replace("_", "-"), path
        assert page.locator("h1").count() == 1, path
        results = Axe().run(page)
        if results.violations_count:
            problems.append(f"{path}: {results.generate_report()}")
    assert not problems, "\n\n".join(problems)


def test_the_overview_fits_an_office_screen(live, page):
    log_in(page, live, "zh_Hans")
    page.goto(live + "/county/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1366  # no sideways scrolling on a 1366×768 screen
    page.click("text=超过15天时限的案件 >> xpath=.. >> a")
    assert "/county/lists/late-cases" in page.url and page.locator("table.list tbody tr").count() == 1
