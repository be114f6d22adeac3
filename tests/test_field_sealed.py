"""A tablet's sealed outbox over the sync protocol, its pull by cursor, and its "Export unsynced" file at the node.

The node is served over real HTTP; the tablet is a HubClient with the credentials it enrolled with.
"""
import base64
import io
import json
import re

import pytest
from clerk_helpers import PASSWORD
from conftest import Village
from field_helpers import export_file, sealed_change
from sync_helpers import add_households
from tablet_helpers import enrolled_tablet

from sync.batch import decode, encode
from sync.clock import Clock
from village import create_app
from village.records import core
from village.records.schema import REQUEST_KINDS
from village.users import add_user, set_disabled


@pytest.fixture
def village(make_node, serve):
    """A village node with two households and two field workers, served; return (node, db, server, households)."""
    node, db = make_node()
    add_user(db, "field1", "fieldworker", PASSWORD)
    add_user(db, "field2", "fieldworker", PASSWORD)
    add_user(db, "clerk1", "clerk", PASSWORD)
    return node, db, serve(create_app({"NODE": node, "TESTING": True})), add_households(db, node, 2)


def a_visit(household_id, note="visit"):
    return {"household_id": household_id, "kind": "elderly_care", "visited_on": "2026-05-01", "notes": note,
            "answers": {"speech_ok": True, "referral": "卫生院"}}


def visits(db):
    return list(core.rows(db, "visits"))


def test_sealed_visits_are_saved_once_with_their_worker_whoever_pushes(village):
    node, db, server, households = village
    client, tablet = enrolled_tablet(node, server)
    clock = Clock()
    changes = [sealed_change(node, tablet, "visits", {**a_visit(households[0]), "visitor": "someone else"}, clock),
               sealed_change(node, tablet, "visits", a_visit(households[1]), clock, worker="field2")]
    batch = encode({"start": 0, "end": 2}, changes)
    first, again = client.push(batch).body, client.push(batch).body  # an answer lost: the same batch again
    assert (first["applied"], first["cursor"], first["refused"]) == (2, 2, [])
    assert (again["applied"], again["cursor"]) == (0, 2)
    saved = {v["household_id"]: v for v in visits(db)}
    assert len(visits(db)) == 2 and saved[households[0]]["visitor"] == "field1"
    assert saved[households[1]]["visitor"] == "field2" and saved[households[0]]["answers"]["referral"] == "卫生院"
    assert saved[households[0]]["area"] == node.area


def _attack(node, db, tablet, households, attack, clock):
    if attack == "tampered":
        change = sealed_change(node, tablet, "visits", a_visit(households[0]), clock)
        ct = change["data"]["ct"]
        change["data"]["ct"] = ct[:-8] + ("A" * 8 if not ct.endswith("A" * 8) else "B" * 8)
    elif attack == "other_key":
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
        from field_helpers import seal
        from sync.seal import public_text

        change = sealed_change(node, tablet, "visits", a_visit(households[0]), clock)
        data = change["data"]
        change["data"] = seal(public_text(X25519PrivateKey.generate()), data["id"],
                              {"id": data["id"], "table": "visits", "record": change["row_id"], "worker": "field1",
                               "values": a_visit(households[0]), "version": change["version"]})
    elif attack == "version_swapped":  # the same sealed entry replayed under a newer version
        change = sealed_change(node, tablet, "visits", a_visit(households[0]), clock)
        change["version"] = f"{clock.now():016x}-{tablet}"
    elif attack == "clerk_as_worker":
        change = sealed_change(node, tablet, "visits", a_visit(households[0]), clock, worker="clerk1")
    elif attack == "unknown_worker":
        change = sealed_change(node, tablet, "visits", a_visit(households[0]), clock, worker="nobody")
    elif attack == "disabled_worker":
        set_disabled(db, "field2", True)
        change = sealed_change(node, tablet, "visits", a_visit(households[0]), clock, worker="field2")
    elif attack == "plain_change":  # the put the sealed entry stands for, sent in clear
        change = sealed_change(node, tablet, "visits", a_visit(households[0]), clock)
        change.update(tbl="visits", op="put", data={**a_visit(households[0]), "area": node.area,
                                                    "visitor": "field1"})
    elif attack == "county_table":
        change = sealed_change(node, tablet, "market_prices", {"commodity": "x", "unit": "kg", "price": 1,
                                                                "observed_on": "2026-01-01"}, clock)
    elif attack == "bad_answers":
        change = sealed_change(node, tablet, "visits", {**a_visit(households[0]), "answers": {"speech_ok": "maybe"}},
                               clock)
    else:  # garbage where the sealed entry should be
        change = sealed_change(node, tablet, "visits", a_visit(households[0]), clock)
        change["data"] = {"id": 3, "eph": "!!", "iv": None}
    return change


