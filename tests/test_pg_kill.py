"""Kill -9 on a PostgreSQL county hub mid-batch: of the hub's process, and of the PostgreSQL server.

Deterministic: the hub stops at a chosen point of the n-th push (its change-log entries numbered
and copied but not committed; or committed but not answered), and is killed there. After each
kill and start again: every change a village holds as acknowledged is at the hub; at the end,
after the villages finished their sync, every record is there exactly once.
"""
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import psycopg
import pytest
import requests
from conftest import COUNTY_AREA, free_port
from pg_helpers import Cluster
from sync_helpers import add_households, enroll

from sync.meta import PUSH_CURSOR, get_meta
from village import create_app
from village.node import init_node
from village.ops.sync import run_sync

pytestmark = pytest.mark.slow
AREAS = ("52/5201/520102/001", "52/5201/520102/002")
PER_ROUND = 300  # households (600 changes) each village adds before each round: several batches

# Runs in the hub's process: stop at the n-th push at `point`, touch the marker, wait to be killed.
CHILD = """
import runpy, sys, time
point, nth, marker = sys.argv[1], int(sys.argv[2]), sys.argv[3]
calls = [0]

def pause():
    calls[0] += 1
    if calls[0] == nth:
        open(marker, "w").close()
        while True:
            time.sleep(60)

if point == "before_commit":  # entries numbered from the counter row and copied; COMMIT not run
    from sync.stores import postgres
    real_flush = postgres.PgTx.flush
    def flush(self):
        busy = bool(self._pending)  # a transaction that logs changes (not a nonce's or a ping's)
        real_flush(self)
        if busy:
            pause()
    postgres.PgTx.flush = flush
elif point == "after_commit":  # committed; the answer not sent
    import flask
    from village.api import sync
    real_jsonify = sync.jsonify
    def jsonify(*args, **kwargs):
        if flask.request.path == "/sync/push":
            pause()
        return real_jsonify(*args, **kwargs)
    sync.jsonify = jsonify
sys.argv = ["village", *sys.argv[4:]]
runpy.run_module("village", run_name="__main__", alter_sys=True)
"""


@pytest.fixture
def cluster():
    """A cluster of this test's own (one test kills its server)."""
    made = Cluster().start()
    yield made
    made.stop()


class Hub:
    """`village serve` of a county hub on PostgreSQL, in a process of its own, stopped at a chosen point."""

    def __init__(self, tmp_path, url):
        self.node = init_node(tmp_path / "hub", "county", "县", COUNTY_AREA, "en", url)
        self.port, self.proc, self.marker = free_port(), None, None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self, point="-", nth=0):
        self.marker = os.path.join(tempfile.gettempdir(), f"village-pgkill-{os.getpid()}-{time.monotonic_ns()}")
        self.proc = subprocess.Popen([sys.executable, "-c", CHILD, point, str(nth), self.marker, "serve", "--port",
                                      str(self.port)], env={**os.environ, "VILLAGE_DATA": str(self.node.data_dir),
                                                          "VILLAGE_SERVE_WORKERS": "1", "VILLAGE_HTTPS_PORT": "0"},  # one process
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(self.url + "/sync/ping", timeout=2).raise_for_status()
                return
            except requests.RequestException:
                assert self.proc.poll() is None and time.monotonic() < deadline, "the hub did not start"
                time.sleep(0.1)

    def wait_paused(self, results, timeout=120):
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.marker):
            assert time.monotonic() < deadline and self.proc.poll() is None, f"the hub never reached its point: {results}"
            time.sleep(0.02)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        if self.marker and os.path.exists(self.marker):
            os.unlink(self.marker)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.kill()


def villages(make_node, hub, url_of_hub):
    """Two enrolled villages."""
    made = []
    server = type("S", (), {"url": url_of_hub})
    for i, area in enumerate(AREAS):
        node, db = make_node(area=area, subdir=f"v{i}")
        enroll(hub.node, server, node, name=f"村{i}")
        made.append((node, db))
    return made


