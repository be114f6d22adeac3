"""File modes: the data directory is 0700 and every file the node writes is 0600, whatever the umask."""
import os
import stat

import pytest
from conftest import Village
from sync_helpers import add_households, enrolled_pair

AREA = "52/5201/520102/001"


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(autouse=True)
def open_umask():
    """Run as a careless machine would: a 022 umask makes 0644 files unless the node says otherwise."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def village(runner):
    assert runner("init", "--role", "village", "--name", "红星村", "--area", AREA, "--lang", "en").exit_code == 0
    return runner


def test_init_makes_a_private_directory_and_private_files(village):
    data = village.data_dir
    assert mode(data) == 0o700
    village("import", "households", _csv(data))
    names = sorted(os.listdir(data))
    assert {"village.json", "village.db", "sealing_key.pem"} <= set(names)
    private = {n: 0o700 if os.path.isdir(os.path.join(data, n)) else 0o600 for n in names}
    assert {n: mode(os.path.join(data, n)) for n in names} == private  # tls/ is a directory


def test_wal_and_shm_files_are_private_while_the_database_is_open(village):
    from village.node import load_node, open_db

    node = load_node(village.data_dir)
    db = open_db(node)
    try:
        add_households(db, node, 2)
        for suffix in ("-wal", "-shm"):
            assert mode(f"{node.db_path}{suffix}") == 0o600
    finally:
        db.close()


def test_an_older_nodes_open_directory_and_files_are_closed_on_the_next_command(village):
    data = village.data_dir
    os.chmod(data, 0o755)
    for name in ("village.db", "village.json", "sealing_key.pem"):
        os.chmod(os.path.join(data, name), 0o644)
    assert village("status").exit_code == 0
    assert mode(data) == 0o700
    assert {n: mode(os.path.join(data, n)) for n in os.listdir(data)} == {
        n: 0o700 if os.path.isdir(os.path.join(data, n)) else 0o600 for n in os.listdir(data)}


def test_backups_and_exports_are_private(village, tmp_path):
    backup = tmp_path / "b.db"
    assert village("backup", "--out", str(backup)).exit_code == 0
    assert mode(backup) == 0o600
    for fmt in ("csv", "json", "xlsx"):
        out = tmp_path / f"h.{fmt}"
        assert village("export", "households", "--format", fmt, "--out", str(out)).exit_code == 0
        assert mode(out) == 0o600, fmt


def test_nightly_backups_and_their_folder_are_private(village):
    from village.node import load_node, open_db
    from village.ops.backups import nightly_backup

    node = load_node(village.data_dir)
    db = open_db(node)
    try:
        out = nightly_backup(db, node)
    finally:
        db.close()
    assert mode(out) == 0o600 and mode(out.parent) == 0o700


@pytest.mark.usefixtures("hub_engine")  # on a SQLite and a PostgreSQL hub
def test_bundles_and_replies_are_private(make_node, serve, tmp_path):
    hub, _hub_db, _server, node, db, _link = enrolled_pair(make_node, serve)
    add_households(db, node, 2)
    push, reply = tmp_path / "push.bundle", tmp_path / "reply.bundle"
    assert Village(node.data_dir)("bundle", "export", "--out", str(push)).exit_code == 0
    assert Village(hub.data_dir)("bundle", "import", str(push), "--reply", str(reply)).exit_code == 0
    assert mode(push) == 0o600 and mode(reply) == 0o600


def test_check_reports_files_others_can_read(village, tmp_path):
    copied = os.path.join(village.data_dir, "backups", "village-20260101T000000000000Z.db")
    os.makedirs(os.path.dirname(copied))
    assert village("backup", "--out", copied).exit_code == 0
    os.chmod(copied, 0o644)  # copied in by hand from a stick, say
    result = village("check")
    assert result.exit_code == 1
    assert f"{copied} can be read by other users of this computer (mode 644)" in result.output
    assert f"chmod 600 {copied}" in result.output
    os.chmod(copied, 0o600)
    assert village("check").exit_code == 0


def _csv(data):
    path = os.path.join(os.path.dirname(data), "h.csv")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("code,head_name\nA1,王一\n")
    return path
