"""The county's roll-ups: one small fact per record the overview counts, kept up to date as changes land.

The overview and health pages must not read every record per request. Each record that one of
their figures counts leaves one row in `county_facts` (its area, what it is, a day and up to two
keys), keyed by area first; the pages group those rows. They follow the change log: `catch_up`
brings the facts of the records changed after its watermark up to date, in the transaction that
wrote them (a push's `after_apply`, a write at the hub through `core.write`). A push's hook takes
the records the batch created from their changes' own data; the others are read. `rebuild`
(`village check --repair`) makes them again from the records; `recount` computes them without
writing, to compare.
"""
import collections
import datetime
import json
import operator

from sync.clock import utc_text
from sync.store import dicts
from sync.stores import as_tx
from sync.stores.pg_sql import json_elements
from village.records.care import due_date

# Where a request or grievance is still waiting for the village (the others are done).
OPEN_STATUSES = {"service_requests": ("submitted", "in_review", "approved"),
                 "grievances": ("open", "in_progress")}
# A case on its 15-day clock: identified up to the county decision, not yet decided.
UNDECIDED = ("lead", "home_check", "consent", "data_matching", "deliberation", "notice", "township_reviewed",
             "returned", "reopened")
# A monitored household: decided, and not (yet) eliminated.
MONITORED = ("monitored", "elimination_checked", "elimination_deliberated", "elimination_notice")
WATCHED = ("service_requests", "grievances", "monitor_cases", "elder_profiles", "visits")
KINDS = ("service_requests", "grievances", "case_open", "monitored", "elder")
WATERMARK, REFRESHED = "watermark", "refreshed_at"
# The columns `fact_of` and `_mark_months` read of each watched table: a push's catch-up reads no more.
READ = {"service_requests": ("id", "area", "_deleted", "status", "history"),
        "grievances": ("id", "area", "_deleted", "status", "responses"),
        "monitor_cases": ("id", "area", "_deleted", "status", "county_on", "lead_on", "category", "risks"),
        "elder_profiles": ("id", "area", "_deleted", "tier", "next_visit_due"),
        "visits": ("id", "area", "_deleted", "elder_id", "visited_on")}
# What a new record's change must carry to be taken as it is (with its id, area, and alive):
# READ's columns after those three (two or more in every table: the getter returns a tuple).
CARRIED = {table: operator.itemgetter(*columns[3:]) for table, columns in READ.items()}
CHUNK = 500
_DECODER = json.JSONDecoder()


def _state(db, key, default=None):
    row = db.execute("SELECT value FROM county_rollup_state WHERE key = ?", [key]).fetchone()
    return default if row is None else row[0]


