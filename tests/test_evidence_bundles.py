"""USB bundles carry evidence files too, checked at the hub as over HTTP (issue 11, point 4)."""
import hashlib

import pytest
from conftest import Village
from evidence_helpers import PDF, attach, big_pdf, files_at, new_case, picture
from sync_helpers import enrolled_pair

from sync.filelane import index_blob
from village.ops.status import node_status
from village.records import core, evidence

pytestmark = pytest.mark.usefixtures("hub_engine")  # every test on a SQLite and a PostgreSQL hub


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
    assert "2 held here now (2 new), 0 refused" in said
    for row_id, data in zip(ids, (scan, photo)):
        assert evidence.read(hub, hub_db, row_id)[1] == data
    assert node_status(hub_db, hub)["sync"]["files_missing"] == 0
    # The same bundle again: nothing more is stored.
    before = files_at(hub)
    again = run(hub, "import", str(tmp_path / "push.bundle"), "--reply", str(tmp_path / "reply2.bundle"))
    assert "2 held here now (0 new), 0 refused" in again
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
    assert "1 held here now (1 new), 2 refused" in said
    assert f"{stray[:12]}…: no record of the sender's area names it here" in said
    assert f"{hashlib.sha256(forged).hexdigest()[:12]}…: its bytes are not the ones its name and size say" in said
    assert files_at(hub) == [hashlib.sha256(PDF).hexdigest()]
    assert [m["id"] for m in evidence.missing(hub_db)] == [forged_id]  # shown as missing at the hub
    run(village, "import", str(tmp_path / "reply.bundle"))
    assert node_status(db, village)["sync"]["files_waiting"] == 2  # kept, never marked as sent


def test_a_bundle_file_named_only_by_another_villages_record_is_not_kept_and_the_rest_applies(pair, tmp_path):
    hub, hub_db, village, db = pair
    other_area = village.area.rsplit("/", 1)[0] + "/002"  # a neighbouring village of the same county
    theirs, ours = big_pdf(5000), big_pdf(6000)
    with core.write(hub_db, hub) as writer:  # the neighbour's consent scan: its record came up from them
        household = core.save(writer, hub, "households", {"code": "B1", "head_name": "李明", "area": other_area})
        case = core.save(writer, hub, "monitor_cases", {"household_id": household, "channel": "self_report",
                                                        "lead_on": "2026-05-01", "area": other_area})
        core.save(writer, hub, "attachments", {"owner_table": "monitor_cases", "owner_id": case, "area": other_area,
                                               "kind": "consent_scan", "sha256": hashlib.sha256(theirs).hexdigest(),
                                               "size": len(theirs), "mime": "application/pdf"})
    case_id = new_case(db, village)
    ours_id = attach(db, village, case_id, ours)
    # This village carries the neighbour's file as if it were one of its own (a node made to, or a mix-up).
    with core.write(db, village) as writer:
        index_blob(writer.db, evidence.store(village).put(theirs), len(theirs))
    assert "2 evidence files" in run(village, "export", "--out", str(tmp_path / "push.bundle"))
    said = run(hub, "import", str(tmp_path / "push.bundle"), "--reply", str(tmp_path / "reply.bundle"))
    assert "Evidence files: 1 held here now (1 new), 1 refused." in said
    assert f"{hashlib.sha256(theirs).hexdigest()[:12]}…: no record of the sender's area names it here" in said
    assert files_at(hub) == [hashlib.sha256(ours).hexdigest()]  # the neighbour's file is not kept
    assert evidence.read(hub, hub_db, ours_id)[1] == ours  # the rest of the bundle applied
    assert core.get(hub_db, "monitor_cases", case_id) is not None
    run(village, "import", str(tmp_path / "reply.bundle"))
    assert node_status(db, village)["sync"]["files_waiting"] == 1  # the refused one is not marked as sent
