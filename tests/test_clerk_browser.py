"""Clerk pages in Chromium: the certificate story, axe in every language, touch targets, screenshots."""
import re
from pathlib import Path

import pytest
from browser_helpers import watch_csp

from village import create_app
from village.ops.demo import populate
from village.ops.tablets import add_tablet
from village.records import core
from village.tls import init_tls
from village.users import add_user

PASSWORD = "correct horse"
SHOTS = Path(__file__).parent.parent / "docs" / "screenshots"
LANGS = ("zh_Hans", "ug", "en")


@pytest.fixture
def live(node, db, serve):
    """A demo village served over HTTP, with a clerk account; returns (base url, db, node)."""
    populate(db, node, households=40)
    add_user(db, "clerk1", "clerk", PASSWORD)
    init_tls(node)  # the Tablets page then shows the node's CA and how to install it
    add_tablet(node, db, "Tablet 1")
    server = serve(create_app({"NODE": node}))
    node.settings["public_base_url"] = server.url  # where its certificates' QR codes link
    return server.url, db, node


@pytest.fixture
def page(page):
    """The conftest page; the test fails if the Content-Security-Policy blocked anything on it."""
    blocked = watch_csp(page)
    yield page
    assert not blocked, blocked


def log_in(page, url, lang="en"):
    page.goto(f"{url}/clerk/login?lang={lang}")
    page.fill("#username", "clerk1")
    page.fill("#password", PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(r".*/clerk/households$"))


def a_household_with_a_request(db, node):
    """Attach a request waiting for review to a demo household; return (household code, ticket)."""
    from village.records.services import change_status, submit

    hh = next(core.rows(db, "households", "code = ?", ["HX0007"]))
    with core.write(db, node) as w:
        row, ticket = submit(w, node, "service_requests", {"applicant_name": hh["head_name"], "kind": "residence_certificate",
                                                           "household_id": hh["id"], "details": "居住证明"})
        change_status(w, node, "service_requests", row, "in_review", "clerk1")
    return hh["head_name"], ticket


def test_clerk_finds_household_approves_and_certificate_verifies(live, page):
    url, db, node = live
    name, ticket = a_household_with_a_request(db, node)
    log_in(page, url)
    page.fill("#q", name)
    page.click("form.search button")
    page.click("text=HX0007")
    page.wait_for_url(re.compile(r".*/clerk/households/[0-9a-f-]{36}$"))
    page.click(f"text={ticket}")
    page.fill("#note", "材料齐全")
    page.click("button[value=approved]")
    assert page.locator(".status").inner_text() == "approved"
    page.click("a.button.primary")  # Certificate
    certificate = page.locator(".certificate")
    assert certificate.locator("svg").count() == 1
    payload = certificate.get_attribute("data-payload")
    verify_url = certificate.get_attribute("data-verify-url")
    assert verify_url == f"{url}/verify/{payload}"
    page.emulate_media(media="print")
    assert page.locator("header.top").is_hidden() and page.locator("#print-button").is_hidden()
    page.screenshot(path=str(SHOTS / "clerk-certificate.png"), full_page=True)
    page.emulate_media(media="screen")
    page.goto(verify_url)
    assert page.locator("#verdict.good").is_visible()
    assert ticket in page.locator("#verdict").inner_text()
    page.goto(f"{url}/verify/{payload[:-6]}AAAAAA")
    assert page.locator("#verdict.bad").is_visible()


