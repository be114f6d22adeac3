"""Nodes for the benchmarks: a hub served by `village serve`, villages enrolled at it, records written."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from sync.changelog import writing
from sync.server import add_node
from village.node import open_db
from village.node import init_node
from village.ops.sync import enroll

ROOT = Path(__file__).resolve().parent.parent
COUNTY_AREA = "52/5201/520102"


def free_port():
    """Return a free TCP port on 127.0.0.1."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Served:
    """`village serve` in a subprocess (cheroot + scheduler), as a real node runs."""

    def __init__(self, data_dir, port=None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "VILLAGE_DATA": str(data_dir)}
        self.proc = subprocess.Popen([sys.executable, "-m", "village", "serve", "--port", str(self.port)],
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if requests.get(self.url + "/sync/ping", timeout=1).ok:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"village serve on {self.port} did not start")

    def pids(self):
        """Return the pids of the server: its first process and the workers it forked."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        return [self.proc.pid, *map(int, children)]

    def memory_mb(self):
        """Return the server's resident memory in MB, all its processes together: (PSS, RSS).

        RSS counts a page the processes share once in each of them; PSS splits it between them,
        so their PSS adds up to the memory the server really holds.
        """
        totals = {"Pss:": 0, "Rss:": 0}
        for pid in self.pids():
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.split()[0] in totals:
                    totals[line.split()[0]] += int(line.split()[1])
        return totals["Pss:"] / 1024, totals["Rss:"] / 1024

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def make_hub(work, name="county"):
    """Create a county hub node in `work`/`name`; return (node, db)."""
    node = init_node(Path(work) / name, "county", "花溪区", COUNTY_AREA, "zh_Hans")
    return node, open_db(node)


def make_village(work, hub_db, hub_url, index, area=None):
    """Create village number `index`, registered at the hub and enrolled over HTTP; return (node, db)."""
    area = area or f"{COUNTY_AREA}/{index:03d}"
    node = init_node(Path(work) / f"village{index:03d}", "village", f"村{index}", area, "zh_Hans")
    db = open_db(node)
    _node_id, code = add_node(hub_db, node.name, area, COUNTY_AREA)
    enroll(node, db, hub_url, code, insecure=True)  # loopback
    return node, db


def write_records(node, db, households, plots, chunk=5000):
    """Write households and plots through the one write path (not timed by the benchmarks)."""
    for table, rows in (("households", households), ("plots", plots)):
        for start in range(0, len(rows), chunk):
            with writing(db, node.node_id) as w:
                for row in rows[start:start + chunk]:
                    w.put(table, row["id"], {**{k: v for k, v in row.items() if k != "id"}, "area": node.area})


def village_sync(data_dir, timeout=3600):
    """Run `village sync` as a clerk would; return (seconds, exit code)."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "village", "sync"], env={**os.environ, "VILLAGE_DATA": str(data_dir)},
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    return time.perf_counter() - started, proc.returncode


def table_ids(db, table):
    """Return the ids of the live rows of `table`, and how many rows it holds in all."""
    ids = [r[0] for r in db.execute(f"SELECT id FROM [{table}] WHERE _deleted = 0")]
    return set(ids), db.execute(f"SELECT COUNT(*) FROM [{table}]").fetchone()[0]


def dump(path, data):
    Path(path).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
