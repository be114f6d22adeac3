"""Files only their owner can read, written whole or not at all (bundles, keys, the identity file)."""
import os
from pathlib import Path

PRIVATE_FILE = 0o600


def write_new(path, chunks):
    """Write `chunks` (bytes) to a new file at `path`, mode 0600 whatever the umask, synced to disk.

    Refuses an existing file (FileExistsError): two writers never share one.
    """
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE), "wb") as out:
        for chunk in chunks:
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())


def write_private(path, chunks):
    """Write `chunks` to `path` through `NAME.part` and a rename: a half-written file never has the name."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    tmp.unlink(missing_ok=True)
    try:
        write_new(tmp, chunks)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def sync_to_disk(path):
    """Flush a file, or a folder's list of names after a rename, to the disk (power cuts are common)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
