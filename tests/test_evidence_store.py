"""Evidence files on a node: the content-addressed store, attach() and its checks (issue 11, point 4)."""
import hashlib
import io
import stat

import evidence_helpers as helpers
import pytest
from PIL import Image

from sync.blobs import BlobProblem, BlobStore
from village.ops.status import node_status
from village.records import core, evidence
from village.records.validate import ValidationError

PDF, picture = helpers.PDF, helpers.picture


@pytest.fixture
def case(make_node):
    """A village node with one monitoring case; return (node, db, case id)."""
    node, db = make_node()
    return node, db, helpers.new_case(db, node)


def attach(node, db, owner, data, mime="application/pdf", kind="consent_scan", name="consent.pdf"):
    return helpers.attach(db, node, owner, data, kind, mime, name)


def test_attach_stores_the_file_by_sha256_and_saves_its_record(case):
    node, db, case_id = case
    row_id = attach(node, db, case_id, PDF)
    record = core.get(db, "attachments", row_id)
    sha = hashlib.sha256(PDF).hexdigest()
    assert (record["sha256"], record["size"], record["mime"], record["owner_id"]) == (sha, len(PDF),
                                                                                       "application/pdf", case_id)
    assert record["area"] == core.get(db, "monitor_cases", case_id)["area"]
    assert evidence.read(node, db, row_id) == (record, PDF)
    assert db.execute("SELECT COUNT(*) FROM _changes WHERE tbl = 'attachments'").fetchone()[0] == 1
    assert [f["id"] for f in evidence.files_of(db, "monitor_cases", case_id)] == [row_id]


def test_the_same_bytes_twice_are_stored_once(case):
    node, db, case_id = case
    first, second = attach(node, db, case_id, PDF), attach(node, db, case_id, PDF, kind="minutes")
    assert first != second
    blobs = [p for p in (node.data_dir / evidence.FILES_DIR).rglob("*") if p.is_file()]
    assert len(blobs) == 1 and blobs[0].name == hashlib.sha256(PDF).hexdigest()
    assert db.execute("SELECT COUNT(*) FROM sync_blobs").fetchone()[0] == 1