def _set_state(db, watermark):
    """Keep the watermark and the time the facts were brought up to date, in one statement."""
    as_tx(db).execute("INSERT INTO county_rollup_state (key, value) VALUES (?, ?), (?, ?) "
                      "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                      [WATERMARK, str(watermark), REFRESHED, utc_text()])


def version(db):
    """Return what changes whenever the facts may have: (watermark, when last brought up to date or rebuilt)."""
    state = dict(db.execute("SELECT key, value FROM county_rollup_state WHERE key IN (?, ?)", [WATERMARK, REFRESHED]))
    return state.get(WATERMARK), state.get(REFRESHED)


def refreshed_at(db):
    """Return when the roll-ups were last brought up to date (UTC ISO text), or None."""
    return _state(db, REFRESHED)


def _rows(db, table, ids):
    """Yield the stored rows (tombstones included) of `table` with these ids: the columns a fact is made of."""
    ids, columns = sorted(ids), ", ".join(f"t.[{name}]" for name in READ[table])
    for i in range(0, len(ids), CHUNK):
        # A join on the ids, not `id IN (...)`: with statistics taken when the table was small,
        # SQLite would rather scan the whole table than look 500 ids up.
        yield from dicts(as_tx(db).execute(f"SELECT {columns} FROM {json_elements(db, '?', 'j', scalars=True)} "
                                           f"JOIN [{table}] t ON t.id = j.value", [json.dumps(ids[i:i + CHUNK])]))


def _first(value):
    """Return the first entry of a JSON list field, or None: its text as stored, or a change's list.

    Of the text, only the first entry is parsed (a request's history grows with every step).
    """
    if not isinstance(value, str):
        return value[0] if value else None
    if value[:1] != "[" or value[1:2].isspace():  # not the compact form the validators store: read it all
        entries = json.loads(value or "[]")
        return entries[0] if entries else None
    return None if value[1:2] in ("]", "") else _DECODER.raw_decode(value, 1)[0]


def _submitted_day(row, history):
    entry = _first(row.get(history))
    return entry["at"][:10] if isinstance(entry, dict) and entry.get("at") else None


def fact_of(db, table, row):
    """Return the fact (kind, k1, k2, day) a live record leaves, or None when no figure counts it."""
    if row["_deleted"]:
        return None
    status = row.get("status")
    if table in OPEN_STATUSES:
        history = "history" if table == "service_requests" else "responses"
        return (table, None, None, _submitted_day(row, history)) if status in OPEN_STATUSES[table] else None
    if table == "monitor_cases":
        if status in UNDECIDED and not row.get("county_on"):
            return ("case_open", None, None, row.get("lead_on"))
        if status in MONITORED:
            return ("monitored", row.get("category"), _first(row.get("risks")), row.get("county_on"))
        return None
    if table == "elder_profiles":
        return _elder_fact(db, row)
    return None


def _elder_fact(db, row):
    """Return an elder's fact: ("elder", tier, last care visit, day next due); emergencies are added when read."""
    # Read from the index alone (visits_elder_care holds every column named here, in the order asked).
    last = as_tx(db).execute("SELECT visited_on, next_due FROM visits WHERE elder_id = ? AND _deleted = 0 "
                             "AND kind = 'elderly_care' ORDER BY visited_on DESC, _version DESC LIMIT 1",
                             [row["id"]]).fetchone()
    last_day = datetime.date.fromisoformat(last[0]) if last else None
    first = row.get("next_visit_due")
    created = datetime.date.fromisoformat(first) if first else None
    if created is None and last_day is None:
        return ("elder", row["tier"], None, None)  # no first due day set: never counted overdue
    due = due_date(row["tier"], last_day, last[1] if last else None, created or last_day, [], row["area"])
    return ("elder", row["tier"], last[0] if last else None, due.isoformat())


def _touched(db, after):
    """Return ({table: {id: None}} of the watched records changed after seq `after`, each to be read,
    {(table, id): the areas it moved from})."""
    marks = ", ".join("?" * len(WATCHED))
    touched, moved = {}, {}
    for table, row_id, prev_area in as_tx(db).execute(
            f"SELECT tbl, row_id, prev_area FROM _changes WHERE seq > ? AND tbl IN ({marks})", [after, *WATCHED]):
        touched.setdefault(table, {})[row_id] = None
        if prev_area:
            moved.setdefault((table, row_id), set()).add(prev_area)
    return touched, moved


def _from_changes(changes, created):
    """Return ({table: {id: record or None}} of the watched records `changes` touched, as `_touched`).

    A record one of them inserted (in `created`), touched by no other, carrying every column a
    fact reads, is as its change's data says: no read. The others (None) are read.
    """
    keys = [(c["tbl"], c["row_id"]) for c in changes]
    times, touched, moved = collections.Counter(keys), {}, {}
    for change, key in zip(changes, keys):
        carried, data, row = CARRIED.get(key[0]), change["data"], None
        if carried is None:
            continue
        if times[key] == 1 and key in created and change["op"] == "put" and data.get("area") is not None:
            try:
                row = dict(zip(READ[key[0]], (key[1], data["area"], 0, *carried(data))))
            except KeyError:  # a field it does not carry is at its default: read
                pass
        touched.setdefault(key[0], {})[key[1]] = row
        if change.get("prev_area"):
            moved.setdefault(key, set()).add(change["prev_area"])
    return touched, moved


def _gather(db, table, known):
    """Return the records of `table` in `known` ({id: record or None}), reading those not known yet."""
    return [row for row in known.values() if row is not None] + \
        list(_rows(db, table, [row_id for row_id, row in known.items() if row is None]))


def catch_up(db, changes=None, created=()):
    """Bring the facts of every record changed since the watermark up to date (inside the caller's transaction).

    `changes` and `created` are what a push applied (`after_apply`): when the change log holds
    exactly these after the watermark, the records are found from them (see `_from_changes`),
    otherwise from the log. Return how many records were looked at.
    """
    # On PostgreSQL a transaction's changes are numbered as it commits: numbered now, they are in
    # the log read below, and the counter row stays locked until commit, so the roll-ups of writes
    # at once are caught up one after the other, in commit order (the watermark never passes one).
    as_tx(db).flush()
    after = int(_state(db, WATERMARK, "0"))
    newest = as_tx(db).execute("SELECT COALESCE(MAX(seq), 0) FROM _changes").fetchone()[0]
    if newest == after:
        return 0
    exact = changes is not None and newest - after == len({c["version"] for c in changes})
    touched, moved = _from_changes(changes, created) if exact else _touched(db, after)
    visits = _gather(db, "visits", touched.pop("visits", {}))
    elders = touched.setdefault("elder_profiles", {})
    for row in visits:  # a care visit moves its elder's due day
        if row["elder_id"]:
            elders.setdefault(row["elder_id"], None)
    found = {table: _gather(db, table, known) for table, known in touched.items()}
    _mark_months(db, visits + found.get("monitor_cases", []) + found["elder_profiles"])
    looked = _keep(db, found, moved)
    _set_state(db, newest)
    return looked


def _keep(db, found, moved):
    """Write the facts of the records `found` ({table: [record]}), and remove those they leave; return how many.

    A record that moved (`moved`: {(table, id): areas}) leaves its fact in its old area's.
    """
    puts, gone = [], []
    for table, rows in found.items():
        for row in rows:
            fact = fact_of(db, table, row)
            key = (row["area"], table, row["id"])
            (puts.append((*key, *fact)) if fact else gone.append(key))
            gone += [(area, table, row["id"]) for area in moved.get((table, row["id"]), ()) if area != row["area"]]
    _write(db, puts, gone)
    return sum(len(rows) for rows in found.values())


def _write(db, puts, gone):
    """Upsert facts (area, table, id, kind, k1, k2, day) and delete those keyed (area, table, id)."""
    # The dialect both engines speak (see sync.stores.pg_sql): a hub's roll-ups may live on PostgreSQL.
    # In key order: the part of the key's index a push writes (one village's) is walked once.
    if gone:
        as_tx(db).executemany("DELETE FROM county_facts WHERE area = ? AND tbl = ? AND row_id = ?", sorted(gone))
    as_tx(db).executemany("INSERT INTO county_facts (area, tbl, row_id, kind, k1, k2, day) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?) "
                          "ON CONFLICT (area, tbl, row_id) DO UPDATE SET kind = excluded.kind, "
                          "k1 = excluded.k1, k2 = excluded.k2, day = excluded.day", sorted(puts))


def _mark_months(db, rows):
    """Mark the completeness months these records count in (their village's this month, a visit's own) as stale."""
    this_month = datetime.date.today().isoformat()[:7]
    marks = set()
    for row in rows:
        marks.add((row["area"], this_month))
        if row.get("visited_on"):
            marks.add((row["area"], row["visited_on"][:7]))
    if marks:
        as_tx(db).executemany("INSERT INTO county_months_stale (area, month) VALUES (?, ?) ON CONFLICT DO NOTHING",
                              sorted(marks))


def after_apply(db, changes, created=()):
    """The hub's hook into a push (`sync.server.receive_push`): catch the roll-ups up in its transaction."""
    catch_up(db, changes, created)


def recount(db):
    """Return every fact as computed from the records now: {(table, id): (area, kind, k1, k2, day)}."""
    facts = {}
    for table in ("service_requests", "grievances", "monitor_cases", "elder_profiles"):
        for row in dicts(db.execute(f"SELECT * FROM [{table}] WHERE _deleted = 0")):
            fact = fact_of(db, table, row)
            if fact:
                facts[(table, row["id"])] = (row["area"], *fact)
    return facts


def stored(db):
    """Return the facts held in the roll-up table, shaped as `recount` returns them."""
    facts = {}
    for t, i, a, k, k1, k2, d in db.execute("SELECT tbl, row_id, area, kind, k1, k2, day FROM county_facts"):
        # One fact a record: one held in two areas is a fault no recount matches.
        facts[t, i] = (a, k, k1, k2, d) if (t, i) not in facts else "in two areas"
    return facts


def rebuild(db):
    """Make the facts again from the records and mark every completeness month stale (`village check --repair`).

    Return how many facts there are now.
    """
    facts = recount(db)
    db.execute("DELETE FROM county_facts")
    _write(db, [(fact[0], t, i, *fact[1:]) for (t, i), fact in facts.items()], [])
    db.execute("DELETE FROM county_months")
    _set_state(db, db.execute("SELECT COALESCE(MAX(seq), 0) FROM _changes").fetchone()[0])
    return len(facts)
