"""Push and pull between sync-only databases through `sync.server`, and the quarantine, without HTTP."""
import pytest

from sync import codes
from sync.auth import issue_nonce, nonce_key
from sync.batch import decode, encode
from sync.changelog import writing
from sync.clock import wall_ms
from sync.jobs import acknowledge, apply_pulled, pending, pending_count
from sync.meta import PUSH_CURSOR, SCOPE, get_meta, set_meta
from sync.quarantine import HELD, held, refusals
from sync.links import admitted, get_link
from sync.server import SyncRefused, add_node, discard_held, enroll, receive_push, serve_pull
from sync.store import transaction

from .conftest import AREA, HUB_AREA


def enrolled(hub, name):
    """Register and enroll a node for AREA at `hub`; return its link."""
    link_id, code = add_node(hub, name, AREA, HUB_AREA)
    enroll(hub, code, f"node-{name}", "c" * 20)
    return get_link(hub, link_id)


def write_notes(db, node_id, count, area=AREA):
    with writing(db, node_id) as writer:
        for i in range(count):
            writer.put("notes", f"{node_id}-{i}", {"area": area, "text": f"note {i}"})


def push(hub, node, node_id, link):
    """Push every pending change of `node` to `hub` through the batch format; return the acknowledgement."""
    changes = pending(node, 0, 1000)
    envelope, decoded = decode(encode({"start": 0, "end": changes[-1]["seq"]}, changes))
    ack = receive_push(hub, "hub", link, envelope, decoded)
    acknowledge(node, node_id, ack, None, None, wall_ms)
    return ack


def test_a_push_then_a_pull_carries_records_between_two_nodes(make_store):
    hub, first, second = make_store("hub"), make_store("first"), make_store("second")
    link1, link2 = enrolled(hub, "first"), enrolled(hub, "second")
    write_notes(first, "n1", 3)
    ack = push(hub, first, "n1", link1)
    assert (ack["applied"], ack["refused"]) == (3, [])
    assert pending_count(first) == 0 and int(get_meta(first, PUSH_CURSOR)) == ack["cursor"]
    envelope, changes = serve_pull(hub, link2, 0, 100)
    with transaction(second):
        set_meta(second, SCOPE, AREA)
    with writing(second, "n2") as writer:
        assert apply_pulled(second, writer, changes) == 3
    rows = "SELECT id, text, _version FROM notes ORDER BY id"
    assert second.execute(rows).fetchall() == hub.execute(rows).fetchall() == first.execute(rows).fetchall()
    assert serve_pull(hub, link1, 0, 100)[1] == []  # nothing is echoed back to its sender


def test_a_change_outside_the_senders_area_is_held_and_the_rest_applies(make_store):
    hub, node = make_store("hub"), make_store("node")
    link = enrolled(hub, "node")
    write_notes(node, "n1", 2)
    write_notes(node, "x1", 1, area="52/5201/002")  # not this node's area
    ack = push(hub, node, "n1", link)
    assert ack["applied"] == 2 and [r["code"] for r in ack["refused"]] == ["outside_area"]
    assert [r["row_id"] for r in refusals(node)] == ["x1-0"]  # the sender remembers
    (entry,) = held(hub)
    assert entry["state"] == HELD and hub.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == 2
    discard_held(hub, entry["id"], "staff")
    assert held(hub) == [] and held(hub, state="discarded")[0]["id"] == entry["id"]


def test_a_batch_after_a_gap_is_refused_whole(make_store):
    hub, node = make_store("hub"), make_store("node")
    link = enrolled(hub, "node")
    write_notes(node, "n1", 4)
    changes = pending(node, 2, 100)
    with pytest.raises(SyncRefused) as refused:
        receive_push(hub, "hub", link, {"start": 2, "end": changes[-1]["seq"]}, changes)
    assert (refused.value.code, refused.value.extra["cursor"]) == (codes.GAP, 0)
    assert hub.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == 0


def test_a_nonce_is_consumed_with_the_push_and_only_once(make_store):
    hub, node = make_store("hub"), make_store("node")
    link = enrolled(hub, "node")
    write_notes(node, "n1", 1)
    changes = pending(node, 0, 10)
    with transaction(hub):
        nonce = issue_nonce(nonce_key(hub))
    with admitted(hub, link, nonce):
        receive_push(hub, "hub", link, {"start": 0, "end": changes[-1]["seq"]}, changes)
    with pytest.raises(SyncRefused) as replay:
        with admitted(hub, link, nonce):
            raise AssertionError("a replayed request ran")
    assert replay.value.code == codes.STALE_NONCE
