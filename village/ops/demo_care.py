"""The demo village's monitoring cases, support measures, elder profiles and their visits (DOMAIN 1-2).

Cases stand at every step: one past its 15-day clock, one in its notice window, one ready for
elimination, one that can never be eliminated (no labour, on the safety net), one eliminated.
Steps the township and county take are written as the county's decisions that reached the
village by sync.
"""
import dataclasses
import datetime

from village.records import core, evidence
from village.records.services import change_status

LINE = 8_800  # yuan per person a year: the province's line in the demo's years
VILLAGE_STEPS = ["home_check", "consent", "data_matching", "deliberation", "notice"]


def _day(today, ago):
    return (today - datetime.timedelta(days=ago)).isoformat()


def populate_care(w, node, rng, today, counts, hub_fed=False):
    """Write the demo's monitoring and care records through `w`; add their numbers to `counts`.

    Return {case id: plan}. A village fed by a real hub (`hub_fed`) takes only the village's
    steps here: the thresholds come from the hub, and the builder of the demo county runs the
    township's and county's steps at the hub and the village's later steps after a sync
    (`county_steps`, `village_steps_after`).
    """
    county = dataclasses.replace(node, role="county")
    province = node.area.split("/")[0]
    for year in (today.year - 1, today.year) if not hub_fed else ():
        core.save(w, county, "monitor_thresholds", {"year": year, "province": province, "yuan_per_person": LINE})
    households = [r[0] for r in w.db.execute("SELECT id FROM households WHERE _deleted = 0 ORDER BY code LIMIT 40")]
    plans = {}
    for (plan, lead_ago), hh in zip(PLANS, households):
        case = _case(w, node, rng, today, hh, plan, lead_ago, counts)
        plans[case] = plan
        if not hub_fed:
            county_steps(w, county, case, plan, today, final=False)
            village_steps_after(w, node, rng, today, case, plan, counts)
            county_steps(w, county, case, plan, today, final=True)
    _elders(w, node, rng, today, counts)
    return plans


PLANS = [("lead", 2), ("home_check", 4), ("consent", 6), ("deliberation", 9), ("notice", 8), ("late", 20),
         ("monitored", 200), ("ready", 300), ("safety_net", 400), ("eliminated", 500), ("returned", 12)]
LEAD_AGO = dict(PLANS)
DECIDED = ("monitored", "ready", "safety_net", "eliminated")


def _case(w, node, rng, today, hh, plan, lead_ago, counts):
    """Open a case on household `hh` and take the village's steps its plan needs first; return its id."""
    risks = rng.sample(["illness", "schooling", "disaster", "unstable_work", "lack_of_labour", "disability"], 2)
    if plan == "safety_net":
        risks = ["lack_of_labour", "illness"]
        for (person,) in w.db.execute("SELECT id FROM persons WHERE household_id = ?", [hh]).fetchall():
            core.save(w, node, "persons", {"labour_capacity": "no_labour", "work": "no_work"}, row_id=person)
    case = core.save(w, node, "monitor_cases", {
        "household_id": hh, "category": rng.choice(["unstable_exited", "edge_vulnerable", "sudden_hardship"]),
        "risks": risks, "channel": rng.choice(["self_report", "cadre_screening", "department_alert"]),
        "lead_on": _day(today, lead_ago), "income_per_person": rng.randint(6000, 9000)})
    counts["monitor_cases"] += 1
    target = {"late": "notice", "returned": "notice"}.get(plan, plan)
    steps = VILLAGE_STEPS[:VILLAGE_STEPS.index(target) + 1] if target in VILLAGE_STEPS else VILLAGE_STEPS
    for step in steps if target != "lead" else ():
        change_status(w, node, "monitor_cases", case, step, "村干部", values=_step_values(w, node, case, step, today,
                                                                                     lead_ago, plan))
    return case


def county_steps(w, county, case, plan, today, final):
    """Take the township's and county's steps of a demo case's plan (`final`: only the elimination) at `county`."""
    lead_ago = LEAD_AGO[plan]
    if final:
        if plan == "eliminated":
            change_status(w, county, "monitor_cases", case, "eliminated", "县乡村振兴局",
                          values={"elimination_type": "after_support"})
        return
    if plan in ("late", "returned", *DECIDED):
        change_status(w, county, "monitor_cases", case, "returned" if plan == "returned" else "township_reviewed",
                      "乡镇审核员", values={"reason": "评议记录缺少参会人签字"} if plan == "returned" else None)
    if plan in DECIDED:
        change_status(w, county, "monitor_cases", case, "monitored", "县乡村振兴局",
                      today=today - datetime.timedelta(days=lead_ago - 12))


