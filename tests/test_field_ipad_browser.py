"""On an iPad the field app captures only when added to the Home Screen, and says so; an Android tablet is unaffected.

Chromium plays each device: its user agent, a touch screen of five points (what an iPad reports, through
the DevTools protocol's touch emulation) and, for the Home Screen app, Safari's `navigator.standalone`.
"""
import pytest
from playwright.sync_api import expect
from test_field_app_browser import capture_visit, enroll, node_server, tablet, unsynced  # noqa: F401

pytestmark = pytest.mark.slow

# iPadOS 13 and later: Safari asks for the desktop site, so it says "Macintosh".
IPAD = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Safari/605.1.15")
ANDROID = ("Mozilla/5.0 (Linux; Android 13; SM-X110) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/126.0.0.0 Safari/537.36")
NOTICE = "On an iPad, capture only in the app added to the Home Screen: Safari tabs lose their data after 7 days."
DEVICES = {"ipad_safari_tab": (IPAD, False), "ipad_home_screen_app": (IPAD, True), "android": (ANDROID, False)}


def open_as(tablet, device):
    user_agent, home_screen = DEVICES[device]
    context, page = tablet(user_agent=user_agent)
    cdp = context.new_cdp_session(page)
    cdp.send("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    if home_screen:
        context.add_init_script("Object.defineProperty(Navigator.prototype, 'standalone', {get: () => true})")
    return context, page


@pytest.mark.parametrize("device", list(DEVICES))
def test_capture_only_in_the_installed_app_on_an_ipad(node_server, tablet, device):
    context, page = open_as(tablet, device)
    enroll(page, node_server, "field1")
    assert page.evaluate("navigator.maxTouchPoints") == 5
    expect(page.locator("#s-storage")).to_contain_text("Storage")  # the storage answer is in
    refused = device == "ipad_safari_tab"
    assert (NOTICE in page.inner_text("#s-storage")) == refused
    page.click("text=New visit")
    if refused:
        expect(page.locator("#message")).to_have_text(NOTICE)
        page.click("text=New household")
        expect(page.locator("#message")).to_have_text(NOTICE)
        page.locator("button.row").first.click()
        page.click("#main .actions button:text-is('Edit')")
        expect(page.locator("#message")).to_have_text(NOTICE)
        assert page.locator("#visit, #record").count() == 0 and unsynced(page) == 0
    else:
        page.click("#visit >> text=Cancel")
        capture_visit(page, 1)
        assert page.locator("#mine li").count() == 1  # saved (and sent: the node is in range)
