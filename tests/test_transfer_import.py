"""CSV import: any file a clerk may bring is imported whole or refused whole, with its rows named."""
import json

import pytest
from transfer_helpers import init_village, write_csv


@pytest.fixture
def village(runner):
    return init_village(runner)


def households(village):
    return json.loads(village("export", "households", "--format", "json").stdout)


def refused(result):
    """Assert the import was refused cleanly (message, exit 1, no traceback); return stderr."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "Nothing was imported" in result.stderr
    return result.stderr


@pytest.mark.parametrize("size", [70_000, 200_000])
def test_a_cell_longer_than_any_field_is_refused_with_its_row(village, tmp_path, size):
    # 200,000 characters is past the csv module's own limit (128 KB), which used to end in a traceback.
    rows = [["A1", "甲", "ok"], ["A2", "乙", "x" * size], ["A3", "丙", "ok"]]
    err = refused(village("import", "households", write_csv(tmp_path / "h.csv", ["code", "head_name", "notes"], rows)))
    assert "row 3" in err and "64000" in err and "x" * 100 not in err
    assert households(village) == []


def test_a_repeated_header_column_is_refused(village, tmp_path):
    path = write_csv(tmp_path / "h.csv", ["code", "head_name", "head_name"], [["A1", "甲", "乙"]])
    err = refused(village("import", "households", path))
    assert "row 1, head_name: The column “head_name” appears 2 times in the header" in err
    assert households(village) == []


def test_a_header_column_without_a_name_is_refused(village, tmp_path):
    err = refused(village("import", "households", write_csv(tmp_path / "h.csv", ["code", "head_name", ""], [["A1", "甲", ""]])))
    assert "Column 3 of the header has no name." in err


def test_an_unknown_column_lists_the_known_ones(village, tmp_path):
    err = refused(village("import", "households", write_csv(tmp_path / "h.csv", ["code", "colour"], [["A1", "red"]])))
    assert "row 1, colour: Unknown column “colour”. Columns of households: id, area, code, head_name" in err


def test_a_number_too_large_is_refused_on_its_row(village, tmp_path):
    rows = [["A1", "甲", "3"], ["A2", "乙", str(10 ** 20)], ["A3", "丙", "4"]]
    err = refused(village("import", "households", write_csv(tmp_path / "h.csv", ["code", "head_name", "members"], rows)))
    assert "row 3, members" in err
    assert households(village) == []


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_utf8_with_or_without_bom_and_gb18030_are_read(village, tmp_path, encoding):
    path = write_csv(tmp_path / "h.csv", ["code", "head_name", "address"], [["A1", "王建国", "红星村三组 ①"]], encoding)
    result = village("import", "households", path)
    assert result.exit_code == 0, result.output
    assert [(r["code"], r["head_name"], r["address"]) for r in households(village)] == [("A1", "王建国", "红星村三组 ①")]
    assert ("read as GB18030" in result.stderr) == (encoding == "gb18030")


@pytest.mark.parametrize("content", [
    "code,head_name\nA1,caf\xe9\n".encode("latin-1") + b"\xff\xfe",
    "code,head_name\r\nA1,王\r\n".encode("utf-16"),
], ids=["latin-1", "utf-16"])
def test_a_file_in_another_encoding_is_refused(village, tmp_path, content):
    path = tmp_path / "h.csv"
    path.write_bytes(content)
    err = refused(village("import", "households", str(path)))
    assert "neither UTF-8 nor GB18030" in err and "row" not in err.split("Nothing")[0]
    assert households(village) == []


def test_an_empty_file_is_refused(village, tmp_path):
    path = tmp_path / "h.csv"
    path.write_bytes(b"")
    assert "The file is empty." in refused(village("import", "households", str(path)))


def test_a_header_without_records_is_refused(village, tmp_path):
    err = refused(village("import", "households", write_csv(tmp_path / "h.csv", ["code", "head_name"], [])))
    assert "The file has a header but no records below it." in err


def test_blank_rows_left_by_excel_are_skipped(village, tmp_path):
    path = write_csv(tmp_path / "h.csv", ["code", "head_name"], [["A1", "甲"], ["", ""], ["A2", "乙"], ["", " "]])
    result = village("import", "households", path)
    assert result.exit_code == 0, result.output
    assert "Imported 2 rows" in result.stdout and [r["code"] for r in households(village)] == ["A1", "A2"]


def test_every_bad_row_is_named_and_nothing_is_written(village, tmp_path):
    rows = [["A1", "甲", "2"], ["A2", "", "2"], ["A3", "丙", "many"], ["A4", "丁", "1"], ["A1", "戊", "1"]]
    err = refused(village("import", "households", write_csv(tmp_path / "h.csv", ["code", "head_name", "members"], rows)))
    assert "row 3, head_name: This is required." in err
    assert "row 4, members: “many” is not a whole number." in err
    assert "row 6, code: “A1” is already used by another record here." in err
    assert "row 2" not in err and "row 5" not in err
    assert households(village) == []


def test_a_file_with_many_bad_rows_lists_fifty_problems_and_counts_the_rest(village, tmp_path):
    rows = [[f"A{n}", "甲", "many"] for n in range(130)]
    err = refused(village("import", "households", write_csv(tmp_path / "h.csv", ["code", "head_name", "members"], rows)))
    assert err.count("is not a whole number") == 50 and "row 51, members" in err and "row 52," not in err
    assert "… and 80 more rows with problems." in err


def test_a_long_bad_value_is_cut_in_the_message(village, tmp_path):
    rows = [["A1", "甲", "z" * 150]]
    err = refused(village("import", "households", write_csv(tmp_path / "h.csv", ["code", "head_name", "monitoring_status"], rows)))
    assert "row 2, monitoring_status" in err and "z" * 79 + "…" in err and "z" * 80 not in err



@pytest.mark.parametrize("content", ['code,head_name\nA1,甲\nA2,"乙\nA3,丙\n', 'code,head_name\nA1,甲\nA2,"乙"x\n'],
                         ids=["unclosed", "text after the closing quote"])
def test_a_stray_quote_is_refused_not_guessed_at(village, tmp_path, content):
    # Read leniently, the unclosed quote swallowed row 4 into row 3's name without a word.
    path = tmp_path / "h.csv"
    path.write_text(content, encoding="utf-8")
    err = refused(village("import", "households", str(path)))
    assert "row 3: This row cannot be read as CSV" in err and "check its quotation marks" in err
    assert households(village) == []
