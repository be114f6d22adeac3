"""County alert pages (/county/alerts): each alert with the villages it has and has not reached, CAP upload, a new alert."""
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from markupsafe import Markup, escape

from village.county.areas import chosen_area, trail
from village.county.shown import cell, cells, download, kept_cells
from village.county.views import COUNTY, kept
from village.errors import Problem
from village.i18n_markers import N_
from village.records import alerts as alert_records, cap, receipts
from village.records.county import LIST_LIMIT
from village.records.notices import localized
from village.records.terms import ALERT_COLOURS, CAP_STATUS_WORDS
from village.records.validate import ValidationError
from village.web.auth import role_required
from village.web.db import get_store
from village.web.exports import wanted_format
from village.web.forms import problems_by_field
from village.web.i18n import current_language, gettext

bp = Blueprint("county_alerts", __name__, url_prefix="/county/alerts")
MAX_HOURS = 7 * 24  # an alert written here lasts at most a week; a longer one is a notice
RECEIPT_COLUMNS = [("alert", N_("Alert")), ("alert_key", N_("Alert identifier")), ("name", N_("Village")),
                   ("area", N_("Area")), ("delivered_at", N_("Received")), ("displayed_at", N_("Shown on the kiosk")),
                   ("acknowledged_at", N_("Confirmed")), ("acknowledged_by", N_("Confirmed by")),
                   ("not_reached", N_("not reached"))]
RECEIPT_STAGES = ("delivered_at", "displayed_at", "acknowledged_at", "acknowledged_by")


def receipt_rows(alerts):
    """Yield one row per alert and village it reaches, as the page lists them: the villages not reached first."""
    for alert in alerts:
        for village in alert["villages"]:
            receipt = village["receipt"] or {}
            yield {"alert": alert["title_text"], "alert_key": alert["alert_key"], "name": village["name"],
                   "area": village["area"], **{k: receipt.get(k) for k in RECEIPT_STAGES},
                   "not_reached": None if receipt.get("delivered_at") else gettext("not reached")}


def village_rows(villages):
    """Return the rows (<tr>…</tr>) of the villages an alert reaches as one piece of HTML: the village (marked when
    not reached), its area, when it received, showed and confirmed the alert (as `shown.cell` writes them), by whom.

    Python, not a template loop: an alert to the county lists a hundred villages on its page.
    """
    late, held, out = f" <strong>({escape(gettext('not reached'))})</strong>", kept_cells(), []
    for village in villages:
        receipt = village["receipt"] or {}
        start, said = ("<tr>", "") if receipt.get("delivered_at") else ('<tr class="not-reached">', late)
        by = f" ({escape(receipt['acknowledged_by'])})" if receipt.get("acknowledged_by") else ""
        out.append(f'{start}<td>{escape(village["name"])}{said}</td><td><bdi dir="ltr">{escape(village["area"])}</bdi>'
                   f'</td>{cells(("delivered_at", "displayed_at"), receipt, held)}'
                   f'<td>{cell("acknowledged_at", receipt.get("acknowledged_at"))}{by}</td></tr>')
    return Markup("\n".join(out))


def target_options(targets, chosen):
    """Return the <option>s of the places an alert can be sent to, `chosen` selected, as one piece of HTML.

    Python, not a template loop: a county has hundreds of villages.
    """
    out = []
    for path, name in targets:
        value = escape(path)
        out.append(f'<option value="{value}"{" selected" if path == chosen else ""}>{escape(name)} ({value})</option>')
    return Markup("".join(out))


def _alerts(db, area):
    """Return the alerts reaching `area` with their receipts (`receipts.reach`), in the page's words."""
    lang = current_language()
    shown = receipts.reach(db, area)
    for alert in shown:
        alert.update(title_text=localized(alert["title"], lang), instruction_text=localized(alert["instruction"], lang),
                     colour=ALERT_COLOURS.get(alert["severity"], (None, None)),
                     status_word=CAP_STATUS_WORDS.get(alert["cap_status"]))
    return shown


