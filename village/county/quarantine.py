"""Changes held by the trust boundary (/county/quarantine): their reason in words, to release or discard.

Release and discard are the functions `village quarantine release/discard` run: a release
checks the change again exactly as a received one is checked (no way around the checks).
"""
from flask import Blueprint, current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from sync.quarantine import held
from sync.scope import inside
from sync.server import discard_held
from village.audit import record as audit
from village.clerk.labels import REFUSAL_LABELS, TABLE_LABELS, field_label, init_templates
from village.county.areas import chosen_area, trail
from village.ops import held as held_changes
from village.users import roles_for
from village.web.auth import role_required
from village.web.db import get_store, records_transaction
from village.web.exports import Column, exported
from village.web.forms import problem_text
from village.web.i18n import lazy_gettext as _l

bp = Blueprint("county_quarantine", __name__, url_prefix="/county")
bp.record_once(init_templates)
COUNTY = roles_for("county")

COLUMNS = (Column("id", _l("Number")), Column("received_at", _l("Received"), "datetime"),
           Column("sender", _l("Sent by")), Column("area", _l("Area"), "id"), Column("record", _l("Record")),
           Column("reason", _l("Reason")), Column("values", _l("Values sent")))


def reason_text(entry):
    """Return why a change was held, in words: the kind of refusal, then each field's problem."""
    words = [str(REFUSAL_LABELS.get(entry["code"], entry["code"]))]
    for problem in entry["problems"]:
        if isinstance(problem, list) and len(problem) == 3 and isinstance(problem[2], dict):
            label = field_label(problem[0]) if problem[0] else ""
            words.append(f"{label}: {problem_text(problem)}" if label else problem_text(problem))
    return " ".join(words)


def values_text(entry):
    """Return the values a held change carries, as "label: value" pairs."""
    data = entry["change"].get("data") if isinstance(entry["change"], dict) else None
    if not isinstance(data, dict):
        return ""
    return "; ".join(f"{field_label(k)}: {v}" for k, v in list(data.items())[:20] if v not in (None, "", [], {}))


def held_in(db, node, area):
    """Return the changes held here that were sent by nodes inside `area`, described, newest first."""
    senders = {row[0]: (row[1], row[2]) for row in db.execute("SELECT node_id, name, area FROM nodes")}
    out = []
    for entry in held(db):
        name, sender_area = senders.get(entry["node_id"], (entry["node_id"], None))
        change_area = entry["change"].get("area") if isinstance(entry["change"], dict) else None
        if area != node.area and not inside(str(sender_area or change_area or ""), area):
            continue
        out.append({**entry, "sender": name, "area": str(change_area or ""), "reason": reason_text(entry),
                    "values": values_text(entry),
                    "record": f"{TABLE_LABELS.get(entry['tbl'], entry['tbl'])} {entry['row_id']}"})
    return out


@bp.get("/quarantine")
@role_required(*COUNTY)
def quarantine():
    """List the held changes inside the chosen area, with their reason, to release or discard."""
    node = current_app.config["NODE"]
    area = chosen_area(node)
    entries = held_in(get_store(), node, area)
    return exported("quarantine", COLUMNS, entries) or render_template(
        "county/quarantine.html", entries=entries, area=area, trail=trail(area, node.area))


@bp.post("/quarantine/<int:entry>/release")
@role_required(*COUNTY)
def release(entry):
    """Check a held change again and apply it; say why when it is still refused."""
    node = current_app.config["NODE"]
    try:
        with records_transaction() as tx:  # the release and its audit entry together
            still = held_changes.release(tx, node, entry, g.user)
            if still is None:
                audit(tx, g.user, "quarantine.release", str(entry))
    except KeyError:
        flash(_("No change numbered %(id)s is held here.", id=entry), "error")
    else:
        if still is None:
            flash(_("Change %(id)s was checked again and applied.", id=entry), "info")
        else:
            flash(_("Change %(id)s is still refused, nothing was applied: %(reason)s", id=entry,
                    reason=reason_text({"code": still.code, "problems": still.problems})), "error")
    return redirect(url_for(".quarantine", area=chosen_area(node)))


@bp.post("/quarantine/<int:entry>/discard")
@role_required(*COUNTY)
def discard(entry):
    """Set a held change aside for good (it stays on record as discarded)."""
    node = current_app.config["NODE"]
    try:
        with records_transaction() as tx:
            discard_held(tx, entry, g.user)
            audit(tx, g.user, "quarantine.discard", str(entry))
    except KeyError:
        flash(_("No change numbered %(id)s is held here.", id=entry), "error")
    else:
        flash(_("Change %(id)s was discarded.", id=entry), "info")
    return redirect(url_for(".quarantine", area=chosen_area(node)))
