"""The scheduler of `village serve`: backoff, the probe, one scheduler per data directory, jobs."""
import datetime
import os
import random
import socket
import subprocess
import sys
import threading
import time

import pytest

from sync.meta import HUB_URL, set_meta
from sync.store import transaction
from tests.conftest import COUNTY_AREA, free_port
from tests.test_scheduler_jobs import announce
from village.ops import sync_loop
from village.ops import scheduler as sch
from village.records import core

UTC = datetime.timezone.utc


@pytest.mark.parametrize("failures, ceiling", [(0, 0), (1, 30), (2, 60), (3, 120), (6, 960), (7, 1800), (50, 1800)])
def test_backoff_ceiling_doubles_and_is_capped(failures, ceiling):
    assert sync_loop.backoff_ceiling(failures, base=30, cap=1800) == ceiling


def test_backoff_delay_is_full_jitter_within_bounds():
    rand = random.Random(7).random
    for failures in range(1, 12):
        ceiling = sync_loop.backoff_ceiling(failures, 30, 1800)
        draws = [sync_loop.backoff_delay(failures, 30, 1800, rand) for _ in range(400)]
        assert all(0 <= d < ceiling for d in draws)
        # Full jitter: the draws cover the whole range, not a narrow band near the ceiling.
        assert min(draws) < 0.1 * ceiling and max(draws) > 0.9 * ceiling
    assert sync_loop.backoff_delay(3, 30, 1800, rand=lambda: 0.5) == 60


@pytest.mark.parametrize("before, now, prompt", [(False, True, True), (None, True, False), (True, True, False),
                                                 (False, False, False), (True, False, False)])
def test_link_came_back(before, now, prompt):
    assert sync_loop.link_came_back(before, now) is prompt


class Link:
    """A hub link whose state the test sets; counts sync rounds and probes."""

    def __init__(self, up=False):
        self.up, self.syncs, self.probes = up, 0, 0

    def sync(self):
        self.syncs += 1
        return self.up

    def probe(self):
        self.probes += 1
        return self.up


def test_sync_loop_runs_on_interval_backs_off_and_retries_when_the_link_returns():
    loop = sync_loop.SyncLoop(interval=300, cap=1800, base=30, rand=lambda: 1.0)
    link = Link(up=True)
    assert loop.tick(0, link.sync, link.probe) == "synced"
    assert loop.tick(299, link.sync, link.probe) == "idle" and link.probes == 0
    link.up = False
    assert loop.tick(300, link.sync, link.probe) == "failed"
    assert (loop.failures, loop.next_at, loop.link_up) == (1, 330, False)
    assert loop.tick(315, link.sync, link.probe) == "waiting"
    assert loop.tick(330, link.sync, link.probe) == "failed"
    assert loop.next_at == 390  # second failure: up to 60 s
    link.up = True
    syncs = link.syncs
    assert loop.tick(345, link.sync, link.probe) == "synced"  # prompt, long before 390
    assert link.syncs == syncs + 1 and loop.failures == 0 and loop.next_at == 645


def test_sync_loop_does_not_hammer_a_hub_that_answers_but_refuses():
    loop = sync_loop.SyncLoop(interval=300, cap=1800, base=30, rand=lambda: 1.0)
    link = Link(up=True)
    refusing = lambda: False  # noqa: E731 - the hub answers TCP but the round fails
    assert loop.tick(0, refusing, link.probe) == "failed"
    assert [loop.tick(t, refusing, link.probe) for t in (10, 20)] == ["waiting", "waiting"]
    assert loop.tick(30, refusing, link.probe) == "failed"


def test_hub_address():
    assert sync_loop.hub_address("https://hub.example:8443/x") == ("hub.example", 8443)
    assert sync_loop.hub_address("http://10.0.0.1") == ("10.0.0.1", 80)
    assert sync_loop.hub_address("https://hub.example") == ("hub.example", 443)


def test_reachable_against_a_real_listener():
    port = free_port()
    assert not sync_loop.reachable(f"http://127.0.0.1:{port}/", timeout=1)
    with socket.create_server(("127.0.0.1", port)):
        assert sync_loop.reachable(f"http://127.0.0.1:{port}/", timeout=1)
    assert not sync_loop.reachable("", timeout=1)


