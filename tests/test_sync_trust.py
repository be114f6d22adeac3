"""The hub checks what a village sends as strictly as a local write (SPEC 4, Trust).

Each test plays a hostile or buggy village against a hub served over real HTTP on 127.0.0.1:
the refused change is held at the hub with its reason, the rest of the batch applies, and
the village's sync goes on and shows the refusal.
"""
import csv
import json

import pytest
import requests
from conftest import VILLAGE_AREA, Village
from sync_helpers import add_households, enroll, enrolled_pair, serve_hub, sync

from sync.batch import encode
from sync.changelog import writing
from sync.clock import make_version
from sync.meta import get_meta
from sync.quarantine import held, refusals
from sync.transport import Refused
from village.records import core
from village.ops.sync import hub_client

pytestmark = pytest.mark.usefixtures("hub_engine")  # every test on a SQLite and a PostgreSQL hub

OTHER_VILLAGE = "52/5201/520102/002"


def two_villages(make_node, serve):
    """A hub with two enrolled villages, the other one holding a household synced up."""
    hub, hub_db, server = serve_hub(make_node, serve)
    village, db = make_node(area=VILLAGE_AREA)
    other, other_db = make_node(area=OTHER_VILLAGE)
    enroll(hub, server, village)
    enroll(hub, server, other, name="邻村")
    [victim] = add_households(other_db, other, 1, prefix="V")
    assert sync(other).exit_code == 0
    return hub, hub_db, server, village, db, victim


def hub_household(hub_db, row_id):
    return hub_db.execute("SELECT area, head_name FROM households WHERE id = ?", [row_id]).fetchone()


def push_raw(village, db, changes, start=0, end=None):
    """Push hand-made changes as the enrolled village (signed, with a fresh nonce); return the ack."""
    client = hub_client(village, db)
    client.prepare()
    return client.push(encode({"start": start, "end": end if end is not None else start}, changes)).body


def change(village, table, row_id, data, area=VILLAGE_AREA, op="put", n=1):
    return {"tbl": table, "row_id": row_id, "op": op, "area": area, "prev_area": None, "data": data,
            "base": None, "version": make_version(1_900_000_000_000 * 65536 + n, village.node_id)}


def test_csv_import_of_another_villages_id_leaves_it_untouched_and_shows_the_refusal(make_node, serve, tmp_path):
    hub, hub_db, server, village, db, victim = two_villages(make_node, serve)
    before = hub_household(hub_db, victim)
    path = tmp_path / "h.csv"
    with open(path, "w", newline="", encoding="utf-8") as out:
        rows = csv.writer(out)
        rows.writerow(["id", "code", "head_name"])
        rows.writerow([victim, "H9", "冒名顶替"])
        rows.writerow(["", "H10", "李四"])
    runner = Village(village.data_dir)
    assert runner("import", "households", str(path)).exit_code == 0
    result = sync(village)
    assert result.exit_code == 0, result.output  # the sync goes on: no poison pill
    assert hub_household(hub_db, victim) == before
    assert hub_db.execute("SELECT COUNT(*) FROM households WHERE code = 'H10'").fetchone()[0] == 1
    [kept] = held(hub_db)
    assert (kept["row_id"], kept["code"]) == (victim, "outside_area")
    status = json.loads(runner("status", "--json").output)
    assert status["sync"]["refused"] == 1
    assert status["sync"]["refusals"][0]["row_id"] == victim
    assert "outside" in status["sync"]["refusals"][0]["message"]
    # The record stays at the village as it was written there.
    assert core.get(db, "households", victim)["head_name"] == "冒名顶替"


@pytest.mark.parametrize("attack", ["declared_area", "data_area", "data_id", "outside_hub"])
def test_a_village_cannot_write_another_villages_record(make_node, serve, attack):
    hub, hub_db, server, village, db, victim = two_villages(make_node, serve)
    before = hub_household(hub_db, victim)
    if attack == "declared_area":
        bad = change(village, "households", victim, {"head_name": "x"})
    elif attack == "data_area":
        bad = change(village, "households", victim, {"head_name": "x", "area": OTHER_VILLAGE})
    elif attack == "data_id":
        bad = change(village, "households", "fresh-id", {"id": victim, "code": "Z", "head_name": "x",
                                                         "area": VILLAGE_AREA})
    else:
        bad = change(village, "households", "far-away", {"code": "Z", "head_name": "x", "area": "99/9999"},
                     area="99/9999")
    good = change(village, "households", "good-one", {"code": "G1", "head_name": "好", "area": VILLAGE_AREA}, n=2)
    ack = push_raw(village, db, [bad, good], end=2)
    assert [r["row_id"] for r in ack["refused"]] == [bad["row_id"]]
    assert ack["applied"] == 1 and ack["cursor"] == 2
    assert hub_household(hub_db, victim) == before
    assert hub_db.execute("SELECT COUNT(*) FROM households WHERE area = '99/9999' OR id = 'fresh-id'").fetchone()[0] == 0
    assert hub_household(hub_db, "good-one") == (VILLAGE_AREA, "好")


