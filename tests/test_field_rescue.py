"""A tablet's "Export unsynced" file carries its photos: the node keeps each once, checked as on the file lane.

The node is served over real HTTP (the tablet enrolls over it); the file is made as the field app makes
it (tests/field_helpers.py: its batch of sealed entries, its photos sealed to the node, the tablet's
signature) and imported with `village tablet import` or on the clerk's Tablets page.
"""
import base64
import json
import uuid

import pytest
from clerk_helpers import PASSWORD
from conftest import Village
from evidence_helpers import files_at, new_case, picture
from field_helpers import export_file, sealed_photo
from sync_helpers import add_households
from tablet_helpers import enrolled_tablet
from test_field_photos import JPEG, a_photo, a_visit, narrow, sha
from test_field_sealed import _token, _upload

from sync.batch import encode
from sync.clock import Clock
from village import create_app
from village.field.rescue import MAX_FILE
from village.records import core, evidence
from village.users import add_user


@pytest.fixture
def village(make_node, serve):
    """A served village node with two households, a field worker, a clerk and an enrolled tablet; a dict of them."""
    node, db = make_node()
    add_user(db, "field1", "fieldworker", PASSWORD)
    add_user(db, "clerk1", "clerk", PASSWORD)
    households = add_households(db, node, 2)
    server = serve(create_app({"NODE": node, "TESTING": True}))
    client, tablet = enrolled_tablet(node, server)
    return {"node": node, "db": db, "households": households, "client": client, "tablet": tablet, "clock": Clock()}


def visit_with_photo(v, data=JPEG, household=None):
    """Return (the sealed changes of a visit and its photo record naming `data`, the photo record's id)."""
    photo_id = str(uuid.uuid4())
    visit = a_visit(v, household, [photo_id])
    return [visit, a_photo(v, visit["row_id"], data, record=photo_id)], photo_id


def rescue_file(v, changes, photos):
    """Return the bytes of the tablet's export file holding `changes` (its outbox from 0) and `photos`."""
    return export_file(v["client"], encode({"start": 0, "end": len(changes)}, changes), photos)


def tablet_import(v, tmp_path, body):
    """Import `body` with `village tablet import`; return the click result."""
    path = tmp_path / "unsynced.json"
    path.write_bytes(body)
    return Village(v["node"].data_dir)("tablet", "import", str(path))


def clerk(v):
    """Return a test client of the node logged in as its clerk (CSRF checks on)."""
    client = create_app({"NODE": v["node"], "TESTING": True}).test_client()
    answer = client.post("/clerk/login", data={"username": "clerk1", "password": PASSWORD,
                                                "csrf_token": _token(client, "/clerk/login")})
    assert answer.status_code == 302
    return client


def test_the_file_carries_a_visit_with_its_photo_and_the_node_keeps_the_photo_once(village, tmp_path):
    v = village
    changes, photo_id = visit_with_photo(v)
    body = rescue_file(v, changes, [sealed_photo(v["node"], JPEG)])
    # A stick found in the road shows neither the photo nor its record.
    assert base64.b64encode(JPEG[:600]) not in body and JPEG[:600] not in body and b"photo.jpg" not in body
    page = _upload(clerk(v), body).get_data(as_text=True)
    assert "Imported 2 records from the tablet's file (2 new, 0 refused)." in page
    assert "Photos: 1 in the file, 1 kept now, 0 held here before, 0 refused." in page
    record = core.get(v["db"], "attachments", photo_id)
    assert record["sha256"] == sha(JPEG) and evidence.store(v["node"]).read(sha(JPEG)) == JPEG
    assert files_at(v["node"]) == [sha(JPEG)]
    assert evidence.file_counts(v["db"]) == {"files_waiting": 1, "files_missing": 0}  # next: up to the county
    again = tablet_import(v, tmp_path, body)  # the same file again, from a USB stick
    assert again.exit_code == 0, again.output
    assert "(0 new, 0 refused)" in again.output
    assert "Photos: 1 in the file, 0 kept now, 1 held here before, 0 refused." in again.output
    assert files_at(v["node"]) == [sha(JPEG)] and len(list(core.rows(v["db"], "attachments"))) == 1
    # Back in range, the tablet asks about its photo: the node holds it, so the tablet drops its copy.
    assert v["client"].files_have([(sha(JPEG), len(JPEG))]).body["have"] == [sha(JPEG)]


