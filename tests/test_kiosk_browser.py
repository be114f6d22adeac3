"""The kiosk in Debian's Chromium: a resident's whole visit, languages, idle return, axe, touch sizes."""
import re
from pathlib import Path

import pytest
from browser_helpers import watch_csp

from village import create_app
from village.ops.demo import populate
from village.records import core
from village.records.services import change_status, find_by_ticket, submit

SCREENSHOTS = Path(__file__).parent.parent / "docs" / "screenshots"
LANGS = ("zh_Hans", "ug", "en")


class Kiosk:
    """A served village node with demo data and one request that the clerk has started on."""

    def __init__(self, node, db, server):
        self.node, self.db, self.url = node, db, server.url
        with core.write(db, node) as w:
            row, self.ticket = submit(w, node, "service_requests", {
                "kind": "land_certificate", "applicant_name": "张三", "applicant_phone": "13800001111"})
            change_status(w, node, "service_requests", row, "in_review", "clerk", "材料齐全")


@pytest.fixture
def kiosk(make_node, serve):
    node, db = make_node(lang="zh_Hans")  # a village kiosk speaks Chinese until a resident switches
    populate(db, node, households=10)
    # These tests look tickets up far faster than residents; the limit has its own tests.
    node.settings["status_lookups_per_minute"] = 1000
    return Kiosk(node, db, serve(create_app({"NODE": node})))


@pytest.fixture
def page(page):
    """The conftest page; the test fails if the Content-Security-Policy blocked anything on it."""
    blocked = watch_csp(page)
    yield page
    assert not blocked, blocked


def shot(page, name, full_page=False):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"kiosk-{name}.png"), full_page=full_page)


def tap_digits(page, target, digits):
    page.click(f"#{target}")  # tapping the field opens its keypad
    for digit in digits:
        page.click(f'[data-keypad="{target}"] button[data-key="{digit}"]')


