"""Scheduled jobs inside `village serve`: sync with backoff and a reachability probe, county
jobs (villages not seen, announcement expiry) and nightly backups with rotation.

The jobs run once per data directory: the scheduler starts only in the process that holds an
exclusive lock on a file in the data directory, so a second server on the same directory
serves pages but runs no jobs. Every job is a thin wrapper over a function a person or a test
can call directly; the backoff and probe decisions are small pure functions and a tiny state
machine (`SyncLoop`) driven by a monotonic clock, so none of it needs sleeping to test.
"""
import datetime
import fcntl
import logging
import os
import random
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional
from urllib.parse import urlsplit

from sync import codes
from sync.clock import utc_now, utc_text
from sync.meta import HUB_URL, get_meta
from sync.scope import inside
from village.filemodes import make_private_dir
from village.node import NodeError, connect_existing

log = logging.getLogger(__name__)

LOCK_FILE = "scheduler.lock"
BACKUP_DIR = "backups"
BACKUP_PREFIX = "village-"
BACKUP_SUFFIX = ".db"
TICK_SECONDS = 15  # how often the sync loop looks at its state; the probe's period while in backoff
BACKOFF_BASE_SECONDS = 30
PROBE_TIMEOUT_SECONDS = 3
# Explicit ids: a job added twice replaces itself instead of running twice.
SYNC_JOB = "village.sync"
BACKUP_JOB = "village.backup"
EXPIRE_JOB = "county.expire_announcements"


# --- backoff and probe: pure decisions -------------------------------------------------------

def backoff_ceiling(failures, base, cap):
    """Return the longest wait after `failures` failed attempts in a row (capped exponential)."""
    if failures <= 0:
        return 0.0
    return float(min(cap, base * 2 ** min(failures - 1, 32)))


def backoff_delay(failures, base, cap, rand=random.random):
    """Return the wait before the next attempt: full jitter, uniform in [0, ceiling)."""
    # Full jitter spreads the villages that lost the same link, so they do not all come back at once.
    return rand() * backoff_ceiling(failures, base, cap)


def link_came_back(before, now):
    """Return True when the probe saw the hub unreachable before and reachable now."""
    return before is False and now is True


def hub_address(url):
    """Return (host, port) of a hub URL (port 443 for https, 80 for http when not given)."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"not a hub URL: {url!r}")
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


def reachable(url, timeout=PROBE_TIMEOUT_SECONDS):
    """Return True when a TCP connection to the hub of `url` opens (a few hundred bytes at most)."""
    try:
        with socket.create_connection(hub_address(url), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


@dataclass
class SyncLoop:
    """When to sync: every `interval` seconds, backing off after failures, promptly on reconnection.

    `tick(now, sync, probe)` is called every few seconds with a monotonic `now`; `sync()` runs
    one round and returns True on success; `probe()` says whether the hub is reachable.
    """

    interval: float
    cap: float
    base: float = BACKOFF_BASE_SECONDS
    rand: object = random.random
    failures: int = 0
    next_at: float = 0.0
    link_up: Optional[bool] = None

    def tick(self, now, sync, probe):
        """Sync when due or when the link just came back; return what was done."""
        if now < self.next_at:
            if not self.failures:
                return "idle"
            up = probe()
            came_back = link_came_back(self.link_up, up)
            self.link_up = up
            if not came_back:
                return "waiting"
        ok = sync()
        self.record(ok, now, probe)
        return "synced" if ok else "failed"

    def record(self, ok, now, probe):
        """Plan the next attempt after a round that succeeded (`ok`) or failed."""
        if ok:
            self.failures, self.link_up = 0, None
            self.next_at = now + self.interval
            return
        self.failures += 1
        self.next_at = now + backoff_delay(self.failures, self.base, self.cap, self.rand)
        # The baseline for "the link came back": a failure while the hub answers TCP (a refusal,
        # say) must not turn every probe into a retry.
        self.link_up = probe()


# --- one scheduler per data directory -------------------------------------------------------

class DataDirLock:
    """An exclusive lock on a file in the data directory, held for the life of the process."""

    def __init__(self, data_dir):
        self.path = Path(data_dir) / LOCK_FILE
        self.fd = None

    def acquire(self):
        """Take the lock if no other process holds it; return True when we hold it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd
        return True

    def release(self):
        """Let another process take the lock."""
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def hub_url(node):
    """Return the hub URL the node enrolled with, or None when it has not enrolled."""
    try:
        db = connect_existing(node)  # never connect(): SQLite would make a missing database anew, empty
    except NodeError as exc:
        log.error("no sync: %s", exc)
        return None
    try:
        return get_meta(db, HUB_URL)
    finally:
        db.close()


def sync_round(node):
    """Run one sync round with `village.ops.sync.run_sync`; return True when it succeeded."""
    try:
        from village.ops.sync import run_sync

        result = run_sync(node)
    except Exception:  # a job must never die: the next tick retries with backoff
        log.exception("scheduled sync failed")
        return False
    if result.code == codes.BUSY:
        return True  # a round started by hand is doing the work: not a failure of the link
    if not result.ok:
        log.warning("scheduled sync failed: %s", result.error)
    return result.ok


