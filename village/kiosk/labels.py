"""Words a resident sees for the stored choices of requests and grievances (translated when shown)."""
from village.records.workflows import workflow
from village.web.i18n import gettext, lazy_gettext as _l

KINDS = {
    "residence_certificate": _l("Residence certificate"),
    "subsidy": _l("Subsidy"),
    "land_certificate": _l("Land certificate"),
    "other": _l("Something else"),
}
CATEGORIES = {
    "road": _l("Roads"),
    "water": _l("Water"),
    "power": _l("Electricity"),
    "health": _l("Health"),
    "land": _l("Land"),
    "other": _l("Something else"),
}
FIELDS = {
    "kind": _l("What do you need?"),
    "applicant_name": _l("Your name"),
    "applicant_phone": _l("Your phone number"),
    "details": _l("Anything the clerk should know"),
    "household_code": _l("Household code (if you know it)"),
    "category": _l("What is the problem about?"),
    "description": _l("What happened?"),
    "location": _l("Where?"),
    "reporter": _l("Your name (leave empty to stay anonymous)"),
    "ticket": _l("Ticket number"),
}


def status(table, name):
    """Return what a resident reads for status `name` of a `table` record, translated (the name if unknown)."""
    step = workflow(table).step(name)
    return gettext(step.public) if step else name
