"""Checks across one record's own values, per table: histories, lists of choices, checklists, date order, fingerprints."""
import json
import re

from village.i18n_markers import N_
from village.records import checklists, terms
from village.records.workflows import FLOWS


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


# The history fields of the workflows: pages read them as lists of entries of these text keys.
ENTRY_KEYS = {"status", "by", "at", "note"}


def _entry_list_problem(table, name, text):
    """Return a problem when a history field is not a list of {status, by, at, note} text entries."""
    entries = json.loads(text) if isinstance(text, str) else text
    good = isinstance(entries, list) and all(
        isinstance(e, dict) and set(e) <= ENTRY_KEYS and all(isinstance(v, str) for v in e.values())
        for e in entries)
    return [] if good else [(name, N_("The history must be a list of entries with a status, who and when."), {})]


def _history(table):
    """Return the check that a workflow table's history field is a list of entries."""
    name = FLOWS[table].history

    def check(row):
        return _entry_list_problem(table, name, row[name]) if row.get(name) is not None else []
    return check


def _planting(row):
    if row.get("planted_on") and row.get("harvested_on") and row["harvested_on"] < row["planted_on"]:
        return [("harvested_on", N_("The harvest date is before the planting date."), {})]
    return []


def _announcement(row):
    if row.get("publish_at") and row.get("expires_at") and row["expires_at"] <= row["publish_at"]:
        return [("expires_at", N_("The expiry must be after the publishing time."), {})]
    if "title" in row:
        title = json.loads(row["title"]) if isinstance(row["title"], str) else row["title"]
        if not isinstance(title, dict) or not any(str(v).strip() for v in title.values()):
            return [("title", N_("Give the title as text per language, e.g. {\"en\": \"…\"}."), {})]
    return []


def _checks_of_rows():
    """Return {table: [check(row) -> problems]}: the checks across a record's fields, per table."""
    checks = {}
    for table in FLOWS:
        checks.setdefault(table, []).append(_history(table))
    for table, check in {**MONITORING_CHECKS, "plantings": _planting, "announcements": _announcement}.items():
        checks.setdefault(table, []).append(check)
    return checks


# Declared once per table; a table without an entry (households, plots, …) has none to run.
ROW_CHECKS = _checks_of_rows()


def cross_checks(table, row):
    """Return the problems of the checks across `row`'s fields that `table` declares in ROW_CHECKS."""
    return [problem for check in ROW_CHECKS[table] for problem in check(row)]
