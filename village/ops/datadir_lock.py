"""One process per data directory runs the jobs: an exclusive lock on a file in it."""
import fcntl
import os
from pathlib import Path

LOCK_FILE = "scheduler.lock"


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
