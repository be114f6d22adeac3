"""The guards of a monitoring case (DOMAIN 1): its steps, who may take them, and the rules of elimination.

Checked wherever a case is written: a clerk's save, an import, and every change a tier
receives (records.trust), against the facts held there plus those of the batch being received.
"""
import datetime
import json

from sync.store import dicts
from village.i18n_markers import N_
from village.records.receipt_rules import receipt_problems
from village.records.terms import SAFETY_NET
from village.records.validate import Term
from village.records.workflows import CASES

NOTICE_DAYS = 5  # a public notice stays up at least this many days
DECISION_DAYS = 15  # from the first lead to the county decision
STABLE_DAYS = 180  # income above the line for six months before elimination
FOLLOW_UP_GAP_DAYS = 45  # follow-ups at least monthly; a longer gap breaks the run
# What each kind of node may do: a village takes the village's steps; its hub the township's and county's.
TIERS_OF_ROLE = {"village": ("village",), "county": ("township", "county")}
UPWARD_TIERS, DOWNWARD_TIERS = ("village",), ("township", "county")


class Facts:
    """What the guards read beyond the case: a household's members, a case's follow-ups and measures, thresholds.

    `pending` holds rows of the batch being received that are not stored yet ({(table, id): row}).
    """

    def __init__(self, db, pending=None):
        self.db, self.pending = db, pending or {}

    def _rows(self, table, column, value):
        held = {r["id"]: r for r in dicts(self.db.execute(
            f"SELECT * FROM [{table}] WHERE [{column}] = ? AND _deleted = 0", [value]))}
        for (tbl, row_id), row in self.pending.items():
            if tbl == table and row.get(column) == value:
                held[row_id] = row
        return list(held.values())

    def members(self, household_id):
        return self._rows("persons", "household_id", household_id)

    def measures(self, case_id):
        return self._rows("measures", "case_id", case_id)

    def follow_ups(self, case_id):
        return [v for v in self._rows("visits", "case_id", case_id) if v.get("kind") == "poverty_monitoring"]

    def threshold(self, year, province):
        """Return the yuan per person of `year` in `province`, or None when the county has not set it."""
        rows = self._rows("monitor_thresholds", "province", province)
        return next((r["yuan_per_person"] for r in rows if r.get("year") == year), None)


def _days(text):
    return datetime.date.fromisoformat(text) if text else None


def _word(status):
    step = CASES.step(status)
    return Term(step.label) if step else status


def case_problems(facts, tiers, existing, row, today):
    """Return (field, message, params) problems of writing `row` (the whole case as it would be) over `existing`.

    `tiers` are the tiers the writer holds (TIERS_OF_ROLE); `today` a date.
    """
    old, new = (existing or {}).get("status"), row.get("status") or CASES.first
    problems = _move_problems(tiers, old, new, existing is None)
    if problems:
        return problems
    path = CASES.path_to(new) or []
    for status in [CASES.first, *path]:
        missing = [name for name in CASES.step(status).needs if row.get(name) in (None, "")]
        if missing:
            return [(missing[0], N_("A case that is “%(status)s” needs this: it is recorded at the step “%(step)s”."),
                     {"status": _word(new), "step": _word(status)})]
    problems += _notice_problems(row, old, new, today)
    if new == "eliminated" and old not in (None, "eliminated"):
        # The act of elimination is judged; a county entering a case eliminated in the past is not.
        problems += _elimination_problems(facts, row, today)
    return problems


def _move_problems(tiers, old, new, created):
    if created:
        # A village enters a case through its own steps; a county may enter one at any step (a
        # department's data alert, or a case of the past), its needs checked like any other.
        steps = [] if "county" in tiers else [CASES.first, *(CASES.path_to(new) or [])]
    elif old == new:
        return []
    elif new not in CASES.next_steps(old):
        return [("status", N_("A case that is “%(from)s” cannot become “%(to)s”."),
                 {"from": _word(old), "to": _word(new)})]
    else:
        steps = [new]
    for status in steps:
        step = CASES.step(status)
        if step.tier not in tiers:
            return [("status", N_("Only the %(tier)s records the step “%(step)s”."),
                     {"tier": Term(TIER_WORDS[step.tier]), "step": _word(status)})]
    return []


