"""Village-station health (/county/health): every village worst first, and the printable list of villages to phone."""
from flask import Blueprint, current_app, render_template, request

from village.county.areas import chosen_area
from village.county.shown import download, paged
from village.county.views import COUNTY, named_trail, now
from village.records import rollups, stations
from village.web.auth import role_required
from village.web.db import get_store

bp = Blueprint("county_health", __name__, url_prefix="/county")


PHONE_COLUMNS = [column for column in stations.COLUMNS if column[0] in ("name", "area", "last_seen", "problems")]


def _page(template, only_problems):
    node, db = current_app.config["NODE"], get_store()
    area = chosen_area(node)
    columns, rows = stations.health(db, area, now())
    if only_problems:
        rows = [r for r in rows if r["problems"]]
    fresh = max([r["last_seen"] for r in rows if r["last_seen"]], default=None) or rollups.refreshed_at(db)
    columns, rows, total, page, pages = paged(lambda limit, offset: (columns, rows[offset:offset + limit], len(rows)),
                                              request.args)
    exported = download("villages-to-phone" if only_problems else "village-stations",
                        PHONE_COLUMNS if only_problems else columns, rows)
    return exported or render_template(template, area=area, trail=named_trail(db, node, area),
                                       columns=columns, rows=rows, total=total, page=page, pages=pages, fresh=fresh)


@bp.get("/health")
@role_required(*COUNTY)
def health():
    """Show each village station's health, the worst first."""
    return _page("county/health.html", False)


@bp.get("/health/phone")
@role_required(*COUNTY)
def phone():
    """Show the printable list of villages to phone: those with a problem, and why."""
    return _page("county/phone.html", True)
