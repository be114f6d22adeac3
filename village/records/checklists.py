"""The structured checklist of each kind of visit (DOMAIN 1-2), declared once, and its check.

A visit's `answers` hold one value per item of its kind's checklist: the pages draw the form
from these items, and every tier checks received answers against them.
"""
import math
from dataclasses import dataclass
from types import MappingProxyType

from village.i18n_markers import N_
from village.records.terms import PLOT_CONDITIONS, RISKS


@dataclass(frozen=True)
class Item:
    """One question of a checklist: its key in `answers`, the kind of its answer and its words."""

    name: str
    kind: str  # yes_no | yuan | text | choice | choices (a list, main first) | files (attachment ids)
    label: str
    choices: tuple = ()
    group: str = ""  # the heading it is shown under


def _yes_no(group, *pairs):
    return tuple(Item(name, "yes_no", label, group=group) for name, label in pairs)


POVERTY_FOLLOW_UP = (
    Item("income_per_person", "yuan", N_("Income per person this year (yuan)"), group=N_("Income and spending")),
    Item("major_spending", "yuan", N_("Large unavoidable spending this year (yuan)"), group=N_("Income and spending")),
    *_yes_no(N_("Three guarantees and water"), ("school_secure", N_("Children's schooling secure")),
             ("medical_secure", N_("Basic medical care secure")), ("housing_secure", N_("Housing safe")),
             ("water_secure", N_("Drinking water safe"))),
    Item("risks", "choices", N_("Risks, the main one first"), tuple(RISKS), group=N_("Risks")),
)

ELDERLY_CARE = (
    *_yes_no(N_("Health"), ("speech_ok", N_("Speaks clearly")), ("mobility_ok", N_("Moves about unaided")),
             ("reactions_ok", N_("Reacts normally")), ("illness", N_("Ill now")), ("mood_ok", N_("In good spirits"))),
    *_yes_no(N_("Money"), ("food_ok", N_("Enough food")), ("clothing_ok", N_("Enough clothing")),
             ("housing_ok", N_("Housing adequate")), ("transport_ok", N_("Can get about")),
             ("medical_costs_ok", N_("Can pay for medical care")), ("benefits_received", N_("Receives their benefits"))),
    *_yes_no(N_("Family"), ("children_contact", N_("Children in contact within 30 days"))),
    *_yes_no(N_("Safety"), ("house_safe", N_("House safe")), ("water_safe", N_("Water safe")),
             ("power_safe", N_("Power safe")), ("gas_safe", N_("Gas safe")), ("heating_ok", N_("Heating adequate"))),
    *_yes_no(N_("Needs"), ("needs_care", N_("Needs daily care")), ("needs_rehabilitation", N_("Needs rehabilitation")),
             ("needs_company", N_("Needs company")), ("needs_home_adaptation", N_("Needs home adaptation"))),
    Item("referral", "text", N_("Referred to"), group=N_("Result")),
)

PLOT_INSPECTION = (
    Item("plot_id", "text", N_("Plot"), group=N_("Plot")),
    Item("crop", "text", N_("Crop"), group=N_("Plot")),
    Item("condition", "choice", N_("Condition"), tuple(PLOT_CONDITIONS), group=N_("Plot")),
    Item("photos", "files", N_("Photos"), group=N_("Plot")),
)

CHECKLISTS = MappingProxyType({
    "poverty_monitoring": POVERTY_FOLLOW_UP, "elderly_care": ELDERLY_CARE, "plot_inspection": PLOT_INSPECTION,
})
MAX_TEXT = 500
MAX_LIST = 20


def problems(kind, answers):
    """Return (field, message, params) problems of a visit's `answers` against its kind's checklist."""
    items = {item.name: item for item in CHECKLISTS.get(kind, ())}
    if answers is None:
        return []
    if not isinstance(answers, dict):
        return [("answers", N_("The answers must be one value per checklist question."), {})]
    found = []
    for name, value in answers.items():
        item = items.get(name)
        if item is None:
            found.append(("answers", N_("“%(item)s” is not a question of this kind of visit."), {"item": str(name)[:40]}))
        elif value is not None and not _fits(item, value):
            found.append(("answers", N_("The answer to “%(item)s” is not valid."), {"item": name}))
    return found


def _fits(item, value):
    """Return True when `value` is an answer of `item`'s kind."""
    if item.kind == "yes_no":
        return isinstance(value, bool)
    if item.kind == "yuan":
        return type(value) in (int, float) and math.isfinite(value) and 0 <= value <= 1e9
    if item.kind == "text":
        return isinstance(value, str) and len(value) <= MAX_TEXT
    if item.kind == "choice":
        return value in item.choices
    if item.kind == "choices":
        return (isinstance(value, list) and len(value) <= MAX_LIST and all(v in item.choices for v in value)
                and len(set(value)) == len(value))
    # "files": the ids of the visit's photo records (attachments), each once.
    return (isinstance(value, list) and len(value) <= MAX_LIST and len(set(map(str, value))) == len(value)
            and all(isinstance(v, str) and 0 < len(v) <= 64 for v in value))
