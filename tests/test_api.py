"""The JSON API's records: authorization by token and area, idempotent creates, ETags, workflows, errors."""
import datetime

import pytest
from api_helpers import COUNTY, NEIGHBOUR, VILLAGE, token

from village import create_app
from village.records import core
from village.users import set_disabled, set_role


@pytest.fixture
def api(node, db):
    """A test client of a village node and a clerk's token for it."""
    return create_app({"NODE": node, "TESTING": True}).test_client(), token(db, node)


@pytest.fixture
def hub(make_node, hub_engine):
    """A county hub (its records in SQLite, then in PostgreSQL) holding a household of two villages, its client,
    and a token scoped to the first village."""
    node, db = make_node("county", COUNTY)
    with core.write(db, node) as w:
        mine = core.save(w, node, "households", {"code": "A1", "head_name": "甲", "area": VILLAGE})
        theirs = core.save(w, node, "households", {"code": "B1", "head_name": "乙", "area": NEIGHBOUR})
    client = create_app({"NODE": node, "TESTING": True}).test_client()
    return client, token(db, node, area=VILLAGE), mine, theirs, db, node


def new_household(client, headers, code="H1", **extra):
    response = client.post("/api/households", headers=headers, json={"code": code, "head_name": "王建国", **extra})
    assert response.status_code == 201, response.json
    return response


def count(db, table="households"):
    return db.execute(f"SELECT COUNT(*) FROM [{table}] WHERE _deleted = 0").fetchone()[0]


def test_a_retried_post_with_the_same_idempotency_key_creates_one_record(api, db):
    client, headers = api
    keyed = {**headers, "Idempotency-Key": "load-2024-06-01-0001"}
    first = new_household(client, keyed)
    again = client.post("/api/households", headers=keyed, json={"code": "H1", "head_name": "王建国"})
    assert again.status_code == 201 and again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true" and again.headers["ETag"] == first.headers["ETag"]
    assert count(db) == 1


def test_the_same_idempotency_key_with_another_body_is_refused_and_saves_nothing(api, db):
    client, headers = api
    keyed = {**headers, "Idempotency-Key": "k-1"}
    new_household(client, keyed)
    other = client.post("/api/households", headers=keyed, json={"code": "H2", "head_name": "李"})
    assert other.status_code == 422 and other.json["error"]["code"] == "api.idempotency_mismatch"
    assert count(db) == 1
    # The key belongs to the token: another token's same key is another request.
    assert client.post("/api/households", headers={**token(db, client.application.config["NODE"], name="other"),
                                                   "Idempotency-Key": "k-1"},
                       json={"code": "H2", "head_name": "李"}).status_code == 201


def test_a_stale_if_match_gets_412_and_changes_nothing(api, db):
    client, headers = api
    created = new_household(client, headers)
    url, old = f"/api/households/{created.json['id']}", created.headers["ETag"]
    assert client.patch(url, headers={**headers, "If-Match": old}, json={"members": 3}).status_code == 200
    stale = client.patch(url, headers={**headers, "If-Match": old}, json={"members": 9})
    assert stale.status_code == 412 and stale.json["error"]["code"] == "api.stale"
    assert client.delete(url, headers={**headers, "If-Match": old}).status_code == 412
    missing = client.patch(url, headers=headers, json={"members": 9})
    assert missing.status_code == 428 and missing.json["error"]["code"] == "api.if_match_required"
    now = client.get(url, headers=headers)
    assert now.json["members"] == 3 and count(db) == 1
    assert client.delete(url, headers={**headers, "If-Match": now.headers["ETag"]}).status_code == 204
    assert client.get(url, headers=headers).status_code == 404 and count(db) == 0


def test_a_village_token_cannot_read_or_write_outside_its_village(hub):
    client, headers, mine, theirs, db, _node = hub
    listed = client.get("/api/households", headers=headers).json["items"]
    assert [r["code"] for r in listed] == ["A1"]
    assert client.get(f"/api/households/{theirs}", headers=headers).status_code == 404
    assert client.get(f"/api/households?area={NEIGHBOUR}", headers=headers).status_code == 403
    assert client.get("/api/households?changed_since=0", headers=headers).json["items"][0]["id"] == mine
    etag = client.get(f"/api/households/{mine}", headers=headers).headers["ETag"]
    assert client.patch(f"/api/households/{theirs}", headers={**headers, "If-Match": etag},
                        json={"head_name": "x"}).status_code == 404
    assert client.delete(f"/api/households/{theirs}", headers={**headers, "If-Match": etag}).status_code == 404
    moved = client.patch(f"/api/households/{mine}", headers={**headers, "If-Match": etag}, json={"area": NEIGHBOUR})
    assert moved.status_code == 422
    assert client.post("/api/households", headers=headers,
                       json={"code": "X", "head_name": "x", "area": NEIGHBOUR}).status_code == 422
    # Hanging a member under the other village's household would put it in that village's area.
    under = client.post("/api/persons", headers=headers, json={"household_id": theirs, "name": "丙"})
    assert under.status_code == 422 and under.json["error"]["problems"][0]["field"] == "household_id"
    rows = db.execute("SELECT code, area, head_name FROM households ORDER BY code").fetchall()
    assert rows == [("A1", VILLAGE, "甲"), ("B1", NEIGHBOUR, "乙")] and count(db, "persons") == 0


