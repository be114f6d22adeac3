"""The store contract: what the engine needs of a database, run on SQLite and on PostgreSQL alike.

Each test takes `store` (a fresh hub store of each engine in turn) and drives it through the
engine's own functions where they run on both, else through the store's interface.
"""
import pytest

from sync import codes
from sync.auth import NONCE_TTL_MS, issue_nonce, nonce_issued, nonce_key, oldest_kept
from sync.batch import apply_changes
from sync.changelog import writing
from sync.clock import make_version, wall_ms
from sync.epoch import epochs
from sync.links import admit, get_link
from sync.quarantine import DISCARDED, HELD, decide, held
from sync.server import SyncRefused, add_node, receive_push, serve_pull
from sync.store import transaction
from sync.stores import as_tx

from .conftest import AREA, HUB_AREA

STAMP = 0x0190_0000_0000_0000  # a clock stamp in 2024: ahead of no hub's clock


def note(row_id, node, n, area=AREA, text="x", base=None):
    """Return a change made at `node` (the n-th of its stamps) setting a note's area and text."""
    return {"tbl": "notes", "row_id": row_id, "version": make_version(STAMP + n, node), "op": "put",
            "data": {"area": area, "text": text}, "area": area, "prev_area": None, "base": base}


def log(store, after=0):
    with store.snapshot() as tx:
        return tx.changes_after(after, 10_000)


def test_a_write_appends_its_changes_numbered_in_order(store):
    with writing(store, "hub") as writer:
        versions = [writer.put("notes", f"r{i}", {"area": AREA, "text": f"note {i}"}) for i in range(3)]
    with writing(store, "hub") as writer:
        versions.append(writer.put("notes", "r0", {"text": "edited"}))
    changes = log(store)
    assert [c["seq"] for c in changes] == [1, 2, 3, 4]
    assert [c["version"] for c in changes] == versions
    assert changes[3]["data"] == {"text": "edited"} and changes[3]["area"] == AREA
    assert changes[3]["base"] == {"text": versions[0]}  # the field versions the writer had seen
    with store.snapshot() as tx:
        assert tx.get_row("notes", "r0")["text"] == "edited" and tx.last_seq() == 4


def test_a_failed_transaction_leaves_no_row_no_change_and_no_hole_in_the_sequence(store):
    with pytest.raises(RuntimeError):
        with writing(store, "hub") as writer:
            writer.put("notes", "r1", {"area": AREA, "text": "lost"})
            raise RuntimeError("power cut")
    with writing(store, "hub") as writer:
        writer.put("notes", "r2", {"area": AREA, "text": "kept"})
    assert [(c["seq"], c["row_id"]) for c in log(store)] == [(1, "r2")]


def hub_epochs(store):
    """Return the epochs a pull of `store` carries (sync.epoch)."""
    with as_tx(store).snapshot() as tx:
        return epochs(tx)


@pytest.mark.parametrize("path, expected", [
    # Moved in: its earlier history comes first. Moved out: the node is told to evict it.
    ("52/5201/001", ["own put", "county put", "province put", "moved-in put", "moved-in put"]),
    ("52/5201/002", ["other put", "county put", "province put", "moved-in put", "moved-in evict"]),
    ("52/5202", ["province put", "elsewhere put"]),
])
def test_a_pull_gives_what_is_in_the_nodes_scope_after_its_cursor(store, path, expected):
    with writing(store, "hub") as writer:
        for row_id, area in [("own", "52/5201/001"), ("other", "52/5201/002"), ("county", "52/5201"),
                             ("province", "52"), ("elsewhere", "52/5202/001")]:
            writer.put("notes", row_id, {"area": area, "text": row_id})
        writer.put("notes", "moved-in", {"area": "52/5201/002", "text": "m"})
        writer.put("notes", "moved-in", {"area": "52/5201/001"})  # its prev_area stays in both scopes
    link = {"link_id": "n1", "area": path}
    envelope, changes = serve_pull(store, link, 0, 100)
    assert [f"{c['row_id']} {c['op']}" for c in changes] == expected
    assert envelope == {"last": 7, "more": False, "epochs": hub_epochs(store)}
    assert serve_pull(store, link, envelope["last"], 100) == (envelope, [])


def test_a_pull_pages_by_limit_and_skips_what_came_from_the_asker(store):
    with writing(store, "hub") as writer:
        apply_changes(writer, [note(f"r{i}", "n1", i) for i in range(3)], "n1")
        apply_changes(writer, [note(f"s{i}", "n2", i) for i in range(3)], "n2")
    link = {"link_id": "n1", "area": AREA}
    first, page = serve_pull(store, link, 0, 2)
    assert first == {"last": 5, "more": True, "epochs": hub_epochs(store)} and [c["row_id"] for c in page] == ["s0", "s1"]
    second, page = serve_pull(store, link, first["last"], 2)
    assert second == {"last": 6, "more": False, "epochs": hub_epochs(store)} and [c["row_id"] for c in page] == ["s2"]


def test_applying_the_same_version_again_changes_nothing(store):
    change = note("r1", "n1", 1, text="once")
    for expected in (1, 0):
        with writing(store, "hub") as writer:
            assert apply_changes(writer, [dict(change)], "n1") == expected
    with writing(store, "hub") as writer:  # twice in one batch, too
        assert apply_changes(writer, [note("r2", "n1", 2), note("r2", "n1", 2)], "n1") == 1
    assert [c["row_id"] for c in log(store)] == ["r1", "r2"]
    with store.snapshot() as tx:
        assert tx.get_row("notes", "r1")["text"] == "once"


