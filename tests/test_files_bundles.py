"""USB bundles as files someone else may find: sealed to the receiver, bounded, checked before reading."""
import json
import os
import resource
import subprocess
import sys
import zlib

import pytest
from conftest import Village
from sync_helpers import add_households, assert_same, edit, enrolled_pair

import sync.bundle
from sync.bundle_file import MAGIC, MAX_BUNDLE_BYTES, OLD_MAGIC
from sync.jobs import pending_count
from sync.meta import get_meta
from sync.store import transaction
from village.records import core

pytestmark = pytest.mark.usefixtures("hub_engine")  # every test on a SQLite and a PostgreSQL hub


@pytest.fixture
def pair(make_node, serve):
    """An enrolled village (with five households) and its county hub."""
    hub, hub_db, _server, village, village_db, _link = enrolled_pair(make_node, serve)
    add_households(village_db, village, 5)
    return hub, hub_db, village, village_db


def run(node, *args):
    return Village(node.data_dir)("bundle", *args)


def readable_text(raw):
    """Return every byte anyone could read from `raw`: as it is, and inflated from any zlib stream in it."""
    found = [raw]
    for at in range(len(raw) - 2):
        if raw[at] == 0x78:
            try:
                found.append(zlib.decompressobj().decompress(raw[at:], 10_000_000))
            except zlib.error:
                continue
    return b"\n".join(found)


def test_a_found_stick_shows_no_personal_data(pair, tmp_path):
    hub, hub_db, village, village_db = pair
    household = village_db.execute("SELECT id, head_name, phone FROM households LIMIT 1").fetchone()
    push, reply = tmp_path / "push.bundle", tmp_path / "reply.bundle"
    assert run(village, "export", "--out", str(push)).exit_code == 0
    assert run(hub, "import", str(push), "--reply", str(reply)).exit_code == 0
    edit(hub_db, hub, "households", household[0], phone="13912345678", notes="低保户 王秘密")
    assert run(hub, "import", str(push), "--reply", str(reply.with_name("reply2.bundle"))).exit_code == 0
    for path in (push, reply.with_name("reply2.bundle")):
        text = readable_text(path.read_bytes())
        for secret in (household[1], household[2], "13912345678", "王秘密"):
            assert secret.encode() not in text, (path.name, secret)
    # ...while the village that holds the key reads the reply.
    assert run(village, "import", str(reply.with_name("reply2.bundle"))).exit_code == 0
    assert core.get(village_db, "households", household[0])["notes"] == "低保户 王秘密"


def test_a_bundle_sealed_to_another_key_is_refused(pair, tmp_path):
    hub, hub_db, village, village_db = pair
    push = tmp_path / "push.bundle"
    assert run(village, "export", "--out", str(push)).exit_code == 0
    os.unlink(hub.data_dir / "sealing_key.pem")  # the hub lost its key: it makes a new one
    result = run(hub, "import", str(push))
    assert result.exit_code == 1 and "encrypted for another key" in result.output
    assert hub_db.execute("SELECT COUNT(*) FROM households").fetchone()[0] == 0


@pytest.mark.parametrize("stored", [None, "", "not a key"])
def test_a_node_enrolled_before_bundles_were_sealed_is_told_to_enroll_again(pair, tmp_path, stored):
    hub, hub_db, village, village_db = pair
    with transaction(village_db):
        village_db.execute("DELETE FROM _sync_meta WHERE key = 'sync.hub_sealing_key'")
        if stored is not None:
            village_db.execute("INSERT INTO _sync_meta VALUES ('sync.hub_sealing_key', ?)", [stored])
    result = run(village, "export", "--out", str(tmp_path / "push.bundle"))
    assert result.exit_code == 1 and "village enroll" in result.output and "does not know the hub's key" in result.output
    assert not (tmp_path / "push.bundle").exists()


def test_an_old_unsealed_bundle_is_refused(pair, tmp_path):
    hub, hub_db, village, village_db = pair
    old = tmp_path / "old.bundle"
    old.write_bytes(OLD_MAGIC + b'{"kind":"push","link":"x","sizes":[0],"sig":"y"}\n')
    result = run(hub, "import", str(old))
    assert result.exit_code == 1 and "older version" in result.output


def sparse_bundle(path, size):
    """A bundle-looking header, then `size` bytes of nothing (a sparse file: no disk is used)."""
    header = {"kind": "push", "link": "x", "sig": "y", "to": "z", "epk": "w", "sizes": [size]}
    with open(path, "wb") as out:
        out.write(MAGIC + json.dumps(header).encode() + b"\n")
        out.truncate(size)
    return path


