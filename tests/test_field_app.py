"""The field app's server side: its public shell and service worker, its forms and words, the sealed outbox."""
import json
import re
import uuid
from pathlib import Path

import pytest
from clerk_helpers import PASSWORD, household, login
from field_helpers import seal

from village import create_app
from village.field import assets
from village.field.forms import describe, words
from village.records import core
from village.records.checklists import CHECKLISTS
from village.users import add_user

APP = Path(__file__).parent.parent / "village" / "static" / "field" / "app"


@pytest.fixture
def worker(open_app, users):
    """A test client logged in as field worker field1 (CSRF checks off, as for the clerk tests)."""
    client = open_app.test_client()
    assert login(client, "field1").status_code == 302
    return client


def node_key(client):
    return client.get("/field/api/node-key").get_json()["key"]


def entry(client, table, values, record=None, worker="field1", entry_id=None):
    entry_id = entry_id or str(uuid.uuid4())
    payload = {"id": entry_id, "table": table, "record": record or str(uuid.uuid4()), "values": values,
               "worker": worker, "saved_at": 0}
    return seal(node_key(client), entry_id, payload)


def a_visit(household_id):
    return {"household_id": household_id, "kind": "elderly_care", "visited_on": "2026-05-01",
            "answers": {"speech_ok": True, "referral": "卫生院"}}


@pytest.mark.parametrize("path", ["/field/", "/field/sw.js", "/field/manifest.webmanifest", "/field/forms.json",
                                  "/field/words/ug.json", "/field/api/node-key"])
def test_the_shell_and_what_it_keeps_offline_need_no_login_and_hold_no_record(client, path):
    answer = client.get(path)
    assert answer.status_code == 200
    assert "HX0" not in answer.get_data(as_text=True)


def test_worker_data_needs_a_field_login(client, clerk):
    assert client.get("/field/api/me").status_code == 302
    assert clerk.get("/field/api/snapshot").status_code == 403


def test_precache_lists_every_app_file_by_its_content_hash(client):
    script = client.get("/field/sw.js").get_data(as_text=True)
    listed = json.loads(re.search(r"const PRECACHE = (\[.*\]);", script).group(1))
    assert listed[:3] == ["/field/", "/field/manifest.webmanifest", "/field/forms.json"]
    for path in APP.iterdir():
        digest = assets.static_hashes()[f"field/app/{path.name}"]
        assert f"/static/field/app/{path.name}?v={digest}" in listed
    assert client.get("/field/sw.js").headers["Cache-Control"] == "no-cache"


def test_a_changed_file_is_a_new_version(node, tmp_path, monkeypatch):
    before = assets.version(node)
    copy = tmp_path / "app"
    copy.mkdir()
    for path in APP.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr(assets, "APP_DIR", copy)
    assert assets.version(node) == before
    (copy / "app.js").write_text((copy / "app.js").read_text() + "\n// changed\n")
    assert assets.version(node) != before


def test_kill_switch_serves_a_worker_that_removes_itself(node):
    node.settings["field_kill_switch"] = 1
    script = create_app({"NODE": node, "TESTING": True}).test_client().get("/field/sw.js").get_data(as_text=True)
    assert "const KILL = true;" in script


def test_forms_cover_every_visit_kind_and_checklist_item():
    forms = describe()
    for kind, items in CHECKLISTS.items():
        assert [i["name"] for i in forms["checklists"][kind]["items"]] == [i.name for i in items]
    assert {"households", "persons", "plots", "plantings", "visits"} <= set(forms["tables"])
    area = next(f for f in forms["tables"]["plots"]["fields"] if f["name"] == "area_mu")
    assert area["exclusive_min"] and area["minimum"] == 0 and area["required"]


def test_every_word_the_scripts_ask_for_is_translated():
    asked = set()
    for script in APP.glob("*.js"):
        asked |= set(re.findall(r'\bt\("((?:[^"\\]|\\.)*)"', script.read_text()))
    for lang in ("zh_Hans", "ug"):
        translated = words(lang)
        missing = [text for text in asked if text not in translated or translated[text] == text]
        assert not missing, (lang, missing)


