"""The command line: init, import/export round trips, refusals, users, backup, check, status."""
import csv
import json
import os
import sqlite3

from pathlib import Path

import pytest
from conftest import Village

AREA = "52/5201/520102/001"
TRICKY = ["王建国", 'He said "hi", then left', "line one\nline two", "🌾🐖 丰收", "a,b,,c", " spaced ", "ئۇيغۇرچە"]
ONE_LINE = [t for t in TRICKY if "\n" not in t]  # names and addresses keep no line breaks


@pytest.fixture
def village(runner):
    result = runner("init", "--role", "village", "--name", "红星村", "--area", AREA, "--lang", "en")
    assert result.exit_code == 0, result.output
    return runner


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def test_init_refuses_an_existing_node(village):
    result = village("init", "--role", "county", "--name", "x", "--area", "52")
    assert result.exit_code == 1 and "already holds a node" in result.output


def test_init_refuses_a_bad_area(runner):
    result = runner("init", "--role", "village", "--name", "x", "--area", "52/abc")
    assert result.exit_code == 1 and "not an area code path" in result.output


def test_commands_on_a_missing_node_say_what_to_do(runner):
    result = runner("status")
    assert result.exit_code == 1 and "village init" in result.output


def test_a_newer_schema_is_refused(village):
    db = sqlite3.connect(f"{village.data_dir}/village.db")
    db.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('village', 'm999_future', 'x')")
    db.commit()
    db.close()
    result = village("status")
    assert result.exit_code == 1 and "newer version" in result.output


def test_import_then_export_returns_every_field_as_given(village, tmp_path):
    header = ["id", "area", "code", "head_name", "id_number", "phone", "address", "members", "monitoring_status", "notes"]
    rows = [[f"00000000-0000-4000-8000-{n:012d}", AREA, f"H{n:04d}", ONE_LINE[n % len(ONE_LINE)],
             f"5201021950010{n:05d}", f"138{n:08d}", ONE_LINE[(n + 3) % len(ONE_LINE)], str(n % 7),
             ["none", "watch", "at_risk", "supported"][n % 4], TRICKY[(n + 1) % len(TRICKY)]] for n in range(1000)]
    result = village("import", "households", write_csv(tmp_path / "h.csv", header, rows))
    assert result.exit_code == 0, result.output
    exported = json.loads(village("export", "households", "--format", "json").output)
    assert len(exported) == 1000
    by_id = {r["id"]: r for r in exported}
    for row in rows:
        got = by_id[row[0]]
        expected = dict(zip(header, row))
        expected["members"] = int(expected["members"])
        assert {k: got[k] for k in header} == expected
    again = list(csv.reader(village("export", "households", "--format", "csv").output.splitlines(keepends=True)))
    assert again[0][:len(header)] == header
    assert [row[:len(header)] for row in again[1:]] == rows
    assert {tuple(row[len(header):]) for row in again[1:]} == {("",)}  # poverty_exit_year, not given


def test_import_without_ids_makes_new_ones_and_upserts_by_id(village, tmp_path):
    path = write_csv(tmp_path / "h.csv", ["code", "head_name"], [["A1", "甲"], ["A2", "乙"]])
    assert village("import", "households", path).exit_code == 0
    records = json.loads(village("export", "households", "--format", "json").output)
    assert len({r["id"] for r in records}) == 2
    first = records[0]
    update = write_csv(tmp_path / "u.csv", ["id", "head_name"], [[first["id"], "丙"]])
    assert village("import", "households", update).exit_code == 0
    after = {r["id"]: r for r in json.loads(village("export", "households", "--format", "json").output)}
    assert len(after) == 2 and after[first["id"]]["head_name"] == "丙" and after[first["id"]]["code"] == first["code"]


def test_a_bad_file_is_refused_whole_with_row_numbers(village, tmp_path):
    path = write_csv(tmp_path / "p.csv", ["code", "head_name", "members", "monitoring_status"],
                     [["B1", "甲", "2", "none"], ["B2", "", "2", "none"], ["B3", "丙", "many", "rich"], ["B4", "丁", "1", "none"]])
    result = village("import", "households", path)
    assert result.exit_code == 1
    assert "row 3, head_name" in result.output and "row 4, members" in result.output
    assert "row 4, monitoring_status" in result.output and "Nothing was imported" in result.output
    assert json.loads(village("export", "households", "--format", "json").output) == []


def test_an_unknown_column_or_table_is_refused(village, tmp_path):
    path = write_csv(tmp_path / "x.csv", ["code", "head_name", "colour"], [["C1", "甲", "red"]])
    result = village("import", "households", path)
    assert result.exit_code == 1 and "Unknown column “colour”" in result.output
    result = village("export", "cows")
    assert result.exit_code == 1 and "no table called" in result.output


def test_children_import_refers_to_existing_households(village, tmp_path):
    assert village("import", "households", write_csv(tmp_path / "h.csv", ["id", "code", "head_name"], [["h-1", "D1", "甲"]])).exit_code == 0
    good = write_csv(tmp_path / "p.csv", ["household_id", "name", "birth_date"], [["h-1", "甲", "1950-01-01"]])
    assert village("import", "persons", good).exit_code == 0
    bad = write_csv(tmp_path / "q.csv", ["household_id", "name"], [["h-404", "乙"]])
    result = village("import", "persons", bad)
    assert result.exit_code == 1 and "row 2, household_id" in result.output


