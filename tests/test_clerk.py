"""Clerk pages with the test client: the register, records, queues, certificates and sync."""
import re

import pytest
from clerk_helpers import UUID, audit_actions, household, login, request_in

from village import create_app
from village.records.households import search_params, search_sql
from village.records import core
from village.records.services import submit
from village.signing import sign


@pytest.mark.parametrize("query", ["HX0001", "hx0001", "王建国", "王建", "13812345678", "1381234",
                                   "52010219800101123X", "52010219800101123x", "张小龙"])
def test_search_by_name_code_phone_id_number_and_member(clerk, db, node, query):
    hh = household(db, node)
    household(db, node, code="HX0002", head_name="李明", phone="13900000000", id_number="520102199001011111")
    with core.write(db, node) as w:
        core.save(w, node, "persons", {"household_id": hh, "name": "张小龙", "birth_date": "2010-05-01"})
    page = clerk.get("/clerk/households", query_string={"q": query}).get_data(as_text=True)
    assert "HX0001" in page and "HX0002" not in page


def test_search_uses_indexes(db):
    plan = db.execute(f"EXPLAIN QUERY PLAN WITH matched(id) AS MATERIALIZED ({search_sql()}) "
                      "SELECT * FROM households WHERE _deleted = 0 AND id IN matched", search_params("王")).fetchall()
    # Scanning a probe's own result (at most SEARCH_CAP + 1 rows) is fine; scanning a table is not.
    assert not [row for row in plan if row[3].startswith(("SCAN households", "SCAN persons"))], plan
    used = " ".join(row[3] for row in plan)
    for column in ("code", "head_name", "phone", "id_number", "name"):
        assert f"({column}>? AND {column}<?)" in used, (column, plan)


def test_list_masks_sensitive_fields(clerk, db, node):
    hh = household(db, node)
    page = clerk.get("/clerk/households").get_data(as_text=True)
    assert "138****5678" in page and "13812345678" not in page
    assert "520***********123X" in page and "52010219800101123X" not in page
    # The household's own page shows them in full.
    assert "13812345678" in clerk.get(f"/clerk/households/{hh}").get_data(as_text=True)


def test_list_is_paginated(clerk, db, node):
    for n in range(30):
        household(db, node, code=f"HX{n:04d}", id_number=None)
    first = clerk.get("/clerk/households").get_data(as_text=True)
    second = clerk.get("/clerk/households?page=2").get_data(as_text=True)
    assert "HX0000" in first and "HX0029" not in first and "HX0029" in second


# Create, edit, delete

