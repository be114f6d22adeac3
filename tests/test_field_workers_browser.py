"""A worker disabled at the node loses access on the tablet at its next contact, once their work is pushed."""
import pytest
from playwright.sync_api import expect
from test_field_app_browser import (capture_visit, node_server, tablet, two_workers, unlock,  # noqa: F401 (fixtures)
                                    unsynced)

from village.users import set_disabled

pytestmark = pytest.mark.slow

STORED = """() => new Promise(r => indexedDB.open('village-field').onsuccess = e => {
  const tx = e.target.result.transaction(['workers', 'records', 'snapshots', 'outbox']);
  const out = {};
  for (const name of tx.objectStoreNames) tx.objectStore(name).getAll().onsuccess = g =>
    out[name] = g.target.result.map(x => x.username || x.owner);
  tx.oncomplete = () => r(out);
})"""


def test_a_disabled_worker_is_forgotten_after_their_visit_is_pushed(node_server, tablet, db):
    context, page = tablet()
    two_workers(page, node_server)
    node_server.stop()
    unlock(page, "field1")
    capture_visit(page, 1)  # out of range: it waits in the outbox
    assert unsynced(page) == 1
    set_disabled(db, "field1", True)  # meanwhile, at the node
    node_server.start()
    page.click("#sync-now")
    page.wait_for_selector("#add-worker")  # field1 is locked out at this contact
    expect(page.locator("#message")).to_contain_text("field1: no longer an active field worker")
    assert page.locator("#u-worker option").all_inner_texts() == ["field2"]
    stored = page.evaluate(STORED)
    assert stored["workers"] == ["field2"] and "field1" not in stored["records"] + stored["snapshots"]
    assert stored["outbox"] == [] and unsynced(page) == 0
    # The visit reached the node first: held there (its worker is disabled) for the clerk, not lost.
    held = db.execute("SELECT code FROM sync_quarantine WHERE tbl = 'sealed'").fetchall()
    assert [r[0] for r in held] == ["not_a_worker"]
    unlock(page, "field2")  # the other worker is untouched
