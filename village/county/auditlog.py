"""Who did what (/county/audit): the audit log filtered by user, action and days, a page at a time; for admins."""
import datetime

from flask import Blueprint, render_template, request

from village import audit
from village.records.core import page_of
from village.web.auth import role_required
from village.web.db import get_db
from village.web.exports import Column, exported, wanted_format
from village.web.i18n import gettext, lazy_gettext as _l

bp = Blueprint("county_audit", __name__, url_prefix="/county")
ADMIN = ("admin",)  # the log names everyone's logins and addresses: an admin's to read
PAGE_SIZE = 50
MAX_EXPORT = 100_000  # an export holds every entry the filter finds, up to this many

COLUMNS = (Column("at", _l("When"), "datetime"), Column("actor", _l("Who")), Column("action", _l("What")),
           Column("target", _l("On what"), "id"), Column("detail", _l("Detail")))


def read_filter(args):
    """Return (filter values, {field: problem}) from the query string; a bad day is a problem, not an error page."""
    values = {"actor": args.get("user", "").strip()[:200] or None,
              "action": args.get("action", "").strip()[:200] or None}
    problems = {}
    for name, key in (("since", "from"), ("until", "to")):
        text = args.get(key, "").strip()
        try:
            values[name] = datetime.date.fromisoformat(text) if text else None
        except ValueError:
            values[name] = None
            problems[key] = gettext("Write the day as YYYY-MM-DD, e.g. 2025-03-01.")
    return values, problems


@bp.get("/audit")
@role_required(*ADMIN)
def log():
    """Show the audit log, newest first, filtered by ?user=, ?action=, ?from= and ?to= (days, UTC)."""
    db = get_db()
    values, problems = read_filter(request.args)
    if wanted_format() and not problems:
        _total, found = audit.entries(db, **values, limit=MAX_EXPORT)
        return exported("audit", COLUMNS, found)
    total = audit.entries(db, **values, limit=0)[0]
    page, pages = page_of(total, request.args.get("page"), PAGE_SIZE)
    _total, found = audit.entries(db, **values, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    actors, actions = audit.actors_and_actions(db)
    return render_template("county/audit.html", entries=found, total=total, page=page, pages=pages,
                           actors=actors, actions=actions, problems=problems, args=request.args), \
        400 if problems else 200
