"""The column-wise check of received new records takes exactly what the full check takes unchanged, no more."""
import uuid

import pytest
from conftest import VILLAGE_AREA
from hypothesis import given, settings, strategies as st

from sync.changelog import writing
from village.records import trust
from village.records.columns import FAST_KINDS, column_ok
from village.records.schema import TABLES, fields
from village.records.validate import _checked

SPECS = [spec for table in TABLES for spec in fields(table).values() if spec.kind in FAST_KINDS]
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-10 ** 16, 10 ** 16), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30), st.sampled_from(["13800123456", "138 0012 3456", "52010219800101123X", "5201021980010112x",
                                            "dry", "paddy", "none", "张志英", "e\u0301", "a\tb", "x\ny", " ", "",
                                            "\u202eevil", "１３８", "x" * 201, 3, 3.5, 0.0, -1, 2 ** 60]),
    st.lists(st.integers(), max_size=2))


def taken_as_is(spec, value):
    """Return True when the full check takes `value` for `spec` exactly as it is."""
    try:
        result = _checked(spec, value, None)
    except ValueError:
        return False
    return result == value and type(result) is type(value)


@settings(max_examples=400, deadline=None)
@given(spec=st.sampled_from(SPECS), column=st.lists(VALUES, min_size=1, max_size=6))
def test_a_column_passes_exactly_when_every_value_is_taken_as_it_is(spec, column):
    ok = column_ok(spec, column)
    if ok:
        assert all(taken_as_is(spec, v) for v in column), (spec.name, column)
    # The other way round, for the values a village really sends (in stored form, no blanks, no
    # empty references or shaped fields): the column check does not refuse what needs no change.
    plain = all(taken_as_is(spec, v) and (v is None or not isinstance(v, str) or v.strip()) for v in column)
    if plain and not spec.shape:
        assert ok, (spec.name, column)


def household(n, **changes):
    values = {"code": f"H{n:04d}", "head_name": "王建国", "id_number": "52010219800101123X",
              "phone": "13800123456", "members": 3, "monitoring_status": "none", "notes": ""}
    return {**values, **changes}


REFUSED = [{"members": -1}, {"phone": "12"}, {"monitoring_status": "rich"}, {"head_name": ""},
           {"code": "H0001"}, {"members": "many"}, {"area": "52/5201/520102/999"}]
# Values the full check takes after fixing them to their stored form (not refused).
FIXED = [({"members": True}, "members", 1), ({"members": 2.0}, "members", 2),
         ({"id_number": "52010219800101123x"}, "id_number", "52010219800101123X"),
         ({"head_name": "a\x00b"}, "head_name", "ab"), ({"notes": "e\u0301"}, "notes", "\u00e9"),
         ({"phone": "１３８００１２３４５６"}, "phone", "13800123456"),
         ({"area": VILLAGE_AREA + "/"}, "area", VILLAGE_AREA)]
CASES = [(bad, None) for bad in REFUSED] + [(bad, (name, value)) for bad, name, value in FIXED]


@pytest.mark.parametrize("bad, fixed", CASES, ids=[f"{next(iter(b))}-{i}" for i, (b, _f) in enumerate(CASES)])
def test_verdicts_and_fixed_values_are_the_same_with_and_without_the_column_check(node, db, monkeypatch, bad, fixed):
    area = node.area
    with writing(db, node.node_id) as w:  # a code already used here
        w.put("households", "held-1", {**household(1), "area": area})

    def batch():
        changes = [{"tbl": "households", "row_id": str(uuid.UUID(int=n)), "op": "put", "area": area,
                    "data": {"area": area, **household(n + 10, **(bad if n == 7 else {}))}} for n in range(20)]
        changes.append({"tbl": "plots", "row_id": "p1", "op": "put", "area": area,
                        "data": {"household_id": changes[0]["row_id"], "name": "东坡", "area_mu": 1.5,
                                 "land_type": "dry", "lat": None, "lon": None, "notes": ""}})
        changes.append({"tbl": "plots", "row_id": "p2", "op": "put", "area": area,
                        "data": {"household_id": "nobody", "name": "西坡", "area_mu": 1.5, "land_type": "dry",
                                 "lat": None, "lon": None, "notes": ""}})
        return changes

    quick_changes = batch()
    quick = trust.policy(db, area, quick_changes, True, {})
    monkeypatch.setattr(trust, "_in_stored_form", lambda changes, stored, sender_area: set())
    full_changes = batch()
    full = trust.policy(db, area, full_changes, True, {})
    assert {i: (r.code, r.message) for i, r in quick.items()} == {i: (r.code, r.message) for i, r in full.items()}
    assert quick_changes == full_changes  # values fixed to their stored form alike
    assert 21 in quick and 20 not in quick  # the orphan plot is held, the other one applies
    if fixed is None:
        assert 7 in quick  # the bad household is held
    else:
        assert 7 not in quick and quick_changes[7]["data"][fixed[0]] == fixed[1]
