"""USB bundles carry evidence files too, checked at the hub as over HTTP (issue 11, point 4)."""
import hashlib

import pytest
from conftest import Village
from evidence_helpers import PDF, attach, big_pdf, files_at, new_case, picture
from sync_helpers import enrolled_pair

from sync.filelane import index_blob
from village.ops.status import node_status
from village.records import core, evidence


@pytest.fixture
def pair(make_node, serve):
    """An enrolled village and its county hub (the hub's HTTP server only serves the enrollment)."""
    hub, hub_db, _server, village, db, _link = enrolled_pair(make_node, serve)
    return hub, hub_db, village, db


def run(node, *args):
    result = Village(node.data_dir)("bundle", *args)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_bundle_carries_the_files_and_its_reply_says_the_hub_holds_them(pair, tmp_path):
    hub, hub_db, village, db = pair
    case_id = new_case(db, village)
    scan, photo = big_pdf(300_000), picture("PNG")
    ids = attach(db, village, case_id, scan), attach(db, village, case_id, photo, "photo", "image/png", "p.png")
    out = run(village, "export", "--out", str(tmp_path / "push.bundle"))
    assert "2 evidence files; 0 more" in out
    said = run(hub, "import", str(tmp_path / "push.bundle"), "--reply", str(tmp_path / "reply.bundle"))
    assert "2 held here now, 0 refused" in said
    for row_id, data in zip(ids, (scan, photo)):
        assert evidence.read(hub, hub_db, row_id)[1] == data
    assert node_status(hub_db, hub)["sync"]["files_missing"] == 0
    # The same bundle again: nothing more is stored.
    before = files_at(hub)
    run(hub, "import", str(tmp_path / "push.bundle"), "--reply", str(tmp_path / "reply2.bundle"))
    assert files_at(hub) == before and len(before) == 2
    assert node_status(db, village)["sync"]["files_waiting"] == 2
    run(village, "import", str(tmp_path / "reply.bundle"))
    assert node_status(db, village)["sync"]["files_waiting"] == 0
    out = run(village, "export", "--out", str(tmp_path / "next.bundle"))
    assert "evidence files" not in out  # nothing left to carry


def test_a_bundle_file_no_record_names_or_with_wrong_bytes_is_not_kept(pair, tmp_path):
    hub, hub_db, village, db = pair
    case_id = new_case(db, village)
    attach(db, village, case_id, PDF)
    # A node that lists files of its own making: one no record names, one whose bytes changed on disk.
    store = evidence.store(village)
    stray = store.put(b"%PDF-1.4 a file no record names")
    forged = big_pdf(2000)
    forged_id = attach(db, village, case_id, forged, "minutes")
    store.path(hashlib.sha256(forged).hexdigest()).write_bytes(b"%PDF-" + b"y" * (len(forged) - 5))
    with core.write(db, village) as writer:
        index_blob(writer.db, stray, store.size(stray))
    out = run(village, "export", "--out", str(tmp_path / "push.bundle"))
    assert "3 evidence files" in out
    said = run(hub, "import", str(tmp_path / "push.bundle"), "--reply", str(tmp_path / "reply.bundle"))
    assert "1 held here now, 2 refused" in said
    assert files_at(hub) == [hashlib.sha256(PDF).hexdigest()]
    assert [m["id"] for m in evidence.missing(hub_db)] == [forged_id]  # shown as missing at the hub
    run(village, "import", str(tmp_path / "reply.bundle"))
    assert node_status(db, village)["sync"]["files_waiting"] == 2  # kept, never marked as sent
