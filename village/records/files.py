"""Import records from CSV and export them as CSV, JSON or XLSX, safe to open in a spreadsheet."""
import codecs
import contextlib
import csv
import json
import math
from zipfile import ZIP_DEFLATED, ZipFile

from sync.stores.pg_sql import stored_order
from village.i18n_markers import N_
from village.records import core
from village.records.reports import REPORTS
from village.records.schema import TABLES, column_names, fields
from village.records.validate import UNSAFE, ValidationError

MAX_REPORTED = 50
# A cell longer than the longest value any field holds is refused before it is validated, and
# well below the csv module's own limit (128 KB), past which it cannot go on reading the file.
MAX_CELL = max(spec.limit() for table in TABLES for spec in fields(table).values())
ENCODINGS = ("utf-8-sig", "gb18030")  # UTF-8 with or without BOM; GB18030 is what Chinese Excel saves
# OWASP CSV injection: a cell led by one of these is a formula to Excel and LibreOffice.
FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")
# Control characters XML (so XLSX) cannot hold, C1 controls, and bidi embeddings, overrides and
# isolates, which can make a cell read differently from what it holds: the validator's own set.
UNSHOWABLE = UNSAFE
XLSX_CELL = 32767  # Excel's limit per cell, in UTF-16 code units


class ImportRefused(Exception):
    """A file that was not imported at all.

    `problems` lists (row number or None for the whole file, field, message, params);
    `more` counts the further rows with problems that are not listed.
    """

    def __init__(self, problems, total, more=0):
        super().__init__(f"{len(problems)} problems")
        self.problems, self.total, self.more = problems, total, more


def _refuse(message, **params):
    return ImportRefused([(None, "", message, params)], 0)


def sniff_encoding(path):
    """Return the encoding `path` is written in (UTF-8 or GB18030), reading it in chunks."""
    for encoding in ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise _refuse(N_("The file is neither UTF-8 nor GB18030 text. Save it as “CSV UTF-8”."))


def read_csv(path):
    """Return (header, rows, encoding) of a CSV file, or raise ImportRefused for an unreadable one."""
    try:
        encoding = sniff_encoding(path)
        with open(path, newline="", encoding=encoding) as handle:
            # strict: a stray quote is refused, not guessed at (it would swallow the rows after it).
            reader, rows = csv.reader(handle, strict=True), []
            try:
                rows.extend(reader)
            except csv.Error as exc:
                # The reader cannot find where a broken row ends: stop at the row it failed on.
                if "field larger than field limit" in str(exc):
                    problem = (N_("A cell in this row is longer than %(max)s characters, more than any field "
                                  "holds."), {"max": MAX_CELL})
                else:
                    problem = (N_("This row cannot be read as CSV (%(reason)s): check its quotation marks."),
                               {"reason": str(exc)})
                raise ImportRefused([(len(rows) + 1, "", *problem)], 0) from None
    except OSError as exc:
        raise _refuse(N_("Cannot read the file: %(reason)s."), reason=exc.strerror or str(exc)) from None
    if not rows:
        raise _refuse(N_("The file is empty."))
    header = [h.strip() for h in rows[0]]
    if header:
        header[0] = header[0].lstrip("\ufeff").strip()  # GB18030 carries its byte-order mark as a character
    return header, rows[1:], encoding


def check_header(table, header, total):
    """Raise ImportRefused when a header column is blank, repeated or not a field of `table`."""
    known, problems = set(column_names(table)), []
    for index, name in enumerate(header, start=1):
        if not name:
            problems.append((1, "", N_("Column %(n)s of the header has no name."), {"n": index}))
        elif name not in known:
            problems.append((1, name, N_("Unknown column “%(column)s”. Columns of %(table)s: %(columns)s."),
                             {"column": name, "table": table, "columns": ", ".join(column_names(table))}))
    for name in sorted({h for h in header if h and header.count(h) > 1}):
        problems.append((1, name, N_("The column “%(column)s” appears %(n)s times in the header; keep one."),
                         {"column": name, "n": header.count(name)}))
    if problems:
        raise ImportRefused(problems, total)


def unescape(text):
    """Undo the apostrophe the export puts before a formula-led cell, so exports import as they were."""
    if text.startswith("'") and text.lstrip("'")[:1] in FORMULA_LEAD:
        return text[1:]
    return text


def _row_problems(number, header, raw):
    """Return the problems of a row's shape: its cell count and any cell too long for a field."""
    if len(raw) != len(header):
        return [(number, "", N_("This row has %(got)s cells; the header has %(want)s."),
                 {"got": len(raw), "want": len(header)})]
    return [(number, name, N_("This cell holds %(n)s characters; no field holds more than %(max)s."),
             {"n": len(cell), "max": MAX_CELL}) for name, cell in zip(header, raw) if len(cell) > MAX_CELL]


def import_csv(db, node, table, path, progress=lambda done, total: None):
    """Upsert every row of a CSV file by id, all or nothing; return (rows written, encoding read).

    A row without an id gets a new one; blank rows (Excel leaves some at the end) are skipped.
    Raise ImportRefused listing the problems, with row numbers as a spreadsheet shows them
    (the header is row 1), when the file or any row is bad.
    """
    header, data, encoding = read_csv(path)
    check_header(table, header, len(data))
    if not any(any(cell.strip() for cell in raw) for raw in data):
        raise _refuse(N_("The file has a header but no records below it."))
    problems, seen, bad_rows, count = [], set(), 0, 0
    try:
        with core.write(db, node) as writer:
            for number, raw in enumerate(data, start=2):
                if number % 1000 == 0:
                    progress(number - 1, len(data))
                if not any(cell.strip() for cell in raw):
                    continue
                found = _row_problems(number, header, raw) or _save_row(writer, node, table, header, raw, number, seen)
                if found:
                    bad_rows += 1
                    problems += found[:max(0, MAX_REPORTED - len(problems))]
                else:
                    count += 1
            if bad_rows:
                listed = len({p[0] for p in problems})
                # Leaving the block by an exception rolls the whole file back.
                raise ImportRefused(problems, len(data), more=bad_rows - listed)
    finally:
        progress(len(data), len(data))
    return count, encoding


