"""The printed public notice shows name, category and reason, and nothing personal, in every language (DOMAIN 1)."""
import pytest
from test_clerk_cases import a_case, text_of, to_notice

from village.clerk.labels import mask
from village.i18n import translations
from village.records import core, terms
from village.records.schema import fields

LANGS = ("zh_Hans", "ug", "en")
# Fields that say how a person is or what they get: never on a public notice, whatever their value.
PRIVATE_FIELDS = ("health", "disability", "labour_capacity", "school_stage", "work", "benefits")


@pytest.fixture
def on_notice(clerk, node, db):
    """A case on notice whose household holds every kind of personal data; returns (household, case, values)."""
    hh, case = a_case(db, node, risks=("illness", "disability"))
    personal = {"id_number": "52010219800101123X", "phone": "13812345678"}
    member = {**personal, "id_number": "520102195003030021", "phone": "13987654321", "health": "serious",
              "disability": "双下肢截瘫", "labour_capacity": "no_labour", "school_stage": "junior",
              "work": "migrant_work", "benefits": ["minimum_allowance"]}
    with core.write(db, node) as w:
        core.save(w, node, "households", personal, row_id=hh)
        person = core.save(w, node, "persons", {"household_id": hh, "name": "李桂芳", **member})
        core.save(w, node, "elder_profiles", {"person_id": person, "tier": "key", "contacts": "儿子 13700001111"})
        core.save(w, node, "monitor_cases", {"notes": "肝癌晚期，在省医院化疗"}, row_id=case)
    to_notice(db, node, case, ended_days_ago=-2)
    return hh, case, member


def sensitive_values(db):
    """Return every value held in a field marked sensitive, anywhere in the database, as text."""
    found = []
    for table in ("households", "persons", "elder_profiles"):
        for name, spec in fields(table).items():
            if spec.sensitive:
                found += [row[0] for row in db.execute(f"SELECT [{name}] FROM [{table}] WHERE [{name}] != ''")]
    return found


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("one", [True, False], ids=["one case", "every case on notice"])
def test_the_notice_shows_name_category_and_reason_and_nothing_personal(clerk, db, on_notice, lang, one):
    _hh, case, member = on_notice
    url = f"/clerk/cases/{case}/notice" if one else "/clerk/cases/notice"
    page = clerk.get(f"{url}?lang={lang}")
    assert page.status_code == 200
    text, html = text_of(page), page.get_data(as_text=True)
    say = translations(lang).ugettext
    assert "张秀兰" in text
    assert say(terms.CATEGORIES["edge_vulnerable"]) in text
    assert say(terms.RISKS["illness"]) in text and say(terms.RISKS["disability"]) in text
    leaks = [v for v in sensitive_values(db) if v in html or mask(v) in html]
    assert len(sensitive_values(db)) >= 5 and not leaks
    for name in PRIVATE_FIELDS:
        values = member[name] if isinstance(member[name], list) else [member[name]]
        for value in values:
            words = terms.label_of(value)
            assert value not in html and (words is None or say(words) not in text), (name, value)
    assert "肝癌" not in html and "李桂芳" not in html  # the case's notes, and members other than the head


def test_the_notice_prints_on_a4_without_the_page_around_it(clerk, on_notice):
    _hh, case, _member = on_notice
    html = clerk.get(f"/clerk/cases/{case}/notice").get_data(as_text=True)
    assert 'id="print-button"' in html and 'class="public-notice"' in html
    css = clerk.get("/static/clerk/monitoring.css").get_data(as_text=True)
    assert "@media print" in css and "size: A4" in css
