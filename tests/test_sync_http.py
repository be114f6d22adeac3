"""Push and pull over real HTTP between a county hub and its villages on 127.0.0.1."""
import json

import pytest
import requests
from conftest import VILLAGE_AREA, Village
from sync_helpers import (add_households, assert_same, edit, enroll, enrolled_pair, serve_hub, signed_post, snapshot,
                          sync)

from sync.auth import sign
from sync.batch import decode, encode
from sync.jobs import pending
from sync.meta import get_meta, set_meta
from sync.store import transaction
from village.records import core
from village.ops.sync import hub_client, run_sync

pytestmark = pytest.mark.usefixtures("hub_engine")  # every test on a SQLite and a PostgreSQL hub

OTHER_VILLAGE = "52/5201/520102/002"


def test_push_pull_round_trip(make_node, serve):
    hub, hub_db, server = serve_hub(make_node, serve)
    village, db = make_node(area=VILLAGE_AREA)
    other, other_db = make_node(area=OTHER_VILLAGE)
    enroll(hub, server, village)
    enroll(hub, server, other)
    add_households(db, village, 120)
    add_households(other_db, other, 30, prefix="K")
    with core.write(hub_db, hub) as writer:
        core.save(writer, hub, "market_prices", {"commodity": "rice", "unit": "kg", "price": 3.2,
                                                 "observed_on": "2026-05-01"})
    for node in (village, other, village, other):
        result = sync(node)
        assert result.exit_code == 0, result.output
    assert assert_same(db, hub_db, village.area) == 241  # 120 households, 120 persons, 1 price
    assert assert_same(other_db, hub_db, other.area) == 61
    # Each village holds nothing of the other's.
    assert not [k for k in snapshot(db, OTHER_VILLAGE) if k[0] != "market_prices"]
    assert get_meta(db, "sync.last_success") and not get_meta(db, "sync.last_error")


def test_update_and_delete_travel_both_ways(make_node, serve):
    hub, hub_db, server, village, db, _link = enrolled_pair(make_node, serve)
    ids = add_households(db, village, 3)
    assert sync(village).exit_code == 0
    edit(db, village, "households", ids[0], notes="new roof")
    edit(hub_db, hub, "households", ids[1], monitoring_status="watch")
    with core.write(db, village) as writer:
        core.delete(writer, village, "households", ids[2])
    assert sync(village).exit_code == 0
    assert core.get(hub_db, "households", ids[0])["notes"] == "new roof"
    assert core.get(db, "households", ids[1])["monitoring_status"] == "watch"
    assert core.get(hub_db, "households", ids[2]) is None
    assert_same(db, hub_db, village.area)


def test_replayed_request_is_refused(make_node, serve):
    hub, hub_db, server, village, db, _link = enrolled_pair(make_node, serve)
    add_households(db, village, 2)
    client = hub_client(village, db)
    body = encode({"start": 0, "end": 999}, pending(db, 0, 100))
    nonce = client.ping() and client.nonce
    first = signed_post(client, "/sync/push", body, nonce)
    assert first.status_code == 200, first.text
    again = signed_post(client, "/sync/push", body, nonce)
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "stale_nonce"
    assert again.headers["X-Sync-Nonce"]  # a fresh nonce to retry with
    made_up = signed_post(client, "/sync/push", body, "nonce-the-hub-never-issued")
    assert made_up.status_code == 401
    assert hub_db.execute("SELECT COUNT(*) FROM households").fetchone()[0] == 2
    assert run_sync(village).ok
    assert_same(db, hub_db, village.area)


def test_replayed_batch_is_acknowledged_not_applied_twice(make_node, serve):
    hub, hub_db, server, village, db, _link = enrolled_pair(make_node, serve)
    add_households(db, village, 5)
    client = hub_client(village, db)
    changes = pending(db, 0, 100)
    payload = encode({"start": 0, "end": changes[-1]["seq"]}, changes)
    first = client.push(payload).body
    before = hub_db.execute("SELECT COUNT(*) FROM _changes").fetchone()[0]
    second = client.push(payload).body  # the answer to the first was "lost": the node sends it again
    assert (first["applied"], second["applied"]) == (10, 0)
    assert second["cursor"] == first["cursor"] == changes[-1]["seq"]
    assert hub_db.execute("SELECT COUNT(*) FROM _changes").fetchone()[0] == before
    assert hub_db.execute("SELECT COUNT(*) FROM households").fetchone()[0] == 5
    assert sync(village).exit_code == 0
    assert_same(db, hub_db, village.area)


def test_a_signed_ping_tells_only_its_own_node_what_the_hub_last_committed(make_node, serve):
    hub, hub_db, server, village, db, link = enrolled_pair(make_node, serve)
    add_households(db, village, 5)
    client = hub_client(village, db)
    assert client.ping().body["last_push"] is None  # nothing pushed yet
    changes = pending(db, 0, 100)
    ack = client.push(encode({"start": 0, "end": changes[-1]["seq"]}, changes)).body
    assert client.ping().body["last_push"] == {"start": 0, "end": changes[-1]["seq"], "ack": ack}
    # Unsigned, or signed with another secret, a ping answers but tells nothing of the node's pushes.
    assert "last_push" not in requests.get(server.url + "/sync/ping", timeout=10).json()
    forged = {"X-Sync-Node": link, "X-Sync-Nonce": "ping-x",
              "X-Sync-Signature": sign("0" * 64, "GET", "/sync/ping", b"", "ping-x", link)}
    answer = requests.get(server.url + "/sync/ping", headers=forged, timeout=10)
    assert answer.status_code == 200 and "last_push" not in answer.json()
    revoked = Village(hub.data_dir)("node", "revoke", link)
    assert revoked.exit_code == 0, revoked.output
    assert "last_push" not in client.ping().body