def test_english_main_actions_read_as_the_issue_says():
    english = words("en")
    for action in ("New visit", "Save", "Sync now", "Log out", "Export unsynced"):
        assert english[action] == action


def test_a_sealed_visit_is_saved_once_with_its_worker_as_visitor(worker, db, node):
    hh = household(db, node)
    sealed = entry(worker, "visits", {**a_visit(hh), "visitor": "someone else"})
    for _ in range(2):  # an answer lost on the way: the tablet sends the same entry again
        answer = worker.post("/field/api/outbox", json={"entries": [sealed]}).get_json()
        assert answer["accepted"] == [sealed["id"]] and answer["refused"] == []
    visits = list(core.rows(db, "visits"))
    assert len(visits) == 1 and visits[0]["visitor"] == "field1" and visits[0]["answers"]["referral"] == "卫生院"


def test_another_worker_pushes_the_first_workers_entry(worker, db, node, open_app):
    add_user(db, "field2", "fieldworker", PASSWORD)
    hh = household(db, node)
    sealed = entry(worker, "visits", a_visit(hh), worker="field2")
    assert worker.post("/field/api/outbox", json={"entries": [sealed]}).get_json()["accepted"] == [sealed["id"]]
    assert next(core.rows(db, "visits"))["visitor"] == "field2"


@pytest.mark.parametrize("attack", ["tampered", "other_key", "clerk_as_worker", "county_table", "bad_answers",
                                    "area_given"])
def test_entries_the_node_must_refuse_change_nothing(worker, db, node, attack):
    hh = household(db, node)
    if attack == "tampered":
        sealed = entry(worker, "visits", a_visit(hh))
        sealed["ct"] = sealed["ct"][:-8] + ("A" * 8 if not sealed["ct"].endswith("A" * 8) else "B" * 8)
    elif attack == "other_key":
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
        from sync.seal import public_text

        entry_id = str(uuid.uuid4())
        sealed = seal(public_text(X25519PrivateKey.generate()), entry_id,
                      {"id": entry_id, "table": "visits", "record": str(uuid.uuid4()), "values": a_visit(hh),
                       "worker": "field1"})
    elif attack == "clerk_as_worker":
        sealed = entry(worker, "visits", a_visit(hh), worker="clerk1")
    elif attack == "county_table":
        sealed = entry(worker, "market_prices", {"commodity": "x", "unit": "kg", "price": 1, "observed_on": "2026-01-01"})
    elif attack == "bad_answers":
        sealed = entry(worker, "visits", {**a_visit(hh), "answers": {"speech_ok": "maybe"}})
    else:
        sealed = entry(worker, "households", {"code": "HX9", "head_name": "x", "area": "52/5201/520102/002"})
    answer = worker.post("/field/api/outbox", json={"entries": [sealed]}).get_json()
    if attack == "area_given":  # saved, but where the node says: its own area
        assert answer["accepted"] and next(core.rows(db, "households", "code = 'HX9'"))["area"] == node.area
        return
    assert answer["accepted"] == [] and answer["refused"][0]["id"] == sealed["id"]
    assert list(core.rows(db, "visits")) == [] and list(core.rows(db, "market_prices")) == []


def test_a_push_that_is_not_a_list_of_entries_gets_the_json_error(worker):
    answer = worker.post("/field/api/outbox", json={"entries": [{}] * 201})
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "field.bad_push"


def test_confirm_checks_the_logged_in_workers_password(worker):
    assert worker.post("/field/api/confirm", json={"password": PASSWORD}).status_code == 200
    wrong = worker.post("/field/api/confirm", json={"password": "not it at all"})
    assert wrong.status_code == 422 and wrong.get_json()["error"]["code"] == "field.wrong_password"


def test_me_gives_the_limits_the_tablet_enforces_offline(worker):
    me = worker.get("/field/api/me").get_json()
    assert me["username"] == "field1" and me["csrf"]
    assert me["limits"]["unlock_attempts"] == 5 and me["limits"]["pbkdf2_iterations"] >= 100_000


def test_snapshot_holds_the_village_households(worker, db, node):
    hh = household(db, node)
    rows = worker.get("/field/api/snapshot").get_json()["rows"]
    assert [h["id"] for h in rows["households"]] == [hh]
