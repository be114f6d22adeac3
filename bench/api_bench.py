"""The JSON API at 100,000 households (issue 14): a page of 100 households at 10 clients, and following
every change of the households through changed_since.

Part of `make bench` (bench/run.py, on the village the page benchmark built); alone:
`.venv/bin/python bench/api_bench.py [households]`, which builds (or reuses) bench/work/big.
Targets: p99 under 20 ms for the page; the whole change log of the households followed in under 10 s.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bigdb import build  # noqa: E402
from load import Client, measure  # noqa: E402
from nodes import ROOT, Served  # noqa: E402
from village.node import open_db  # noqa: E402


def _token(data):
    """Add the benchmark's clerk and a token for it; return the Authorization header."""
    env = {**os.environ, "VILLAGE_DATA": str(data)}
    subprocess.run([sys.executable, "-m", "village", "user", "add", "api-bench", "--role", "clerk",
                    "--password-stdin"], input="bench-password\n", env=env, text=True, capture_output=True, cwd=ROOT)
    made = subprocess.run([sys.executable, "-m", "village", "token", "add", "api-bench", "--name",
                           f"bench-{time.time_ns()}"], env=env, text=True, capture_output=True, cwd=ROOT, check=True)
    return {"Authorization": "Bearer " + made.stdout.strip()}


def cpu_seconds(pids):
    """Return the CPU time (user and system) the processes `pids` have used so far, in seconds."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return ticks / os.sysconf("SC_CLK_TCK")


def follow(url, headers, table="households", limit=1000):
    """Follow every change of `table` from the start; return (records met, seconds)."""
    client, cursor, met, started = Client(url, headers=headers), 0, 0, time.perf_counter()
    try:
        while True:
            status, body = client.get(f"/api/{table}?changed_since={cursor}&limit={limit}")
            assert status == 200, body[:300]
            page = json.loads(body)
            met += len(page["items"])
            cursor = page["changed_since"]
            if not page["more"]:
                return met, time.perf_counter() - started
    finally:
        client.close()


def api(work, households=100_000):
    """Serve the big village; measure a page of 100 households at 10 clients, and following changed_since."""
    data = work / "big"
    if not (data / "village.db").exists():
        build(data, households=households)
    headers = _token(data)
    from village.node import load_node

    db = open_db(load_node(data))
    starts = [r[0] for r in db.execute("SELECT id FROM households ORDER BY id LIMIT 50 OFFSET ?",
                                       [households // 3])]
    changes = db.execute("SELECT COUNT(*) FROM _changes WHERE tbl = 'households'").fetchone()[0]
    live = db.execute("SELECT COUNT(*) FROM households WHERE _deleted = 0").fetchone()[0]
    db.close()
    limit = os.environ.get("VILLAGE_API_REQUESTS_PER_MINUTE")
    os.environ["VILLAGE_API_REQUESTS_PER_MINUTE"] = "10000000"  # the limit is not what is measured
    server = Served(data)
    try:
        paths = {"API: 100 households": ["/api/households?limit=100"] +
                 [f"/api/households?limit=100&cursor={start}" for start in starts]}
        measure(server.url, paths, clients=10, per_client=10, headers=headers)  # warm up
        # The server's own CPU per request, and the machine's load: latency at 10 clients on two cores
        # is mostly waiting for a core, so a shared machine's figure needs both to be read.
        load, used = os.getloadavg()[0], cpu_seconds(server.pids())
        results = measure(server.url, paths, clients=10, per_client=60, headers=headers)
        page = results["API: 100 households"]
        page["server_cpu_ms"] = round((cpu_seconds(server.pids()) - used) * 1000 / page["requests"], 2)
        page["load_average"] = round(load, 1)
        met, seconds = follow(server.url, headers)
        results["API: follow changed_since"] = {"changes": changes, "records": met, "households": live,
                                                 "seconds": round(seconds, 2)}
        return results
    finally:
        server.stop()
        os.environ.pop("VILLAGE_API_REQUESTS_PER_MINUTE")
        if limit is not None:
            os.environ["VILLAGE_API_REQUESTS_PER_MINUTE"] = limit


if __name__ == "__main__":
    keep = HERE / "work"
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    # The full size reuses the village `make bench` keeps; another size gets a village of its own.
    work = keep if size == 100_000 and keep.exists() else Path(tempfile.mkdtemp(prefix="api-"))
    print(json.dumps(api(work, size), indent=2))
