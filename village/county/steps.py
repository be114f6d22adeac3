"""The county's steps of monitoring (/county/steps): the queues waiting for the township and the county,
support gaps and elder-care compliance. Decisions are taken on the hub's case page (clerk_cases.case).

Each of the page's lists downloads as shown with ?export= and ?part= naming it.
"""
from flask import Blueprint, abort, current_app, render_template, request
from markupsafe import Markup, escape

from village.clerk.casefacts import measure_gaps
from village.county.areas import chosen_area
from village.county.shown import MAX_EXPORT, download
from village.county.views import COUNTY, goals_stamp, kept, named_trail, now
from village.i18n_markers import N_
from village.records import completeness, county_steps, rollups
from village.web.auth import role_required
from village.web.db import get_store
from village.web.exports import wanted_format

bp = Blueprint("county_steps", __name__, url_prefix="/county")
CARE_COLUMNS = [("name", N_("Village")), ("done", N_("Visits done")), ("due_visits", N_("Visits due")),
                ("share", N_("Rate"))]


def _care(db, node, area, month):
    """Return each village's elder-care visits of `month`: {name, done, due_visits, share}."""
    _months, rows = completeness.matrix(db, area, [month], node.setting("county_goal_percent"))
    out = []
    for row in rows:
        done, due, share = row["cells"][month]["elder_visits"]
        out.append({"name": row["name"], "area": row["area"], "done": done, "due_visits": due, "share": share})
    return out


def care_rows(care):
    """Return the rows (<tr>…</tr>) of elder-care compliance as one piece of HTML: each village's visits done and
    due and its rate, marked class="is-bad" below 100 %.

    Python, not a template loop: the county's two hundred villages are all listed.
    """
    out = []
    for row in care:
        share = row["share"]
        start = '<tr class="is-bad">' if share is not None and share < 100 else "<tr>"
        rate = "–" if share is None else f"{escape(share)} %"
        out.append(f'{start}<td>{escape(row["name"])}</td><td>{escape(row["done"])}</td>'
                   f'<td>{escape(row["due_visits"])}</td><td>{rate}</td></tr>')
    return Markup("\n".join(out))


def _export(db, node, area, today, part):
    """Return the download of one list of the page (`part`: a queue's name, "gaps" or "care"); 404 for another."""
    if part in county_steps.QUEUES:
        columns, rows, _total = county_steps.queue(db, area, part, MAX_EXPORT)
        return download(f"steps-{part}", columns, rows)
    if part == "gaps":
        return download("support-gaps", *county_steps.support_gaps(db, area, today, measure_gaps))
    if part == "care":
        return download("elder-care", CARE_COLUMNS, _care(db, node, area, county_steps.this_month(today)))
    abort(404)


@bp.get("/steps")
@role_required(*COUNTY)
def steps():
    """Show the cases waiting for the township and the county with their evidence, the gaps, and elder care."""
    node, db, today = current_app.config["NODE"], get_store(), now().date()
    area = chosen_area(node)
    if wanted_format():
        return _export(db, node, area, today, request.args.get("part"))
    month = county_steps.this_month(today)
    queues, (gap_columns, gaps), care = kept(db, ("steps", area, today, goals_stamp(db)), lambda: (
        [(name, title, *county_steps.queue(db, area, name)) for name, (title, _) in county_steps.QUEUES.items()],
        county_steps.support_gaps(db, area, today, measure_gaps), _care(db, node, area, month)))
    return render_template("county/steps.html", area=area, trail=named_trail(db, node, area),
                           queues=queues, gap_columns=gap_columns, gaps=gaps, care=care, care_columns=CARE_COLUMNS,
                           care_rows=care_rows, month=month, fresh=rollups.refreshed_at(db))
