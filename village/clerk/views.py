"""Clerk pages: the household register, one household's page, and sync status."""
import datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from village.audit import record as audit
from sync import codes
from village.errors import sync_problem
from village.web.auth import role_required
from village.web.i18n import gettext
from village.clerk.casefacts import household_monitoring
from village.clerk.labels import init_templates
from village.clerk.rows import household_rows, nav_links
from village.web.db import get_db, get_store
from village.records import households as register
from village.web.forms import record_or_404
from village.users import roles_for

bp = Blueprint("clerk", __name__, url_prefix="/clerk")
bp.record_once(init_templates)
bp.record_once(lambda state: state.app.jinja_env.globals.setdefault("clerk_nav", nav_links))

CLERKS = roles_for("clerk")


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
    found, total, capped, page, pages = register.find(get_store(), query, request.args.get("page"))
    return render_template("clerk/households.html", households=found, total=total, capped=capped, q=query,
                           page=page, pages=pages, household_rows=household_rows)


@bp.get("/households/<row_id>")
@role_required(*CLERKS)
def household(row_id):
    """Show one household with its members, plots, plantings, livestock, requests, cases and visits."""
    db = get_store()
    hh = record_or_404(db, "households", row_id)
    return render_template("clerk/household.html", hh=hh, **register.with_records(db, row_id),
                           **household_monitoring(db, row_id, datetime.date.today()))


@bp.route("/sync", methods=["GET", "POST"])
@role_required(*CLERKS)
def sync():
    """Show the node's sync status; on POST, sync with the hub now."""
    from village.ops import sync as syncing
    from village.ops.speech import node_engine
    from village.ops.status import node_status
    from village.records.evidence import missing
    from village.tls import cert_info

    node = current_app.config["NODE"]
    db = get_store()  # a county hub's sync state and records: where they are kept
    if request.method == "POST":
        _run_sync(db, node, syncing)
        return redirect(url_for("clerk.sync"))
    status = node_status(db, node)
    return render_template("clerk/sync.html", status=status, speech=node_engine(node).available(), tls=cert_info(node),
                           missing=missing(db) if status["sync"]["files_missing"] else [])


def _run_sync(db, node, syncing):
    from flask import g

    try:
        result = syncing.run_sync(node, db=db)  # the request's store: opened and migrated once
    except Exception as exc:  # noqa: BLE001 -- whatever breaks is shown to the clerk; the page stays up
        result = syncing.SyncResult(code=codes.FAILED, error=str(exc))
    audit(get_db(), g.user, "sync.now", node.node_id, "ok" if result.ok else f"{result.code}: {result.error}")
    if result.ok:
        flash(_("Sync finished: %(sent)d changes sent, %(received)d received.",
                sent=result.pushed, received=result.pulled), "info")
    else:
        flash(sync_problem(result.code, result.error, result.pending).say(gettext), "error")