def test_a_village_cannot_delete_or_publish_county_announcements(make_node, serve, request):
    hub, hub_db, server, village, db, _link = enrolled_pair(make_node, serve)
    with core.write(hub_db, hub) as w:
        notice = core.save(w, hub, "announcements", {"title": {"en": "Vaccination day"}})
    assert sync(village).exit_code == 0
    fake = change(village, "announcements", "fake", {"title": '{"en":"FAKE: evacuate now"}', "priority": "emergency",
                                                     "area": hub.area}, area=hub.area)
    own_area_fake = change(village, "announcements", "fake2", {"title": '{"en":"FAKE"}', "area": VILLAGE_AREA}, n=2)
    delete = change(village, "announcements", notice, {}, area=hub.area, op="del", n=3)
    ack = push_raw(village, db, [fake, own_area_fake, delete], end=3)
    assert sorted(r["code"] for r in ack["refused"]) == ["not_writable", "outside_area", "outside_area"]
    assert core.get(hub_db, "announcements", notice) is not None
    assert hub_db.execute("SELECT COUNT(*) FROM announcements").fetchone()[0] == 1
    if request.node.callspec.params["hub_engine"] == "sqlite":  # a PostgreSQL hub's pages read SQLite still
        page = requests.get(server.url + "/", timeout=10).text
        assert "FAKE" not in page and "Vaccination day" in page


BAD_VALUES = {
    "broken_history": ("service_requests", {"ticket": "S-1", "applicant_name": "a", "kind": "subsidy",
                                            "status": "submitted", "history": "{broken"}),
    "history_not_entries": ("service_requests", {"ticket": "S-2", "applicant_name": "a", "kind": "subsidy",
                                                 "history": "[1, 2]"}),
    "made_up_choice": ("households", {"code": "C1", "head_name": "a", "monitoring_status": "rich"}),
    "missing_required": ("households", {"code": "C2"}),
    "text_in_integer": ("households", {"code": "C3", "head_name": "a", "members": "many"}),
    "huge_integer": ("households", {"code": "C4", "head_name": "a", "members": 10 ** 20}),
    "unknown_field": ("households", {"code": "C5", "head_name": "a", "secret_column": 1}),
    "seventy_megabytes": ("households", {"code": "C6", "head_name": "x" * 2_000_000}),
    "missing_parent": ("persons", {"household_id": "nobody", "name": "a"}),
}


@pytest.mark.parametrize("case", sorted(BAD_VALUES))
def test_values_no_validator_would_pass_are_held_and_the_rest_applies(make_node, serve, case):
    hub, hub_db, server, village, db, _link = enrolled_pair(make_node, serve)
    table, data = BAD_VALUES[case]
    bad = change(village, table, "bad", {**data, "area": VILLAGE_AREA})
    good = change(village, "households", "good", {"code": "G1", "head_name": "好", "area": VILLAGE_AREA}, n=2)
    ack = push_raw(village, db, [bad, good], end=2)
    assert [(r["row_id"], r["code"]) for r in ack["refused"]] == [("bad", "invalid")]
    assert hub_db.execute(f"SELECT COUNT(*) FROM [{table}] WHERE id = 'bad'").fetchone()[0] == 0
    assert hub_household(hub_db, "good") == (VILLAGE_AREA, "好")
    for path in ("/clerk/login", "/status?ticket=S-1"):
        assert requests.get(server.url + path, timeout=10).status_code < 500


def test_a_duplicate_household_code_is_held(make_node, serve):
    hub, hub_db, server, village, db, _link = enrolled_pair(make_node, serve)
    first = change(village, "households", "one", {"code": "H1", "head_name": "甲", "area": VILLAGE_AREA})
    second = change(village, "households", "two", {"code": "H1", "head_name": "乙", "area": VILLAGE_AREA}, n=2)
    ack = push_raw(village, db, [first, second], end=2)
    assert [r["row_id"] for r in ack["refused"]] == ["two"]
    assert hub_db.execute("SELECT COUNT(*) FROM households WHERE code = 'H1'").fetchone()[0] == 1
    # And against a record the hub already holds, from an earlier batch.
    third = change(village, "households", "three", {"code": "H1", "head_name": "丙", "area": VILLAGE_AREA}, n=3)
    ack = push_raw(village, db, [third], start=2, end=3)
    assert [(r["row_id"], r["problems"][0][0]) for r in ack["refused"]] == [("three", "code")]
    assert hub_db.execute("SELECT COUNT(*) FROM households WHERE code = 'H1'").fetchone()[0] == 1


