"""A content-addressed store of files (blobs) under one folder: each file named by its SHA-256.

`ROOT/ab/abcdef…` holds the blob whose hex SHA-256 is `abcdef…`, mode 0600 in folders of mode
0700. A blob arriving in pieces grows in `ROOT/parts/<sha>.part` and takes its name only once
the whole of it hashes to that name: a half-received or damaged file is never a blob. What a
blob means (whose evidence, which record) is not the store's business.
"""
import fcntl
import hashlib
import os
import re
from pathlib import Path

from sync.files import PRIVATE_FILE, sync_to_disk, write_private

PRIVATE_DIR = 0o700
SHA256 = re.compile(r"^[0-9a-f]{64}$")
READ_CHUNK = 1024 * 1024
PARTS = "parts"


class BlobProblem(Exception):
    """A piece of a blob that cannot be taken; `code` says why (offset, mismatch, too_long, refused)."""

    def __init__(self, code, message, **extra):
        super().__init__(message)
        self.code, self.message, self.extra = code, message, extra


def is_sha256(text):
    """Return True when `text` is a hex SHA-256 as the store names blobs (64 lowercase hex digits)."""
    return isinstance(text, str) and SHA256.match(text) is not None


def digest(data):
    """Return the hex SHA-256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def _private_dir(path):
    path.mkdir(mode=PRIVATE_DIR, exist_ok=True)
    os.chmod(path, PRIVATE_DIR)  # whatever the umask made of it
    return path


class BlobStore:
    """The blobs under one folder (made when the first blob is stored)."""

    def __init__(self, root):
        self.root = Path(root)

    def _folder(self, path):
        """Make folder `path` (right under the store's root) and the root, both private."""
        if not self.root.is_dir():
            self.root.parent.mkdir(parents=True, exist_ok=True)
            _private_dir(self.root)
        return _private_dir(path)

    def path(self, sha):
        """Return where the blob `sha` is (or would be) kept."""
        if not is_sha256(sha):
            raise ValueError("not a sha256")
        return self.root / sha[:2] / sha

    def has(self, sha):
        """Return True when the whole blob `sha` is here."""
        return is_sha256(sha) and self.path(sha).is_file()

    def put(self, data):
        """Store `data` (bytes) once; return its SHA-256. Storing the same bytes again changes nothing."""
        sha = digest(data)
        if not self.has(sha):
            folder = self._folder(self.path(sha).parent)
            write_private(self.path(sha), [data])
            sync_to_disk(folder)
        return sha

    def read(self, sha, offset=0, size=None):
        """Return `size` bytes (all when None) of blob `sha` from `offset`."""
        with open(self.path(sha), "rb") as handle:
            handle.seek(offset)
            return handle.read() if size is None else handle.read(size)

    def size(self, sha):
        """Return the size in bytes of blob `sha`."""
        return self.path(sha).stat().st_size

    def _part(self, sha):
        return self.root / PARTS / f"{self.path(sha).name}.part"

    def received(self, sha):
        """Return how many bytes of blob `sha` have arrived: its size when whole, else its .part file's."""
        if self.has(sha):
            return self.size(sha)
        try:
            return self._part(sha).stat().st_size
        except FileNotFoundError:
            return 0

    def append(self, sha, total, offset, data, check=None):
        """Add `data` at `offset` to the blob `sha` of `total` bytes arriving in pieces; return bytes held.

        A piece must start where the last one ended (else BlobProblem "offset", with the
        offset to go on from) and not run past `total` ("too_long"). With the last piece the
        blob is checked against its name and published ("mismatch": it is thrown away), and by
        `check(whole bytes)` when given, which returns a problem's text or None ("refused": thrown away).
        """
        if self.has(sha):
            return total  # sent again after an answer was lost: held already, nothing to do
        part = self._part(sha)
        self._folder(part.parent)
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
        with os.fdopen(fd, "ab") as out:
            fcntl.flock(out, fcntl.LOCK_EX)  # two senders of one blob take turns
            if self.has(sha):  # the other sender finished it while we waited
                return total
            held = os.fstat(out.fileno()).st_size
            if offset != held:
                raise BlobProblem("offset", f"this file goes on at byte {held}", offset=held)
            if offset + len(data) > total:
                raise BlobProblem("too_long", "the piece runs past the file's size")
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
            held += len(data)
            if held == total:
                self._publish(sha, part, check)
        return held

    def _publish(self, sha, part, check=None):
        """Give a whole .part file its blob name when it hashes to it and `check` finds no problem; else throw it away."""
        whole = hashlib.sha256()
        with open(part, "rb") as handle:
            while chunk := handle.read(READ_CHUNK):
                whole.update(chunk)
        if whole.hexdigest() != sha:
            part.unlink(missing_ok=True)
            raise BlobProblem("mismatch", "the file received does not match its sha256; send it again", offset=0)
        problem = check(part.read_bytes()) if check is not None else None
        if problem:
            part.unlink(missing_ok=True)
            raise BlobProblem("refused", problem, offset=0)
        folder = self._folder(self.path(sha).parent)
        os.replace(part, self.path(sha))
        sync_to_disk(folder)
