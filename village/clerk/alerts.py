"""Clerk page of emergency alerts: what the county sent this village, and the clerk's confirmation of each."""
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from village.clerk.labels import init_templates
from village.clerk.views import CLERKS
from village.records import receipts
from village.records.notices import localized
from village.records.receipt_rules import receipt_id
from village.records.terms import ALERT_COLOURS, CAP_STATUS_WORDS
from village.web.auth import role_required
from village.web.db import get_store
from village.web.i18n import current_language

bp = Blueprint("clerk_alerts", __name__, url_prefix="/clerk")
bp.record_once(init_templates)


def _alerts(db, node):
    """Return the alerts held here for this village with their texts, level and this village's receipt."""
    lang, out = current_language(), []
    for alert in receipts.alerts_in_scope(db, node.area, include_withdrawn=True):
        receipt = db.execute("SELECT delivered_at, displayed_at, acknowledged_at, acknowledged_by FROM alert_receipts "
                             "WHERE id = ? AND _deleted = 0", [receipt_id(alert["cap_id"], node.area)]).fetchone()
        out.append({**alert, "title_text": localized(alert["title"], lang),
                    "instruction_text": localized(alert["instruction"], lang),
                    "colour": ALERT_COLOURS.get(alert["severity"], (None, None)),
                    "status_word": CAP_STATUS_WORDS.get(alert["cap_status"]),
                    "receipt": dict(zip(("delivered_at", "displayed_at", "acknowledged_at", "acknowledged_by"),
                                        receipt)) if receipt else {}})
    return out


@bp.get("/alerts")
@role_required(*CLERKS)
def alerts():
    """List the alerts sent to this village, newest first, each with what the county has been told of it."""
    node = current_app.config["NODE"]
    return render_template("clerk/alerts.html", alerts=_alerts(get_store(), node), village=node.role == "village")


@bp.post("/alerts/acknowledge")
@role_required(*CLERKS)
def acknowledge():
    """Confirm, as this clerk, that the village has taken note of an alert (reported to the county at the next sync)."""
    db, node = get_store(), current_app.config["NODE"]
    wanted = request.form.get("announcement_id", "")
    alert = next((a for a in receipts.alerts_in_scope(db, node.area) if a["id"] == wanted), None)
    if alert is None:
        flash(_("That alert is not one this village holds, or it was withdrawn; nothing was confirmed."), "error")
    else:
        receipts.note(db, node, "acknowledged_at", [alert], actor=g.user)
        flash(_("Confirmed: the county will see it after the next sync."), "info")
    return redirect(url_for("clerk_alerts.alerts"))
