"""The county overview's figures and the lists behind them, read from the roll-ups (`records.rollups`).

Every list is one function returning (columns, rows): columns are [(key, label)], rows dicts
holding at least those keys, so a page and an export show the same thing.
"""
import datetime
import heapq

from sync.scope import ancestors, inside
from sync.store import dicts
from village.i18n_markers import N_
from village.records.care import emergencies
from village.records.monitoring import DECISION_DAYS
from village.records.receipt_rules import STAGES
from village.records.rollups import refreshed_at

AGES = (("0-3", 0, 3), ("4-7", 4, 7), ("8-15", 8, 15), ("16+", 16, None))  # days open
SYNCED_HOURS = 24
LIST_LIMIT = 100  # rows a list shows: the first ones, the most pressing (each row costs a page its rendering)


def within(column, area):
    """Return (SQL, params) for `column` holding `area` or an area below it (an index range, not LIKE)."""
    return f"({column} = ? OR ({column} > ? AND {column} < ?))", [area, area + "/", area + "0"]


ENROLLED = "revoked_at IS NULL AND enrolled_at IS NOT NULL"  # a node that is a village of the hub today


def villages(db, area):
    """Return the enrolled (not revoked) nodes inside `area` as dicts, by area."""
    where, params = within("area", area)
    return list(dicts(db.execute(f"SELECT node_id, name, area, last_seen, clock_skew_ms, status, status_at "
                                 f"FROM nodes WHERE {ENROLLED} AND {where} ORDER BY area, name", params)))


def village_names(db, paths):
    """Return {area path: the name its enrolled village enrolled under} for the `paths` that are villages' areas."""
    marks = ", ".join("?" * len(paths)) or "NULL"
    return dict(db.execute(f"SELECT area, name FROM nodes WHERE {ENROLLED} AND area IN ({marks}) ORDER BY area, name",
                           list(paths)))


def _day(today, days):
    return (today - datetime.timedelta(days=days)).isoformat()


def _since(now, hours):
    return (now - datetime.timedelta(hours=hours)).isoformat(timespec="seconds")


def counted(db, area, today):
    """Return the overview's figures read from the roll-ups alone: the same until they change or the day does.

    Each is one pass over an index (`county_facts_kind`); the pages may keep them per
    (area, day, `rollups.version`).
    """
    where, params = within("area", area)
    return {
        "open": {table: _open_by_age(db, table, where, params, today) for table in ("service_requests", "grievances")},
        "monitored": list(db.execute(f"SELECT k1, k2, COUNT(*) FROM county_facts WHERE kind = 'monitored' AND {where} "
                                     "GROUP BY k1, k2 ORDER BY COUNT(*) DESC, k1, k2", params)),
        "late_cases": db.execute(f"SELECT COUNT(*) FROM county_facts WHERE kind = 'case_open' AND {where} AND day < ?",
                                 [*params, _day(today, DECISION_DAYS)]).fetchone()[0],
        "elders_due": db.execute(f"SELECT COUNT(*) FROM county_facts WHERE kind = 'elder' AND {where} AND day < ?",
                                 [*params, today.isoformat()]).fetchone()[0],
    }


def overview(db, area, today, now, counts=None):
    """Return the overview's figures for `area` (see docs/county.md): each a number or a mapping of numbers.

    `counts` are those of `counted` for (area, today) when the caller kept them.
    """
    enrolled, synced = _contact(db, area, _since(now, SYNCED_HOURS))
    counts = counts or counted(db, area, today)
    reach = alert_reach(db, area, now)  # read from the receipts at each request: they change without a push
    return {
        "synced": synced, "villages": enrolled,
        "open": counts["open"], "monitored": counts["monitored"], "late_cases": counts["late_cases"],
        "overdue_elders": counts["elders_due"] + len(_emergency_due(db, area, today, now)),
        "alerts": len(active_alerts(db, area, now)),
        "alert_reach": reach,
        "alerts_acknowledged": _share(reach),
        "prices_age": prices_age(db, today),
        "as_of": refreshed_at(db),
    }


def _contact(db, area, since):
    """Return (enrolled villages inside `area`, those of them in contact `since`), counted by SQL."""
    where, params = within("area", area)
    enrolled, synced = db.execute(f"SELECT COUNT(*), COUNT(CASE WHEN last_seen >= ? THEN 1 END) FROM nodes "
                                  f"WHERE {ENROLLED} AND {where}", [since, *params]).fetchone()
    return enrolled, synced


