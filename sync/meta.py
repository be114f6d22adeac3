"""Small key/value state of the sync engine (clock, cursors, credentials, status), and its keys.

Every key is named here once; code elsewhere uses these names, never the strings.
"""
from sync.stores import as_tx

HLC = "hlc"  # the last clock stamp this node handed out (sync.clock)
CLOCK_OFFSET = "clock_offset_ms"  # how far our wall clock is behind the hub's, when it matters
PUSH_CURSOR = "sync.push_cursor"  # our highest change seq the hub has acknowledged
PULL_CURSOR = "sync.pull_cursor"  # the highest hub seq we have received up to
SCOPE = "sync.area"  # the area the hub granted this node: what it may receive
HUB_URL = "sync.hub_url"
LINK_ID = "sync.link_id"  # the id the hub knows this node by (its row in the hub's `nodes`)
SECRET = "sync.secret"  # the secret this node signs its requests with
HUB_NODE_ID = "sync.hub_node_id"  # the hub's own node id: the sender of what we pull
HUB_NAME = "sync.hub_name"
HUB_SEALING_KEY = "sync.hub_sealing_key"  # USB bundles to the hub are sealed to it
ENROLL_CLAIM = "sync.enroll_claim"  # kept until enrolled: proves a retried enrollment is ours
LAST_SUCCESS = "sync.last_success"
LAST_ERROR = "sync.last_error"
STATUS_SENT = "sync.status_sent"  # the link id and last status report the hub acknowledged
HUB_EPOCH = "sync.hub_epoch"  # the epoch of the hub's history we last heard (sync.epoch)
NONCE_KEY = "sync.nonce_key"  # at a hub: the key its nonces are sealed with
CREDENTIALS = (HUB_URL, LINK_ID, SECRET)  # all three, or the node is not enrolled
LINK_PREFIX = "sync."  # every key of the link to the hub starts so (all_meta(db, LINK_PREFIX))


def get_meta(db, key, default=None):
    """Return the value stored under `key`, or `default`."""
    return as_tx(db).get_meta(key, default)


def set_meta(db, key, value):
    """Store `value` (a string) under `key`."""
    as_tx(db).set_meta(key, value)


def delete_meta(db, key):
    """Forget the value stored under `key`."""
    db.execute("DELETE FROM _sync_meta WHERE key = ?", [key])


def all_meta(db, prefix=""):
    """Return every key/value pair whose key starts with `prefix`."""
    rows = db.execute("SELECT key, value FROM _sync_meta WHERE key LIKE ? ORDER BY key", [prefix + "%"])
    return dict(rows.fetchall())
