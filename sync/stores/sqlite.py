"""The store on SQLite: the embedded default of every node and of a county hub.

One connection, one writer at a time (every write transaction is IMMEDIATE, see
`sync.store.transaction`), so the change log's AUTOINCREMENT seq is already in commit order.
JSON is kept as text.
"""
import contextlib
import json

from sync.meta import HLC
from sync.quarantine import HELD
from sync.scope import ancestors
from sync.store import dicts, first, transaction
from sync.stores.base import Store, Tx

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
CHUNK = 500  # ids per IN (...) list: well under SQLite's limit of bound parameters
CHANGE_COLUMNS = "tbl, row_id, version, op, data, area, prev_area, src, base"


def dumps(value):
    """Return compact JSON text of `value` (what the change log and `_fv` hold)."""
    return _ENCODER.encode(value)


def decoded(change):
    """Return a change-log row (a dict) with its data and base read from their JSON text."""
    change["data"] = json.loads(change["data"])
    change["base"] = json.loads(change["base"]) if change["base"] else None
    return change


def _marks(items):
    return ", ".join("?" * len(items))


def _received(column, path):
    """Return (SQL, parameters) testing that a node of `path` receives the area in `column` (`sync.scope.in_scope`)."""
    above = ancestors(path)
    return (f"({column} = ? OR {column} LIKE ? OR {column} IN ({_marks(above) or 'NULL'}))",
            [path, path + "/%", *above])


def _entry_values(entry):
    base = entry.get("base")
    return [entry["tbl"], entry["row_id"], entry["version"], entry["op"], dumps(entry["data"]), entry["area"],
            entry.get("prev_area"), entry.get("src"), dumps(base) if base else None]