def test_a_poison_record_written_past_validation_does_not_stop_the_village(make_node, serve):
    hub, hub_db, server, village, db, _link = enrolled_pair(make_node, serve)
    with writing(db, village.node_id) as writer:  # a buggy node writing past its own validator
        writer.put("households", "poison", {"code": "P", "head_name": "x" * 300_000, "area": VILLAGE_AREA})
    add_households(db, village, 5)
    result = sync(village)
    assert result.exit_code == 0, result.output
    assert hub_db.execute("SELECT COUNT(*) FROM households").fetchone()[0] == 5
    assert [r["row_id"] for r in refusals(db)] == ["poison"]
    # The next round is clean: the refused change is not sent again.
    assert sync(village).exit_code == 0
    assert len(held(hub_db)) == 1


def raw_request(server, village, db, path, body, headers=None):
    """Send a signed request with an arbitrary body; return the requests response."""
    from sync.auth import sign

    client = hub_client(village, db)
    client.prepare()
    nonce = client.nonce
    secret, link = get_meta(db, "sync.secret"), get_meta(db, "sync.link_id")
    sent = {"X-Sync-Node": link, "X-Sync-Nonce": nonce,
            "X-Sync-Signature": sign(secret, "POST", path, body, nonce, link), **(headers or {})}
    return requests.post(server.url + path, data=body, headers=sent, timeout=10)


@pytest.mark.parametrize("path,body,headers", [
    ("/sync/push", encode({"end": 1}, []), {}),
    ("/sync/push", encode({"start": 0, "end": 10 ** 30}, []), {}),
    ("/sync/push", encode({"start": "0", "end": 1}, []), {}),
    ("/sync/push", encode({"start": 0, "end": 1}, []), {"X-Sync-Time": "9" * 40}),
    ("/sync/push", b"not a batch", {}),
    ("/sync/pull", b'{"cursor": Infinity}', {}),
    ("/sync/pull", b'{"cursor": [1]}', {}),
    ("/sync/pull", b'{"cursor": 0, "limit": "all"}', {}),
    ("/sync/pull", b'[]', {}),
])
def test_malformed_envelopes_answer_400_in_the_one_error_shape(make_node, serve, path, body, headers):
    hub, hub_db, server, village, db, _link = enrolled_pair(make_node, serve)
    answer = raw_request(server, village, db, path, body, headers)
    if headers:  # a silly clock header is ignored, not a failure: the batch itself is fine
        assert answer.status_code == 200, answer.text
        assert hub_db.execute("SELECT clock_skew_ms FROM nodes").fetchone()[0] is None
        return
    assert answer.status_code == 400, answer.text
    assert set(answer.json()["error"]) >= {"code", "message"}


def test_a_batch_over_the_change_cap_is_refused_before_anything_applies(make_node, serve):
    from sync.screen import MAX_CHANGES

    hub, hub_db, server, village, db, _link = enrolled_pair(make_node, serve)
    many = [change(village, "households", f"h{i}", {"code": f"C{i}", "head_name": "a", "area": VILLAGE_AREA}, n=i)
            for i in range(MAX_CHANGES + 1)]
    with pytest.raises(Refused) as refused:
        push_raw(village, db, many, end=1)
    assert refused.value.code == "too_large"
    assert hub_db.execute("SELECT COUNT(*) FROM households").fetchone()[0] == 0


