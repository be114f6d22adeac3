"""A field changed at the node and on the tablet out of range: after the sync the tablet shows both values."""
import pytest
from playwright.sync_api import expect
from test_field_app_browser import enroll, node_server, tablet, unsynced  # noqa: F401 (fixtures)

from village.records import core

pytestmark = pytest.mark.slow


def edit_household_on_the_tablet(page, **values):
    """Open the first household of the list, change `values` in its form and save; return its code."""
    first = page.locator("button.row").first
    code = first.inner_text().split()[0]
    first.click()
    page.click("#main .actions button:text-is('Edit')")
    for name, value in values.items():
        page.fill(f"#f-{name}", value)
    page.click("#record button[type=submit]")
    page.wait_for_selector("#mine", state="attached")
    return code


def test_the_same_household_field_changed_at_the_node_and_on_the_tablet_shows_both_values(node_server, tablet, db):
    node = node_server.node
    context, page = tablet()
    enroll(page, node_server, "field1")
    node_server.stop()  # out of range
    code = edit_household_on_the_tablet(page, head_name="王平板")
    assert unsynced(page) == 1
    [household] = core.rows(db, "households", "code = ?", [code])
    phone = household["phone"]
    with core.write(db, node) as writer:  # meanwhile the clerk corrects the same name, and the phone
        core.save(writer, node, "households", {"head_name": "王办公室", "phone": "13912345678"},
                  row_id=household["id"], actor="clerk1")
    node_server.start()
    page.click("#sync-now")
    expect(page.locator("#s-unsynced")).to_have_text("0")
    expect(page.locator("#s-conflicts")).to_have_text("1")
    item = page.locator("#conflicts li")
    expect(item).to_have_count(1)
    words = item.inner_text()
    # The clerk's change came later and was kept; the tablet's is the other value, said to be this tablet's.
    assert f"{code} " in words and "Head of household" in words, words
    assert "Value now: «王办公室» · 红星村" in words, words
    assert "Other value: «王平板» · Tablet 1 (this tablet)" in words, words
    # The household shows the value kept at the node, not the one that lost.
    expect(page.locator("button.row").first).to_have_text(f"{code} 王办公室")
    saved = core.get(db, "households", household["id"])
    # The tablet sent only the name it changed: the phone the clerk corrected meanwhile is not put back.
    assert (saved["head_name"], saved["phone"]) == ("王办公室", "13912345678") and phone != "13912345678"
    assert [r[0] for r in db.execute("SELECT field FROM _conflicts")] == ["head_name"]
    # The worker keeps their value after all, by typing it again: an edit over the value kept, no new conflict.
    edit_household_on_the_tablet(page, head_name="王平板")
    page.click("#sync-now")
    expect(page.locator("#conflicts")).to_have_count(0)
    expect(page.locator("#s-conflicts")).to_have_text("0")
    assert core.get(db, "households", household["id"])["head_name"] == "王平板"
    assert db.execute("SELECT COUNT(*) FROM _conflicts").fetchone()[0] == 1
