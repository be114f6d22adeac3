"""Clerk searches stay bounded: a broad prefix costs what a specific one does, counts stop at a cap."""
import pytest
from clerk_helpers import household

from sync.changelog import writing
from village.records import core, households as register


def many(db, node, n, start=0):
    """Add `n` households with phones 138..., ID numbers 52... and codes HX..., through the write path."""
    with writing(db, node.node_id) as w:
        for i in range(start, start + n):
            w.put("households", core.new_id(), {"area": node.area, "code": f"HX{i:05d}", "head_name": f"王{i}",
                                                "phone": f"138{i:08d}", "id_number": f"520102{i:012d}"})


@pytest.fixture
def small_cap(monkeypatch):
    monkeypatch.setattr(register, "SEARCH_CAP", 5)
    monkeypatch.setattr(register, "REGISTER_CAP", 5)


def test_a_broad_search_says_how_many_at_least_and_lists_one_page(clerk, db, node, small_cap):
    many(db, node, 8)
    page = clerk.get("/clerk/households", query_string={"q": "13"}).get_data(as_text=True)
    assert "5+ households" in page and "Type more" in page
    assert page.count('href="/clerk/households/') == 8  # the first page found: all 8 fit on it
    found, total, capped, page_no, pages = register.find(db, "52")
    assert (total, capped, page_no, pages) == (5, True, 1, 1) and len(found) == 8


def test_a_search_under_the_cap_is_counted_exactly_and_paged(clerk, db, node):
    many(db, node, 30)
    found, total, capped, page, pages = register.find(db, "1380000001", page=1)
    assert (total, capped, pages) == (10, False, 1) and [h["code"] for h in found] == [f"HX{i:05d}" for i in range(10, 20)]
    found, total, capped, page, pages = register.find(db, "HX", page=2)
    assert (total, capped, page, pages) == (30, False, 2, 2) and found[0]["code"] == "HX00025"


def test_the_whole_register_is_paged_no_further_than_the_cap(clerk, db, node, small_cap):
    many(db, node, 8)
    page = clerk.get("/clerk/households", query_string={"page": "9"}).get_data(as_text=True)
    assert "5+ households" in page and "Type more" not in page and "HX00000" in page


def test_deleted_households_are_not_listed_by_a_broad_search(db, node, small_cap):
    many(db, node, 8)
    gone = household(db, node, code="HX99999", phone="13899999999", id_number=None)
    with core.write(db, node) as w:
        core.delete(w, node, "households", gone)
    found, _total, capped, _page, _pages = register.find(db, "138")
    assert capped and gone not in [h["id"] for h in found]


def steps(db, query):
    """Return how many SQLite VM steps (in thousands) one search costs."""
    count = [0]

    def tick():
        count[0] += 1

    db.conn.set_progress_handler(tick, 1000)
    try:
        register.find(db, query)
    finally:
        db.conn.set_progress_handler(None, 0)
    return count[0]


@pytest.mark.parametrize("query", ["1", "13", "52", "王", "H"])
def test_a_broad_search_costs_the_same_at_twice_the_households(db, node, monkeypatch, query):
    monkeypatch.setattr(register, "SEARCH_CAP", 50)
    many(db, node, 2000)
    at_2000 = steps(db, query)
    many(db, node, 2000, start=2000)
    at_4000 = steps(db, query)
    assert at_4000 <= at_2000 + 2, (at_2000, at_4000)
    assert at_4000 < 40  # a scan of 4,000 households and 4,000 index entries would take many more