def test_create_household_with_problems_shows_them_and_saves_nothing(clerk, db):
    response = clerk.post("/clerk/new/households", data={"code": "", "head_name": "王", "members": "two"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="e-code"' in page and 'id="e-members"' in page and 'aria-invalid="true"' in page
    assert "two" in page  # what the clerk typed is kept
    assert db.execute("SELECT COUNT(*) FROM households").fetchone()[0] == 0


def test_create_edit_delete_household_and_children(clerk, db):
    response = clerk.post("/clerk/new/households", data={"code": "HX0100", "head_name": "王建国", "members": "3",
                                                         "monitoring_status": "watch"})
    assert response.status_code == 302
    hh = re.search(UUID, response.headers["Location"]).group(0)
    assert clerk.post(f"/clerk/new/persons?parent={hh}", data={"name": "王小红", "birth_date": "2001-02-03",
                                                               "sex": "female", "lives_alone": "0"}).status_code == 302
    assert clerk.post(f"/clerk/new/plots?parent={hh}", data={"name": "东坡", "area_mu": "0",
                                                             "land_type": "dry"}).status_code == 400
    assert clerk.post(f"/clerk/new/plots?parent={hh}", data={"name": "东坡", "area_mu": "1.5",
                                                             "land_type": "dry"}).status_code == 302
    plot = db.execute("SELECT id FROM plots").fetchone()[0]
    bad = clerk.post(f"/clerk/new/plantings?parent={plot}", data={"crop": "玉米", "planted_on": "2025-05-01",
                                                                  "harvested_on": "2025-04-01"})
    assert bad.status_code == 400 and 'id="e-harvested_on"' in bad.get_data(as_text=True)
    assert clerk.post(f"/clerk/new/plantings?parent={plot}", data={"crop": "玉米"}).status_code == 302
    assert clerk.post(f"/clerk/new/livestock?parent={hh}", data={"species": "猪", "count": "4"}).status_code == 302
    page = clerk.get(f"/clerk/households/{hh}").get_data(as_text=True)
    assert all(word in page for word in ("王小红", "东坡", "玉米", "猪"))

    assert clerk.post(f"/clerk/households/{hh}/edit", data={"code": "HX0100", "head_name": "王建设",
                                                            "members": "-1"}).status_code == 400
    assert core.get(db, "households", hh)["head_name"] == "王建国"
    assert clerk.post(f"/clerk/households/{hh}/edit", data={"code": "HX0100", "head_name": "王建设",
                                                            "members": "4"}).status_code == 302
    assert core.get(db, "households", hh)["head_name"] == "王建设"

    confirm = clerk.get(f"/clerk/households/{hh}/delete").get_data(as_text=True)
    assert "Yes, delete" in confirm and core.get(db, "households", hh) is not None
    assert clerk.post(f"/clerk/households/{hh}/delete").status_code == 302
    assert core.get(db, "households", hh) is None
    assert db.execute("SELECT COUNT(*) FROM plantings WHERE _deleted = 0").fetchone()[0] == 0
    actions = audit_actions(db)
    assert {"households.create", "persons.create", "plots.create", "households.edit", "households.delete",
            "plantings.delete"} <= set(actions)


def test_duplicate_code_is_a_problem_next_to_the_field(clerk, db, node):
    household(db, node)
    response = clerk.post("/clerk/new/households", data={"code": "HX0001", "head_name": "别人"})
    assert response.status_code == 400 and 'id="e-code"' in response.get_data(as_text=True)


def test_duplicate_person_warning_then_continue(clerk, db, node):
    hh = household(db, node)
    with core.write(db, node) as w:
        core.save(w, node, "persons", {"household_id": hh, "name": "张小龙", "birth_date": "2010-05-01"})
    data = {"name": "张小龙", "birth_date": "2010-05-01"}
    warned = clerk.post(f"/clerk/new/persons?parent={hh}", data=data)
    assert warned.status_code == 409 and 'id="duplicate-warning"' in warned.get_data(as_text=True)
    assert db.execute("SELECT COUNT(*) FROM persons").fetchone()[0] == 1
    assert clerk.post(f"/clerk/new/persons?parent={hh}", data={**data, "confirm_duplicate": "1"}).status_code == 302
    assert db.execute("SELECT COUNT(*) FROM persons").fetchone()[0] == 2


def test_duplicate_household_by_id_number(clerk, db, node):
    household(db, node)
    warned = clerk.post("/clerk/new/households", data={"code": "HX0009", "head_name": "王建国",
                                                       "id_number": "52010219800101123x"})
    assert warned.status_code == 409 and 'id="duplicate-warning"' in warned.get_data(as_text=True)
    assert db.execute("SELECT COUNT(*) FROM households").fetchone()[0] == 1


# Queues and the status workflow

def test_queue_filters_by_status(clerk, db, node):
    _row, waiting = request_in(db, node)
    _row, approved = request_in(db, node, ("in_review", "approved"))
    page = clerk.get("/clerk/requests").get_data(as_text=True)
    assert waiting in page and approved not in page
    page = clerk.get("/clerk/requests?status=approved").get_data(as_text=True)
    assert approved in page and waiting not in page
    assert "139****1111" in page


def test_status_workflow_with_note_and_refused_step(clerk, db, node):
    row, _ticket = request_in(db, node)
    page = clerk.get(f"/clerk/requests/{row}").get_data(as_text=True)
    assert 'value="in_review"' in page and 'value="approved"' not in page  # only allowed steps
    refused = clerk.post(f"/clerk/requests/{row}/status", data={"status": "approved"})
    assert refused.status_code == 409 and core.get(db, "service_requests", row)["status"] == "submitted"
    for step in ("in_review", "approved"):
        assert clerk.post(f"/clerk/requests/{row}/status", data={"status": step, "note": "材料齐全"}).status_code == 302
    stored = core.public("service_requests", core.get(db, "service_requests", row))
    assert stored["status"] == "approved" and stored["history"][-1]["note"] == "材料齐全"
    assert stored["history"][-1]["by"] == "clerk1"
    assert "service_requests.status" in audit_actions(db)


def test_grievance_workflow(clerk, db, node):
    with core.write(db, node) as w:
        row, ticket = submit(w, node, "grievances", {"category": "road", "description": "路塌了"})
    assert ticket in clerk.get("/clerk/grievances").get_data(as_text=True)
    assert clerk.post(f"/clerk/grievances/{row}/status", data={"status": "closed"}).status_code == 409
    assert clerk.post(f"/clerk/grievances/{row}/status", data={"status": "in_progress"}).status_code == 302
    assert core.get(db, "grievances", row)["status"] == "in_progress"


# Certificates

@pytest.fixture(autouse=True)
def public_address(node):
    """Certificates link to the node's public address, which a node sets once."""
    node.settings["public_base_url"] = "http://village.test:8080"


def certificate_payload(clerk, row):
    page = clerk.get(f"/clerk/requests/{row}/certificate").get_data(as_text=True)
    return re.search(r'data-payload="([^"]+)"', page).group(1), page


def test_certificate_only_for_approved_or_issued(clerk, db, node):
    waiting, _t = request_in(db, node)
    assert clerk.get(f"/clerk/requests/{waiting}/certificate").status_code == 409
    issued, _t = request_in(db, node, ("in_review", "approved", "issued"))
    assert clerk.get(f"/clerk/requests/{issued}/certificate").status_code == 200


def test_certificate_signature_verifies_and_tampering_does_not(clerk, db, node):
    hh = household(db, node)
    row, ticket = request_in(db, node, ("in_review", "approved"), household_id=hh)
    payload, page = certificate_payload(clerk, row)
    assert "<svg" in page and "@page" not in page  # QR inline; print CSS lives in clerk.css
    anonymous = clerk.application.test_client()
    good = anonymous.get(f"/verify/{payload}")
    assert good.status_code == 200 and ticket in good.get_data(as_text=True)
    body, signature = payload.split(".")
    tampered = sign(node, {"t": ticket, "k": "land_certificate", "a": "李秀英"}).split(".")[0] + "." + signature
    assert anonymous.get(f"/verify/{tampered}").status_code == 400
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1] + "." + signature
    assert anonymous.get(f"/verify/{flipped}").status_code == 400
    assert anonymous.get("/verify/not-a-payload").status_code == 400


@pytest.mark.usefixtures("hub_engine")  # on a SQLite and a PostgreSQL hub
def test_other_node_verifies_with_the_public_key_only(clerk, db, node, make_node):
    from village.signing import KEYS_DIR, public_key_text

    row, _ticket = request_in(db, node, ("in_review", "approved"))
    payload, _page = certificate_payload(clerk, row)
    hub, _hub_db = make_node(role="county", area="52/5201/520102", subdir="hub")
    hub_client = create_app({"NODE": hub, "TESTING": True}).test_client()
    assert hub_client.get(f"/verify/{payload}").status_code == 400  # issuer unknown to the hub yet
    (hub.data_dir / KEYS_DIR).mkdir()
    (hub.data_dir / KEYS_DIR / f"{node.node_id}.pub").write_text(public_key_text(node))
    assert hub_client.get(f"/verify/{payload}").status_code == 200


def test_signing_key_is_private_to_the_node(node):
    from village.signing import PRIVATE_KEY_FILE, signing_key

    signing_key(node)
    assert (node.data_dir / PRIVATE_KEY_FILE).stat().st_mode & 0o077 == 0


# Sync panel

def test_sync_panel_shows_status(clerk):
    page = clerk.get("/clerk/sync").get_data(as_text=True)
    assert "Changes waiting to be sent" in page


def test_fieldworker_has_no_clerk_access(open_app, users):
    client = open_app.test_client()
    assert login(client, "field1").status_code == 302
    assert client.get("/clerk/households").status_code == 403


def test_sync_now_on_a_node_not_enrolled(clerk, db):
    response = clerk.post("/clerk/sync", follow_redirects=True)
    assert "not enrolled" in response.get_data(as_text=True)
    assert "sync.now" in audit_actions(db)


def test_sync_now_reports_what_was_sent(clerk, monkeypatch):
    from village.ops import sync as syncing

    calls = []
    monkeypatch.setattr(syncing, "run_sync",
                        lambda node, db=None: calls.append(db) or syncing.SyncResult(ok=True, pushed=3, pulled=2))
    page = clerk.post("/clerk/sync", follow_redirects=True).get_data(as_text=True)
    assert len(calls) == 1 and "3 changes sent, 2 received" in page
    assert calls[0] is not None  # the round runs on the request's open database, not one opened anew


def test_each_page_speaks_the_language_of_its_own_request(clerk):
    from village.i18n import translations

    for lang in ("zh_Hans", "ug", "en", "zh_Hans"):
        html = clerk.get("/clerk/new/households", query_string={"lang": lang}).get_data(as_text=True)
        catalog = translations(lang)
        # A template string and a lazily translated field label, both from this request's catalog.
        for text in ("Save", "Household code"):
            assert catalog.ugettext(text) in html
        if lang != "en":
            assert catalog.ugettext("Household code") != "Household code"


def test_each_plot_shows_its_own_plantings(clerk, db):
    response = clerk.post("/clerk/new/households", data={"code": "HX0200", "head_name": "李四"})
    hh = re.search(UUID, response.headers["Location"]).group(0)
    crops = {"东坡": ("玉米", "土豆"), "西坡": ("水稻",), "北坡": ()}
    for name, planted in crops.items():
        assert clerk.post(f"/clerk/new/plots?parent={hh}", data={"name": name, "area_mu": "1",
                                                                 "land_type": "dry"}).status_code == 302
        plot = db.execute("SELECT id FROM plots WHERE name = ?", [name]).fetchone()[0]
        for crop in planted:
            assert clerk.post(f"/clerk/new/plantings?parent={plot}", data={"crop": crop}).status_code == 302
    page = clerk.get(f"/clerk/households/{hh}").get_data(as_text=True)
    cards = {card.split("</h3>")[0].split(">")[-1].split(" ")[0]: card for card in page.split('<article')[1:]}
    assert set(cards) == set(crops)
    for name, planted in crops.items():
        shown = {crop for crops_of in crops.values() for crop in crops_of if crop in cards[name]}
        assert shown == set(planted), name
