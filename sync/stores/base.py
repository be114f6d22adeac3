"""What the sync engine needs from a database: one interface, one implementation per engine.

A *store* is a database the engine keeps its data in; a *Tx* is the store inside one open
transaction, the object every engine function talks to. The engine's rules (merging per field,
screening, scopes, cursors) are written once, in `sync.changelog`, `sync.server` and friends;
only the SQL differs, and it lives in the implementations (`sync.stores.sqlite`,
`sync.stores.postgres`): upserts, locking, types and JSON are where the engines differ.

A change-log entry is a dict: tbl, row_id, version, op ("put"/"del"), data (dict), area,
prev_area, src (the peer it came from, None when born here), base (dict or None), and when read
back, seq. The store assigns seq: in commit order, with no change ever becoming visible
behind one already visible (a pull by cursor never skips one).
"""
import abc
import contextlib

from sync.meta import HLC


class UnknownTable(ValueError):
    """A change names a table or field that is not synced on this node."""


class Tx(abc.ABC):
    """The store inside one open transaction. Every method runs in that transaction."""

    engine = ""  # "sqlite" or "postgresql"
    concurrent_writers = False  # True: write transactions run at once (so the clock locks its row)

    @contextlib.contextmanager
    def transaction(self, durable=True):
        """Join this transaction (a nested block commits with the outer one)."""
        yield self

    @contextlib.contextmanager
    def snapshot(self):
        """Read inside this transaction."""
        yield self

    @contextlib.contextmanager
    def reading(self):
        """Read inside this transaction."""
        yield self

    @abc.abstractmethod
    def execute(self, sql, params=()):
        """Run one statement of the dialect both engines speak (`sync.stores.pg_sql`); return its cursor."""

    @abc.abstractmethod
    def executemany(self, sql, rows):
        """Run one statement of that dialect once per row of parameters."""

    # Small key/value state (sync.meta) and the clock.
    @abc.abstractmethod
    def get_meta(self, key, default=None):
        """Return the value stored under `key`, or `default`."""

    @abc.abstractmethod
    def set_meta(self, key, value):
        """Store the text `value` under `key`."""

    def lock_clock(self):
        """Return the stored clock stamp, locked until commit when writers run at once (0 when none)."""
        return int(self.get_meta(HLC, "0"))

    @abc.abstractmethod
    def save_clock(self, stamp):
        """Store the clock stamp `stamp`, never moving the stored one backwards."""

    # Synced tables (their rows; the write path in sync.changelog decides what to write).
    @abc.abstractmethod
    def table_columns(self, table):
        """Return the column names of `table`, or [] when there is no such table."""

    @abc.abstractmethod
    def referenced_tables(self, table):
        """Return the names of the tables that `table`'s foreign keys point at (the tables of its rows' parents)."""

    @abc.abstractmethod
    def get_row(self, table, row_id):
        """Return one row of `table` as a dict, or None."""

    @abc.abstractmethod
    def rows_by_id(self, table, ids):
        """Return {id: row dict} of the rows of `table` among `ids` that exist."""

    def insert_row(self, table, values):
        """Insert one row ({column: value})."""
        self.insert_rows(table, list(values), [list(values.values())])

    @abc.abstractmethod
    def insert_rows(self, table, names, rows):
        """Insert many rows, each a list of values in the order of `names`."""

    @abc.abstractmethod
    def update_row(self, table, row_id, values):
        """Set `values` ({column: value}) on one row."""

    # The change log.
    @abc.abstractmethod
    def log_change(self, entry):
        """Append one change-log entry; return False (nothing written) when its version is held already."""

    @abc.abstractmethod
    def log_changes(self, entries):
        """Append entries whose versions are known to be new here."""

    def flush(self):
        """Number the changes this transaction logged so far, now: what reads the change log next sees them.

        Where changes are numbered as they are logged (SQLite) there is nothing to do. Where they
        are numbered at commit (PostgreSQL's counter row), this takes the counter now and holds it
        until commit: the next writer waits until this transaction is done.
        """

    @abc.abstractmethod
    def known_versions(self, versions):
        """Return the set of `versions` the change log holds."""

    @abc.abstractmethod
    def base_of(self, version):
        """Return the field versions the writer of `version` had seen ({} when unknown)."""

    @abc.abstractmethod
    def changes_after(self, seq, limit, exclude_src=None):
        """Return up to `limit` entries after `seq`, in order, without those from `exclude_src`."""

    @abc.abstractmethod
    def last_seq(self):
        """Return the newest entry's seq (0 when the log is empty)."""

    def pull(self, cursor, path, exclude_src, limit, tables=None):
        """Return (entries, last): those after `cursor` that a node of area `path` receives.

        `tables` (a tablet's pull), when given, keeps only the entries of those tables.

        An entry is received when its area or prev_area is `path`, below it, or one of its
        ancestors. `last` is the last seq scanned: the node's cursor moves past what it does not
        receive.

        No snapshot is needed to make entries and `last` agree: seqs are handed out in commit
        order (one writer on SQLite, the counter row locked until commit on PostgreSQL), so
        every entry up to the last seq read first is committed, and a later read finds them
        all. A poll with nothing new costs that one read.
        """
        head = self.last_seq()
        if head <= cursor:
            return [], head
        rows = self.entries_between(cursor, head, path, exclude_src, limit, tables)
        return rows, rows[-1]["seq"] if len(rows) == limit else head

    @abc.abstractmethod
    def entries_between(self, cursor, upto, path, exclude_src, limit, tables=None):
        """Return up to `limit` entries with cursor < seq <= upto that a node of area `path` receives
        (not those sent by `exclude_src`; only of `tables` when given), in seq order."""

    @abc.abstractmethod
    def live_rows(self, tables, path, after, limit):
        """Return (rows, last): up to `limit` live records a node of area `path` receives, and the last seq.

        `rows` are (table, row as a dict of its columns) of `tables` (plain names), in that order and
        each table by id, after the record `after` ((table, id), or None: from the start). A record
        is received by the rule of `pull` (its area is `path`, below it or one of its ancestors) and
        is live when not deleted. Rows and `last` come from one snapshot: the rows hold every change
        up to `last` (and maybe later ones).
        """

    @abc.abstractmethod
    def history(self, table, row_id, before_seq):
        """Return the entries of one record before `before_seq`, oldest first."""

    @abc.abstractmethod
    def record_conflict(self, conflict):
        """Keep a losing value (tbl, row_id, field, kept_value, kept_version, lost_value, lost_version, recorded_at)."""

    @abc.abstractmethod
    def conflicts(self, limit=500):
        """Return the recorded conflicts, oldest first, their values decoded."""

    # A hub's links (enrolled nodes), their push cursors, nonces and re-stamps.
    @abc.abstractmethod
    def add_link(self, link):
        """Insert a hub's row of one enrollment (a dict of nodes' columns)."""

    @abc.abstractmethod
    def get_link(self, link_id):
        """Return the hub's row of one enrollment (its id also as "link_id"), or None."""

    @abc.abstractmethod
    def lock_push_cursor(self, link_id):
        """Return how far the hub applied this link's changes, its row locked until commit."""

    @abc.abstractmethod
    def touch_link(self, link_id, seen_at, skew_ms):
        """Note a link's last contact and, when known, how far its clock is from ours."""

    @abc.abstractmethod
    def save_push(self, link_id, cursor, restamped, last_push):
        """Store a link's new push cursor, add to its re-stamp count and keep its last answer."""

    @abc.abstractmethod
    def save_status(self, link_id, status, at):
        """Keep the status report (JSON text) a link sent with its push, and when it came."""

    @abc.abstractmethod
    def use_nonce(self, nonce, issued_ms, oldest_ms):
        """Remember `nonce` as used (forgetting those issued before `oldest_ms`); False if used before."""

    def admit(self, link_id, nonce, issued_ms, oldest_ms, seen_at, skew_ms):
        """Use a signed request's nonce and, when it was unused, note the link's contact; return False if used before.

        What every signed request costs the hub: an engine may do it in one statement.
        """
        if not self.use_nonce(nonce, issued_ms, oldest_ms):
            return False
        self.touch_link(link_id, seen_at, skew_ms)
        return True

    @abc.abstractmethod
    def restamp_of(self, old_version):
        """Return the version given before to a change stamped `old_version`, or None."""

    @abc.abstractmethod
    def add_restamp(self, old_version, new_version):
        """Remember that a change stamped `old_version` was re-stamped `new_version`."""

    # Quarantine: changes refused from others, held with their reason.
    @abc.abstractmethod
    def hold(self, held):
        """Keep one refused change (a dict of sync_quarantine's columns); a change held already stays as it is."""

    @abc.abstractmethod
    def held(self, state, node_id, limit):
        """Return held changes in `state` (of one sender when `node_id`), newest first, as stored."""

    @abc.abstractmethod
    def get_held(self, quarantine_id):
        """Return one held change as stored, or None."""

    @abc.abstractmethod
    def decide(self, quarantine_id, state, by, at):
        """Mark a change still held as `state` (released or discarded) by `by` at `at`."""


class Store(abc.ABC):
    """A database the engine keeps its data in; `transaction()` yields a Tx."""

    engine = ""

    @abc.abstractmethod
    def transaction(self, durable=True):
        """Return a context manager: one write transaction, committed when the block ends well.

        `durable=False`: the commit need not wait for the disk (or the standby): for writes
        harmless to lose in a power cut or a failover, such as a read request's nonce.
        """

    @abc.abstractmethod
    def snapshot(self):
        """Return a context manager: one read-only transaction, its reads from one snapshot."""

    @abc.abstractmethod
    def reading(self):
        """Return a context manager for reads that need no common snapshot (each statement sees its
        own): cheaper than `snapshot` where a read is one statement."""

    @abc.abstractmethod
    def close(self):
        """Release the store's connections."""

    # Reads on their own, outside any transaction the caller holds (`sync.meta.get_meta(store, ...)`).
    def get_meta(self, key, default=None):
        """Return the value stored under `key`, or `default`, read in a transaction of its own."""
        with self.snapshot() as tx:
            return tx.get_meta(key, default)

    def last_seq(self):
        """Return the newest change-log seq (0 when empty), read in a transaction of its own."""
        with self.snapshot() as tx:
            return tx.last_seq()