def test_concurrent_edits_of_one_field_converge_and_the_loser_is_recorded(store):
    with writing(store, "hub") as writer:
        apply_changes(writer, [note("r1", "n1", 1, text="first")], "n1")
        seen = {"text": make_version(STAMP + 1, "n1")}
        # Two nodes edit the same field, neither having seen the other's edit; the later stamp wins.
        apply_changes(writer, [note("r1", "n2", 5, text="later", base=seen)], "n2")
        apply_changes(writer, [note("r1", "n3", 3, text="earlier", base=seen)], "n3")
    with store.snapshot() as tx:
        assert tx.get_row("notes", "r1")["text"] == "later"
        (conflict,) = tx.conflicts()
    assert (conflict["field"], conflict["kept_value"], conflict["lost_value"]) == ("text", "later", "earlier")
    assert conflict["lost_version"] == make_version(STAMP + 3, "n3")


def test_a_nodes_push_cursor_moves_with_its_batches_and_refuses_a_gap(store):
    link_id, _ = add_node(store, "village", AREA, HUB_AREA)
    link = get_link(store, link_id)
    assert link["push_cursor"] == 0 and link["link_id"] == link_id
    ack = receive_push(store, "hub", link, {"start": 0, "end": 2}, [note("r1", "n1", 1), note("r2", "n1", 2)])
    assert (ack["cursor"], ack["applied"], ack["refused"]) == (2, 2, [])
    again = receive_push(store, "hub", link, {"start": 0, "end": 2}, [note("r1", "n1", 1), note("r2", "n1", 2)])
    assert (again["cursor"], again["applied"]) == (2, 0)  # a batch sent again: acknowledged, not applied
    with pytest.raises(SyncRefused) as gap:
        receive_push(store, "hub", link, {"start": 5, "end": 6}, [note("r3", "n1", 3)])
    assert (gap.value.code, gap.value.extra["cursor"]) == (codes.GAP, 2)
    assert get_link(store, link_id)["push_cursor"] == 2 and len(log(store)) == 2


def consume(tx, key, nonce):
    """Use `nonce` as the hub does (`sync.links.admit`); return False when it was not issued here, used or expired."""
    now = wall_ms()
    issued = nonce_issued(key, nonce, now)
    return issued is not None and tx.use_nonce(nonce, issued, oldest_kept(now))


def test_a_nonce_is_used_once(store):
    with transaction(store) as tx:
        key = nonce_key(tx)
        nonce = issue_nonce(key)
        assert consume(tx, key, nonce)
    with transaction(store) as tx:
        assert not consume(tx, key, nonce)
        assert not consume(tx, key, issue_nonce(b"another key" * 3))


def test_expired_nonces_are_forgotten_through_an_index(store):
    with transaction(store) as tx:
        assert tx.use_nonce("early", 1_000, 0) and tx.use_nonce("later", 10_000, 0)
        assert tx.use_nonce("latest", 20_000, 5_000)  # forgets what was issued before 5,000
        assert not tx.use_nonce("later", 10_000, 5_000)
    assert sorted(r[0] for r in store.execute("SELECT nonce FROM sync_nonces").fetchall()) == ["later", "latest"]
    # Every signed request forgets the expired: a scan of the 15 minutes' nonces each time cost an
    # SQLite hub 57 ms a poll at 1,000 polls a second (bench/hub_bench.py).
    with transaction(store) as tx:
        if as_tx(tx).engine == "sqlite":
            plan = " ".join(str(r[-1]) for r in tx.execute("EXPLAIN QUERY PLAN DELETE FROM sync_nonces WHERE issued_ms < ?", [5]))
        else:
            tx.execute("SET LOCAL enable_seqscan = off")  # a table this small is read whole unless told
            plan = " ".join(r[0] for r in tx.execute("EXPLAIN DELETE FROM sync_nonces WHERE issued_ms < 5"))
    assert "sync_nonces_issued" in plan, plan


def test_a_request_is_admitted_once_and_a_replay_touches_nothing(store):
    link = get_link(store, add_node(store, "village", AREA, HUB_AREA)[0])
    with transaction(store) as tx:
        key = nonce_key(tx)
    nonce = issue_nonce(key)
    with transaction(store, durable=False) as tx:  # as a read request is admitted
        admit(tx, link, nonce, node_wall_ms=wall_ms() + 5_000, key=key)
    seen = get_link(store, link["link_id"])
    assert seen["last_seen"] and 4_000 < seen["clock_skew_ms"] <= 5_000
    for replay in (nonce, issue_nonce(key, now_ms=wall_ms() - NONCE_TTL_MS - 1), issue_nonce(b"another key" * 3)):
        with pytest.raises(SyncRefused) as refused, transaction(store) as tx:
            admit(tx, link, replay, node_wall_ms=wall_ms() + 60_000, key=key)
        assert refused.value.code == codes.STALE_NONCE
    again = get_link(store, link["link_id"])
    assert (again["last_seen"], again["clock_skew_ms"]) == (seen["last_seen"], seen["clock_skew_ms"])


def test_a_refused_change_is_held_and_the_rest_of_the_batch_applies(store):
    link = get_link(store, add_node(store, "village", AREA, HUB_AREA)[0])
    outside = note("x1", "n1", 2, area="52/5201/002")
    ack = receive_push(store, "hub", link, {"start": 0, "end": 2}, [note("r1", "n1", 1), outside])
    assert ack["applied"] == 1 and [r["code"] for r in ack["refused"]] == ["outside_area"]
    with transaction(store) as tx:
        (entry,) = held(tx)
        assert (entry["state"], entry["change"]["row_id"]) == (HELD, "x1")
        decide(tx, entry["id"], DISCARDED, "staff")
    with transaction(store) as tx:
        assert held(tx) == [] and held(tx, DISCARDED)[0]["decided_by"] == "staff"
