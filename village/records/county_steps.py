"""The county's steps of monitoring: the cases waiting for the township or the county, with their evidence.

The decisions themselves are taken on the hub's case page (`clerk/cases.py`, through
`records.services.change_status`); these lists say what waits and link there.
"""
import datetime

from sync.store import dicts
from village.i18n_markers import N_
from village.records import core
from village.records.county import LIST_LIMIT, within
from village.records.rollups import MONITORED

# Which queue a case waits in, by its step: the township reviews a posted notice, the county
# decides after the township's review, and approves an elimination once its notice is up.
QUEUES = {
    "township": (N_("Waiting for the township's review"), ("notice",)),
    "county": (N_("Waiting for the county's decision"), ("township_reviewed",)),
    "elimination": (N_("Elimination waiting for the county's approval"), ("elimination_notice",)),
}
COLUMNS = [("code", N_("Household code")), ("head_name", N_("Head of household")), ("area", N_("Area code")),
           ("lead_on", N_("Lead recorded")), ("notice_to", N_("Notice until")), ("evidence", N_("Evidence files"))]


def queue(db, area, name, limit=LIST_LIMIT):
    """Return (columns, rows, total) of the cases inside `area` waiting in queue `name`, the oldest lead first.

    `rows` holds the first `limit`; `total` counts them all.
    """
    where, params = within("c.area", area)
    statuses = QUEUES[name][1]
    cond = f"c._deleted = 0 AND c.status IN ({', '.join('?' * len(statuses))}) AND {where}"
    total = db.execute(f"SELECT COUNT(*) FROM monitor_cases c WHERE {cond}", [*statuses, *params]).fetchone()[0]
    rows = list(dicts(db.execute(
        "SELECT c.id, h.code, h.head_name, c.area, c.lead_on, c.notice_to, c.status, "
        "(SELECT COUNT(*) FROM attachments a WHERE a.owner_table = 'monitor_cases' AND a.owner_id = c.id "
        " AND a._deleted = 0) AS evidence FROM monitor_cases c JOIN households h ON h.id = c.household_id "
        f"WHERE {cond} ORDER BY c.lead_on, c.id LIMIT ?", [*statuses, *params, limit]))) if total else []
    return COLUMNS, rows, total


def monitored_cases(db, area, limit=LIST_LIMIT):
    """Return the monitored cases inside `area` (dicts of the case's fields), for their support gaps."""
    where, params = within("area", area)
    return list(core.rows(db, "monitor_cases", f"status IN ({', '.join('?' * len(MONITORED))}) AND {where}",
                          [*MONITORED, *params], order="area, lead_on", limit=limit))


def support_gaps(db, area, today, gaps_of):
    """Return (columns, rows): each monitored case inside `area` with a gap in its support, and the gaps.

    `gaps_of(db, case, measures, today)` is the case page's own check (`clerk.casefacts.measure_gaps`).
    """
    rows = []
    for case in monitored_cases(db, area):
        measures = list(core.rows(db, "measures", "case_id = ?", [case["id"]], order="start_on"))
        gaps = gaps_of(db, case, measures, today)
        if gaps:
            head = db.execute("SELECT code, head_name FROM households WHERE id = ?", [case["household_id"]]).fetchone()
            rows.append({"id": case["id"], "code": head[0] if head else "", "head_name": head[1] if head else "",
                         "area": case["area"], "gaps": gaps})
    return [("code", N_("Household code")), ("head_name", N_("Head of household")), ("area", N_("Area code")),
            ("gaps", N_("Gaps in support"))], rows


def this_month(today=None):
    """Return the month of `today` as "YYYY-MM"."""
    return (today or datetime.date.today()).isoformat()[:7]
