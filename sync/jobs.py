"""One sync round of a node with its hub: push everything, then pull everything.

What the CLI, the scheduler and the clerk's "sync now" button all run (through
`village.ops.sync.run_sync`). No sleeps here: batches go back to back; waiting between failed
rounds is the scheduler's business.
"""
import concurrent.futures
import copy
from dataclasses import dataclass, field
from typing import Optional

from sync import codes
from sync.batch import EVICT, BadBatch, apply_changes, decode, encode
from sync.changelog import changes_after, rewrite_versions, writing
from sync.clock import split_version, wall_ms
from sync.epoch import follow
from sync.filelane import fetch_files, send_files, waiting_count
from sync.meta import CLOCK_OFFSET, HUB_NODE_ID, PULL_CURSOR, PUSH_CURSOR, SCOPE, STATUS_SENT, get_meta, set_meta
from sync.quarantine import hold, remember_refusals
from sync.screen import MAX_CHANGES, screen
from sync.status import checked
from sync.store import transaction
from sync.transport import Refused, TransportError, Unreachable

UP = "up"  # src of changes pulled from the hub: never pushed back to it
PULLED_OPS = ("put", "del", EVICT)
OFFSET_SLACK_MS = 5_000
RETRIES = 3
MAX_GAP_REWINDS = 3
REWOUND = object()  # what a push attempt returns when the hub's new epoch moved our cursors back


@dataclass(frozen=True)
class Round:
    """What one round did: changes pushed and pulled, how many still wait, what the hub refused."""

    pushed: int
    pulled: int
    pending: int
    refused: list = field(default_factory=list)  # the hub's refusal entries (see sync.quarantine.hold)
    files_sent: int = 0
    files_received: int = 0
    files_waiting: int = 0
    files_error: Optional[TransportError] = None  # why the file lane stopped (its records went through)


