"""Completeness (/county/completeness): village × month, due visits against done, red below the area's goal."""
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from village.county.areas import chosen_area, trail
from village.county.shown import download
from village.county.views import COUNTY, names, now
from village.i18n_markers import N_
from village.records import completeness, rollups
from village.web.auth import role_required
from village.web.db import get_db
from village.web.i18n import gettext

bp = Blueprint("county_completeness", __name__, url_prefix="/county")


MEASURE_LABELS = {"follow_ups": N_("Follow-ups"), "elder_visits": N_("Elderly visits")}


def as_list(months, rows):
    """Return the matrix as a list's (columns, rows): a column per month and measure holding the cell's words."""
    columns = [("name", N_("Village")), ("goal", N_("Goal"))]
    columns += [(f"{m}/{measure}", f"{m} · {gettext(MEASURE_LABELS[measure])}") for m in months
                for measure in completeness.MEASURES]
    flat = []
    for row in rows:
        out = {"name": row["name"], "goal": row["goal"]}
        for month in months:
            for measure, (done, due, share) in row["cells"][month].items():
                mark = " !" if (month, measure) in row["below"] else ""
                out[f"{month}/{measure}"] = f"{done}/{due} · {share} %{mark}" if due else "–"
        flat.append(out)
    return columns, flat


def _page(area, problem=None, status=200):
    node, db = current_app.config["NODE"], get_db()
    default = node.setting("county_goal_percent")
    months, rows = completeness.matrix(db, area, completeness.months_back(now().date()), default)
    if status == 200:
        exported = download("completeness", *as_list(months, rows))
        if exported:
            return exported
    return render_template("county/completeness.html", area=area, trail=trail(area, node.area, names(db, node)),
                           months=months, rows=rows, measures=completeness.MEASURES, problem=problem,
                           goal=completeness.goal_for(db, area, default), fresh=rollups.refreshed_at(db)), status


@bp.get("/completeness")
@role_required(*COUNTY)
def matrix():
    """Show the village × month matrix of due and done visits for the chosen area."""
    return _page(chosen_area(current_app.config["NODE"]))


@bp.post("/completeness")
@role_required(*COUNTY)
def set_goal():
    """Set the goal (percent of due visits done) of the chosen area; a bad value shows the form again, marked."""
    area = chosen_area(current_app.config["NODE"])
    typed = request.form.get("goal", "").strip()
    if not (typed.isascii() and typed.isdigit() and 0 <= int(typed) <= 100):
        return _page(area, _("The goal is a whole percent from 0 to 100."), 400)
    completeness.set_goal(get_db(), area, int(typed), g.user)
    flash(_("The goal is set to %(n)s %%.", n=int(typed)), "info")
    return redirect(url_for("county_completeness.matrix", area=area))