HOLD_LOCK = """
import sys
from village.ops.datadir_lock import DataDirLock
lock = DataDirLock(sys.argv[1])
print("held" if lock.acquire() else "refused", flush=True)
sys.stdin.readline()
"""


def test_lock_refuses_a_second_scheduler_in_another_process(node):
    other = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(node.data_dir)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "held"
        second = sch.NodeScheduler(node)
        assert second.start() is False
        assert second.scheduler is None
    finally:
        other.communicate("\n", timeout=10)
    first = sch.NodeScheduler(node)
    assert first.start() is True
    try:
        again = subprocess.run([sys.executable, "-c", HOLD_LOCK, str(node.data_dir)], input="\n",
                               capture_output=True, text=True, timeout=20)
        assert again.stdout.strip() == "refused"
        assert {j.id for j in first.scheduler.get_jobs()} == {sch.SYNC_JOB, sch.BACKUP_JOB}
        assert all(j.max_instances == 1 and j.coalesce for j in first.scheduler.get_jobs())
    finally:
        first.shutdown()


@pytest.mark.usefixtures("hub_engine")  # on a SQLite and a PostgreSQL hub
def test_county_node_schedules_county_jobs(make_node, hub_engine):
    county, db = make_node(role="county", area=COUNTY_AREA, name="县")
    jobs = sch.NodeScheduler(county)
    assert jobs.start()
    try:
        # A hub on PostgreSQL takes no nightly backup: that database is backed up with its own tools.
        backup = {sch.BACKUP_JOB} if hub_engine == "sqlite" else set()
        assert {j.id for j in jobs.scheduler.get_jobs()} == {sch.SYNC_JOB, sch.EXPIRE_JOB} | backup
        # The jobs work where the records are: the expiry tombstones the store's announcement.
        old = announce(db, county, "Old", "2020-01-01T00:00:00+00:00")
        assert jobs.with_db(sch.expire_announcements)() == [old]
        assert core.get(db, "announcements", old) is None
        assert jobs.hub_url() is None  # read from the store: not enrolled above
        with transaction(db) as tx:
            set_meta(tx, HUB_URL, "http://127.0.0.1:9")
        assert jobs.hub_url() == "http://127.0.0.1:9"
    finally:
        jobs.shutdown()


