"""Turn what a resident typed at the kiosk into a service request or grievance, or into problems."""
import re

from village.i18n_markers import N_
from village.records import core
from village.records.services import submit
from village.records.validate import ValidationError

FORM_FIELDS = {
    "service_requests": ("kind", "applicant_name", "applicant_phone", "details"),
    "grievances": ("category", "description", "location", "reporter"),
}
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


def _household_id(db, node, code):
    for typed in dict.fromkeys([code, code.upper()]):
        found = list(core.rows(db, "households", "code = ? AND (area = ? OR area LIKE ?)",
                               [typed, node.area, node.area + "/%"], limit=1))
        if found:
            return found[0]["id"]
    return None


def code_letters(db, sample=50, most=6):
    """Return the letters this village's household codes use (e.g. HX0042 -> H, X), for the keypad."""
    codes = [r[0] or "" for r in db.execute("SELECT code FROM households WHERE _deleted = 0 LIMIT ?", [sample])]
    return sorted({ch for code in codes for ch in code.upper() if ch.isalpha() and ch.isascii()})[:most]


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
        household = _household_id(db, node, code)
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


def problems_by_field(error, gettext):
    """Return {field: [translated message, ...]} for the problems of `error`."""
    out = {}
    for field, message, params in error.problems:
        field = "household_code" if field == "household_id" else field
        out.setdefault(field, []).append(gettext(message) % params)
    return out
