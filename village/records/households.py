"""The household register: search, a household with what hangs under it, look-alikes, lookups by code."""
from sync.stores.pg_sql import stored_order
from village.records import core

# A search matching more households than this says "100+" and lists only the first page it found:
# a broad search ("1", "13", "52": the start of most phones and ID numbers; a surname) must cost
# about what a specific one does, not read 100,000 rows (each row read costs some 8 µs at 100,000
# households, each match is read two or three times). Typing more narrows it.
SEARCH_CAP = 100
# The whole register is counted and paged no further than this (20 pages): a deep page reads every
# row before it in code order.
REGISTER_CAP = 500
# Where a search looks: (table, column, upper-cased?, the household id it gives). One index range
# probe each, joined by UNION, so every branch uses its index (a LIKE or an OR would scan).
SEARCHED = (("households", "code", False, "id"), ("households", "code", True, "id"),
            ("households", "head_name", False, "id"), ("households", "phone", False, "id"),
            ("households", "id_number", True, "id"), ("persons", "name", False, "household_id"),
            ("persons", "id_number", True, "household_id"))
# Records deleted along with their parent, so no orphan stays behind in the register.
CHILDREN = {"households": (("persons", "household_id"), ("plots", "household_id"), ("livestock", "household_id")),
            "plots": (("plantings", "plot_id"),)}


def search_sql(cap=SEARCH_CAP):
    """Return the SQL giving the ids of live households matching a prefix, each probe stopped after `cap` rows."""
    probes = [f"SELECT * FROM (SELECT {gives} FROM {table} WHERE {column} >= ? AND {column} < ? AND _deleted = 0 "
              f"LIMIT {int(cap)}) AS probe" for table, column, _upper, gives in SEARCHED]
    return "\nUNION ".join(probes)


def _broad(db, params):
    """Return True when one probe alone finds more than SEARCH_CAP entries, counted in its index only."""
    for n, (table, column, _upper, _gives) in enumerate(SEARCHED):
        # No _deleted test: it would read every row; a deleted household's values stay in the index.
        sql = f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE {column} >= ? AND {column} < ? LIMIT ?) AS probe"
        if db.execute(sql, [*params[2 * n:2 * n + 2], SEARCH_CAP + 1]).fetchone()[0] > SEARCH_CAP:
            return True
    return False


def search_params(query):
    """Return the bounds of search_sql's prefix ranges for `query` (as typed; upper-cased for codes, IDs)."""
    typed = query.strip()
    params = []
    for _table, _column, upper, _gives in SEARCHED:
        start = typed.upper() if upper else typed
        params += [start, start + "\U0010ffff"]
    return params


def find(db, query, page=1):
    """Return (households, total, capped, page, pages) matching the start of a code, name, phone or ID number.

    Past SEARCH_CAP matches `capped` is True, `total` is SEARCH_CAP and only the first page found is
    listed (in code order, as every page is).
    """
    if not query.strip():
        return _register(db, page)
    params = search_params(query)
    if _broad(db, params):
        found = core.rows(db, "households", f"id IN ({search_sql(core.PAGE_SIZE)})", params, order="code",
                          limit=core.PAGE_SIZE)
        return list(found), SEARCH_CAP, True, 1, 1
    matched = f"WITH matched(id) AS MATERIALIZED ({search_sql(SEARCH_CAP + 1)})"
    total = db.execute(f"{matched} SELECT COUNT(*) FROM matched", params).fetchone()[0]
    page, pages = core.page_of(min(total, SEARCH_CAP), page)
    found = core.rows(db, "households", "id IN (SELECT id FROM matched)", params, order="code", limit=core.PAGE_SIZE,
                      offset=(page - 1) * core.PAGE_SIZE, with_=matched)
    return list(found), min(total, SEARCH_CAP), total > SEARCH_CAP, page, pages


