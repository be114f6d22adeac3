"""API tokens: `village token add/list/revoke`, the admin's page, what is stored, and the document."""
import json
import re

import pytest
from api_helpers import VILLAGE
from clerk_helpers import PASSWORD, login

from village.api.openapi import document
from village.node import load_node, open_db
from village.records.schema import TABLES, fields
from village.records.tokens import digest
from village.records.workflows import FLOWS
from village.users import add_user


@pytest.fixture
def village(runner):
    assert runner("init", "--role", "village", "--name", "x", "--area", VILLAGE, "--lang", "en").exit_code == 0
    assert runner("user", "add", "clerk1", "--role", "clerk", "--password-stdin", input="password-1\n").exit_code == 0
    return runner


def test_a_token_is_printed_once_and_stored_only_as_its_hash(village):
    made = village("token", "add", "clerk1", "--name", "monitoring", "--days", "30")
    assert made.exit_code == 0
    secret = made.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"vt_[A-Za-z0-9_-]{43}", secret)
    db = open_db(load_node(village.data_dir))
    stored = db.execute("SELECT * FROM api_tokens").fetchall()
    assert len(stored) == 1 and secret not in json.dumps(stored) and digest(secret) in stored[0]
    listed = json.loads(village("token", "list", "--json").stdout)
    assert [(t["name"], t["role"], t["area"]) for t in listed] == [("monitoring", "clerk", VILLAGE)]
    assert secret not in village("token", "list").stdout and "token_hash" not in listed[0]


@pytest.mark.parametrize("args, code", [
    (("--name", "x y"), "name"), (("--name", "t", "--days", "0"), "days"),
    (("--name", "t", "--area", "52/5201/520102/002"), "area"), (("--name", "t", "--role", "county"), "role")])
def test_a_token_outside_what_its_user_may_do_is_refused(village, args, code):
    refused = village("token", "add", "clerk1", *args)
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert json.loads(village("token", "list", "--json").stdout) == []


def test_revoking_a_token_stops_it_and_is_audited(village):
    secret = village("token", "add", "clerk1", "--name", "feed").stdout.strip().splitlines()[-1]
    assert village("token", "revoke", "feed").exit_code == 0
    assert village("token", "revoke", "feed").exit_code == 1  # already revoked: said so
    db = open_db(load_node(village.data_dir))
    from village.records.tokens import token_for

    assert token_for(db, secret) is None
    actions = [r[0] for r in db.execute("SELECT action FROM audit WHERE target = 'feed' ORDER BY id")]
    assert actions == ["token.add", "token.revoke"]


def test_the_admin_page_shows_a_new_token_once_and_revokes_it(open_app, db, node):
    add_user(db, "admin1", "admin", PASSWORD)
    add_user(db, "clerk1", "clerk", PASSWORD)
    client = open_app.test_client()
    assert login(client, "admin1").status_code == 302
    made = client.post("/admin/tokens", data={"name": "county-feed", "username": "clerk1", "days": "7"})
    secret = re.search(r'id="new-token">(vt_[^<]+)<', made.get_data(as_text=True)).group(1)
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    assert secret not in client.get("/admin/tokens").get_data(as_text=True)
    assert open_app.test_client().get("/api/households", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    token_id = db.execute("SELECT id FROM api_tokens").fetchone()[0]
    assert client.post(f"/admin/tokens/{token_id}/revoke").status_code == 302
    assert open_app.test_client().get("/api/households", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    bad = client.post("/admin/tokens", data={"name": "x", "username": "clerk1"})
    assert bad.status_code == 400 and "2 to 60" in bad.get_data(as_text=True)


def test_a_clerk_cannot_open_the_token_page(clerk):
    assert clerk.get("/admin/tokens").status_code == 403


def test_the_document_has_every_table_and_workflow_from_their_declarations(client):
    served = client.get("/api/openapi.json")
    assert served.status_code == 200 and served.json == json.loads(json.dumps(document()))
    doc = served.json
    for table in TABLES:
        assert {f"/api/{table}", f"/api/{table}/{{row_id}}"} <= set(doc["paths"])
        assert set(doc["components"]["schemas"][table]["properties"]) >= set(fields(table))
        for name, spec in fields(table).items():
            if spec.kind == "choice":
                assert doc["components"]["schemas"][table]["properties"][name]["enum"][:len(spec.choices)] == \
                    list(spec.choices)
    for flow in FLOWS.values():  # every workflow's moves, the monitoring case's steps too
        move = doc["paths"][f"/api/{flow.table}/{{row_id}}/transitions"]["post"]
        mapping = move["requestBody"]["content"]["application/json"]["schema"]["discriminator"]["mapping"]
        assert set(mapping) == {name for step in flow.steps for name in step.next}
        for status, ref in mapping.items():
            body, step = doc["components"]["schemas"][ref.rsplit("/", 1)[1]], flow.step(status)
            assert body["properties"]["status"]["enum"] == [status] and body["required"] == ["status", *step.asks]
            assert set(body["properties"]) == {"status", "note", *step.asks}
    decided = doc["components"]["schemas"]["monitor_cases_to_monitored"]
    assert decided["properties"]["category"]["enum"] == list(fields("monitor_cases")["category"].choices)
    assert "county tier" in decided["description"] and "county_by" in decided["description"]
    assert not {"status", "steps", "county_by", "county_on"} & set(doc["components"]["schemas"]["monitor_cases_change"]["properties"])
    new = doc["components"]["schemas"]["households_new"]
    assert new["required"] == ["code", "head_name"] and new["properties"]["members"]["maximum"] == 200
    assert "status" not in doc["components"]["schemas"]["service_requests_change"]["properties"]


def test_the_reference_page_is_served_offline(client):
    page = client.get("/api/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "/api/households/{row_id}/transitions" not in text
    assert "/api/service_requests/{row_id}/transitions" in text and "households_new" in text
    # Each step of a case has its body, linked from the move and described from its declaration.
    assert '<a href="#schema-monitor_cases_to_monitored">' in text and 'id="schema-monitor_cases_to_monitored"' in text
    assert "Taken by the county tier. Records category" in text
    assert not re.search(r'(src|href)="https?://', text)
