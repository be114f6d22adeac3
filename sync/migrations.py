"""The sync engine's own tables: its own sqlite-utils migration set, named "sync".

Whatever uses the engine applies this set before its own migrations (`village.migrations`
does). Before this set existed the village's migrations made these tables, so every step
also accepts a database that already holds them: tables and indexes are made only when
missing and columns added only when missing, and a database ends with the same shape
whichever way it came.
"""
from sqlite_utils import Migrations

migrations = Migrations("sync")

CHANGE_TABLES = """
CREATE TABLE IF NOT EXISTS _sync_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS _changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tbl TEXT NOT NULL,
    row_id TEXT NOT NULL,
    version TEXT NOT NULL,
    op TEXT NOT NULL,
    data TEXT NOT NULL,
    area TEXT NOT NULL,
    prev_area TEXT,
    src TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS _changes_version ON _changes (version);
CREATE INDEX IF NOT EXISTS _changes_row ON _changes (tbl, row_id);
CREATE TABLE IF NOT EXISTS _conflicts (
    id INTEGER PRIMARY KEY,
    tbl TEXT NOT NULL,
    row_id TEXT NOT NULL,
    field TEXT NOT NULL,
    kept_value TEXT,
    kept_version TEXT NOT NULL,
    lost_value TEXT,
    lost_version TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    resolved_at TEXT,
    resolved_by TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS _conflicts_once ON _conflicts (tbl, row_id, field, lost_version);
"""
# _changes.op: "put" (fields in data) or "del" (tombstone). src: NULL when the change was
# born on this node, otherwise the peer it arrived from, so it is never echoed back there.
# prev_area: the record's area before this change moved it, so the old scope can evict it.
# base (added by `change_base`): JSON {field: version} the writer had seen, so that replacing
# a value the writer knew is not mistaken for a conflict.

NODE_TABLES = """
CREATE TABLE IF NOT EXISTS [nodes] (
   [node_id] TEXT PRIMARY KEY,
   [name] TEXT NOT NULL,
   [area] TEXT NOT NULL,
   [code_hash] TEXT NOT NULL,
   [secret] TEXT NOT NULL,
   [enrolled_by] TEXT,
   [created_at] TEXT NOT NULL,
   [enrolled_at] TEXT,
   [revoked_at] TEXT,
   [push_cursor] INTEGER DEFAULT 0,
   [last_seen] TEXT,
   [clock_skew_ms] INTEGER,
   [restamped] INTEGER DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS [idx_nodes_code_hash] ON [nodes] ([code_hash]);
CREATE TABLE IF NOT EXISTS [sync_nonces] (
   [nonce] TEXT PRIMARY KEY,
   [issued_ms] INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS [sync_restamps] (
   [old_version] TEXT PRIMARY KEY,
   [new_version] TEXT NOT NULL
);
"""
# nodes: at a hub, the nodes enrolled under it (push_cursor: how far it has applied each one's
# changes). sync_nonces: the used nonces (a request carrying one again is a replay).
# sync_restamps: a change stamped far in the future is re-stamped once; a replay gets the same stamp.

REFUSAL_TABLES = """
CREATE TABLE IF NOT EXISTS sync_quarantine (
    id INTEGER PRIMARY KEY,
    node_id TEXT NOT NULL,
    version TEXT NOT NULL,
    tbl TEXT NOT NULL,
    row_id TEXT NOT NULL,
    change TEXT NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    problems TEXT,
    received_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'held',
    decided_by TEXT,
    decided_at TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS sync_quarantine_once ON sync_quarantine (node_id, version);
CREATE INDEX IF NOT EXISTS sync_quarantine_state ON sync_quarantine (state, node_id);
CREATE TABLE IF NOT EXISTS sync_refusals (
    version TEXT PRIMARY KEY,
    tbl TEXT NOT NULL,
    row_id TEXT NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    problems TEXT,
    refused_at TEXT NOT NULL
);
"""
# sync_quarantine: what this node refused of what others sent it. sync_refusals: what the
# node above refused of what this node sent (the record itself stays here, as it was).


