"""County price pages (/county/prices): the latest prices with their trend lines, and the file import with its preview."""
import datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_currency, format_date
from markupsafe import Markup, escape

from village.county.areas import chosen_area, trail
from village.county.shown import download, paged
from village.county.views import COUNTY, kept
from village.i18n_markers import N_
from village.records import prices as price_records
from village.records.files import ImportRefused
from village.records.terms import PRICE_STALE_DAYS
from village.web.auth import role_required
from village.web.db import get_store
from village.web.exports import wanted_format
from village.web.i18n import current_language, gettext
from village.web.sparkline import sparkline

bp = Blueprint("county_prices", __name__, url_prefix="/county/prices")


COLUMNS = [("commodity", N_("Product")), ("spec", N_("Spec")), ("market", N_("Market")), ("price", N_("Average")),
           ("min_price", N_("Lowest")), ("max_price", N_("Highest")), ("observed_on", N_("Observed")),
           ("stale", N_("Not up to date"))]


def _lines(db, area, limit, offset):
    """Return (COLUMNS, price lines from `offset`, how many lines): a line's latest price spread into its row."""
    lines, total = price_records.series(db, area, limit=limit, offset=offset)
    for line in lines:
        line.update({k: line["latest"][k] for k in ("price", "min_price", "max_price", "observed_on")})
    return COLUMNS, lines, total


def _drawn(db, area, limit, offset):
    """Return `_lines` with each line's trend drawn, and its names and prices (in the page's language) written as
    HTML once here: the page only puts them together (`price_rows`)."""
    columns, lines, total = _lines(db, area, limit, offset)
    for line in lines:
        line["svg"] = sparkline([p["price"] for p in line["points"]],
                                gettext("Trend of %(name)s, last %(n)s prices", name=line["commodity"],
                                        n=len(line["points"])))
        line["price_text"] = escape(format_currency(line["price"], "CNY"))
        line["range_text"] = escape("" if line["min_price"] is None else
                                    f"{format_currency(line['min_price'], 'CNY')} – "
                                    f"{format_currency(line['max_price'], 'CNY')}")
        line["observed_text"] = escape(format_date(datetime.date.fromisoformat(line["observed_on"]), "medium"))
        line["name_cells"] = Markup("".join(f"<td>{escape(line[key])}</td>" for key in ("commodity", "spec", "market")))
    return columns, lines, total


def price_rows(lines):
    """Return the rows (<tr>…</tr>) of the price lines as one piece of HTML: product, spec, market, the latest
    average and range, when observed (marked when not up to date), the trend line.

    Python, not a template loop: a page shows a hundred lines of seven cells.
    """
    stale, out = f' <span class="stale">{escape(gettext("(not up to date)"))}</span>', []
    for line in lines:
        out.append(f'<tr>{line["name_cells"]}<td class="num"><bdi>{line["price_text"]}</bdi></td>'
                   f'<td class="num"><bdi>{line["range_text"]}</bdi></td>'
                   f'<td>{line["observed_text"]}{stale if line["stale"] else ""}</td><td>{line["svg"]}</td></tr>')
    return Markup("\n".join(out))


@bp.get("/")
@role_required(*COUNTY)
def prices():
    """List each commodity's latest price at each market with its trend line, a page at a time; stale ones marked."""
    node, db = current_app.config["NODE"], get_store()
    area = chosen_area(node)
    if wanted_format():
        _columns, lines, _total, _page, _pages = paged(lambda limit, offset: _lines(db, area, limit, offset),
                                                       request.args)
        return download("prices", COLUMNS, ({**line, "stale": gettext("(not up to date)") if line["stale"] else None}
                                            for line in lines))
    # Drawn once per page, day and language until the prices change: the trend lines are the page's cost.
    today, lang = datetime.date.today(), current_language()
    _columns, lines, total, page, pages = paged(
        lambda limit, offset: kept(db, ("prices", area, offset, today, lang),
                                   lambda: _drawn(db, area, limit, offset)), request.args)
    return render_template("county/prices.html", area=area, trail=trail(area, node.area), lines=lines,
                           stale_days=PRICE_STALE_DAYS, today=datetime.date.today(), rows=lines, total=total,
                           page=page, pages=pages, price_rows=price_rows)


@bp.post("/preview")
@role_required(*COUNTY)
def preview():
    """Check an uploaded price file and show every row with its problems; nothing is saved yet."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _refused([(None, "", gettext("Choose the price file (CSV)."), {})])
    return _checked(upload.stream.read(price_records.MAX_BYTES + 1))


@bp.post("/publish")
@role_required(*COUNTY)
def publish():
    """Publish the previewed file (sent back as text): checked again, all or nothing."""
    text = request.form.get("content", "")
    checked = _check(text.encode("utf-8"))
    if checked is None or checked.problems:
        return _checked(text.encode("utf-8"))
    written = price_records.publish(get_store(), current_app.config["NODE"], checked.rows)
    flash(gettext("Published %(n)s prices (%(new)s new or changed).", n=len(checked.rows), new=written), "info")
    return redirect(url_for(".prices"))


def _check(data):
    try:
        return price_records.check(get_store(), data)
    except ImportRefused:
        return None


def _checked(data):
    """Render the preview of price file bytes: its rows, their problems and warnings (422 when any problem)."""
    try:
        checked = price_records.check(get_store(), data)
    except ImportRefused as exc:
        return _refused(exc.problems)
    by_row = {}
    for number, column, message, params in checked.problems + checked.warnings:
        by_row.setdefault(number, []).append((column, gettext(message) % params))
    bad = {p[0] for p in checked.problems}
    return render_template("county/prices_preview.html", checked=checked, by_row=by_row, bad=bad,
                           file_problems=[]), 422 if checked.problems else 200


def _refused(problems):
    """Render the preview page for a file that could not be read at all."""
    said = [(gettext("row %(row)s", row=row) + ": " if row else "") + (f"{column}: " if column else "")
            + gettext(message) % params for row, column, message, params in problems]
    return render_template("county/prices_preview.html", checked=None, by_row={}, bad=set(), file_problems=said), 422
