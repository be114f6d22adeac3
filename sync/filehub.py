"""The file lane, hub side: which blobs the hub holds or wants, and taking one piece of a blob.

The hub stores a blob only when a record it holds names it with that size: `accepts(db, sha,
size)` is the village side's answer (an evidence record inside the sender's area,
`village.records.evidence.uploadable`). So nobody can fill the hub's disk with files no record
asks for, and a blob's size is bounded by the record's own checks. Every piece is checked (its
blob name, size and offset, its length) before a byte is written, and a blob is published only
once its whole hashes to its name and `check(db, sha, size, bytes)` (the village side's: is it
the kind of file its record says) finds no problem.
"""
from sync import codes
from sync.blobs import BlobProblem, digest, is_sha256
from sync.filelane import MAX_BLOB, MAX_PIECE, PIECE, index_blob, valid_ask
from sync.server import SyncRefused
from sync.store import transaction


def files_status(db, store, items, accepts):
    """Answer a node's question about `items` ([sha256, size] lists): {"have", "want": {sha: offset}, "unknown"}.

    `want` says from which byte to go on (what a broken upload left here).
    """
    asked = valid_ask(items)
    if asked is None:
        raise SyncRefused(400, codes.BAD_REQUEST, "send {\"files\": [[sha256, size], ...]} (at most 500)")
    answer = {"have": [], "want": {}, "unknown": []}
    for sha, size in asked:
        if store.has(sha):
            answer["have"].append(sha)
        elif accepts(db, sha, size):
            answer["want"][sha] = store.received(sha)
        else:
            answer["unknown"].append(sha)
    if answer["have"]:
        with transaction(db) as tx:  # one commit for them all (an SD card pays for each): index what was not
            for sha in answer["have"]:
                index_blob(tx, sha, store.size(sha))
    return answer


def check_piece(sha, size, offset, length):
    """Refuse a piece whose blob name, size, offset or length cannot be right, before it is read."""
    if not is_sha256(sha):
        raise SyncRefused(400, codes.BAD_REQUEST, "a file is named by its sha256: 64 lowercase hex digits")
    if not 0 <= size <= MAX_BLOB or not 0 <= offset <= size:
        raise SyncRefused(400, codes.BAD_REQUEST, "the file's size or the piece's offset is out of range")
    if length > MAX_PIECE or offset + length > size:
        raise SyncRefused(413, codes.TOO_LARGE, f"a piece holds at most {MAX_PIECE} bytes, within the file")


def receive_piece(db, store, sha, size, offset, data, accepts, check=None):
    """Take bytes `offset`.. of blob `sha` of `size` bytes; return {"received": bytes held, "done"}.

    Idempotent: a piece sent again after its answer was lost is refused with the offset to go
    on from (`file_offset`), and a blob held already is acknowledged as done. A whole blob that
    `check` finds a problem with is thrown away (`file_refused`).
    """
    check_piece(sha, size, offset, len(data))
    if store.has(sha):
        return {"received": size, "done": True}
    if not accepts(db, sha, size):
        raise SyncRefused(409, codes.FILE_UNKNOWN, "no record held at the hub names this file with this size")
    try:
        held = store.append(sha, size, offset, data, _whole_check(db, sha, size, check))
    except BlobProblem as exc:
        if exc.code == "too_long":
            raise SyncRefused(413, codes.TOO_LARGE, exc.message) from None
        if exc.code == "refused":
            raise SyncRefused(422, codes.FILE_REFUSED, exc.message, offset=0) from None
        code = codes.FILE_OFFSET if exc.code == "offset" else codes.FILE_MISMATCH
        raise SyncRefused(409, code, exc.message, offset=exc.extra.get("offset", 0)) from None
    if held == size:
        with transaction(db) as tx:
            index_blob(tx, sha, size)
    return {"received": held, "done": held == size}


def _whole_check(db, sha, size, check):
    """Return the store's check of a whole blob (its bytes -> a problem or None) made of `check`, or None."""
    return None if check is None else (lambda data: check(db, sha, size, data))


def serve_piece(db, store, link, sha, size, offset, readable):
    """Return up to PIECE bytes of blob `sha` from `offset`, for a node whose scope holds a record naming it.

    `readable(db, area, sha, size)`: whether a record in scope of `area` names the blob (so a
    village fetches only its own evidence, never another village's).
    """
    check_piece(sha, size, offset, 0)
    if not (store.has(sha) and store.size(sha) == size and readable(db, link["area"], sha, size)):
        raise SyncRefused(409, codes.FILE_UNKNOWN, "the hub holds no such file for this node")
    return store.read(sha, offset, PIECE)


def take_files(db, store, listed, blobs, accepts, check=None):
    """Keep the blobs a file on a stick carried, each checked as over HTTP; return {"held", "new", "refused"}.

    `listed` is the carried [[sha, size]], `blobs` their bytes in that order (None: a blob that
    could not be read). A blob is kept only when its bytes hash to its name, have its size, a
    record held here names it (`accepts`: in the sender's area) and `check` (when given) finds no
    problem with it. `held` lists the shas held here now (kept before, or now), `new` those kept
    now, `refused` a {"sha", "code", "message"} for each other one (nothing of it is kept).
    """
    taken = {"held": [], "new": [], "refused": []}
    for (sha, size), data in zip(listed, blobs):
        if store.has(sha):
            taken["held"].append(sha)
            continue
        problem = _carried_problem(db, sha, size, data, accepts, check)
        if problem:
            taken["refused"].append({"sha": sha, "code": problem[0], "message": problem[1]})
            continue
        store.put(data)
        with transaction(db) as tx:
            index_blob(tx, sha, size)
        taken["held"].append(sha)
        taken["new"].append(sha)
    return taken


def _carried_problem(db, sha, size, data, accepts, check):
    """Return (code, message) of what forbids keeping a carried blob, or None."""
    if not isinstance(data, bytes) or len(data) != size or digest(data) != sha:
        return codes.FILE_MISMATCH, "its bytes are not the ones its name says"
    if not accepts(db, sha, size):
        return codes.FILE_UNKNOWN, "no record of the sender's area held here names it with this size"
    problem = check(db, sha, size, data) if check is not None else None
    return (codes.FILE_REFUSED, problem) if problem else None
