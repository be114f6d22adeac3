"""The bundle file: sealed to its receiver, signed by its link, checked before its body is read.

Layout:

    VILLAGE-BUNDLE/2\\n
    {"kind", "link", "to", "epk", "sizes", "sig", ["reply_key"]}\\n     (one line of JSON, at most 64 KB)
    sealed payload 0: the inner header (JSON: cursors, or the acknowledgement and the hub's clock)
    sealed payloads 1..n: batches in the one batch format (`sync.batch`), then the files the
                          inner header lists under "files" ([sha256, size] each), as they are

The outer header says only where the file goes and how it is cut: `kind`, the sending `link`
(the node id the hub knows it by), `to` (the fingerprint of the receiver's public key), `epk`
(the one-time key of the seal, `sync.seal`), `sizes` (bytes of each sealed payload) and, in a
push, `reply_key` (the node's public key, which the hub seals the reply to). Everything else,
cursors and acknowledgements included, is sealed, so a stick found by someone else shows no
personal data.

`sig` is the HMAC (`sync.auth.sign`) with the link's sync secret over the SHA-256 of the
header line without `sig` and of every sealed byte. Before the body is read, the file's size
is checked against MAX_BUNDLE_BYTES and against the header's declared sizes; the signature is
then checked streaming, and only a signed file is opened, one payload at a time.
"""
import hashlib
import json
from pathlib import Path

from sync.auth import sign, signature_ok
from sync.batch import BadBatch, decode
from sync.files import write_private
from sync.seal import Opener, SealError, Sealer, fingerprint, load_public, public_text

MAGIC = b"VILLAGE-BUNDLE/2\n"
OLD_MAGIC = b"VILLAGE-BUNDLE/1\n"
MAX_HEADER = 64 * 1024
MAX_BUNDLE_BYTES = 256 * 1024 * 1024
MAX_PAYLOADS = 10_000
READ_CHUNK = 1024 * 1024
PUSH, REPLY = "push", "reply"


class BundleRefused(Exception):
    """A bundle that cannot be exported or imported; nothing was changed. `code` says why."""

    def __init__(self, code, detail="", **params):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code, self.detail, self.params = code, detail, params


def _canonical(header):
    return json.dumps({k: v for k, v in header.items() if k != "sig"}, sort_keys=True, separators=(",", ":")).encode()


def _digest(header, chunks):
    digest = hashlib.sha256(_canonical(header) + b"\n")
    for chunk in chunks:
        digest.update(chunk)
    return digest.digest()


def _signature(secret, header, digest):
    return sign(secret, "BUNDLE", header["kind"], digest, "", header["link"])


def write_bundle(path, secret, recipient_key, header, inner, payloads):
    """Write a bundle sealed to `recipient_key` and signed with `secret`, atomically and mode 0600."""
    sealer = Sealer(recipient_key)
    plain = [json.dumps(inner, sort_keys=True).encode(), *payloads]
    sealed = [sealer.seal(i, len(plain), p) for i, p in enumerate(plain)]
    header = dict(header, to=sealer.recipient, epk=sealer.ephemeral_text, sizes=[len(s) for s in sealed])
    header["sig"] = _signature(secret, header, _digest(header, sealed))
    # 0600 whatever the umask: the file holds what the node sends (sealed, but still).
    head = json.dumps(header, sort_keys=True, separators=(",", ":")).encode() + b"\n"
    return write_private(path, [MAGIC, head, *sealed])


