"""The field app syncing as an enrolled tablet, in Chromium, with the node by a LAN name over HTTPS.

Chromium reaches the village node as village.lan (--host-resolver-rules) and trusts its CA only
through the NSS database of its $HOME, as a tablet that installed it. The node goes out of range
by stopping its HTTPS server. The village is enrolled at a county hub served over real HTTP.
"""
import base64
import json
import subprocess

import pytest
import requests
from playwright.sync_api import expect
from clerk_helpers import PASSWORD
from conftest import CHROMIUM, CHROMIUM_ARGS, Village, free_port
from evidence_helpers import files_at
from sync_helpers import add_households, enroll, serve_hub, sync
from tablet_helpers import add_tablet
from test_field_app_browser import a_photo, capture_visit, online_login, ready, unlocked_home, unsynced

from village import create_app
from village.ops.https import HttpsServer
from village.records import core, evidence
from village.tls import init_tls, tls_dir
from village.users import add_user

LAN_NAME = "village.lan"
pytestmark = pytest.mark.slow  # real Chromium with its own profile


class LanNode:
    """A village node served over HTTPS as village.lan, stopped and started again on the same port."""

    def __init__(self, node, db, app, port):
        self.node, self.db, self.app, self.port, self.server = node, db, app, port, None
        self.url = f"https://{LAN_NAME}:{port}"

    def start(self):
        self.server = HttpsServer(self.app, self.node, "127.0.0.1", self.port)
        return self

    def stop(self):
        self.server.stop()


@pytest.fixture
def county_and_village(make_node, serve, monkeypatch):
    """A county hub (HTTP) and a village enrolled at it, served to tablets over HTTPS by LAN name."""
    monkeypatch.setenv("VILLAGE_TLS_NAMES", LAN_NAME)
    port = free_port()
    monkeypatch.setenv("VILLAGE_HTTPS_PORT", str(port))
    hub, hub_db, hub_server = serve_hub(make_node, serve)
    node, db = make_node()
    enroll(hub, hub_server, node)
    init_tls(node)
    add_households(db, node, 3)
    add_user(db, "field1", "fieldworker", PASSWORD)
    lan = LanNode(node, db, create_app({"NODE": node, "TESTING": True}), port).start()
    lan.hub = hub
    yield hub_db, lan
    lan.stop()


def launch(browser, tmp_path, lan):
    """Return a persistent context of Chromium whose NSS database trusts the node's CA."""
    home = tmp_path / "home"
    nssdb = home / ".pki" / "nssdb"
    if not nssdb.exists():
        nssdb.mkdir(parents=True)
        subprocess.run(["certutil", "-N", "-d", f"sql:{nssdb}", "--empty-password"], check=True)
        subprocess.run(["certutil", "-A", "-d", f"sql:{nssdb}", "-n", "village CA", "-t", "C,,",
                        "-i", str(tls_dir(lan.node) / "ca.pem")], check=True)
    # The session's Playwright (pytest-playwright's): a second one in the same process cannot start.
    return browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, env={"HOME": str(home)},
        args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {LAN_NAME} 127.0.0.1"],
        viewport={"width": 800, "height": 1280}, has_touch=True)


@pytest.fixture
def tablet(browser, tmp_path, county_and_village):
    """A page of a tablet enrolled at the village from its QR code's address, field1 ready to work on it."""
    _hub_db, lan = county_and_village
    context = launch(browser, tmp_path, lan)
    page = context.pages[0] if context.pages else context.new_page()
    page.on("pageerror", lambda error: print("pageerror:", error))
    page.goto(f"{lan.url}/field/#enroll={add_tablet(lan.node)['code']}")
    ready(page)
    expect(page.locator("#message")).to_have_text("This tablet is enrolled at the village node.")
    assert "#enroll" not in page.url  # the spent code leaves the address
    online_login(page, lan.url, "field1")
    page.fill("#c-password", PASSWORD)
    page.click("#confirm button[type=submit]")
    unlocked_home(page)
    yield page
    context.close()


def visits(db):
    return list(core.rows(db, "visits", "visitor = 'field1'"))


