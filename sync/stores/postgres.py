"""The store on PostgreSQL, for a hub: psycopg 3, a connection pool, raw SQL.

Many transactions write at once here, which SQLite never allows, and that is where the traps are:

- Commit order is not sequence order. A SERIAL seq is handed out at insert but seen at commit,
  so a pull can pass seq 11 while seq 10 is still uncommitted, and never see 10. Here a
  transaction's change-log entries are kept aside until it is about to commit; then, as its last
  statements, it takes the next numbers from the counter row (`UPDATE hub_counter ... RETURNING`,
  which locks that row until commit) and inserts the entries. The next writer waits on that row
  until this one has committed, and a commit is visible before its locks go, so within the
  sequence, what is visible is always a prefix: a pull by cursor never skips a change. A
  rolled-back transaction takes its numbers back with it (no holes either).
- Two pushes of one node: the node's cursor row is locked (`SELECT ... FOR UPDATE`), not the hub.
- The clock: a transaction that makes new stamps locks the stored stamp first (`lock_clock`);
  saving it never moves it backwards.
"""
import contextlib
import json
import re

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from sync.meta import HLC
from sync.scope import ancestors
from sync.stores.base import Store, Tx
from sync.stores.pg_hub import PgHubRows
from sync.stores.pg_migrations import PART, migrate
from sync.stores.pg_sql import translate

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CHANGE_COLUMNS = "tbl, row_id, version, op, data, area, prev_area, src, base"
_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# Many ids as one parameter: a JSON array of text, joined on. psycopg writes a Python list as an
# array in Python, value by value (most of a batch's lookup cost); a JSON text goes as it is.
_TEXTS = "json_array_elements_text(CAST(%s AS json)) AS j(value)"


def _q(name):
    """Return `name` quoted as an identifier (only plain names ever reach SQL here)."""
    if not _NAME.match(name):
        raise ValueError(f"not a plain SQL name: {name!r}")
    return f'"{name}"'


def _received(column, path):
    """Return (SQL, parameters) testing that a node of `path` receives the area in `column` (`sync.scope.in_scope`)."""
    return f"({column} = %s OR {column} LIKE %s OR {column} = ANY(%s))", [path, path + "/%", ancestors(path)]


