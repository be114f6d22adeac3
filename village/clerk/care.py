"""Clerk pages of elderly care (DOMAIN 2): the elders by next visit due, the monthly visit rate, a new profile."""
import datetime

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from village.clerk.childforms import child_form
from village.clerk.labels import init_templates
from village.clerk.views import CLERKS
from village.records import core
from village.records.care import schedule, visit_rate
from village.web.auth import role_required
from village.web.db import get_store
from village.web.forms import record_or_404

bp = Blueprint("clerk_care", __name__, url_prefix="/clerk")
bp.record_once(init_templates)

RATE_MONTHS = 4  # this month and the three before it


def months_back(today, count=RATE_MONTHS):
    """Return "YYYY-MM" of the month of `today` and the `count` - 1 months before it, newest first."""
    out, year, month = [], today.year, today.month
    for _i in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out


def rate_table(db, area, months):
    """Return (villages, {village: {month: (done, due)}}): the visit rate of each village area, month by month."""
    rates = {month: visit_rate(db, month, area) for month in months}
    villages = sorted({village for by_area in rates.values() for village in by_area})
    return villages, {v: {m: rates[m].get(v, (0, 0)) for m in months} for v in villages}


@bp.get("/elders")
@role_required(*CLERKS)
def elders():
    """List the elders of this node's area by next visit due, the most overdue first, and the visit rates."""
    db, node = get_store(), current_app.config["NODE"]
    today = datetime.date.today()
    months = months_back(today)
    villages, rates = rate_table(db, node.area, months)
    return render_template("clerk/elders.html", elders=schedule(db, node.area, today), today=today,
                           months=months, villages=villages, rates=rates)


@bp.route("/persons/<row_id>/elder", methods=["GET", "POST"])
@role_required(*CLERKS)
def new_elder(row_id):
    """Show the form of a person's elder profile; on POST save it (a person has at most one)."""
    db = get_store()
    person = record_or_404(db, "persons", row_id)
    if next(core.rows(db, "elder_profiles", "person_id = ?", [row_id], limit=1), None):
        flash(_("%(name)s already has an elder profile.", name=person["name"]), "info")
        return redirect(url_for("clerk_care.elders"))
    return child_form("elder_profiles", row_id, {"next_visit_due": datetime.date.today().isoformat()},
                      url_for("clerk_care.elders"))
