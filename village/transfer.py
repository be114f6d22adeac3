"""Import records from CSV and export them as CSV, JSON or XLSX."""
import csv
import json

from village.i18n_markers import N_
from village.records import core
from village.records.schema import column_names
from village.records.validate import ValidationError

MAX_REPORTED = 50
CONFLICT_COLUMNS = ["id", "tbl", "row_id", "field", "kept_value", "kept_version", "lost_value", "lost_version",
                    "recorded_at", "resolved_at", "resolved_by"]


class ImportRefused(Exception):
    """A file that was not imported at all; `problems` lists (row number, field, message)."""

    def __init__(self, problems, total):
        super().__init__(f"{len(problems)} problems")
        self.problems, self.total = problems, total


def read_csv(path):
    """Return (header, rows) of a UTF-8 CSV file (a byte-order mark from Excel is allowed)."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise ImportRefused([(1, "", N_("The file is empty."), {})], 0)
        return [h.strip() for h in header], list(reader)


def import_csv(db, node, table, path, progress=lambda done, total: None):
    """Upsert every row of a CSV file by id, all or nothing; return how many rows were written.

    A row without an id gets a new one. Raise ImportRefused listing every problem, with its
    row number as a spreadsheet shows it (the header is row 1), when any row is bad.
    """
    known = set(column_names(table))
    try:
        header, data = read_csv(path)
    except UnicodeDecodeError:
        raise ImportRefused([(0, "", N_("The file is not UTF-8 text. Save it as “CSV UTF-8”."), {})], 0) from None
    unknown = [h for h in header if h not in known]
    if unknown:
        raise ImportRefused([(1, h, N_("Unknown column “%(column)s”. Columns of %(table)s: %(columns)s."),
                              {"column": h, "table": table, "columns": ", ".join(column_names(table))})
                             for h in unknown], len(data))
    problems, seen = [], set()
    try:
        with core.write(db, node) as writer:
            for number, raw in enumerate(data, start=2):
                if len(raw) != len(header):
                    problems.append((number, "", N_("This row has %(got)s cells; the header has %(want)s."),
                                     {"got": len(raw), "want": len(header)}))
                    continue
                values = dict(zip(header, raw))
                row_id = values.pop("id", "").strip() or None
                if row_id in seen:
                    problems.append((number, "id", N_("The id %(id)s appears twice in the file."), {"id": row_id}))
                    continue
                try:
                    row_id = core.save(writer, node, table, values, row_id=row_id)
                    seen.add(row_id)
                except ValidationError as exc:
                    problems += [(number, f, m, p) for f, m, p in exc.problems]
                if len(problems) >= MAX_REPORTED:
                    break
                if number % 1000 == 0:
                    progress(number - 1, len(data))
            if problems:
                # Leaving the block by an exception rolls the whole file back.
                raise ImportRefused(problems, len(data))
    finally:
        progress(len(data), len(data))
    return len(data)


def export_rows(db, table):
    """Return (columns, iterator of records) for `table`, or for `conflicts`."""
    if table == "conflicts":
        cur = db.execute(f"SELECT {', '.join(CONFLICT_COLUMNS)} FROM _conflicts ORDER BY id")
        return CONFLICT_COLUMNS, (dict(zip(CONFLICT_COLUMNS, r)) for r in cur)
    return column_names(table), core.rows(db, table)


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else str(value)
    return str(value)


def write_csv(columns, records, handle):
    """Write records as CSV to a text handle."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([_cell(record.get(c)) for c in columns])


def write_json(columns, records, handle):
    """Write records as one JSON array to a text handle, a record per line."""
    handle.write("[")
    for index, record in enumerate(records):
        handle.write(",\n" if index else "\n")
        handle.write(json.dumps({c: record.get(c) for c in columns}, ensure_ascii=False))
    handle.write("\n]\n")


def write_xlsx(columns, records, path):
    """Write records to an XLSX workbook at `path`."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("records")
    sheet.append(columns)
    for record in records:
        sheet.append([_cell(record.get(c)) if isinstance(record.get(c), (list, dict)) else record.get(c)
                      for c in columns])
    book.save(path)
