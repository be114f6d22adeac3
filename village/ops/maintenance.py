"""Backup and the consistency check of a node's database (restore: village/ops/restore.py)."""
import json
import sqlite3
from pathlib import Path

from sync.clock import split_version
from sync.files import sync_to_disk, write_new
from sync.meta import HLC, get_meta
from sync.scope import in_scope
from sync.store import transaction
from village.errors import Problem
from village.dbfile import CORRUPT_CODES, damage_of, explain
from village.filemodes import PRIVATE_UMASK, loose_modes, out_file_problem
from village.i18n_markers import N_
from village.records import rollups
from village.records.schema import TABLES
from village.node import NODE_ID_KEY

MAX_PROBLEMS = 50


def backup(db, out):
    """Copy the live database to `out` (mode 0600) with SQLite's online backup (safe while serving)."""
    out = Path(out)
    problem = out_file_problem(out, "village-backup.db")
    if problem:
        raise Problem(problem[0], **problem[1])
    tmp = out.with_name(out.name + ".part")
    tmp.unlink(missing_ok=True)
    try:
        write_new(tmp, [])  # SQLite then writes into a file only we can read
        dest = sqlite3.connect(str(tmp))
        try:
            db.conn.backup(dest)
            # SQLite reads the missing pages of a file cut short as zeros: a copy made so looks
            # whole to the backup and is not. A backup that cannot be restored is no backup.
            verdict = dest.execute("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":
                code, params = damage_of(db.execute("PRAGMA database_list").fetchone()[2], verdict)
                raise Problem(code, **params)
            dest.execute("PRAGMA journal_mode = DELETE")
        finally:
            dest.close()
        sync_to_disk(tmp)
        tmp.replace(out)
    except (sqlite3.DatabaseError, OSError) as exc:
        # A damaged source is the node's database; a full or read-only disk is the target's.
        code = getattr(exc, "sqlite_errorcode", 0) or 0
        source = db.execute("PRAGMA database_list").fetchone()[2] if code & 0xFF in CORRUPT_CODES else out
        code, params = explain(exc, source)
        raise Problem(code, **params) from None
    finally:
        for leftover in (tmp, Path(f"{tmp}-journal")):
            leftover.unlink(missing_ok=True)
    return out


def repair(db):
    """Make what can be made again from the records (the county's roll-ups); return how many facts were counted."""
    with transaction(db) as tx:
        return rollups.rebuild(tx)


# --- village check --------------------------------------------------------------------------

def check(db, node, store=None):
    """Return the problems found in the node's files and database as [(message, params)], [] when all is well.

    `store`: where a county hub keeps its records and sync data when not in `db` (its PostgreSQL
    store): the records are checked there, the file `db` for what SQLite alone can tell.
    """
    problems = file_problems(node)
    result = db.execute("PRAGMA integrity_check").fetchall()
    if result != [("ok",)]:
        problems += [(N_("Database integrity: %(detail)s"), {"detail": r[0]}) for r in result[:20]]
    for table, rowid, parent, _ in db.execute("PRAGMA foreign_key_check").fetchall()[:20]:
        problems.append((N_("%(table)s row %(row)s refers to a missing %(parent)s record."),
                         {"table": table, "row": rowid, "parent": parent}))
    return problems + _check_records(store if store is not None else db, node)


def _check_records(db, node):
    """Return the problems of the node's records and sync data in `db` (either engine)."""
    problems = []
    owner = get_meta(db, NODE_ID_KEY)
    if owner and owner != node.node_id:
        problems.append((N_("The database belongs to node %(owner)s, not to this node %(node)s: it was copied "
                            "from another node. Restore this node's own backup."), {"owner": owner, "node": node.node_id}))
    hlc = int(get_meta(db, HLC, "0"))
    own = db.execute("SELECT MAX(version) FROM _changes WHERE version LIKE ?", [f"%-{node.node_id}"]).fetchone()[0]
    if own and split_version(own)[0] > hlc:
        problems.append((N_("The stored clock is behind this node's own newest change."), {}))
    for table, specs in TABLES.items():
        problems += _check_table(db, node, table, specs)
        if len(problems) > MAX_PROBLEMS:
            break
    return problems


def file_problems(node):
    """Return [(message, params)] for the files of the data directory that others may read."""
    problems = []
    for path, mode in loose_modes(node.data_dir):
        fix = oct(mode & ~PRIVATE_UMASK)[2:]
        problems.append((N_("%(path)s can be read by other users of this computer (mode %(mode)s). "
                            "Fix it with: chmod %(fix)s %(path)s"), {"path": str(path), "mode": oct(mode)[2:],
                                                                     "fix": fix}))
    return problems


def _check_table(db, node, table, specs):
    problems = []
    unlogged = db.execute(f"SELECT COUNT(*) FROM [{table}] WHERE _version NOT IN (SELECT version FROM _changes)")
    count = unlogged.fetchone()[0]
    if count:
        problems.append((N_("%(table)s: %(n)s rows have no change-log entry for their version."),
                         {"table": table, "n": count}))
    for spec in specs:
        if spec.choices:
            marks = ", ".join("?" * len(spec.choices))
            bad = db.execute(f"SELECT COUNT(*) FROM [{table}] WHERE [{spec.name}] IS NOT NULL "
                             f"AND [{spec.name}] NOT IN ({marks})", spec.choices).fetchone()[0]
            if bad:
                problems.append((N_("%(table)s.%(field)s: %(n)s rows hold a value outside %(choices)s."),
                                 {"table": table, "field": spec.name, "n": bad, "choices": ", ".join(spec.choices)}))
        if spec.required:
            bad = db.execute(f"SELECT COUNT(*) FROM [{table}] WHERE [{spec.name}] IS NULL AND _deleted = 0").fetchone()[0]
            if bad:
                problems.append((N_("%(table)s.%(field)s: %(n)s live rows lack this required field."),
                                 {"table": table, "field": spec.name, "n": bad}))
    for row_id, area, fv in db.execute(f"SELECT id, area, _fv FROM [{table}]"):
        if not in_scope(area, node.area):
            problems.append((N_("%(table)s %(id)s: area %(area)s is outside this node's area %(scope)s."),
                             {"table": table, "id": row_id, "area": area, "scope": node.area}))
        try:
            json.loads(fv)
        except ValueError:
            problems.append((N_("%(table)s %(id)s: its field versions are damaged."), {"table": table, "id": row_id}))
        if len(problems) > MAX_PROBLEMS:
            break
    return problems
