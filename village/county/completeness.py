"""Completeness (/county/completeness): village × month, due visits against done, red below the area's goal."""
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from village.county.areas import chosen_area
from village.county.shown import download, paged
from village.web.links import row_link
from village.county.views import COUNTY, goals_stamp, kept, named_trail, now
from village.i18n_markers import N_
from village.records import completeness, rollups
from village.web.auth import role_required
from village.web.db import get_store
from village.web.i18n import gettext

bp = Blueprint("county_completeness", __name__, url_prefix="/county")


MEASURE_LABELS = {"follow_ups": N_("Follow-ups"), "elder_visits": N_("Elderly visits")}


def matrix_columns(months):
    """Return the matrix's columns as a list's [(key, label)]: the village, its goal, then one per month and measure.

    Made for each request: a month's label is in the words of the page's language.
    """
    return [("name", N_("Village")), ("goal", N_("Goal"))] + [
        (f"{m}/{measure}", f"{m} · {gettext(MEASURE_LABELS[measure])}") for m in months
        for measure in completeness.MEASURES]


def as_rows(months, rows):
    """Return the matrix's rows as a list's: each holds the cell's words under its column's key (`matrix_columns`)."""
    flat = []
    for row in rows:
        # "marks": the cells in the columns' order, escaped once here, with whether each is below the goal, for
        # the page (`matrix_rows`).
        out = {"name": row["name"], "area": row["area"], "goal": row["goal"], "marks": []}
        for month in months:
            for measure, (done, due, share) in row["cells"][month].items():
                below = (month, measure) in row["below"]
                out[f"{month}/{measure}"] = f"{done}/{due} · {share} %" + (" !" if below else "") if due else "–"
                out["marks"].append((escape(out[f"{month}/{measure}"]), below))
        flat.append(out)
    return flat


def matrix_rows(rows):
    """Return the matrix's rows (<tr>…</tr>) as one piece of HTML: each village linked to its own matrix, its goal,
    then its cells, those below the goal marked class="is-bad".

    Python, not a template loop: a page of a hundred villages has twelve hundred cells.
    """
    link, out = row_link("county_completeness.matrix", "area", "area"), []
    for row in rows:
        marks = "".join(f'<td class="is-bad">{html}</td>' if below else f"<td>{html}</td>"
                        for html, below in row["marks"])
        out.append(f'<tr><th scope="row"><a href="{escape(link(row))}">{escape(row["name"])}</a></th>'
                   f'<td>{escape(row["goal"])} %</td>{marks}</tr>')
    return Markup("\n".join(out))


def _page(area, problem=None, status=200):
    node, db = current_app.config["NODE"], get_store()
    default = node.setting("county_goal_percent")
    months = completeness.months_back(now().date())
    columns = matrix_columns(months)
    rows = kept(db, ("completeness", area, tuple(months), default, goals_stamp(db)),
                lambda: as_rows(*completeness.matrix(db, area, months, default)))
    args = request.args if status == 200 else {}  # the form shown again: its first page
    _columns, shown, total, page, pages = paged(lambda limit, offset: (columns, rows[offset:offset + limit], len(rows)),
                                                args)
    exported = download("completeness", columns, shown) if status == 200 else None
    return exported or (render_template(
        "county/completeness.html", area=area, trail=named_trail(db, node, area), months=months,
        rows=shown, matrix_rows=matrix_rows, total=total, page=page, pages=pages, problem=problem,
        goal=completeness.goal_for(db, area, default),
        fresh=rollups.refreshed_at(db)), status)


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
    completeness.set_goal(get_store(), area, int(typed), g.user)
    flash(_("The goal is set to %(n)s %%.", n=int(typed)), "info")
    return redirect(url_for("county_completeness.matrix", area=area))
