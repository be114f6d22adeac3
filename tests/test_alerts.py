"""Emergency alerts at a hub (DOMAIN 4): CAP files of every msgType, bad and hostile files, area codes.

Each import runs `village alert import` against a county hub; what it writes is read back from
the hub's records, and a refused file is shown to change nothing at all.
"""
from pathlib import Path

import pytest
from conftest import COUNTY_AREA, Village

from sync.changelog import last_seq
from village.records import alerts, areacodes, cap, core
from village.records.notices import current_announcements

CAP = Path(__file__).parent / "data" / "cap"
VILLAGE = COUNTY_AREA + "/001"
OTHER = COUNTY_AREA + "/002"
FIRST = "52010241600000_20250601080000"


@pytest.fixture
def hub(make_node, hub_engine):
    """A county hub with two villages registered, once on SQLite and once on PostgreSQL; returns (node, db, run the CLI)."""
    node, db = make_node(role="county", area=COUNTY_AREA, subdir="hub")
    run = Village(node.data_dir)
    for name, area in (("红星村", VILLAGE), ("白云村", OTHER)):
        assert run("node", "add", "--name", name, "--area", area).exit_code == 0
    return node, db, run


def imported(run, name, *extra):
    return run("alert", "import", str(CAP / name), *extra)


def alert_rows(db):
    return list(core.rows(db, "announcements", "alert_key IS NOT NULL", order="area"))


def test_an_alert_reaches_exactly_the_area_its_code_names_in_its_colour_with_its_instruction(hub):
    node, db, run = hub
    done = imported(run, "alert.xml")
    assert done.exit_code == 0, done.output
    [row] = alert_rows(db)
    assert row["area"] == VILLAGE and row["id"] == alerts.record_id(FIRST, VILLAGE)
    assert (row["severity"], row["priority"], row["cap_status"], row["msg_type"]) == ("Severe", "emergency", "Actual",
                                                                                       "Alert")
    assert set(row["title"]) == {"zh_Hans", "en", "ug"} and "转移" in row["instruction"]["zh_Hans"]
    assert row["publish_at"] == "2025-06-01T00:00:00+00:00" and row["expires_at"].startswith("2099-06-02T00:00")
    assert [a["id"] for a in current_announcements(db, VILLAGE)] == [row["id"]]
    assert current_announcements(db, OTHER) == []


def test_the_same_alert_imported_again_changes_nothing(hub):
    node, db, run = hub
    imported(run, "alert.xml")
    before = last_seq(db)
    again = imported(run, "alert.xml")
    assert again.exit_code == 0 and "before" in again.output
    assert last_seq(db) == before


def test_an_update_rewrites_the_referenced_alert_and_a_cancel_withdraws_it(hub):
    node, db, run = hub
    imported(run, "alert.xml")
    assert imported(run, "update.xml").exit_code == 0
    [row] = alert_rows(db)
    assert (row["severity"], row["msg_type"], row["alert_key"]) == ("Extreme", "Update", FIRST)
    assert row["instruction"] == {"zh_Hans": "立即转移到村委会或学校，听从村干部指挥。"}
    # The Cancel names the Update, not the first Alert: it still finds the alert they share.
    assert imported(run, "cancel.xml").exit_code == 0
    [row] = alert_rows(db)
    assert row["msg_type"] == "Cancel" and row["cap_id"] == "52010241600000_20250601180000"
    assert current_announcements(db, VILLAGE) == []
    # The Update imported again after the Cancel is a duplicate: it does not bring the alert back.
    assert "before" in imported(run, "update.xml").output
    assert current_announcements(db, VILLAGE) == []


@pytest.mark.parametrize("name", ["ack.xml", "error.xml"])
def test_ack_and_error_messages_are_recorded_and_publish_nothing(hub, name):
    node, db, run = hub
    imported(run, "alert.xml")
    before = last_seq(db)
    done = imported(run, name)
    assert done.exit_code == 0 and "recorded" in done.output
    assert last_seq(db) == before
    assert db.execute("SELECT outcome FROM cap_messages WHERE msg_type IN ('Ack', 'Error')").fetchone() == ("recorded",)


def test_an_exercise_is_kept_for_the_whole_county_but_never_shown_to_residents(hub):
    node, db, run = hub
    done = imported(run, "exercise.xml")
    assert done.exit_code == 0 and "Exercise" in done.output
    [row] = alert_rows(db)
    assert (row["area"], row["cap_status"]) == (COUNTY_AREA, "Exercise")
    assert current_announcements(db, VILLAGE) == []


