"""The clerk's and the kiosk's pages of a county hub, on SQLite and on PostgreSQL: the hub's records, where they are.

An admin opens the clerk's pages at the hub (the register, a household, the queues, sync) and a
resident the kiosk's; on a hub made with `--database` every page reads and writes its store,
and every audit entry goes to the hub's own database.
"""
import re

import pytest
from clerk_helpers import PASSWORD, household, login, request_in
from conftest import COUNTY_AREA, VILLAGE_AREA, local

from village import create_app
from village.records import core
from village.records.services import find_by_ticket
from village.users import add_user

pytestmark = pytest.mark.usefixtures("hub_engine")  # every test on a SQLite and a PostgreSQL hub


@pytest.fixture
def hub(make_node):
    """A county hub holding a household of one of its villages, and a client logged in as its admin."""
    node, db = make_node(role="county", area=COUNTY_AREA)
    hh = household(db, node, area=VILLAGE_AREA)
    add_user(local(db), "admin1", "admin", PASSWORD)
    client = create_app({"NODE": node, "TESTING": True, "WTF_CSRF_ENABLED": False}).test_client()
    assert login(client, "admin1").status_code == 302
    return client, db, node, hh


def text_of(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_the_register_finds_and_edits_the_hubs_households(hub):
    client, db, _node, hh = hub
    assert "HX0001" in text_of(client.get("/clerk/households"))
    assert "王建国" in text_of(client.get("/clerk/households?q=HX"))  # the search's index probes
    assert "HX0001" not in text_of(client.get("/clerk/households?q=ZZ"))
    assert "王建国" in text_of(client.get(f"/clerk/households/{hh}"))
    edited = client.post(f"/clerk/households/{hh}/edit", data={"code": "HX0001", "head_name": "王建设"})
    assert edited.status_code == 302
    assert core.get(db, "households", hh)["head_name"] == "王建设"
    logged = local(db).execute("SELECT actor, action, target FROM audit WHERE action = 'households.edit'").fetchall()
    assert [tuple(row) for row in logged] == [("admin1", "households.edit", hh)]


def test_the_queues_move_a_request_in_the_hubs_store(hub):
    client, db, node, hh = hub
    row, ticket = request_in(db, node, household_id=hh)
    assert ticket in text_of(client.get("/clerk/requests"))
    moved = client.post(f"/clerk/requests/{row}/status", data={"status": "in_review", "note": "材料齐全"})
    assert moved.status_code == 302
    assert core.get(db, "service_requests", row)["status"] == "in_review"
    assert "材料齐全" in text_of(client.get(f"/clerk/requests/{row}"))


def test_the_sync_page_reports_the_hubs_own_state(hub):
    client, db, _node, _hh = hub
    page = client.get("/clerk/sync")
    assert page.status_code == 200
    counts = dict(re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td></tr>", page.get_data(as_text=True)))
    assert counts["Household"] == "1" and counts["Member"] == "0"  # the household in the hub's store
    # Syncing now: the hub is not enrolled above (no province), said, and audited in its own database.
    assert client.post("/clerk/sync").status_code == 302
    assert local(db).execute("SELECT COUNT(*) FROM audit WHERE action = 'sync.now'").fetchone()[0] == 1


def test_the_kiosk_takes_a_request_and_finds_its_ticket_in_the_hubs_store(hub):
    client, db, _node, _hh = hub
    sent = client.post("/request", data={"kind": "subsidy", "applicant_name": "李四", "applicant_phone": "13800001234",
                                         "household_code": "HX0001"})
    assert sent.status_code == 302, text_of(sent)
    ticket = sent.location.rsplit("/", 1)[1]
    assert find_by_ticket(db, "service_requests", ticket)["applicant_name"] == "李四"
    assert "李四" not in text_of(client.get(f"/status?ticket={ticket}"))  # a resident sees the status, no name
    assert client.get(f"/status?ticket={ticket}").status_code == 200
