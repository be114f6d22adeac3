"""Tablets enrolled at a village node: the node is their hub, with the same protocol and trust checks."""
import json

import pytest
from conftest import COUNTY_AREA, Village
from sync_helpers import add_households, enroll, serve_hub, sync
from tablet_helpers import add_tablet, enrolled_tablet, sealed_visits, visit_changes

from clerk_helpers import PASSWORD
from sync.batch import encode
from sync.transport import Refused
from village import create_app
from village.users import add_user, set_disabled


@pytest.fixture
def village(make_node, serve):
    """A village node with households, served over real HTTP; return (node, db, server, household ids)."""
    node, db = make_node()
    households = add_households(db, node, 2)
    add_user(db, "field1", "fieldworker", PASSWORD)
    return node, db, serve(create_app({"NODE": node, "TESTING": True})), households


def visits_at(db, prefix):
    return db.execute("SELECT COUNT(*) FROM visits WHERE id LIKE ?", [prefix + "%"]).fetchone()[0]


def test_tablet_add_list_revoke_from_the_cli(village):
    node, db, _server, _hh = village
    added = add_tablet(node, "Tablet 7")
    assert len(added["code"]) == 14 and added["area"] == node.area
    listed = json.loads(Village(node.data_dir)("tablet", "list", "--json").output)
    assert [(t["node_id"], t["name"], t["enrolled_at"]) for t in listed] == [(added["tablet_id"], "Tablet 7", None)]
    assert Village(node.data_dir)("tablet", "revoke", added["tablet_id"]).exit_code == 0
    again = Village(node.data_dir)("tablet", "revoke", added["tablet_id"])
    assert again.exit_code == 1 and "village tablet list" in again.output


@pytest.mark.usefixtures("hub_engine")  # on a SQLite and a PostgreSQL hub
def test_a_county_hub_enrolls_no_tablets_and_a_tablet_needs_a_name(make_node):
    hub, _db = make_node(role="county", area=COUNTY_AREA)
    refused = Village(hub.data_dir)("tablet", "add", "--name", "T")
    assert refused.exit_code == 1 and "village node" in refused.output
    village, db = make_node()
    blank = Village(village.data_dir)("tablet", "add", "--name", "  ")
    assert blank.exit_code == 1 and db.execute("SELECT COUNT(*) FROM nodes").fetchone()[0] == 0


@pytest.mark.usefixtures("hub_engine")  # on a SQLite and a PostgreSQL hub
def test_a_village_node_tablet_cannot_be_revoked_as_a_node_of_another_kind(make_node):
    # `village tablet revoke` revokes tablets only: an id of a village enrolled at a hub is not one.
    hub, hub_db = make_node(role="county", area=COUNTY_AREA)
    added = json.loads(Village(hub.data_dir)("node", "add", "--name", "村", "--area", COUNTY_AREA + "/001",
                                             "--json").output)
    assert Village(hub.data_dir)("tablet", "revoke", added["node_id"]).exit_code == 1
    assert hub_db.execute("SELECT revoked_at FROM nodes").fetchone()[0] is None


def test_tablet_enrolls_pushes_visits_and_a_retry_applies_nothing_twice(village):
    node, db, server, households = village
    client, tablet_id = enrolled_tablet(node, server)
    batch = encode({"start": 0, "end": 5}, sealed_visits(node, tablet_id, households[0], 5))
    ack = client.push(batch).body
    assert (ack["applied"], ack["cursor"], ack["refused"]) == (5, 5, [])
    again = client.push(batch).body  # the answer was lost: the tablet sends the same batch again
    assert (again["applied"], again["cursor"]) == (0, 5)
    assert visits_at(db, tablet_id) == 5
    row = db.execute("SELECT enrolled_by, push_cursor FROM nodes WHERE kind = 'tablet'").fetchone()
    assert tuple(row) == (tablet_id, 5)


def test_a_tablet_link_applies_sealed_entries_only(village):
    # What a tablet may write is decided from its sealed entries (the worker named in each, the node's own area
    # and checks): a plain change from a tablet link is held whatever its table or area, and the rest applies.
    node, db, server, households = village
    client, tablet_id = enrolled_tablet(node, server)
    forbidden = visit_changes(tablet_id, households[0], 1, table="service_requests")
    forbidden[0]["data"] = {"area": node.area, "applicant_name": "x", "kind": "subsidy"}
    elsewhere = visit_changes(tablet_id + "x", households[0], 1, area="52/5201/520102/002")
    plain = visit_changes(tablet_id + "p", households[0], 1)
    good = sealed_visits(node, tablet_id + "g", households[0], 1)
    ack = client.push(encode({"start": 0, "end": 4}, forbidden + elsewhere + plain + good)).body
    assert ack["applied"] == 1 and [r["code"] for r in ack["refused"]] == ["not_sealed"] * 3
    assert db.execute("SELECT COUNT(*) FROM service_requests").fetchone()[0] == 0
    held = db.execute("SELECT code FROM sync_quarantine ORDER BY code").fetchall()
    assert [r[0] for r in held] == ["not_sealed"] * 3
    assert visits_at(db, tablet_id) == 1 and visits_at(db, tablet_id + "g") == 1


