"""A county list as it is shown: the kind of each column (declared once, read by the page's cells and the
export), the page of rows asked for, and the download of the list as shown (village/web/exports.py)."""
import datetime

from flask import current_app, g
from flask_babel import format_date, format_datetime, get_timezone
from markupsafe import Markup, escape

from village.clerk.labels import choice_label
from village.records.core import page_of
from village.records.county import LIST_LIMIT
from village.records.notices import localized
from village.web.exports import FORMATS, Column, exported
from village.web.i18n import current_language, gettext
from village.web.links import link_for, row_link

MAX_EXPORT = 100_000  # an export holds every row its filter finds, up to this many

# How each key of a county list is shown. "id", "date", "datetime" and "number" are written as
# such in an export; "choice" by its label, "words" ({language: text}) in the page's language,
# "reasons" (untranslated words) and "gaps" ((message, params)) translated and joined.
KINDS = {
    "area": "id", "ticket": "id", "code": "id", "alert_key": "id",
    "last_seen": "datetime", "publish_at": "datetime", "expires_at": "datetime", "delivered_at": "datetime",
    "displayed_at": "datetime", "acknowledged_at": "datetime",
    "day": "date", "lead_on": "date", "county_on": "date", "due": "date", "last_visit": "date",
    "observed_on": "date", "notice_to": "date", "cert_expires": "date",
    "days": "number", "days_past": "number", "records_waiting": "number", "files_waiting": "number",
    "quarantined": "number", "conflicts": "number", "skew_s": "number", "free_disk_mb": "number",
    "evidence": "number", "price": "number", "min_price": "number", "max_price": "number", "goal": "number",
    "done": "number", "due_visits": "number", "share": "number",
    "category": "choice", "risk": "choice", "tier": "choice",
    "title": "words", "problems": "reasons", "gaps": "gaps",
}
WRITTEN = {"id", "date", "datetime", "number"}  # the kinds an export writes as they are (others: as text)


def kind_of(key):
    """Return how the values of `key` are shown (see KINDS); "text" for any other key."""
    return KINDS.get(key, "text")


def shown_value(key, value):
    """Return `value` of column `key` as the page shows it in words (dates and numbers kept as they are)."""
    kind = kind_of(key)
    if value is None or value == "":
        return None
    if kind == "choice":
        return str(choice_label(value))
    if kind == "words":
        return localized(value, current_language())
    if kind == "reasons":
        return "; ".join(gettext(reason) for reason in value)
    if kind == "gaps":
        return " ".join(gettext(message, **params) for message, params in value)
    return value


def columns_of(pairs):
    """Return the export's Columns of a list's [(key, label)]."""
    return tuple(Column(key, label, kind_of(key) if kind_of(key) in WRITTEN else "text") for key, label in pairs)


def download(name, pairs, rows):
    """Return the download of a county list as shown when the request asks for one (?export=), else None."""
    return exported(name, columns_of(pairs), ({key: shown_value(key, row.get(key)) for key, _ in pairs}
                                             for row in rows))


def paged(make, args, size=LIST_LIMIT):
    """Return (columns, rows, total, page, pages) of the page of a list that ?page= asks for (every row for an export).

    `make(limit, offset)` returns (columns, rows, total). A page past the end shows the last one,
    garbage the first (`core.page_of`): a hand-edited address shows a page, never an error.
    """
    if args.get("export") in FORMATS:
        columns, rows, total = make(MAX_EXPORT, 0)
        return columns, rows, total, 1, 1
    asked = page_of(1_000_000_000 * size, args.get("page"), size)[0]
    columns, rows, total = make(size, (asked - 1) * size)
    page, pages = page_of(total, asked, size)
    if page != asked:
        columns, rows, total = make(size, (page - 1) * size)
    return columns, rows, total, page, pages


NONE = Markup('<span class="none">–</span>')


def cell(key, value):
    """Return the HTML of one value of a county list as its kind asks: words for choices, dates in the page's language.

    Python, not a template macro: a list of a hundred rows calls it a thousand times. A date or
    time is formatted once per request (lists repeat the same days).
    """
    if value is None or value == "":
        return NONE
    kind = kind_of(key)
    if kind in ("date", "datetime"):
        formatted = g.setdefault("county_dates", {})
        if (kind, value) not in formatted:
            formatted[(kind, value)] = escape(_date_text(kind, value))
        return formatted[(kind, value)]
    shown = shown_value(key, value)
    return escape(shown if isinstance(shown, str) else str(shown))


def _date_text(kind, value):
    """Return a stored ISO date or date-time as the page's language writes it (short date-time, medium date)."""
    moment = datetime.datetime.fromisoformat(value) if "T" in value else datetime.date.fromisoformat(value)
    return format_datetime(moment, "short") if kind == "datetime" else format_date(moment, "medium")


ROWS_KEPT = 5000  # rows of cells kept per app, by language, zone and values; all dropped when full


def kept_cells():
    """Return (this request's language and zone, the app's kept cells): looked up once a request, not once a row."""
    if "county_cells_of" not in g:
        g.county_cells_of = ((current_language(), str(get_timezone())),
                             current_app.extensions.setdefault("county_cells", {}))
    return g.county_cells_of


def cells(keys, row, kept=None):
    """Return the HTML cells (<td>…</td>) of `row` for `keys`, as `cell` writes them.

    Kept per language, time zone and the row's values: a row that has not changed since the last
    page is not formatted again, and one that has is looked up under its new values. `kept` is
    `kept_cells()` when the caller already has it (a caller writing many rows).
    """
    keys = tuple(keys)
    values = tuple(map(row.get, keys))
    if list in map(type, values):  # a list value as a tuple, to be part of a key
        values = tuple(tuple(v) if isinstance(v, list) else v for v in values)
    lang_zone, store = kept or kept_cells()
    found = (lang_zone, keys, values)
    try:
        html = store.get(found)
    except TypeError:  # a value that cannot be a key (a gap's parameters): written each time
        found = html = None
    if html is None:
        html = Markup("".join(f"<td>{cell(key, row.get(key))}</td>" for key in keys))
        if found is not None:
            if len(store) >= ROWS_KEPT:
                store.clear()
            store[found] = html
    return html


def rows_html(keys, rows, link=None, bad=None, after=""):
    """Return the rows (<tr>…</tr>) of a county list as one piece of HTML.

    Each row holds its cells of `keys` as `cells` writes them, the first inside a link to
    `link(row)` when that gives an address (see `row_link`), then the HTML `after`; a row whose
    value of key `bad` is true is marked class="is-bad". One call per list: a template's call
    costs microseconds, and a list of a hundred rows made several per row.
    """
    keys, kept, after, out = tuple(keys), kept_cells(), escape(after), []
    for row in rows:
        href = link(row) if link else None
        start = '<tr class="is-bad">' if bad and row.get(bad) else "<tr>"
        if href:
            out.append(f'{start}<td><a href="{escape(href)}">{cell(keys[0], row.get(keys[0]))}</a></td>'
                       f"{cells(keys[1:], row, kept)}{after}</tr>")
        else:
            out.append(f"{start}{cells(keys, row, kept)}{after}</tr>")
    return Markup("".join(out))


def init_templates(state):
    """Give templates `cell`, `cells`, `rows_html`, `link_for` and `row_link` (a blueprint's record_once)."""
    for helper in (cell, cells, rows_html, link_for, row_link):
        state.app.jinja_env.globals.setdefault(helper.__name__, helper)