def test_a_county_token_sees_its_county_and_publishes_notices_a_village_cannot(hub, make_node):
    client, _village, mine, theirs, db, node = hub
    county = token(db, node, role="county", name="county-token")
    assert {r["id"] for r in client.get("/api/households", headers=county).json["items"]} == {mine, theirs}
    notice = {"title": {"en": "Road closed"}, "priority": "urgent"}
    assert client.post("/api/announcements", headers=county, json=notice).status_code == 201
    village_node, village_db = make_node()
    village = create_app({"NODE": village_node, "TESTING": True}).test_client()
    refused = village.post("/api/announcements", headers=token(village_db, village_node), json=notice)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "api.forbidden"
    assert count(village_db, "announcements") == 0


def test_a_field_workers_token_writes_only_what_the_field_app_writes(api, db, node):
    client, _clerk = api
    field = token(db, node, role="fieldworker")
    assert client.post("/api/households", headers=field, json={"code": "F1", "head_name": "x"}).status_code == 201
    refused = client.post("/api/grievances", headers=field, json={"category": "road", "description": "hole"})
    assert refused.status_code == 403 and count(db, "grievances") == 0


def test_sensitive_fields_are_masked_for_roles_that_do_not_see_them(api, db, node):
    client, clerk = api
    new_household(client, clerk, phone="13812345678", id_number="110101199003071234")
    county = token(db, node, role="county")
    assert client.get("/api/households", headers=clerk).json["items"][0]["phone"] == "13812345678"
    shown = client.get("/api/households", headers=county).json["items"][0]
    assert shown["phone"] == "138****5678" and shown["id_number"] == "110***********1234"
    # Nor can such a role find a record by a sensitive value it may not read.
    assert client.get("/api/households?phone=13812345678", headers=county).status_code == 400
    assert len(client.get("/api/households?phone=13812345678", headers=clerk).json["items"]) == 1


def test_a_workflow_moves_only_along_its_transitions_never_by_writing_the_status(api, db):
    client, headers = api
    created = client.post("/api/service_requests", headers=headers, json={"applicant_name": "李秀英", "kind": "subsidy"})
    assert created.status_code == 201 and created.json["status"] == "submitted" and created.json["ticket"]
    url, etag = f"/api/service_requests/{created.json['id']}", created.headers["ETag"]
    written = client.patch(url, headers={**headers, "If-Match": etag}, json={"status": "issued"})
    assert written.status_code == 422 and written.json["error"]["problems"][0]["field"] == "status"
    jump = client.post(url + "/transitions", headers={**headers, "If-Match": etag}, json={"status": "issued"})
    assert jump.status_code == 409 and jump.json["error"]["code"] == "api.bad_transition"
    moved = client.post(url + "/transitions", headers={**headers, "If-Match": etag},
                        json={"status": "in_review", "note": "papers complete"})
    assert moved.status_code == 200 and moved.json["status"] == "in_review"
    assert moved.json["history"][-1]["note"] == "papers complete"
    assert client.post(url + "/transitions", headers={**headers, "If-Match": etag},
                       json={"status": "approved"}).status_code == 412
    actions = db.execute("SELECT actor, action FROM audit WHERE target = ? ORDER BY id", [created.json["id"]]).fetchall()
    assert actions == [("clerk-user (token clerk-user-node)", "service_requests.create"),
                       ("clerk-user (token clerk-user-node)", "service_requests.status")]


def test_every_api_write_is_audited_with_the_tokens_name(api, db):
    client, headers = api
    created = new_household(client, headers)
    url = f"/api/households/{created.json['id']}"
    client.patch(url, headers={**headers, "If-Match": created.headers["ETag"]}, json={"members": 2})
    client.delete(url, headers={**headers, "If-Match": client.get(url, headers=headers).headers["ETag"]})
    entries = db.execute("SELECT actor, action FROM audit WHERE target = ? ORDER BY id", [created.json["id"]]).fetchall()
    assert [a for _actor, a in entries] == ["households.create", "households.edit", "households.delete"]
    assert {actor for actor, _a in entries} == {"clerk-user (token clerk-user-node)"}


