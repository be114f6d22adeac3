"""Power loss: kill -9 during a large import leaves a database `village check` accepts."""
import csv
import json
import os
import random
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
    rng = random.Random(3)
    kills = 0
    for _ in range(3):
        kills += run_and_cut(data, ["import", "households", str(path)], rng, 0.6, 2.0)[0]
        check = village(data, "check")
        assert check.returncode == 0, check.stdout + check.stderr
        count = json.loads(village(data, "status", "--json").stdout)["records"]["households"]
        assert count in (0, 30_000)
        if count:
            break
    assert kills >= 1
    # After the kills, a full import still goes through and is then complete and consistent.
    if json.loads(village(data, "status", "--json").stdout)["records"]["households"] == 0:
        assert village(data, "import", "households", str(path)).returncode == 0
    assert json.loads(village(data, "status", "--json").stdout)["records"]["households"] == 30_000
    assert village(data, "check").returncode == 0
