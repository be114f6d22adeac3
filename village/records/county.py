"""The county overview's figures and the lists behind them, read from the roll-ups (`records.rollups`).

Every list is one function returning (columns, rows): columns are [(key, label)], rows dicts
holding at least those keys, so a page and an export show the same thing.
"""
import datetime

from sync.store import dicts
from village.i18n_markers import N_
from village.records.care import emergencies
from village.records.monitoring import DECISION_DAYS
from village.records.rollups import refreshed_at

AGES = (("0-3", 0, 3), ("4-7", 4, 7), ("8-15", 8, 15), ("16+", 16, None))  # days open
SYNCED_HOURS = 24
LIST_LIMIT = 100  # rows a list shows: the first ones, the most pressing (each row costs a page its rendering)


def within(column, area):
    """Return (SQL, params) for `column` holding `area` or an area below it (an index range, not LIKE)."""
    return f"({column} = ? OR ({column} > ? AND {column} < ?))", [area, area + "/", area + "0"]


def villages(db, area):
    """Return the enrolled (not revoked) nodes inside `area` as dicts, by area."""
    where, params = within("area", area)
    return list(dicts(db.execute(f"SELECT node_id, name, area, last_seen, clock_skew_ms, status, status_at "
                                 f"FROM nodes WHERE revoked_at IS NULL AND enrolled_at IS NOT NULL AND {where} "
                                 "ORDER BY area, name", params)))


def _day(today, days):
    return (today - datetime.timedelta(days=days)).isoformat()


def _since(now, hours):
    return (now - datetime.timedelta(hours=hours)).isoformat(timespec="seconds")


def overview(db, area, today, now):
    """Return the overview's figures for `area` (see docs/county.md): each a number or a mapping of numbers."""
    nodes = villages(db, area)
    recent = _since(now, SYNCED_HOURS)
    where, params = within("area", area)
    return {
        "synced": sum(1 for n in nodes if n["last_seen"] and n["last_seen"] >= recent), "villages": len(nodes),
        "open": {table: _open_by_age(db, table, where, params, today) for table in ("service_requests", "grievances")},
        "monitored": list(db.execute(f"SELECT k1, k2, COUNT(*) FROM county_facts WHERE kind = 'monitored' AND {where} "
                                     "GROUP BY k1, k2 ORDER BY COUNT(*) DESC, k1, k2", params)),
        "late_cases": db.execute(f"SELECT COUNT(*) FROM county_facts WHERE kind = 'case_open' AND {where} AND day < ?",
                                 [*params, _day(today, DECISION_DAYS)]).fetchone()[0],
        "overdue_elders": len(overdue_elders(db, area, today, now)),
        "alerts": len(active_alerts(db, area, now)),
        "alerts_acknowledged": acknowledged_share(db, area),
        "prices_age": prices_age(db, today),
        "as_of": refreshed_at(db),
    }


def _open_by_age(db, table, where, params, today):
    """Return {age bucket: open records of `table`} (days since submitted)."""
    counts = {}
    for name, low, high in AGES:
        span = "day <= ?" + (" AND day >= ?" if high is not None else "")
        args = [_day(today, low)] + ([_day(today, high)] if high is not None else [])
        counts[name] = db.execute(f"SELECT COUNT(*) FROM county_facts WHERE kind = ? AND {where} AND {span}",
                                  [table, *params, *args]).fetchone()[0]
    return counts


def overdue_elders(db, area, today, now):
    """Return the fact rows (row_id, area, tier, last visit, due) of elders overdue today, emergencies included.

    A high-tier elder not visited since an emergency in force over their area began is due 24 hours
    after its start (`records.care`): that is not kept in the roll-up, it is added here.
    """
    where, params = within("area", area)
    rows = {r[0]: r for r in db.execute(f"SELECT row_id, area, k1, k2, day FROM county_facts WHERE kind = 'elder' "
                                        f"AND {where} AND day < ?", [*params, today.isoformat()])}
    for event_area, start in emergencies(db, now):
        due = (start + datetime.timedelta(hours=24)).date()
        if due >= today:
            continue
        inner, inner_params = within("area", event_area)
        for row in db.execute(f"SELECT row_id, area, k1, k2, ? FROM county_facts WHERE kind = 'elder' AND k1 = 'high' "
                              f"AND {where} AND {inner} AND (k2 IS NULL OR k2 < ?)",
                              [due.isoformat(), *params, *inner_params, start.date().isoformat()]):
            rows.setdefault(row[0], row)
    return sorted(rows.values(), key=lambda r: (r[4] or "", r[1]))


def active_alerts(db, area, now):
    """Return the emergency announcements in force over `area` or inside it, newest first."""
    where, params = within("area", area)
    parents = [p for p in _ancestors(area)]
    marks = ", ".join("?" * len(parents)) or "NULL"
    moment = now.isoformat(timespec="seconds")
    return list(dicts(db.execute(
        f"SELECT id, area, title, publish_at, expires_at FROM announcements WHERE _deleted = 0 "
        f"AND priority = 'emergency' AND (publish_at IS NULL OR publish_at <= ?) AND (expires_at IS NULL OR expires_at > ?) "
        f"AND ({where} OR area IN ({marks})) ORDER BY publish_at DESC", [moment, moment, *params, *parents])))