def _bad_photo(v, attack):
    """Return (changes, the sealed photo a tablet's file carries that the node must not keep, its name)."""
    changes, _photo_id = visit_with_photo(v)
    if attack == "other_bytes":  # other bytes of the same length under the name its record gives
        return changes, sealed_photo(v["node"], bytes(reversed(JPEG)), name=sha(JPEG)), sha(JPEG)
    if attack == "moved":  # a photo's sealed bytes listed under another photo's name (its record in the file too)
        other = picture(size=(320, 240), noise=True)
        more, _other_id = visit_with_photo(v, other)
        return changes + more, {**sealed_photo(v["node"], JPEG), "sha256": sha(other), "size": len(other)}, sha(other)
    if attack == "unnamed":  # no record names it
        other = picture(size=(320, 240), noise=True)
        return changes, sealed_photo(v["node"], other), sha(other)
    if attack == "outside_area":  # named by a village record outside the tablet's group only
        outside = picture(size=(200, 100), noise=True)
        case = new_case(v["db"], v["node"], code="G1")
        with core.write(v["db"], v["node"]) as writer:
            core.save(writer, v["node"], "attachments", {"owner_table": "monitor_cases", "owner_id": case,
                                                         "kind": "photo", "sha256": sha(outside),
                                                         "size": len(outside), "mime": "image/jpeg"})
        narrow(v)
        return [a_visit(v, v["group_household"])], sealed_photo(v["node"], outside), sha(outside)
    data = {"png": picture("PNG", size=(320, 240), noise=True), "cut_short": JPEG[:len(JPEG) // 2],
            "junk": b"\xff\xd8\xff" + b"\0" * 4000}[attack]
    changes, _photo_id = visit_with_photo(v, data)  # its record says image/jpeg, of these very bytes
    return changes, sealed_photo(v["node"], data), sha(data)


@pytest.mark.parametrize("attack, says", [
    ("other_bytes", "its bytes are not the ones its name and size say"),
    ("moved", "its bytes are not the ones its name and size say"),
    ("unnamed", "no record of the sender's area names it here"),
    ("outside_area", "no record of the sender's area names it here"),
    ("png", "it is not the kind of file its record says"),
    ("cut_short", "it is not the kind of file its record says"),
    ("junk", "it is not the kind of file its record says"),
])
def test_a_photo_the_node_must_not_keep_is_refused_and_nothing_of_it_is_kept(village, tmp_path, attack, says):
    v = village
    changes, photo, name = _bad_photo(v, attack)
    # Signed by the tablet itself (an attacker is a user too): the file opens, the photo's checks refuse it.
    result = tablet_import(v, tmp_path, rescue_file(v, changes, [photo]))
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    assert "Photos: 1 in the file, 0 kept now, 0 held here before, 1 refused." in result.output
    assert f"{name[:12]}…: {says}" in result.output
    assert files_at(v["node"]) == []  # neither kept nor left as a part
    assert evidence.file_counts(v["db"])["files_waiting"] == 0
    assert core.get(v["db"], "visits", changes[0]["row_id"]) is not None  # the records still apply


def test_a_photo_changed_after_the_tablet_signed_refuses_the_whole_file(village, tmp_path):
    v = village
    changes, _photo_id = visit_with_photo(v)
    data = json.loads(rescue_file(v, changes, [sealed_photo(v["node"], JPEG)]))
    # Anyone can seal to the node's public key: the swap opens, but the tablet's signature no longer holds.
    other = picture(size=(640, 480), noise=True)
    data["photos"][0] = sealed_photo(v["node"], other)
    result = tablet_import(v, tmp_path, json.dumps(data).encode())
    assert result.exit_code == 1 and "it was changed after the tablet wrote it. Nothing was imported." in result.output
    assert list(core.rows(v["db"], "visits")) == [] and files_at(v["node"]) == []


def test_a_file_too_big_is_refused_before_it_is_read_and_said_plainly(village, tmp_path):
    v = village
    path = tmp_path / "huge.json"
    with open(path, "wb") as handle:
        handle.truncate(MAX_FILE + 1)  # sparse: nothing to read in it
    result = Village(v["node"].data_dir)("tablet", "import", str(path))
    assert result.exit_code == 1 and "more than a tablet's file may be (32 MB): nothing was imported" in result.output
    page = _upload(clerk(v), b"{" + b" " * (MAX_FILE + 128 * 1024) + b"}")
    text = page.get_data(as_text=True)
    assert page.status_code == 413 and "more than a tablet&#39;s file may be (32 MB)" in text
    assert 'aria-invalid="true"' in text and "Traceback" not in text  # the form again, the problem marked


def test_a_file_of_the_app_before_photos_travelled_in_it_still_imports(village, tmp_path):
    v = village
    changes, _photo_id = visit_with_photo(v)
    body = export_file(v["client"], encode({"start": 0, "end": 2}, changes), fmt="village-tablet-export/1")
    result = tablet_import(v, tmp_path, body)
    assert result.exit_code == 0 and "Imported 2 records from the tablet's file (2 new, 0 refused)." in result.output
    assert "Photos" not in result.output
