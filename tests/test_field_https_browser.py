"""The tablet's real path in Chromium: the node by a LAN-like name over HTTPS, its CA trusted via NSS.

Not localhost (a secure context whatever the certificate): Chromium maps village.lan to 127.0.0.1
(--host-resolver-rules) and trusts the node's CA only because it is in the NSS database of the
profile's $HOME (certutil, as a clerk installs it on a tablet once). A page there uses the JS
protocol module to enroll as a tablet, push visits, and push the same batch again.
"""
import re
import subprocess

import pytest
from clerk_helpers import PASSWORD
from conftest import CHROMIUM, CHROMIUM_ARGS, free_port
from sync_helpers import add_households
from tablet_helpers import add_tablet

from village import create_app
from village.ops.https import HttpsServer
from village.tls import init_tls, tls_dir
from village.users import add_user

LAN_NAME = "village.lan"
pytestmark = pytest.mark.slow  # real Chromium with its own profile


@pytest.fixture
def lan_village(node, db, serve, monkeypatch):
    """A village node answering to village.lan: HTTPS on one port, HTTP (the kiosk's) on another."""
    monkeypatch.setenv("VILLAGE_TLS_NAMES", LAN_NAME)
    monkeypatch.setenv("VILLAGE_HTTPS_PORT", str(free_port()))
    init_tls(node)
    add_user(db, "field1", "fieldworker", PASSWORD)
    app = create_app({"NODE": node, "TESTING": True})
    https = HttpsServer(app, node, "127.0.0.1", node.setting("https_port"))
    http = serve(app)
    yield node, db, f"https://{LAN_NAME}:{https.port}", f"http://{LAN_NAME}:{http.port}"
    https.stop()


@pytest.fixture
def tablet_browser(browser, tmp_path, lan_village):
    """Chromium with a persistent profile whose NSS database trusts the node's CA; return its context.

    Launched by the session's Playwright (pytest-playwright's `browser`): a second one cannot start in one process.
    """
    home = tmp_path / "home"
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run(["certutil", "-N", "-d", f"sql:{nssdb}", "--empty-password"], check=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{nssdb}", "-n", "village CA", "-t", "C,,",
                    "-i", str(tls_dir(lan_village[0]) / "ca.pem")], check=True)
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, env={"HOME": str(home)},
        args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {LAN_NAME} 127.0.0.1"])
    yield context
    context.close()


def log_in(page, base):
    page.goto(f"{base}/login?lang=en")
    page.fill("#username", "field1")
    page.fill("#password", PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(r".*/field/$"))


PUSH_TWICE = """async ([code, householdId, area]) => {
  const p = await import("/static/field/protocol/index.js");
  const {sealForNode} = await import("/static/field/app/crypt.js");
  const creds = await p.enroll("", code);
  const clock = new p.Clock();
  const changes = [];
  for (const i of [0, 1, 2]) {  // outbox entries as the field app makes them: each sealed to the node
    const id = crypto.randomUUID(), row_id = `${creds.tablet_id}-v${i}`;
    const version = p.makeVersion(clock.now(), creds.tablet_id);
    const values = {household_id: householdId, kind: "elderly_care", visited_on: "2025-03-02", notes: `visit ${i}`};
    const sealed = await sealForNode(creds.hub_sealing_key, id,
                                     {id, table: "visits", record: row_id, values, worker: "field1", saved_at: 0, version});
    changes.push({tbl: "sealed", op: "sealed", row_id, version, area, prev_area: null, base: null, data: {id, ...sealed}});
  }
  const client = new p.NodeClient("", creds);
  const bytes = await p.encodeBatch({start: 0, end: 3}, changes);
  const first = await client.pushBytes(bytes);
  const again = await client.pushBytes(bytes);  // the answer was lost: the same batch, sent again
  const pulled = await client.pull(0, 1000);
  const loaded = await client.snapshot(null, 1000);  // a first load: the village as it stands, and its cursor
  return {secure: window.isSecureContext, tablet: creds.tablet_id, first, again,
          pulledHouseholds: pulled.changes.filter((c) => c.tbl === "households").length,
          snapshot: {households: loaded.changes.filter((c) => c.tbl === "households").length,
                     cursor: loaded.envelope.cursor, more: loaded.envelope.more},
          nodeTime: client.nodeTime};
}"""


def test_tablet_enrolls_and_pushes_over_https_by_lan_name_once_only(lan_village, tablet_browser):
    node, db, https_base, _http = lan_village
    households = add_households(db, node, 2)
    code = add_tablet(node)["code"]
    page = tablet_browser.new_page()
    log_in(page, https_base)
    assert page.evaluate("window.isSecureContext") is True
    assert page.locator("#insecure-banner").is_hidden()
    result = page.evaluate(PUSH_TWICE, [code, households[0], node.area])
    assert result["secure"] is True
    assert (result["first"]["applied"], result["first"]["cursor"], result["first"]["refused"]) == (3, 3, [])
    assert (result["again"]["applied"], result["again"]["cursor"]) == (0, 3)
    assert result["pulledHouseholds"] == 2 and result["nodeTime"] > 0
    assert result["snapshot"] == {"households": 2, "cursor": db.execute("SELECT MAX(seq) FROM _changes").fetchone()[0],
                                  "more": False}
    count = db.execute("SELECT COUNT(*) FROM visits WHERE id LIKE ?", [result["tablet"] + "%"]).fetchone()[0]
    assert count == 3
    visitor = db.execute("SELECT visitor FROM visits WHERE id = ?", [result["tablet"] + "-v0"]).fetchone()[0]
    assert visitor == "field1"  # the worker sealed in the entry


def test_plain_http_by_lan_name_shows_the_not_secure_banner(lan_village, tablet_browser):
    _node, _db, _https, http_base = lan_village
    page = tablet_browser.new_page()
    log_in(page, http_base)
    assert page.evaluate("window.isSecureContext") is False
    banner = page.locator("#insecure-banner")
    assert banner.is_visible() and "not set up for offline use" in banner.inner_text()
    color = page.evaluate("getComputedStyle(document.getElementById('insecure-banner')).backgroundColor")
    assert color == "rgb(176, 0, 32)"


def test_without_the_ca_in_nss_chromium_refuses_the_node(lan_village, browser, tmp_path):
    # The control: the same profile setup minus certutil, and the page does not load.
    from playwright.sync_api import Error

    home = tmp_path / "bare-home"
    home.mkdir()
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "bare-profile"), executable_path=CHROMIUM, env={"HOME": str(home)},
        args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {LAN_NAME} 127.0.0.1"])
    try:
        with pytest.raises(Error, match="ERR_CERT"):
            context.new_page().goto(f"{lan_village[2]}/sync/ping")
    finally:
        context.close()
