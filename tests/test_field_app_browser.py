"""The field app in Chromium with a persistent profile: installed, offline, several workers, updates, the clock.

The node goes out of range by stopping its server (Playwright's offline mode does not cut a
service worker's own fetches). These tests reach the node at http://127.0.0.1, a secure
context; the LAN name over HTTPS is issue #12 part A's test.
"""
import hashlib
import io
import re
import time

import pytest
from playwright.sync_api import expect
from clerk_helpers import PASSWORD
from conftest import CHROMIUM, CHROMIUM_ARGS, free_port
from field_helpers import Restartable
from tablet_helpers import add_tablet

from village import create_app
from village.field import assets
from village.ops.demo import populate
from village.records import core, evidence
from village.users import add_user

pytestmark = pytest.mark.slow


@pytest.fixture
def node_server(node, db):
    """A demo village with two field workers, served on a port that stays the same across restarts."""
    populate(db, node, households=12)
    add_user(db, "field1", "fieldworker", PASSWORD)
    add_user(db, "field2", "fieldworker", PASSWORD)
    server = Restartable(create_app({"NODE": node}), free_port()).start()
    server.node = node
    yield server
    server.stop()


@pytest.fixture
def tablet(browser, tmp_path):
    """Open (and reopen) Chromium on one persistent profile, as a tablet's browser is closed and opened.

    `options` go to Playwright's launch (a device's user agent, say).
    """
    opened = []

    def launch(**options):
        context = browser.browser_type.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS,
            viewport={"width": 800, "height": 1280}, has_touch=True, **options)
        opened.append(context)
        page = context.pages[0] if context.pages else context.new_page()
        page.on("console", lambda message: print("console:", message.type, message.text))
        page.on("pageerror", lambda error: print("pageerror:", error))
        return context, page

    yield launch
    for context in opened:
        try:
            context.close()
        except Exception:  # already closed by the test
            pass


def ready(page):
    try:
        page.wait_for_selector("body[data-ready=true]", timeout=10000)
    except Exception:
        print("URL", page.url, page.content()[:3000])
        raise


def online_login(page, url, user):
    page.goto(f"{url}/login?next=/field/&lang=en")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(r".*/field/$"))
    ready(page)


def enroll(page, server, user):
    """Log `user` in online and set up their offline unlock; returns when the app's home is shown.

    A tablet not enrolled yet shows its enrollment form first: the code is typed, as from the clerk's page.
    """
    online_login(page, server.url, user)
    if page.locator("#enroll").count():
        page.fill("#e-code", add_tablet(server.node)["code"])
        page.click("#enroll button[type=submit]")
    page.fill("#c-password", PASSWORD)
    page.click("#confirm button[type=submit]")
    unlocked_home(page)


def two_workers(page, server):
    """Enroll field1 then field2 on one tablet, each logging out after: the tablet waits for the next worker."""
    for user in ("field1", "field2"):
        enroll(page, server, user)
        page.click("text=Log out")
        page.wait_for_selector("#add-worker")


def unlocked_home(page):
    page.wait_for_selector("#mine", state="attached")
    expect(page.locator("button.row").first).to_be_visible()  # the village's households, after the first sync


def unlock(page, user):
    page.select_option("#u-worker", user)
    page.fill("#u-password", PASSWORD)
    page.click("#unlock button[type=submit]")
    page.wait_for_selector("#mine", state="attached")
    expect(page.locator("button.row").first).to_be_visible()  # the village's households


def sw_ready(page):
    return page.evaluate("navigator.serviceWorker.ready.then(r => !!r.active && !!navigator.serviceWorker.controller)")


def a_photo():
    from PIL import Image

    image = Image.effect_noise((3000, 2000), 80).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def capture_visit(page, household_index=1, photo=None):
    page.click("text=New visit")
    page.select_option("#v-household", index=household_index)
    page.wait_for_selector("#v-kind")
    if photo:
        page.select_option("#v-kind", "plot_inspection")
        page.wait_for_selector("#a-photos")
        page.set_input_files("#a-photos", files=[{"name": "p.jpg", "mimeType": "image/jpeg", "buffer": photo}])
        expect(page.locator("#a-photos-kept")).to_contain_text("KB", timeout=15000)
        page.select_option("#a-condition", "poor")
    else:
        page.check("input[name=a-school_secure][value=true]")
    page.click("#save")
    page.wait_for_selector("#mine", state="attached")


def unsynced(page):
    return int(page.inner_text("#s-unsynced"))


