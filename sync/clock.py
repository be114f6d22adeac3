"""Hybrid logical clock, persisted in the database.

A timestamp is a 64-bit integer: milliseconds since the epoch in the high 48 bits and a
counter in the low 16. A *version* is that timestamp as 16 hex digits, a dash and the node
id, so that comparing two version strings orders them by (timestamp, node id): the
deterministic last-writer-wins order every node agrees on.
"""
import datetime
import time

from sync.meta import CLOCK_OFFSET, HLC
from sync.stores import as_tx

COUNTER_BITS = 16
COUNTER_MASK = (1 << COUNTER_BITS) - 1
# A peer more than a day ahead of us is flagged in status (never refused).
FUTURE_LIMIT_MS = 24 * 3600 * 1000


def utc_now():
    """Return the current moment as an aware datetime in UTC."""
    return datetime.datetime.now(datetime.timezone.utc)


def utc_text(moment=None):
    """Return `moment` (default now) as ISO 8601 text in UTC to the second: how records store times."""
    return (moment or utc_now()).astimezone(datetime.timezone.utc).isoformat(timespec="seconds")


def wall_ms():
    """Return the machine's wall clock in milliseconds."""
    return int(time.time() * 1000)


def make_version(hlc, node_id):
    """Return the version string of timestamp `hlc` on node `node_id`."""
    return f"{hlc:016x}-{node_id}"


def split_version(version):
    """Return (hlc, node_id) of a version string."""
    stamp, _, node = version.partition("-")
    return int(stamp, 16), node


def physical_ms(hlc):
    """Return the milliseconds part of a timestamp."""
    return hlc >> COUNTER_BITS


def stored_stamp(db):
    """Return the last stamp the clock persisted in `db` (what a hub's answers show), reading nothing else."""
    return int(as_tx(db).get_meta(HLC, "0"))


class Clock:
    """A hybrid logical clock loaded from and saved to the `_sync_meta` table.

    Load it inside a write transaction (which holds SQLite's write lock), tick it, and save
    it before commit: two processes on one database then never hand out the same timestamp.
    """

    def __init__(self, last=0, wall=wall_ms, offset_ms=0, lock=None):
        self.last = last
        self.wall = wall
        self.offset_ms = offset_ms
        self._lock = lock

    @classmethod
    def load(cls, db, wall=wall_ms):
        """Return the clock persisted in `db`."""
        tx = as_tx(db)
        # Where writers run at once (PostgreSQL), the stored stamp is locked before the first
        # new stamp, so two transactions never hand out the same one; applying alone locks nothing.
        return cls(int(tx.get_meta(HLC, "0")), wall, int(tx.get_meta(CLOCK_OFFSET, "0")),
                   tx.lock_clock if tx.concurrent_writers else None)

    def save(self, db):
        """Persist the clock in `db` (call inside the same transaction as the writes)."""
        as_tx(db).save_clock(self.last)

    def now(self):
        """Return a new timestamp, greater than every one this clock has seen."""
        if self._lock:
            self.last, self._lock = max(self.last, self._lock()), None
        physical = (self.wall() + self.offset_ms) << COUNTER_BITS
        # A wall clock reset to 1970 leaves `last` ahead: the counter moves on from there, so
        # the node's own edits stay in order and never go backwards.
        self.last = max(physical, self.last + 1)
        return self.last

    def observe(self, remote):
        """Merge a peer's timestamp, so our next one is later; never refuse it.

        Return how far ahead of our wall clock the peer is, in milliseconds (0 if not).
        """
        self.last = max(self.last, remote)
        return max(0, physical_ms(remote) - (self.wall() + self.offset_ms))
