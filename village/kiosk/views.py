"""The kiosk: what a resident sees at the service point, with no login."""
import json

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext

from village.kiosk import labels as kiosk_labels, speech
from village.web.db import get_store
from village.kiosk.forms import SHOWN_AS, submit_form
from village.kiosk.lookups import lookup_allowed
from village.records.households import code_letters
from village.records import receipts
from village.records.notices import current_announcements, latest_prices, localized
from village.records.prices import stale
from village.records.terms import ALERT_COLOURS
from village.records.services import find_ticket, normalise_ticket
from village.records.workflows import WORKFLOWS, workflow
from village.records.validate import ValidationError
from village.web.i18n import current_language
from village.web.forms import problems_by_field
from village.web.qr import qr_svg
from village.web.security import public_url

bp = Blueprint("kiosk", __name__)
bp.register_blueprint(speech.bp)  # /speak/...: the kiosk's audio, public like its pages
FORMS = {"service_requests": "kiosk/request.html", "grievances": "kiosk/grievance.html"}
ELDER_IDLE_FACTOR = 3  # elder mode: more time to read before the kiosk goes home (and leaves elder mode)


def _announcements():
    """Return this request's current announcements with their text in the reader's language (cached on g)."""
    if "kiosk_announcements" not in g:
        lang = current_language()
        g.kiosk_announcements = [
            {**a, "title_text": localized(a["title"], lang), "body_text": localized(a["body"], lang),
             "instruction_text": localized(a.get("instruction"), lang),
             "colour": ALERT_COLOURS.get(a.get("severity"), (None, None))}
            for a in current_announcements(get_store(), current_app.config["NODE"].area)]
    return g.kiosk_announcements


@bp.before_request
def remember_elder_mode():
    """Switch elder mode (长辈版) on or off with ?elder=1 or ?elder=0, like the language: kept in the session."""
    asked = request.args.get("elder")
    if asked in ("0", "1"):
        session["elder"] = asked == "1"


@bp.context_processor
def kiosk_facts():
    """Give every kiosk page its idle time, labels, emergencies, ticket keys, elder mode and speech."""
    node = current_app.config["NODE"]
    emergencies = [a for a in _announcements() if a["priority"] == "emergency"]
    elder = bool(session.get("elder"))
    idle = node.setting("kiosk_idle_seconds") * (ELDER_IDLE_FACTOR if elder else 1)
    return {"idle_seconds": idle, "labels": kiosk_labels, "emergencies": emergencies, "elder": elder,
            "speech": speech.speech_on(), "ticket_keys": [flow.prefix for flow in WORKFLOWS.values()] + ["-"]}


@bp.get("/")
def home():
    """Show an emergency alert not yet closed full screen; else emergencies across the top, notices, prices."""
    shown = _alerts_shown()
    seen = session.get("seen_alerts", [])
    full = next((a for a in shown if a["priority"] == "emergency" and a["id"] not in seen), None)
    if full is not None:
        return render_template("kiosk/alert.html", alert=full)
    notices = [a for a in _announcements() if a["priority"] != "emergency"]
    prices = latest_prices(get_store(), current_app.config["NODE"].area)
    return render_template("kiosk/home.html", notices=notices, prices=prices, stale=stale)


def _alerts_shown():
    """Return the alerts the home screen shows, noting in this village's receipts that its kiosk displayed them."""
    closed = request.args.get("seen")
    if closed:
        # Closed for this resident: the idle reset forgets it, so the next one sees it full screen again.
        session["seen_alerts"] = [*session.get("seen_alerts", [])[-19:], closed[:64]]
    shown = [a for a in _announcements() if a.get("alert_key")]
    if shown:
        receipts.note(get_store(), current_app.config["NODE"], "displayed_at", shown)
    return shown


@bp.get("/reset")
def reset():
    """Forget the last resident's language, elder mode and closed alerts, and go home (the idle timer's target)."""
    for key in ("lang", "elder", "seen_alerts"):
        session.pop(key, None)
    return redirect(url_for(".home"))


@bp.route("/request", methods=["GET", "POST"])
def new_request():
    """Ask for a certificate, a subsidy or another service, and get a ticket."""
    return _submission("service_requests")


@bp.route("/grievance", methods=["GET", "POST"])
def new_grievance():
    """Report a problem (anonymously if wished), and get a ticket."""
    return _submission("grievances")


def _submission(table):
    problems = {}
    if request.method == "POST":
        try:
            ticket = submit_form(get_store(), current_app.config["NODE"], table, request.form)
        except ValidationError as exc:
            problems = problems_by_field(exc.problems, SHOWN_AS)
        else:
            return redirect(url_for(".ticket", ticket=ticket))
    form = request.form if request.method == "POST" else {}
    return render_template(FORMS[table], form=form, problems=problems, code_keys=code_letters(get_store())), \
        422 if problems else 200


def _too_many_lookups(typed):
    problem = gettext("This screen has looked up many tickets in a short time. Wait a minute and try again.")
    return render_template("kiosk/status.html", typed=typed, problems={"ticket": [problem]}), 429


@bp.get("/ticket/<ticket>")
def ticket(ticket):
    """Show a new ticket in very large type with a QR code and a print button: the receipt."""
    if not lookup_allowed():
        return _too_many_lookups(ticket)
    table, record = find_ticket(get_store(), ticket)
    if record is None:
        return redirect(url_for(".status", ticket=ticket))
    # Without a configured public address the node's own address as asked is the best guess; it
    # only misleads whoever forged the Host header, as this receipt is shown to them alone.
    status_url = (public_url(".status", ticket=record["ticket"])
                  or url_for(".status", ticket=record["ticket"], _external=True))
    return render_template("kiosk/ticket.html", table=table, record=record, groups=record["ticket"].split("-"),
                           qr=qr_svg(status_url, gettext("QR code of ticket %(ticket)s", ticket=record["ticket"])),
                           submitted_at=_history(table, record)[0]["at"])


def _history(table, record):
    """Return what a resident may see of a record's history: each status and when (no clerk's note, no name)."""
    history = record[workflow(table).history]
    if isinstance(history, str):
        history = json.loads(history)
    shown = [{"status": entry.get("status"), "at": entry.get("at")} for entry in history or ()
             if isinstance(entry, dict)]
    return shown or [{"status": record["status"], "at": None}]


@bp.get("/status")
def status():
    """Check a ticket: its status and history, or the form again with the problem marked."""
    typed = request.args.get("ticket")
    if typed is None:
        return render_template("kiosk/status.html", typed="", problems={})
    if not typed.strip():
        problem = gettext("Type the ticket number printed on your receipt.")
    elif not lookup_allowed():
        return _too_many_lookups(typed)
    else:
        table, record = find_ticket(get_store(), typed)
        if record is not None:
            return render_template("kiosk/status.html", typed=record["ticket"], table=table, record=record,
                                   history=_history(table, record), problems={})
        problem = gettext("There is no ticket “%(ticket)s”. Check the number and try again.",
                          ticket=normalise_ticket(typed))
    return render_template("kiosk/status.html", typed=typed, problems={"ticket": [problem]}), 404
