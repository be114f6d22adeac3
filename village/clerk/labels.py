"""What the clerk pages call each table, field and choice, translated when shown."""
from village.records.privacy import mask
from village.records.workflows import workflow
from village.web.i18n import gettext, lazy_gettext as _l

TABLE_LABELS = {
    "households": _l("Household"), "persons": _l("Member"), "plots": _l("Plot"), "plantings": _l("Planting"),
    "livestock": _l("Livestock"), "service_requests": _l("Service request"), "grievances": _l("Grievance"),
    "visits": _l("Visit"), "announcements": _l("Announcement"), "market_prices": _l("Market price"),
}

FIELD_LABELS = {
    "code": _l("Household code"), "head_name": _l("Head of household"), "id_number": _l("ID number"),
    "phone": _l("Phone"), "address": _l("Address"), "members": _l("Number of members"),
    "monitoring_status": _l("Monitoring status"), "notes": _l("Notes"), "name": _l("Name"), "sex": _l("Sex"),
    "birth_date": _l("Birth date"), "relation": _l("Relation to the head"), "lives_alone": _l("Lives alone"),
    "disability": _l("Disability"), "area_mu": _l("Area (mu)"), "land_type": _l("Land type"),
    "lat": _l("Latitude"), "lon": _l("Longitude"), "season": _l("Season"), "crop": _l("Crop"),
    "variety": _l("Variety"), "planted_on": _l("Planted on"), "harvested_on": _l("Harvested on"),
    "yield_kg": _l("Yield (kg)"), "inputs": _l("Inputs"), "species": _l("Species"), "count": _l("Count"),
    "vaccinated_on": _l("Vaccinated on"), "ticket": _l("Ticket"), "applicant_name": _l("Applicant"),
    "applicant_phone": _l("Applicant's phone"), "kind": _l("Kind"), "details": _l("Details"),
    "status": _l("Status"), "category": _l("Category"), "description": _l("Description"),
    "location": _l("Location"), "reporter": _l("Reporter"), "id": _l("Record"), "area": _l("Area"),
    "household_id": _l("Household"), "plot_id": _l("Plot"),
}

CHOICE_LABELS = {
    # monitoring status
    "none": _l("none"), "watch": _l("watch"), "at_risk": _l("at risk"), "supported": _l("supported"),
    # sex
    "female": _l("female"), "male": _l("male"),
    # land types
    "paddy": _l("paddy field"), "dry": _l("dry land"), "orchard": _l("orchard"), "tea": _l("tea garden"),
    "forest": _l("forest"), "pond": _l("pond"), "other": _l("other"),
    # request kinds
    "residence_certificate": _l("residence certificate"), "subsidy": _l("subsidy"),
    "land_certificate": _l("land certificate"),
    # grievance categories
    "road": _l("road"), "water": _l("water"), "power": _l("power"), "health": _l("health"), "land": _l("land"),
}

def status_label(table, name):
    """Return the clerk's word for status `name` of a `table` record, translated (the name if unknown)."""
    step = workflow(table).step(name)
    return gettext(step.label) if step else name


def action_label(table, name):
    """Return the clerk's button that moves a `table` record into status `name`, translated."""
    step = workflow(table).step(name)
    return gettext(step.action) if step and step.action else status_label(table, name)


def choice_label(value):
    """Return the translated label of a stored choice value (the value itself if unknown)."""
    return CHOICE_LABELS.get(value, value) if value is not None else ""


def field_label(name):
    """Return the translated label of field `name`."""
    return FIELD_LABELS.get(name, name)


# Why the hub (or this node) refused a change it received: the codes of sync.screen and records.trust.
REFUSAL_LABELS = {
    "outside_area": _l("The record belongs to another village's area."),
    "not_writable": _l("Only the county publishes these records."),
    "invalid": _l("A value is not valid."),
    "unknown_record": _l("The record does not exist at the receiver."),
    "malformed": _l("The change was damaged or not understood."),
}


def init_templates(state):
    """Give the clerk templates the labels and the mask filter."""
    env = state.app.jinja_env
    env.filters.setdefault("mask", mask)
    env.filters.setdefault("choice_label", choice_label)
    env.globals.setdefault("field_label", field_label)
    env.globals.setdefault("table_label", TABLE_LABELS.get)
    env.globals.setdefault("status_label", status_label)
    env.globals.setdefault("action_label", action_label)
    env.globals.setdefault("refusal_label", REFUSAL_LABELS.get)
