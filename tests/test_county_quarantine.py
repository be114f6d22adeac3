"""The held changes page: the reason in words, release through the same checks as the CLI, discard."""
import html

import pytest
from conftest import VILLAGE_AREA, Village, local
from county_helpers import county_client, post_form
from sync_helpers import edit, enrolled_pair, sync

from sync.changelog import writing
from village import create_app
from village.records import core

OTHER_VILLAGE = "52/5201/520102/002"

pytestmark = pytest.mark.usefixtures("hub_engine")  # every test on a SQLite and a PostgreSQL hub


@pytest.fixture
def held(make_node, serve):
    """A village whose push had two changes held at the hub: one outside its area, one clashing code."""
    hub, hub_db, _server, village, db, _link = enrolled_pair(make_node, serve)
    with core.write(hub_db, hub) as w:
        taken = core.save(w, hub, "households", {"code": "X1", "head_name": "县里登记", "area": VILLAGE_AREA})
    with core.write(db, village) as w:
        mine = core.save(w, village, "households", {"code": "X1", "head_name": "村里登记"})
    with writing(db, village.node_id) as writer:  # a tampered node writing past validation
        writer.put("households", "intruder", {"code": "Z9", "head_name": "外人", "area": OTHER_VILLAGE})
    assert sync(village).exit_code == 0
    ids = dict(hub_db.execute("SELECT row_id, id FROM sync_quarantine"))
    app = create_app({"NODE": hub, "TESTING": True})
    return county_client(app, hub_db), hub, hub_db, ids, mine, taken


def test_the_page_gives_each_reason_in_words(held):
    client, *_rest = held
    page = html.unescape(client.get("/county/quarantine").get_data(as_text=True))
    assert "The record belongs to another village's area." in page
    assert "is already used by another record here" in page and "Household code" in page
    assert "外人" in page and "村里登记" in page  # what was sent


def test_a_release_is_checked_again_and_applies_once_fixed(held):
    client, hub, hub_db, ids, mine, taken = held
    answer = post_form(client, "/county/quarantine", f"/county/quarantine/{ids[mine]}/release", {})
    assert answer.status_code == 302
    assert "still refused" in client.get("/county/quarantine").get_data(as_text=True)
    assert core.get(hub_db, "households", mine) is None  # nothing applied
    edit(hub_db, hub, "households", taken, code="X0")  # the clash fixed at the hub
    assert post_form(client, "/county/quarantine", f"/county/quarantine/{ids[mine]}/release", {}).status_code == 302
    assert core.get(hub_db, "households", mine)["head_name"] == "村里登记"
    state, by = hub_db.execute("SELECT state, decided_by FROM sync_quarantine WHERE id = ?", [ids[mine]]).fetchone()
    assert (state, by) == ("released", "county1")
    assert ("county1", "quarantine.release") in local(hub_db).execute("SELECT actor, action FROM audit").fetchall()


def test_a_release_outside_the_senders_area_stays_refused_and_discard_sets_it_aside(held):
    client, hub, hub_db, ids, *_rest = held
    post_form(client, "/county/quarantine", f"/county/quarantine/{ids['intruder']}/release", {})
    assert core.get(hub_db, "households", "intruder") is None
    post_form(client, "/county/quarantine", f"/county/quarantine/{ids['intruder']}/discard", {})
    assert hub_db.execute("SELECT state FROM sync_quarantine WHERE id = ?", [ids["intruder"]]).fetchone()[0] == \
        "discarded"
    assert "外人" not in client.get("/county/quarantine").get_data(as_text=True)
    listed = Village(hub.data_dir)("quarantine", "list", "--json").output  # the CLI sees the same decision
    assert "intruder" not in listed


def test_the_list_exports_as_csv_with_a_bom_or_gb18030(held):
    client, *_rest = held
    utf8 = client.get("/county/quarantine?export=csv").data
    assert utf8.startswith(b"\xef\xbb\xbf") and "村里登记" in utf8.decode("utf-8-sig")
    gb = client.get("/county/quarantine?export=csv&encoding=gb18030").data
    assert "村里登记" in gb.decode("gb18030") and not gb.startswith(b"\xef\xbb\xbf")
