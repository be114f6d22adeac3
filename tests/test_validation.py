"""Validation of every record table: types, choices, ranges, dates, references, area."""
import pytest

from village.records import core
from village.records.validate import ValidationError


def household(w, node, **extra):
    return core.save(w, node, "households", {"code": extra.pop("code", "H1"), "head_name": "王建国", **extra})


def problems_of(node, db, table, values, parents=True):
    """Return the fields with problems when saving `values` to `table` (nothing saved)."""
    before = db.execute("SELECT COUNT(*) FROM _changes").fetchone()[0]
    with pytest.raises(ValidationError) as info:
        with core.write(db, node) as w:
            if parents:
                hh = household(w, node, code="P1")
                plot = core.save(w, node, "plots", {"household_id": hh, "name": "东坡", "area_mu": 1, "land_type": "dry"})
                values = {k: {"$hh": hh, "$plot": plot}.get(v, v) if isinstance(v, str) else v for k, v in values.items()}
            core.save(w, node, table, values)
    assert db.execute("SELECT COUNT(*) FROM _changes").fetchone()[0] == before
    return {field for field, _m, _p in info.value.problems}


@pytest.mark.parametrize("table, values, bad", [
    ("households", {"head_name": "王"}, {"code"}),
    ("households", {"code": "H2", "head_name": "  "}, {"head_name"}),
    ("households", {"code": "H2", "head_name": "王", "members": "two"}, {"members"}),
    ("households", {"code": "H2", "head_name": "王", "members": -1}, {"members"}),
    ("households", {"code": "H2", "head_name": "王", "monitoring_status": "poor"}, {"monitoring_status"}),
    ("households", {"code": "H2", "head_name": "王", "colour": "red"}, {"colour"}),
    ("households", {"code": "H2", "head_name": "王", "area": "53/5301"}, {"area"}),
    ("persons", {"household_id": "nope", "name": "李"}, {"household_id"}),
    ("persons", {"household_id": "$hh", "name": "李", "birth_date": "2023-02-30"}, {"birth_date"}),
    ("persons", {"household_id": "$hh", "name": "李", "sex": "x"}, {"sex"}),
    ("persons", {"household_id": "$hh", "name": "李", "lives_alone": "maybe"}, {"lives_alone"}),
    ("plots", {"household_id": "$hh", "name": "西坡", "area_mu": 0, "land_type": "dry"}, {"area_mu"}),
    ("plots", {"household_id": "$hh", "name": "西坡", "area_mu": -2, "land_type": "dry"}, {"area_mu"}),
    ("plots", {"household_id": "$hh", "name": "西坡", "area_mu": 1, "land_type": "moon"}, {"land_type"}),
    ("plots", {"household_id": "$hh", "name": "西坡", "area_mu": 1, "land_type": "dry", "lat": 91}, {"lat"}),
    ("plots", {"household_id": "$hh", "name": "西坡", "area_mu": "nan", "land_type": "dry"}, {"area_mu"}),
    ("plantings", {"plot_id": "missing", "crop": "稻"}, {"plot_id"}),
    ("plantings", {"plot_id": "$plot", "crop": "稻", "planted_on": "2026-05-01", "harvested_on": "2026-04-01"}, {"harvested_on"}),
    ("plantings", {"plot_id": "$plot", "crop": "稻", "yield_kg": -5}, {"yield_kg"}),
    ("livestock", {"household_id": "$hh", "species": "猪", "count": 2.5}, {"count"}),
    ("livestock", {"household_id": "$hh", "species": "猪"}, {"count"}),
    ("livestock", {"household_id": "$hh", "species": "猪", "count": 1, "vaccinated_on": "yesterday"}, {"vaccinated_on"}),
    ("service_requests", {"ticket": "S-1", "applicant_name": "张", "kind": "passport"}, {"kind"}),
    ("service_requests", {"ticket": "S-1", "applicant_name": "张", "kind": "subsidy", "status": "lost"}, {"status"}),
    ("service_requests", {"ticket": "S-1", "applicant_name": "张", "kind": "subsidy", "household_id": "x"}, {"household_id"}),
    ("grievances", {"ticket": "G-1", "category": "noise", "description": "吵"}, {"category"}),
    ("grievances", {"ticket": "G-1", "category": "road", "description": ""}, {"description"}),
    ("visits", {"household_id": "$hh", "visitor": "刘", "kind": "tea_party", "visited_on": "2026-01-01"}, {"kind"}),
    ("visits", {"household_id": "$hh", "visitor": "刘", "kind": "elderly_care", "visited_on": "2026-01-01", "risk_level": "extreme"}, {"risk_level"}),
    ("visits", {"household_id": "$hh", "visitor": "刘", "kind": "elderly_care"}, {"visited_on"}),
    ("visits", {"household_id": "$hh", "visitor": "刘", "kind": "elderly_care", "visited_on": "2026-01-01", "answers": "{bad json"}, {"answers"}),
    ("announcements", {"title": {"en": ""}}, {"title"}),
    ("announcements", {"title": {"en": "Hi"}, "priority": "loud"}, {"priority"}),
    ("announcements", {"title": {"en": "Hi"}, "publish_at": "2026-02-01T00:00", "expires_at": "2026-01-01T00:00"}, {"expires_at"}),
    ("market_prices", {"commodity": "稻谷", "unit": "公斤", "price": -1, "observed_on": "2026-01-01"}, {"price"}),
    ("market_prices", {"commodity": "稻谷", "unit": "公斤", "price": 2}, {"observed_on"}),
])
def test_bad_values_are_refused_with_the_field_named(node_db, table, values, bad):
    node, db = node_db
    assert problems_of(node, db, table, values) == bad


