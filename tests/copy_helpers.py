"""A receiver's copy of pulled records, as the field app keeps it (static/field/app/records.js `applyPulled`).

The test oracle of the snapshot tests: what a tablet holds after laying pages and pulled batches over
its copy, field by field by version. Imports only `sync` (the engine's own tests use it too).
"""


def lay(copy, changes):
    """Lay `changes` over `copy` ({table: {id: row}}) as the tablet does; return `copy`.

    A put sets each field whose version is newer than the one held; a delete or an eviction drops
    the record (what hangs under it is not followed here).
    """
    for change in changes:
        table = copy.setdefault(change["tbl"], {})
        if change["op"] != "put":
            table.pop(change["row_id"], None)
            continue
        held = table.get(change["row_id"], {})
        fv = dict(held.get("_fv", {}))
        newer = {name: value for name, value in change["data"].items()
                 if name not in fv or change["version"] > fv[name]}
        fv.update(dict.fromkeys(newer, change["version"]))
        table[change["row_id"]] = {**held, **newer, "_fv": fv, "id": change["row_id"], "area": change["area"]}
    return copy


def as_stored(rows, fields):
    """Return stored rows as the copy holds them: {id: {field: value for the fields it was given, _fv, id, area}}."""
    import json

    out = {}
    for row in rows:
        fv = json.loads(row["_fv"]) if isinstance(row["_fv"], str) else row["_fv"]
        out[row["id"]] = {**{f: row[f] for f in fields if f in fv}, "_fv": fv, "id": row["id"], "area": row["area"]}
    return out