def test_files_are_private_to_the_node_user(case):
    node, db, case_id = case
    attach(node, db, case_id, PDF)
    blob = evidence.store(node).path(hashlib.sha256(PDF).hexdigest())
    assert stat.S_IMODE(blob.stat().st_mode) == 0o600
    for folder in (blob.parent, blob.parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


@pytest.mark.parametrize("data, mime", [
    (PDF, "image/jpeg"),  # a PDF said to be a photo
    (picture("PNG"), "image/jpeg"),
    (picture("JPEG"), "application/pdf"),
    (b"MZ\x90\x00 an executable", "application/pdf"),
    (b"<html><script>alert(1)</script>", "image/png"),
    (b"", "application/pdf"),
])
def test_the_bytes_must_be_what_the_mime_says_whatever_the_name(case, data, mime):
    node, db, case_id = case
    with pytest.raises(ValidationError) as refused:
        attach(node, db, case_id, data, mime=mime, name="scan.pdf")
    assert refused.value.problems[0][0] == "file"
    assert db.execute("SELECT COUNT(*) FROM attachments").fetchone()[0] == 0
    assert not (node.data_dir / evidence.FILES_DIR).exists()


def test_a_mime_we_do_not_keep_is_refused(case):
    node, db, case_id = case
    with pytest.raises(ValidationError):
        attach(node, db, case_id, b"GIF89a....", mime="image/gif", name="x.gif")


def test_a_damaged_picture_with_the_right_first_bytes_is_refused(case):
    node, db, case_id = case
    whole = picture("PNG")
    with pytest.raises(ValidationError) as refused:
        attach(node, db, case_id, whole[:40], mime="image/png", kind="photo", name="x.png")
    assert "damaged" in str(refused.value)


def test_a_file_over_20_mb_is_refused_with_its_size(case):
    node, db, case_id = case
    big = PDF + b"0" * (20 * 1024 * 1024)
    with pytest.raises(ValidationError) as refused:
        attach(node, db, case_id, big)
    assert "20 MB" in str(refused.value) and "at most 20" in str(refused.value)
    assert db.execute("SELECT COUNT(*) FROM attachments").fetchone()[0] == 0


def test_a_large_photo_is_made_smaller_and_a_small_one_kept_as_it_came(case):
    node, db, case_id = case
    small = picture("JPEG")
    row = core.get(db, "attachments", attach(node, db, case_id, small, mime="image/jpeg", kind="photo"))
    assert row["size"] == len(small)
    large = picture("JPEG", size=(2400, 1600), noise=True)
    assert len(large) > 2 * 1024 * 1024
    row = core.get(db, "attachments", attach(node, db, case_id, large, mime="image/jpeg", kind="photo"))
    kept = evidence.read(node, db, row["id"])[1]
    assert row["size"] == len(kept) < len(large) and kept.startswith(b"\xff\xd8\xff")
    assert Image.open(io.BytesIO(kept)).size == (2048, 1365)


def test_a_picture_with_too_many_pixels_is_refused_before_it_is_decoded(case):
    node, db, case_id = case
    out = io.BytesIO()
    Image.new("1", (10_000, 9_000)).save(out, "PNG")  # a few KB on disk, 90 million pixels
    with pytest.raises(ValidationError) as refused:
        attach(node, db, case_id, out.getvalue(), mime="image/png", kind="photo")
    assert "too many pixels" in str(refused.value)


def test_evidence_of_a_record_that_does_not_exist_is_refused(case):
    node, db, _case_id = case
    with pytest.raises(ValidationError):
        attach(node, db, "no-such-case", PDF)
    with core.write(db, node) as writer, pytest.raises(ValidationError):
        evidence.attach(writer, node, "households", "x", "photo", PDF, "x.pdf", "application/pdf")


def test_status_counts_files_waiting_and_missing(case):
    node, db, case_id = case
    attach(node, db, case_id, PDF)
    # A record naming a file this node never received (as one pulled from the hub would).
    with core.write(db, node) as writer:
        core.save(writer, node, "attachments", {"owner_table": "monitor_cases", "owner_id": case_id,
                                                "kind": "minutes", "sha256": "ab" * 32, "size": 10,
                                                "mime": "application/pdf"})
    sync = node_status(db, node)["sync"]
    assert (sync["files_waiting"], sync["files_missing"]) == (1, 1)
    assert [m["kind"] for m in evidence.missing(db)] == ["minutes"]


def test_a_blob_in_pieces_is_published_only_when_whole_and_right(tmp_path):
    store, data = BlobStore(tmp_path / "files"), b"x" * 1000
    sha = hashlib.sha256(data).hexdigest()
    assert store.append(sha, 1000, 0, data[:400]) == 400
    with pytest.raises(BlobProblem) as wrong:
        store.append(sha, 1000, 0, data[:400])  # sent again: the store says where it goes on
    assert (wrong.value.code, wrong.value.extra["offset"]) == ("offset", 400)
    assert not store.has(sha) and store.received(sha) == 400
    assert store.append(sha, 1000, 400, data[400:]) == 1000
    assert store.has(sha) and store.read(sha) == data
    assert store.append(sha, 1000, 0, data[:10]) == 1000  # held already: nothing written
    bad = hashlib.sha256(b"other").hexdigest()
    with pytest.raises(BlobProblem) as mismatch:
        store.append(bad, 5, 0, b"wrong")
    assert mismatch.value.code == "mismatch" and not store.has(bad) and store.received(bad) == 0


def test_the_clerks_sync_page_shows_files_waiting_and_missing(clerk, node, db):
    case_id = helpers.new_case(db, node)
    attach(node, db, case_id, PDF)
    with core.write(db, node) as writer:
        core.save(writer, node, "attachments", {"owner_table": "monitor_cases", "owner_id": case_id,
                                                "kind": "minutes", "sha256": "cd" * 32, "size": 10,
                                                "mime": "application/pdf", "name": "minutes-may.pdf"})
    page = clerk.get("/clerk/sync").get_data(as_text=True)
    waiting = page.split("Evidence files waiting to be sent</dt><dd>")[1]
    assert waiting.startswith("1<")
    assert "Evidence files missing" in page and "1 evidence records name a file" in page
    assert "deliberation minutes" in page and "minutes-may.pdf" in page and case_id in page
