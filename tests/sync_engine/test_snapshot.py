"""A first load as a snapshot (`sync.snapshot`): the live records in scope, in pages, then the pull from its cursor.

Run on SQLite and on PostgreSQL (`store`). The copy a receiver keeps is `copy_helpers.lay`, the
field app's way of laying changes over its copy.
"""
import random

import pytest
from copy_helpers import as_stored, lay

from sync.batch import apply_changes
from sync.changelog import writing
from sync.clock import make_version
from sync.scope import in_scope
from sync.epoch import epochs
from sync.server import SyncRefused, serve_pull
from sync.snapshot import page_after, serve_snapshot
from sync.stores import as_tx

from .conftest import AREA

TABLES = ("notes",)
LINK = {"link_id": "tab1", "area": AREA}
STAMP = 0x0190_0000_0000_0000


def rows(store):
    with as_tx(store).snapshot() as tx:
        return [r for r in tx.rows_by_id("notes", [f"n{i}" for i in range(100)]).values() if not r["_deleted"]]


def load(store, link=LINK, limit=1000):
    """Return (copy, cursor, pages) of a whole snapshot, page after page."""
    copy, after, pages, cursor = {}, None, 0, None
    while True:
        envelope, changes = serve_snapshot(store, link, after, limit, TABLES)
        cursor = envelope["cursor"] if cursor is None else cursor  # the first page's
        lay(copy, changes)
        pages += 1
        if not envelope["more"]:
            return copy, cursor, pages
        after = page_after(envelope["after"], TABLES)


def replay(store, link=LINK):
    """Return the copy a pull from 0 leaves (what a first load was before snapshots)."""
    copy, cursor = {}, 0
    while True:
        envelope, changes = serve_pull(store, link, cursor, 1000, TABLES)
        lay(copy, changes)
        cursor = envelope["last"]
        if not envelope["more"]:
            return copy


def test_a_snapshot_holds_the_live_records_in_scope_each_as_it_stands(store):
    with writing(store, "hub") as writer:
        for row_id, area in [("own", AREA), ("below", AREA + "/01"), ("county", "52/5201"), ("province", "52"),
                             ("other", "52/5201/002"), ("elsewhere", "52/5202/001"), ("leaves", AREA),
                             ("deleted", AREA)]:
            writer.put("notes", row_id, {"area": area, "text": row_id})
    with writing(store, "hub") as writer:
        writer.put("notes", "leaves", {"area": "52/5201/002"})
        writer.delete("notes", "deleted")
        edited = writer.put("notes", "own", {"text": "edited"})
    envelope, changes = serve_snapshot(store, LINK, None, 100, TABLES)
    with as_tx(store).snapshot() as tx:
        assert envelope == {"cursor": 11, "more": False, "after": None, "epochs": epochs(tx)}
    assert sorted({c["row_id"] for c in changes}) == ["below", "county", "own", "province"]
    # A record changed since it was made: one put per version still holding fields, as a replay leaves it.
    own = [(c["version"], c["data"]) for c in changes if c["row_id"] == "own"]
    assert own[1] == (edited, {"text": "edited"}) and own[0][1] == {"area": AREA}
    assert all(c["op"] == "put" and c["prev_area"] is None and c["base"] is None for c in changes)
    assert load(store)[0] == replay(store)


def test_pages_go_by_id_and_a_page_asked_again_is_the_same(store):
    with writing(store, "hub") as writer:
        for i in range(7):
            writer.put("notes", f"n{i}", {"area": AREA, "text": str(i)})
    first, page = serve_snapshot(store, LINK, None, 3, TABLES)
    assert (first["more"], first["after"], [c["row_id"] for c in page]) == (True, ["notes", "n2"], ["n0", "n1", "n2"])
    assert serve_snapshot(store, LINK, None, 3, TABLES) == (first, page)  # its answer lost: asked again
    second, page = serve_snapshot(store, LINK, ("notes", "n2"), 3, TABLES)
    assert (second["after"], [c["row_id"] for c in page]) == (["notes", "n5"], ["n3", "n4", "n5"])
    last, page = serve_snapshot(store, LINK, ("notes", "n5"), 3, TABLES)
    assert (last["more"], last["after"], [c["row_id"] for c in page]) == (False, None, ["n6"])
    copy, cursor, pages = load(store, limit=3)
    assert (pages, cursor) == (3, 7) and copy["notes"] == as_stored(rows(store), ["area", "text"])