def test_visits_and_a_photo_captured_offline_reach_the_node_and_the_county_exactly_once(county_and_village, tablet):
    hub_db, lan = county_and_village
    page = tablet
    assert page.evaluate("window.isSecureContext") is True
    lan.stop()  # out of range
    for household in (1, 2, 3):
        capture_visit(page, household, photo=a_photo() if household == 3 else None)
    expect(page.locator("#s-node")).to_have_text("Node not reachable")
    assert unsynced(page) == 3 and page.inner_text("#s-photos") == "1"
    lan.start()
    page.click("#sync-now")
    expect(page.locator("#s-unsynced")).to_have_text("0")
    page.click("#sync-now")
    expect(page.locator("#s-unsynced")).to_have_text("0")
    expect(page.locator("#f-photos")).to_be_hidden()
    at_node = visits(lan.db)
    assert len(at_node) == 3 and len({v["id"] for v in at_node}) == 3
    [photo] = core.rows(lan.db, "attachments")
    for _ in range(2):  # the village's next sync, and one more
        assert sync(lan.node).exit_code == 0
        at_hub = visits(hub_db)
        assert sorted(v["id"] for v in at_hub) == sorted(v["id"] for v in at_node)
        assert [r["id"] for r in core.rows(hub_db, "attachments")] == [photo["id"]]
        assert evidence.store(lan.hub).read(photo["sha256"]) == evidence.store(lan.node).read(photo["sha256"])
    tablet_versions = hub_db.execute("SELECT COUNT(*) FROM _changes WHERE tbl IN ('visits', 'attachments')").fetchone()[0]
    assert tablet_versions == 4


CAPTURE = """async ([household, count]) => {
  const {modules} = await import(document.querySelector("script[type=module]").src);  // the running app
  const records = modules["app/records.js"];
  for (let i = 0; i < count; i++) {
    await records.capture("visits", {household_id: household, kind: "elderly_care", visited_on: "2026-05-01",
                                     notes: `visit ${i}`, answers: {}});
  }
}"""


def test_a_push_cut_after_the_node_committed_resumes_without_duplicates(county_and_village, tablet):
    _hub_db, lan = county_and_village
    page = tablet
    household = next(core.rows(lan.db, "households"))["id"]
    pushes = []

    def cut_second(route):
        pushes.append(route.request.url)
        if len(pushes) == 2:
            # The node applies and commits the batch (the very request, passed on) ...
            request = route.request
            headers = {k: v for k, v in request.headers.items() if k.startswith("x-sync-") or k == "content-type"}
            answer = requests.post(f"https://localhost:{lan.port}/sync/push", data=request.post_data_buffer,
                                   headers=headers, verify=str(tls_dir(lan.node) / "ca.pem"), timeout=30)
            assert answer.json()["applied"] == 100
            route.abort("connectionreset")  # ... and the tablet never hears its answer
        else:
            route.continue_()

    page.route("**/sync/push", cut_second)
    lan.stop()
    page.evaluate(CAPTURE, [household, 600])  # out of range: two batches wait, 500 and 100
    lan.start()
    page.click("#sync-now")
    expect(page.locator("#s-unsynced")).to_have_text("100", timeout=20000)  # the first acknowledged, not the second
    assert len(visits(lan.db)) == 600
    page.click("#sync-now")
    expect(page.locator("#s-unsynced")).to_have_text("0")
    assert len(pushes) == 3  # the cut batch again: acknowledged, applied nothing twice
    at_node = visits(lan.db)
    assert len(at_node) == 600 and len({v["notes"] for v in at_node}) == 600
    assert lan.db.execute("SELECT COUNT(*) FROM _changes WHERE tbl = 'visits'").fetchone()[0] == 600


