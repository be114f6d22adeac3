"""What a receiving tier checks before it applies a batch: envelope, shape, scope, then policy.

A batch's envelope that cannot be read is refused whole (BadEnvelope, a 400). Every change in
it is then checked on its own; a change that fails is held in quarantine with its reason and
the rest apply. The checks that need nothing but the sync engine are here (shape, scope, the
stored row's area); what a table may hold and who may write it comes from the caller as a
`policy(db, sender_area, changes, upward, stored)` that returns {position: Refusal}, where
`stored` maps (table, row_id) to the row as held here before the batch.
"""
import re

from sync.batch import EVICT
from sync.changelog import UnknownTable, Writer
from sync.quarantine import Refusal
from sync.scope import in_scope, inside
from sync.stores import as_tx

MAX_CHANGES = 20_000  # per batch: a node's batches are far smaller (see jobs.Sizer)
MAX_SEQ = 2 ** 63 - 1
MAX_ID = 64
_AREA = re.compile(r"^[0-9A-Za-z]{1,12}(/[0-9A-Za-z]{1,12}){0,7}$")
_VERSION = re.compile(r"^[0-9a-f]{16}-[0-9A-Za-z_.-]{1,64}$")
_TABLE = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")


class BadEnvelope(ValueError):
    """A batch envelope or request that is not what the protocol says; nothing is applied."""


class TooManyChanges(BadEnvelope):
    """A batch carrying more changes than a receiver takes at once (the sender should send less)."""


def whole_number(value, name, low=0, high=MAX_SEQ):
    """Return `value` when it is a JSON whole number in [low, high]; raise BadEnvelope otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadEnvelope(f"{name} must be a whole number from {low} to {high}")
    return value


def push_span(envelope, changes):
    """Return (start, end) of a pushed batch, checked; raise BadEnvelope when malformed."""
    if not isinstance(envelope, dict):
        raise BadEnvelope("the batch envelope must be an object")
    start = whole_number(envelope.get("start"), "start")
    end = whole_number(envelope.get("end"), "end")
    if end < start:
        raise BadEnvelope("end must not be before start")
    if len(changes) > MAX_CHANGES:
        raise TooManyChanges(f"a batch carries at most {MAX_CHANGES} changes")
    return start, end


def shape_problem(change, ops, good_areas=None):
    """Return a Refusal when a change is not well formed, else None.

    `good_areas` is a set of area paths already found well formed (a batch repeats a few).
    """
    tbl, row_id, version = change.get("tbl"), change.get("row_id"), change.get("version")
    if not isinstance(tbl, str) or not _TABLE.match(tbl):
        return Refusal("malformed", "the change names no valid table")
    if change.get("op") not in ops:
        return Refusal("malformed", f"a change cannot be {str(change.get('op'))[:20]!r} here")
    if not isinstance(row_id, str) or not 0 < len(row_id) <= MAX_ID:
        return Refusal("malformed", f"a record id is text of at most {MAX_ID} characters")
    if not isinstance(version, str) or not _VERSION.match(version):
        return Refusal("malformed", "the change's version is not a clock stamp")
    for key in ("area", "prev_area"):
        area = change.get(key)
        if good_areas is not None and area in good_areas:
            continue
        if (area is not None or key == "area") and (not isinstance(area, str) or not _AREA.match(area)):
            return Refusal("malformed", f"the change's {key} is not an area code path")
        if good_areas is not None and area is not None:
            good_areas.add(area)
    if not isinstance(change.get("data"), dict) or not isinstance(change.get("base") or {}, dict):
        return Refusal("malformed", "the change's data must be an object")
    return None


def scope_problem(change, sender_area, stored_area, upward, arriving=frozenset()):
    """Return a Refusal when the sender may not write this record where it says, else None.

    Upward (a hub hearing from a village, a village from a tablet): the record as stored here,
    its declared area and any area in its data must all lie inside the sender's path. Downward
    (a village hearing from its hub): the record must be one this node receives.
    """
    data = change["data"]
    if change["op"] == EVICT:
        return None  # the receiver's own hub tells it a record left its scope
    if "id" in data:
        return Refusal("id_changed", "a change may not set a record's id")
    if "area" in data and data["area"] != change["area"]:
        return Refusal("area_mismatch", "the change's data moves the record to another area than it declares")
    if not upward:
        # A record moved into this scope comes with its earlier history, of its old area.
        ok = in_scope(change["area"], sender_area) or (change["tbl"], change["row_id"]) in arriving
        return None if ok else Refusal(
            "outside_area", f"record of area {change['area']} is outside this node's scope {sender_area}")
    for area, what in ((stored_area, "is stored in"), (change["area"], "is sent for")):
        if area is not None and not inside(area, sender_area):
            return Refusal("outside_area", f"record {change['row_id']} {what} area {area}, "
                                           f"outside the sender's area {sender_area}")
    if stored_area is None and (change["op"] != "put" or "area" not in data):
        return Refusal("unknown_record", f"there is no record {change['row_id']} here to change")
    return None


def synced_tables(db):
    """Return a function telling whether a table name is a synced table of this database."""
    probe, answers = Writer(db, "", None), {}

    def synced(table):
        if table not in answers:
            try:
                probe.columns(table)
                answers[table] = True
            except UnknownTable:
                answers[table] = False
        return answers[table]
    return synced


def stored_rows(db, changes):
    """Return {(table, row_id): row dict} of the records these changes touch that are held here."""
    by_table, found, tx = {}, {}, as_tx(db)
    for change in changes:
        by_table.setdefault(change["tbl"], set()).add(change["row_id"])
    for table, ids in by_table.items():
        found.update(((table, row_id), row) for row_id, row in tx.rows_by_id(table, ids).items())
    return found


def screen(db, sender_area, changes, ops, policy, upward=True):
    """Split `changes` into (accepted, [(change, Refusal)]), in order.

    Accepted changes are fixed up as the receiver will log them: `prev_area` is the area the
    record is stored in here, not what the sender claimed.
    """
    refused, candidates, synced, good_areas = [], [], synced_tables(db), set()
    for change in changes:
        problem = shape_problem(change, ops, good_areas) if isinstance(change, dict) else Refusal("malformed", "not a change")
        if problem is None and not synced(change["tbl"]):
            problem = Refusal("not_writable", f"table {change['tbl']} is not synced here")
        if problem:
            refused.append((change if isinstance(change, dict) else {}, problem))
        else:
            candidates.append(change)
    rows = stored_rows(db, candidates)
    stored = {key: row["area"] for key, row in rows.items()}
    arriving = {(c["tbl"], c["row_id"]) for c in candidates if in_scope(c["area"], sender_area)}
    scoped = []
    for change in candidates:
        key = (change["tbl"], change["row_id"])
        area = stored.get(key)  # as stored here, or as an earlier change of this batch leaves it
        problem = scope_problem(change, sender_area, area, upward, arriving)
        if problem:
            refused.append((change, problem))
            continue
        if change["op"] == "put":
            change["prev_area"] = area if area is not None and area != change["area"] else None
            stored[key] = change["area"]
        scoped.append(change)
    verdicts = policy(db, sender_area, scoped, upward, rows) if policy else {}
    accepted = []
    for i, change in enumerate(scoped):
        if i in verdicts:
            refused.append((change, verdicts[i]))
        else:
            accepted.append(change)
    return accepted, refused
