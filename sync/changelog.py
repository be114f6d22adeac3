"""The one write path: every change to a synced table writes the row and its change together.

A synced table is any table with the columns `id`, `area`, `_version`, `_origin`,
`_deleted` and `_fv`. `_fv` holds, as JSON, the version that last set each field, so that
changes merge per field: the higher version (see `sync.clock`) wins, on every node alike.
"""
import contextlib
import itertools
import json

from sync.clock import Clock, make_version, split_version, utc_text, wall_ms
from sync.store import transaction
from sync.stores import as_tx
from sync.stores.base import UnknownTable
from sync.stores.sqlite import decoded, dumps as _dumps

SYNC_COLUMNS = ("_version", "_origin", "_deleted", "_fv")
DELETED = "_deleted"
UNREAD = object()  # put() reads the stored row itself unless its caller has
__all__ = ["UnknownTable", "Writer", "changes_after", "decoded", "last_seq", "rewrite_versions", "writing"]


class Writer:
    """Writes rows and their change-log entries inside one open transaction.

    `db` is what the caller passed (a SQLite database, or a store's Tx); `tx` is it as the
    engine's store interface (`sync.stores.base.Tx`), where the SQL lives.
    """

    def __init__(self, db, node_id, clock):
        self.db = db
        self.tx = as_tx(db)
        self.node_id = node_id
        self.clock = clock
        self._columns = {}
        self._parents = {}
        self.max_skew_ms = 0
        # (table, row id) of each row this writer inserted: stored exactly as the one change
        # that made it says (fields it did not carry at their defaults), until a later change.
        self.created = set()

    def columns(self, table):
        """Return the data columns of synced `table` (raise UnknownTable otherwise)."""
        if table not in self._columns:
            cols = self.tx.table_columns(table)
            if not set(SYNC_COLUMNS) <= set(cols):
                raise UnknownTable(table)
            self._columns[table] = [c for c in cols if c not in SYNC_COLUMNS]
        return self._columns[table]

    def get(self, table, row_id):
        """Return the stored row as a dict (tombstones included), or None."""
        return self.tx.get_row(table, row_id)

    def put(self, table, row_id, fields, existing=UNREAD):
        """Create or update a row with `fields` (changed fields only); return the version.

        `existing` is the stored row when the caller has just read it (None: there is none).
        """
        cols = self.columns(table)
        bad = set(fields) - set(cols) - {"id"}
        if bad:
            raise UnknownTable(f"{table}.{sorted(bad)[0]}")
        fields = {k: v for k, v in fields.items() if k != "id"}
        if existing is UNREAD:
            existing = self.get(table, row_id)
        version = make_version(self.clock.now(), self.node_id)
        area = fields.get("area", existing and existing["area"])
        prev_area = existing["area"] if existing and area != existing["area"] else None
        seen = json.loads(existing["_fv"]) if existing else {}
        base = {k: seen[k] for k in fields if k in seen}
        self._store(table, row_id, existing, fields, version)
        self._log(table, row_id, version, "put", fields, area, prev_area, None, base)
        return version

    def delete(self, table, row_id):
        """Mark a row deleted (a tombstone that syncs like any change); return the version."""
        self.columns(table)
        existing = self.get(table, row_id)
        if existing is None:
            raise KeyError(row_id)
        version = make_version(self.clock.now(), self.node_id)
        self._store(table, row_id, existing, {DELETED: 1}, version)
        self._log(table, row_id, version, "del", {}, existing["area"], None, None)
        return version

    def apply(self, change, src):
        """Apply a change born elsewhere (a dict as `changes_after` returns); idempotent.

        Return False when this change was applied before (nothing happens), else True.
        """
        self._check(change)
        if not self._log(change["tbl"], change["row_id"], change["version"], change["op"], change["data"],
                         change["area"], change.get("prev_area"), src, change.get("base")):
            return False
        self._observe(change["version"])
        self._merge(change, self.get(change["tbl"], change["row_id"]))
        return True

    def apply_many(self, changes, src):
        """Apply changes born elsewhere as `apply` would one by one, in bulk; return how many were new.

        The batch's versions and rows are probed once, its new changes logged in the batch's order.
        New records (the bulk of any first sync) are inserted one statement per table and set of
        fields, whatever their order in the batch: the tables of parents before those of their
        children, as the database's foreign keys say. The rest (updates, deletes, a record's later
        changes) then merge one by one, in the batch's order, as `apply` does.
        """
        fresh = self._fresh(changes)
        if not fresh:
            return 0
        for change in fresh:
            self._check(change)
        stored = self._stored(fresh)
        new, rest, seen = [], [], set(stored)
        for change in fresh:
            key = (change["tbl"], change["row_id"])
            plain = set(change["data"]) <= set(self.columns(change["tbl"]))
            (new if change["op"] == "put" and key not in seen and plain else rest).append(change)
            seen.add(key)
        self.tx.log_changes([dict(c, src=src, base=c.get("base") or None) for c in fresh])
        for table, group in self._parents_first(new):
            for _, run in itertools.groupby(group, key=lambda c: tuple(c["data"])):
                self._insert_new(table, list(run))
        touched = {(c["tbl"], c["row_id"]) for c in new}
        for change in rest:
            key = (change["tbl"], change["row_id"])
            # A row written in this batch is read again: its stored values are the database's own.
            self._merge(change, self.get(*key) if key in touched else stored.get(key))
            touched.add(key)
        self._observe(max(c["version"] for c in fresh))
        return len(fresh)

    def _check(self, change):
        """Raise UnknownTable when `change` names a table or field not synced here."""
        fields = {DELETED: 1} if change["op"] == "del" else change["data"]
        known = set(self.columns(change["tbl"])) | {DELETED}
        if not set(fields) <= known:
            raise UnknownTable(f"{change['tbl']}.{sorted(set(fields) - known)[0]}")

    def _observe(self, version):
        hlc, _ = split_version(version)
        self.max_skew_ms = max(self.max_skew_ms, self.clock.observe(hlc))

    def _merge(self, change, existing):
        """Merge a logged change into its row (`existing`: the row as stored, or None), field by field."""
        table, row_id, version = change["tbl"], change["row_id"], change["version"]
        fields = {DELETED: 1} if change["op"] == "del" else dict(change["data"])
        if existing is None:
            self._store(table, row_id, None, fields, version)
            return
        base, fv, won = change.get("base") or {}, json.loads(existing["_fv"]), {}
        for field, value in fields.items():
            current = fv.get(field, "")
            if version > current:
                won[field] = value
                # A conflict only when the writer had not seen the value it replaces.
                if current and existing.get(field) != value and base.get(field) != current:
                    self._conflict(table, row_id, field, value, version, existing.get(field), current)
            elif existing.get(field) != value and self._base_of(current).get(field) != version:
                # Losing to an edit made by someone who had seen this value is no conflict.
                self._conflict(table, row_id, field, existing.get(field), current, value, version)
        if won:
            self._store(table, row_id, existing, won, version)

    def _fresh(self, changes):
        """Return the changes whose versions are new here, each once, in order."""
        known, fresh = self.tx.known_versions(c["version"] for c in changes), []
        for change in changes:
            if change["version"] not in known:
                known.add(change["version"])
                fresh.append(change)
        return fresh

    def _stored(self, changes):
        """Return {(table, row_id): row} of the rows these changes touch that are stored, one query a table."""
        by_table, found = {}, {}
        for change in changes:
            by_table.setdefault(change["tbl"], set()).add(change["row_id"])
        for table, ids in by_table.items():
            found.update(((table, row_id), row) for row_id, row in self.tx.rows_by_id(table, ids).items())
        return found

    def parents(self, table):
        """Return the tables that `table`'s foreign keys point at (itself left out)."""
        if table not in self._parents:
            self._parents[table] = set(self.tx.referenced_tables(table)) - {table}
        return self._parents[table]

    def _parents_first(self, changes):
        """Return [(table, its changes in order)], each table after the tables it references.

        Ties keep the batch's order of tables. Should the foreign keys make a cycle (no table
        free to go first), the changes go in their batch order, table by table as they come.
        """
        by_table = {}
        for change in changes:
            by_table.setdefault(change["tbl"], []).append(change)
        order, waiting = [], list(by_table)
        while waiting:
            ready = next((t for t in waiting if not self.parents(t) & set(waiting)), None)
            if ready is None:
                return [(t, list(run)) for t, run in itertools.groupby(changes, key=lambda c: c["tbl"])]
            order.append(ready)
            waiting.remove(ready)
        return [(table, by_table[table]) for table in order]

    def _insert_new(self, table, group):
        """Insert rows that do not exist yet, all with the same fields, in one statement."""
        keys = list(group[0]["data"])
        names = ["id", *keys, "_version", "_origin", "_deleted", "_fv"]
        # Every field of a new row was set by its one change: fill the version into a template
        # (keys are checked column names, plain identifiers: nothing in them needs escaping).
        fv_template = _dumps(dict.fromkeys(keys, 0)).replace(":0", ':"%(v)s"')
        self.tx.insert_rows(table, names, [[c["row_id"], *c["data"].values(), c["version"],
                                            split_version(c["version"])[1], 0, fv_template % {"v": c["version"]}]
                                           for c in group])
        self.created.update((table, c["row_id"]) for c in group)

    def _base_of(self, version):
        """Return the field versions the writer of `version` had seen ({} when unknown)."""
        return self.tx.base_of(version)

    def _store(self, table, row_id, existing, fields, version):
        fv = json.loads(existing["_fv"]) if existing else {}
        fv.update(dict.fromkeys(fields, version))
        row_version = max(version, existing["_version"]) if existing else version
        data = {k: v for k, v in fields.items() if k != DELETED}
        if existing is None:
            self.created.add((table, row_id))
            origin = split_version(version)[1]
            self.tx.insert_row(table, {"id": row_id, **data, "_version": row_version, "_origin": origin,
                                       "_deleted": fields.get(DELETED, 0), "_fv": _dumps(fv)})
        else:
            data.update({"_version": row_version, "_fv": _dumps(fv)})
            if DELETED in fields:
                data[DELETED] = fields[DELETED]
            self.tx.update_row(table, row_id, data)

    def _log(self, table, row_id, version, op, data, area, prev_area, src, base=None):
        return self.tx.log_change({"tbl": table, "row_id": row_id, "version": version, "op": op, "data": data,
                                   "area": area, "prev_area": prev_area, "src": src, "base": base or None})

    def _conflict(self, table, row_id, field, kept, kept_version, lost, lost_version):
        self.tx.record_conflict((table, row_id, field, kept, kept_version, lost, lost_version, utc_text()))


