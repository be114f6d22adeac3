"""Backup, restore and the consistency check of a node's database."""
import json
import sqlite3
from pathlib import Path

import sqlite_utils

from sync.clock import split_version
from sync.meta import get_meta, set_meta
from sync.scope import in_scope
from sync.store import transaction
from village.i18n_markers import N_
from village.migrations import known_names, migrate, migrations
from village.records.schema import TABLES


class MaintenanceError(Exception):
    """A backup or restore that cannot be done; nothing was changed."""

    def __init__(self, message, **params):
        super().__init__(message % params)
        self.message, self.params = message, params


def backup(db, out):
    """Copy the live database to `out` with SQLite's online backup (safe while serving)."""
    out = Path(out)
    if out.exists():
        raise MaintenanceError(N_("%(path)s already exists; choose a new file name."), path=str(out))
    tmp = out.with_name(out.name + ".part")
    dest = sqlite3.connect(str(tmp))
    try:
        db.conn.backup(dest)
        dest.execute("PRAGMA journal_mode = DELETE")
    finally:
        dest.close()
    tmp.replace(out)
    return out


def restore(db, source):
    """Replace the live database's content with the backup at `source`, keeping the clock ahead.

    The clock and change sequence never go back: versions and sequence numbers already sent
    to a hub must never be handed out again for other changes.
    """
    source = Path(source)
    if not source.is_file():
        raise MaintenanceError(N_("There is no backup file at %(path)s."), path=str(source))
    try:
        src = sqlite_utils.Database(sqlite3.connect(f"file:{source}?mode=ro", uri=True))
        names = [m.name for m in migrations.applied(src)]
        ok = src.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    except sqlite3.DatabaseError as exc:
        raise MaintenanceError(N_("%(path)s is not a backup of this program (%(error)s)."),
                               path=str(source), error=str(exc)) from None
    if not ok or not names or any(n not in known_names() for n in names):
        src.close()
        raise MaintenanceError(N_("%(path)s is damaged or not a backup of this program; nothing was changed."),
                               path=str(source))
    hlc = int(get_meta(db, "hlc", "0"))
    seq = db.execute("SELECT COALESCE(MAX(seq), 0) FROM _changes").fetchone()[0]
    src.conn.backup(db.conn)
    src.close()
    migrate(db)
    with transaction(db):
        set_meta(db, "hlc", str(max(hlc, int(get_meta(db, "hlc", "0")))))
        db.execute("UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = '_changes'", [seq])
        db.execute("INSERT INTO sqlite_sequence (name, seq) SELECT '_changes', ? WHERE NOT EXISTS "
                   "(SELECT 1 FROM sqlite_sequence WHERE name = '_changes')", [seq])


def check(db, node):
    """Return a list of problems found in the database (empty when all is well)."""
    problems = []
    result = db.execute("PRAGMA integrity_check").fetchall()
    if result != [("ok",)]:
        problems += [f"integrity: {r[0]}" for r in result[:20]]
    for table, rowid, parent, _ in db.execute("PRAGMA foreign_key_check").fetchall()[:20]:
        problems.append(f"{table} row {rowid}: refers to a missing {parent} record")
    hlc = int(get_meta(db, "hlc", "0"))
    own = db.execute("SELECT MAX(version) FROM _changes WHERE version LIKE ?", [f"%-{node.node_id}"]).fetchone()[0]
    if own and split_version(own)[0] > hlc:
        problems.append("clock: the stored clock is behind this node's own newest change")
    for table, specs in TABLES.items():
        problems += _check_table(db, node, table, specs)
    return problems


def _check_table(db, node, table, specs):
    problems = []
    unlogged = db.execute(f"SELECT COUNT(*) FROM [{table}] WHERE _version NOT IN (SELECT version FROM _changes)")
    count = unlogged.fetchone()[0]
    if count:
        problems.append(f"{table}: {count} rows have no change-log entry for their version")
    for spec in specs:
        if spec.choices:
            marks = ", ".join("?" * len(spec.choices))
            bad = db.execute(f"SELECT COUNT(*) FROM [{table}] WHERE [{spec.name}] IS NOT NULL "
                             f"AND [{spec.name}] NOT IN ({marks})", spec.choices).fetchone()[0]
            if bad:
                problems.append(f"{table}.{spec.name}: {bad} rows hold a value outside {', '.join(spec.choices)}")
        if spec.required:
            bad = db.execute(f"SELECT COUNT(*) FROM [{table}] WHERE [{spec.name}] IS NULL AND _deleted = 0").fetchone()[0]
            if bad:
                problems.append(f"{table}.{spec.name}: {bad} live rows lack this required field")
    for row_id, area, fv in db.execute(f"SELECT id, area, _fv FROM [{table}]"):
        if not in_scope(area, node.area):
            problems.append(f"{table} {row_id}: area {area} is outside this node's scope {node.area}")
        try:
            json.loads(fv)
        except ValueError:
            problems.append(f"{table} {row_id}: damaged field versions")
        if len(problems) > 50:
            break
    return problems