def clerk_pages(url, db):
    """Return (name, url) of every clerk page, with real records behind the ids."""
    hh = next(core.rows(db, "households", "code = ?", ["HX0001"]))
    plot = next(core.rows(db, "plots", "household_id = ?", [hh["id"]]))
    approved = next(core.rows(db, "service_requests", "status = 'approved'"))
    grievance = next(core.rows(db, "grievances", "status = 'open'"))
    return [
        ("households", f"{url}/clerk/households"),
        ("search", f"{url}/clerk/households?q=HX000"),
        ("household", f"{url}/clerk/households/{hh['id']}"),
        ("household-form", f"{url}/clerk/new/households"),
        ("household-edit", f"{url}/clerk/households/{hh['id']}/edit"),
        ("person-form", f"{url}/clerk/new/persons?parent={hh['id']}"),
        ("plot-edit", f"{url}/clerk/plots/{plot['id']}/edit"),
        ("planting-form", f"{url}/clerk/new/plantings?parent={plot['id']}"),
        ("livestock-form", f"{url}/clerk/new/livestock?parent={hh['id']}"),
        ("delete", f"{url}/clerk/households/{hh['id']}/delete"),
        ("requests", f"{url}/clerk/requests"),
        ("request", f"{url}/clerk/requests/{approved['id']}"),
        ("certificate", f"{url}/clerk/requests/{approved['id']}/certificate"),
        ("grievances", f"{url}/clerk/grievances"),
        ("grievance", f"{url}/clerk/grievances/{grievance['id']}"),
        ("sync", f"{url}/clerk/sync"),
        ("tablets", f"{url}/clerk/tablets"),
    ]


SMALL_TARGETS = """() => [...document.querySelectorAll('a, button, input, select, textarea')]
  .filter(el => el.offsetParent !== null && el.type !== 'hidden')
  .map(el => [el, el.getBoundingClientRect()])
  .filter(([el, r]) => r.height < 48 || r.width < 48)
  .map(([el, r]) => el.outerHTML.slice(0, 80) + ` ${Math.round(r.width)}x${Math.round(r.height)}`)"""


@pytest.mark.parametrize("lang", LANGS)
def test_axe_and_touch_targets_on_every_clerk_page(live, page, lang):
    from axe_playwright_python.sync_playwright import Axe

    url, db, _node = live
    page.goto(f"{url}/clerk/login?lang={lang}")
    pages = [("login", page.url)]
    log_in(page, url, lang)
    pages += clerk_pages(url, db)
    axe, problems = Axe(), []
    for name, address in pages:
        page.goto(address)
        assert page.locator("html").get_attribute("lang") == lang.replace("_", "-"), (name, page.content()[-3000:])
        results = axe.run(page)
        if results.violations_count:
            problems.append(f"{name}: {results.generate_report()}")
        small = page.evaluate(SMALL_TARGETS)
        if small:
            problems.append(f"{name}: touch targets under 48 px: {small}")
        # After the form check, show the same form with its problems marked.
        if name == "household-form":
            page.click("form.record-form button[type=submit]")
            results = axe.run(page)
            if results.violations_count:
                problems.append(f"{name} with problems: {results.generate_report()}")
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("lang", LANGS)
def test_verify_page_passes_axe(live, page, lang):
    from axe_playwright_python.sync_playwright import Axe

    url, _db, node = live
    from village.signing import sign

    for payload in (sign(node, {"t": "S-1234-5678", "k": "subsidy", "a": "王", "d": "2025-01-01"}), "broken"):
        page.goto(f"{url}/verify/{payload}?lang={lang}")
        results = Axe().run(page)
        assert results.violations_count == 0, results.generate_report()


def test_screenshots_of_the_main_clerk_screens(live, page):
    url, db, _node = live
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{url}/clerk/login?lang=zh_Hans")
    page.screenshot(path=str(SHOTS / "clerk-login.png"))
    log_in(page, url, "zh_Hans")
    wanted = {"households", "household", "requests", "request", "sync"}
    for name, address in clerk_pages(url, db):
        if name in wanted:
            page.goto(address)
            page.screenshot(path=str(SHOTS / f"clerk-{name}.png"), full_page=name != "household")
    page.goto(f"{url}/clerk/new/households?lang=ug")
    page.click("form.record-form button[type=submit]")
    page.screenshot(path=str(SHOTS / "clerk-form-problems-ug.png"), full_page=True)
    assert (SHOTS / "clerk-households.png").stat().st_size > 10_000