class LateHub:
    """A TCP listener that appears when the test says so; a sync round is one real exchange with it."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.rounds, self.ok_rounds = [], []
        self.server = None

    def appear(self):
        self.server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                if conn.recv(16) == b"sync":
                    conn.sendall(b"ok")

    def sync(self):
        self.rounds.append(time.monotonic())
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as conn:
                conn.sendall(b"sync")
                ok = conn.recv(2) == b"ok"
        except OSError:
            return False
        if ok:
            self.ok_rounds.append(time.monotonic())
        return ok

    def close(self):
        if self.server:
            self.server.close()


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_probe_triggers_a_prompt_sync_when_the_hub_appears(node, db):
    hub = LateHub()
    with transaction(db):
        set_meta(db, HUB_URL, hub.url)
    jobs = sch.NodeScheduler(node, tick_seconds=0.1, sync=hub.sync)
    jobs.loop.rand = lambda: 1.0  # the first backoff is a full 30 s: only the probe can beat it
    assert jobs.start()
    try:
        assert wait_for(lambda: jobs.loop.failures == 1 and jobs.loop.link_up is False, 5)
        time.sleep(0.3)
        assert len(hub.rounds) == 1  # backing off: probing, not syncing
        appeared = time.monotonic()
        hub.appear()
        assert wait_for(lambda: hub.ok_rounds, 5)
        assert hub.ok_rounds[0] - appeared < 3
        assert jobs.loop.failures == 0
        assert len(hub.rounds) == 2
    finally:
        jobs.shutdown()
        hub.close()


def test_sync_job_does_nothing_before_enrollment(node):
    calls = []
    jobs = sch.NodeScheduler(node, sync=lambda: calls.append(1) or True)
    assert jobs.sync_tick() == "not enrolled" and calls == []


@pytest.mark.usefixtures("hub_engine")  # on a SQLite and a PostgreSQL hub
def test_status_reports_the_villages_not_seen(make_node):
    from village.ops.status import node_status

    county, db = make_node(role="county", area=COUNTY_AREA, name="县")
    now = datetime.datetime.now(UTC)
    ago = lambda days: (now - datetime.timedelta(days=days)).isoformat(timespec="seconds")  # noqa: E731
    rows = [("quiet", ago(9), ago(30), None), ("fresh", ago(0.5), ago(30), None), ("never", None, ago(30), None),
            ("pending", None, None, None), ("revoked", ago(20), ago(30), ago(10))]
    with transaction(db) as tx:
        for node_id, seen, enrolled, revoked in rows:
            tx.execute("INSERT INTO nodes (node_id, name, area, code_hash, secret, created_at, enrolled_by, "
                       "enrolled_at, last_seen, revoked_at) VALUES (?, ?, ?, ?, 's', ?, ?, ?, ?, ?)",
                       [node_id, node_id, COUNTY_AREA + "/" + node_id, node_id, ago(30), node_id, enrolled, seen,
                        revoked])
    sync = node_status(db, county)["sync"]
    assert county.setting("not_seen_days") == 3
    assert sorted(sync["nodes_not_seen"]) == ["never", "quiet"]
    assert sorted(n["node_id"] for n in sync["nodes"] if n["not_seen"]) == ["never", "quiet"]


def start_server(node, port):
    return subprocess.Popen([sys.executable, "-m", "village", "serve", "--data", str(node.data_dir),
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "VILLAGE_DATA": ""})


def test_second_server_on_one_data_dir_serves_pages_but_runs_no_jobs(make_node):
    import urllib.request

    node, _ = make_node(lang="en")
    ports = free_port(), free_port()
    first = start_server(node, ports[0])
    try:
        assert "Scheduled jobs" in first.stdout.readline()
        second = start_server(node, ports[1])
        try:
            assert "only serves pages" in second.stderr.readline()
            for port in ports:
                assert wait_for(lambda: _answers(port), 15)
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
                    assert page.status == 200
        finally:
            second.terminate()
            second.communicate(timeout=10)
    finally:
        first.terminate()
        first.communicate(timeout=10)


def _answers(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.mark.usefixtures("hub_engine")  # on a SQLite and a PostgreSQL hub
def test_scheduled_sync_reaches_the_hub_when_the_link_comes_back(make_node, serve):
    from faultproxy import FaultProxy
    from sync.jobs import pending_count
    from sync_helpers import add_households, assert_same, enroll, serve_hub

    hub, hub_db, server = serve_hub(make_node, serve)
    village, village_db = make_node()
    proxy = FaultProxy(server.port).start()
    enroll(hub, proxy, village)
    proxy.stop()  # the link goes down
    add_households(village_db, village, 20)
    jobs = sch.NodeScheduler(village, tick_seconds=0.1)  # the real sync round and the real probe
    jobs.loop.rand = lambda: 1.0
    assert jobs.start()
    try:
        assert wait_for(lambda: jobs.loop.failures == 1 and jobs.loop.link_up is False, 10)
        came_back = time.monotonic()
        proxy = FaultProxy(server.port, port=proxy.port).start()
        assert wait_for(lambda: pending_count(village_db) == 0, 10)
        assert time.monotonic() - came_back < 5  # the probe, not the 30 s backoff
        assert wait_for(lambda: jobs.loop.failures == 0, 5)
    finally:
        jobs.shutdown()
        proxy.stop()
    assert assert_same(village_db, hub_db, village.area) == 40


def test_the_sync_job_opens_the_database_once_not_at_every_tick(node, db, monkeypatch):
    from village.node import open_db as real_open_db

    with transaction(db):
        set_meta(db, HUB_URL, "http://127.0.0.1:9")
    opened, rounds = [], []
    monkeypatch.setattr(sch, "open_db", lambda n: opened.append(n) or real_open_db(n))
    jobs = sch.NodeScheduler(node, sync=lambda: rounds.append(jobs.sync_db()) or True, probe=lambda: True)
    try:
        for _ in range(5):
            jobs.sync_tick()
            jobs.loop.next_at = 0  # due again at once
    finally:
        jobs.shutdown()
    assert len(opened) == 1 and len(rounds) == 5 and len({id(d) for d in rounds}) == 1


def test_a_round_on_a_given_connection_opens_no_other(node, db, monkeypatch):
    from village.ops import sync as syncing

    monkeypatch.setattr(syncing, "open_db", lambda n: (_ for _ in ()).throw(AssertionError("opened again")))
    result = syncing.run_sync(node, db=db)
    assert (result.ok, result.code) == (False, "not_enrolled")