class Sizer:
    """Batch size by bytes, adapted to the link: grow on success, shrink on timeout or 413."""

    def __init__(self, target=32 * 1024, low=4 * 1024, high=1024 * 1024):
        self.target, self.low, self.high = target, low, high
        self.bytes_per_change = 80.0

    def count(self):
        """Return how many changes the next batch should carry."""
        return max(1, min(MAX_CHANGES, int(self.target / self.bytes_per_change)))

    def success(self, nbytes, nchanges):
        """Learn from a batch that went through."""
        if nchanges:
            self.bytes_per_change = 0.5 * self.bytes_per_change + 0.5 * max(1.0, nbytes / nchanges)
        self.target = min(self.high, self.target * 2)

    def count_after(self, nbytes, nchanges):
        """Return what `count()` will be once a batch of `nchanges` in `nbytes` has gone through."""
        ahead = copy.copy(self)
        ahead.success(nbytes, nchanges)
        return ahead.count()

    def shrink(self):
        """Send less at once after a timeout or a refusal for size."""
        self.target = max(self.low, self.target // 4)


def pending(db, after, limit):
    """Return up to `limit` changes to push after node seq `after` (not those pulled from the hub)."""
    return changes_after(db, after, limit, exclude_src=UP)


def pending_count(db):
    """Return how many changes wait to be acknowledged by the hub."""
    cursor = int(get_meta(db, PUSH_CURSOR, "0"))
    return db.execute("SELECT COUNT(*) FROM _changes WHERE seq > ? AND (src IS NULL OR src != ?)",
                      [cursor, UP]).fetchone()[0]


def _with_retries(call, sizer):
    """Run `call()` again after a broken link; shrink the batch only after a timeout or a 413.

    A cut connection says nothing about the batch's size, and smaller batches only pay the
    round trip more often; a timeout or a 413 does say the batch was too big for the link.
    """
    for attempt in range(RETRIES):
        try:
            return call()
        except Unreachable as exc:
            if attempt == RETRIES - 1:
                raise
            if exc.extra.get("timeout"):
                sizer.shrink()
        except Refused as exc:
            if exc.code != codes.TOO_LARGE or attempt == RETRIES - 1:
                raise
            sizer.shrink()


def unheard_ack(ping, cursor):
    """Return the hub's answer to our batch after `cursor` when it committed it but we never heard.

    A ping (a HubReply, or None) says what the hub last committed of our pushes; a batch
    starting at our own cursor is one whose answer was lost on the way.
    """
    last = ping.body.get("last_push") if ping is not None else None
    if last and int(last["start"]) == cursor and int(last["ack"]["cursor"]) > cursor:
        return last["ack"]
    return None


def _batch(db, start, count):
    """Return (end, number of changes, encoded payload) of the next batch after `start`, or None."""
    changes = pending(db, start, count)
    if not changes:
        return None
    end = changes[-1]["seq"]
    return end, len(changes), encode({"start": start, "end": end}, changes)


def push_all(db, node_id, client, sizer, progress=None, wall=wall_ms):
    """Push every change not yet acknowledged; return (changes sent, the hub's refusals of them).

    While the hub applies one batch, the next is read and encoded here on the hope that the
    hub takes this one (a batch is used only if it starts at the acknowledged cursor).
    """
    total, sent, rewinds, refused = pending_count(db), 0, 0, []
    ahead = None  # (start, batch): the batch built while the one before it was on its way
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="push") as courier:
        while True:
            cursor = int(get_meta(db, PUSH_CURSOR, "0"))

            def attempt():
                nonlocal ahead
                # After a broken exchange the client pings for a nonce, and so learns whether the
                # hub committed the batch anyway: then its stored answer saves sending it again.
                ping = client.prepare()
                if ping is not None and follow(db, client, ping.body):
                    return REWOUND  # the hub lost history: our cursors moved back, start again
                ack = unheard_ack(ping, cursor)
                if ack is not None:
                    return None, ack["received"], ack, ping
                batch = ahead[1] if ahead and ahead[0] == cursor else _batch(db, cursor, sizer.count())
                ahead = None
                if batch is None:
                    return None
                end, count, payload = batch
                flight = courier.submit(client.push, payload)
                following = _batch(db, end, sizer.count_after(len(payload), count))
                ahead = (end, following) if following else None
                reply = flight.result()
                return len(payload), count, reply.body, reply

            try:
                result = _with_retries(attempt, sizer)
            except Refused as exc:
                if exc.code != codes.GAP or rewinds >= MAX_GAP_REWINDS:
                    raise
                rewinds += 1  # the hub lacks changes we thought it held: send again from its cursor
                with transaction(db) as tx:
                    set_meta(tx, PUSH_CURSOR, str(int(exc.extra["cursor"])))
                continue
            if result is None:
                return sent, refused
            if result is REWOUND:
                ahead = None
                continue
            nbytes, count, ack, reply = result
            if nbytes is not None:
                sizer.success(nbytes, count)
            acknowledge(db, node_id, ack, reply.hub_clock, reply.hub_time, wall)
            sent += count
            refused += ack.get("refused") or []
            if follow(db, client, ack):
                ahead = None
            if progress:
                progress("push", sent, max(total, sent))


def acknowledge(db, node_id, ack, hub_clock, hub_time, wall):
    """Record the hub's acknowledgement: cursor, re-stamped versions and its clock, together.

    `hub_clock` and `hub_time` are what the hub's answer said (None when it said nothing).
    """
    with writing(db, node_id, wall) as writer:
        db = writer.db  # the open transaction (a store of many connections has one per transaction)
        if ack.get("restamped"):
            rewrite_versions(db, ack["restamped"])
            # Our clock ran ahead; now that our far-future stamps are replaced, come back to
            # the latest stamp we still hold (no lower: our own order must never go back).
            newest = db.execute("SELECT MAX(version) FROM _changes").fetchone()[0]
            writer.clock.last = max(split_version(newest)[0] if newest else 0, hub_clock or 0)
        remember_refusals(db, ack.get("refused"))
        set_meta(db, PUSH_CURSOR, str(int(ack["cursor"])))
        _merge_clock(db, writer.clock, hub_clock, hub_time, wall)


def _merge_clock(db, clock, hub_clock, hub_time, wall):
    """Merge the hub's clock and keep our wall clock's offset from the hub's."""
    if hub_clock:
        clock.observe(hub_clock)
    if hub_time:
        offset = hub_time - wall()
        set_meta(db, CLOCK_OFFSET, str(offset if abs(offset) > OFFSET_SLACK_MS else 0))


