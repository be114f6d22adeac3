"""Opening a node's SQLite database and running write transactions on it."""
import contextlib
import sqlite3
import time

import sqlite_utils

BUSY_TIMEOUT_MS = 10_000


def connect(path):
    """Open the SQLite database at `path` (WAL, foreign keys, busy timeout, full sync)."""
    # isolation_level=None: we issue BEGIN ourselves, so every write transaction is IMMEDIATE.
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute("PRAGMA journal_mode = WAL")
    # FULL: a commit is on disk before we tell anyone it is saved (power cuts are common).
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return sqlite_utils.Database(conn)


@contextlib.contextmanager
def transaction(db, retries=5, durable=True):
    """Run the block in one IMMEDIATE transaction: all of it is committed or none of it.

    IMMEDIATE takes the write lock up front, so a reader never has to upgrade mid-way (which
    SQLite answers with "database is locked" regardless of the busy timeout).
    `durable=False` commits without waiting for the disk (a power cut may undo the commit, a
    crash of the program does not): only for writes that are harmless to lose (`sync.links`).
    """
    from sync.stores.base import Store, Tx

    if isinstance(db, (Store, Tx)):
        # Another engine's store (or a Tx): it opens, joins and commits its own transactions.
        with db.transaction(durable=durable) as tx:
            yield tx
        return
    conn = db.conn
    if conn.in_transaction:
        # Nested use joins the outer transaction; the outer block decides commit or rollback.
        yield db
        return
    if not durable:
        # SQLite takes a safety level only outside a transaction; this thread's connection gets FULL back after.
        conn.execute("PRAGMA synchronous = NORMAL")
        try:
            with transaction(db, retries) as joined:
                yield joined
        finally:
            conn.execute("PRAGMA synchronous = FULL")
        return
    for attempt in range(retries):
        try:
            conn.execute("BEGIN IMMEDIATE")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == retries - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def dicts(cursor):
    """Yield the rows of an executed cursor as dicts keyed by column name."""
    names = [d[0] for d in cursor.description]
    for row in cursor:
        yield dict(zip(names, row))


def first(cursor):
    """Return the first row of an executed cursor as a dict, or None."""
    return next(dicts(cursor), None)