def sync_in_threads(made, round_):
    """Give every village PER_ROUND new households and start their `village sync` at once; return the threads and results."""
    for i, (node, db) in enumerate(made):
        add_households(db, node, PER_ROUND, prefix=f"V{i}-{round_}-")
    results = {}
    threads = [threading.Thread(target=lambda n=node: results.__setitem__(n.node_id, run_sync(n)), daemon=True)
               for node, _db in made]
    for thread in threads:
        thread.start()
    return threads, results


def assert_acknowledged_held(url, made):
    """Every change a village holds as acknowledged is in the hub's change log (checked on the database)."""
    with psycopg.connect(url) as conn:
        held = {r[0] for r in conn.execute("SELECT version FROM _changes")}
    for node, db in made:
        cursor = int(get_meta(db, PUSH_CURSOR, "0"))
        acked = [r[0] for r in db.execute("SELECT version FROM _changes WHERE seq <= ?", [cursor])]
        assert set(acked) <= held, f"{node.area}: acknowledged but lost at the hub"


def finish(made, rounds=10):
    """Sync each village until it is in sync."""
    for node, _db in made:
        for _ in range(rounds):
            if run_sync(node).ok:
                break
        else:
            raise AssertionError(f"{node.area} never finished its sync")


def assert_exactly_once(url, made, rounds):
    households = PER_ROUND * rounds * len(made)
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM households").fetchone() == (households,) * 2
        count, distinct, top = conn.execute("SELECT COUNT(*), COUNT(DISTINCT version), MAX(seq) FROM _changes").fetchone()
    assert count == distinct == top == 2 * households  # no duplicate, and seq 1..n without a hole
    for _node, db in made:
        assert db.execute("SELECT COUNT(*) FROM households").fetchone()[0] == PER_ROUND * rounds


def test_the_hub_killed_mid_batch_again_and_again_loses_and_duplicates_nothing(cluster, make_node, tmp_path):
    cluster.admin('CREATE DATABASE "county"')
    url = cluster.url("county")
    hub = Hub(tmp_path, url)
    try:
        hub.start()
        made = villages(make_node, hub, hub.url)
        kills = 0
        points = [("before_commit", 2), ("after_commit", 2), ("before_commit", 3), ("after_commit", 3)]
        for round_, (point, nth) in enumerate(points):
            hub.kill()
            hub.start(point, nth)
            threads, results = sync_in_threads(made, round_)
            hub.wait_paused(results)
            hub.kill()
            kills += 1
            for thread in threads:
                thread.join(120)
            assert not all(r.ok for r in results.values())  # the kill broke a round
            assert_acknowledged_held(url, made)
        hub.kill()
        hub.start()
        finish(made)
        assert kills == 4
        assert_exactly_once(url, made, len(points))
    finally:
        hub.stop()


def test_the_database_server_killed_mid_batch_again_and_again(cluster, make_node, serve, tmp_path, monkeypatch):
    from sync.stores import postgres

    cluster.admin('CREATE DATABASE "county"')
    url = cluster.url("county")
    node = init_node(tmp_path / "hub", "county", "县", COUNTY_AREA, "en", url)
    server = serve(create_app({"NODE": node, "TESTING": True}))
    made = villages(make_node, type("H", (), {"node": node}), server.url)
    # The hub's push stops once its entries are numbered and copied, until the server is killed.
    reached, go_on, stop_at = threading.Event(), threading.Event(), [2]
    real_flush, calls = postgres.PgTx.flush, [0]

    def flush(self):
        busy = bool(self._pending)
        real_flush(self)
        calls[0] += busy
        if busy and calls[0] == stop_at[0]:
            reached.set()
            go_on.wait(60)

    monkeypatch.setattr(postgres.PgTx, "flush", flush)
    for round_ in range(3):
        reached.clear(), go_on.clear()
        stop_at[0] = calls[0] + 2
        threads, results = sync_in_threads(made, round_)
        assert reached.wait(120), "no push reached its commit"
        cluster.kill_server()
        go_on.set()  # its COMMIT now meets a dead server
        for thread in threads:
            thread.join(120)
        assert not all(r.ok for r in results.values()), round_
        cluster.run()
        assert_acknowledged_held(url, made)
    finish(made)
    assert_exactly_once(url, made, 3)