@pytest.mark.parametrize("table, values", [
    ("households", {"code": "H9", "head_name": "王", "members": "3", "monitoring_status": "watch"}),
    ("persons", {"household_id": "$hh", "name": "李", "birth_date": "1950-02-28", "lives_alone": "yes"}),
    ("plots", {"household_id": "$hh", "name": "西坡", "area_mu": "0.5", "land_type": "paddy", "lat": 26.5, "lon": 106.7}),
    ("plantings", {"plot_id": "$plot", "crop": "稻", "planted_on": "2026-04-01", "harvested_on": "2026-08-01", "yield_kg": 500}),
    ("livestock", {"household_id": "$hh", "species": "牛", "count": "3"}),
    ("service_requests", {"ticket": "S-0000-0001", "applicant_name": "张", "kind": "subsidy"}),
    ("grievances", {"ticket": "G-0000-0001", "category": "water", "description": "水浑", "reporter": ""}),
    ("visits", {"household_id": "$hh", "visitor": "刘", "kind": "poverty_monitoring", "visited_on": "2026-01-01", "answers": {"income_per_person": 1, "school_secure": True, "risks": ["illness"]}}),
    ("announcements", {"title": {"zh_Hans": "通知"}, "priority": "urgent", "expires_at": "2030-01-01T00:00"}),
    ("market_prices", {"commodity": "稻谷", "unit": "公斤", "price": "2.8", "observed_on": "2026-01-01"}),
])
def test_good_values_are_saved_with_their_types(node_db, table, values):
    node, db = node_db
    with core.write(db, node) as w:
        hh = household(w, node, code="P1")
        plot = core.save(w, node, "plots", {"household_id": hh, "name": "东坡", "area_mu": 1, "land_type": "dry"})
        values = {k: {"$hh": hh, "$plot": plot}.get(v, v) if isinstance(v, str) else v for k, v in values.items()}
        row_id = core.save(w, node, table, values)
    saved = core.public(table, core.get(db, table, row_id))
    assert saved["area"] == node.area
    if table == "plots":
        assert saved["area_mu"] == 0.5
    if table == "persons":
        assert saved["lives_alone"] is True and saved["birth_date"] == "1950-02-28"


def test_household_code_is_unique_within_the_village(node_db):
    node, db = node_db
    with core.write(db, node) as w:
        household(w, node, code="H1")
    assert problems_of(node, db, "households", {"code": "H1", "head_name": "李"}, parents=False) == {"code"}


def test_messages_are_translated_for_a_clerk(node_db):
    from village.i18n import translations

    node, db = node_db
    with pytest.raises(ValidationError) as info:
        with core.write(db, node) as w:
            core.save(w, node, "plots", {"household_id": "x", "name": "a", "area_mu": 0, "land_type": "dry"})
    english = " ".join(info.value.render(translations("en").gettext))
    assert "Must be more than 0" in english
    chinese = " ".join(info.value.render(translations("zh_Hans").gettext))
    assert "Must be more than" not in chinese


