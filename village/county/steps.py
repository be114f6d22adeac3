"""The county's steps of monitoring (/county/steps): the queues waiting for the township and the county,
support gaps and elder-care compliance. Decisions are taken on the hub's case page (clerk_cases.case)."""
from flask import Blueprint, current_app, render_template

from village.clerk.casefacts import measure_gaps
from village.county.areas import chosen_area, trail
from village.county.views import COUNTY, names, now
from village.records import completeness, county_steps, rollups
from village.web.auth import role_required
from village.web.db import get_db

bp = Blueprint("county_steps", __name__, url_prefix="/county")


@bp.get("/steps")
@role_required(*COUNTY)
def steps():
    """Show the cases waiting for the township and the county with their evidence, the gaps, and elder care."""
    node, db, today = current_app.config["NODE"], get_db(), now().date()
    area = chosen_area(node)
    queues = [(name, title, *county_steps.queue(db, area, name)) for name, (title, _) in county_steps.QUEUES.items()]
    gap_columns, gaps = county_steps.support_gaps(db, area, today, measure_gaps)
    month = county_steps.this_month(today)
    _months, care = completeness.matrix(db, area, [month], node.setting("county_goal_percent"))
    return render_template("county/steps.html", area=area, trail=trail(area, node.area, names(db, node)),
                           queues=queues, gap_columns=gap_columns, gaps=gaps, care=care, month=month,
                           fresh=rollups.refreshed_at(db))
