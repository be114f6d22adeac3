"""Attacks on the hub's file lane: nobody fills its disk with files no record names, or with wrong bytes."""
import hashlib
import os

import pytest
import requests
from evidence_helpers import PDF, attach, files_at, new_case
from sync_helpers import enrolled_pair

from sync import codes
from sync.auth import sign
from sync.filelane import MAX_PIECE
from sync.transport import Refused
from village.ops.sync import hub_client, run_sync
from village.records import core

pytestmark = pytest.mark.usefixtures("hub_engine")  # every test on a SQLite and a PostgreSQL hub


@pytest.fixture
def link(make_node, serve):
    """A hub holding one village's evidence record (its file not sent yet); return (hub, village's client, file)."""
    hub, hub_db, _server, village, db, _link = enrolled_pair(make_node, serve)
    case_id = new_case(db, village)
    attach(db, village, case_id, PDF)
    with core.write(db, village) as writer:  # the village's file store is emptied: only the record goes up
        writer.db.execute("DELETE FROM sync_blobs")
    assert run_sync(village).ok
    assert hub_db.execute("SELECT COUNT(*) FROM attachments").fetchone()[0] == 1 and files_at(hub) == []
    return hub, hub_client(village, db), PDF


def refused(call):
    with pytest.raises(Refused) as caught:
        call()
    return caught.value


def test_files_no_record_names_are_refused_and_nothing_is_written(link):
    hub, client, _pdf = link
    for _ in range(20):  # 20 MB of junk, each a "file" of its own
        junk = os.urandom(MAX_PIECE)
        sha = hashlib.sha256(junk).hexdigest()
        assert client.files_have([(sha, len(junk))]).body == {"have": [], "want": {}, "unknown": [sha]}
        assert refused(lambda: client.send_piece(sha, len(junk), 0, junk)).code == codes.FILE_UNKNOWN
    assert files_at(hub) == []


def test_a_named_file_with_another_size_is_refused(link):
    hub, client, pdf = link
    sha = hashlib.sha256(pdf).hexdigest()
    padded = pdf + b"\0" * 1000  # room for more than the record says: still unknown
    assert refused(lambda: client.send_piece(sha, len(padded), 0, padded)).code == codes.FILE_UNKNOWN
    assert files_at(hub) == []


def test_wrong_bytes_under_a_named_files_name_are_thrown_away(link):
    hub, client, pdf = link
    sha = hashlib.sha256(pdf).hexdigest()
    forged = b"%PDF-" + b"x" * (len(pdf) - 5)
    error = refused(lambda: client.send_piece(sha, len(pdf), 0, forged))
    assert (error.code, error.extra["offset"]) == (codes.FILE_MISMATCH, 0)
    assert files_at(hub) == []  # neither published nor kept as a part
    assert client.send_piece(sha, len(pdf), 0, pdf).body == {"received": len(pdf), "done": True}
    assert files_at(hub) == [sha]


@pytest.mark.parametrize("offset, piece, code", [
    (10, PDF[10:20], codes.FILE_OFFSET),  # a piece that does not start where the hub's copy ends
    (0, PDF + b"more", codes.TOO_LARGE),  # past the file's size
])
def test_a_piece_out_of_place_is_refused(link, offset, piece, code):
    hub, client, pdf = link
    sha = hashlib.sha256(pdf).hexdigest()
    error = refused(lambda: client.send_piece(sha, len(pdf), offset, piece))
    assert error.code == code
    assert not any(name == sha for name in files_at(hub))


def test_a_piece_over_the_limit_is_refused_before_it_is_read(link):
    hub, client, _pdf = link
    data = os.urandom(MAX_PIECE + 1)
    error = refused(lambda: client.send_piece(hashlib.sha256(data).hexdigest(), len(data), 0, data))
    assert (error.status, error.code) == (413, codes.TOO_LARGE)
    assert files_at(hub) == []


@pytest.mark.parametrize("name", ["AB" * 32, "ab" * 31, "zz" * 32, "ab" * 33])
def test_a_file_name_that_is_no_sha256_is_refused(link, name):
    _hub, client, _pdf = link
    error = refused(lambda: client.send_piece(name, 5, 0, b"%PDF-"))
    assert (error.status, error.code) == (400, codes.BAD_REQUEST)


@pytest.mark.parametrize("body", [b"{}", b"[]", b'{"files": "x"}', b'{"files": [["ab", 1]]}',
                                  b'{"files": [["' + b"ab" * 32 + b'", -1]]}',
                                  b'{"files": [' + b",".join([b'["' + b"ab" * 32 + b'", 1]'] * 501) + b"]}"])
def test_a_malformed_question_is_refused(link, body):
    _hub, client, _pdf = link
    client.prepare()
    nonce, client.nonce = client.nonce, None
    headers = {"X-Sync-Node": client.node_id, "X-Sync-Nonce": nonce, "Content-Type": "application/json",
               "X-Sync-Signature": sign(client.secret, "POST", "/sync/files/have", body, nonce, client.node_id)}
    answer = requests.post(client.url + "/sync/files/have", data=body, headers=headers, timeout=10)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == codes.BAD_REQUEST


def test_an_unsigned_or_forged_piece_is_refused(link):
    hub, client, pdf = link
    sha = hashlib.sha256(pdf).hexdigest()
    path = f"/sync/files/{sha}/{len(pdf)}/0"
    unsigned = requests.post(client.url + path, data=pdf, timeout=10)
    assert unsigned.status_code == 401 and unsigned.json()["error"]["code"] == codes.BAD_CREDENTIALS
    client.prepare()
    nonce = client.nonce
    # Signed for another offset: the path is part of what is signed.
    forged = requests.post(client.url + path, data=pdf, timeout=10, headers={
        "X-Sync-Node": client.node_id, "X-Sync-Nonce": nonce,
        "X-Sync-Signature": sign(client.secret, "POST", f"/sync/files/{sha}/{len(pdf)}/1", pdf, nonce,
                                 client.node_id)})
    assert forged.status_code == 401
    assert files_at(hub) == []


@pytest.mark.parametrize("size, offset", [("x", "0"), ("5", "-1"), ("٥", "0"), ("1" * 16, "0")])
def test_a_size_or_offset_that_is_no_whole_number_is_refused(link, size, offset):
    hub, client, _pdf = link
    sha = "ab" * 32
    client.prepare()
    nonce, path = client.nonce, f"/sync/files/{sha}/{size}/{offset}"
    answer = requests.post(client.url + path, data=b"%PDF-", timeout=10, headers={
        "X-Sync-Node": client.node_id, "X-Sync-Nonce": nonce,
        "X-Sync-Signature": sign(client.secret, "POST", path, b"%PDF-", nonce, client.node_id)})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == codes.BAD_REQUEST
    assert files_at(hub) == []