@pytest.mark.parametrize("attack", ["tampered", "other_key", "version_swapped", "clerk_as_worker", "unknown_worker",
                                    "disabled_worker", "plain_change", "county_table", "bad_answers", "garbage"])
def test_sealed_entries_the_node_must_refuse_are_held_and_change_nothing(village, attack):
    node, db, server, households = village
    client, tablet = enrolled_tablet(node, server)
    clock = Clock()
    good = sealed_change(node, tablet, "visits", a_visit(households[1], "the good one"), clock)
    bad = _attack(node, db, tablet, households, attack, clock)
    ack = client.push(encode({"start": 0, "end": 2}, [bad, good])).body  # a 200: the rest of the batch applies
    assert ack["applied"] == 1 and [r["version"] for r in ack["refused"]] == [bad["version"]]
    assert [v["notes"] for v in visits(db)] == ["the good one"]
    assert list(core.rows(db, "market_prices")) == []
    held = db.execute("SELECT COUNT(*) FROM sync_quarantine WHERE version = ?", [bad["version"]]).fetchone()[0]
    assert held == 1


def test_a_new_household_and_its_member_take_the_tablets_area_and_an_edit_keeps_the_stored_one(village):
    node, db, server, households = village
    client, tablet = enrolled_tablet(node, server)
    clock = Clock()
    hh = sealed_change(node, tablet, "households", {"code": "T001", "head_name": "王五", "area": "52/9999"}, clock)
    member = sealed_change(node, tablet, "persons", {"household_id": hh["row_id"], "name": "王小五"}, clock)
    edit = sealed_change(node, tablet, "households", {"head_name": "张三改"}, clock, record=households[0])
    ack = client.push(encode({"start": 0, "end": 3}, [hh, member, edit])).body
    assert (ack["applied"], ack["refused"]) == (3, [])
    assert core.get(db, "households", hh["row_id"])["area"] == node.area
    assert core.get(db, "persons", member["row_id"])["area"] == node.area
    assert core.get(db, "households", households[0])["head_name"] == "张三改"


def test_a_tablet_pulls_its_assignment_by_cursor_and_a_household_that_leaves_is_evicted(village):
    node, db, server, households = village
    client, _tablet = enrolled_tablet(node, server)
    envelope, changes = decode(client.pull(0, 3).body)
    assert envelope["more"] is True and len(changes) == 3  # resumable: a batch at a time, from the cursor
    rest_envelope, rest = decode(client.pull(envelope["last"], 1000).body)
    assert rest_envelope["more"] is False
    tables = {c["tbl"] for c in changes + rest}
    assert tables <= {"households", "persons", "plots", "plantings", "livestock", "elder_profiles", "monitor_cases"}
    assert {c["row_id"] for c in changes + rest if c["tbl"] == "households"} == set(households)
    with core.write(db, node) as writer:  # something a tablet does not hold, and a household moved away
        core.save(writer, node, "service_requests", {"ticket": "R1", "kind": REQUEST_KINDS[0], "applicant_name": "李"})
        writer.put("households", households[0], {"area": node.area.rsplit("/", 1)[0] + "/999"},  # another village
                   existing=core.get(db, "households", households[0]))
    _env, later = decode(client.pull(rest_envelope["last"], 1000).body)
    assert [(c["tbl"], c["row_id"], c["op"]) for c in later] == [("households", households[0], "evict")]