def test_the_county_releases_or_discards_what_a_village_sent_in_error(make_node, serve):
    hub, hub_db, server, village, db, victim = two_villages(make_node, serve)
    orphan = change(village, "persons", "p1", {"household_id": "later", "name": "孤儿", "area": VILLAGE_AREA})
    clash = change(village, "households", victim, {"head_name": "x"}, n=2)
    push_raw(village, db, [orphan, clash], end=2)
    county = Village(hub.data_dir)
    listed = json.loads(county("quarantine", "list", "--json").output)
    assert sorted(e["code"] for e in listed) == ["invalid", "outside_area"]
    by_code = {e["code"]: e["id"] for e in listed}
    # Still refused while its household is missing: a release re-checks, it does not skip checks.
    again = county("quarantine", "release", str(by_code["invalid"]))
    assert again.exit_code != 0 and "households" in again.output
    parent = change(village, "households", "later", {"code": "L1", "head_name": "父", "area": VILLAGE_AREA}, n=3)
    push_raw(village, db, [parent], start=2, end=3)
    assert county("quarantine", "release", str(by_code["invalid"])).exit_code == 0
    assert core.get(hub_db, "persons", "p1")["name"] == "孤儿"
    assert county("quarantine", "discard", str(by_code["outside_area"])).exit_code == 0
    assert json.loads(county("quarantine", "list", "--json").output) == []
    assert county("quarantine", "release", "99999").exit_code != 0


@pytest.mark.parametrize("lang,says", [("en", "were refused by the hub"), ("zh_Hans", "被中心拒绝"),
                                       ("ug", "مەركەز")])
def test_the_clerks_sync_page_shows_what_the_hub_refused(make_node, serve, lang, says):
    from clerk_helpers import login
    from village import create_app
    from village.users import add_user

    hub, hub_db, server, village, db, _link = enrolled_pair(make_node, serve, lang=lang)
    with writing(db, village.node_id) as writer:  # a buggy node writing past its own validator
        writer.put("households", "poison", {"code": "P", "head_name": "x", "members": "many", "area": VILLAGE_AREA})
    assert sync(village).exit_code == 0
    add_user(db, "clerk1", "clerk", "correct horse")
    client = create_app({"NODE": village, "TESTING": True, "WTF_CSRF_ENABLED": False}).test_client()
    assert login(client).status_code == 302
    page = client.get("/clerk/sync").get_data(as_text=True)
    assert says in page and "poison" in page
    assert {"en": "is not a whole number", "zh_Hans": "不是整数", "ug": "پۈتۈن سان"}[lang] in page


def test_a_usb_bundle_cannot_write_another_villages_record(make_node, serve, tmp_path):
    hub, hub_db, server, village, db, victim = two_villages(make_node, serve)
    before = hub_household(hub_db, victim)
    with writing(db, village.node_id) as writer:  # a tampered node: the bundle is signed with its own key
        writer.put("households", victim, {"code": "V0", "head_name": "冒名", "area": VILLAGE_AREA})
    add_households(db, village, 2)
    here, there = Village(village.data_dir), Village(hub.data_dir)
    assert here("bundle", "export", "--out", str(tmp_path / "push.bundle")).exit_code == 0
    imported = there("bundle", "import", str(tmp_path / "push.bundle"), "--reply", str(tmp_path / "reply.bundle"))
    assert imported.exit_code == 0, imported.output
    assert hub_household(hub_db, victim) == before
    assert hub_db.execute(f"SELECT COUNT(*) FROM households WHERE area = '{VILLAGE_AREA}'").fetchone()[0] == 2
    assert [e["row_id"] for e in held(hub_db)] == [victim]
    assert here("bundle", "import", str(tmp_path / "reply.bundle")).exit_code == 0
    assert [r["row_id"] for r in refusals(db)] == [victim]


# On PostgreSQL a column's type holds even against a hub writing past its validator: "many" never gets in.
@pytest.mark.parametrize("hub_engine", ["sqlite"], indirect=True)
def test_a_village_holds_what_its_hub_sends_that_no_validator_would_pass(make_node, serve):
    hub, hub_db, server, village, db, _link = enrolled_pair(make_node, serve)
    with writing(hub_db, hub.node_id) as writer:  # a buggy hub writing past its own validator
        writer.put("households", "from-hub", {"code": "Q", "head_name": "x", "members": "many", "area": VILLAGE_AREA})
    with core.write(hub_db, hub) as w:
        core.save(w, hub, "households", {"code": "OK1", "head_name": "好", "area": VILLAGE_AREA})
    assert sync(village).exit_code == 0
    assert core.get(db, "households", "from-hub") is None
    assert db.execute("SELECT COUNT(*) FROM households WHERE code = 'OK1'").fetchone()[0] == 1
    here = Village(village.data_dir)
    [entry] = json.loads(here("quarantine", "list", "--json").output)
    assert (entry["row_id"], entry["code"]) == ("from-hub", "invalid")
    still = here("quarantine", "release", str(entry["id"]))
    assert still.exit_code != 0 and "whole number" in still.output
    assert core.get(db, "households", "from-hub") is None
    assert here("quarantine", "discard", str(entry["id"])).exit_code == 0
