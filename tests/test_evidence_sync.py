"""Evidence files on the file lane: after the records, resumable by piece, idempotent, over real HTTP."""
import hashlib

import pytest
from faultproxy import FaultProxy
from sync_helpers import enroll, enrolled_pair, sync
from evidence_helpers import PDF, attach, big_pdf, files_at, new_case

from sync import codes
from sync.filelane import PIECE
from sync.jobs import sync_once
from sync.meta import HUB_URL, set_meta
from sync.store import transaction
from sync.transport import Refused
from village.ops.status import node_status
from village.ops.sync import hub_client, run_sync
from village.records import core, evidence

pytestmark = pytest.mark.usefixtures("hub_engine")  # every test on a SQLite and a PostgreSQL hub


def through(db, url):
    with transaction(db):
        set_meta(db, HUB_URL, url)


def test_files_follow_their_records_to_the_hub_and_are_sent_once(make_node, serve):
    hub, hub_db, _server, village, db, _link = enrolled_pair(make_node, serve)
    case_id = new_case(db, village)
    scan, minutes = big_pdf(600_000), big_pdf(3_000)
    ids = attach(db, village, case_id, scan), attach(db, village, case_id, minutes, "minutes")
    assert node_status(db, village)["sync"]["files_waiting"] == 2
    result = run_sync(village)
    assert result.ok and (result.files_sent, result.files_waiting) == (2, 0), result
    for row_id, data in zip(ids, (scan, minutes)):
        assert evidence.read(hub, hub_db, row_id)[1] == data
    assert files_at(hub) == sorted(hashlib.sha256(d).hexdigest() for d in (scan, minutes))  # no .part left
    hub_files = node_status(hub_db, hub)["sync"]
    assert hub_files["files_missing"] == 0
    again = run_sync(village)
    assert again.ok and again.files_sent == 0 and node_status(db, village)["sync"]["files_waiting"] == 0


def test_records_never_wait_for_files(make_node, serve):
    hub, hub_db, _server, village, db, _link = enrolled_pair(make_node, serve)
    case_id = new_case(db, village)
    row_id = attach(db, village, case_id, PDF)
    # The hub cannot store files (its folder for them is taken by a file): the lane fails.
    blocker = hub.data_dir / evidence.FILES_DIR
    blocker.write_bytes(b"not a folder")
    result = run_sync(village)
    assert not result.ok and result.code == "files_waiting" and result.pending == 0, result
    assert core.get(hub_db, "attachments", row_id) is not None  # the record went through
    assert core.get(hub_db, "monitor_cases", case_id) is not None
    assert node_status(db, village)["sync"]["files_waiting"] == 1
    assert node_status(hub_db, hub)["sync"]["files_missing"] == 1  # seen as missing at the hub, not dropped
    assert sync(village).exit_code == 1
    blocker.unlink()
    assert run_sync(village).files_sent == 1
    assert evidence.read(hub, hub_db, row_id)[1] == PDF
    assert node_status(hub_db, hub)["sync"]["files_missing"] == 0


def test_an_upload_cut_part_way_goes_on_from_where_the_hub_stopped(make_node, serve):
    hub, hub_db, server, village, db, _link = enrolled_pair(make_node, serve)
    case_id = new_case(db, village)
    held, data = big_pdf(1000), big_pdf(4 * PIECE)
    attach(db, village, case_id, held)
    assert run_sync(village).files_sent == 1
    attach(db, village, case_id, data, "minutes")
    client = hub_client(village, db)
    sync_once(db, village.node_id, client)  # the records only (no blob store given)
    sha = hashlib.sha256(data).hexdigest()
    # Two pieces arrive, then the link breaks.
    for offset in (0, PIECE):
        assert client.send_piece(sha, len(data), offset, data[offset:offset + PIECE]).body == \
            {"received": offset + PIECE, "done": False}
    asked = client.files_have([(hashlib.sha256(held).hexdigest(), len(held)), (sha, len(data))]).body
    assert asked == {"have": [hashlib.sha256(held).hexdigest()], "want": {sha: 2 * PIECE}, "unknown": []}
    with FaultProxy(server.port) as proxy:
        through(db, proxy.url)
        result = run_sync(village)
    assert result.ok and result.files_sent == 1
    assert evidence.store(hub).read(sha) == data
    assert proxy.counters["bytes_up"] < 2 * PIECE + 50_000  # the two pieces left, not the whole file again


@pytest.mark.slow
def test_a_link_breaking_a_third_of_its_exchanges_loses_and_duplicates_no_file(make_node, serve):
    hub, hub_db, server, village, db, _link = enrolled_pair(make_node, serve)
    sent = {}
    for i in range(3):
        case_id = new_case(db, village, f"H{i}")
        for kind, size in (("consent_scan", 3 * PIECE + 17), ("minutes", 1000 + i)):
            data = big_pdf(size)
            sent[attach(db, village, case_id, data, kind)] = data
    rounds = 0
    with FaultProxy(server.port, break_every=3) as proxy:
        through(db, proxy.url)
        while True:
            rounds += 1
            result = run_sync(village)
            if result.code == "files_waiting":  # the file lane broke: the records went through all the same
                assert hub_db.execute("SELECT COUNT(*) FROM attachments").fetchone()[0] == len(sent)
            if result.ok:
                break
            assert rounds < 40, result
        breaks = sum(proxy.counters[f] for f in ("cut_request", "cut_response", "dropped_response"))
    assert breaks >= 3
    for row_id, data in sent.items():
        assert evidence.read(hub, hub_db, row_id)[1] == data
    assert len(files_at(hub)) == len(sent)  # each once, no .part left behind
    assert hub_db.execute("SELECT COUNT(*), COUNT(DISTINCT sha256) FROM sync_blobs").fetchone() == (6, 6)
    assert node_status(db, village)["sync"]["files_waiting"] == 0


def test_a_file_added_at_the_hub_comes_down_to_its_village_and_goes_on_after_a_break(make_node, serve):
    hub, hub_db, server, village, db, _link = enrolled_pair(make_node, serve)
    case_id = new_case(db, village)
    assert run_sync(village).ok
    data = big_pdf(3 * PIECE + 5)
    row_id = attach(hub_db, hub, case_id, data, "minutes")  # the county's scan of its decision
    sha = hashlib.sha256(data).hexdigest()
    # The first piece came before the link broke.
    evidence.store(village).append(sha, len(data), 0, data[:PIECE])
    with FaultProxy(server.port) as proxy:
        through(db, proxy.url)
        result = run_sync(village)
    assert result.ok and result.files_received == 1, result
    assert evidence.read(village, db, row_id)[1] == data
    assert proxy.counters["bytes_down"] < len(data) - PIECE + 50_000  # the first piece was not fetched again
    status = node_status(db, village)["sync"]
    assert (status["files_missing"], status["files_waiting"]) == (0, 0)  # not sent back up either
    assert run_sync(village).files_received == 0


def test_a_village_cannot_fetch_another_villages_file(make_node, serve):
    hub, hub_db, server, village, db, _link = enrolled_pair(make_node, serve)
    other, other_db = make_node(area="52/5201/520102/002", subdir="other")
    enroll(hub, server, other, "邻村")
    case_id = new_case(db, village)
    attach(db, village, case_id, PDF)
    assert run_sync(village).files_sent == 1
    sha = hashlib.sha256(PDF).hexdigest()
    with pytest.raises(Refused) as refused:
        hub_client(other, other_db).get_piece(sha, len(PDF), 0)
    assert refused.value.code == codes.FILE_UNKNOWN
    assert hub_client(village, db).get_piece(sha, len(PDF), 0).body == PDF  # its own village may