def _run(db, script):
    # One statement at a time: executescript() would commit the caller's transaction.
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _add_column(db, table, column, kind="TEXT"):
    if column not in {row[1] for row in db.execute(f"PRAGMA table_info([{table}])")}:
        db.execute(f"ALTER TABLE [{table}] ADD COLUMN [{column}] {kind}")


def change_tables(db):
    """Make the meta, change-log and conflict tables when missing."""
    _run(db, CHANGE_TABLES)


def change_base(db):
    """Give each change the field versions its writer had seen (to tell conflicts apart)."""
    _add_column(db, "_changes", "base")


def node_tables(db):
    """Make the hub's tables of enrolled nodes, used nonces and re-stamped versions when missing."""
    _run(db, NODE_TABLES)


def node_last_push(db):
    """Keep, per enrolled node, the hub's answer to its last push: a lost answer can be asked again."""
    _add_column(db, "nodes", "last_push")


def node_enroll_claim(db):
    """Keep, per enrolled node, the hash of its enroller's claim: a lost answer goes only to its sender."""
    _add_column(db, "nodes", "enroll_claim")


def node_kind(db):
    """Tell the kinds of enrolled links apart: a node of the tier below, or a tablet (LINK_KINDS)."""
    _add_column(db, "nodes", "kind", "TEXT NOT NULL DEFAULT 'node'")


def refusal_tables(db):
    """Make the tables of held (quarantined) changes and of this node's refused ones when missing."""
    _run(db, REFUSAL_TABLES)


@migrations()
def s001_changes(db):
    """Create the change log, its meta and conflict tables, each change with its base."""
    change_tables(db)
    change_base(db)


@migrations()
def s002_nodes(db):
    """Create the hub's enrolled nodes (with last push and enroll claim), used nonces and re-stamps."""
    node_tables(db)
    node_last_push(db)
    node_enroll_claim(db)


@migrations()
def s003_refusals(db):
    """Create the quarantine of refused changes received and the record of refused changes sent."""
    refusal_tables(db)


BLOB_TABLES = """
CREATE TABLE IF NOT EXISTS sync_blobs (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    stored_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX IF NOT EXISTS sync_blobs_waiting ON sync_blobs (stored_at) WHERE sent_at IS NULL;
"""
# sync_blobs: the blobs this node holds in its store (sync.blobs); sent_at is when the hub
# above said it holds the blob too (NULL: waiting to be sent up).


@migrations()
def s004_blobs(db):
    """Create the index of the blobs (evidence files) this node holds and which its hub holds too."""
    _run(db, BLOB_TABLES)


@migrations()
def s005_node_status(db):
    """Keep, per enrolled node, the last status report it sent with a push, and when; index open conflicts."""
    _add_column(db, "nodes", "status")
    _add_column(db, "nodes", "status_at")
    # A hub counts its unresolved conflicts often; resolved ones pile up and need no look.
    db.execute("CREATE INDEX IF NOT EXISTS _conflicts_open ON _conflicts (tbl, row_id) WHERE resolved_at IS NULL")


@migrations()
def s006_link_kinds(db):
    """Give each enrolled link its kind: a node of the tier below, or a tablet enrolled at a village."""
    node_kind(db)


@migrations()
def s007_epoch(db):
    """Give the node its first epoch as a hub: which history its change log holds (`sync.epoch`)."""
    from sync.epoch import ensure

    ensure(db)


@migrations()
def s008_nonce_expiry(db):
    """Index used nonces by when they were issued: every signed request forgets the expired ones.

    Without it that DELETE read the whole table on each request: at 1,000 polls a second the
    hub's nonces of 15 minutes are read in full a thousand times a second.
    """
    db.execute("CREATE INDEX IF NOT EXISTS sync_nonces_issued ON sync_nonces (issued_ms)")
