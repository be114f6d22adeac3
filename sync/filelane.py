"""The file lane, node side: blobs sent up to the hub after a round's records, by SHA-256, in pieces.

The records of a round go first (`sync.jobs.sync_once`); then the node asks the hub which of
its waiting blobs it holds, wants (and from which byte) or does not know (no record at the hub
names it yet: it stays waiting, and the records will bring its name). A wanted blob goes in
pieces of PIECE bytes, each naming the blob, its size and its offset, so a broken link costs at
most one piece: the next attempt goes on where the hub's copy ends. The lane knows nothing of
what a blob is evidence of: the village side tells the hub what to accept (`sync.filehub`).

`sync_blobs` indexes the blobs held here; `sent_at` is set once the hub says it holds one.
"""
from sync import codes
from sync.blobs import BlobProblem, is_sha256
from sync.clock import utc_text
from sync.store import transaction
from sync.stores import as_tx
from sync.transport import Refused, Unreachable

PIECE = 256 * 1024  # 8 s on a 256 kbit/s link: a break costs little, the round trips stay few
MAX_PIECE = 1024 * 1024  # the most the hub takes in one piece
MAX_ASK = 500  # blobs named in one "which do you hold" question
MAX_BLOB = 64 * 1024 * 1024  # the engine's own bound; the village's records bound files lower
RETRIES = 3  # failed pieces in a row before the lane gives up until the next round


def index_blob(db, sha, size, sent=False):
    """Note that blob `sha` of `size` bytes is held here (`sent`: the hub holds it too)."""
    db.execute("INSERT INTO sync_blobs (sha256, size, stored_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
               [sha, size, utc_text()])
    if sent:
        mark_sent(db, [sha])


def mark_sent(db, shas):
    """Note that the hub holds the blobs `shas`."""
    as_tx(db).executemany("UPDATE sync_blobs SET sent_at = ? WHERE sha256 = ? AND sent_at IS NULL",
                          [(utc_text(), sha) for sha in shas])


def waiting_count(db):
    """Return how many blobs held here the hub has not said it holds."""
    return db.execute("SELECT COUNT(*) FROM sync_blobs WHERE sent_at IS NULL").fetchone()[0]


def _waiting(db, after, limit):
    return db.execute("SELECT sha256, size FROM sync_blobs WHERE sent_at IS NULL AND sha256 > ? "
                      "ORDER BY sha256 LIMIT ?", [after, limit]).fetchall()


def _checked_answer(answer, asked):
    """Return (have, want {sha: offset}) from the hub's answer; a malformed one counts as no answer."""
    try:
        have = {sha for sha in answer["have"] if sha in asked}
        want = {sha: int(offset) for sha, offset in answer["want"].items() if sha in asked}
        if any(not 0 <= offset <= asked[sha] for sha, offset in want.items()):
            raise ValueError("offset")
    except (KeyError, TypeError, ValueError, AttributeError):
        raise Unreachable("the hub's answer about files was damaged on the way") from None
    return have, want


def send_files(db, client, store, progress=None):
    """Send the hub every waiting blob it wants; return (blobs sent, blobs still waiting).

    Raises TransportError when the link fails RETRIES times in a row: what was sent stays sent
    (and noted), the rest waits for the next round.
    """
    sent, after, total = 0, "", waiting_count(db)
    while batch := _waiting(db, after, MAX_ASK):
        after = batch[-1][0]
        lost = [sha for sha, _size in batch if not store.has(sha)]
        if lost:  # gone from the disk: the record shows the file as missing, never sent as nothing
            with transaction(db) as tx:
                as_tx(tx).executemany("DELETE FROM sync_blobs WHERE sha256 = ?", [(sha,) for sha in lost])
        asked = {sha: size for sha, size in batch if sha not in lost}
        if not asked:
            continue
        have, want = _checked_answer(_retried(lambda: client.files_have(sorted(asked.items()))).body, asked)
        with transaction(db) as tx:
            mark_sent(tx, have)
        for sha, offset in sorted(want.items()):
            if _upload(client, store, sha, asked[sha], offset):
                with transaction(db) as tx:
                    mark_sent(tx, [sha])
                sent += 1
                if progress:
                    progress("files", sent, total)
    return sent, waiting_count(db)


