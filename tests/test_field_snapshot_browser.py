"""A fresh tablet's first load in Chromium: the village as a snapshot in pages, resumed after a cut, then pulled on
from the snapshot's cursor; a household changed at the node between two pages shows once, with its newer value; a
household that leaves the village is evicted; a village too large for a tablet is said so.

The node's app is watched on its way in (`Watched`): each /sync/snapshot and /sync/pull request is noted, and a
hook may run before one is served (a change at the node; a cut, answered 502 as a broken link's proxy would).
"""
import io
import json
import threading

import pytest
from playwright.sync_api import expect
from clerk_helpers import PASSWORD
from conftest import free_port
from field_helpers import Restartable
from sync_helpers import add_households, edit
from tablet_helpers import add_tablet
from test_field_app_browser import online_login, tablet  # noqa: F401 (fixtures)

from sync.changelog import last_seq, writing
from village import create_app
from village.records import core
from village.users import add_user

pytestmark = pytest.mark.slow
WATCHED = ("/sync/snapshot", "/sync/pull")
COPY = """async () => {
  const {modules} = await import(document.querySelector("script[type=module]").src);  // the running app
  const copy = modules["app/copy.js"];
  return {cursor: await copy.pulledUpTo(), households: ((await copy.held()).households || []).length,
          loading: await copy.loading()};
}"""


class Watched:
    """A WSGI app in front of the node's: notes the JSON body of each watched request, runs `before[(path, n)]`
    before the n-th request to `path` (from 0) is served; a hook that returns "cut" answers 502 instead."""

    def __init__(self, app):
        self.app, self.asked, self.before = app, [], {}

    def bodies(self, path):
        return [body for asked, body in self.asked if asked == path]

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO")
        if path in WATCHED:
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            hook = self.before.pop((path, len(self.bodies(path))), None)
            self.asked.append((path, json.loads(body)))
            if hook and hook() == "cut":
                start_response("502 Bad Gateway", [("Content-Length", "0")])
                return [b""]
        return self.app(environ, start_response)


@pytest.fixture
def watched_village(node, db):
    """Return a function that gives the village `count` households (one member each) and a field worker, and serves
    its app watched (a Restartable whose `app` is the Watched)."""
    servers = []

    def make(count):
        add_households(db, node, count)
        add_user(db, "field1", "fieldworker", PASSWORD)
        servers.append(Restartable(Watched(create_app({"NODE": node})), free_port()).start())
        servers[-1].node = node
        return servers[-1]

    yield make
    for server in servers:
        server.stop()


def enroll_fresh(page, server):
    """Log field1 in on a tablet never used, enroll it and set up the offline unlock; the first sync then starts."""
    online_login(page, server.url, "field1")
    page.fill("#e-code", add_tablet(server.node)["code"])
    page.click("#enroll button[type=submit]")
    page.fill("#c-password", PASSWORD)
    page.click("#confirm button[type=submit]")
    page.wait_for_selector("#mine", state="attached")


def test_a_fresh_tablet_loads_in_pages_resumes_after_a_cut_and_pulls_on_from_the_snapshots_cursor(watched_village,
                                                                                                   tablet, db):
    server = watched_village(1100)
    node, watched = server.node, server.app
    ids = sorted(r["id"] for r in core.rows(db, "households"))
    early, late, leaving = ids[0], ids[-1], ids[1]  # the first page holds the first households by id
    cursor, resumed = [], threading.Event()

    def between_pages():  # at the node while the tablet is between its first and second page
        edit(db, node, "households", early, head_name="改在第一页后")
        edit(db, node, "households", late, head_name="改在第二页前")

    watched.before[("/sync/snapshot", 0)] = lambda: cursor.append(last_seq(db))  # what the first page is read at
    watched.before[("/sync/snapshot", 1)] = between_pages
    watched.before[("/sync/snapshot", 2)] = lambda: "cut"
    watched.before[("/sync/snapshot", 3)] = lambda: resumed.wait(30)  # held until the half load is looked at
    try:
        _context, page = tablet()
        enroll_fresh(page, server)
        for _ in range(100):  # the first sync: two pages, then the cut
            if len(watched.bodies("/sync/snapshot")) >= 3:
                break
            page.wait_for_timeout(100)
        half = page.evaluate(COPY)
        # Two pages kept, the third cut off: a half load, never taken for the copy.
        assert half == {"cursor": 0, "households": 0, "loading": {"after": watched.bodies("/sync/snapshot")[2]["after"]}}
        assert half["loading"]["after"][0] in ("households", "persons") and page.locator("button.row").count() == 0
    finally:
        resumed.set()
    page.click("#sync-now")
    expect(page.locator("button.row")).to_have_count(1100, timeout=20000)
    snapshots, pulls = watched.bodies("/sync/snapshot"), watched.bodies("/sync/pull")
    assert snapshots[0]["after"] is None and snapshots[3]["after"] == snapshots[2]["after"]  # on from the cut
    assert [s["after"] is None for s in snapshots].count(True) == 1  # never from the start again
    # Then the pull, from the first page's cursor: the changes made between pages come, each shown once.
    assert pulls and pulls[0]["cursor"] == cursor[0] > 0 and all(p["cursor"] > 0 for p in pulls)
    for name in ("改在第一页后", "改在第二页前"):
        expect(page.locator("button.row", has_text=name)).to_have_count(1)
    # A household that leaves the village leaves the tablet at the next sync.
    gone = core.get(db, "households", leaving)
    with writing(db, node.node_id) as writer:
        writer.put("households", leaving, {"area": node.area.rsplit("/", 1)[0] + "/999"}, existing=gone)
    page.click("#sync-now")
    expect(page.locator("button.row")).to_have_count(1099)
    expect(page.locator("button.row", has_text=gone["code"])).to_have_count(0)
    assert page.evaluate(COPY)["households"] == 1099


def test_a_village_too_large_for_a_tablet_loads_and_says_so(watched_village, tablet):
    server = watched_village(5001)
    _context, page = tablet()
    enroll_fresh(page, server)
    expect(page.locator("#message")).to_contain_text("The village holds 5001 households", timeout=60000)
    assert page.locator("button.row").count() == 5001
    assert len(server.app.bodies("/sync/snapshot")) > 5  # in pages
    assert all(p["cursor"] > 0 for p in server.app.bodies("/sync/pull"))


def test_a_node_restored_from_a_backup_is_loaded_again_and_what_it_lost_leaves_the_tablet(watched_village, tablet,
                                                                                          node, db):
    from sync.epoch import bump
    from sync.store import transaction

    server = watched_village(12)
    _context, page = tablet()
    enroll_fresh(page, server)
    expect(page.locator("button.row")).to_have_count(12)
    backup = last_seq(db)
    [lost] = add_households(db, node, 1, prefix="L")  # made after the backup the node is restored from
    page.click("#sync-now")
    expect(page.locator("button.row")).to_have_count(13)
    # What `village restore` leaves (village/ops/restore.py): the database as at the backup, and a new epoch.
    with transaction(db):
        db.execute("DELETE FROM persons WHERE household_id = ?", [lost])
        db.execute("DELETE FROM households WHERE id = ?", [lost])
        db.execute("DELETE FROM _changes WHERE seq > ?", [backup])
        bump(db, since=backup)
    asked = len(server.app.bodies("/sync/snapshot"))
    page.click("#sync-now")
    expect(page.locator("button.row")).to_have_count(12)
    assert server.app.bodies("/sync/snapshot")[asked]["after"] is None  # loaded again, from the start
    assert page.evaluate(COPY)["loading"] is None
