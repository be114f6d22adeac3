"""Scheduled jobs inside `village serve`: sync with backoff and a reachability probe, nightly
backups with rotation, and at a county hub the expiry of announcements.

At a county hub whose records are in PostgreSQL, the jobs run on that store, and there is no
nightly backup: that database is backed up with its own tools (docs/postgresql.md).

The jobs run once per data directory: the scheduler starts only in the process that holds an
exclusive lock on a file in the data directory (`datadir_lock`), so a second server on the
same directory serves pages but runs no jobs. Every job is a thin wrapper over a function a
person or a test can call directly; when to sync is decided by `sync_loop`. Villages not seen
need no job: `village status` works them out from each node's last contact.
"""
import datetime
import logging
import threading
import time

from sync import codes
from sync.clock import utc_now, utc_text
from sync.meta import HUB_URL, get_meta
from sync.scope import inside
from village.errors import Problem
from village.hubdb import close_store, sync_store
from village.node import connect_existing, open_db
from village.ops.backups import backup_if_due
from village.ops.datadir_lock import DataDirLock
from village.ops.sync_loop import SyncLoop, reachable

log = logging.getLogger(__name__)

TICK_SECONDS = 15  # how often the sync loop looks at its state; the probe's period while in backoff
# Explicit ids: a job added twice replaces itself instead of running twice.
SYNC_JOB = "village.sync"
BACKUP_JOB = "village.backup"
EXPIRE_JOB = "county.expire_announcements"


def sync_round(node, db=None):
    """Run one sync round with `village.ops.sync.run_sync` (on `db` when given); return True when it succeeded."""
    try:
        from village.ops.sync import run_sync

        result = run_sync(node, db=db)
    except Exception:  # a job must never die: the next tick retries with backoff
        log.exception("scheduled sync failed")
        return False
    if result.code == codes.BUSY:
        return True  # a round started by hand is doing the work: not a failure of the link
    if not result.ok:
        log.warning("scheduled sync failed: %s", result.error)
    return result.ok


class NodeScheduler:
    """The node's APScheduler, started only by the process holding the data directory's lock.

    The sync job keeps one connection for the life of the scheduler, opened (and its schema
    checked) at its first tick: a tick every 15 s must not open the database to read one key.
    """

    def __init__(self, node, tick_seconds=TICK_SECONDS, sync=None, probe=None, clock=time.monotonic):
        self.node = node
        self.tick_seconds = tick_seconds
        self.sync = sync or (lambda: sync_round(node, self.sync_db()))
        self.probe = probe or (lambda: reachable(self.hub_url() or ""))
        self.clock = clock
        self.loop = SyncLoop(interval=node.setting("sync_interval_minutes") * 60,
                             cap=node.setting("sync_backoff_max_minutes") * 60)
        self.lock = DataDirLock(node.data_dir)
        self.scheduler = None
        self._db = self._store = None
        self._db_lock = threading.Lock()

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
        if self.node.setting("database"):
            log.info("no nightly backup: this hub's records are in PostgreSQL, backed up with its own tools")
        else:
            # Hourly "is one due?" rather than a 02:30 cron: a service point switched off at night
            # still gets its daily backup.
            add(self.with_db(backup_if_due), "interval", hours=1, id=BACKUP_JOB, replace_existing=True,
                next_run_time=utc_now() + datetime.timedelta(minutes=2))
        if self.node.role == "county":
            add(self.with_db(expire_announcements), "interval", minutes=5, id=EXPIRE_JOB, replace_existing=True)
        self.scheduler.start()
        return True

    def shutdown(self):
        """Stop the jobs, close the sync job's connection and release the data directory's lock."""
        if self.scheduler is not None:
            # Wait for a running job: closing the connection under it, or leaving its thread in
            # SQLite while the interpreter exits, crashes the process (a round is bounded by the
            # transport's timeouts).
            self.scheduler.shutdown(wait=True)
            self.scheduler = None
        with self._db_lock:
            if self._db is not None:
                close_store(self._store, self._db)
                self._db.close()
                self._db = self._store = None
        self.lock.release()

    def sync_db(self):
        """Return the sync job's store (a county hub's PostgreSQL one, or the node's database), opening it
        (schema brought up to date) the first time; None if it cannot."""
        with self._db_lock:
            if self._db is None:
                try:
                    self._db = open_db(self.node)
                    self._store = sync_store(self.node, self._db)
                except Problem as exc:
                    log.error("no sync: %s", exc)
                    if self._db is not None:
                        self._db.close()
                    self._db = None
            return self._store

    def hub_url(self):
        """Return the hub URL the node enrolled with, or None when it has not enrolled."""
        db = self.sync_db()
        return None if db is None else get_meta(db, HUB_URL)

    def sync_tick(self):
        """The sync job: sync when due, probe while backing off (only once enrolled)."""
        if not self.hub_url():
            return "not enrolled"
        return self.loop.tick(self.clock(), self.sync, self.probe)

    def with_db(self, job):
        """Return `job(db, node)` as a job that opens and closes its own connection (an hourly or 5-minute job)."""
        def run():
            store = None
            try:
                db = connect_existing(self.node)
            except Problem as exc:
                log.error("scheduled job %s not run: %s", job.__name__, exc)
                return None
            try:
                store = sync_store(self.node, db)  # where a county hub's records are
                return job(store, self.node)
            except Problem as exc:
                log.error("scheduled job %s not run: %s", job.__name__, exc)
            except Exception:
                log.exception("scheduled job %s failed", job.__name__)
            finally:
                if store is not None:
                    close_store(store, db)
                db.close()

        run.__name__ = job.__name__
        return run


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
