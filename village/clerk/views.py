"""Clerk pages: the household register, one household's page, and sync status."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from village.audit import record as audit
from village.web.auth import role_required
from village.clerk.labels import init_templates
from village.web.db import get_db
from village.records import core
from village.users import roles_for

bp = Blueprint("clerk", __name__, url_prefix="/clerk")
bp.record_once(init_templates)

CLERKS = roles_for("clerk")
PAGE_SIZE = 25
# One range query per indexed column, joined by UNION, so every branch uses its index
# (a LIKE or an OR across columns would scan the whole table).
SEARCH_SQL = """id IN (
  SELECT id FROM households WHERE code >= ? AND code < ?
  UNION SELECT id FROM households WHERE code >= ? AND code < ?
  UNION SELECT id FROM households WHERE head_name >= ? AND head_name < ?
  UNION SELECT id FROM households WHERE phone >= ? AND phone < ?
  UNION SELECT id FROM households WHERE id_number >= ? AND id_number < ?
  UNION SELECT household_id FROM persons WHERE name >= ? AND name < ? AND _deleted = 0
  UNION SELECT household_id FROM persons WHERE id_number >= ? AND id_number < ? AND _deleted = 0)"""


def search_params(query):
    """Return the bounds of SEARCH_SQL's prefix ranges for `query` (as typed; upper-cased for codes, IDs)."""
    typed, upper = query.strip(), query.strip().upper()
    as_typed, upper_case = [typed, typed + "\U0010ffff"], [upper, upper + "\U0010ffff"]
    return [*as_typed, *upper_case, *as_typed, *as_typed, *upper_case, *as_typed, *upper_case]


def page_of(total, asked):
    """Return (page, pages): the page asked for as typed in ?page=, kept between the first and the last.

    Garbage or a page before the first gives the first page, one past the end the last: a
    hand-edited URL shows a page, never an error.
    """
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    try:
        page = int(asked or 1)
    except (TypeError, ValueError):
        page = 1
    return min(max(page, 1), pages), pages


def find_households(db, query, page=1):
    """Return (households, total, page, pages) matching the start of a code, name, phone or ID number."""
    where, params = "", []
    if query.strip():
        where, params = SEARCH_SQL, search_params(query)
    total = db.execute("SELECT COUNT(*) FROM households WHERE _deleted = 0" + (f" AND {where}" if where else ""),
                       params).fetchone()[0]
    page, pages = page_of(total, page)
    found = list(core.rows(db, "households", where, params, order="code", limit=PAGE_SIZE,
                           offset=(page - 1) * PAGE_SIZE))
    return found, total, page, pages


@bp.get("/")
@role_required(*CLERKS)
def index():
    """Start at the household register."""
    return redirect(url_for("clerk.households"))


@bp.get("/households")
@role_required(*CLERKS)
def households():
    """List households, optionally those matching a search, a page at a time."""
    query = request.args.get("q", "")
    found, total, page, pages = find_households(get_db(), query, request.args.get("page"))
    return render_template("clerk/households.html", households=found, total=total, q=query, page=page, pages=pages)


def household_or_404(db, row_id):
    """Return the household `row_id` as exported fields, or answer 404."""
    row = core.get(db, "households", row_id)
    if row is None:
        abort(404)
    return core.public("households", row)


@bp.get("/households/<row_id>")
@role_required(*CLERKS)
def household(row_id):
    """Show one household with its members, plots, plantings, livestock and requests."""
    db = get_db()
    hh = household_or_404(db, row_id)
    plots = list(core.rows(db, "plots", "household_id = ?", [row_id], order="name"))
    plantings = {plot["id"]: [] for plot in plots}
    # One query for the plantings of every plot, not one per plot.
    of_plots = "plot_id IN (SELECT id FROM plots WHERE household_id = ? AND _deleted = 0)"
    for planting in core.rows(db, "plantings", of_plots, [row_id], order="planted_on"):
        plantings[planting["plot_id"]].append(planting)
    return render_template(
        "clerk/household.html", hh=hh, plots=plots, plantings=plantings,
        persons=list(core.rows(db, "persons", "household_id = ?", [row_id], order="birth_date")),
        livestock=list(core.rows(db, "livestock", "household_id = ?", [row_id], order="species")),
        requests=list(core.rows(db, "service_requests", "household_id = ?", [row_id], order="rowid DESC")))


@bp.route("/sync", methods=["GET", "POST"])
@role_required(*CLERKS)
def sync():
    """Show the node's sync status; on POST, sync with the hub now."""
    from village.ops.status import node_status

    node = current_app.config["NODE"]
    db = get_db()
    try:
        from village.ops import sync as syncing
    except ImportError:
        syncing = None
    if request.method == "POST":
        if syncing is None:
            flash(_("The sync engine is not installed on this node."), "error")
        else:
            _run_sync(db, node, syncing)
        return redirect(url_for("clerk.sync"))
    return render_template("clerk/sync.html", status=node_status(db, node), can_sync=syncing is not None)


def _run_sync(db, node, syncing):
    from flask import g

    try:
        result = syncing.run_sync(node)
    except Exception as exc:  # noqa: BLE001 -- whatever breaks is shown to the clerk; the page stays up
        result = {"ok": False, "code": "error", "error": str(exc)}
    audit(db, g.user, "sync.now", node.node_id, "ok" if result["ok"] else f"{result.get('code')}: {result.get('error')}")
    if result["ok"]:
        flash(_("Sync finished: %(sent)d changes sent, %(received)d received.",
                sent=result.get("pushed", 0), received=result.get("pulled", 0)), "info")
    elif result.get("code") == "busy":
        flash(_("A sync is already running. Try again in a minute."), "error")
    elif result.get("code") == "not_enrolled":
        flash(_("This node is not enrolled at a hub yet, so it cannot sync."), "error")
    else:
        flash(_("Sync failed: %(error)s", error=result.get("error") or result.get("code")), "error")
