"""The conflicts inbox: a conflict between two village nodes, resolved at the county, reaches every node."""
import pytest
from conftest import VILLAGE_AREA, local
from county_helpers import county_client, post_form, two_nodes_in_conflict
from sync_helpers import sync

from village import create_app
from village.records import core

pytestmark = pytest.mark.usefixtures("hub_engine")  # every test on a SQLite and a PostgreSQL hub


@pytest.fixture
def county(make_node, serve):
    """A hub over real HTTP and two nodes of one village (office and clinic) in conflict over a household."""
    hub, hub_db, _server, villages, hh = two_nodes_in_conflict(make_node, serve)
    for key in ("office", "clinic", "office"):
        assert sync(villages[key][0]).exit_code == 0
    app = create_app({"NODE": hub, "TESTING": True})
    return app, county_client(app, hub_db), {"hub": (hub, hub_db), **villages}, hh


def _open(db):
    return {field: cid for cid, field in db.execute("SELECT id, field FROM _conflicts WHERE resolved_at IS NULL")}


def _everywhere(nodes, hh, field):
    return {name: core.get(db, "households", hh)[field] for name, (_node, db) in nodes.items()}


def test_the_inbox_shows_both_values_with_who_wrote_them(county):
    _app, client, nodes, _hh = county
    page = client.get("/county/conflicts").get_data(as_text=True)
    assert "13800000001" in page and "13900000002" in page
    assert "红星村委会" in page and "红星村卫生室" in page  # who wrote each, by the name it enrolled under
    assert "H00000" in page and "张0" in page  # the record, readable: its household's code and head
    assert "Phone" in page and "Number of members" in page  # fields by their label
    assert '"13800000001"' not in page  # not raw JSON


def test_keeping_the_other_value_reaches_every_node(county):
    _app, client, nodes, hh = county
    hub, hub_db = nodes["hub"]
    conflict = _open(hub_db)["phone"]
    answer = post_form(client, "/county/conflicts", f"/county/conflicts/{conflict}", {"keep": "lost"})
    assert answer.status_code == 302
    for name in ("office", "clinic", "office", "clinic"):
        assert sync(nodes[name][0]).exit_code == 0
    assert set(_everywhere(nodes, hh, "phone").values()) == {"13800000001"}
    assert "phone" not in _open(hub_db)
    by, at = hub_db.execute("SELECT resolved_by, resolved_at FROM _conflicts WHERE id = ?", [conflict]).fetchone()
    assert by == "county1" and at
    assert ("county1", "conflict.resolve") in local(hub_db).execute("SELECT actor, action FROM audit").fetchall()


def test_a_third_value_is_validated_like_any_save(county):
    _app, client, nodes, hh = county
    hub, hub_db = nodes["hub"]
    conflict = _open(hub_db)["members"]
    bad = post_form(client, "/county/conflicts", f"/county/conflicts/{conflict}", {"keep": "typed", "value": "many"})
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    assert 'aria-invalid="true"' in page and 'value="many"' in page  # the form again, the problem marked
    assert core.get(hub_db, "households", hh)["members"] == 4 and "members" in _open(hub_db)  # nothing changed
    good = post_form(client, "/county/conflicts", f"/county/conflicts/{conflict}", {"keep": "typed", "value": "5"})
    assert good.status_code == 302
    for name in ("office", "clinic"):
        assert sync(nodes[name][0]).exit_code == 0
    assert set(_everywhere(nodes, hh, "members").values()) == {5}


def test_a_conflict_resolved_twice_changes_nothing_the_second_time(county):
    _app, client, nodes, hh = county
    hub, hub_db = nodes["hub"]
    conflict = _open(hub_db)["phone"]
    assert post_form(client, "/county/conflicts", f"/county/conflicts/{conflict}", {"keep": "lost"}).status_code == 302
    again = post_form(client, "/county/conflicts", f"/county/conflicts/{conflict}", {"keep": "kept"})
    assert again.status_code == 302
    assert core.get(hub_db, "households", hh)["phone"] == "13800000001"


def test_the_inbox_is_filtered_by_area_and_exported_as_shown(county):
    _app, client, _nodes, _hh = county
    assert client.get(f"/county/conflicts?area={VILLAGE_AREA.rsplit('/', 1)[0]}/002").status_code == 200
    other = client.get(f"/county/conflicts?area={VILLAGE_AREA.rsplit('/', 1)[0]}/002").get_data(as_text=True)
    assert "13800000001" not in other
    assert client.get("/county/conflicts?area=11/1101").status_code == 404  # outside the hub's area
    from openpyxl import load_workbook
    import io

    book = load_workbook(io.BytesIO(client.get("/county/conflicts?export=xlsx").data))
    rows = list(book.active.values)
    assert rows[0][:2] == ("Recorded", "Area") and len(rows) == 3
    assert {r[5] for r in rows[1:]} == {"13900000002", "4"}
