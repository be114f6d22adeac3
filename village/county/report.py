"""The monthly A4 report (/county/report) per township and for the county, and the plots of an area as GeoJSON."""
import json

from flask import Blueprint, current_app, render_template, request

from village.county.areas import chosen_area, trail
from village.records.geo import plot_count, plots_geojson
from village.records.monthly import COLUMNS as FIGURES, monthly_figures, parse_month
from village.records.workflows import CASES
from village.users import roles_for
from village.web.auth import role_required
from village.web.db import get_store
from village.web.exports import Column, exported
from village.web.i18n import gettext, lazy_gettext as _l

bp = Blueprint("county_report", __name__, url_prefix="/county")
COUNTY = roles_for("county")

LABELS = {"visits_follow_up": _l("Follow-up visits"), "visits_elderly": _l("Elderly care visits"),
          "new_leads": _l("New monitoring leads"), "requests_received": _l("Requests received"),
          "requests_closed": _l("Requests closed"), "grievances_received": _l("Grievances received"),
          "grievances_closed": _l("Grievances closed")}
COLUMNS = (Column("name", _l("Area")), Column("area", _l("Area code"), "id"),
           *(Column(key, LABELS[key], "number") for key in FIGURES))


def _names(db):
    """Return {area path: the name its node enrolled under}."""
    return dict(db.execute("SELECT area, name FROM nodes WHERE revoked_at IS NULL ORDER BY created_at"))


@bp.get("/report")
@role_required(*COUNTY)
def report():
    """Show the month's figures for the chosen area, one row per area below it, printable on A4."""
    node, db = current_app.config["NODE"], get_store()
    area = chosen_area(node)
    asked = request.args.get("month", "").strip()
    month = parse_month(asked)
    if month is None:
        return _render(area, None, asked, {}, gettext("Write the month as YYYY-MM, e.g. 2025-03.")), 400
    figures = monthly_figures(db, area, *month)
    names = _names(db)
    for row in figures["rows"]:
        row["name"] = names.get(row["area"], row["area"].rsplit("/", 1)[-1])
    download = exported(f"report-{month[0]}-{month[1]:02d}", COLUMNS, figures["rows"])
    return download or _render(area, month, asked, figures)


def _render(area, month, asked, figures, problem=None):
    node, db = current_app.config["NODE"], get_store()
    return render_template("county/report.html", area=area, trail=trail(area, node.area, _names(db)),
                           month=month, asked=asked or (month and f"{month[0]}-{month[1]:02d}"), figures=figures,
                           labels=LABELS, keys=tuple(FIGURES), problem=problem, case_label=_case_label,
                           plots=plot_count(db, area))


def _case_label(status):
    step = CASES.step(status)
    return gettext(step.label) if step else status


@bp.get("/report/plots.geojson")
@role_required(*COUNTY)
def plots():
    """Download the plots inside the chosen area as GeoJSON in WGS-84 (the system named in the file)."""
    area = chosen_area(current_app.config["NODE"])
    body = json.dumps(plots_geojson(get_store(), area), ensure_ascii=False)
    response = current_app.response_class(body, mimetype="application/geo+json")
    response.headers["Content-Disposition"] = f"attachment; filename=plots-{area.replace('/', '-')}.geojson"
    response.headers["Cache-Control"] = "no-store"
    return response
