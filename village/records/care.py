"""The elderly-care schedule (DOMAIN 2): when each elder is next due a visit, and the share of due visits done.

Due dates follow from the tier (weekly, monthly, quarterly) and the last visit; a visit may set
its own next date. A major event (a county announcement of priority emergency in force over
the elder's area) makes every high-tier elder not visited since it began due within 24 hours.
"""
import calendar
import datetime

from sync.scope import inside
from sync.store import dicts
from village.records.terms import VISIT_EVERY_DAYS

EVENT_HOURS = 24


def _date(text):
    return datetime.date.fromisoformat(text[:10]) if text else None


def emergencies(db, now):
    """Return [(area, start date)] of emergency announcements in force at `now` (an aware datetime)."""
    moment = now.isoformat(timespec="seconds")
    rows = db.execute("SELECT area, publish_at FROM announcements WHERE _deleted = 0 AND priority = 'emergency' "
                      "AND (publish_at IS NULL OR publish_at <= ?) AND (expires_at IS NULL OR expires_at > ?)",
                      [moment, moment])
    return [(area, datetime.datetime.fromisoformat(start) if start else now) for area, start in rows]


def due_date(tier, last_visit, next_due, created, events, area):
    """Return the date an elder is next due a visit.

    `last_visit` is the date of their latest care visit (None for none), `next_due` the date
    that visit set, `created` the first visit's date set on the profile; `events` are (area,
    start) of emergencies in force.
    """
    base = last_visit or created
    due = _date(next_due) if next_due and last_visit else base + datetime.timedelta(days=VISIT_EVERY_DAYS[tier])
    if not last_visit:
        due = created
    if tier == "high":
        for event_area, start in events:
            if inside(area, event_area) and (last_visit is None or last_visit < start.date()):
                due = min(due, (start + datetime.timedelta(hours=EVENT_HOURS)).date())
    return due


def schedule(db, area, today, now=None):
    """Return the elders of `area` with their tier, last visit and due date, the most overdue first."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    events = emergencies(db, now)
    rows = dicts(db.execute(
        "SELECT e.id, e.tier, e.area, e.person_id, e.next_visit_due, p.name, p.household_id, "
        "  v.visited_on AS last_visit, v.next_due "
        "FROM elder_profiles e JOIN persons p ON p.id = e.person_id "
        "LEFT JOIN visits v ON v.id = (SELECT id FROM visits WHERE elder_id = e.id AND _deleted = 0 "
        "  AND kind = 'elderly_care' ORDER BY visited_on DESC, _version DESC LIMIT 1) "
        "WHERE e._deleted = 0 AND (e.area = ? OR e.area LIKE ? || '/%')", [area, area]))
    out = []
    for row in rows:
        # The profile's own next_visit_due is the first visit's date, set when the elder is registered.
        created = _date(row.pop("next_visit_due")) or today
        last = _date(row["last_visit"])
        due = due_date(row["tier"], last, row.pop("next_due"), created, events, row["area"])
        out.append({**row, "last_visit": last, "due": due, "overdue_days": max((today - due).days, 0)})
    return sorted(out, key=lambda r: (r["due"], r["tier"] != "high"))


def expected_visits(tier, month_start):
    """Return how many visits an elder of `tier` is due in the month starting `month_start`."""
    days = calendar.monthrange(month_start.year, month_start.month)[1]
    if tier == "high":
        return -(-days // VISIT_EVERY_DAYS["high"])  # a visit each week begun in the month
    if tier == "key":
        return 1
    return 1 if month_start.month % 3 == 0 else 0  # quarterly: counted in the quarter's last month


def visit_rate(db, month, area=""):
    """Return {village area: (visits done that counted, visits due)} of care visits in `month` ("YYYY-MM").

    A visit counts towards its elder's due visits of the month (extra visits do not make up for
    another elder's missed ones); a quarterly elder's visit counts anywhere in the quarter.
    """
    start = datetime.date.fromisoformat(month + "-01")
    quarter_start = start.replace(month=start.month - 2) if start.month % 3 == 0 else start
    end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
    rates = {}
    for elder_id, tier, elder_area, first_due in db.execute(
            "SELECT id, tier, area, next_visit_due FROM elder_profiles WHERE _deleted = 0 "
            "AND (area = ? OR area LIKE ? || '/%' OR ? = '')", [area, area, area]):
        if first_due and first_due > end.isoformat():
            continue  # registered later: nothing was due from this elder yet
        due = expected_visits(tier, start)
        since = quarter_start if tier == "general" else start
        done = db.execute("SELECT COUNT(*) FROM visits WHERE elder_id = ? AND _deleted = 0 AND kind = 'elderly_care' "
                          "AND visited_on BETWEEN ? AND ?", [elder_id, since.isoformat(), end.isoformat()]).fetchone()[0]
        got, wanted = rates.get(elder_area, (0, 0))
        rates[elder_area] = (got + min(done, due), wanted + due)
    return rates