def _open_by_age(db, table, where, params, today):
    """Return {age bucket: open records of `table`} (days since submitted), from one pass over its facts."""
    counts = dict.fromkeys((name for name, _low, _high in AGES), 0)
    for day, n in db.execute(f"SELECT day, COUNT(*) FROM county_facts WHERE kind = ? AND {where} AND day <= ? "
                             "GROUP BY day", [table, *params, today.isoformat()]):
        age = (today - datetime.date.fromisoformat(day)).days
        bucket = next((name for name, low, high in AGES if low <= age and (high is None or age <= high)), None)
        if bucket:
            counts[bucket] += n
    return counts


def _emergency_due(db, area, today, now):
    """Return {row_id: fact row} of the elders due because of an emergency and not already overdue by their own day.

    A high-tier elder not visited since an emergency in force over their area began is due 24 hours
    after its start (`records.care`): that is not kept in the roll-up, it is added when read.
    """
    where, params = within("area", area)
    rows = {}
    for event_area, start in emergencies(db, now):
        due = (start + datetime.timedelta(hours=24)).date()
        if due >= today:
            continue
        inner, inner_params = within("area", event_area)
        for row in db.execute(f"SELECT row_id, area, k1, k2, ? FROM county_facts WHERE kind = 'elder' AND k1 = 'high' "
                              f"AND {where} AND {inner} AND (k2 IS NULL OR k2 < ?) AND (day IS NULL OR day >= ?)",
                              [due.isoformat(), *params, *inner_params, start.date().isoformat(), today.isoformat()]):
            rows.setdefault(row[0], row)
    return rows


def overdue_elders(db, area, today, now, limit=None, offset=0):
    """Return (fact rows (row_id, area, tier, last visit, due) of elders overdue today, the longest overdue first,
    how many there are): `limit` rows from `offset` (all when None), emergencies included."""
    where, params = within("area", area)
    cond, args = f"kind = 'elder' AND {where} AND day < ?", [*params, today.isoformat()]
    extra = sorted(_emergency_due(db, area, today, now).values(), key=lambda r: (r[4], r[1], r[0]))
    total = db.execute(f"SELECT COUNT(*) FROM county_facts WHERE {cond}", args).fetchone()[0] + len(extra)
    end = total if limit is None else min(offset + limit, total)
    # Only the first `end` of the facts' own order can be on the page: the emergency ones merge in.
    own = db.execute(f"SELECT row_id, area, k1, k2, day FROM county_facts WHERE {cond} ORDER BY day, area, row_id "
                     "LIMIT ?", [*args, end]).fetchall() if end > offset else []
    merged = list(heapq.merge(own, extra, key=lambda r: (r[4], r[1], r[0])))
    return merged[offset:end], total


def active_alerts(db, area, now):
    """Return the emergency announcements in force over `area` or inside it, newest first."""
    where, params = within("area", area)
    parents = ancestors(area)
    marks = ", ".join("?" * len(parents)) or "NULL"
    moment = now.isoformat(timespec="seconds")
    return list(dicts(db.execute(
        f"SELECT id, area, title, publish_at, expires_at FROM announcements WHERE _deleted = 0 "
        f"AND priority = 'emergency' AND (publish_at IS NULL OR publish_at <= ?) AND (expires_at IS NULL OR expires_at > ?) "
        f"AND ({where} OR area IN ({marks})) ORDER BY publish_at DESC", [moment, moment, *params, *parents])))


