"""What the clerk pages call each table, field and choice, translated when shown."""
from village.records import terms
from village.records.privacy import mask
from village.records.workflows import FLOWS
from village.web.i18n import gettext, lazy_gettext as _l

TABLE_LABELS = {
    "households": _l("Household"), "persons": _l("Member"), "plots": _l("Plot"), "plantings": _l("Planting"),
    "livestock": _l("Livestock"), "service_requests": _l("Service request"), "grievances": _l("Grievance"),
    "visits": _l("Visit"), "announcements": _l("Announcement"), "market_prices": _l("Market price"),
    "monitor_cases": _l("Monitoring case"), "measures": _l("Support measure"), "elder_profiles": _l("Elder profile"),
    "monitor_thresholds": _l("Monitoring threshold"), "attachments": _l("Evidence file"),
    "alert_receipts": _l("Alert receipt"),
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
    "poverty_exit_year": _l("Year left poverty"), "labour_capacity": _l("Labour capacity"), "health": _l("Health"),
    "school_stage": _l("School stage"), "work": _l("Work"), "benefits": _l("Benefits received"),
    "mode": _l("How the visit was made"), "case_id": _l("Monitoring case"), "elder_id": _l("Elder profile"),
    "referral": _l("Referred to"), "next_due": _l("Next visit due"), "visitor": _l("Visitor"),
    "visited_on": _l("Visited on"), "answers": _l("Checklist"), "risk_level": _l("Risk"), "follow_up": _l("Follow-up"),
    "programme": _l("Programme"), "risks": _l("Risks"), "channel": _l("Where the lead came from"),
    "lead_on": _l("Lead recorded on"), "income_per_person": _l("Income per person (yuan a year)"),
    "major_spending": _l("Large unavoidable spending (yuan)"), "school_secure": _l("Schooling secure"),
    "medical_secure": _l("Medical care secure"), "housing_secure": _l("Housing safe"),
    "water_secure": _l("Drinking water safe"), "consent_on": _l("Consent signed on"),
    "consent_file": _l("Signed consent form"), "deliberation_on": _l("Deliberation held on"),
    "notice_from": _l("Notice posted from"), "notice_to": _l("Notice posted until"),
    "township_by": _l("Township reviewer"), "township_on": _l("Township review on"),
    "county_by": _l("County decision by"), "county_on": _l("County decision on"), "steps": _l("Steps"),
    "elimination_type": _l("Elimination type"), "eliminated_on": _l("Eliminated on"), "reason": _l("Reason"),
    "type": _l("Measure"), "start_on": _l("Starts on"), "end_on": _l("Ends on"), "contact": _l("Contact person"),
    "amount": _l("Amount (yuan)"), "person_id": _l("Person"), "tier": _l("Care tier"), "reasons": _l("Reasons"),
    "contacts": _l("Contacts"), "next_visit_due": _l("Next visit due"), "year": _l("Year"),
    "province": _l("Province"), "yuan_per_person": _l("Yuan per person a year"), "owner_table": _l("Belongs to"),
    "owner_id": _l("Belongs to record"), "sha256": _l("Fingerprint"), "size": _l("Size (bytes)"),
    "mime": _l("File type"), "taken_on": _l("Taken on"),
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
    # the monitoring and care lists, declared with their words in records.terms
    **{value: _l(words) for values in terms.ALL for value, words in values.items()},
}

def status_label(table, name):
    """Return the clerk's word for status `name` of a `table` record, translated (the name if unknown)."""
    step = FLOWS[table].step(name)
    return gettext(step.label) if step else name


def action_label(table, name):
    """Return the clerk's button that moves a `table` record into status `name`, translated."""
    step = FLOWS[table].step(name)
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