def village_steps_after(w, node, rng, today, case, plan, counts):
    """Take the village's steps after the county's decision: support measures, follow-ups, elimination checks."""
    if plan in DECIDED:
        hh = core.get(w.db, "monitor_cases", case)["household_id"]
        _measures(w, node, rng, today, case, plan, counts)
        _follow_ups(w, node, rng, today, hh, case, plan, counts)
    if plan in ("ready", "eliminated"):
        for step in ("elimination_checked", "elimination_deliberated", "elimination_notice"):
            values = {"notice_from": _day(today, 8), "notice_to": _day(today, 2)} if step == "elimination_notice" else None
            change_status(w, node, "monitor_cases", case, step, "村干部", values=values)


def _step_values(w, node, case, step, today, lead_ago, plan):
    if step == "consent":
        # A small stand-in for the scanned form, kept in the node's file store like a real scan.
        scan = evidence.attach(w, node, "monitor_cases", case, "consent_scan",
                               f"%PDF-1.4\n% 承诺授权书 {case}\n%%EOF\n".encode(), "承诺授权书.pdf", "application/pdf")
        return {"consent_on": _day(today, lead_ago - 2), "consent_file": scan}
    if step == "deliberation":
        return {"deliberation_on": _day(today, max(lead_ago - 4, 0))}
    if step == "notice":
        # The demo's notice in its window started two days ago; the others ran their five days.
        start = 2 if plan == "notice" else max(lead_ago - 5, 7)
        return {"notice_from": _day(today, start), "notice_to": _day(today, start - 5)}
    return None


def _measures(w, node, rng, today, case, plan, counts):
    kinds = ["minimum_allowance", "medical_insurance"] if plan == "safety_net" else \
        rng.sample(["job_grant", "welfare_post", "vocational_aid", "microcredit", "poverty_insurance"], 2)
    for i, kind in enumerate(kinds):
        core.save(w, node, "measures", {
            "case_id": case, "type": kind, "start_on": _day(today, 180),
            "end_on": _day(today, -20 if i == 1 else -200), "contact": "驻村第一书记", "amount": rng.choice([1200, 3000, 5000])})
        counts["measures"] += 1


def _follow_ups(w, node, rng, today, hh, case, plan, counts):
    """Monthly follow-ups; a case ready for elimination has seven above the line, others one month below."""
    for month in range(7, -1, -1):
        income = LINE + rng.randint(400, 3000) if plan in ("ready", "eliminated", "safety_net") or month != 2 else \
            LINE - 900
        core.save(w, node, "visits", {
            "household_id": hh, "visitor": "驻村工作队", "kind": "poverty_monitoring", "case_id": case,
            "visited_on": _day(today, 30 * month + 1), "mode": "at_home",
            "answers": {"income_per_person": income, "school_secure": True, "medical_secure": plan != "monitored",
                        "housing_secure": True, "water_secure": True, "risks": []},
            "risk_level": "low"})
        counts["visits"] += 1


def _elders(w, node, rng, today, counts):
    cutoff = _day(today, 60 * 365)
    elders = w.db.execute("SELECT p.id, p.birth_date, p.lives_alone, p.health FROM persons p WHERE p._deleted = 0 "
                          "AND p.birth_date <= ? ORDER BY p.birth_date LIMIT 30", [cutoff]).fetchall()
    for i, (person, birth, alone, health) in enumerate(elders):
        age = (today - datetime.date.fromisoformat(birth)).days // 365
        tier = "high" if (age >= 80 and alone) or health == "serious" else "key" if age >= 75 or alone else "general"
        profile = core.save(w, node, "elder_profiles", {
            "person_id": person, "tier": tier, "reasons": f"{age}岁" + ("，独居" if alone else ""),
            "contacts": f"子女 13{rng.randrange(10**9):09d}", "next_visit_due": _day(today, 120)})
        counts["elder_profiles"] += 1
        # Every third elder is overdue: their last visit was longer ago than their tier allows.
        last = {"high": 3, "key": 20, "general": 60}[tier] + (40 if i % 3 == 0 else 0)
        core.save(w, node, "visits", {
            "household_id": w.db.execute("SELECT household_id FROM persons WHERE id = ?", [person]).fetchone()[0],
            "visitor": "村医 " + rng.choice("王李张刘"), "kind": "elderly_care", "elder_id": profile,
            "visited_on": _day(today, last), "mode": rng.choice(["at_home", "phone_video", "relative_neighbour"]),
            "answers": {"speech_ok": True, "mobility_ok": age < 85, "mood_ok": True, "food_ok": True,
                        "children_contact": not alone, "house_safe": True, "needs_company": bool(alone)},
            "risk_level": "low" if age < 85 else "medium"})
        counts["visits"] += 1
