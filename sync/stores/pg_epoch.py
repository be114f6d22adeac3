"""A PostgreSQL hub notices at start that its database is another history than before (`sync.epoch`).

A promoted standby runs on a new timeline; a cluster restored from a dump into a new cluster
has another system identifier; a dump restored into the same cluster (`pg_restore --clean`, or
into a database made again) makes the hub's tables again, under new object ids. Any of them may
lack commits the hub acknowledged, so the hub starts a new epoch. The origin ("system
identifier/timeline/id of `_sync_meta`") is kept in `_sync_meta` (`sync.epoch.ORIGIN`), which
replicates with the rest: a standby holds its primary's origin (and its tables' ids, a physical
copy) until it is promoted and writes its own. pg_upgrade keeps tables' ids: no new epoch.
"""
import psycopg

from sync import epoch


class InRecovery(Exception):
    """The database is a standby still in recovery: it cannot take a hub's writes."""


def origin(conn):
    """Return "system identifier/timeline/table id" of the hub's database behind `conn`; raise InRecovery on a standby."""
    if conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
        raise InRecovery()
    # A WAL file's name starts with the timeline it was written on (8 hex digits).
    timeline = int(conn.execute("SELECT pg_walfile_name(pg_current_wal_lsn())").fetchone()[0][:8], 16)
    try:
        system = conn.execute("SELECT system_identifier FROM pg_control_system()").fetchone()[0]
    except psycopg.errors.InsufficientPrivilege:
        system = "?"  # a role kept from it: the timeline still tells a promotion
    table = conn.execute("SELECT to_regclass('_sync_meta')::oid").fetchone()[0]
    return f"{system}/{timeline}/{table}"


def moved(known, seen):
    """Return True when origin `seen` is another history than `known` (one kept before table ids were: two parts)."""
    return known.split("/")[:len(seen.split("/"))] != seen.split("/")[:len(known.split("/"))]


def check(store):
    """Give the hub's store its first epoch, and a new one when its origin changed; return the epochs.

    Raise InRecovery when the store is a standby not promoted yet.
    """
    with store.pool.connection() as conn:
        seen = origin(conn)
    with store.transaction() as tx:
        tx.lock_clock()  # two hub workers starting at once: the second waits, then sees the first's epoch
        items = epoch.epochs(tx)
        known = tx.get_meta(epoch.ORIGIN)
        if not items:
            items = epoch.ensure(tx)
        elif known is not None and moved(known, seen):
            epoch.bump(tx)
            items = epoch.epochs(tx)
        if known != seen:
            tx.set_meta(epoch.ORIGIN, seen)
    return items