def test_offline_capture_survives_a_browser_restart_and_reaches_the_node_once(node_server, tablet, db):
    url = node_server.url
    context, page = tablet()
    enroll(page, node_server, "field1")
    assert sw_ready(page)
    assert page.inner_text("#s-node") == "Node reachable" and page.locator("#s-clock").is_hidden()
    assert page.inner_text("#s-storage")  # the answer of storage.persist(), shown
    node_server.stop()
    page.reload()
    ready(page)
    unlock(page, "field1")
    capture_visit(page, 1)
    capture_visit(page, 2)
    capture_visit(page, 3, photo=a_photo())
    expect(page.locator("#s-node")).to_have_text("Node not reachable")
    assert unsynced(page) == 3 and page.inner_text("#s-photos") == "1"
    photo_sizes = stored_photos(page)
    assert len(photo_sizes) == 1 and 10_000 < photo_sizes[0] <= 200 * 1024
    context.close()

    context, page = tablet()
    page.goto(f"{url}/field/")
    ready(page)
    unlock(page, "field1")
    assert page.locator("#mine li").count() == 3 and unsynced(page) == 3 and page.inner_text("#s-photos") == "1"
    node_server.start()  # the browser restart ended the online session: the tablet's own credentials sync
    page.click("#sync-now")
    expect(page.locator("#s-unsynced")).to_have_text("0")
    page.click("#sync-now")
    expect(page.locator("#s-unsynced")).to_have_text("0")
    visits = list(core.rows(db, "visits", "visitor = 'field1'"))
    assert len(visits) == 3 and len({v["id"] for v in visits}) == 3
    inspected = next(v for v in visits if v["kind"] == "plot_inspection")
    assert the_node_holds_the_photo(node_server.node, db, inspected)
    assert page.locator("#f-photos").is_hidden() and stored_photos(page) == []  # held by the node: gone from here


def stored_photos(page):
    """Return the sizes of the photos the tablet keeps (encrypted) in IndexedDB."""
    return page.evaluate("""new Promise(r => indexedDB.open('village-field').onsuccess = e =>
        e.target.result.transaction('photos').objectStore('photos').getAll().onsuccess = g => r(g.target.result.map(p => p.size)))""")


def the_node_holds_the_photo(node, db, visit):
    """Check that one attachments record names the visit's one photo, whose bytes the node holds: a JPEG <= 200 KB."""
    [photo_id] = visit["answers"]["photos"]
    records = list(core.rows(db, "attachments", f"owner_id = '{visit['id']}'"))
    assert [r["id"] for r in records] == [photo_id]
    record = records[0]
    assert (record["owner_table"], record["kind"], record["mime"], record["area"]) == ("visits", "photo", "image/jpeg",
                                                                                      visit["area"])
    data = evidence.store(node).read(record["sha256"])
    assert hashlib.sha256(data).hexdigest() == record["sha256"] and len(data) == record["size"] <= 200 * 1024
    assert evidence.sniff(data) == "image/jpeg" and evidence.content_problem(db, record["sha256"], len(data), data) is None
    return True


def test_a_second_worker_cannot_read_the_first_workers_records_but_pushes_them(node_server, tablet, db):
    url = node_server.url
    context, page = tablet()
    two_workers(page, node_server)
    node_server.stop()
    unlock(page, "field1")
    capture_visit(page, 1)
    page.click("text=Log out")
    page.wait_for_selector("#add-worker")
    assert "1 unsynced records are kept" in page.inner_text("#message")
    unlock(page, "field2")
    assert page.locator("#mine li").count() == 0 and unsynced(page) == 1
    raw = page.evaluate("""new Promise(r => indexedDB.open('village-field').onsuccess = e =>
        e.target.result.transaction('records').objectStore('records').getAll().onsuccess = g =>
          r(g.target.result.map(x => [x.owner, new TextDecoder().decode(x.ct)])))""")
    assert [owner for owner, _ in raw] == ["field1"] and "visited_on" not in raw[0][1]
    node_server.start()  # field2 pushes field1's sealed entries with the tablet's credentials, no online login
    page.click("#sync-now")
    expect(page.locator("#s-unsynced")).to_have_text("0")
    assert [v["visitor"] for v in core.rows(db, "visits", "visitor LIKE 'field%'")] == ["field1"]


def test_a_workers_photo_waits_for_their_own_session_while_a_second_worker_pushes_the_records(node_server, tablet, db):
    context, page = tablet()
    two_workers(page, node_server)
    node_server.stop()
    unlock(page, "field1")
    capture_visit(page, 1, photo=a_photo())
    page.click("text=Log out")
    page.wait_for_selector("#add-worker")
    assert "1 unsynced records and 1 photos are kept" in page.inner_text("#message")
    node_server.start()
    unlock(page, "field2")  # only field1's key opens their photo: field2's sync sends the records, not the photo
    page.click("#sync-now")
    expect(page.locator("#s-unsynced")).to_have_text("0")
    [visit] = core.rows(db, "visits", "visitor = 'field1'")
    [photo] = core.rows(db, "attachments", f"owner_id = '{visit['id']}'")  # the record came, not its file
    assert evidence.held(db, [photo["sha256"]]) == set()
    assert page.inner_text("#s-photos") == "1" and len(stored_photos(page)) == 1
    page.click("text=Log out")
    page.wait_for_selector("#add-worker")
    unlock(page, "field1")  # unlocking syncs: now the photo goes, and leaves the tablet
    expect(page.locator("#f-photos")).to_be_hidden()
    assert the_node_holds_the_photo(node_server.node, db, visit) and stored_photos(page) == []


