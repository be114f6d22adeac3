"""The hub's epoch: which history its change log holds, carried in every ping, pull and push answer.

A hub whose database lost recent history (a standby promoted after asynchronous replication,
a backup restored) may lack changes it had acknowledged, and may hand out again sequence
numbers a node has already passed. It then starts a new epoch. A node that hears an epoch it
does not know rewinds: it pulls again from a point both histories share and pushes again from
what the hub still holds of its changes. Applying a change twice changes nothing, so the
replay is harmless.

A hub keeps its epochs as a list `[[id, since], ...]`, oldest first. `since` is the hub's last
seq when that epoch began: a new history starts as a copy of the old one up to some commit (a
standby replays a prefix of the primary's log; a backup is the database at one moment), so
entries 1..since are the same in both. A node that knew epoch E rewinds its pull cursor to the
smallest `since` of the epochs after E (or stays where it is, when that is further back); a
node whose epoch the hub never knew (a history that was itself lost) starts again from 0.
"""
import json
import secrets

from sync.meta import HUB_EPOCH, PULL_CURSOR, PUSH_CURSOR, STATUS_SENT, delete_meta, get_meta, set_meta
from sync.store import transaction
from sync.stores import as_tx

EPOCHS = "hub.epochs"  # this node's epochs as a hub (JSON text of [[id, since], ...])
ORIGIN = "hub.db_origin"  # where a PostgreSQL hub's history was last seen: "system id/timeline"
KEEP = 20  # epochs kept: a node further behind than that starts again from 0


def epochs(db):
    """Return this hub's epochs, oldest first ([] on a store that has none yet)."""
    text = as_tx(db).get_meta(EPOCHS)
    return json.loads(text) if text else []


def ensure(db):
    """Give this hub its first epoch when it has none; return its epochs. Run inside a write transaction."""
    return epochs(db) or _save(db, [[_new_id(), 0]])


def bump(db, since=None):
    """Start a new epoch (its history holds entries 1..`since`, default the last seq); return its id.

    Run inside a write transaction.
    """
    tx = as_tx(db)
    since = tx.last_seq() if since is None else since
    new = _new_id()
    _save(db, (epochs(db) + [[new, int(since)]])[-KEEP:])
    return new


def _save(db, items):
    as_tx(db).set_meta(EPOCHS, json.dumps(items))
    return items


def _new_id():
    return secrets.token_hex(8)


def heard(body):
    """Return the epochs an answer of the hub carries ([[id, since], ...]), or None when it carries none."""
    items = body.get("epochs") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items or len(items) > KEEP:
        return None
    for item in items:
        # From the hub above: trusted more than a village, but never taken for granted.
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str) and 0 < len(item[0]) <= 64
                and isinstance(item[1], int) and not isinstance(item[1], bool) and item[1] >= 0):
            return None
    return items


def safe_point(known, items, cursor):
    """Return where a node that knew epoch `known` and pulled up to `cursor` pulls again from."""
    ids = [item[0] for item in items]
    if known not in ids:
        return 0
    return min([cursor, *(since for _id, since in items[ids.index(known) + 1:])])


def follow(db, client, body):
    """Take note of the epoch in the hub's answer `body`; rewind when it is new to us; return True if rewound.

    The first epoch a node hears is only remembered. Rewinding asks the hub (a ping, which
    changes nothing there) how far it holds our pushes, unless `body` is a ping's answer already.
    """
    items = heard(body)
    if items is None:
        return False
    known, current = get_meta(db, HUB_EPOCH), items[-1][0]
    if known == current:
        return False
    if known is None:
        with transaction(db) as tx:
            set_meta(tx, HUB_EPOCH, current)
        return False
    answer = body if "last_push" in body else client.ping().body
    last = answer.get("last_push") if isinstance(answer, dict) else None
    held = int(last["ack"]["cursor"]) if isinstance(last, dict) else 0
    with transaction(db) as tx:
        pulled = int(get_meta(tx, PULL_CURSOR, "0"))
        set_meta(tx, PULL_CURSOR, str(safe_point(known, items, pulled)))
        pushed = int(get_meta(tx, PUSH_CURSOR, "0"))
        set_meta(tx, PUSH_CURSOR, str(max(0, min(pushed, held))))
        delete_meta(tx, STATUS_SENT)  # the hub may have lost our last report too
        set_meta(tx, HUB_EPOCH, current)
    return True
