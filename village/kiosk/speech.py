"""Read aloud at the kiosk: audio of what the node already shows, never of text a browser sends.

Each address names something the node holds (a current notice, the price list, a ticket, a
known label, one key of the keypad); the text is built here, in the reader's language, and
spoken by village.ops.speech. So nobody can make the node speak, or cache, text of their own.
"""
import re

from flask import Blueprint, abort, current_app, send_file

from village.errors import Problem
from village.i18n_markers import N_
from village.kiosk import labels as kiosk_labels
from village.kiosk.lookups import lookup_allowed
from village.ops.speech import SpeechUnavailable, node_engine
from village.records.notices import current_announcements, latest_prices, localized
from village.records.services import find_ticket
from village.web.db import get_store
from village.web.i18n import current_language, gettext

bp = Blueprint("speech", __name__, url_prefix="/speak")
KEY = re.compile(r"^[0-9A-Z]$")  # one key of the on-screen keypad: numbers are read back key by key
# How Uyghur speakers name the Latin letters of tickets and household codes (the voice only sounds them).
UG_LETTERS = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", (
    "ئا", "بې", "سې", "دې", "ئې", "ئەف", "گې", "ھا", "ئى", "جې", "كا", "ئەل", "ئەم", "ئەن", "ئو", "پې",
    "كيۇ", "ئەر", "ئەس", "تې", "ئۇ", "ۋې", "دەبىلۋې", "ئىكس", "ۋاي", "زېت")))
# What the speaker at the top of each screen says, and each form question: msgids of the page.
SCREENS = {
    "request": (N_("Ask for a certificate or subsidy"),),
    "grievance": (N_("Report a problem"),),
    "status": (N_("Check my ticket"), N_("Type the ticket number printed on your receipt.")),
}
HOME_ACTIONS = (N_("What would you like to do?"), N_("Ask for a certificate or subsidy"), N_("Report a problem"),
                N_("Check my ticket"))
CHOICES = {"kind": kiosk_labels.KINDS, "category": kiosk_labels.CATEGORIES}


def engine():
    """Return this app's speech engine for the node's setting, made once so its version is looked up once."""
    node = current_app.config["NODE"]
    command = node.setting("speech_engine")
    engines = current_app.extensions.setdefault("village_speech", {})
    if command not in engines:
        engines[command] = node_engine(node)
    return engines[command]


def speech_on():
    """Return True when this node can speak: the kiosk shows speaker buttons only then."""
    return engine().available()


def spell(code, lang):
    """Return `code` (a ticket, a phone number) one character at a time, its groups apart: read digit by digit."""
    groups = [g for g in re.split(r"[-\s]+", code.upper()) if g]
    say = UG_LETTERS if lang == "ug" else {}
    return ". ".join(" ".join(say.get(ch, ch) for ch in group) for group in groups)


def sentences(*parts):
    """Return the non-empty `parts` as one text, a full stop after each (a pause when spoken)."""
    return " ".join(p.strip().rstrip(".。") + ("。" if current_language() == "zh_Hans" else ".")
                    for p in parts if p and p.strip())


def money(price, currency):
    """Return a price as it is said: yuan and fen in words the voice reads well (not "3.50")."""
    if (currency or "CNY") != "CNY":
        return f"{price:g} {currency}"
    fen = round(price * 100)
    if fen % 100 == 0:
        return gettext("%(yuan)s yuan", yuan=fen // 100)
    return gettext("%(yuan)s yuan %(fen)s fen", yuan=fen // 100, fen=fen % 100)


def notice_text(announcement, lang):
    """Return what is said for a notice or alert: its title, what to do, then its text (an emergency says so first)."""
    title = localized(announcement["title"], lang)
    if announcement["priority"] == "emergency":
        title = f"{gettext('Emergency')}: {title}"
    return sentences(title, localized(announcement.get("instruction"), lang), localized(announcement["body"], lang))


def prices_text(prices):
    """Return the price list as it is said: each product, its price per unit and its market."""
    lines = [gettext("%(price)s per %(unit)s", price=money(p["price"], p["currency"]), unit=p["unit"])
             for p in prices]
    return sentences(gettext("Market prices"), *(f"{p['commodity']}: {line}, {p['market'] or ''}"
                                                 for p, line in zip(prices, lines)))


def label_text(key):
    """Return what the speaker of screen or question `key` says, or None for a key the kiosk lacks."""
    if key == "home":
        name = current_app.config["NODE"].name
        return sentences(gettext("Welcome to the %(name)s service point", name=name), *map(gettext, HOME_ACTIONS))
    if key in SCREENS:
        return sentences(*map(gettext, SCREENS[key]))
    if key in kiosk_labels.FIELDS:
        return sentences(str(kiosk_labels.FIELDS[key]), *map(str, CHOICES.get(key, {}).values()))
    return None


def _audio(text):
    try:
        path = engine().speak(current_language(), text)
    except SpeechUnavailable:
        raise Problem("speech_unavailable") from None
    # The text of an address changes with the notice or the status: the kiosk asks again each time.
    return send_file(path, mimetype="audio/wav", max_age=0)


@bp.get("/notice/<notice_id>")
def notice(notice_id):
    """Say a current notice or alert of this village."""
    lang = current_language()
    for announcement in current_announcements(get_store(), current_app.config["NODE"].area):
        if str(announcement["id"]) == notice_id:
            return _audio(notice_text(announcement, lang))
    abort(404)


@bp.get("/prices")
def prices():
    """Say the market prices the home screen shows."""
    found = latest_prices(get_store(), current_app.config["NODE"].area)
    return _audio(prices_text(found) if found else gettext("No prices have been published yet."))


def _record(ticket):
    """Return (table, record) of an existing ticket; 404 for none, 429 when this address looked up too many."""
    if not lookup_allowed():
        abort(429)
    table, record = find_ticket(get_store(), ticket)
    if record is None:
        abort(404)
    return table, record


@bp.get("/ticket/<ticket>")
def ticket(ticket):
    """Say a ticket's number digit by digit, as people read numbers aloud."""
    _table, record = _record(ticket)
    spelled = spell(record["ticket"], current_language())
    return _audio(sentences(gettext("Your ticket number"), spelled, spelled))  # twice: time to write it down


@bp.get("/status/<ticket>")
def status(ticket):
    """Say a ticket, what it is about and its status now."""
    table, record = _record(ticket)
    what = kiosk_labels.KINDS.get(record.get("kind")) or kiosk_labels.CATEGORIES.get(record.get("category"), "")
    return _audio(sentences(f"{gettext('Ticket')} {spell(record['ticket'], current_language())}", str(what),
                            f"{gettext('Status now')}: {kiosk_labels.status(table, record['status'])}"))


@bp.get("/label/<key>")
def label(key):
    """Say a screen's title or a form's question (with its choices), known by its key."""
    text = label_text(key)
    if text is None:
        abort(404)
    return _audio(text)


@bp.get("/key/<key>")
def key(key):
    """Say one key of the keypad: the kiosk reads a typed number back key by key."""
    if not KEY.match(key):
        abort(404)
    return _audio(spell(key, current_language()))