@contextlib.contextmanager
def writing(db, node_id, wall=wall_ms):
    """Open one transaction and yield a Writer; commit rows, changes and clock together."""
    with transaction(db) as tx:
        clock = Clock.load(tx, wall)
        writer = Writer(tx, node_id, clock)
        yield writer
        clock.save(tx)


def changes_after(db, seq, limit=1000, exclude_src=None):
    """Return up to `limit` change-log entries with a sequence number above `seq`, in order."""
    with as_tx(db).snapshot() as tx:  # a store of many connections reads in one of its transactions
        return tx.changes_after(seq, limit, exclude_src)


def last_seq(db):
    """Return the sequence number of the newest change-log entry (0 when empty)."""
    with as_tx(db).snapshot() as tx:
        return tx.last_seq()


def rewrite_versions(db, mapping):
    """Replace versions {old: new} everywhere they are held (the hub re-stamped them).

    Run inside a write transaction. Only stamps still equal to an old version are replaced, so
    running it twice changes nothing more.
    """
    for old, new in mapping.items():
        row = db.execute("SELECT tbl, row_id FROM _changes WHERE version = ?", [old]).fetchone()
        if row is None:
            continue
        table, row_id = row
        db.execute("UPDATE _changes SET version = ? WHERE version = ?", [new, old])
        db.execute("UPDATE _conflicts SET kept_version = ? WHERE kept_version = ?", [new, old])
        db.execute("UPDATE _conflicts SET lost_version = ? WHERE lost_version = ?", [new, old])
        stored = db.execute(f"SELECT _fv FROM [{table}] WHERE id = ?", [row_id]).fetchone()
        if stored is None:
            continue
        fv = {field: new if version == old else version for field, version in json.loads(stored[0]).items()}
        db.execute(f"UPDATE [{table}] SET _fv = ?, _version = ? WHERE id = ?", [_dumps(fv), max(fv.values()), row_id])