def alert_reach(db, area, now):
    """Return how many villages inside `area` the active CAP alerts reach, and how many reported each stage.

    {"villages": n, "delivered_at": n, "displayed_at": n, "acknowledged_at": n}: a village counts
    at a stage when its receipt of every active alert sent to it has that stage (receipts.STAGES).
    """
    reach = {"villages": 0, **dict.fromkeys(STAGES, 0)}
    moment = now.isoformat(timespec="seconds")
    alerts = db.execute("SELECT area, cap_id FROM announcements WHERE _deleted = 0 AND priority = 'emergency' "
                        "AND cap_id IS NOT NULL AND msg_type != 'Cancel' AND (publish_at IS NULL OR publish_at <= ?) "
                        "AND (expires_at IS NULL OR expires_at > ?)", [moment, moment]).fetchall()
    if not alerts:
        return reach
    caps = sorted({cap_id for _area, cap_id in alerts})
    held = {(row[0], row[1]): row[2:] for row in db.execute(
        f"SELECT area, cap_id, {', '.join(STAGES)} FROM alert_receipts WHERE _deleted = 0 "
        f"AND cap_id IN ({', '.join('?' * len(caps))})", caps)}
    where, params = within("area", area)
    missing, marks = (None,) * len(STAGES), []
    for (village,) in db.execute(f"SELECT area FROM nodes WHERE {ENROLLED} AND {where}", params):
        receipts = [held.get((village, cap_id), missing) for alert_area, cap_id in alerts
                    if inside(village, alert_area)]
        if receipts:  # the village's stages: each one reached when every alert sent to it reached it
            marks.append(receipts[0] if len(receipts) == 1 else tuple(map(all, zip(*receipts))))
    reach["villages"] = len(marks)
    for stage, values in zip(STAGES, zip(*marks)):
        reach[stage] = sum(map(bool, values))
    return reach


def _share(reach):
    """Return the percentage of the reached villages that acknowledged (None when no alert reaches any)."""
    return round(100 * reach["acknowledged_at"] / reach["villages"]) if reach["villages"] else None


def acknowledged_share(db, area, now):
    """Return the share (percent) of the villages inside `area` that acknowledged every active alert sent to them.

    None when no active alert reaches a village there: the overview says so rather than a made-up 0 %.
    """
    return _share(alert_reach(db, area, now))


def prices_age(db, today):
    """Return the age in days of the newest market price (None when there is none)."""
    newest = db.execute("SELECT MAX(observed_on) FROM market_prices WHERE _deleted = 0").fetchone()[0]
    return (today - datetime.date.fromisoformat(newest)).days if newest else None


# --- the lists behind the figures ---------------------------------------------------------------
# Each takes the page asked for (`limit` rows after `offset`) and returns (columns, rows, total).

NAME, AREA = ("name", N_("Village")), ("area", N_("Area code"))
CASE_JOINS = "JOIN monitor_cases c ON c.id = f.row_id JOIN households h ON h.id = c.household_id"


def _page(db, facts, params, select, joins, order, limit, offset):
    """Return (the page's rows as dicts, how many facts match): `limit` facts from `offset` of those matching
    `facts` (a condition on county_facts f), in `order`, joined to their records only once on the page."""
    total = db.execute(f"SELECT COUNT(*) FROM county_facts f WHERE {facts}", params).fetchone()[0]
    if total <= offset or not limit:
        return [], total
    return list(dicts(db.execute(f"SELECT {select} FROM (SELECT * FROM county_facts f WHERE {facts} ORDER BY {order} "
                                 f"LIMIT ? OFFSET ?) f {joins} ORDER BY {order}", [*params, limit, offset]))), total


def stale_villages(db, area, today, now, bucket=None, limit=LIST_LIMIT, offset=0):
    """List the villages not synced in the last 24 hours, the longest silent first."""
    recent = _since(now, SYNCED_HOURS)
    rows = [n for n in villages(db, area) if not n["last_seen"] or n["last_seen"] < recent]
    rows.sort(key=lambda n: n["last_seen"] or "")
    return [NAME, AREA, ("last_seen", N_("Last contact"))], rows[offset:offset + limit], len(rows)


def open_work(table):
    """Return the list of open records of `table` (service requests or grievances), by age bucket."""
    def listing(db, area, today, now, bucket=None, limit=LIST_LIMIT, offset=0):
        where, params = within("f.area", area)
        span = next(((low, high) for name, low, high in AGES if name == bucket), (0, None))
        cond = "f.day <= ?" + (" AND f.day >= ?" if span[1] is not None else "")
        args = [_day(today, span[0])] + ([_day(today, span[1])] if span[1] is not None else [])
        rows, total = _page(db, f"f.kind = ? AND {where} AND {cond}", [table, *params, *args],
                            "r.ticket, r.status, f.area, f.day", f"JOIN [{table}] r ON r.id = f.row_id",
                            "f.day, f.row_id", limit, offset)
        for row in rows:
            row["days"] = (today - datetime.date.fromisoformat(row["day"])).days if row["day"] else None
        return [("ticket", N_("Ticket")), ("status", N_("Status")), AREA, ("day", N_("Submitted")),
                ("days", N_("Days open"))], rows, total
    return listing