class SqliteTx(Tx, Store):
    """A node's SQLite database (a sqlite_utils Database) as the engine's store and its transactions."""

    engine = "sqlite"

    def __init__(self, db):
        self.db = db

    @contextlib.contextmanager
    def transaction(self, durable=True):
        """Open a write transaction (or join the one open); see `sync.store.transaction` for `durable`."""
        with transaction(self.db, durable=durable):
            yield self

    def execute(self, sql, params=()):
        """Run one statement; return its cursor."""
        return self.db.execute(sql, params)

    def executemany(self, sql, rows):
        """Run one statement once per row of parameters."""
        self.db.conn.executemany(sql, rows)

    @contextlib.contextmanager
    def snapshot(self):
        """Read outside a write transaction (`pull` takes its own snapshot)."""
        yield self

    @contextlib.contextmanager
    def reading(self):
        """Read: each statement outside a transaction sees its own snapshot."""
        yield self

    def close(self):
        """Close the database."""
        self.db.close()

    def get_meta(self, key, default=None):
        row = self.db.execute("SELECT value FROM _sync_meta WHERE key = ?", [key]).fetchone()
        return default if row is None else row[0]

    def set_meta(self, key, value):
        self.db.execute("INSERT INTO _sync_meta (key, value) VALUES (?, ?) "
                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value", [key, value])

    def save_clock(self, stamp):
        # One writer at a time: the stamp loaded in this transaction is still the stored one.
        self.set_meta(HLC, str(stamp))

    def table_columns(self, table):
        return [r[1] for r in self.db.execute(f"PRAGMA table_info([{table}])")] if table.isidentifier() else []

    def referenced_tables(self, table):
        return sorted({row[2] for row in self.db.execute(f"PRAGMA foreign_key_list([{table}])")})

    def get_row(self, table, row_id):
        return first(self.db.execute(f"SELECT * FROM [{table}] WHERE id = ?", [row_id]))

    def rows_by_id(self, table, ids):
        ids, found = list(ids), {}
        for i in range(0, len(ids), CHUNK):
            chunk = ids[i:i + CHUNK]
            cur = self.db.execute(f"SELECT * FROM [{table}] WHERE id IN ({_marks(chunk)})", chunk)
            found.update((row["id"], row) for row in dicts(cur))
        return found

    def insert_rows(self, table, names, rows):
        self.db.conn.executemany(
            f"INSERT INTO [{table}] ({', '.join(f'[{n}]' for n in names)}) VALUES ({_marks(names)})", rows)

    def update_row(self, table, row_id, values):
        sets = ", ".join(f"[{k}] = ?" for k in values)
        self.db.execute(f"UPDATE [{table}] SET {sets} WHERE id = ?", [*values.values(), row_id])

    def log_change(self, entry):
        cur = self.db.execute(f"INSERT OR IGNORE INTO _changes ({CHANGE_COLUMNS}) VALUES ({_marks(range(9))})",
                              _entry_values(entry))
        return cur.rowcount == 1

    def log_changes(self, entries):
        self.db.conn.executemany(f"INSERT INTO _changes ({CHANGE_COLUMNS}) VALUES ({_marks(range(9))})",
                                 [_entry_values(e) for e in entries])

    def known_versions(self, versions):
        versions, known = list(versions), set()
        for i in range(0, len(versions), CHUNK):
            chunk = versions[i:i + CHUNK]
            known.update(r[0] for r in self.db.execute(
                f"SELECT version FROM _changes WHERE version IN ({_marks(chunk)})", chunk))
        return known

    def base_of(self, version):
        row = self.db.execute("SELECT base FROM _changes WHERE version = ?", [version]).fetchone()
        return json.loads(row[0]) if row and row[0] else {}

    def changes_after(self, seq, limit, exclude_src=None):
        cur = self.db.execute(f"SELECT seq, {CHANGE_COLUMNS} FROM _changes "
                              "WHERE seq > ? AND (src IS NULL OR src IS NOT ?) ORDER BY seq LIMIT ?",
                              [seq, exclude_src, limit])
        return [decoded(change) for change in dicts(cur)]

    def last_seq(self):
        return self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM _changes").fetchone()[0]

    def entries_between(self, cursor, upto, path, exclude_src, limit, tables=None):
        area, area_params = _received("area", path)
        prev, prev_params = _received("prev_area", path)
        scope, params = f"({area} OR {prev})", [*area_params, *prev_params]
        if tables is not None:
            scope += f" AND tbl IN ({_marks(tables) or 'NULL'})"
            params += list(tables)
        cur = self.db.execute(f"SELECT seq, {CHANGE_COLUMNS} FROM _changes WHERE seq > ? AND seq <= ? "
                              f"AND (src IS NULL OR src != ?) AND {scope} ORDER BY seq LIMIT ?",
                              [cursor, upto, exclude_src, *params, limit])
        return [decoded(change) for change in dicts(cur)]

    def live_rows(self, tables, path, after, limit):
        scope, params = _received("area", path)
        rows = []
        self.db.execute("BEGIN")  # one snapshot: the rows read and the last seq agree
        try:
            for table in tables[tables.index(after[0]) if after else 0:]:
                past = ([after[1]] if after and table == after[0] else [])
                cur = self.db.execute(f"SELECT * FROM [{table}] WHERE _deleted = 0 AND {scope}"
                                      f"{' AND id > ?' if past else ''} ORDER BY id LIMIT ?",
                                      [*params, *past, limit - len(rows)])
                rows += [(table, row) for row in dicts(cur)]
                if len(rows) >= limit:
                    break
            last = self.last_seq()
        finally:
            self.db.execute("COMMIT")
        return rows, last

    def history(self, table, row_id, before_seq):
        cur = self.db.execute(f"SELECT seq, {CHANGE_COLUMNS} FROM _changes WHERE tbl = ? AND row_id = ? AND seq < ? "
                              "ORDER BY seq", [table, row_id, before_seq])
        return [decoded(change) for change in dicts(cur)]

    def record_conflict(self, conflict):
        self.db.execute("INSERT OR IGNORE INTO _conflicts (tbl, row_id, field, kept_value, kept_version, lost_value, "
                        "lost_version, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [*conflict[:3], dumps(conflict[3]), conflict[4], dumps(conflict[5]), *conflict[6:]])

    def conflicts(self, limit=500):
        cur = self.db.execute("SELECT * FROM _conflicts ORDER BY id LIMIT ?", [limit])
        return [dict(row, kept_value=json.loads(row["kept_value"]), lost_value=json.loads(row["lost_value"]))
                for row in dicts(cur)]

    def add_link(self, link):
        self.db.execute(f"INSERT INTO nodes ({', '.join(link)}) VALUES ({_marks(link)})", list(link.values()))

    def get_link(self, link_id):
        return first(self.db.execute("SELECT *, node_id AS link_id FROM nodes WHERE node_id = ?", [link_id or ""]))

    def lock_push_cursor(self, link_id):
        # The transaction holds SQLite's one write lock already: nothing else to lock.
        return self.db.execute("SELECT push_cursor FROM nodes WHERE node_id = ?", [link_id]).fetchone()[0]

    def touch_link(self, link_id, seen_at, skew_ms):
        self.db.execute("UPDATE nodes SET last_seen = ?, clock_skew_ms = COALESCE(?, clock_skew_ms) WHERE node_id = ?",
                        [seen_at, skew_ms, link_id])

    def save_push(self, link_id, cursor, restamped, last_push):
        self.db.execute("UPDATE nodes SET push_cursor = ?, restamped = restamped + ?, last_push = ? WHERE node_id = ?",
                        [cursor, restamped, last_push, link_id])

    def save_status(self, link_id, status, at):
        self.db.execute("UPDATE nodes SET status = ?, status_at = ? WHERE node_id = ?", [status, at, link_id])

    def use_nonce(self, nonce, issued_ms, oldest_ms):
        self.db.execute("DELETE FROM sync_nonces WHERE issued_ms < ?", [oldest_ms])
        return self.db.execute("INSERT OR IGNORE INTO sync_nonces (nonce, issued_ms) VALUES (?, ?)",
                               [nonce, issued_ms]).rowcount == 1

    def restamp_of(self, old_version):
        row = self.db.execute("SELECT new_version FROM sync_restamps WHERE old_version = ?", [old_version]).fetchone()
        return row and row[0]

    def add_restamp(self, old_version, new_version):
        self.db.execute("INSERT INTO sync_restamps (old_version, new_version) VALUES (?, ?)", [old_version, new_version])

    def hold(self, held):
        self.db.execute(f"INSERT OR IGNORE INTO sync_quarantine ({', '.join(held)}) VALUES ({_marks(held)})",
                        list(held.values()))

    def held(self, state, node_id, limit):
        sql = "SELECT * FROM sync_quarantine WHERE state = ?" + (" AND node_id = ?" if node_id else "")
        return list(dicts(self.db.execute(sql + " ORDER BY id DESC LIMIT ?",
                                          [state, *([node_id] if node_id else []), limit])))

    def get_held(self, quarantine_id):
        return first(self.db.execute("SELECT * FROM sync_quarantine WHERE id = ?", [quarantine_id]))

    def decide(self, quarantine_id, state, by, at):
        self.db.execute("UPDATE sync_quarantine SET state = ?, decided_by = ?, decided_at = ? WHERE id = ? "
                        "AND state = ?", [state, by, at, quarantine_id, HELD])