def test_the_export_file_imports_once_and_only_once(county_and_village, tablet, tmp_path):
    _hub_db, lan = county_and_village
    page = tablet
    lan.stop()
    capture_visit(page, 1)
    capture_visit(page, 2, photo=a_photo())  # a visit with a photo: its record and its bytes go in the file
    assert page.inner_text("#s-photos") == "1"
    with page.expect_download() as download:
        page.click("text=Export unsynced")
    expect(page.locator("#message")).to_have_text("2 unsynced records and 1 photos written to the file.")
    path = tmp_path / "unsynced.json"
    download.value.save_as(path)
    first = Village(lan.node.data_dir)("tablet", "import", str(path))
    assert first.exit_code == 0 and "(3 new, 0 refused)" in first.output, first.output  # 2 visits, 1 photo record
    assert "Photos: 1 in the file, 1 kept now, 0 held here before, 0 refused." in first.output
    second = Village(lan.node.data_dir)("tablet", "import", str(path))
    assert second.exit_code == 0 and "(0 new, 0 refused)" in second.output
    assert "Photos: 1 in the file, 0 kept now, 1 held here before, 0 refused." in second.output
    assert len(visits(lan.db)) == 2
    [photo] = core.rows(lan.db, "attachments")
    held = evidence.store(lan.node).read(photo["sha256"])
    assert held[:3] == b"\xff\xd8\xff" and len(held) == photo["size"]  # the tablet's photo, whole
    carried = path.read_bytes()  # ... carried sealed: a stick found in the road does not show it
    assert held[:600] not in carried and base64.b64encode(held[:600]) not in carried
    assert files_at(lan.node) == [photo["sha256"]]  # kept once
    lan.start()  # the tablet comes back in range after all: its push applies nothing twice
    page.click("#sync-now")
    expect(page.locator("#s-unsynced")).to_have_text("0")
    expect(page.locator("#f-photos")).to_be_hidden()  # the node holds its photo: the tablet dropped its copy
    assert len(visits(lan.db)) == 2 and len(list(core.rows(lan.db, "attachments"))) == 1
    assert files_at(lan.node) == [photo["sha256"]]


SMALLER_FILES = """async () => {
  // A node that takes smaller files: room for the records and one of the two photos (the app reads the bound from
  // forms.json, kept offline; here it is lowered in the running app).
  const {modules} = await import(document.querySelector("script[type=module]").src);
  const [store, rescue] = [modules["app/store.js"], modules["app/rescue.js"]];
  const whole = JSON.stringify(await rescue.exportFile(await store.pending())).length;
  await store.setMeta("exportedPhotos", []);  // that file was never written: no photo was carried yet
  modules["app/forms.js"].forms().export.max_bytes = whole - 1000;
}"""


def exported(page, tmp_path, name):
    """Press "Export unsynced"; return (the file's JSON, what the app said)."""
    with page.expect_download() as download:
        page.click("text=Export unsynced")
    path = tmp_path / name
    download.value.save_as(path)
    expect(page.locator("#message")).to_contain_text("written to the file")
    return path, page.inner_text("#message")


def test_a_file_holds_what_the_node_takes_and_the_next_carries_the_photos_left_first(county_and_village, tablet,
                                                                                       tmp_path):
    _hub_db, lan = county_and_village
    page = tablet
    lan.stop()
    capture_visit(page, 1, photo=a_photo())
    capture_visit(page, 2, photo=a_photo())
    page.evaluate(SMALLER_FILES)
    files = [exported(page, tmp_path, f"unsynced-{i}.json") for i in (1, 2)]
    for _path, said in files:
        assert said == ("2 unsynced records and 1 photos written to the file. "
                        "1 photos did not fit in it and stay on this tablet: export again to carry them.")
    carried = [json.loads(path.read_text())["photos"][0]["sha256"] for path, _said in files]
    assert len(set(carried)) == 2  # the second file carried first the photo the first one left
    for path, _said in files:
        result = Village(lan.node.data_dir)("tablet", "import", str(path))
        assert "Photos: 1 in the file, 1 kept now, 0 held here before, 0 refused." in result.output, result.output
    assert files_at(lan.node) == sorted(carried)
    page.evaluate("""async () => {
      const {modules} = await import(document.querySelector("script[type=module]").src);
      modules["app/forms.js"].forms().export.max_bytes = 100;
    }""")
    page.click("text=Export unsynced")  # the records alone do not fit: no file, and the worker is told
    expect(page.locator("#message")).to_have_text(
        "The unsynced records alone are more than one file may hold (0 MB): sync on the village Wi-Fi.")