class Bundle:
    """A bundle file whose header was read and checked against the file's size; the body waits."""

    def __init__(self, path):
        self.path = Path(path)
        try:
            size = self.path.stat().st_size
            if size > MAX_BUNDLE_BYTES:
                # Refused from its size alone: a 2 GB file is not read to find out it is too big.
                raise BundleRefused("too_large", f"{size} bytes", size=size, limit=MAX_BUNDLE_BYTES)
            with open(self.path, "rb") as handle:
                magic = handle.read(len(MAGIC))
                line = handle.readline(MAX_HEADER + 1)
                self.body_at = handle.tell()
        except OSError as exc:
            raise BundleRefused("unreadable", exc.strerror or str(exc)) from None
        if magic == OLD_MAGIC:
            raise BundleRefused("old_format", "written by an older version, not sealed")
        if magic != MAGIC or not line.endswith(b"\n"):
            raise BundleRefused("damaged", "not a bundle file")
        self.header = _checked_header(line)
        self.sizes = self.header["sizes"]
        if self.body_at + sum(self.sizes) != size:
            raise BundleRefused("damaged", "truncated or padded")

    @property
    def kind(self):
        """Return "push" or "reply"."""
        return self.header["kind"]

    def _body(self):
        with open(self.path, "rb") as handle:
            handle.seek(self.body_at)
            while chunk := handle.read(READ_CHUNK):
                yield chunk

    def check_signature(self, secret):
        """Raise BundleRefused("tampered") unless the file was signed with `secret` (read streaming)."""
        digest = _digest(self.header, self._body())
        if not signature_ok(secret, self.header["sig"], "BUNDLE", self.kind, digest, "", self.header["link"]):
            raise BundleRefused("tampered", "the signature does not match the contents")

    def open(self, key):
        """Return (inner header, iterator of decoded batches, iterator of files' bytes), opened with `key`.

        Call only after `check_signature`. The payloads are read, opened (and batches decoded)
        one at a time; a payload that does not open raises BundleRefused while they are read.
        The files are the last payloads, as many as the inner header's `files` lists ([sha256,
        size] each).
        """
        if self.header["to"] != fingerprint(public_text(key)):
            raise BundleRefused("wrong_key", "sealed to another key")
        try:
            opener = Opener(key, self.header["epk"])
        except SealError as exc:
            raise BundleRefused("damaged", str(exc)) from None
        try:
            inner = json.loads(next(self._payloads(opener, 0, 1)))
            if not isinstance(inner, dict):
                raise ValueError("the inner header is not an object")
            files = _files_listed(inner, len(self.sizes) - 1)
        except ValueError as exc:
            raise BundleRefused("damaged", str(exc)) from None
        batches = len(self.sizes) - files
        return inner, map(_decoded, self._payloads(opener, 1, batches)), self._payloads(opener, batches)

    def _payloads(self, opener, first=0, last=None):
        """Yield the payloads numbered `first` up to `last` (excluded; None: to the end), opened."""
        count = len(self.sizes)
        with open(self.path, "rb") as handle:
            handle.seek(self.body_at + sum(self.sizes[:first]))
            for index, size in enumerate(self.sizes[first:last], start=first):
                try:
                    yield opener.open(index, count, handle.read(size))
                except SealError as exc:
                    raise BundleRefused("tampered", str(exc)) from None

    def reply_key(self):
        """Return the public key a push asks its reply to be sealed to."""
        try:
            key = str(self.header["reply_key"])
            load_public(key)
        except (KeyError, SealError):
            raise BundleRefused("damaged", "no key to seal the reply to") from None
        return key


def _files_listed(inner, payloads):
    """Return how many of the `payloads` are files, as the inner header lists them; raise ValueError if it lies."""
    listed = inner.get("files", [])
    if not isinstance(listed, list) or len(listed) > payloads or \
            any(not (isinstance(f, list) and len(f) == 2 and isinstance(f[0], str) and type(f[1]) is int)
                for f in listed):
        raise ValueError("the list of files does not match the payloads")
    return len(listed)


def _decoded(payload):
    try:
        return decode(payload)
    except BadBatch as exc:
        raise BundleRefused("damaged", str(exc)) from None


def _checked_header(line):
    try:
        header = json.loads(line)
        for key in ("kind", "link", "sig", "to", "epk"):
            if not isinstance(header[key], str):
                raise TypeError(key)
        sizes = header["sizes"]
        if not isinstance(sizes, list) or not 1 <= len(sizes) <= MAX_PAYLOADS or \
                any(type(s) is not int or not 0 <= s <= MAX_BUNDLE_BYTES for s in sizes):
            raise ValueError("sizes")
    except (ValueError, KeyError, TypeError, RecursionError):
        raise BundleRefused("damaged", "unreadable header") from None
    if header["kind"] not in (PUSH, REPLY):
        raise BundleRefused("damaged", f"unknown bundle kind {header['kind'][:20]!r}")
    return header