def test_a_page_holds_whole_records_and_at_least_one(store):
    with writing(store, "hub") as writer:
        writer.put("notes", "n0", {"area": AREA, "text": "a"})
        writer.put("notes", "n1", {"area": AREA, "text": "b"})
    with writing(store, "hub") as writer:
        writer.put("notes", "n0", {"text": "a2"})  # n0 is two puts now
    envelope, page = serve_snapshot(store, LINK, None, 1, TABLES)
    assert [c["row_id"] for c in page] == ["n0", "n0"] and envelope["after"] == ["notes", "n0"]
    envelope, page = serve_snapshot(store, LINK, None, 2, TABLES)
    assert [c["row_id"] for c in page] == ["n0", "n0"] and envelope["more"]
    envelope, page = serve_snapshot(store, LINK, None, 3, TABLES)
    assert sorted(c["row_id"] for c in page) == ["n0", "n0", "n1"]


def test_a_record_changed_between_two_pages_ends_with_its_newer_value_once(store):
    with writing(store, "hub") as writer:
        for i in range(6):
            writer.put("notes", f"n{i}", {"area": AREA, "text": f"old {i}"})
    first, page1 = serve_snapshot(store, LINK, None, 3, TABLES)  # n0..n2, at cursor 6
    with writing(store, "hub") as writer:  # meanwhile, at the node: one record already sent, one not yet
        writer.put("notes", "n1", {"text": "newer 1"})
        writer.put("notes", "n4", {"text": "newer 4"})
    second, page2 = serve_snapshot(store, LINK, page_after(first["after"], TABLES), 3, TABLES)
    assert {c["row_id"]: c["data"] for c in page2}["n4"] == {"text": "newer 4"}  # read as it stands now
    assert second["cursor"] == 8 and first["cursor"] == 6
    # The pull goes on from the first page's cursor: both changes come, once each, and nothing older.
    envelope, pulled = serve_pull(store, LINK, first["cursor"], 1000, TABLES)
    assert [(c["row_id"], c["data"]) for c in pulled] == [("n1", {"text": "newer 1"}), ("n4", {"text": "newer 4"})]
    copy = lay(lay({}, page1), page2)
    while second["more"]:  # n4 is two puts now: n5 comes in a page of its own
        second, page = serve_snapshot(store, LINK, page_after(second["after"], TABLES), 3, TABLES)
        lay(copy, page)
    lay(copy, pulled)
    assert copy["notes"] == as_stored(rows(store), ["area", "text"])
    assert [copy["notes"][i]["text"] for i in ("n1", "n4")] == ["newer 1", "newer 4"]


def test_random_histories_load_as_the_records_stand(store):
    # Edits from several nodes, some older than what they meet (they lose field by field), moves out of scope
    # and back, deletes: the snapshot's copy is the node's records in scope, field for field and version for version.
    rng = random.Random(11)
    areas = [AREA, AREA, AREA + "/01", "52/5201", "52/5201/002"]
    made, stamp = set(), 0
    for _batch in range(8):
        with writing(store, "hub") as writer:
            for _ in range(12):
                row_id = f"n{rng.randrange(15)}"
                stamp += rng.randrange(1, 5)
                fields = rng.choice([{"text": f"t{stamp}"}, {"area": rng.choice(areas)},
                                     {"area": rng.choice(areas), "text": f"t{stamp}"}])
                if row_id not in made:
                    fields = {"area": rng.choice(areas), "text": f"t{stamp}"}
                made.add(row_id)
                stored = writer.get("notes", row_id)
                area = fields.get("area") or stored["area"]
                # Now and then a change stamped long ago, arriving late.
                hlc = STAMP + (stamp if rng.random() > 0.2 else rng.randrange(max(stamp, 1)))
                change = {"tbl": "notes", "row_id": row_id, "version": make_version(hlc, rng.choice("abc")),
                          "op": "put", "data": fields, "area": area, "base": None,
                          "prev_area": stored["area"] if stored and stored["area"] != area else None}
                apply_changes(writer, [change], rng.choice("abc"))
    with writing(store, "hub") as writer:
        writer.delete("notes", "n3")
    copy = load(store, limit=4)[0]
    standing = [row for row in rows(store) if in_scope(row["area"], AREA)]
    assert copy["notes"] == as_stored(standing, ["area", "text"]) and len(standing) > 3


@pytest.mark.parametrize("after", [["users", "x"], ["notes; DROP TABLE notes", "x"], ["notes"], ["notes", 5],
                                   ["notes", ""], ["notes", "x" * 65], "notes", {"notes": "x"}, 7])
def test_a_page_cursor_naming_anything_but_a_record_of_the_tables_is_refused(store, after):
    with pytest.raises(SyncRefused) as refused:
        page_after(after, TABLES)
    assert (refused.value.status, refused.value.code) == (400, "bad_request")
