"""File modes of a node's data: a private data directory and files only their owner can read.

The data directory holds password hashes, every enrolled village's sync secret (at a hub),
the node's keys and residents' personal data. It is 0700 and every file the node writes is
0600: the commands run under a 0077 umask (SQLite gives its -wal and -shm files the mode of
the database file), and the files we create ourselves are created 0600 from the start.
"""
import contextlib
import os
import stat
from pathlib import Path

from sync.files import PRIVATE_FILE

PRIVATE_DIR = 0o700
PRIVATE_UMASK = 0o077
SCAN_DEPTH = 2  # the data directory, backups/ and cert_keys/

# Codes of village.errors.REGISTRY, where their messages are.
OUT_EXISTS, OUT_IS_FOLDER = "out.exists", "out.is_folder"
OUT_NO_FOLDER, OUT_NOT_WRITABLE = "out.no_folder", "out.not_writable"


@contextlib.contextmanager
def private_umask():
    """Run the block with a 0077 umask: whatever it creates is readable by its owner only."""
    # The umask belongs to the process: the CLI sets it around one command, a server for its life.
    old = os.umask(PRIVATE_UMASK)
    try:
        yield
    finally:
        os.umask(old)


def make_private_dir(path):
    """Create directory `path` (and its parents) if needed and take group and other access away."""
    path = Path(path)
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    tighten(path)
    return path


def tighten(path):
    """Take group and other permissions off `path`, keeping the owner's (a read-only dir stays so).

    Return True when the mode is private afterwards; False when it cannot be changed (another
    owner) or the path is gone.
    """
    try:
        mode = os.stat(path).st_mode
        if stat.S_IMODE(mode) & PRIVATE_UMASK:
            os.chmod(path, stat.S_IMODE(mode) & ~PRIVATE_UMASK)
        return True
    except OSError:
        return False


def loose_modes(data_dir):
    """Return [(path, mode)] for the data directory and its files that others may read or enter."""
    found = []
    root = Path(data_dir)

    def scan(folder, depth):
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            if entry.is_symlink():
                continue
            mode = stat.S_IMODE(entry.stat().st_mode)
            if mode & PRIVATE_UMASK:
                found.append((Path(entry.path), mode))
            if entry.is_dir() and depth < SCAN_DEPTH:
                scan(entry.path, depth + 1)

    if root.is_dir():
        mode = stat.S_IMODE(root.stat().st_mode)
        if mode & PRIVATE_UMASK:
            found.append((root, mode))
        scan(root, 1)
    return found


def out_file_problem(path, example="file"):
    """Return (code, params) when no new file can be written at `path`, else None.

    Checked before the work starts: a missing folder must not be found out after a hub
    import has committed, or after minutes of building a file.
    """
    path = Path(path)
    if path.is_dir():
        return OUT_IS_FOLDER, {"path": str(path), "example": str(path / example)}
    if path.exists():
        return OUT_EXISTS, {"path": str(path)}
    folder = path.absolute().parent
    if not folder.is_dir():
        return OUT_NO_FOLDER, {"dir": str(folder)}
    probe = folder / f".{path.name}.{os.getpid()}.probe"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
        probe.unlink()
    except OSError as exc:
        return OUT_NOT_WRITABLE, {"dir": str(folder), "error": exc.strerror or str(exc)}
    return None
