"""The demo county's overview in Chromium: true figures, axe clean, and the README's screenshot (zh_Hans).

The county is built by the function `village demo` runs (all its villages, fewer households each), its
hub on SQLite and on PostgreSQL (`demo_database`); the screenshot is the SQLite one's.
"""
from pathlib import Path

import pytest
from browser_helpers import watch_csp
from conftest import LiveServer
from test_demo_county import demo_database  # noqa: F401  (the hub's store: "" or a PostgreSQL database)

from village import create_app
from village.node import init_node
from village.ops import demo_county

SHOTS = Path(__file__).parent.parent / "docs" / "screenshots"


@pytest.fixture(scope="module")
def demo_hub(tmp_path_factory, demo_database):  # noqa: F811
    """The demo county's hub served over HTTP; yields its address and whether its records are in PostgreSQL."""
    data = tmp_path_factory.mktemp("demo")
    served = init_node(data, "village", "红星村", "52/5201/520102/001", "zh_Hans")
    hub = demo_county.create_hub(data, demo_database)
    server = LiveServer(create_app({"NODE": hub, "TESTING": True}))
    try:
        demo_county.build(served, hub, server.url, lambda message, **params: None, households=12)
        yield server.url, bool(demo_database)
    finally:
        server.stop()


def test_the_demo_county_overview_shows_its_story_and_is_the_readme_screenshot(demo_hub, page):
    from axe_playwright_python.sync_playwright import Axe

    demo_hub, on_postgresql = demo_hub
    page.set_viewport_size({"width": 1366, "height": 768})
    blocked = watch_csp(page)
    user, password = demo_county.DEMO_COUNTY_USER
    page.goto(f"{demo_hub}/login?lang=zh_Hans")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("form.card button[type=submit]")
    page.goto(f"{demo_hub}/county/")
    synced = page.locator("#fig-synced + p").inner_text()
    assert "21" in synced and "24" in synced  # 3 villages silent for days
    alerts = page.locator("section[aria-labelledby=fig-alerts]")
    assert "46% 的村已确认" in alerts.inner_text()  # 11 of the 24 reached (the 3 silent ones never received it)
    results = Axe().run(page)
    assert not results.violations_count, results.generate_report()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    if not on_postgresql:  # one README screenshot, made the same way each run
        page.screenshot(path=str(SHOTS / "county-overview.png"), full_page=True)
    alerts.locator("a[href*='/county/alerts/']").click()
    assert "/county/alerts/" in page.url and page.locator("h1").count() == 1
    assert not blocked, blocked