def test_export_file_imports_once_and_only_once_from_the_cli(village, tmp_path):
    node, db, server, households = village
    client, tablet = enrolled_tablet(node, server)
    clock = Clock()
    changes = [sealed_change(node, tablet, "visits", a_visit(households[i % 2], f"v{i}"), clock) for i in range(5)]
    path = tmp_path / "unsynced.json"
    path.write_bytes(export_file(client, encode({"start": 0, "end": 5}, changes)))
    first = Village(node.data_dir)("tablet", "import", str(path))
    assert first.exit_code == 0 and "5 records" in first.output and "5 new" in first.output, first.output
    second = Village(node.data_dir)("tablet", "import", str(path))
    assert second.exit_code == 0 and "0 new" in second.output
    assert sorted(v["notes"] for v in visits(db)) == [f"v{i}" for i in range(5)]
    # The tablet then syncs after all: its push of the same entries applies nothing again.
    assert client.push(encode({"start": 0, "end": 5}, changes)).body["applied"] == 0
    assert len(visits(db)) == 5


@pytest.mark.parametrize("damage", ["forged", "unknown", "not_json", "not_a_batch"])
def test_an_export_file_that_is_not_the_tablets_own_is_refused_whole(village, tmp_path, damage):
    node, db, server, households = village
    client, tablet = enrolled_tablet(node, server)
    batch = encode({"start": 0, "end": 1}, [sealed_change(node, tablet, "visits", a_visit(households[0]), Clock())])
    data = json.loads(export_file(client, batch))
    if damage == "forged":  # a record added after the tablet signed
        data["batch"] = base64.b64encode(encode({"start": 0, "end": 2}, decode(batch)[1] * 2)).decode()
    elif damage == "unknown":
        data["link"] = "ffffffffffff"
    elif damage == "not_a_batch":
        # signed right, over bytes that are no batch
        data = json.loads(export_file(client, b"not a batch"))
    path = tmp_path / "f.json"
    path.write_bytes(b"{not json" if damage == "not_json" else json.dumps(data).encode())
    result = Village(node.data_dir)("tablet", "import", str(path))
    assert result.exit_code == 1 and "Nothing was imported" in result.output and "Traceback" not in result.output
    assert visits(db) == []


def _token(client, path):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))[1]


def _upload(clerk, body, name="unsynced.json"):
    token = _token(clerk, "/clerk/tablets")
    return clerk.post("/clerk/tablets/import", data={"csrf_token": token, "file": (io.BytesIO(body), name)},
                      content_type="multipart/form-data")


def test_the_clerk_page_imports_a_tablets_file_once(village):
    node, db, server, households = village
    client, tablet = enrolled_tablet(node, server)
    clock = Clock()
    changes = [sealed_change(node, tablet, "visits", a_visit(households[0], f"v{i}"), clock) for i in range(3)]
    body = export_file(client, encode({"start": 0, "end": 3}, changes))
    clerk = create_app({"NODE": node, "TESTING": True}).test_client()  # CSRF checks on
    answer = clerk.post("/clerk/login", data={"username": "clerk1", "password": PASSWORD,
                                              "csrf_token": _token(clerk, "/clerk/login")})
    assert answer.status_code == 302
    assert clerk.post("/clerk/tablets/import", data={"file": (io.BytesIO(body), "u.json")},
                      content_type="multipart/form-data").status_code == 400  # no CSRF token: nothing imported
    assert visits(db) == []
    for new in (3, 0):
        page = _upload(clerk, body)
        assert page.status_code == 200, page.get_data(as_text=True)
        assert f"Imported 3 records from the tablet's file ({new} new, 0 refused)" in page.get_data(as_text=True)
    assert len(visits(db)) == 3
    junk = _upload(clerk, b"junk", "x.json")
    assert junk.status_code == 400 and "Nothing was imported" in junk.get_data(as_text=True)
    assert 'aria-invalid="true"' in junk.get_data(as_text=True) and len(visits(db)) == 3