def test_a_2gb_file_is_refused_from_its_size_without_being_read(pair, tmp_path):
    hub, hub_db, village, village_db = pair
    big = sparse_bundle(tmp_path / "big.bundle", 2 * 1024 ** 3)

    def small_memory():
        # Reading the file whole would need 2 GB: with this limit it would fail, not answer.
        resource.setrlimit(resource.RLIMIT_AS, (1024 ** 3, 1024 ** 3))

    result = subprocess.run([sys.executable, "-m", "village", "bundle", "import", str(big)], capture_output=True,
                            text=True, env={**os.environ, "VILLAGE_DATA": str(hub.data_dir)}, timeout=60,
                            preexec_fn=small_memory)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"more than a bundle may hold ({MAX_BUNDLE_BYTES} bytes)" in result.stderr


def test_declared_sizes_that_the_file_does_not_hold_are_refused_before_reading(pair, tmp_path):
    hub, hub_db, village, village_db = pair
    liar = sparse_bundle(tmp_path / "liar.bundle", 5000)
    header = json.loads(liar.read_bytes()[len(MAGIC):].split(b"\n")[0])
    header["sizes"] = [10 ** 8]
    liar.write_bytes(MAGIC + json.dumps(header).encode() + b"\n" + b"\0" * 100)
    result = run(hub, "import", str(liar))
    assert result.exit_code == 1 and "not a complete bundle" in result.output


@pytest.mark.parametrize("where", ["export", "reply"])
def test_a_missing_folder_is_refused_before_anything_is_done(pair, tmp_path, where):
    hub, hub_db, village, village_db = pair
    missing = tmp_path / "no-such-folder" / "x.bundle"
    if where == "export":
        result = run(village, "export", "--out", str(missing))
    else:
        push = tmp_path / "push.bundle"
        assert run(village, "export", "--out", str(push)).exit_code == 0
        result = run(hub, "import", str(push), "--reply", str(missing))
        # Checked before the import: had it committed, the village would never get its reply.
        assert hub_db.execute("SELECT COUNT(*) FROM households").fetchone()[0] == 0
    assert result.exit_code == 1 and "There is no folder" in result.output and "no-such-folder" in result.output


@pytest.mark.parametrize("option", ["--out", "--reply"])
def test_a_folder_or_an_existing_file_is_not_overwritten(pair, tmp_path, option):
    hub, hub_db, village, village_db = pair
    push = tmp_path / "push.bundle"
    assert run(village, "export", "--out", str(push)).exit_code == 0
    command = (village, "export") if option == "--out" else (hub, "import", str(push))
    result = run(*command, option, str(tmp_path))
    assert result.exit_code == 1 and "is a folder" in result.output
    result = run(*command, option, str(push))
    assert result.exit_code == 1 and "already exists" in result.output


def test_more_changes_than_one_bundle_holds_go_in_the_next(pair, tmp_path, monkeypatch):
    hub, hub_db, village, village_db = pair
    monkeypatch.setattr(sync.bundle, "BATCH_CHANGES", 4)
    monkeypatch.setattr(sync.bundle, "PAYLOAD_BUDGET", 1)  # one batch per bundle
    rounds = 0
    while pending_count(village_db):
        rounds += 1
        push, reply = tmp_path / f"p{rounds}.bundle", tmp_path / f"r{rounds}.bundle"
        result = run(village, "export", "--out", str(push))
        assert result.exit_code == 0 and ("More changes wait" in result.output) == (pending_count(village_db) > 4)
        assert run(hub, "import", str(push), "--reply", str(reply)).exit_code == 0
        assert run(village, "import", str(reply)).exit_code == 0
    assert rounds == 3  # 10 changes, 4 a bundle
    assert assert_same(village_db, hub_db, village.area) == 10
    assert get_meta(village_db, "sync.hub_sealing_key")


@pytest.mark.parametrize("make", [lambda p: None, lambda p: p.mkdir(), lambda p: p.write_bytes(b"")])
def test_a_missing_or_unreadable_bundle_is_said_plainly(pair, tmp_path, make):
    hub, hub_db, village, village_db = pair
    make(tmp_path / "x.bundle")
    result = run(hub, "import", str(tmp_path / "x.bundle"))
    assert result.exit_code == 1
    assert "cannot be read" in result.output or "not a complete bundle" in result.output