def test_a_gbt_file_without_namespace_matches_12_digit_codes_and_ignores_another_countys(hub):
    node, db, run = hub
    done = imported(run, "gbt_township.xml")
    assert done.exit_code == 0, done.output
    [row] = alert_rows(db)
    assert (row["area"], row["severity"], row["publish_at"]) == (OTHER, "Moderate", "2025-06-02T23:00:00+00:00")


def test_an_alert_for_no_area_of_this_county_is_refused_unless_sent_with_area(hub, tmp_path):
    node, db, run = hub
    foreign = tmp_path / "foreign.xml"
    foreign.write_text((CAP / "alert.xml").read_text().replace("520102001", "520111001"))
    refused = run("alert", "import", str(foreign))
    assert refused.exit_code == 1 and "520111001" in refused.output and "--area" in refused.output
    assert alert_rows(db) == []
    assert run("alert", "import", str(foreign), "--area", OTHER).exit_code == 0
    assert [r["area"] for r in alert_rows(db)] == [OTHER]


@pytest.mark.parametrize("name, says", [
    ("malformed.xml", "not well-formed XML"),
    ("xxe.xml", "DTD or entities"),
    ("billion_laughs.xml", "DTD or entities"),
])
def test_malformed_and_hostile_files_are_refused_and_change_nothing(hub, name, says):
    node, db, run = hub
    before = last_seq(db)
    refused = imported(run, name)
    assert refused.exit_code == 1 and says in refused.output
    assert "Traceback" not in refused.output and "root:" not in refused.output  # /etc/passwd never read
    assert last_seq(db) == before and db.execute("SELECT COUNT(*) FROM cap_messages").fetchone()[0] == 0


def test_an_oversized_file_is_refused_from_its_size_before_parsing(hub, tmp_path):
    node, db, run = hub
    big = tmp_path / "big.xml"
    text = (CAP / "alert.xml").read_text()
    big.write_text(text.replace("<scope>Public</scope>", "<scope>Public</scope><!--" + "x" * cap.MAX_BYTES + "-->"))
    refused = run("alert", "import", str(big))
    assert refused.exit_code == 1 and "more than an alert may hold" in refused.output
    assert alert_rows(db) == []


@pytest.mark.parametrize("edit, says", [
    (("<msgType>Alert", "<msgType>Update"), "names no alert in <references>"),
    (("<status>Actual", "<status>Real"), "not one of"),
    (("<sent>2025-06-01T08:00:00+08:00", "<sent>yesterday"), "<sent>"),
    (("<severity>Severe", "<severity>Awful"), "<severity>"),
    (("<identifier>52010241600000_20250601080000</identifier>", ""), "no <identifier>"),
])
def test_cap_values_that_are_not_cap_are_refused(hub, tmp_path, edit, says):
    node, db, run = hub
    bad = tmp_path / "bad.xml"
    bad.write_text((CAP / "alert.xml").read_text().replace(*edit))
    refused = run("alert", "import", str(bad))
    assert refused.exit_code == 1 and says in refused.output, refused.output
    assert alert_rows(db) == []


def test_an_update_of_an_alert_never_imported_is_refused(hub):
    node, db, run = hub
    refused = imported(run, "update.xml")
    assert refused.exit_code == 1 and "never imported" in refused.output
    assert db.execute("SELECT COUNT(*) FROM cap_messages").fetchone()[0] == 0


def test_a_village_node_does_not_import_alerts(make_node):
    node, db = make_node()
    refused = Village(node.data_dir)("alert", "import", str(CAP / "alert.xml"))
    assert refused.exit_code == 1 and "Only a county hub" in refused.output


@pytest.mark.parametrize("code, path", [
    ("520102001", VILLAGE),
    ("520102001000", VILLAGE),  # a 12-digit code padded: the township level
    ("520102002003", OTHER + "/003"),
    ("520102", COUNTY_AREA),
    ("520100", COUNTY_AREA),  # the prefecture covers the whole county
    ("520000", COUNTY_AREA),
    ("520111001", None),  # another county
    ("530102", None),
])
def test_administrative_codes_map_onto_area_paths(code, path):
    assert areacodes.path_of(code, COUNTY_AREA) == path


def test_a_known_path_written_with_full_codes_is_used_as_it_is():
    known = [COUNTY_AREA + "/520102001"]
    assert areacodes.path_of("520102001", COUNTY_AREA, known) == known[0]
    assert areacodes.code_of(known[0]) == areacodes.code_of(VILLAGE) == "520102001"


def test_a_township_named_beside_its_village_covers_it():
    assert areacodes.outermost([VILLAGE + "/002", VILLAGE, OTHER]) == [VILLAGE, OTHER]
