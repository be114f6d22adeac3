"""What every surface's views do with records and forms: a record or 404, problems next to their fields."""
from flask import abort

from village.records import core
from village.records.validate import translated
from village.web.i18n import gettext


def record_or_404(db, table, row_id):
    """Return the live record `row_id` of `table` as exported fields, or answer 404."""
    row = core.get(db, table, row_id) if row_id else None
    if row is None:
        abort(404)
    return core.public(table, row)


def problem_text(problem):
    """Return one (field, message, params) problem as text in this request's language."""
    _field, message, params = problem
    return translated(message, params, gettext)


def problems_by_field(problems, shown_as=None):
    """Return {field: [translated message, ...]}; `shown_as` renames fields to the form's names for them."""
    out = {}
    for problem in problems:
        field = (shown_as or {}).get(problem[0], problem[0])
        out.setdefault(field, []).append(problem_text(problem))
    return out
