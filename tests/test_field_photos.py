"""A tablet's photos: an attachments record sealed with their visit, the bytes on the file lane, checked at the node.

The node is served over real HTTP; the tablet is a HubClient with the credentials it enrolled with,
signing every request as the field app does (tests/test_field_app_browser.py drives the app itself).
"""
import hashlib
import json
import uuid

import pytest
from clerk_helpers import PASSWORD
from evidence_helpers import PDF, files_at, new_case, picture
from field_helpers import sealed_change
from sync_helpers import add_households, enroll, serve_hub, sync
from tablet_helpers import enrolled_tablet

from sync import codes
from sync.batch import encode
from sync.clock import Clock
from sync.transport import Refused
from village import create_app
from village.records import core, evidence
from village.users import add_user

JPEG = picture(size=(640, 480), noise=True)


@pytest.fixture
def village(make_node, serve):
    """A village node with two households and a field worker, and an enrolled tablet; return a dict of them."""
    node, db = make_node()
    add_user(db, "field1", "fieldworker", PASSWORD)
    households = add_households(db, node, 2)
    server = serve(create_app({"NODE": node, "TESTING": True}))
    client, tablet = enrolled_tablet(node, server)
    return {"node": node, "db": db, "server": server, "households": households, "client": client, "tablet": tablet,
            "clock": Clock()}


def sha(data):
    return hashlib.sha256(data).hexdigest()


def a_visit(v, household=None, photo_ids=()):
    """Return a sealed plot inspection of `household` whose answers name `photo_ids`, as the app captures it."""
    answers = {"condition": "poor", **({"photos": list(photo_ids)} if photo_ids else {})}
    return sealed_change(v["node"], v["tablet"], "visits", {
        "household_id": household or v["households"][0], "kind": "plot_inspection", "visited_on": "2026-05-01",
        "answers": answers}, v["clock"])


def a_photo(v, owner_id, data=JPEG, record=None, **values):
    """Return the sealed attachments record of a photo of visit `owner_id`, as the app captures it."""
    photo = {"owner_table": "visits", "owner_id": owner_id, "kind": "photo", "sha256": sha(data), "size": len(data),
             "mime": "image/jpeg", "name": "photo.jpg", **values}
    return sealed_change(v["node"], v["tablet"], "attachments", photo, v["clock"], record=record)


def push(v, *changes):
    """Push `changes` as the tablet's next batch; return the acknowledgement."""
    start = v.setdefault("pushed", 0)
    v["pushed"] = start + len(changes)
    return v["client"].push(encode({"start": start, "end": v["pushed"]}, list(changes))).body


def captured(v, data=JPEG, household=None):
    """Push a visit with one photo of `data`; return (visit id, photo record id)."""
    photo_id = str(uuid.uuid4())
    visit = a_visit(v, household, [photo_id])
    ack = push(v, visit, a_photo(v, visit["row_id"], data, record=photo_id))
    assert (ack["applied"], ack["refused"]) == (2, [])
    return visit["row_id"], photo_id


def refused(call):
    with pytest.raises(Refused) as caught:
        call()
    return caught.value


def test_a_photo_record_comes_with_its_visit_and_its_bytes_follow_in_pieces_once(village):
    v, client, name = village, village["client"], sha(JPEG)
    assert client.files_have([(name, len(JPEG))]).body["unknown"] == [name]  # no record names it yet
    visit_id, photo_id = captured(v)
    record = core.get(v["db"], "attachments", photo_id)
    visit = core.get(v["db"], "visits", visit_id)
    assert (record["owner_id"], record["sha256"], record["size"], record["area"]) == (visit_id, name, len(JPEG),
                                                                                     visit["area"])
    assert json.loads(visit["answers"])["photos"] == [photo_id] and visit["visitor"] == "field1"
    assert client.files_have([(name, len(JPEG))]).body["want"] == {name: 0}
    half = len(JPEG) // 2
    assert client.send_piece(name, len(JPEG), 0, JPEG[:half]).body == {"received": half, "done": False}
    assert client.files_have([(name, len(JPEG))]).body["want"] == {name: half}  # a break: it goes on from here
    again = refused(lambda: client.send_piece(name, len(JPEG), 0, JPEG[:half]))  # an answer lost: sent again
    assert (again.code, again.extra["offset"]) == (codes.FILE_OFFSET, half)
    assert client.send_piece(name, len(JPEG), half, JPEG[half:]).body == {"received": len(JPEG), "done": True}
    assert evidence.store(v["node"]).read(name) == JPEG and files_at(v["node"]) == [name]
    assert client.files_have([(name, len(JPEG))]).body["have"] == [name]
    assert client.send_piece(name, len(JPEG), 0, JPEG).body["done"]  # held already: nothing written twice
    assert evidence.file_counts(v["db"]) == {"files_waiting": 1, "files_missing": 0}  # next: up to the county


def narrow(v):
    """Make the tablet a tablet of one group of the village (area .../01), with a household of its own there."""
    with core.write(v["db"], v["node"]) as writer:
        v["group_household"] = core.save(writer, v["node"], "households", {"code": "G01", "head_name": "李四",
                                                                          "area": v["node"].area + "/01"})
    v["db"].execute("UPDATE nodes SET area = ? WHERE kind = 'tablet'", [v["node"].area + "/01"])
    v["db"].commit()


