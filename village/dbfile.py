"""The database file: checked before SQLite opens it, and its failures told apart by an error code.

SQLite treats a missing or zero-byte file as a new, empty database: opening one would silently
recreate a node without its records or its hub credentials. So a node's database is made once,
at `village init`; afterwards a missing or empty file is refused before anything opens it, and
a file SQLite finds damaged is told apart (cut short, not a database, damaged inside), each
with the way out: restore a backup.
"""
import errno
import os
import sqlite3
import struct
from pathlib import Path


SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_BYTES = 100
BACKUP_PLACEHOLDER = "BACKUP-FILE"

# Codes of village.errors.REGISTRY, where their messages are.
MISSING, EMPTY, DAMAGED, FULL, READ_ONLY = "db.missing", "db.empty", "db.damaged", "db.full", "db.read_only"
TRUNCATED, NOT_SQLITE, BUSY, UNUSABLE = "db.truncated", "db.not_sqlite", "db.busy", "db.unusable"

# SQLite's primary result codes (https://sqlite.org/rescode.html) and what each means here.
CORRUPT_CODES = (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB
SQLITE_CODES = {3: READ_ONLY, 5: BUSY, 6: BUSY, 8: READ_ONLY, 11: DAMAGED, 13: FULL, 14: READ_ONLY, 26: DAMAGED}
OS_CODES = {errno.ENOSPC: FULL, errno.EDQUOT: FULL, errno.EROFS: READ_ONLY, errno.EACCES: READ_ONLY,
            errno.EPERM: READ_ONLY}


def newest_backup(data_dir):
    """Return the newest backup file in `<data_dir>/backups`, or a placeholder for the message."""
    from village.ops.backups import BACKUP_DIR, BACKUP_PREFIX, BACKUP_SUFFIX

    found = sorted(Path(data_dir, BACKUP_DIR).glob(f"{BACKUP_PREFIX}*{BACKUP_SUFFIX}"))
    return str(found[-1]) if found else BACKUP_PLACEHOLDER


def file_problem(path):
    """Return (code, params) when the database file at `path` must not be opened, else None.

    Only stat(): opening and closing the file ourselves would drop the POSIX locks that
    SQLite's connections in this process hold on it (closing any descriptor of a file does).
    """
    path = Path(path)
    params = {"path": str(path), "backup": newest_backup(path.parent)}
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return MISSING, params
    except OSError as exc:
        return READ_ONLY, dict(params, error=exc.strerror)
    return (EMPTY, params) if size == 0 else None


def _damage(path, params):
    """Return (code, params) for a database SQLite found damaged: cut short, not one, or damaged."""
    try:
        size = os.stat(path).st_size
        # Read only once SQLite has given up on the file (see file_problem on descriptors).
        with open(path, "rb") as handle:
            header = handle.read(HEADER_BYTES)
    except OSError:
        return DAMAGED, params
    if not header.startswith(SQLITE_MAGIC) or len(header) < HEADER_BYTES:
        return NOT_SQLITE, params
    expected = _declared_size(path, header)
    if expected and size < expected:
        return TRUNCATED, dict(params, size=size, expected=expected)
    return DAMAGED, params


def _declared_size(path, header):
    """Return the file size the header declares, when that can be trusted, else None."""
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size:
        # Pages still in the WAL may not be in the file yet (an interrupted checkpoint): no verdict.
        return None
    page_size = struct.unpack(">H", header[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    change_counter, pages, valid_for = struct.unpack(">I", header[24:28])[0], struct.unpack(
        ">I", header[28:32])[0], struct.unpack(">I", header[92:96])[0]
    # SQLite trusts the in-header page count only when it was written with the change counter.
    if not pages or change_counter != valid_for:
        return None
    return pages * page_size


def damage_of(path, error):
    """Return (code, params) for the database at `path` found damaged by a check rather than an SQLite error."""
    return _damage(path, {"path": str(path), "error": error, "backup": newest_backup(Path(path).parent)})


def explain(exc, path):
    """Return (code, params) telling a clerk what an SQLite or OS error at `path` means (see village.errors)."""
    if isinstance(exc, sqlite3.DatabaseError):
        found = SQLITE_CODES.get((getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF, UNUSABLE)
    else:
        found = OS_CODES.get(getattr(exc, "errno", None), UNUSABLE)
        path = getattr(exc, "filename", None) or path
        exc = getattr(exc, "strerror", None) or exc
    params = {"path": str(path), "error": str(exc), "backup": newest_backup(Path(path).parent)}
    if found == DAMAGED and Path(path).is_file():
        return _damage(path, params)
    return found, params
