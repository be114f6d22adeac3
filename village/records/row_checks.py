"""Checks of one monitoring or care record's own values: lists of choices, checklists, date order, fingerprints."""
import json
import re

from village.i18n_markers import N_
from village.records import checklists, terms


def _list_problem(row, name, allowed, message):
    """Return a problem when field `name` is not a list of distinct values from `allowed`."""
    value = row.get(name)
    if value is None:
        return []
    items = json.loads(value) if isinstance(value, str) else value
    if isinstance(items, list) and len(items) <= len(allowed) and len(set(map(str, items))) == len(items) \
            and all(item in allowed for item in items):
        return []
    return [(name, message, {"choices": ", ".join(allowed)})]


_SHA256 = re.compile("^[0-9a-f]{64}$")


def _case(row):
    return _list_problem(row, "risks", tuple(terms.RISKS), N_("Risks are a list of: %(choices)s.")) + \
        _order(row, "notice_from", "notice_to", N_("The notice must end after it starts."))


def _person(row):
    return _list_problem(row, "benefits", tuple(terms.MEASURE_TYPES), N_("Benefits are a list of: %(choices)s."))


def _measure(row):
    return _order(row, "start_on", "end_on", N_("A measure must end after it starts."))


def _visit(row):
    if row.get("answers") is None:
        return []
    answers = json.loads(row["answers"]) if isinstance(row["answers"], str) else row["answers"]
    return checklists.problems(row.get("kind"), answers)


def _attachment(row):
    if row.get("sha256") is not None and not _SHA256.match(str(row["sha256"])):
        return [("sha256", N_("A file's fingerprint is 64 hexadecimal digits (sha256)."), {})]
    return []


# The monitoring tables' checks of one record's own values (lists, checklists, date order, fingerprints).
MONITORING_CHECKS = {"monitor_cases": _case, "persons": _person, "measures": _measure, "visits": _visit,
                     "attachments": _attachment}


def _order(row, first, then, message):
    if row.get(first) and row.get(then) and row[then] < row[first]:
        return [(then, message, {})]
    return []
