"""Any list page exported as shown: the same rows, the same columns, headers in the page's language.

A page declares its columns once (`Column`) and passes them with its rows to `exported`:
`?export=xlsx` gives a workbook Excel and WPS open (ID numbers as text cells, dates as date
cells), `?export=csv` UTF-8 with a byte-order mark (`&encoding=gb18030` for older Excel), both
with every text neutralised so no cell is a formula (DOMAIN §6). Templates link to them with
`export_links()` from templates/_exports.html.
"""
import csv
import datetime
import io
from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_babel import to_user_timezone

from village.records.files import shown, xlsx_cell
from village.web.i18n import gettext

FORMATS = ("xlsx", "csv")
CSV_ENCODINGS = {"utf-8": "utf-8-sig", "gb18030": "gb18030"}  # utf-8-sig: with the byte-order mark
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel's own formats for the date cells: shown as dates whatever the reader's locale.
DATE_FORMAT, DATETIME_FORMAT = "yyyy-mm-dd", "yyyy-mm-dd hh:mm"


@dataclass(frozen=True)
class Column:
    """One column of a list: the key of its value in a row, its (translatable) heading, its kind.

    kind: "text"; "id" (digits that must stay text: ID numbers, phone numbers, area codes);
    "date" and "datetime" (stored ISO text or date objects, written as real dates); "number".
    """

    key: str
    label: str
    kind: str = "text"


def wanted_format():
    """Return the export format this request asks for (?export=), or None for the page itself."""
    fmt = request.args.get("export")
    return fmt if fmt in FORMATS else None


MARK = "0export0format0"  # stands for the format in an address built once (letters and digits: never quoted)
FORMAT_ARGS = ("xlsx", "csv", "csv&encoding=gb18030")  # what the links put in ?export=: XLSX, CSV, older Excel's CSV


def export_urls(part=None):
    """Return this page's addresses of its downloads (XLSX, CSV, GB18030 CSV): its filters and ?export=.

    `part` names one of several lists on a page (?part=), for a page that shows more than one.
    One url_for makes the three: the format is put in place of a marker.
    """
    args = {k: v for k, v in request.args.items() if k not in ("export", "encoding", "page", "part")}
    args["export"] = MARK
    if part:
        args["part"] = part
    address = url_for(request.endpoint, **(request.view_args or {}), **args)
    return tuple(address.replace(MARK, fmt) for fmt in FORMAT_ARGS)


def exported(name, columns, rows):
    """Return the download of `rows` when the request asks for an export (?export=), else None."""
    fmt = wanted_format()
    if fmt is None:
        return None
    rows = list(rows)
    stamp = datetime.date.today().isoformat()
    if fmt == "xlsx":
        return _download(xlsx_bytes(columns, rows), XLSX_TYPE, f"{name}-{stamp}.xlsx")
    encoding = CSV_ENCODINGS.get(request.args.get("encoding", "utf-8"), "utf-8-sig")
    return _download(csv_text(columns, rows).encode(encoding), f"text/csv; charset={encoding.split('-sig')[0]}",
                     f"{name}-{stamp}.csv")


def _download(data, mimetype, filename):
    response = current_app.response_class(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'  # names are ASCII: ours
    response.headers["Cache-Control"] = "no-store"  # records of people: not kept by the browser's cache
    return response


def headings(columns):
    """Return the columns' headings in this request's language."""
    return [gettext(str(column.label)) for column in columns]


def csv_text(columns, rows):
    """Return rows as CSV text (RFC 4180 line ends), headings first, no cell a formula."""
    handle = io.StringIO()
    writer = csv.writer(handle, lineterminator="\r\n")
    writer.writerow(headings(columns))
    for row in rows:
        writer.writerow([_csv_cell(column, row.get(column.key)) for column in columns])
    return handle.getvalue()


def _csv_cell(column, value):
    if value is None:
        return ""
    if column.kind in ("date", "datetime"):
        value = _when(value, column.kind)
        return value.strftime("%Y-%m-%d %H:%M" if column.kind == "datetime" else "%Y-%m-%d") if value else ""
    return shown(str(value)) if isinstance(value, str) else str(value)


def xlsx_bytes(columns, rows):
    """Return rows as an XLSX workbook: headings first, IDs as text cells, dates as date cells."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("list")
    sheet.append(headings(columns))
    for row in rows:
        sheet.append([_xlsx_value(sheet, column, row.get(column.key)) for column in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_value(sheet, column, value):
    from openpyxl.cell import WriteOnlyCell

    if value is None:
        return None
    if column.kind in ("date", "datetime"):
        moment = _when(value, column.kind)
        if moment is None:
            return xlsx_cell(sheet, str(value), gettext)
        cell = WriteOnlyCell(sheet, value=moment)
        cell.number_format = DATETIME_FORMAT if column.kind == "datetime" else DATE_FORMAT
        return cell
    if column.kind == "id":
        # Excel keeps 15 digits of a number: an 18-digit ID number must be a text cell, shown as text.
        cell = WriteOnlyCell(sheet, value=shown(str(value)))
        cell.data_type, cell.number_format = "s", "@"
        return cell
    return xlsx_cell(sheet, value, gettext)


def _when(value, kind):
    """Return a stored date or date-time as a naive date/datetime in the reader's zone, or None if unreadable."""
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value) if "T" in value or " " in value \
                else datetime.date.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = to_user_timezone(value).replace(tzinfo=None)  # XLSX has no time zones
        return value if kind == "datetime" else value.date()
    return value if isinstance(value, datetime.date) else None


def init_app(app):
    """Give templates `export_urls` for the export links."""
    app.jinja_env.globals["export_urls"] = export_urls
