"""Build, encode, decode and apply a batch of changes: the one batch format of HTTP and bundles.

On the wire a batch is zlib-compressed compact JSON: an envelope of plain values plus the
changes stored column by column in runs of the same (table, op, fields). Columns of similar
values (ids, areas, clock stamps as deltas) compress far better than one object per change.
"""
import json
import zlib

from sync.clock import make_version, split_version

FORMAT = 1
MAX_DECODED_BYTES = 32 * 1024 * 1024
EVICT = "evict"


class BadBatch(ValueError):
    """The bytes are not a batch this program can read (damaged, truncated or too large)."""


def encode(envelope, changes, level=6):
    """Return the compressed bytes of `envelope` (a dict) carrying `changes`."""
    body = dict(envelope, v=FORMAT, c=_columns(changes))
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return zlib.compress(raw, level)


def decode(payload, limit=MAX_DECODED_BYTES):
    """Return (envelope, changes) of compressed batch bytes; raise BadBatch when unreadable."""
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(payload, limit)
        if inflater.unconsumed_tail:
            raise BadBatch("batch too large")
        body = json.loads(raw)
        if body.pop("v", None) != FORMAT:
            raise BadBatch("unknown batch format")
        return body, _rows(body.pop("c"))
    except (zlib.error, ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError) as exc:
        raise BadBatch(str(exc)) from None


def _columns(changes):
    """Return the changes as runs of columns (see the module docstring)."""
    nodes, areas, runs = {}, {}, []
    last_hlc, run, signature = 0, None, None
    for change in changes:
        keys = tuple(change["data"])
        sig = (change["tbl"], change["op"], keys)
        if sig != signature:
            signature = sig
            run = {"t": sig[0], "o": sig[1], "k": list(keys), "r": [], "h": [], "n": [], "a": [], "p": [],
                   "d": [[] for _ in keys]}
            runs.append(run)
        hlc, node = split_version(change["version"])
        run["r"].append(change["row_id"])
        run["h"].append(hlc - last_hlc)
        last_hlc = hlc
        run["n"].append(nodes.setdefault(node, len(nodes)))
        run["a"].append(areas.setdefault(change["area"], len(areas)))
        prev = change.get("prev_area")
        run["p"].append(-1 if prev is None else areas.setdefault(prev, len(areas)))
        for column, key in zip(run["d"], keys):
            column.append(change["data"][key])
        if change.get("base"):
            run.setdefault("b", {})[len(run["r"]) - 1] = change["base"]
    for run in runs:
        # Columns that hold one repeated value (no moves, one node) shrink to that value.
        for name in ("n", "a", "p"):
            if len(set(run[name])) == 1:
                run[name] = run[name][0]
    return {"nodes": list(nodes), "areas": list(areas), "runs": runs}


def _rows(columns):
    """Return the list of change dicts held by `columns` (the inverse of `_columns`)."""
    nodes, areas, out, hlc = columns["nodes"], columns["areas"], [], 0
    for run in columns["runs"]:
        count = len(run["r"])
        col = {name: run[name] if isinstance(run[name], list) else [run[name]] * count for name in ("n", "a", "p")}
        for i in range(count):
            hlc += run["h"][i]
            prev = col["p"][i]
            out.append({"tbl": run["t"], "op": run["o"], "row_id": run["r"][i],
                        "version": make_version(hlc, nodes[col["n"][i]]), "area": areas[col["a"][i]],
                        "prev_area": None if prev == -1 else areas[prev],
                        "data": {key: run["d"][j][i] for j, key in enumerate(run["k"])},
                        "base": run.get("b", {}).get(str(i))})
    return out


def apply_changes(writer, changes, src, on_evict=None):
    """Apply changes born elsewhere through `writer`; return how many were new here.

    A change already held (same version) is skipped: applying a batch twice changes nothing.
    """
    applied, run = 0, []
    for change in changes:
        if change["op"] == EVICT:
            applied += writer.apply_many(run, src)
            run = []
            applied += evict(writer.db, change["tbl"], change["row_id"])
        else:
            run.append(change)
    return applied + writer.apply_many(run, src)


def evict(db, table, row_id):
    """Remove a record that left this node's scope, and the records hanging under it.

    No tombstone is written: this is not a delete, and it must never sync back.
    """
    from sync.changelog import Writer

    refs = _references(db, table)
    for child_table, column in refs:
        for (child_id,) in db.execute(f"SELECT id FROM [{child_table}] WHERE [{column}] = ?", [row_id]).fetchall():
            evict(db, child_table, child_id)
    Writer(db, "", None).columns(table)
    return db.execute(f"DELETE FROM [{table}] WHERE id = ?", [row_id]).rowcount


def _references(db, table):
    """Return (table, column) pairs whose foreign key points at `table`."""
    found = []
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        for row in db.execute(f"PRAGMA foreign_key_list([{name}])").fetchall():
            if row[2] == table:
                found.append((name, row[3]))
    return found
