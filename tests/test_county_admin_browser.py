"""The county's conflicts, held changes, villages, users, audit and monthly report in Chromium: axe, print."""
import re

import pytest
from clerk_helpers import PASSWORD
from conftest import local
from test_clerk_cases_browser import page  # noqa: F401  (the page, failing on any CSP violation)
from county_helpers import two_nodes_in_conflict
from sync_helpers import sync

from sync.changelog import writing
from village.users import add_user

pytestmark = pytest.mark.usefixtures("hub_engine")  # every test on a SQLite and a PostgreSQL hub

OTHER_VILLAGE = "52/5201/520102/002"


@pytest.fixture
def live(make_node, serve):
    """A hub with two nodes of one village, a conflict between them and a held change; an admin to log in."""
    _hub, hub_db, server, villages, _hh = two_nodes_in_conflict(make_node, serve, members=3)
    clinic, clinic_db = villages["clinic"]
    with writing(clinic_db, clinic.node_id) as writer:  # a tampered node writing past validation
        writer.put("households", "intruder", {"code": "Z9", "head_name": "外人", "area": OTHER_VILLAGE})
    for node, _db in villages.values():
        assert sync(node).exit_code == 0
    add_user(local(hub_db), "admin1", "admin", PASSWORD)  # users: in the hub's own file
    return server.url, hub_db


def log_in(page, url, lang):
    page.goto(f"{url}/login?lang={lang}")
    page.fill("#username", "admin1")
    page.fill("#password", PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_load_state("load")


def check(page, axe, name, problems):
    results = axe.run(page)
    if results.violations_count:
        problems.append(f"{name}: {results.generate_report()}")


@pytest.mark.parametrize("lang", ("zh_Hans", "ug"))
def test_axe_on_every_county_page_of_this_part(live, page, lang):
    from axe_playwright_python.sync_playwright import Axe

    url, _db = live
    log_in(page, url, lang)
    page.set_viewport_size({"width": 1366, "height": 768})  # the county office's screen
    axe, problems = Axe(), []
    for name in ("conflicts", "quarantine", "nodes", "users", "audit", "report"):
        page.goto(f"{url}/county/{name}")
        assert page.locator("html").get_attribute("lang") == lang.replace("_", "-"), name
        check(page, axe, name, problems)
    page.goto(f"{url}/county/conflicts")
    page.fill("input[name=value]", "many")
    page.click("button[value=typed]")
    assert page.locator("[aria-invalid=true]").count() == 1  # the form again, the problem marked
    check(page, axe, "conflicts with a refused value", problems)
    page.goto(f"{url}/county/nodes")
    page.fill("#add-name", "新村")
    page.fill("#add-area", "52/5201/520102/009")
    page.click("form.card button[type=submit]")
    assert re.fullmatch(r"[0-9A-Za-z-]{6,}", page.locator("#enroll-code").inner_text())
    check(page, axe, "enrollment code", problems)
    assert not problems, "\n\n".join(problems)


def test_the_conflict_is_resolved_by_clicking(live, page):
    url, db = live
    log_in(page, url, "zh_Hans")
    page.goto(f"{url}/county/conflicts")
    assert "红星村委会" in page.inner_text("main") and "红星村卫生室" in page.inner_text("main")
    page.click("tr.lost button[value=lost]")
    page.wait_for_load_state("load")
    assert "已保存" in page.inner_text("main")
    assert db.execute("SELECT members FROM households WHERE code = 'H00000'").fetchone()[0] == 3


def test_the_monthly_report_prints_on_one_a4_page(live, page):
    url, _db = live
    log_in(page, url, "zh_Hans")
    page.goto(f"{url}/county/report")
    page.wait_for_load_state("load")
    page.emulate_media(media="print")
    assert page.locator(".county-nav").is_hidden() and page.locator("form.filter").is_hidden()
    assert page.locator(".monthly-report h1").is_visible()
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
