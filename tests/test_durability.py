"""Power loss: kill -9 in the middle and at the end of a large import leaves a database `village check` accepts."""
import csv
import json
import os
import subprocess
import sys

from powercut import run_and_cut

AREA = "52/5201/520102/001"


def village(data, *args, **kwargs):
    return subprocess.run([sys.executable, "-m", "village", *args], env={**os.environ, "VILLAGE_DATA": str(data)},
                          capture_output=True, text=True, **kwargs)


def test_kill_during_import_leaves_no_half_written_row(tmp_path):
    data = tmp_path / "data"
    assert village(data, "init", "--role", "village", "--name", "红星村", "--area", AREA).returncode == 0
    path = tmp_path / "big.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "head_name", "phone", "members"])
        writer.writerows([f"K{n:06d}", f"王{n}", f"138{n:08d}", n % 6] for n in range(30_000))
    # Cut inside the one transaction (at row 10,000, then at the last row), then let it finish.
    for point in ("village.records.files:_save_row:10000", "village.records.files:_save_row:30000"):
        killed, _code = run_and_cut(data, ["import", "households", str(path)], at=point)
        assert killed
        check = village(data, "check")
        assert check.returncode == 0, check.stdout + check.stderr
        assert json.loads(village(data, "status", "--json").stdout)["records"]["households"] == 0
    # After the kills, a full import still goes through and is then complete and consistent.
    assert village(data, "import", "households", str(path)).returncode == 0
    assert json.loads(village(data, "status", "--json").stdout)["records"]["households"] == 30_000
    assert village(data, "check").returncode == 0
