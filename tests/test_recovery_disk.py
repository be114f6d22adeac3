"""A full disk or a read-only data directory: a clear message and a non-zero exit, never a traceback."""
import json
import os
import subprocess
import sys

import pytest

from sync.store import connect
from village import node as node_module

AREA = "52/5201/520102/001"


def big_csv(tmp_path, rows=3000):
    path = tmp_path / "h.csv"
    path.write_text("code,head_name,address\n" + "".join(f"H{n},王{n},{'地址' * 40}\n" for n in range(rows)),
                    encoding="utf-8")
    return str(path)


@pytest.fixture
def village(runner):
    assert runner("init", "--role", "village", "--name", "红星村", "--area", AREA, "--lang", "en").exit_code == 0
    return runner


def test_a_full_disk_is_said_plainly_and_nothing_is_half_saved(village, tmp_path, monkeypatch):
    def cramped(path):
        # SQLite answers SQLITE_FULL ("database or disk is full") past max_page_count, as on a full disk.
        db = connect(path)
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages + 8}")
        return db

    monkeypatch.setattr(node_module, "connect", cramped)
    result = village("import", "households", big_csv(tmp_path))
    assert result.exit_code == 1
    assert "is full; nothing was saved" in result.output and "Free some space" in result.output
    monkeypatch.undo()
    assert json.loads(village("status", "--json").output)["records"]["households"] == 0


def unprivileged(args, data):
    """Run `village ARGS` as a process that file modes bind (root drops its power to ignore them)."""
    prefix = []
    if os.geteuid() == 0:
        prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"]
    return subprocess.run([*prefix, sys.executable, "-m", "village", *args], capture_output=True, text=True,
                          env={**os.environ, "VILLAGE_DATA": str(data)}, timeout=60)


@pytest.mark.parametrize("command", [["status"], ["import", "households", "CSV"], ["backup", "--out", "OUT"],
                                     ["check"]])
def test_a_read_only_data_directory_is_said_plainly(village, tmp_path, command):
    data = village.data_dir
    args = [{"CSV": big_csv(tmp_path, 5), "OUT": str(tmp_path / "b.db")}.get(a, a) for a in command]
    os.chmod(data, 0o500)
    try:
        result = unprivileged(args, data)
    finally:
        os.chmod(data, 0o700)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "cannot be written" in result.stderr and "read-only" in result.stderr
    assert not os.path.exists(tmp_path / "b.db")
