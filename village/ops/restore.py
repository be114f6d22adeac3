"""`village restore`: replace a node's database with a backup, checked whole before anything is replaced.

The current database is never opened first (it may be the damaged thing being repaired). The
backup is copied beside it, and the copy is checked: SQLite's integrity check, migrations this
program knows, the node it belongs to, and no schema object a migration did not make (a
trigger or view in a backup runs with the node's rights once restored). Only then is the copy
brought up to date and swapped in; the replaced files are kept as village.db.before-restore.
"""
import contextlib
import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

import sqlite_utils

from sync.epoch import bump
from sync.files import sync_to_disk, write_new
from sync.meta import HLC, SECRET, get_meta, set_meta
from sync.store import transaction
from village.errors import Problem
from village.dbfile import CORRUPT_CODES, EMPTY, MISSING, explain, file_problem
from village.migrations import applied_names, migrate, newer_names, replay
from village.node import NODE_ID_KEY

RESTORING = ".restoring"
REPLACED = ".before-restore"
SIDE_FILES = ("-wal", "-shm", "-journal")
# Changes made after a backup may already be at the hub under sequence numbers the backup
# reuses; when the current database cannot tell how far it got, new changes start far beyond.
SEQ_JUMP = 1 << 32



@contextlib.contextmanager
def _node_quiet(node):
    """Hold the server's and the sync's locks: nobody may use the database while it is swapped."""
    from village.ops.datadir_lock import DataDirLock
    from village.ops.sync import SyncBusy, round_lock

    lock = DataDirLock(node.data_dir)
    if not lock.acquire():
        raise Problem("restore.serving", dir=str(node.data_dir))
    try:
        with round_lock(node):
            yield
    except SyncBusy:
        raise Problem("restore.syncing", dir=str(node.data_dir)) from None
    finally:
        lock.release()


def restore(node, source, force=False):
    """Replace the database of `node` with the backup at `source`; return what the clerk should know."""
    source = Path(source)
    if not source.is_file():
        raise Problem("restore.no_file", path=str(source))
    copy_path = Path(f"{node.db_path}{RESTORING}")
    with _node_quiet(node):
        try:
            _remove(copy_path)
            report = _prepare(node, source, copy_path, force)
            report["replaced"] = _swap(node.db_path, copy_path)
        finally:
            _remove(copy_path)
    return report


def _prepare(node, source, copy_path, force):
    copy = _copy(source, copy_path)
    try:
        names = applied_names(copy)
        if copy.execute("PRAGMA integrity_check").fetchone()[0] != "ok" or not names:
            raise Problem("restore.damaged", path=str(source))
        newer = newer_names(copy)
        if newer:
            raise Problem("restore.newer", path=str(source), name=newer[0])
        owner = _owner(copy)
        if not force and owner != node.node_id and (owner or get_meta(copy, SECRET)):
            raise Problem("restore.foreign" if owner else "restore.unknown_owner", path=str(source), owner=owner,
                                   node=node.node_id)
        alien = unknown_schema(copy, names)
        if alien:
            raise Problem("restore.alien_schema", path=str(source), objects=", ".join(alien[:8]))
        migrate(copy)
        clock = _current_clock(node.db_path)
        _carry_forward(copy, clock, node)
        users = copy.execute("SELECT username, role FROM users WHERE COALESCE(disabled, 0) = 0 "
                             "ORDER BY username").fetchall()
        copy.execute("PRAGMA journal_mode = WAL")
    except sqlite3.DatabaseError as exc:
        raise Problem("restore.not_a_backup", path=str(source), error=str(exc)) from None
    finally:
        copy.close()
    sync_to_disk(copy_path)
    return {"owner": owner, "clock_read": clock is not None, "users": users}