def _page(area, problems=None, form=None, status=200):
    """Render the alerts page for `area`, with the upload's or the form's problems marked."""
    node, db = current_app.config["NODE"], get_store()
    # Receipts come through the change log: what was read stays right until the roll-ups' version moves.
    shown = kept(db, ("alerts", area, current_language()), lambda: _alerts(db, area))
    names = dict(db.execute("SELECT area, name FROM nodes WHERE revoked_at IS NULL").fetchall())
    targets = [(p, names.get(p, p)) for p in alert_records.known_paths(db, node)]
    return render_template("county/alerts.html", area=area, trail=trail(area, node.area, names), alerts=shown,
                           problems=problems or {}, form=form or {}, targets=targets, levels=ALERT_COLOURS,
                           max_hours=MAX_HOURS, limit=LIST_LIMIT, village_rows=village_rows,
                           target_options=target_options), status


@bp.get("/")
@role_required(*COUNTY)
def alerts():
    """List the alerts reaching the chosen area, each with the villages not reached yet first."""
    area = chosen_area(current_app.config["NODE"])
    if wanted_format():  # the receipts read for a download only: the page keeps its own
        return download("alert-receipts", RECEIPT_COLUMNS, receipt_rows(_alerts(get_store(), area)))
    return _page(area)


@bp.post("/import")
@role_required(*COUNTY)
def import_file():
    """Import an uploaded CAP / GB/T 35965.1 file; the page again with its problem when refused."""
    node = current_app.config["NODE"]
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(node.area, {"file": [gettext("Choose the alert's XML file.")]}, status=422)
    data = upload.stream.read(cap.MAX_BYTES + 1)  # a larger file is refused from this much
    try:
        outcome = alert_records.import_cap(get_store(), node, data, actor=g.user)
    except Problem as exc:
        return _page(node.area, {"file": [exc.say(gettext)]}, status=422)
    flash(_said(outcome), "info")
    return redirect(url_for(".alerts"))


def _said(outcome):
    words = {"published": gettext("Alert published to %(areas)s.", areas=", ".join(outcome.areas)),
             "updated": gettext("Update applied to %(areas)s.", areas=", ".join(outcome.areas)),
             "cancelled": gettext("Alert withdrawn from %(areas)s.", areas=", ".join(outcome.areas)),
             "duplicate": gettext("This message was imported before; nothing was changed."),
             "recorded": gettext("An acknowledgement or error report: recorded, nothing published.")}
    said = words[outcome.kind]
    if outcome.status != "Actual" and outcome.kind in ("published", "updated"):
        said += " " + gettext("It is not an actual alert: villages keep it but residents are not shown it.")
    return said


@bp.post("/new")
@role_required(*COUNTY)
def new():
    """Publish an alert written on this page; the form again with its problems marked."""
    node, form = current_app.config["NODE"], request.form
    problems = _form_problems(form, alert_records.known_paths(get_store(), node))
    if problems:
        return _page(node.area, problems, form, 422)
    try:
        outcome = alert_records.compose(get_store(), node, form["headline"].strip(),
                                        form.get("description", "").strip(), form.get("instruction", "").strip(),
                                        form["severity"], form["area"], int(form["hours"]), current_language(),
                                        actor=g.user)
    except ValidationError as exc:
        return _page(node.area, problems_by_field(exc.problems, {"title": "headline", "body": "description"}),
                     form, 422)
    flash(_said(outcome), "info")
    return redirect(url_for(".alerts"))


def _form_problems(form, targets):
    """Return {field: [message]} for the new-alert form (nothing saved when any)."""
    problems = {}
    if not form.get("headline", "").strip():
        problems["headline"] = [gettext("Write what the alert is about.")]
    elif len(form["headline"]) > 200:
        problems["headline"] = [gettext("At most %(n)s characters.", n=200)]
    for name in ("description", "instruction"):
        if len(form.get(name, "")) > 2000:
            problems[name] = [gettext("At most %(n)s characters.", n=2000)]
    if form.get("severity") not in ALERT_COLOURS:
        problems["severity"] = [gettext("Choose the warning's colour.")]
    if form.get("area") not in targets:
        problems["area"] = [gettext("Choose where to send it.")]
    hours = form.get("hours", "")
    if not (hours.isdigit() and 1 <= int(hours) <= MAX_HOURS):
        problems["hours"] = [gettext("Give a number of hours from 1 to %(max)s.", max=MAX_HOURS)]
    return problems