def test_wrong_passwords_past_the_limit_lock_offline_unlock(node_server, tablet):
    context, page = tablet()
    enroll(page, node_server, "field1")
    page.click("text=Log out")
    page.wait_for_selector("#add-worker")
    node_server.stop()
    for left in (4, 3, 2, 1):
        page.fill("#u-password", "wrong password")
        page.click("#unlock button[type=submit]")
        expect(page.locator("#message")).to_have_text(f"Wrong password. {left} tries left.")
    for _ in range(3):  # in parallel, as fast as a script could: none gets past the limit
        page.fill("#u-password", "wrong password")
        page.click("#unlock button[type=submit]")
    page.fill("#u-password", PASSWORD)
    page.click("#unlock button[type=submit]")
    expect(page.locator("#message")).to_contain_text("Too many wrong passwords")
    page.wait_for_timeout(2000)
    assert page.locator("#mine").count() == 0
    assert "Too many wrong passwords" in page.inner_text("#message")


def test_an_update_waits_for_an_empty_outbox(node_server, tablet, monkeypatch, db):
    url = node_server.url
    context, page = tablet()
    enroll(page, node_server, "field1")
    assert sw_ready(page)
    caches = "caches.keys().then(k => k.filter(n => n.startsWith('field-')))"
    first = page.evaluate(caches)
    node_server.stop()
    capture_visit(page, 1)
    db.execute("UPDATE nodes SET revoked_at = '2026-01-01'")  # the node refuses the tablet for now: nothing is sent
    db.commit()
    node_server.start()
    monkeypatch.setattr(assets, "version", lambda node: "v2")
    page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
    page.wait_for_selector("#s-update:not([hidden])")
    assert page.evaluate("navigator.serviceWorker.getRegistration().then(r => !!r.waiting)")
    assert sorted(page.evaluate(caches)) == sorted(first + ["field-v2"])  # the old one kept
    assert unsynced(page) == 1
    db.execute("UPDATE nodes SET revoked_at = NULL")
    db.commit()
    page.click("#sync-now")
    deadline = time.time() + 15
    while page.evaluate(caches) != ["field-v2"] and time.time() < deadline:
        page.wait_for_timeout(200)
    assert page.evaluate(caches) == ["field-v2"]
    assert len(list(core.rows(db, "visits", "visitor = 'field1'"))) == 1


def test_a_tablet_clock_a_day_off_is_flagged(node_server, tablet):
    context, page = tablet()
    page.clock.install(time=time.time() + 86400)
    enroll(page, node_server, "field1")
    page.wait_for_selector("#s-clock:not([hidden])")
    assert "24.0 hours" in page.inner_text("#s-clock")


SMALL_TARGETS = """() => [...document.querySelectorAll('a, button, select, textarea, input:not([type=radio]):not([type=checkbox]), label.choice')]
  .filter(el => el.offsetParent !== null && el.type !== 'hidden')
  .map(el => [el, el.getBoundingClientRect()])
  .filter(([el, r]) => r.height < 48 || r.width < 48)
  .map(([el, r]) => el.outerHTML.slice(0, 80) + ` ${Math.round(r.width)}x${Math.round(r.height)}`)"""


@pytest.mark.parametrize("lang", ("zh_Hans", "ug", "en"))
def test_axe_touch_targets_and_words_in_every_language(node_server, tablet, lang):
    from axe_playwright_python.sync_playwright import Axe

    context, page = tablet()
    enroll(page, node_server, "field1")
    page.click(f"#langs button[data-lang={lang}]")
    expect(page.locator("html")).to_have_attribute("lang", lang.replace("_", "-"))
    assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ug" else "ltr")
    problems = []
    screens = [("home", None), ("visit", "#main .actions button.primary"), ("visit-problems", "#save"),
               ("household", None)]
    for name, click in screens:
        if name == "household":
            page.locator("#main .actions button").last.click()  # Cancel
            page.locator("button.row").first.click()
        elif click:
            page.click(click)
        page.wait_for_timeout(200)
        results = Axe().run(page)
        if results.violations_count:
            problems.append(f"{name}: {results.generate_report()}")
        small = page.evaluate(SMALL_TARGETS)
        if small:
            problems.append(f"{name}: touch targets under 48 px: {small}")
    assert not problems, "\n\n".join(problems)
    if lang == "en":
        page.click("text=Back")
        for action in ("New visit", "Sync now", "Log out", "Export unsynced"):
            expect(page.get_by_role("button", name=action, exact=True)).to_have_count(1)