def _copy(source, copy_path):
    """Copy the backup into a new 0600 file with SQLite's backup (a file:// URI never creates anything)."""
    # quote(): a "#" or "?" in the name must not end the path ("backup#1.db" would open "backup").
    uri = f"file:{quote(str(source.absolute()))}?mode=ro"
    write_new(copy_path, [])
    try:
        src = sqlite3.connect(uri, uri=True)
        dest = sqlite3.connect(str(copy_path))
        try:
            src.backup(dest)
        finally:
            src.close()
            dest.close()
    except sqlite3.DatabaseError as exc:
        if (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF in CORRUPT_CODES:
            raise Problem("restore.not_a_backup", path=str(source), error=str(exc)) from None
        code, params = explain(exc, copy_path)
        raise Problem(code, **params) from None
    return sqlite_utils.Database(sqlite3.connect(str(copy_path), isolation_level=None))


def _owner(db):
    """Return the node a database belongs to: recorded, else the one that made its own changes."""
    owner = get_meta(db, NODE_ID_KEY)
    if owner:
        return owner
    makers = {v.partition("-")[2] for (v,) in db.execute("SELECT DISTINCT version FROM _changes WHERE src IS NULL "
                                                           "LIMIT 1000")}
    return makers.pop() if len(makers) == 1 else None


def schema_shape(db):
    """Return {(type, name): shape} of every object in a database's schema, but SQLite's own."""
    shape = {}
    rows = db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchall()
    for kind, name, table, sql in rows:
        if kind == "table" and not (sql or "").upper().startswith("CREATE VIRTUAL"):
            shape[kind, name] = tuple((c[1], (c[2] or "").upper()) for c in db.execute(f"PRAGMA table_xinfo([{name}])"))
        elif kind == "index":
            shape[kind, name] = (table, tuple(c[2] for c in db.execute(f"PRAGMA index_info([{name}])")))
        else:
            # Triggers, views and virtual tables: their SQL is what they do.
            shape[kind, name] = " ".join((sql or "").split())
    return shape


def unknown_schema(db, names):
    """Return the schema objects of `db` that the migrations `names` do not make ([] when none)."""
    fresh = replay(names)
    expected, found = schema_shape(fresh), schema_shape(db)
    fresh.close()
    alien = []
    for (kind, name), shape in found.items():
        known = expected.get((kind, name))
        if known == shape:
            continue
        extra = kind == "table" and known and [c for c, _ in shape if c not in dict(known)]
        alien += [f"column {name}.{c}" for c in extra] if extra else [f"{kind} {name}"]
    missing = [f"{kind} {name} (missing)" for kind, name in sorted(expected.keys() - found.keys())]
    return alien + missing


def _current_clock(db_path):
    """Return (hlc, last seq) of the database being replaced, or None when it cannot be read."""
    problem = file_problem(db_path)
    if problem and problem[0] in (MISSING, EMPTY):
        return None
    try:
        conn = sqlite3.connect(f"file:{quote(str(Path(db_path).absolute()))}?mode=ro", uri=True)
        try:
            hlc = conn.execute("SELECT value FROM _sync_meta WHERE key = ?", [HLC]).fetchone()
            seq = conn.execute("SELECT MAX(seq) FROM sqlite_sequence WHERE name = '_changes'").fetchone()[0]
            return int(hlc[0]) if hlc else 0, seq or 0
        finally:
            conn.close()
    except (sqlite3.DatabaseError, ValueError):
        return None


def _carry_forward(db, clock, node):
    """Keep the clock and change sequence ahead of all the node handed out; record the owner; start an epoch."""
    restored_seq = db.execute("SELECT COALESCE(MAX(seq), 0) FROM _changes").fetchone()[0]
    hlc, seq = clock if clock else (0, restored_seq + SEQ_JUMP)
    with transaction(db):
        # As a hub, the restored database lacks what came after the backup: a new epoch makes
        # the nodes below rewind and send it again (sync.epoch).
        bump(db, since=restored_seq)
        set_meta(db, HLC, str(max(hlc, int(get_meta(db, HLC, "0")))))
        set_meta(db, NODE_ID_KEY, node.node_id)
        db.execute("UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = '_changes'", [seq])
        db.execute("INSERT INTO sqlite_sequence (name, seq) SELECT '_changes', ? WHERE NOT EXISTS "
                   "(SELECT 1 FROM sqlite_sequence WHERE name = '_changes')", [seq])


def _swap(db_path, copy_path):
    """Put the checked copy in place of the database; keep the replaced files; return their name or None."""
    db_path = Path(db_path)
    kept = Path(f"{db_path}{REPLACED}")
    _remove(kept)
    had = db_path.exists()
    if had:
        os.link(db_path, kept)
    wal = Path(f"{db_path}-wal")
    keep_sides = wal.exists() and wal.stat().st_size > 0
    for suffix in SIDE_FILES:
        # A WAL left beside the new file would be replayed into it: it goes with the old database.
        side = Path(f"{db_path}{suffix}")
        if side.exists() and keep_sides:
            os.replace(side, f"{kept}{suffix}")
        else:
            side.unlink(missing_ok=True)
    os.replace(copy_path, db_path)
    sync_to_disk(db_path.parent)
    return str(kept) if had else None


def _remove(path):
    for name in (str(path), *(f"{path}{suffix}" for suffix in SIDE_FILES)):
        Path(name).unlink(missing_ok=True)