def _ancestors(area):
    parts = area.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def acknowledged_share(db, area):
    """Return the share of villages that acknowledged the active alerts, or None while villages send no receipts.

    Receipts (delivered, displayed, acknowledged) come with the county's alert pages; until then
    there is nothing to count, and the overview says so rather than showing a made-up 0 %.
    """
    return None


def prices_age(db, today):
    """Return the age in days of the newest market price (None when there is none)."""
    newest = db.execute("SELECT MAX(observed_on) FROM market_prices WHERE _deleted = 0").fetchone()[0]
    return (today - datetime.date.fromisoformat(newest)).days if newest else None


# --- the lists behind the figures ---------------------------------------------------------------
# Each takes the page asked for (`limit` rows after `offset`) and returns (columns, rows, total).

NAME, AREA = ("name", N_("Village")), ("area", N_("Area code"))


def _page(db, sql, params, limit, offset):
    """Return (rows of `sql` from `offset`, at most `limit`, the count of all its rows) as dicts."""
    total = db.execute(f"SELECT COUNT(*) FROM ({sql})", params).fetchone()[0]
    rows = list(dicts(db.execute(f"{sql} LIMIT ? OFFSET ?", [*params, limit, offset]))) if total > offset else []
    return rows, total


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
        rows, total = _page(db, f"SELECT r.ticket, r.status, f.area, f.day FROM county_facts f "
                                f"JOIN [{table}] r ON r.id = f.row_id WHERE f.kind = ? AND {where} AND {cond} "
                                "ORDER BY f.day, f.row_id", [table, *params, *args], limit, offset)
        for row in rows:
            row["days"] = (today - datetime.date.fromisoformat(row["day"])).days if row["day"] else None
        return [("ticket", N_("Ticket")), ("status", N_("Status")), AREA, ("day", N_("Submitted")),
                ("days", N_("Days open"))], rows, total
    return listing


def late_cases(db, area, today, now, bucket=None, limit=LIST_LIMIT, offset=0):
    """List the cases past their 15-day clock, the oldest lead first."""
    where, params = within("f.area", area)
    rows, total = _page(db, f"SELECT c.id, h.code, h.head_name, c.status, f.area, c.lead_on FROM county_facts f "
                            f"JOIN monitor_cases c ON c.id = f.row_id JOIN households h ON h.id = c.household_id "
                            f"WHERE f.kind = 'case_open' AND {where} AND f.day < ? ORDER BY f.day, f.row_id",
                        [*params, _day(today, DECISION_DAYS)], limit, offset)
    for row in rows:
        row["days_past"] = (today - datetime.date.fromisoformat(row["lead_on"])).days - DECISION_DAYS
    return [("code", N_("Household code")), ("head_name", N_("Head of household")), ("status", N_("Step")), AREA,
            ("lead_on", N_("Lead recorded")), ("days_past", N_("Days past the clock"))], rows, total


def monitored(db, area, today, now, bucket=None, limit=LIST_LIMIT, offset=0):
    """List the monitored households, by category and main risk."""
    where, params = within("f.area", area)
    rows, total = _page(db, f"SELECT c.id, h.code, h.head_name, f.k1 AS category, f.k2 AS risk, f.area, c.county_on "
                            f"FROM county_facts f JOIN monitor_cases c ON c.id = f.row_id "
                            f"JOIN households h ON h.id = c.household_id WHERE f.kind = 'monitored' AND {where} "
                            "ORDER BY f.k1, f.k2, f.area, f.row_id", params, limit, offset)
    return [("code", N_("Household code")), ("head_name", N_("Head of household")), ("category", N_("Category")),
            ("risk", N_("Main risk")), AREA, ("county_on", N_("County decision"))], rows, total


def elders(db, area, today, now, bucket=None, limit=LIST_LIMIT, offset=0):
    """List the elders overdue a care visit, the longest overdue first."""
    facts = overdue_elders(db, area, today, now)
    shown = facts[offset:offset + limit]
    names = {}
    ids = [f[0] for f in shown]
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        names.update(db.execute(f"SELECT e.id, p.name FROM elder_profiles e JOIN persons p ON p.id = e.person_id "
                                f"WHERE e.id IN ({', '.join('?' * len(part))})", part))
    rows = [{"name": names.get(f[0], ""), "tier": f[2], "area": f[1], "last_visit": f[3], "due": f[4],
             "days": (today - datetime.date.fromisoformat(f[4])).days} for f in shown]
    return [("name", N_("Elder")), ("tier", N_("Care tier")), AREA, ("last_visit", N_("Last visit")),
            ("due", N_("Due")), ("days", N_("Days overdue"))], rows, len(facts)


def alerts(db, area, today, now, bucket=None, limit=LIST_LIMIT, offset=0):
    """List the emergency announcements in force over the area."""
    rows = active_alerts(db, area, now)
    return [("title", N_("Title")), AREA, ("publish_at", N_("Since")), ("expires_at", N_("Until"))], \
        rows[offset:offset + limit], len(rows)


def prices(db, area, today, now, bucket=None, limit=LIST_LIMIT, offset=0):
    """List the market prices, the newest first."""
    rows, total = _page(db, "SELECT commodity, unit, price, market, observed_on FROM market_prices "
                            "WHERE _deleted = 0 ORDER BY observed_on DESC, commodity, market, id", [], limit, offset)
    return [("commodity", N_("Commodity")), ("unit", N_("Unit")), ("price", N_("Price")), ("market", N_("Market")),
            ("observed_on", N_("Observed on"))], rows, total


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