def test_export_xlsx_and_to_a_file(village, tmp_path):
    from openpyxl import load_workbook

    village("import", "households", write_csv(tmp_path / "h.csv", ["code", "head_name", "members"], [["E1", "🌾 王", "4"]]))
    out = tmp_path / "h.xlsx"
    assert village("export", "households", "--format", "xlsx", "--out", str(out)).exit_code == 0
    sheet = load_workbook(out).active
    rows = list(sheet.values)
    assert rows[0][:4] == ("id", "area", "code", "head_name") and rows[1][3] == "🌾 王" and rows[1][7] == 4
    assert village("export", "households", "--format", "xlsx").exit_code == 1


def test_user_add_hashes_the_password(village):
    result = village("user", "add", "clerk1", "--role", "clerk", "--password-stdin", input="correct horse\n")
    assert result.exit_code == 0, result.output
    stored = sqlite3.connect(f"{village.data_dir}/village.db").execute("SELECT password_hash, role FROM users").fetchone()
    assert stored[0].startswith("$argon2") and "correct horse" not in stored[0] and stored[1] == "clerk"
    assert village("user", "add", "clerk1", "--role", "clerk", "--password-stdin", input="another one\n").exit_code == 1
    short = village("user", "add", "clerk2", "--role", "clerk", "--password-stdin", input="short\n")
    assert short.exit_code == 1 and "at least 8" in short.output


def test_status_json_is_machine_readable(village, tmp_path):
    village("import", "households", write_csv(tmp_path / "h.csv", ["code", "head_name"], [["F1", "甲"]]))
    info = json.loads(village("status", "--json").output)
    assert info["records"]["households"] == 1 and info["area"] == AREA and info["sync"]["pending"] == 1


def test_backup_restore_and_check(village, tmp_path):
    village("import", "households", write_csv(tmp_path / "h.csv", ["code", "head_name"], [["G1", "甲"]]))
    backup = tmp_path / "b.db"
    assert village("backup", "--out", str(backup)).exit_code == 0
    assert village("backup", "--out", str(backup)).exit_code == 1
    village("import", "households", write_csv(tmp_path / "h2.csv", ["code", "head_name"], [["G2", "乙"]]))
    seq_before = json.loads(village("status", "--json").output)["sync"]["last_seq"]
    assert village("restore", str(backup)).exit_code == 0
    codes = [r["code"] for r in json.loads(village("export", "households", "--format", "json").output)]
    assert codes == ["G1"]
    assert village("check").exit_code == 0
    # New changes after a restore never reuse a sequence number handed out before it.
    village("import", "households", write_csv(tmp_path / "h3.csv", ["code", "head_name"], [["G3", "丙"]]))
    assert json.loads(village("status", "--json").output)["sync"]["last_seq"] > seq_before
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    result = village("restore", str(tmp_path / "junk.db"))
    assert result.exit_code == 1 and "not a backup" in result.output


def test_check_finds_a_row_written_around_the_change_log(village, tmp_path):
    village("import", "households", write_csv(tmp_path / "h.csv", ["code", "head_name"], [["K1", "甲"]]))
    db = sqlite3.connect(f"{village.data_dir}/village.db")
    db.execute("UPDATE households SET _version = 'bogus'")
    db.commit()
    db.close()
    result = village("check")
    assert result.exit_code == 1 and "no change-log entry" in result.output


def test_demo_makes_a_village_and_its_county_whose_users_can_log_in(runner):
    import re

    from conftest import free_port

    from village import create_app
    from village.node import load_node
    from village.ops.demo_county import hub_path

    result = runner("demo", "--no-serve", "--villages", "2", "--hub-port", str(free_port()))
    assert result.exit_code == 0, result.output
    said = result.output  # in the demo's language, Chinese
    assert "演示县：3 个村，0 个已多日未联系，1 个冲突，1 条暂扣的修改。" in said and "青山村 已注册" in said
    assert "账号 clerk" in said and "/county/（账号 county，密码 village-demo）" in said
    for data, user in ((runner.data_dir, "clerk"), (hub_path(Path(runner.data_dir)), "county")):
        client = create_app({"NODE": load_node(data), "TESTING": True}).test_client()
        form = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        answer = client.post("/login", data={"csrf_token": token, "username": user, "password": "village-demo"})
        assert answer.status_code == 302 and "/login" not in answer.headers["Location"], user
    assert load_node(runner.data_dir).area == "52/5201/520102/001"
    again = runner("demo", "--no-serve", "--hub-port", str(free_port()))
    assert again.exit_code == 0 and "演示县" not in again.output and "账号 county" in again.output  # kept


@pytest.mark.parametrize("out, says", [
    ("no-such-folder/b.db", "There is no folder"),
    (".", "is a folder"),
    ("h.csv", "already exists"),
])
def test_backup_refuses_a_place_it_cannot_write_before_starting(village, tmp_path, out, says):
    (tmp_path / "h.csv").write_text("code\n", encoding="utf-8")
    result = village("backup", "--out", str(tmp_path / out))
    assert result.exit_code == 1 and says in result.output
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".part")]


def test_init_in_a_place_that_cannot_hold_a_folder_says_so(runner, tmp_path):
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    result = Village(tmp_path / "a-file" / "data")("init", "--role", "village", "--name", "x", "--area", AREA)
    assert result.exit_code == 1 and "could not be used (Not a directory)" in result.output


def test_a_failed_init_leaves_nothing_behind_and_can_be_run_again(runner, monkeypatch):
    import village.node

    def broken(data_dir):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("village.keys.sealing_key", broken)
    result = runner("init", "--role", "village", "--name", "x", "--area", AREA)
    assert result.exit_code == 1 and "is full" in result.output
    monkeypatch.undo()
    assert sorted(os.listdir(runner.data_dir)) == []
    assert runner("init", "--role", "village", "--name", "x", "--area", AREA).exit_code == 0
    assert village.node.load_node(runner.data_dir).name == "x"