def apply_pulled(db, writer, changes, policy=None):
    """Apply changes from the hub after checking them like a local write; return how many were new.

    What fails the checks is held in this node's quarantine (sender: the hub), not applied.
    """
    db = writer.db  # the writer's transaction
    area = get_meta(db, SCOPE)
    if area:
        changes, refused = screen(db, area, changes, PULLED_OPS, policy, upward=False)
        for change, why in refused:
            hold(db, get_meta(db, HUB_NODE_ID, "hub"), change, why)
    return apply_changes(writer, changes, UP)


def pull_all(db, node_id, client, sizer, progress=None, wall=wall_ms, policy=None):
    """Pull and apply every change in this node's scope; return how many were received."""
    received = 0
    while True:
        cursor = int(get_meta(db, PULL_CURSOR, "0"))
        reply, (envelope, changes) = _with_retries(lambda: _pull_one(client, cursor, sizer.count()), sizer)
        if follow(db, client, envelope):
            continue  # seqs of another history: pull again from the point both share
        with writing(db, node_id, wall) as writer:
            apply_pulled(writer.db, writer, changes, policy)
            set_meta(writer.db, PULL_CURSOR, str(int(envelope["last"])))
            _merge_clock(writer.db, writer.clock, reply.hub_clock, reply.hub_time, wall)
        sizer.success(len(reply.body), len(changes))
        received += len(changes)
        if progress:
            progress("pull", received, None)
        if not envelope["more"]:
            return received


def _pull_one(client, cursor, limit):
    """Return (HubReply, decoded batch) of one pull; a damaged answer counts as none."""
    reply = client.pull(cursor, limit)
    try:
        return reply, decode(reply.body)
    except BadBatch:
        raise Unreachable("a batch from the hub was damaged on the way") from None


def send_status(db, node_id, client, report, wall=wall_ms):
    """Send `report` (a status dict, `sync.status`) in an empty push unless the hub already holds it; return True if sent.

    Sent after the round's records and files, so that what it says waiting is what still waits.
    """
    cursor = int(get_meta(db, PUSH_CURSOR, "0"))
    sent = f"{client.node_id} {checked(report)}"
    if get_meta(db, STATUS_SENT) == sent:
        return False
    reply = client.push(encode({"start": cursor, "end": cursor, "status": report}, []))
    acknowledge(db, node_id, reply.body, reply.hub_clock, reply.hub_time, wall)
    with transaction(db) as tx:
        set_meta(tx, STATUS_SENT, sent)
    return True


def sync_once(db, node_id, client, progress=None, wall=wall_ms, policy=None, store=None, wanted=None, status=None):
    """Run one full round; return a Round.

    Pull only after every push is acknowledged, so that re-stamped versions are rewritten
    here before changes from the hub are merged against them. Then, with a blob `store`, the
    file lane: records never wait for files, and a broken file lane leaves the records synced.
    `wanted(db)` names the files records here refer to and this node lacks: they are fetched.
    Last, `status(db)` (a report of plain values, see `sync.status`) is sent when it changed.
    """
    sizer = Sizer()
    pushed = pulled = 0
    refused = []
    for _ in range(3):  # new local writes during the round: go again, a few times at most
        sent, held = push_all(db, node_id, client, sizer, progress, wall)
        pushed, refused = pushed + sent, refused + held
        pulled += pull_all(db, node_id, client, sizer, progress, wall, policy)
        if not pending_count(db):
            break
    sent = received = 0
    files_error = None
    if store is not None:
        try:
            sent = send_files(db, client, store, progress)[0]
            received = fetch_files(db, client, store, wanted(db), progress) if wanted else 0
        except TransportError as exc:
            files_error = exc
    if status is not None and files_error is None:
        try:
            send_status(db, node_id, client, status(db), wall)
        except TransportError:
            pass  # the records are through; the report is sent again at the next round
    return Round(pushed, pulled, pending_count(db), refused, sent, received, waiting_count(db), files_error)