TIER_WORDS = {"village": N_("village"), "township": N_("township"), "county": N_("county")}


def _notice_problems(row, old, new, today):
    start, end = _days(row.get("notice_from")), _days(row.get("notice_to"))
    if start and end and (end - start).days + 1 < NOTICE_DAYS:
        return [("notice_to", N_("A public notice stays up at least %(days)s days."), {"days": NOTICE_DAYS})]
    if old in ("notice", "elimination_notice") and new != old and new in ("township_reviewed", "eliminated") and end \
            and today <= end:
        return [("status", N_("The public notice runs until %(date)s: decide after it ends."), {"date": end.isoformat()})]
    return []


def _elimination_problems(facts, row, today):
    members = facts.members(row["household_id"])
    if cannot_work(members) and on_safety_net(facts.measures(row["id"]), members, today):
        return [("status", N_("A household that cannot work and lives on the safety net stays monitored; "
                              "it is never marked eliminated."), {})]
    days, problem = stable_income_days(facts, row)
    if problem:
        return [problem]
    if days < STABLE_DAYS:
        return [("status", N_("Income has been above the line for %(days)s days of follow-ups; "
                              "elimination needs %(needed)s."), {"days": days, "needed": STABLE_DAYS})]
    return []


def cannot_work(members):
    """Return True when a household has members and each is recorded as unable to work."""
    return bool(members) and all(m.get("labour_capacity") == "no_labour" for m in members)


def active(measure, today):
    """Return True when a support measure runs on `today`."""
    day = today.isoformat()
    return measure["start_on"] <= day and (not measure.get("end_on") or measure["end_on"] >= day)


def on_safety_net(measures, members, today):
    """Return True when a current measure or a member's benefit is a safety-net one (records.terms.SAFETY_NET)."""
    return any(m["type"] in SAFETY_NET and active(m, today) for m in measures) or any(
        benefit in SAFETY_NET for m in members for benefit in json.loads(m.get("benefits") or "[]"))


def province_of(area):
    """Return the province code of an area path (its first part)."""
    return str(area or "").split("/")[0]


def stable_income_days(facts, case):
    """Return (days, problem): how long the latest unbroken run of follow-ups shows income above the line.

    A run is broken by a follow-up at or below that year's threshold, by a gap of more than
    FOLLOW_UP_GAP_DAYS, or by one without an income. `problem` names a missing threshold.
    """
    visits = sorted(facts.follow_ups(case["id"]), key=lambda v: v["visited_on"], reverse=True)
    province, first, last = province_of(case.get("area")), None, None
    for visit in visits:
        day = _days(visit["visited_on"])
        income = json.loads(visit.get("answers") or "{}").get("income_per_person") if visit.get("answers") else None
        line = facts.threshold(day.year, province)
        if line is None:
            return 0, ("status", N_("There is no poverty line for %(year)s in province %(province)s yet: "
                                    "the county sets it first."), {"year": day.year, "province": province})
        if income is None or income <= line or (first and (first - day).days > FOLLOW_UP_GAP_DAYS):
            break
        last = last or day
        first = day
    return ((last - first).days if first else 0), None


def decision_late(case, today):
    """Return True when the county decided (or still has not decided) more than DECISION_DAYS after the lead."""
    lead = _days(case.get("lead_on"))
    decided = _days(case.get("county_on")) or today
    return bool(lead) and (decided - lead).days > DECISION_DAYS and case.get("status") != "not_included"


def days_left(case, today):
    """Return the days left on the case's 15-day clock (negative when past), or None once decided."""
    if case.get("county_on") or not case.get("lead_on"):
        return None
    return DECISION_DAYS - (today - _days(case["lead_on"])).days


GUARDS = {"monitor_cases": case_problems, "alert_receipts": receipt_problems}


def guard_problems(db, table, tiers, existing, row, pending=None, today=None):
    """Return the problems of writing `row` over `existing` in `table` by a writer holding `tiers`."""
    guard = GUARDS.get(table)
    if guard is None:
        return []
    return guard(Facts(db, pending), tiers, existing, row, today or datetime.date.today())
