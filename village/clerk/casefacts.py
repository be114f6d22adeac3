"""What the clerk's monitoring pages read: cases by step with their clocks, a household's cases and visits,
the evidence each step expects, the gaps in a case's support and the moves open to this node."""
import datetime
from dataclasses import dataclass

from sync.store import dicts
from sync.stores.pg_sql import stored_order
from village.i18n_markers import N_
from village.records import core
from village.records import evidence as evidence_store
from village.records.monitoring import (NOTICE_DAYS, TIERS_OF_ROLE, Facts, active, cannot_work, days_left,
                                       decision_late, on_safety_net)
from village.records.schema import fields
from village.records.terms import MEDICAL
from village.records.workflows import CASES

CLOSED = ("not_included", "eliminated")  # a case there moves again only when reopened
NOTICES = ("notice", "elimination_notice")
ELIMINATION = ("elimination_checked", "elimination_deliberated", "elimination_notice", "eliminated")
ENDING_DAYS = 30  # a measure ending this soon is flagged


def clock(case, today):
    """Return the case's clocks: days left of its 15 days (None once decided), late, and its notice's end."""
    notice_end = case.get("notice_to") if case.get("status") in NOTICES else None
    end = datetime.date.fromisoformat(notice_end) if notice_end else None
    left = days_left(case, today)
    return {"left": left, "late": decision_late(case, today), "notice_to": end,
            "decide_by": today + datetime.timedelta(days=left) if left is not None else None,
            "notice_left": (end - today).days if end else None}


def case_list(db, step, page, today):
    """Return (cases with their household and clock, counts by status, page, pages) for `step` ("": all open)."""
    counts = dict(db.execute("SELECT status, COUNT(*) FROM monitor_cases WHERE _deleted = 0 GROUP BY status"))
    where, params = ("c.status = ?", [step]) if step else (f"c.status NOT IN {CLOSED}", [])
    total = sum(n for s, n in counts.items() if s == step or (not step and s not in CLOSED))
    page, pages = core.page_of(total, page)
    rows = list(dicts(db.execute(
        "SELECT c.id, c.status, c.category, c.lead_on, c.notice_to, c.county_on, c.household_id, "
        "h.code, h.head_name FROM monitor_cases c JOIN households h ON h.id = c.household_id "
        f"WHERE c._deleted = 0 AND {where} ORDER BY c.lead_on, {stored_order(db, 'c')} LIMIT ? OFFSET ?",
        [*params, core.PAGE_SIZE, (page - 1) * core.PAGE_SIZE])))
    for row in rows:
        row["clock"] = clock(row, today)
    return rows, counts, page, pages


def household_monitoring(db, household_id, today):
    """Return a household's cases (newest first), its open case with its clock, its visits and elder profiles."""
    cases = list(core.rows(db, "monitor_cases", "household_id = ?", [household_id], order=f"lead_on DESC, {stored_order(db, descending=True)}"))
    open_case = next((c for c in cases if c["status"] not in CLOSED), None)
    of_members = "person_id IN (SELECT id FROM persons WHERE household_id = ? AND _deleted = 0)"
    return {"cases": cases, "open_case": open_case, "open_clock": open_case and clock(open_case, today),
            "visits": list(core.rows(db, "visits", "household_id = ?", [household_id],
                                     order=f"visited_on DESC, {stored_order(db, descending=True)}", limit=50)),
            "elders": {e["person_id"]: e for e in core.rows(db, "elder_profiles", of_members, [household_id])}}


def held_blobs(db, hashes):
    """Return which of the sha256 `hashes` this node holds the file of (the evidence store answers)."""
    return evidence_store.held(db, hashes)


def evidence(db, case):
    """Return [(step, [(kind, [attachment, ...]), ...])] for the steps the case passed or may take next.

    Each attachment carries `held`: whether its file is on this node (else it is shown missing).
    """
    files = list(core.rows(db, "attachments", "owner_table = 'monitor_cases' AND owner_id = ?", [case["id"]],
                           order=f"taken_on, {stored_order(db)}"))
    held = held_blobs(db, [f["sha256"] for f in files])
    for f in files:
        f["held"] = f["sha256"] in held
    passed = [CASES.first, *(entry["status"] for entry in case["steps"] or [])]
    shown = [s for s in CASES.statuses if s in passed or s in CASES.next_steps(case["status"])]
    return [(status, [(kind, [f for f in files if f["kind"] == kind]) for kind in CASES.step(status).evidence])
            for status in shown if CASES.step(status).evidence]


def measure_gaps(db, case, measures, today):
    """Return (message, params) warnings of a case's support: illness without medical care, no labour without
    a safety net, measures ending within ENDING_DAYS days."""
    current = [m for m in measures if active(m, today)]
    members = Facts(db).members(case["household_id"])
    gaps = []
    if "illness" in (case.get("risks") or []) and not {m["type"] for m in current} & MEDICAL:
        gaps.append((N_("An illness risk, but no medical measure."), {}))
    if cannot_work(members) and not on_safety_net(current, members, today):
        gaps.append((N_("Nobody in the household can work, and no safety-net measure supports it."), {}))
    soon = (today + datetime.timedelta(days=ENDING_DAYS)).isoformat()
    for m in current:
        if m.get("end_on") and m["end_on"] <= soon:
            gaps.append((N_("A measure ends on %(date)s, within %(days)s days."), {"date": m["end_on"],
                                                                                     "days": ENDING_DAYS}))
    return gaps


@dataclass(frozen=True)
class Move:
    """A step a case may take next: whether this node's tier takes it, and the fields it asks for."""

    status: str
    tier: str
    allowed: bool
    asks: tuple


def moves(case, node_role):
    """Return the Moves open to the case from its status, marked with whether this node may take each."""
    tiers = TIERS_OF_ROLE.get(node_role, ())
    out = []
    for status in CASES.next_steps(case["status"]):
        step = CASES.step(status)
        out.append(Move(status, step.tier, step.tier in tiers, step.asks))
    return out


def move_defaults(case, move, today):
    """Return the values a move's form starts with: today for its dates, a 5-day notice, the case's choices."""
    out = {}
    for name in move.asks:
        if name == "notice_to":
            out[name] = (today + datetime.timedelta(days=NOTICE_DAYS - 1)).isoformat()
        elif fields("monitor_cases")[name].kind == "date":
            out[name] = today.isoformat()
        else:
            out[name] = case.get(name) or ""
    return out
