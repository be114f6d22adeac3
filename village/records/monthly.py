"""The month's figures for a township or the county: simple counts from the records, per area one level down.

Counted from the records a hub holds (no roll-up needed: a month's rows, read once per
report). A request or grievance is *received* in the month its history's first entry was
written, and *closed* in the month it entered a final status; days are UTC.
"""
import datetime
import re

from sync.stores.pg_sql import json_elements, json_field
from village.records.workflows import CASES, GRIEVANCES, REQUESTS

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# What each column counts: key -> (SQL of a database's engine giving (area, count) for area `?`, `?` LIKE, the
# statuses and a month `?`; those statuses).
_INSIDE = "(area = ? OR area LIKE ?)"


def _closed_statuses(flow):
    return tuple(step.name for step in flow.steps if not step.next)


def _history_count(table, flow, statuses):
    """Return a column counting the records of `table` whose history entered one of `statuses` in the month."""
    def sql(db):
        marks, entry = ", ".join("?" * len(statuses)), json_elements(db, f"t.[{flow.history}]", "h")
        return (f"SELECT area, COUNT(DISTINCT t.id) FROM [{table}] t, {entry} "
                f"WHERE t._deleted = 0 AND {_INSIDE} AND {json_field(db, 'h.value', 'status')} IN ({marks}) "
                f"AND substr({json_field(db, 'h.value', 'at')}, 1, 7) = ? GROUP BY area")
    return sql, statuses


def _plain(sql):
    return (lambda db: sql), ()


COLUMNS = {
    "visits_follow_up": _plain("SELECT area, COUNT(*) FROM visits WHERE _deleted = 0 AND " + _INSIDE +
                               " AND kind = 'poverty_monitoring' AND substr(visited_on, 1, 7) = ? GROUP BY area"),
    "visits_elderly": _plain("SELECT area, COUNT(*) FROM visits WHERE _deleted = 0 AND " + _INSIDE +
                             " AND kind = 'elderly_care' AND substr(visited_on, 1, 7) = ? GROUP BY area"),
    "new_leads": _plain("SELECT area, COUNT(*) FROM monitor_cases WHERE _deleted = 0 AND " + _INSIDE +
                        " AND substr(lead_on, 1, 7) = ? GROUP BY area"),
    "requests_received": _history_count("service_requests", REQUESTS, (REQUESTS.first,)),
    "requests_closed": _history_count("service_requests", REQUESTS, _closed_statuses(REQUESTS)),
    "grievances_received": _history_count("grievances", GRIEVANCES, (GRIEVANCES.first,)),
    "grievances_closed": _history_count("grievances", GRIEVANCES, _closed_statuses(GRIEVANCES)),
}


def parse_month(text, today=None):
    """Return (year, month) of "YYYY-MM", or of the month before `today` when `text` is empty; None if bad."""
    if not text:
        first = (today or datetime.date.today()).replace(day=1) - datetime.timedelta(days=1)
        return first.year, first.month
    found = MONTH_RE.match(text.strip())
    return (int(found.group(1)), int(found.group(2))) if found else None


def _below(area, path):
    """Return the path one level below `area` that `path` lies in (`area` itself for its own records)."""
    depth = len(area.split("/")) + 1
    return "/".join(path.split("/")[:depth])


def monthly_figures(db, area, year, month):
    """Return {"rows": [{area, column: count}] one level below `area`, "total": {...}, "cases": {status: n}}."""
    stamp, like = f"{year:04d}-{month:02d}", area.rstrip("/") + "/%"
    rows = {}
    for key, (sql, statuses) in COLUMNS.items():
        for path, count in db.execute(sql(db), [area, like, *statuses, stamp]):
            row = rows.setdefault(_below(area, path), dict.fromkeys(COLUMNS, 0))
            row[key] += count
    total = {key: sum(row[key] for row in rows.values()) for key in COLUMNS}
    cases = dict(db.execute("SELECT status, COUNT(*) FROM monitor_cases WHERE _deleted = 0 AND " + _INSIDE +
                            " GROUP BY status", [area, like]).fetchall())
    ordered = {step.name: cases[step.name] for step in CASES.steps if cases.get(step.name)}
    return {"rows": [{"area": path, **rows[path]} for path in sorted(rows)], "total": total, "cases": ordered}