def test_keyset_pages_meet_every_record_once_while_others_write(api, db, node):
    client, headers = api
    with core.write(db, node) as w:
        ids = [core.save(w, node, "households", {"code": f"H{i:03}", "head_name": "x"}) for i in range(25)]
    seen, cursor, pages = [], None, 0
    while True:
        page = client.get("/api/households?limit=10" + (f"&cursor={cursor}" if cursor else ""), headers=headers).json
        seen += [r["id"] for r in page["items"]]
        pages += 1
        if pages == 1:  # others write between two pages: new records, a deleted one
            with core.write(db, node) as w:
                core.save(w, node, "households", {"code": "NEW1", "head_name": "y"})
                core.delete(w, node, "households", ids[-1])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen))
    assert set(ids[:-1]) <= set(seen)


def test_changed_since_follows_every_change_once(api, db, node):
    client, headers = api
    with core.write(db, node) as w:
        ids = [core.save(w, node, "households", {"code": f"H{i:03}", "head_name": "x"}) for i in range(30)]
        core.save(w, node, "households", {"members": 4}, row_id=ids[0])  # changed twice: comes once, as it is now

    def follow(cursor):
        got = []
        while True:
            page = client.get(f"/api/households?changed_since={cursor}&limit=7", headers=headers).json
            got += page["items"]
            cursor = page["changed_since"]
            if not page["more"]:
                return got, cursor

    got, cursor = follow(0)
    assert sorted(r["id"] for r in got) == sorted(ids)
    assert next(r for r in got if r["id"] == ids[0])["members"] == 4
    assert follow(cursor)[0] == []
    with core.write(db, node) as w:
        core.save(w, node, "households", {"members": 5}, row_id=ids[3])
        core.delete(w, node, "households", ids[4])
    later, _ = follow(cursor)
    assert [(r["id"], r["_deleted"]) for r in later] == [(ids[3], False), (ids[4], True)]


def test_a_revoked_expired_or_disabled_token_opens_nothing(api, db, node):
    client, headers = api
    assert client.get("/api/households", headers=headers).status_code == 200
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=91)
    from village.records.tokens import token_for

    assert token_for(db, headers["Authorization"][7:], now=later) is None
    set_role(db, "clerk-user", "fieldworker")
    assert client.get("/api/households", headers=headers).status_code == 401
    set_role(db, "clerk-user", "clerk")
    set_disabled(db, "clerk-user", True)
    refused = client.get("/api/households", headers=headers)
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    set_disabled(db, "clerk-user", False)
    from village.records.tokens import revoke_token

    revoke_token(db, "clerk-user-node")
    assert client.get("/api/households", headers=headers).status_code == 401
    assert client.get("/api/households", headers={"Authorization": "Bearer vt_guess"}).status_code == 401


def test_a_browser_session_opens_nothing_in_the_api(clerk):
    assert clerk.get("/api/households").status_code == 401


def test_a_token_past_its_rate_limit_gets_429(node, db, monkeypatch):
    monkeypatch.setenv("VILLAGE_API_REQUESTS_PER_MINUTE", "3")
    client, headers = create_app({"NODE": node, "TESTING": True}).test_client(), token(db, node)
    assert [client.get("/api/households", headers=headers).status_code for _ in range(4)] == [200, 200, 200, 429]
    limited = client.get("/api/households", headers=headers)
    assert limited.headers["Retry-After"] == "60" and limited.json["error"]["code"] == "api.slow_down"
    assert client.get("/api/households", headers=token(db, node, name="second")).status_code == 200


@pytest.mark.parametrize("body, code", [
    (b"{not json", "api.bad_body"), (b"[1, 2]", "api.bad_body"), (b"[" * 100_000 + b"]" * 100_000, "api.bad_body"),
    (b'{"code": "H", "head_name": "x", "members": "3"}', "invalid"),
    (b'{"code": "H", "head_name": "x", "members": true}', "invalid"),
    (b'{"code": "H", "head_name": "x", "members": 1e400}', "invalid"),
    (b'{"code": "H", "head_name": "x", "id": "mine"}', "invalid"),
    (b'{"code": "H"}', "invalid")])
def test_bad_bodies_get_a_clear_4xx_and_save_nothing(api, db, body, code):
    client, headers = api
    response = client.post("/api/households", headers={**headers, "Content-Type": "application/json"}, data=body)
    assert 400 <= response.status_code < 500 and response.json["error"]["code"] == code
    assert count(db) == 0


@pytest.mark.parametrize("query", ["limit=0", "limit=5000", "limit=x", "members=9" * 3000, "members=1e999",
                                   "nosuchfield=1", "changed_since=-1", "changed_since=1&code=H", "area=../x",
                                   "lives_alone=maybe", "members=" + "9" * 30])
def test_bad_queries_get_400(api, query):
    client, headers = api
    response = client.get(f"/api/households?{query}", headers=headers)
    assert response.status_code == 400 and response.json["error"]["code"] == "api.bad_query"


def test_a_body_over_the_limit_gets_413_in_json(api):
    client, headers = api
    response = client.post("/api/households", headers=headers, json={"notes": "x" * 2_000_000})
    assert response.status_code == 413 and response.json["error"]["code"] == "too_large"