def test_a_revoked_tablet_is_refused_and_a_bad_signature_too(village):
    node, db, server, households = village
    client, tablet_id = enrolled_tablet(node, server)
    Village(node.data_dir)("tablet", "revoke", client.node_id)
    with pytest.raises(Refused) as refused:
        client.push(encode({"start": 0, "end": 1}, sealed_visits(node, tablet_id, households[0], 1)))
    assert refused.value.code == "revoked" and visits_at(db, tablet_id) == 0
    client.secret = "0" * 64
    with pytest.raises(Refused) as forged:
        client.push(encode({"start": 0, "end": 1}, sealed_visits(node, tablet_id, households[0], 1)))
    assert forged.value.code == "bad_credentials"


@pytest.mark.usefixtures("hub_engine")  # on a SQLite and a PostgreSQL hub
def test_a_tablets_visits_reach_the_county_with_the_next_village_sync(make_node, serve):
    hub, hub_db, hub_server = serve_hub(make_node, serve)
    node, db = make_node()
    households = add_households(db, node, 1)
    add_user(db, "field1", "fieldworker", PASSWORD)
    enroll(hub, hub_server, node)
    server = serve(create_app({"NODE": node, "TESTING": True}))
    client, tablet_id = enrolled_tablet(node, server)
    client.push(encode({"start": 0, "end": 3}, sealed_visits(node, tablet_id, households[0], 3)))
    assert sync(node).exit_code == 0
    assert visits_at(hub_db, tablet_id) == 3
    assert sync(node).exit_code == 0  # once: the next round sends nothing again
    assert visits_at(hub_db, tablet_id) == 3


def test_a_tablet_pulls_its_villages_records(village):
    node, db, server, households = village
    client, _tablet_id = enrolled_tablet(node, server)
    from sync.batch import decode

    envelope, changes = decode(client.pull(0, 1000).body)
    assert {c["row_id"] for c in changes if c["tbl"] == "households"} == set(households)
    assert envelope["more"] is False


def test_releasing_a_tablets_held_change_checks_it_as_a_tablets_again(village):
    node, db, server, households = village
    client, tablet_id = enrolled_tablet(node, server)
    forbidden = visit_changes(tablet_id, households[0], 1, table="service_requests")
    forbidden[0]["data"] = {"area": node.area, "applicant_name": "x", "kind": "subsidy", "ticket": "R-1"}
    client.push(encode({"start": 0, "end": 1}, forbidden))
    entry = db.execute("SELECT id FROM sync_quarantine").fetchone()[0]
    released = Village(node.data_dir)("quarantine", "release", str(entry))
    assert released.exit_code == 1 and "a tablet sends only sealed outbox entries" in released.output
    assert db.execute("SELECT COUNT(*) FROM service_requests").fetchone()[0] == 0


def test_releasing_a_tablets_held_change_on_the_page_checks_it_as_a_tablets_again(village):
    from county_helpers import county_client, post_form

    node, db, server, households = village
    client, tablet_id = enrolled_tablet(node, server)
    client.push(encode({"start": 0, "end": 1}, visit_changes(tablet_id, households[0], 1)))  # a plain change
    entry = db.execute("SELECT id FROM sync_quarantine").fetchone()[0]
    admin = county_client(create_app({"NODE": node, "TESTING": True}), db, role="admin")
    answer = post_form(admin, "/county/quarantine", f"/county/quarantine/{entry}/release", {})
    assert answer.status_code == 302
    assert db.execute("SELECT state FROM sync_quarantine WHERE id = ?", [entry]).fetchone()[0] == "held"
    assert visits_at(db, tablet_id) == 0


def test_a_disabled_workers_sealed_visit_is_held_and_applies_once_released_after_they_are_enabled(village):
    node, db, server, households = village
    client, tablet_id = enrolled_tablet(node, server)
    set_disabled(db, "field1", True)
    ack = client.push(encode({"start": 0, "end": 1}, sealed_visits(node, tablet_id, households[0], 1))).body
    assert [r["code"] for r in ack["refused"]] == ["not_a_worker"] and visits_at(db, tablet_id) == 0
    entry = str(db.execute("SELECT id FROM sync_quarantine").fetchone()[0])
    still = Village(node.data_dir)("quarantine", "release", entry)  # opened again, and checked again
    assert still.exit_code == 1 and "not an active field worker" in still.output and visits_at(db, tablet_id) == 0
    set_disabled(db, "field1", False)
    assert Village(node.data_dir)("quarantine", "release", entry).exit_code == 0
    assert visits_at(db, tablet_id) == 1
    assert db.execute("SELECT visitor FROM visits").fetchone()[0] == "field1"


def test_a_tablets_signed_ping_lists_the_villages_active_field_workers(village):
    node, db, server, _households = village
    client, _tablet_id = enrolled_tablet(node, server)
    add_user(db, "field2", "fieldworker", PASSWORD)
    add_user(db, "clerk1", "clerk", PASSWORD)
    set_disabled(db, "field2", True)
    assert client.ping().body["workers"] == ["field1"]  # neither the disabled worker nor the clerk
    from sync.transport import HubClient

    assert "workers" not in HubClient(server.url).ping().body  # nobody's ping: no names