class NodeScheduler:
    """The node's APScheduler, started only by the process holding the data directory's lock."""

    def __init__(self, node, tick_seconds=TICK_SECONDS, sync=None, probe=None, clock=time.monotonic):
        self.node = node
        self.tick_seconds = tick_seconds
        self.sync = sync or (lambda: sync_round(node))
        self.probe = probe or (lambda: reachable(hub_url(node) or ""))
        self.clock = clock
        self.loop = SyncLoop(interval=node.setting("sync_interval_minutes") * 60,
                             cap=node.setting("sync_backoff_max_minutes") * 60)
        self.lock = DataDirLock(node.data_dir)
        self.scheduler = None

    def start(self):
        """Start the jobs and return True, or return False when another process runs them."""
        from apscheduler.schedulers.background import BackgroundScheduler

        if not self.lock.acquire():
            return False
        defaults = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 300}
        self.scheduler = BackgroundScheduler(job_defaults=defaults, daemon=True)
        add = self.scheduler.add_job
        add(self.sync_tick, "interval", seconds=self.tick_seconds, id=SYNC_JOB, replace_existing=True,
            next_run_time=utc_now())
        # Hourly "is one due?" rather than a 02:30 cron: a service point switched off at night
        # still gets its daily backup.
        add(self.with_db(backup_if_due), "interval", hours=1, id=BACKUP_JOB, replace_existing=True,
            next_run_time=utc_now() + datetime.timedelta(minutes=2))
        if self.node.role == "county":
            add(self.with_db(expire_announcements), "interval", minutes=5, id=EXPIRE_JOB, replace_existing=True)
        self.scheduler.start()
        return True

    def shutdown(self):
        """Stop the jobs and release the data directory's lock."""
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        self.lock.release()

    def sync_tick(self):
        """The sync job: sync when due, probe while backing off (only once enrolled)."""
        if not hub_url(self.node):
            return "not enrolled"
        return self.loop.tick(self.clock(), self.sync, self.probe)

    def with_db(self, job):
        """Return `job(db, node)` as a job that opens and closes its own connection."""
        def run():
            try:
                db = connect_existing(self.node)
            except NodeError as exc:
                log.error("scheduled job %s not run: %s", job.__name__, exc)
                return None
            try:
                return job(db, self.node)
            except Exception:
                log.exception("scheduled job %s failed", job.__name__)
            finally:
                db.close()

        run.__name__ = job.__name__
        return run


# --- the jobs -------------------------------------------------------------------------------


def backup_due(newest, now, local_hour):
    """Return True when a backup is due: none for 20 h and it is night, or none for 26 h at all."""
    if newest is None:
        return True
    age = abs(now - newest)  # abs: a clock reset to 1970 must not stop backups for decades
    return age >= datetime.timedelta(hours=26) or (age >= datetime.timedelta(hours=20) and local_hour < 6)


def newest_backup(folder):
    """Return the UTC time the newest backup in `folder` was taken (from its name), or None."""
    found = sorted(Path(folder).glob(f"{BACKUP_PREFIX}*{BACKUP_SUFFIX}"))
    for path in reversed(found):
        stamp = path.name[len(BACKUP_PREFIX):-len(BACKUP_SUFFIX)]
        try:
            return datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            continue
    return None


def backup_if_due(db, node, now=None):
    """Take the nightly backup when one is due (see `backup_due`); return its path or None."""
    now = now or utc_now()
    if not backup_due(newest_backup(Path(node.data_dir) / BACKUP_DIR), now, now.astimezone().hour):
        return None
    return nightly_backup(db, node, now)


def nightly_backup(db, node, now=None):
    """Back the database up into <data>/backups/ and keep the newest `backup_keep` files."""
    from village.ops.maintenance import backup

    folder = make_private_dir(Path(node.data_dir) / BACKUP_DIR)
    stamp = (now or utc_now()).strftime("%Y%m%dT%H%M%S%fZ")
    out = backup(db, folder / f"{BACKUP_PREFIX}{stamp}{BACKUP_SUFFIX}")
    rotate_backups(folder, node.setting("backup_keep"))
    return out


def rotate_backups(folder, keep):
    """Delete all but the newest `keep` backups in `folder`; return the deleted paths."""
    found = sorted(p for p in Path(folder).glob(f"{BACKUP_PREFIX}*{BACKUP_SUFFIX}") if p.is_file())
    doomed = found[:-keep] if keep > 0 else found
    for path in doomed:
        path.unlink()
    return doomed


def expire_announcements(db, node, now=None):
    """Delete (tombstone, so it syncs) every announcement of this hub's area that has expired."""
    from village.records import core

    moment = utc_text(now)
    rows = db.execute("SELECT id, area FROM announcements WHERE _deleted = 0 AND expires_at IS NOT NULL "
                      "AND expires_at <= ?", [moment]).fetchall()
    # Announcements from a higher hub are that hub's to expire; ours must stay in our area.
    doomed = [row_id for row_id, area in rows if inside(area, node.area)]
    if doomed:
        with core.write(db, node) as writer:
            for row_id in doomed:
                core.delete(writer, node, "announcements", row_id)
    return doomed