def late_cases(db, area, today, now, bucket=None, limit=LIST_LIMIT, offset=0):
    """List the cases past their 15-day clock, the oldest lead first."""
    where, params = within("f.area", area)
    rows, total = _page(db, f"f.kind = 'case_open' AND {where} AND f.day < ?", [*params, _day(today, DECISION_DAYS)],
                        "c.id, h.code, h.head_name, c.status, f.area, c.lead_on", CASE_JOINS, "f.day, f.row_id",
                        limit, offset)
    for row in rows:
        row["days_past"] = (today - datetime.date.fromisoformat(row["lead_on"])).days - DECISION_DAYS
    return [("code", N_("Household code")), ("head_name", N_("Head of household")), ("status", N_("Step")), AREA,
            ("lead_on", N_("Lead recorded")), ("days_past", N_("Days past the clock"))], rows, total


def monitored(db, area, today, now, bucket=None, limit=LIST_LIMIT, offset=0):
    """List the monitored households, by category and main risk."""
    where, params = within("f.area", area)
    rows, total = _page(db, f"f.kind = 'monitored' AND {where}", params,
                        "c.id, h.code, h.head_name, f.k1 AS category, f.k2 AS risk, f.area, c.county_on", CASE_JOINS,
                        "f.k1, f.k2, f.area, f.row_id", limit, offset)
    return [("code", N_("Household code")), ("head_name", N_("Head of household")), ("category", N_("Category")),
            ("risk", N_("Main risk")), AREA, ("county_on", N_("County decision"))], rows, total


def elders(db, area, today, now, bucket=None, limit=LIST_LIMIT, offset=0):
    """List the elders overdue a care visit, the longest overdue first."""
    facts, total = overdue_elders(db, area, today, now, limit, offset)
    names = {}
    ids = [f[0] for f in facts]
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        names.update(db.execute(f"SELECT e.id, p.name FROM elder_profiles e JOIN persons p ON p.id = e.person_id "
                                f"WHERE e.id IN ({', '.join('?' * len(part))})", part))
    rows = [{"name": names.get(f[0], ""), "tier": f[2], "area": f[1], "last_visit": f[3], "due": f[4],
             "days": (today - datetime.date.fromisoformat(f[4])).days} for f in facts]
    return [("name", N_("Elder")), ("tier", N_("Care tier")), AREA, ("last_visit", N_("Last visit")),
            ("due", N_("Due")), ("days", N_("Days overdue"))], rows, total


def alerts(db, area, today, now, bucket=None, limit=LIST_LIMIT, offset=0):
    """List the emergency announcements in force over the area."""
    rows = active_alerts(db, area, now)
    return [("title", N_("Title")), AREA, ("publish_at", N_("Since")), ("expires_at", N_("Until"))], \
        rows[offset:offset + limit], len(rows)


def prices(db, area, today, now, bucket=None, limit=LIST_LIMIT, offset=0):
    """List the market prices, the newest first."""
    total = db.execute("SELECT COUNT(*) FROM market_prices WHERE _deleted = 0").fetchone()[0]
    rows = list(dicts(db.execute("SELECT commodity, unit, price, market, observed_on FROM market_prices "
                                 "WHERE _deleted = 0 ORDER BY observed_on DESC, commodity, market, id LIMIT ? OFFSET ?",
                                 [limit, offset]))) if total > offset and limit else []
    return [("commodity", N_("Commodity")), ("unit", N_("Unit")), ("price", N_("Price")), ("market", N_("Market")),
            ("observed_on", N_("Observed on"))], rows, total


# The lists that change only with the records, the day and the emergencies in force (`in_force`): a page
# may keep them.
DATED = ("requests", "grievances", "late-cases", "monitored", "overdue-elders", "prices")


def in_force(db, now):
    """Return the emergencies in force at `now` as a tuple (what, besides the records and the day, moves a list)."""
    return tuple(emergencies(db, now))
LISTS = {
    "stale-villages": (N_("Villages not synced in the last 24 hours"), stale_villages),
    "requests": (N_("Open service requests"), open_work("service_requests")),
    "grievances": (N_("Open grievances"), open_work("grievances")),
    "late-cases": (N_("Cases past their 15-day clock"), late_cases),
    "monitored": (N_("Monitored households"), monitored),
    "overdue-elders": (N_("Overdue elderly visits"), elders),
    "alerts": (N_("Active emergency alerts"), alerts),
    "prices": (N_("Newest market prices"), prices),
}