def _register(db, page):
    """Return find's answer for the whole register, counted and paged no further than REGISTER_CAP."""
    total = db.execute("SELECT COUNT(*) FROM (SELECT 1 FROM households WHERE _deleted = 0 LIMIT ?) AS kept",
                       [REGISTER_CAP + 1]).fetchone()[0]
    page, pages = core.page_of(min(total, REGISTER_CAP), page)
    found = core.rows(db, "households", order="code", limit=core.PAGE_SIZE, offset=(page - 1) * core.PAGE_SIZE)
    return list(found), min(total, REGISTER_CAP), total > REGISTER_CAP, page, pages


def by_code(db, area, code):
    """Return the id of the live household with `code` (as typed, then upper-cased) in `area` or below, or None."""
    for typed in dict.fromkeys([code, code.upper()]):
        found = list(core.rows(db, "households", "code = ? AND (area = ? OR area LIKE ?)",
                               [typed, area, area + "/%"], limit=1))
        if found:
            return found[0]["id"]
    return None


def code_letters(db, sample=50, most=6):
    """Return the letters this village's household codes use (e.g. HX0042 -> H, X), for the keypad."""
    codes = [r[0] or "" for r in db.execute("SELECT code FROM households WHERE _deleted = 0 LIMIT ?", [sample])]
    return sorted({ch for code in codes for ch in code.upper() if ch.isalpha() and ch.isascii()})[:most]


def with_records(db, row_id):
    """Return what one household's page shows: its members, plots with their plantings, livestock, requests."""
    plots = list(core.rows(db, "plots", "household_id = ?", [row_id], order="name"))
    plantings = {plot["id"]: [] for plot in plots}
    # One query for the plantings of every plot, not one per plot.
    of_plots = "plot_id IN (SELECT id FROM plots WHERE household_id = ? AND _deleted = 0)"
    for planting in core.rows(db, "plantings", of_plots, [row_id], order="planted_on"):
        plantings[planting["plot_id"]].append(planting)
    return {"plots": plots, "plantings": plantings,
            "persons": list(core.rows(db, "persons", "household_id = ?", [row_id], order="birth_date")),
            "livestock": list(core.rows(db, "livestock", "household_id = ?", [row_id], order="species")),
            "requests": list(core.rows(db, "service_requests", "household_id = ?", [row_id],
                                       order=stored_order(db, descending=True)))}


def household_of(db, table, row):
    """Return the id of the household a record belongs to (None when its plot is gone)."""
    if table == "households":
        return row["id"]
    if table == "plantings":
        plot = core.get(db, "plots", row["plot_id"])
        return plot["household_id"] if plot else None
    return row["household_id"]


def look_alikes(db, table, values):
    """Return [(table, record)] that look like this new household or person: same ID number, or name and birth date."""
    found = []
    id_number = (values.get("id_number") or "").strip().upper()
    if id_number:
        for other in ("households", "persons"):
            found += [(other, r) for r in core.rows(db, other, "id_number = ?", [id_number], limit=5)]
    if table == "persons" and values.get("name") and values.get("birth_date"):
        same = core.rows(db, "persons", "name = ? AND birth_date = ?",
                         [values["name"].strip(), values["birth_date"].strip()], limit=5)
        found += [("persons", r) for r in same if all(r["id"] != f["id"] for _t, f in found)]
    return found


def descendants(db, table, row_id):
    """Return [(table, id)] of the records deleted along with this one, parents before their children."""
    out = []
    for child, ref in CHILDREN.get(table, ()):
        for kid in core.rows(db, child, f"{ref} = ?", [row_id]):
            out += [(child, kid["id"]), *descendants(db, child, kid["id"])]
    return out


def delete_with_descendants(writer, node, table, row_id, actor):
    """Delete a record and every record under it, each audited under `actor`."""
    for child, child_id in reversed(descendants(writer.db, table, row_id)):
        core.delete(writer, node, child, child_id, actor=actor, note=f"with {table} {row_id}")
    core.delete(writer, node, table, row_id, actor=actor)
