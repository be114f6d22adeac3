"""The field app opens from its cache fast: one module to load, and nothing on the way to the first screen waits
for the node (issue #12: opening offline under 1 s with the CPU throttled 4x, measured in bench/field_bench.py).
"""
import re
import socket
import time

import pytest
from playwright.sync_api import expect
from clerk_helpers import PASSWORD
from test_field_app_browser import enroll, node_server, ready, sw_ready, tablet, unlock  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow

SCRIPTS = """() => performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)
  .filter(p => p.endsWith('.js'))"""


def listen_and_never_answer(port):
    """Return a socket listening on `port` that never accepts: the kernel takes connections, nobody answers."""
    hung = socket.socket()
    hung.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    deadline = time.time() + 10
    while True:
        try:
            hung.bind(("127.0.0.1", port))
            break
        except OSError:  # the stopped server's socket may take a moment to go
            if time.time() > deadline:
                raise
            time.sleep(0.2)
    hung.listen(64)
    return hung


def test_the_app_loads_as_one_module(node_server, tablet):
    context, page = tablet()
    enroll(page, node_server, "field1")
    page.reload()
    ready(page)
    assert sorted(page.evaluate(SCRIPTS)) == ["/field/app.js", "/static/field/secure.js"]


def test_the_first_screen_does_not_wait_for_a_node_that_never_answers(node_server, tablet):
    # The tablet is on a Wi-Fi where the node's address takes connections and answers nothing (a node hung, or
    # a router on the way): the app still opens from its cache at once, and the worker can unlock.
    context, page = tablet()
    enroll(page, node_server, "field1")
    assert sw_ready(page)
    page.click("text=Log out")
    page.wait_for_selector("#add-worker")
    node_server.stop()
    hung = listen_and_never_answer(node_server.port)
    try:
        page.reload(timeout=5000)
        expect(page.locator("#unlock")).to_be_visible(timeout=3000)
        unlock(page, "field1")
    finally:
        hung.close()



ME = """async () => {
  const {modules} = await import(document.querySelector("script[type=module]").src);  // the running app
  return modules["app/sync.js"].me();
}"""


def test_asking_who_is_logged_in_starts_no_session(node_server, tablet):
    # The app asks the node who is logged in as it opens (and at each sync) while a worker may be opening the
    # login page on the same tablet: following the redirect to that page would start a session of its own, and
    # whichever came last would leave the worker's form with a CSRF token that no longer matches.
    context, page = tablet()
    enroll(page, node_server, "field1")
    page.click("text=Log out")
    page.wait_for_selector("#add-worker")
    context.clear_cookies()
    assert page.evaluate(ME) is None  # nobody logged in online
    assert context.cookies() == []