def _save_row(writer, node, table, header, raw, number, seen):
    """Save one row; return its problems (an empty list when it was saved)."""
    values = {name: unescape(cell) for name, cell in zip(header, raw)}
    row_id = values.pop("id", "").strip() or None
    if row_id in seen:
        return [(number, "id", N_("The id %(id)s appears twice in the file."), {"id": row_id})]
    try:
        seen.add(core.save(writer, node, table, values, row_id=row_id))
    except ValidationError as exc:
        return [(number, f, m, p) for f, m, p in exc.problems]
    return []


def export_rows(db, table, gettext=lambda message: message):
    """Return (columns, iterator of records) for `table`, or for a report (records.reports.REPORTS), as stored.

    Values are read leniently, so that a damaged value a peer stored (JSON that does not
    parse, a blob, an infinite number) is exported as it is rather than stopping the export.
    """
    if table in REPORTS:
        columns, records = REPORTS[table](db, gettext)
        return columns, ({c: _stored(None, v) for c, v in record.items()} for record in records)
    columns, kinds = column_names(table), {name: spec.kind for name, spec in fields(table).items()}
    sql = f"SELECT {', '.join(f'[{c}]' for c in columns)} FROM [{table}] WHERE _deleted = 0 ORDER BY {stored_order(db)}"
    cursor = db.execute(sql)
    return columns, ({c: _stored(kinds.get(c), v) for c, v in zip(columns, row)} for row in cursor)


def _stored(kind, value):
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if kind == "json" and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if kind == "bool" and isinstance(value, int):
        return bool(value)
    return value


def shown(text):
    """Return `text` for a spreadsheet: unshowable characters as U+FFFD, never a formula.

    A formula-led cell gets a leading apostrophe (OWASP); so does one already led by
    apostrophes before such a character, which keeps `unescape` its exact inverse.
    """
    text = UNSHOWABLE.sub("\ufffd", text)
    if text.lstrip("'")[:1] in FORMULA_LEAD:
        return "'" + text
    return text


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (list, dict)):
        return shown(json.dumps(value, ensure_ascii=False))
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else str(value)
    if isinstance(value, str):
        return shown(value)
    return str(value)


def write_csv(columns, records, handle):
    """Write records as CSV to a text handle, text neutralised for spreadsheets (numbers stay numbers)."""
    # RFC 4180 line ends: with "\n" alone the writer leaves a lone "\r" in a cell unquoted,
    # and every reader then splits the record there.
    writer = csv.writer(handle, lineterminator="\r\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([_cell(record.get(c)) for c in columns])


def write_json(columns, records, handle):
    """Write records as one JSON array to a text handle, a record per line, values exactly as stored."""
    handle.write("[")
    for index, record in enumerate(records):
        handle.write(",\n" if index else "\n")
        handle.write(json.dumps({c: record.get(c) for c in columns}, ensure_ascii=False))
    handle.write("\n]\n")


def write_xlsx(columns, records, handle, gettext=lambda message: message):
    """Write records to an XLSX workbook on a binary handle; every text is a text cell, never a formula."""
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    book = Workbook(write_only=True)
    sheet = book.create_sheet("records")
    archive = ZipFile(handle, "w", ZIP_DEFLATED, allowZip64=True)
    try:
        sheet.append(columns)
        for record in records:
            sheet.append([xlsx_cell(sheet, record.get(c), gettext) for c in columns])
        ExcelWriter(book, archive).save()
    except BaseException:
        # On a failure (a full disk) close the half-written parts now, while `handle` is still
        # open: left to the garbage collector, they write to a closed file and print tracebacks.
        for part in (sheet, archive):
            with contextlib.suppress(Exception):
                part.close()
        raise


def xlsx_cell(sheet, value, gettext):
    """Return a value as an XLSX cell: text (never a formula, cut to fit), numbers as they are."""
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, (list, dict)):
        value = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, str):
        return value
    text = UNSHOWABLE.sub("\ufffd", value)
    if len(text) > XLSX_CELL // 2 and len(text.encode("utf-16-le")) // 2 > XLSX_CELL:
        text = _cut(text, gettext)
    if text.lstrip("'")[:1] not in FORMULA_LEAD:
        return text  # openpyxl writes it as a text cell; a cell object per text is slower
    cell = WriteOnlyCell(sheet, value=text)
    # openpyxl makes any "=..." string a formula; a text cell is shown as it is, and the
    # quote prefix keeps it text even when someone edits the cell in Excel.
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def _cut(text, gettext):
    """Return `text` cut to fit one Excel cell, saying how much was left out."""
    limit = keep = XLSX_CELL - 200  # room for the note
    while len(text[:keep].encode("utf-16-le")) // 2 > limit:
        keep -= 1000
    note = gettext(N_("… (%(n)s more characters: the JSON export holds the whole text)")) % {"n": len(text) - keep}
    return text[:keep] + note
