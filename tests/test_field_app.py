"""The field app's server side: its public shell and service worker, its forms and words, the worker's login."""
import json
import re
from pathlib import Path

import pytest
from clerk_helpers import PASSWORD, login

from village import create_app
from village.field import assets
from village.field.forms import describe, words
from village.records.checklists import CHECKLISTS

APP = Path(__file__).parent.parent / "village" / "static" / "field" / "app"


@pytest.fixture
def worker(open_app, users):
    """A test client logged in as field worker field1 (CSRF checks off, as for the clerk tests)."""
    client = open_app.test_client()
    assert login(client, "field1").status_code == 302
    return client


@pytest.mark.parametrize("path", ["/field/", "/field/sw.js", "/field/manifest.webmanifest", "/field/forms.json",
                                  "/field/words/ug.json"])
def test_the_shell_and_what_it_keeps_offline_need_no_login_and_hold_no_record(client, path):
    answer = client.get(path)
    assert answer.status_code == 200
    assert "HX0" not in answer.get_data(as_text=True)


def test_worker_data_needs_a_field_login(client, clerk):
    assert client.get("/field/api/me").status_code == 302
    assert clerk.get("/field/api/me").status_code == 403


def test_precache_lists_every_app_file_by_its_content_hash(client):
    script = client.get("/field/sw.js").get_data(as_text=True)
    listed = json.loads(re.search(r"const PRECACHE = (\[.*\]);", script).group(1))
    assert listed[:3] == ["/field/", "/field/manifest.webmanifest", "/field/forms.json"]
    for path in APP.iterdir():  # the scripts are in the joined module (tests/test_field_bundle.py)
        digest = assets.static_hashes()[f"field/app/{path.name}"]
        assert (f"/static/field/app/{path.name}?v={digest}" in listed) == (path.suffix != ".js")
    assert f"/field/app.js?v={assets.app_module()[1]}" in listed
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


def test_confirm_checks_the_logged_in_workers_password(worker):
    assert worker.post("/field/api/confirm", json={"password": PASSWORD}).status_code == 200
    wrong = worker.post("/field/api/confirm", json={"password": "not it at all"})
    assert wrong.status_code == 422 and wrong.get_json()["error"]["code"] == "field.wrong_password"


def test_me_gives_the_limits_the_tablet_enforces_offline(worker):
    me = worker.get("/field/api/me").get_json()
    assert me["username"] == "field1" and me["csrf"]
    assert me["limits"]["unlock_attempts"] == 5 and me["limits"]["pbkdf2_iterations"] >= 100_000