def test_a_resident_asks_for_a_service_in_chinese_and_checks_its_status(kiosk, page):
    page.goto(kiosk.url + "/?lang=zh_Hans")
    assert page.get_attribute("html", "lang") == "zh-Hans"
    page.click(".actions a[href='/request']")
    page.click("label.tile:has(input[value=subsidy])")
    page.fill("#applicant_name", "李四")
    tap_digits(page, "applicant_phone", "1390000")
    page.click('[data-keypad="applicant_phone"] button[data-key="back"]')
    assert page.locator('[data-keypad="household_code"]').is_hidden()
    tap_digits(page, "applicant_phone", "12345")
    assert page.input_value("#applicant_phone") == "13900012345"
    assert page.locator('[data-keypad="household_code"]').is_hidden()
    tap_digits(page, "household_code", "HX0003")  # demo codes are HX0001...: the keypad offers H and X
    assert page.locator('[data-keypad="applicant_phone"]').is_hidden()
    page.fill("#details", "申请耕地地力保护补贴")
    page.click('#applicant_phone')
    shot(page, "request", full_page=True)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/ticket/S-\d{4}-\d{4}$"))
    ticket = page.text_content("[data-ticket]")
    household = kiosk.db.execute("SELECT id FROM households WHERE code = 'HX0003'").fetchone()[0]
    assert find_by_ticket(kiosk.db, "service_requests", ticket)["household_id"] == household
    assert page.locator(".qr svg").is_visible()
    assert page.get_attribute("html", "lang") == "zh-Hans"
    number = page.locator(".ticket-number")
    assert float(number.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 80
    shot(page, "ticket")
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible() and not page.locator("[data-print]").is_visible()
    assert page.locator(".ticket-number").is_visible() and page.locator(".qr svg").is_visible()
    page.emulate_media(media="screen")

    page.goto(kiosk.url + "/status")
    for key in ticket.replace("-", ""):
        page.click(f'[data-keypad="ticket"] button[data-key="{key}"]')
    page.click("button[type=submit]")
    assert page.text_content(".ticket-inline") == ticket
    assert page.locator(".status-now .status-submitted").is_visible()
    assert page.locator(".history li").count() == 1


def test_a_wrong_ticket_is_marked_and_a_real_one_shows_its_history(kiosk, page):
    page.goto(kiosk.url + "/status?lang=en")
    page.fill("#ticket", "S-0000-0001")
    page.click("button[type=submit]")
    assert page.get_attribute("#ticket", "aria-invalid") == "true"
    assert "S-0000-0001" in page.text_content("#ticket-problem1")
    page.fill("#ticket", kiosk.ticket.replace("-", " ").lower())
    page.click("button[type=submit]")
    assert page.locator(".history li").count() == 2
    assert "材料齐全" not in page.text_content(".history")  # the clerk's note stays with the clerks
    shot(page, "status")


def test_the_language_switch_takes_one_tap_and_ug_reads_right_to_left(kiosk, page):
    page.goto(kiosk.url + "/")
    assert page.get_attribute("html", "lang") == "zh-Hans" and page.get_attribute("html", "dir") == "ltr"
    shot(page, "home-zh_Hans")
    page.click(".langs a[lang=ug]")
    page.wait_for_load_state("load")
    assert page.get_attribute("html", "lang") == "ug" and page.get_attribute("html", "dir") == "rtl"
    brand, langs = page.locator(".brand").bounding_box(), page.locator(".langs").bounding_box()
    assert brand["x"] > langs["x"]  # the village name starts at the right-hand side
    notice = page.locator(".notice").first
    assert notice.evaluate("e => getComputedStyle(e).borderRightWidth") == "6px"  # border-inline-start mirrored
    assert "بوران" in page.text_content(".emergencies")
    shot(page, "home-ug")
    page.click(".actions a[href='/request']")  # the choice sticks from page to page
    assert page.get_attribute("html", "dir") == "rtl"
    page.click(".langs a[lang=en]")
    assert page.get_attribute("html", "lang") == "en" and page.get_attribute("html", "dir") == "ltr"
    assert page.url.endswith("/request?lang=en")
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(kiosk.url + "/?lang=zh_Hans")
    assert page.locator(".prices").bounding_box()["y"] < 1080  # landscape: prices beside the notices
    shot(page, "home-landscape")


def test_an_idle_kiosk_goes_home_in_its_own_language_and_forgets_what_was_typed(kiosk, page):
    kiosk.node.settings["kiosk_idle_seconds"] = 2
    page.goto(kiosk.url + "/?lang=ug")
    page.click(".actions a[href='/request']")
    page.fill("#applicant_name", "half typed")
    page.click("#applicant_phone")
    for _ in range(3):  # someone still typing keeps the page
        page.wait_for_timeout(900)
        page.click('[data-keypad="applicant_phone"] button[data-key="1"]')
    assert page.url.endswith("/request")
    page.wait_for_url(kiosk.url + "/", timeout=6000)
    assert page.get_attribute("html", "lang") == "zh-Hans"
    page.go_back()
    assert "half typed" not in page.content()


def kiosk_pages(kiosk):
    """Return (name, path, action) for every kiosk screen; action brings the page to that state."""
    def bad_request(page):
        page.fill("#applicant_phone", "12ab")
        page.click("button[type=submit]")
        page.wait_for_selector("#applicant_phone-problem1")
        page.wait_for_load_state("load")

    def bad_ticket(page):
        page.fill("#ticket", "S-0000-0001")
        page.click("button[type=submit]")
        page.wait_for_selector("#ticket-problem1")
        page.wait_for_load_state("load")

    def open_keypad(page):
        page.click("#applicant_phone")

    return [("home", "/", None), ("request", "/request", open_keypad), ("request-problems", "/request", bad_request),
            ("grievance", "/grievance", None), ("status", "/status", None), ("status-problem", "/status", bad_ticket),
            ("status-result", f"/status?ticket={kiosk.ticket}", None), ("ticket", f"/ticket/{kiosk.ticket}", None)]


@pytest.mark.parametrize("lang", LANGS)
def test_axe_finds_no_violations_on_any_kiosk_page(kiosk, page, lang):
    from axe_playwright_python.sync_playwright import Axe

    axe, reports = Axe(), []
    for name, path, action in kiosk_pages(kiosk):
        page.goto(kiosk.url + path + ("&" if "?" in path else "?") + f"lang={lang}")
        if action:
            action(page)
        results = axe.run(page)
        if results.violations_count:
            reports.append(f"{name}:\n{results.generate_report()}")
    assert not reports, "\n".join(reports)


MEASURE = """() => {
  const shown = el => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
                        return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const small = [], tiny = [];
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, label.tile')) {
    if (!shown(el) || el.matches('.tile input')) continue;  // a radio's touch target is its whole tile
    const r = el.getBoundingClientRect();
    if (r.width < 48 || r.height < 48) small.push(`${el.outerHTML.slice(0, 90)} ${r.width}x${r.height}`);
  }
  for (const el of document.body.querySelectorAll('*')) {
    const hasText = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (hasText && shown(el) && parseFloat(getComputedStyle(el).fontSize) < 18)
      tiny.push(`${el.tagName} ${getComputedStyle(el).fontSize} ${el.textContent.trim().slice(0, 30)}`);
  }
  return {small, tiny, overflow: document.documentElement.scrollWidth > window.innerWidth};
}"""


@pytest.mark.parametrize("size", [(1080, 1920), (1920, 1080)])
def test_touch_targets_are_48px_and_text_18px_in_portrait_and_landscape(kiosk, page, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    problems = []
    for lang in LANGS:
        for name, path, action in kiosk_pages(kiosk):
            page.goto(kiosk.url + path + ("&" if "?" in path else "?") + f"lang={lang}")
            if action:
                action(page)
            found = page.evaluate(MEASURE)
            problems += [f"{lang} {name}: {what}" for what in found["small"] + found["tiny"]]
            if found["overflow"]:
                problems.append(f"{lang} {name}: wider than the screen")
    assert not problems, "\n".join(problems)


@pytest.fixture
def touch_page(browser):
    """A portrait touchscreen (taps, no mouse or keyboard) that refuses any non-local request."""
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True)
    outside = []

    def guard(route):
        if route.request.url.startswith("http://127.0.0.1"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    yield context.new_page()
    context.close()
    assert not outside, f"pages asked for remote resources: {outside}"


def test_checking_a_ticket_takes_nothing_but_taps(kiosk, touch_page):
    page = touch_page
    page.goto(kiosk.url + "/?lang=ug")
    page.tap(".actions a[href='/status']")
    page.wait_for_url(kiosk.url + "/status")
    for key in kiosk.ticket.replace("-", ""):
        page.tap(f'[data-keypad="ticket"] button[data-key="{key}"]')
    page.tap('[data-keypad="ticket"] button[data-key="back"]')
    page.tap(f'[data-keypad="ticket"] button[data-key="{kiosk.ticket[-1]}"]')
    page.tap("button[type=submit]")
    page.wait_for_selector(".history")
    assert page.text_content(".ticket-inline") == kiosk.ticket
    assert page.get_attribute("html", "dir") == "rtl"