def test_wrong_and_revoked_credentials(make_node, serve):
    hub, hub_db, server, village, db, link = enrolled_pair(make_node, serve)
    add_households(db, village, 1)
    with transaction(db):
        good = get_meta(db, "sync.secret")
        set_meta(db, "sync.secret", "0" * 64)
    result = sync(village)
    assert result.exit_code == 4 and "credentials" in result.output
    assert "bad_credentials" in get_meta(db, "sync.last_error")
    with transaction(db):
        set_meta(db, "sync.secret", good)
    revoked = Village(hub.data_dir)("node", "revoke", link)
    assert revoked.exit_code == 0, revoked.output
    client = hub_client(village, db)
    response = signed_post(client, "/sync/pull", b"{}", client.ping() and client.nonce)
    assert response.status_code == 403
    assert response.json() == {"error": {"code": "revoked", "message": response.json()["error"]["message"]}}
    assert sync(village).exit_code == 4
    assert hub_db.execute("SELECT COUNT(*) FROM households").fetchone()[0] == 0


def test_record_outside_the_nodes_path_is_held_and_the_rest_applies(make_node, serve):
    hub, hub_db, server, village, db, _link = enrolled_pair(make_node, serve)
    add_households(db, village, 3)
    from sync.changelog import writing

    with writing(db, village.node_id) as writer:  # a tampered node writing past validation
        writer.put("households", "intruder", {"code": "X", "head_name": "x", "area": OTHER_VILLAGE})
    result = sync(village)
    assert result.exit_code == 0, result.output
    assert hub_db.execute("SELECT COUNT(*) FROM households WHERE id = 'intruder'").fetchone()[0] == 0
    assert hub_db.execute("SELECT COUNT(*) FROM households").fetchone()[0] == 3
    assert hub_db.execute("SELECT code FROM sync_quarantine WHERE row_id = 'intruder'").fetchone()[0] == "outside_area"
    assert db.execute("SELECT code FROM sync_refusals WHERE row_id = 'intruder'").fetchone()[0] == "outside_area"


def test_gap_answers_the_cursor_and_the_node_rewinds(make_node, serve):
    hub, hub_db, server, village, db, _link = enrolled_pair(make_node, serve)
    add_households(db, village, 10)
    client = hub_client(village, db)
    changes = pending(db, 4, 100)
    try:
        client.push(encode({"start": 4, "end": changes[-1]["seq"]}, changes))
        raise AssertionError("a batch after a gap was accepted")
    except Exception as exc:  # noqa: BLE001 - the transport's Refused
        assert (exc.status, exc.code, exc.extra["cursor"]) == (409, "gap", 0)
    assert hub_db.execute("SELECT COUNT(*) FROM households").fetchone()[0] == 0
    with transaction(db):  # the node believes the hub holds its first 4 changes; it does not
        set_meta(db, "sync.push_cursor", "4")
    result = run_sync(village)
    assert result.ok, result
    assert_same(db, hub_db, village.area)


def test_enrollment_retry_with_the_same_code(make_node, serve):
    hub, _hub_db, server = serve_hub(make_node, serve)
    village, db = make_node()
    intruder, _ = make_node(area=VILLAGE_AREA)
    code = json.loads(Village(hub.data_dir)("node", "add", "--name", "村", "--area", VILLAGE_AREA, "--json").output)["code"]
    first = Village(village.data_dir)("enroll", "--hub", server.url, "--code", code, "--insecure")
    secret = get_meta(db, "sync.secret")
    again = Village(village.data_dir)("enroll", "--hub", server.url, "--code", code, "--insecure")  # answer lost
    assert first.exit_code == again.exit_code == 0
    assert get_meta(db, "sync.secret") == secret
    stolen = Village(intruder.data_dir)("enroll", "--hub", server.url, "--code", code, "--insecure")
    assert stolen.exit_code == 1 and "already used" in stolen.output
    wrong = Village(intruder.data_dir)("enroll", "--hub", server.url, "--code", "AAAA-BBBB-CCCC", "--insecure")
    assert wrong.exit_code == 1 and "does not know" in wrong.output


def test_sync_exit_codes(make_node, serve):
    hub, hub_db, server = serve_hub(make_node, serve)
    village, db = make_node()
    assert sync(village).exit_code == 1  # not enrolled
    enroll(hub, server, village)
    add_households(db, village, 2)
    server.stop()
    down = sync(village)
    assert down.exit_code == 3 and "cannot be reached" in down.output
    assert "unreachable" in get_meta(db, "sync.last_error")
    assert sync(village).exit_code == 3
    status = json.loads(Village(village.data_dir)("status", "--json").output)["sync"]
    assert status["pending"] == 4 and status["last_error"]


def test_pull_batches_resume_after_their_cursor(make_node, serve):
    hub, hub_db, server, village, db, _link = enrolled_pair(make_node, serve)
    add_households(hub_db, hub, 50)
    client = hub_client(village, db)
    envelope, changes = decode(client.pull(0, 30).body)
    assert envelope["more"] and len(changes) == 30
    envelope2, rest = decode(client.pull(envelope["last"], 1000).body)
    assert not envelope2["more"] and len(rest) == 70
    assert run_sync(village).pulled == 100
    assert run_sync(village).pulled == 0
    assert_same(db, hub_db, village.area)
