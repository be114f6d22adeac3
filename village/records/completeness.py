"""Completeness: per village and month, the visits that were due and those done, against the county's goal.

Two measures: poverty follow-ups (each monitored case is due one visit a month, DOMAIN 1) and
elderly care visits (`records.care.visit_rate`, DOMAIN 2). Prices acknowledged are left out
until villages send receipts. A village's month is computed once and kept in `county_months`;
the roll-ups mark it stale when a record it counts changes, and it is computed again when shown.
"""
import calendar
import datetime

from sync.clock import utc_text
from sync.store import transaction
from village.records.care import visit_rate
from village.records.county import villages
from village.records.rollups import MONITORED

MEASURES = ("follow_ups", "elder_visits")
MONTHS_SHOWN = 6


def months_back(today, count=MONTHS_SHOWN):
    """Return the `count` months up to today's, as "YYYY-MM", the oldest first."""
    year, month, out = today.year, today.month, []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def follow_up_rate(db, month, village):
    """Return (cases followed up, cases due) in `month` for the monitored cases of `village`."""
    start = datetime.date.fromisoformat(month + "-01")
    end = start.replace(day=calendar.monthrange(start.year, start.month)[1]).isoformat()
    marks = ", ".join("?" * len(MONITORED))
    due, done = db.execute(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM visits v WHERE v.case_id = c.id "
        "AND v._deleted = 0 AND v.kind = 'poverty_monitoring' AND v.visited_on BETWEEN ? AND ?) THEN 1 ELSE 0 END), 0) "
        "FROM monitor_cases c "
        f"WHERE c._deleted = 0 AND c.area = ? AND c.status IN ({marks}) AND c.county_on <= ?",
        [start.isoformat(), end, village, *MONITORED, end]).fetchone()
    return done, due


def _compute(db, village, month):
    """Return {measure: (done, due)} of one village's month, from the records."""
    done, due = visit_rate(db, month, village).get(village, (0, 0))
    return {"follow_ups": follow_up_rate(db, month, village), "elder_visits": (done, due)}


def refresh(db, areas, months):
    """Compute the village months among `areas` × `months` that are missing or stale; return how many."""
    marks_a, marks_m = ", ".join("?" * len(areas)), ", ".join("?" * len(months))
    if not areas:
        return 0
    have = {(a, m) for a, m in db.execute(
        f"SELECT DISTINCT area, month FROM county_months WHERE area IN ({marks_a}) AND month IN ({marks_m})",
        [*areas, *months])}
    stale = {(a, m) for a, m in db.execute(
        f"SELECT area, month FROM county_months_stale WHERE area IN ({marks_a}) AND month IN ({marks_m})",
        [*areas, *months])}
    todo = [(a, m) for a in areas for m in months if (a, m) not in have or (a, m) in stale]
    if not todo:
        return 0
    with transaction(db) as tx:
        for area, month in todo:
            for measure, (done, due) in _compute(tx, area, month).items():
                tx.execute("INSERT INTO county_months (area, month, measure, due, done) VALUES (?, ?, ?, ?, ?) "
                           "ON CONFLICT (area, month, measure) DO UPDATE SET due = excluded.due, done = excluded.done",
                           [area, month, measure, due, done])
            tx.execute("DELETE FROM county_months_stale WHERE area = ? AND month = ?", [area, month])
    return len(todo)


def goal_for(db, area, default):
    """Return the goal (percent) of `area`: its own, else the nearest area above's, else `default`."""
    parts = area.split("/")
    paths = ["/".join(parts[:i]) for i in range(len(parts), 0, -1)]
    found = dict(db.execute(f"SELECT area, percent FROM county_goals WHERE area IN ({', '.join('?' * len(paths))})",
                            paths))
    return next((found[p] for p in paths if p in found), default)


def set_goal(db, area, percent, by):
    """Set the goal of `area` (a whole percent from 0 to 100, checked by the caller)."""
    with transaction(db) as tx:
        tx.execute("INSERT INTO county_goals (area, percent, set_by, set_at) VALUES (?, ?, ?, ?) ON CONFLICT (area) "
                   "DO UPDATE SET percent = excluded.percent, set_by = excluded.set_by, set_at = excluded.set_at",
                   [area, percent, by, utc_text()])


def matrix(db, area, months, default_goal):
    """Return (months, rows): each village inside `area` with {month: {measure: (done, due, share)}} and its goal.

    `share` is done/due in percent (None when nothing was due); a row's `below` lists the
    (month, measure) cells under its goal.
    """
    nodes = villages(db, area)
    refresh(db, [n["area"] for n in nodes], months)
    cells = {}
    for village, month, measure, due, done in db.execute(
            f"SELECT area, month, measure, due, done FROM county_months WHERE month IN ({', '.join('?' * len(months))})",
            months):
        cells[(village, month, measure)] = (done, due, round(100 * done / due) if due else None)
    rows = []
    for node in nodes:
        goal = goal_for(db, node["area"], default_goal)
        row = {"name": node["name"], "area": node["area"], "goal": goal, "cells": {}, "below": []}
        for month in months:
            row["cells"][month] = {m: cells.get((node["area"], month, m), (0, 0, None)) for m in MEASURES}
            row["below"] += [(month, m) for m, (_, _, share) in row["cells"][month].items()
                             if share is not None and share < goal]
        rows.append(row)
    rows.sort(key=lambda r: (-len(r["below"]), r["area"]))
    return months, rows
