"""Import and export of the monitoring and care tables: round trips, guards with row numbers, the national sheet."""
import csv
import io
import json

from conftest import Village
from transfer_helpers import write_csv

from village.node import load_node, open_db
from village.ops.demo import populate

COUNTY_AREA = "52/5201/520102"
NEW_TABLES = ["attachments", "monitor_cases", "measures", "elder_profiles", "monitor_thresholds"]
# Parents before the records that refer to them.
ORDER = ["households", "persons", *NEW_TABLES, "visits"]


def demo_village(tmp_path):
    runner = Village(tmp_path / "village")
    assert runner("init", "--role", "village", "--name", "红星村", "--area", COUNTY_AREA + "/001", "--lang", "en"
                  ).exit_code == 0
    node = load_node(tmp_path / "village")
    db = open_db(node)
    populate(db, node, households=40)
    db.close()
    return runner


def blank_as_none(records):
    """A CSV cell cannot tell an empty text from no value: compare them as one."""
    return [{k: None if v == "" else v for k, v in record.items()} for record in records]


def test_every_new_table_goes_out_and_comes_back_as_it_was(tmp_path):
    village = demo_village(tmp_path)
    county = Village(tmp_path / "county")  # a county takes in a village's records of any step
    assert county("init", "--role", "county", "--name", "县", "--area", COUNTY_AREA, "--lang", "en").exit_code == 0
    exported = {}
    for table in ORDER:
        out = tmp_path / f"{table}.csv"
        assert village("export", table, "--out", str(out)).exit_code == 0
        exported[table] = json.loads(village("export", table, "--format", "json").output)
        result = county("import", table, str(out))
        assert result.exit_code == 0, (table, result.output)
    for table in ORDER:
        again = json.loads(county("export", table, "--format", "json").output)
        assert blank_as_none(again) == blank_as_none(exported[table]), table
    assert {len(exported[t]) > 0 for t in NEW_TABLES} == {True}
    for fmt in ("csv", "xlsx"):
        assert county("export", "monitor_cases", "--format", fmt, "--out", str(tmp_path / f"c.{fmt}")).exit_code == 0


def test_a_csv_that_jumps_a_case_past_consent_is_refused_with_its_row_number(tmp_path):
    village = demo_village(tmp_path)
    household = json.loads(village("export", "households", "--format", "json").output)[0]["id"]
    before = village("export", "monitor_cases", "--format", "json").output
    path = write_csv(tmp_path / "cases.csv", ["household_id", "channel", "lead_on", "status"], [
        [household, "self_report", "2026-01-05", "lead"],
        [household, "self_report", "2026-01-05", "deliberation"],  # no consent recorded
        [household, "self_report", "2026-01-05", "monitored"],  # the county's step, at a village
    ])
    result = village("import", "monitor_cases", path)
    assert result.exit_code != 0
    assert "row 3" in result.output.lower() and "consent" in result.output.lower()
    assert "row 4" in result.output.lower() and "only the township" in result.output.lower()
    assert village("export", "monitor_cases", "--format", "json").output == before  # nothing written


def test_the_national_sheet_lists_monitored_households_in_its_column_order(tmp_path):
    village = demo_village(tmp_path)
    result = village("export", "monitored")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert list(rows[0])[:5] == ["行政区划", "户编号", "户主姓名", "户主证件号码", "联系电话"]
    cases = json.loads(village("export", "monitor_cases", "--format", "json").output)
    kept = [c for c in cases if c["status"] in ("monitored", "elimination_checked", "elimination_deliberated",
                                                 "elimination_notice", "eliminated")]
    assert len(rows) == len(kept) >= 4
    assert {r["监测类型"] for r in rows} == {"防止返贫监测"}  # in Chinese whatever the node's language
    assert any(r["风险消除类型"] == "帮扶后消除" for r in rows)
