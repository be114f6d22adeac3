"""Turn what a resident typed at the kiosk into a service request or grievance, or into problems."""
import re

from village.i18n_markers import N_
from village.records import core, households
from village.records.services import submit
from village.records.validate import ValidationError

FORM_FIELDS = {
    "service_requests": ("kind", "applicant_name", "applicant_phone", "details"),
    "grievances": ("category", "description", "location", "reporter"),
}
# The form's name for a field whose problems the record reports under another name.
SHOWN_AS = {"household_id": "household_code"}
# The clerk calls the applicant back, so the kiosk insists on a phone number the schema leaves optional.
KIOSK_REQUIRED = {"service_requests": ("applicant_phone",), "grievances": ()}
PHONE_RE = re.compile(r"^\+?\d{5,15}$")


def values_from(table, form):
    """Return the typed values of `table`'s kiosk form, trimmed; empty ones left out."""
    values = {}
    for name in FORM_FIELDS[table]:
        text = (form.get(name) or "").strip()
        if text:
            values[name] = text
    return values


def _phone(text):
    return re.sub(r"[\s\-()]", "", text)


def kiosk_problems(db, node, table, form, values):
    """Return the problems only the kiosk checks (phone shape, household code); fix up `values`."""
    problems = []
    for name in KIOSK_REQUIRED[table]:
        if name not in values:
            problems.append((name, N_("This is required."), {}))
    if "applicant_phone" in values:
        values["applicant_phone"] = _phone(values["applicant_phone"])
        if not PHONE_RE.match(values["applicant_phone"]):
            problems.append(("applicant_phone", N_("A phone number has 5 to 15 digits."), {}))
    code = (form.get("household_code") or "").strip()
    if table == "service_requests" and code:
        household = households.by_code(db, node.area, code)
        if household is None:
            problems.append(("household_code", N_("No household here has the code “%(code)s”."), {"code": code}))
        else:
            values["household_id"] = household
    return problems


def submit_form(db, node, table, form):
    """Save the kiosk form as a new record of `table`; return its ticket or raise ValidationError.

    Nothing is saved when any problem is found: the kiosk's own checks and the record's
    validation are reported together, and the transaction is rolled back.
    """
    values = values_from(table, form)
    problems = kiosk_problems(db, node, table, form, values)
    with core.write(db, node) as writer:
        try:
            _row_id, ticket = submit(writer, node, table, values)
        except ValidationError as exc:
            problems = exc.problems + problems
        if problems:
            raise ValidationError(problems)
    return ticket