def _retried(call):
    for attempt in range(RETRIES):
        try:
            return call()
        except Unreachable:
            if attempt == RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def _upload(client, store, sha, size, offset):
    """Send blob `sha` from `offset` in pieces; return True once the hub holds it, False if it will not take it."""
    failures = 0
    while True:
        piece = store.read(sha, offset, PIECE)
        try:
            answer = client.send_piece(sha, size, offset, piece).body
            held, done = int(answer["received"]), bool(answer["done"])
        except Unreachable:
            held, done = offset, False
        except (KeyError, TypeError, ValueError):
            held, done = offset, False  # a damaged answer: ask again from the same byte
        except Refused as exc:
            if exc.code in (codes.FILE_UNKNOWN, codes.FILE_REFUSED):
                # Its record left the hub meanwhile, or the hub will not take these bytes for it: the file
                # waits (shown as waiting), it is not lost.
                return False
            if exc.code not in (codes.FILE_OFFSET, codes.FILE_MISMATCH):
                raise
            # The hub's copy ends elsewhere (a lost answer, or it threw a damaged copy away).
            held, done = int(exc.extra.get("offset", 0)), False
        if done:
            return True
        if held > offset and held <= size:
            failures = 0
        else:
            failures += 1
            if failures >= RETRIES:
                raise Unreachable(f"file {sha[:12]}… could not be sent (stopped at byte {offset} of {size})")
        offset = held if 0 <= held <= size else 0


def fetch_files(db, client, store, wanted, progress=None):
    """Fetch from the hub the blobs `wanted` ([(sha, size)]: named by records here, not held); return how many came.

    Each is fetched in pieces from where a broken fetch left it, checked against its name and
    size like an upload at the hub, and noted as held by the hub too. One the hub lacks as well
    stays missing (shown as such). Raises TransportError after RETRIES failed pieces in a row.
    """
    fetched = 0
    for sha, size in wanted:
        if _fetch(client, store, sha, size):
            with transaction(db) as tx:
                index_blob(tx, sha, size, sent=True)
            fetched += 1
            if progress:
                progress("files down", fetched, len(wanted))
    return fetched


def _fetch(client, store, sha, size):
    """Fetch blob `sha` of `size` bytes into `store`; return True once it is held, False when the hub lacks it."""
    failures, offset = 0, store.received(sha)
    while not store.has(sha):
        before = offset
        try:
            data = client.get_piece(sha, size, offset).body
            offset = store.append(sha, size, offset, data) if len(data) <= MAX_PIECE else offset
        except Unreachable:
            pass
        except BlobProblem as exc:
            offset = exc.extra.get("offset", store.received(sha))  # a damaged copy is thrown away: from 0
        except Refused as exc:
            if exc.code == codes.FILE_UNKNOWN:
                return False
            raise
        failures = 0 if offset > before or store.has(sha) else failures + 1
        if failures >= RETRIES:
            raise Unreachable(f"file {sha[:12]}… could not be fetched (stopped at byte {offset} of {size})")
    return True


def valid_ask(items):
    """Return the [(sha, size)] of a "which do you hold" question, or None when it is malformed."""
    if not isinstance(items, list) or len(items) > MAX_ASK:
        return None
    asked = []
    for item in items:
        if not (isinstance(item, list) and len(item) == 2 and is_sha256(item[0]) and type(item[1]) is int
                and 0 <= item[1] <= MAX_BLOB):
            return None
        asked.append((item[0], item[1]))
    return asked


def waiting_files(db, store, budget, limit=1000):
    """Return ([[sha, size]], [bytes]) of waiting blobs that fit in `budget` bytes, oldest first (for a bundle)."""
    listed, blobs = [], []
    rows = db.execute("SELECT sha256, size FROM sync_blobs WHERE sent_at IS NULL ORDER BY stored_at, sha256")
    for sha, size in rows:
        if len(listed) >= limit or budget <= 0:
            break
        if size <= budget and store.has(sha):
            listed.append([sha, size])
            blobs.append(store.read(sha))
            budget -= size
    return listed, blobs