class PgTx(PgHubRows, Tx):
    """One connection inside one open transaction."""

    engine = "postgresql"
    concurrent_writers = True

    def __init__(self, conn):
        self.conn = conn
        self._pending = {}  # version -> entry: change-log entries waiting for their seq (see `flush`)

    def _rows(self, sql, params=()):
        return self.conn.cursor(row_factory=dict_row).execute(sql, params).fetchall()

    def execute(self, sql, params=()):
        """Run one statement written in the common dialect (`sync.stores.pg_sql`); return its cursor."""
        return self.conn.execute(translate(sql), params)

    def executemany(self, sql, rows):
        """Run one statement of the common dialect once per row of parameters."""
        self.conn.cursor().executemany(translate(sql), rows)

    def _one(self, sql, params=()):
        return self.conn.execute(sql, params).fetchone()

    def get_meta(self, key, default=None):
        row = self._one("SELECT value FROM _sync_meta WHERE key = %s", [key])
        return default if row is None else row[0]

    def set_meta(self, key, value):
        self.conn.execute("INSERT INTO _sync_meta (key, value) VALUES (%s, %s) "
                          "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", [key, value])

    def lock_clock(self):
        return int(self._one("SELECT value FROM _sync_meta WHERE key = %s FOR UPDATE", [HLC])[0])

    def save_clock(self, stamp):
        self.conn.execute("UPDATE _sync_meta SET value = GREATEST(value::bigint, %s)::text WHERE key = %s",
                          [stamp, HLC])

    def table_columns(self, table):
        return [r[0] for r in self.conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = %s ORDER BY ordinal_position", [table])] if _NAME.match(table) else []

    def referenced_tables(self, table):
        return sorted(r[0] for r in self.conn.execute(
            "SELECT DISTINCT p.relname FROM pg_constraint c JOIN pg_class p ON p.oid = c.confrelid "
            "WHERE c.contype = 'f' AND c.conrelid = to_regclass(%s)", [_q(table)]))

    def get_row(self, table, row_id):
        rows = self._rows(f"SELECT * FROM {_q(table)} WHERE id = %s", [row_id])
        return rows[0] if rows else None

    def rows_by_id(self, table, ids):
        return {row["id"]: row for row in self._rows(f"SELECT t.* FROM {_TEXTS} JOIN {_q(table)} t ON t.id = j.value",
                                                     [_DUMPS(list(ids))])}

    def insert_rows(self, table, names, rows):
        self._copy(table, names, rows)

    def _copy(self, table, names, rows):
        # COPY: one stream instead of a statement per row (several times faster for a batch).
        with self.conn.cursor().copy(f"COPY {_q(table)} ({', '.join(map(_q, names))}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def update_row(self, table, row_id, values):
        sets = ", ".join(f"{_q(k)} = %s" for k in values)
        self.conn.execute(f"UPDATE {_q(table)} SET {sets} WHERE id = %s", [*values.values(), row_id])

    def log_change(self, entry):
        if entry["version"] in self.known_versions([entry["version"]]):
            return False
        self._pending[entry["version"]] = entry
        return True

    def log_changes(self, entries):
        for entry in entries:
            self._pending[entry["version"]] = entry

    def known_versions(self, versions):
        versions = list(versions)
        known = {v for v in versions if v in self._pending}
        rows = self.conn.execute(f"SELECT c.version FROM {_TEXTS} JOIN _changes c ON c.version = j.value",
                                 [_DUMPS(versions)])
        return known | {r[0] for r in rows}

    def base_of(self, version):
        if version in self._pending:
            return self._pending[version].get("base") or {}
        row = self._one("SELECT base FROM _changes WHERE version = %s", [version])
        return (row and row[0]) or {}

    def flush(self):
        """Number the waiting entries from the counter row (locked until commit) and insert them.

        Run as the last statements before COMMIT, so the counter is held as briefly as can be; or
        earlier by what must read the transaction's own changes numbered (a hub's roll-ups).
        """
        if not self._pending:
            return
        entries, self._pending = list(self._pending.values()), {}
        end = self._one("UPDATE hub_counter SET seq = seq + %s WHERE part = %s RETURNING seq", [len(entries), PART])[0]
        rows = [[seq, e["tbl"], e["row_id"], e["version"], e["op"], _DUMPS(e["data"]), e["area"], e.get("prev_area"),
                 e.get("src"), _DUMPS(e["base"]) if e.get("base") else None]
                for seq, e in zip(range(end - len(entries) + 1, end + 1), entries)]
        try:
            with self.conn.transaction():  # a savepoint: a clash below undoes only the COPY
                self._copy("_changes", ["seq", *CHANGE_COLUMNS.split(", ")], rows)
        except psycopg.errors.UniqueViolation:
            # Another hub worker logged one of these versions meanwhile: it keeps its own seq.
            self.conn.cursor().executemany(f"INSERT INTO _changes (seq, {CHANGE_COLUMNS}) VALUES "
                                           f"({', '.join(['%s'] * 10)}) ON CONFLICT (version) DO NOTHING", rows)

    def changes_after(self, seq, limit, exclude_src=None):
        return self._rows(f"SELECT seq, {CHANGE_COLUMNS} FROM _changes WHERE seq > %s AND (src IS NULL OR src IS DISTINCT FROM %s) "
                          "ORDER BY seq LIMIT %s", [seq, exclude_src, limit])

    def last_seq(self):
        return self._one("SELECT COALESCE(MAX(seq), 0) FROM _changes")[0]

    def entries_between(self, cursor, upto, path, exclude_src, limit, tables=None):
        area, area_params = _received("area", path)
        prev, prev_params = _received("prev_area", path)
        only = "AND tbl = ANY(%s) " if tables is not None else ""
        return self._rows(f"SELECT seq, {CHANGE_COLUMNS} FROM _changes WHERE seq > %s AND seq <= %s "
                          f"AND (src IS NULL OR src IS DISTINCT FROM %s) AND ({area} OR {prev}) {only}ORDER BY seq LIMIT %s",
                          [cursor, upto, exclude_src, *area_params, *prev_params,
                           *([list(tables)] if tables is not None else []), limit])

    def live_rows(self, tables, path, after, limit):
        # Inside the caller's snapshot (`PostgresStore.snapshot`: REPEATABLE READ), so rows and seq agree.
        scope, params = _received("area", path)
        rows = []
        for table in tables[tables.index(after[0]) if after else 0:]:
            past = [after[1]] if after and table == after[0] else []
            found = self._rows(f"SELECT * FROM {_q(table)} WHERE _deleted = 0 AND {scope}"
                               f"{' AND id > %s' if past else ''} ORDER BY id LIMIT %s",
                               [*params, *past, limit - len(rows)])
            rows += [(table, row) for row in found]
            if len(rows) >= limit:
                break
        return rows, self.last_seq()

    def history(self, table, row_id, before_seq):
        return self._rows(f"SELECT seq, {CHANGE_COLUMNS} FROM _changes WHERE tbl = %s AND row_id = %s AND seq < %s "
                          "ORDER BY seq", [table, row_id, before_seq])

    def record_conflict(self, conflict):
        self.conn.execute("INSERT INTO _conflicts (tbl, row_id, field, kept_value, kept_version, lost_value, "
                          "lost_version, recorded_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                          [*conflict[:3], _DUMPS(conflict[3]), conflict[4], _DUMPS(conflict[5]), *conflict[6:]])

    def conflicts(self, limit=500):
        return [dict(row, kept_value=json.loads(row["kept_value"]), lost_value=json.loads(row["lost_value"]))
                for row in self._rows("SELECT * FROM _conflicts ORDER BY id LIMIT %s", [limit])]

    def _insert(self, table, values, on_conflict=""):
        self.conn.execute(f"INSERT INTO {_q(table)} ({', '.join(map(_q, values))}) "
                          f"VALUES ({', '.join(['%s'] * len(values))}) {on_conflict}", list(values.values()))


class PostgresStore(Store):
    """A PostgreSQL database behind a pool of connections; each transaction borrows one."""

    engine = "postgresql"

    def __init__(self, pool):
        self.pool = pool

    @classmethod
    def open(cls, url, min_size=1, max_size=8, migrate_now=True):
        """Open a pool on `url` (sized per serving worker, not per village) and bring the schema up to date."""
        pool = ConnectionPool(url, min_size=min_size, max_size=max_size, kwargs={"autocommit": True}, open=True)
        if migrate_now:
            with pool.connection() as conn:
                migrate(conn)
        return cls(pool)

    @contextlib.contextmanager
    def _begun(self, begin, write, durable=True):
        with self.pool.connection() as conn:
            tx = PgTx(conn)
            conn.execute(begin)
            if not durable:
                conn.execute("SET LOCAL synchronous_commit = off")
            try:
                yield tx
                if write:
                    tx.flush()
            except BaseException:
                with contextlib.suppress(psycopg.Error):  # a dead connection: the pool drops it
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def transaction(self, durable=True):
        """One READ COMMITTED write transaction on a pooled connection (see the module docstring).

        `durable=False` commits asynchronously (synchronous_commit off for this transaction only).
        """
        return self._begun("BEGIN", write=True, durable=durable)

    def snapshot(self):
        """One read-only transaction whose reads all see one snapshot."""
        return self._begun("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", write=False)

    @contextlib.contextmanager
    def reading(self):
        """A pooled connection, each statement its own transaction: no BEGIN and COMMIT round trips."""
        with self.pool.connection() as conn:
            yield PgTx(conn)

    def execute(self, sql, params=()):
        """Run one statement of the common dialect on its own (autocommit); return its cursor.

        The cursor holds its rows client-side, so it is read after the connection went back.
        """
        with self.pool.connection() as conn:
            return conn.execute(translate(sql), params)

    def close(self):
        """Close every pooled connection."""
        self.pool.close()
