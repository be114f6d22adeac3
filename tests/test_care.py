"""The elderly-care schedule (DOMAIN 2): due dates by tier, the major-event switch, the monthly visit rate."""
import datetime

import pytest

from village.records import care, core

TODAY = datetime.date(2026, 3, 18)
NOW = datetime.datetime(2026, 3, 18, 9, 0, tzinfo=datetime.timezone.utc)


def day(n):
    return (TODAY - datetime.timedelta(days=n)).isoformat()


def elder(w, node, tier, visits=(), first_due=None, area=None):
    hh = core.save(w, node, "households", {"code": f"E{tier}{len(visits)}{first_due}", "head_name": "李奶奶",
                                           **({"area": area} if area else {})})
    person = core.save(w, node, "persons", {"household_id": hh, "name": "李奶奶", "birth_date": "1938-02-01"})
    profile = core.save(w, node, "elder_profiles", {"person_id": person, "tier": tier, "next_visit_due": first_due})
    for ago in visits:
        core.save(w, node, "visits", {"household_id": hh, "visitor": "村医", "kind": "elderly_care", "elder_id": profile,
                                      "visited_on": day(ago), "mode": "at_home", "answers": {"speech_ok": True}})
    return profile


def due_of(db, node, profile, now=NOW):
    return next(e for e in care.schedule(db, node.area, TODAY, now) if e["id"] == profile)


@pytest.mark.parametrize("tier, last, due_in, overdue", [
    ("high", 3, 4, 0), ("high", 10, -3, 3), ("key", 10, 20, 0), ("key", 40, -10, 10), ("general", 80, 11, 0),
    ("general", 100, -9, 9),
])
def test_the_next_visit_follows_the_tier_and_the_last_visit(node_db, tier, last, due_in, overdue):
    node, db = node_db
    with core.write(db, node) as w:
        profile = elder(w, node, tier, visits=(last + 30, last))
    entry = due_of(db, node, profile)
    assert entry["due"] == TODAY + datetime.timedelta(days=due_in)
    assert entry["overdue_days"] == overdue and entry["last_visit"].isoformat() == day(last)


def test_an_elder_never_visited_is_due_on_the_profiles_first_day_and_a_visit_may_set_the_next(node_db):
    node, db = node_db
    with core.write(db, node) as w:
        new = elder(w, node, "general", first_due=day(5))
        hh = core.save(w, node, "households", {"code": "X1", "head_name": "王"})
        person = core.save(w, node, "persons", {"household_id": hh, "name": "王"})
        later = core.save(w, node, "elder_profiles", {"person_id": person, "tier": "key"})
        core.save(w, node, "visits", {"household_id": hh, "visitor": "村医", "kind": "elderly_care", "elder_id": later,
                                      "visited_on": day(2), "next_due": day(-3)})
    assert due_of(db, node, new)["due"].isoformat() == day(5) and due_of(db, node, new)["overdue_days"] == 5
    assert due_of(db, node, later)["due"].isoformat() == day(-3)
    listed = [e["id"] for e in care.schedule(db, node.area, TODAY, NOW)]
    assert listed.index(new) < listed.index(later)  # the most overdue first


def test_an_emergency_makes_high_tier_elders_due_within_a_day(node_db):
    node, db = node_db
    with core.write(db, node) as w:
        high = elder(w, node, "high", visits=(2,))
        key = elder(w, node, "key", visits=(2,))
        core.save(w, node, "announcements", {"title": {"zh_Hans": "暴雨红色预警"}, "priority": "emergency",
                                             "publish_at": (NOW - datetime.timedelta(hours=30)).isoformat(),
                                             "expires_at": (NOW + datetime.timedelta(days=2)).isoformat()})
    assert due_of(db, node, high)["due"] == TODAY  # 30 hours after a storm warning began: due now
    assert due_of(db, node, high)["due"] < TODAY + datetime.timedelta(days=5)
    assert due_of(db, node, key)["due"] == TODAY + datetime.timedelta(days=28)  # not switched
    after = NOW + datetime.timedelta(days=3)  # the warning has expired
    assert due_of(db, node, high, now=after)["due"] == TODAY + datetime.timedelta(days=5)


def test_the_monthly_visit_rate_counts_each_elders_due_visits(node_db):
    node, db = node_db
    with core.write(db, node) as w:
        # March 2026 has 31 days: five weeks begun, so a high-tier elder is due five visits.
        elder(w, node, "high", visits=(1, 8, 15))  # 3 of 5
        elder(w, node, "key", visits=(3, 5, 9))  # 1 of 1, however many were made
        elder(w, node, "key", visits=(40,))  # 0 of 1: last month's visit does not count
        elder(w, node, "general", visits=(70,))  # quarterly, March ends a quarter: a January visit counts
    assert care.visit_rate(db, "2026-03") == {node.area: (3 + 1 + 0 + 1, 5 + 1 + 1 + 1)}
    assert care.visit_rate(db, "2026-02")[node.area] == (0 + 0 + 1 + 0, 4 + 1 + 1 + 0)


def test_an_elder_registered_later_owes_no_visits_in_earlier_months(node_db):
    node, db = node_db
    with core.write(db, node) as w:
        elder(w, node, "key", first_due="2026-03-10")
    assert care.visit_rate(db, "2026-02") == {}
    assert care.visit_rate(db, "2026-03") == {node.area: (0, 1)}