def _bad_file(v, attack):
    """Return (sha, size, bytes sent) of a file the node must not keep, its record pushed when it has one."""
    if attack == "wrong_sha":  # other bytes of the same length under a named file's name
        _visit, _photo = captured(v)
        return sha(JPEG), len(JPEG), bytes(reversed(JPEG))
    if attack == "unnamed":
        other = picture(size=(320, 240), noise=True)
        return sha(other), len(other), other
    if attack == "outside_scope":  # named by a record of the village, outside the tablet's group
        case = new_case(v["db"], v["node"], code="G1")
        with core.write(v["db"], v["node"]) as writer:
            core.save(writer, v["node"], "attachments", {"owner_table": "monitor_cases", "owner_id": case,
                                                         "kind": "consent_scan", "sha256": sha(PDF), "size": len(PDF),
                                                         "mime": "application/pdf"})
        narrow(v)
        return sha(PDF), len(PDF), PDF
    data = {"png": picture("PNG", size=(320, 240), noise=True), "pdf": PDF,
            "cut_short": JPEG[:len(JPEG) // 2], "junk": b"\xff\xd8\xff" + b"\0" * 4000}[attack]
    captured(v, data)  # a record that says image/jpeg, and these bytes under its name
    return sha(data), len(data), data


@pytest.mark.parametrize("attack, code", [
    ("wrong_sha", codes.FILE_MISMATCH), ("unnamed", codes.FILE_UNKNOWN), ("outside_scope", codes.FILE_UNKNOWN),
    ("png", codes.FILE_REFUSED), ("pdf", codes.FILE_REFUSED), ("cut_short", codes.FILE_REFUSED),
    ("junk", codes.FILE_REFUSED),
])
def test_a_file_the_node_must_not_keep_is_refused_and_nothing_is_kept(village, attack, code):
    v, client = village, village["client"]
    name, size, data = _bad_file(v, attack)
    error = refused(lambda: client.send_piece(name, size, 0, data))
    assert error.code == code
    assert files_at(v["node"]) == []  # neither published nor kept as a part
    assert evidence.file_counts(v["db"])["files_waiting"] == 0
    if code == codes.FILE_REFUSED:
        assert error.status == 422 and error.extra["offset"] == 0
        assert client.files_have([(name, size)]).body["want"] == {name: 0}  # still wanted: the right bytes may come


def _bad_record(v, attack):
    """Return the sealed change of an attachments record a tablet may not write (its visit pushed first if any)."""
    if attack == "no_visit":
        return a_photo(v, str(uuid.uuid4()))
    if attack == "other_table":
        case = new_case(v["db"], v["node"], code="C9")
        return a_photo(v, case, owner_table="monitor_cases")
    if attack == "outside_area":  # a visit of the village held at the node, outside the tablet's group
        with core.write(v["db"], v["node"]) as writer:
            visit = core.save(writer, v["node"], "visits", {"household_id": v["households"][1], "visitor": "clerk",
                                                            "kind": "elderly_care", "visited_on": "2026-05-01"})
        narrow(v)
        return a_photo(v, visit)
    if attack == "edit":  # a photo record already held, named again with other bytes
        _visit, photo_id = captured(v)
        return a_photo(v, _visit, picture(size=(32, 32)), record=photo_id)
    visit = a_visit(v)
    push(v, visit)
    return a_photo(v, visit["row_id"], **{"not_a_photo": {"kind": "consent_scan"}, "not_jpeg": {"mime": "image/png"},
                                          "too_large": {"size": 20 * 1024 * 1024 + 1}}[attack])


@pytest.mark.parametrize("attack", ["no_visit", "other_table", "outside_area", "edit", "not_a_photo", "not_jpeg",
                                    "too_large"])
def test_a_photo_record_a_tablet_may_not_write_is_held_and_changes_nothing(village, attack):
    v = village
    bad = _bad_record(v, attack)
    before = list(core.rows(v["db"], "attachments"))
    good = a_visit(v, v.get("group_household"))
    ack = push(v, bad, good)  # a 200: the rest of the batch applies
    assert [r["version"] for r in ack["refused"]] == [bad["version"]]
    assert list(core.rows(v["db"], "attachments")) == before
    assert core.get(v["db"], "visits", good["row_id"]) is not None
    held = v["db"].execute("SELECT COUNT(*) FROM sync_quarantine WHERE version = ?", [bad["version"]]).fetchone()[0]
    assert held == 1


def test_a_tablet_fetches_no_files(village):
    v = village
    case = new_case(v["db"], v["node"])
    with core.write(v["db"], v["node"]) as writer:
        evidence.attach(writer, v["node"], "monitor_cases", case, "consent_scan", PDF, "consent.pdf", "application/pdf")
    error = refused(lambda: v["client"].get_piece(sha(PDF), len(PDF), 0))
    assert error.code == codes.FILE_UNKNOWN


@pytest.mark.usefixtures("hub_engine")  # on a SQLite and a PostgreSQL hub
def test_a_tablets_photo_reaches_the_county_with_the_next_village_sync(make_node, serve):
    hub, hub_db, hub_server = serve_hub(make_node, serve)
    node, db = make_node()
    add_user(db, "field1", "fieldworker", PASSWORD)
    households = add_households(db, node, 1)
    enroll(hub, hub_server, node)
    server = serve(create_app({"NODE": node, "TESTING": True}))
    client, tablet = enrolled_tablet(node, server)
    v = {"node": node, "db": db, "households": households, "client": client, "tablet": tablet, "clock": Clock()}
    _visit, photo_id = captured(v)
    assert client.send_piece(sha(JPEG), len(JPEG), 0, JPEG).body["done"]
    for _ in range(2):  # the village's next sync, and one more: once
        assert sync(node).exit_code == 0
        assert evidence.store(hub).read(sha(JPEG)) == JPEG
        assert [r["id"] for r in core.rows(hub_db, "attachments")] == [photo_id]
    assert evidence.file_counts(db)["files_waiting"] == 0
