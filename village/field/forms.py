"""The field app's forms as JSON, drawn from the declarations (schema, checklists, terms), and its words per language.

The tablet builds its forms and checks its values from `describe()`; the node checks again on
receipt. Labels travel as their English text; `words(lang)` maps each to its translation.
"""
from village.clerk.labels import CHOICE_LABELS, FIELD_LABELS, TABLE_LABELS
from village.clerk.visits import KIND_LABELS, RISK_LABELS
from village.field.strings import UI
from village.i18n import translations
from village.records.checklists import CHECKLISTS
from village.records.schema import FIELD_EVIDENCE, fields

# What a field worker edits on the tablet, and the field each hangs from (set by the app).
TABLES = {"households": None, "persons": "household_id", "plots": "household_id", "plantings": "plot_id",
          "visits": "household_id"}
# Visit fields the app fills itself (the household, the kind, the worker) or that need records
# the tablet does not hold (cases, elder profiles).
VISIT_SET_BY_APP = ("household_id", "kind", "visitor", "answers", "case_id", "elder_id")


def msgid(label):
    """Return the English text of a label (a lazy translation or a plain string)."""
    return label._args[0] if hasattr(label, "_args") else str(label)


def _choice_words(table, name, value):
    if table == "visits" and name == "risk_level":
        return msgid(RISK_LABELS[value])
    return msgid(CHOICE_LABELS.get(value, value))


def _field(table, spec):
    """Return one field's description: what the form shows and what the tablet checks."""
    out = {"name": spec.name, "kind": spec.kind, "label": msgid(FIELD_LABELS.get(spec.name, spec.name)),
           "required": spec.required, "max_chars": spec.max_chars, "multiline": spec.multiline}
    if spec.choices:
        out["choices"] = [[value, _choice_words(table, spec.name, value)] for value in spec.choices]
    for key in ("minimum", "maximum"):
        if getattr(spec, key) is not None:
            out[key] = getattr(spec, key)
    if spec.exclusive_min:
        out["exclusive_min"] = True
    return out


def _table(table, parent):
    skip = set(VISIT_SET_BY_APP if table == "visits" else ()) | {parent}
    specs = [s for s in fields(table).values() if s.name not in skip and s.kind != "json"]
    return {"label": msgid(TABLE_LABELS[table]), "parent": parent, "fields": [_field(table, s) for s in specs]}


def _item(item):
    out = {"name": item.name, "kind": item.kind, "label": msgid(item.label), "group": msgid(item.group)}
    if item.choices:
        out["choices"] = [[value, msgid(CHOICE_LABELS[value])] for value in item.choices]
    return out


def describe():
    """Return the JSON-ready description of every form of the field app."""
    return {
        "tables": {table: _table(table, parent) for table, parent in TABLES.items()},
        "checklists": {kind: {"label": msgid(KIND_LABELS[kind]), "items": [_item(i) for i in items]}
                       for kind, items in CHECKLISTS.items()},
        "photo": dict(FIELD_EVIDENCE),  # the attachments record a photo taken in the app becomes
    }


def _texts(value, found):
    """Collect every label text of the description `value` into `found`."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in ("label", "group") and inner:
                found.add(inner)
            elif key == "choices":
                found.update(words for _, words in inner)
            else:
                _texts(inner, found)
    elif isinstance(value, list):
        for inner in value:
            _texts(inner, found)
    return found


def words(lang):
    """Return {English text: its translation in `lang`} of every text the field app shows."""
    catalog = translations(lang)
    return {text: catalog.ugettext(text) for text in sorted(_texts(describe(), set(UI)))}