@pytest.mark.usefixtures("hub_engine")  # on a SQLite and a PostgreSQL hub
def test_children_take_the_area_of_their_household(make_node):
    node, db = make_node(role="county", area="52/5201/520102")
    with core.write(db, node) as w:
        hh = core.save(w, node, "households", {"code": "H1", "head_name": "王", "area": "52/5201/520102/007"})
        person = core.save(w, node, "persons", {"household_id": hh, "name": "李"})
    assert core.get(db, "persons", person)["area"] == "52/5201/520102/007"


@pytest.mark.parametrize("table, values, bad", [
    ("households", {"code": "H2", "head_name": "王" * 201}, {"head_name"}),
    ("households", {"code": "H2", "head_name": "x" * 70_000_000}, {"head_name"}),
    ("households", {"code": "H2", "head_name": "王", "notes": "n" * 4001}, {"notes"}),
    ("households", {"code": "H2", "head_name": "王", "members": 10 ** 20}, {"members"}),
    ("households", {"code": "H2", "head_name": "王", "members": "1e400"}, {"members"}),
    ("households", {"code": "H2", "head_name": "王", "phone": "call me"}, {"phone"}),
    ("households", {"code": "H2", "head_name": "王", "id_number": "12345"}, {"id_number"}),
    ("households", {"code": "H2", "head_name": {"a": 1}}, {"head_name"}),
    ("service_requests", {"ticket": "S-1", "applicant_name": "a", "kind": "subsidy", "history": "{broken"}, {"history"}),
    ("service_requests", {"ticket": "S-1", "applicant_name": "a", "kind": "subsidy", "history": [{"status": 1}]},
     {"history"}),
])
def test_sizes_and_shapes_are_bounded(node_db, table, values, bad):
    node, db = node_db
    assert problems_of(node, db, table, values, parents=False) == bad


def test_control_characters_and_bidi_overrides_are_removed_and_digits_made_ascii(node_db):
    node, db = node_db
    with core.write(db, node) as w:
        row = core.save(w, node, "households", {
            "code": "H9", "head_name": "王\u202e建国\x00\x1b", "notes": "line one\nline two\x07",
            "phone": "\u0661\u0663\u0668\u0660\u0660\u0661\u0662\u0663\u0664\u0665\u0666",  # Arabic-Indic digits
            "id_number": "５２０１０２１９８００１０１１２３ｘ"})  # full-width digits
    stored = core.get(db, "households", row)
    assert stored["head_name"] == "王建国"
    assert stored["notes"] == "line one\nline two"
    assert stored["phone"] == "13800123456"
    assert stored["id_number"] == "52010219800101123X"


# Values a received change may carry: the fast path for values already in stored form must give
# exactly what the full check gives, for each of them (taken as is, converted, or refused alike).
EDGE_VALUES = ["张志英", "e\u0301", "\u00e9", "a\x00b", "tab\there", "line\nbreak", "\u202eevil", " ", "", "x" * 201,
               "x" * 200, 0, -1, 3, 200, 201, 2 ** 53, 2 ** 60, 0.0, 3.76, -0.5, 1e7, 1e8, float("inf"),
               float("nan"), True, None, "3", "3.5", "dry", "mountain", ["a"], {"a": 1},
               # phones and ID numbers (shaped text), and ids a reference carries
               "13800123456", "138 0012 3456", "+8613800123456", "13800123456\n", " 13800123456", "1234",
               "123456", "1" * 16, "1" * 23, "+1-2-3-4-5", "１３８００１２３４５６", "52010219800101123X",
               "52010219800101123x", "520102198001011", "52010219800101123", "6f1c0b1e-4a4e-4c43-9a5e-0d1c2b3a4f5e",
               # JSON fields' text and yes/no fields' numbers
               "[]", "[ ]", '["pension"]', '["pension", "dibao"]', '{"a":1}', '{"a": 1}', "NaN", "[NaN]", "1", '"x"',
               "\"\\u5f20\"", '"张"', "[" * 3000 + "]" * 3000, 1, False, 2, 1.0]


@pytest.mark.parametrize("table", ["households", "plots", "livestock", "service_requests", "persons", "visits"])
def test_values_in_stored_form_are_taken_exactly_as_the_full_check_would(table):
    from village.records import validate
    specs = validate.fields(table)
    _specs, _required, _defaults, fast = validate.plan(table)
    assert fast, "some fields have a fast path"
    for name, test in fast.items():
        for raw in EDGE_VALUES:
            try:
                full = ("ok", validate._checked(specs[name], raw, None))
            except ValueError as exc:
                full = ("refused", exc.args[0])
            if test(raw):
                assert full == ("ok", raw) and type(full[1]) is type(raw), (name, raw, full)
