"""The idle lock and the maximum offline age of the field app, with time moved on by Playwright's clock.

The node's limits are its settings' defaults (field_idle_minutes 5, field_offline_days 14), given to the
tablet at the online login. Unsynced work outlives both: it stays on the tablet and still reaches the node.
"""
import time

import pytest
from clerk_helpers import PASSWORD
from playwright.sync_api import expect
from test_field_app_browser import (capture_visit, enroll, node_server, online_login, tablet,  # noqa: F401
                                    unlock, unsynced)

from village.records import core

pytestmark = pytest.mark.slow
DAY_MS = 86_400_000


def visits_of(db, user):
    return list(core.rows(db, "visits", "visitor = ?", [user]))


def test_after_the_idle_time_the_app_locks_and_asks_for_the_password_with_unsynced_work_kept(node_server, tablet,
                                                                                                db):
    context, page = tablet()
    page.clock.install()
    enroll(page, node_server, "field1")
    node_server.stop()
    capture_visit(page, 1)
    assert unsynced(page) == 1
    page.clock.fast_forward("04:00")
    page.click("text=New visit")  # a touch within the idle time starts it again
    page.clock.fast_forward("04:00")
    page.click("#visit >> text=Cancel")
    page.wait_for_timeout(300)
    assert page.locator("#mine").count() == 1 and page.locator("#unlock").count() == 0
    page.clock.fast_forward("05:01")  # five minutes without a touch
    page.wait_for_selector("#unlock")
    expect(page.locator("#message")).to_have_text("Locked after a time without activity.")
    assert page.locator("#mine").count() == 0 and unsynced(page) == 1
    unlock(page, "field1")  # the password again
    assert page.locator("#mine li").count() == 1 and "Unsynced" in page.inner_text("#mine li")
    node_server.start()
    page.click("#sync-now")
    expect(page.locator("#s-unsynced")).to_have_text("0")
    assert len(visits_of(db, "field1")) == 1


def test_a_tablet_that_slept_past_the_idle_time_is_locked_when_woken(node_server, tablet):
    # Asleep, a tablet runs no timers: the wall clock moves on (set_system_time fires none), its idle timer not.
    context, page = tablet()
    page.clock.install()
    enroll(page, node_server, "field1")
    page.clock.set_system_time(time.time() + 6 * 60)
    page.wait_for_timeout(300)
    assert page.locator("#mine").count() == 1  # no timer noticed
    page.click("#sync-now")  # the first touch after waking
    page.wait_for_selector("#unlock")
    expect(page.locator("#message")).to_have_text("Locked after a time without activity.")
    unlock(page, "field1")
    page.clock.set_system_time(time.time() + 12 * 60)
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # the screen comes on again
    page.wait_for_selector("#unlock")
    assert page.locator("#mine").count() == 0


def test_past_the_maximum_offline_age_a_worker_must_come_back_in_range_and_their_work_still_goes(node_server,
                                                                                                  tablet, db):
    context, page = tablet()
    page.clock.install()
    enroll(page, node_server, "field1")
    node_server.stop()
    capture_visit(page, 1)
    page.click("text=Log out")
    page.wait_for_selector("#add-worker")
    page.clock.fast_forward(DAY_MS)
    unlock(page, "field1")  # a day out of range: still within the 14 days
    page.click("text=Log out")
    page.wait_for_selector("#add-worker")
    page.clock.fast_forward(14 * DAY_MS)  # 15 days since the online login
    page.select_option("#u-worker", "field1")
    page.fill("#u-password", "not even checked")
    page.click("#unlock button[type=submit]")
    expect(page.locator("#message")).to_have_text(
        "Last online login was more than 14 days ago: log in online on the village Wi-Fi.")
    page.fill("#u-password", PASSWORD)  # the right password changes nothing
    page.click("#unlock button[type=submit]")
    page.wait_for_timeout(500)
    assert page.locator("#mine").count() == 0 and "more than 14 days" in page.inner_text("#message")
    assert unsynced(page) == 1  # the visit is still on the tablet
    node_server.start()  # back in range: the tablet's own credentials send it, no worker unlocked
    page.click("#sync-now")
    expect(page.locator("#s-unsynced")).to_have_text("0")
    assert len(visits_of(db, "field1")) == 1
    online_login(page, node_server.url, "field1")  # the online login starts the offline age again
    page.wait_for_timeout(1000)  # the app hears of it from the node (/field/api/me)
    unlock(page, "field1")
    assert page.locator("#mine li").count() == 1
