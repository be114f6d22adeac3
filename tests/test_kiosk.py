"""Kiosk forms, tickets and status lookup through the Flask test client (CSRF stays on)."""
import re

import pytest

from village.records import core
from village.records.services import change_status, find_by_ticket, submit

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def post_form(client, path, data):
    token = TOKEN.search(client.get(path + "?lang=en").get_data(as_text=True)).group(1)
    return client.post(path, data={**data, "csrf_token": token})


def count(db, table):
    return db.execute(f"SELECT COUNT(*) FROM [{table}]").fetchone()[0]


GOOD_REQUEST = {"kind": "subsidy", "applicant_name": "李四", "applicant_phone": "138 0000 1234", "details": "耕地补贴"}


def test_a_good_request_gets_a_ticket_page_with_a_qr_code_and_a_print_button(client, db):
    response = post_form(client, "/request", GOOD_REQUEST)
    assert response.status_code == 302
    ticket = response.location.rsplit("/", 1)[1]
    assert re.fullmatch(r"S-\d{4}-\d{4}", ticket)
    stored = find_by_ticket(db, "service_requests", ticket)
    assert stored["applicant_phone"] == "13800001234" and stored["status"] == "submitted"
    html = client.get(response.location).get_data(as_text=True)
    assert '<svg role="img"' in html and "<title>" in html
    assert "data-print" in html and ticket in html
    assert "http" not in html.split("<svg", 1)[1].split("</svg>")[0].replace("http://www.w3.org", "")


def test_a_grievance_may_be_anonymous(client, db):
    response = post_form(client, "/grievance", {"category": "water", "description": "自来水浑浊"})
    assert response.status_code == 302
    stored = find_by_ticket(db, "grievances", response.location.rsplit("/", 1)[1])
    assert stored["reporter"] is None and stored["status"] == "open"


@pytest.mark.parametrize("path, data, fields", [
    ("/request", {}, ["kind", "applicant_name", "applicant_phone"]),
    ("/request", {**GOOD_REQUEST, "kind": "castle"}, ["kind"]),
    ("/request", {**GOOD_REQUEST, "applicant_phone": "12ab"}, ["applicant_phone"]),
    ("/request", {**GOOD_REQUEST, "applicant_name": "   "}, ["applicant_name"]),
    ("/request", {**GOOD_REQUEST, "household_code": "NO-SUCH"}, ["household_code"]),
    ("/grievance", {"category": "water"}, ["description"]),
    ("/grievance", {"description": "路灯不亮"}, ["category"]),
])
def test_a_bad_submission_shows_the_form_again_with_problems_marked_and_saves_nothing(client, db, path, data, fields):
    table = "service_requests" if path == "/request" else "grievances"
    response = post_form(client, path, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'role="alert"' in html and "Nothing was sent yet" in html
    for field in fields:
        assert re.search(rf'id="{field}-problem1"', html), field
    for field, value in data.items():
        if value.strip() and field not in ("kind", "category"):
            assert value in html  # what was typed is still there
    assert count(db, table) == 0


def test_a_household_code_links_the_request_to_the_household(client, node, db):
    with core.write(db, node) as w:
        household = core.save(w, node, "households", {"code": "HX0042", "head_name": "王五"})
    response = post_form(client, "/request", {**GOOD_REQUEST, "household_code": " hx0042 "})
    stored = find_by_ticket(db, "service_requests", response.location.rsplit("/", 1)[1])
    assert stored["household_id"] == household


def test_the_household_code_keypad_has_the_letters_of_the_village_codes(client, node, db):
    with core.write(db, node) as w:
        core.save(w, node, "households", {"code": "HX0042", "head_name": "王五"})
    html = client.get("/request").get_data(as_text=True)
    pad = re.search(r'data-keypad="household_code".*?</div>', html, re.S).group(0)
    assert 'data-key="H"' in pad and 'data-key="X"' in pad


def test_a_post_without_the_csrf_token_is_refused(client, db):
    assert client.post("/request", data=GOOD_REQUEST).status_code == 400
    assert count(db, "service_requests") == 0


def test_status_shows_the_history_of_a_ticket_typed_loosely(client, node, db):
    with core.write(db, node) as w:
        row, ticket = submit(w, node, "service_requests", {"kind": "residence_certificate", "applicant_name": "赵六",
                                                           "applicant_phone": "13912345678"})
        change_status(w, node, "service_requests", row, "in_review", "clerk", "Papers checked")
    typed = ticket.replace("-", " ").lower()
    html = client.get("/status", query_string={"ticket": typed, "lang": "en"}).get_data(as_text=True)
    assert ticket in html and "Being checked" in html
    assert "Papers checked" not in html  # a clerk's note is for the clerks (see test_web_status.py)
    assert html.index("Received") < html.index("Being checked", html.index("History"))
    assert "13912345678" not in html and "赵六" not in html  # nothing personal on a public screen


@pytest.mark.parametrize("typed", ["S-0000-0000", "G 1234 5678", "nonsense", "   "])
def test_a_wrong_ticket_shows_the_form_again_with_the_problem_marked(client, typed):
    response = client.get("/status", query_string={"ticket": typed, "lang": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert 'id="ticket-problem1"' in html and 'aria-invalid="true"' in html and "<form" in html


def test_an_unknown_ticket_page_goes_to_the_status_form(client):
    response = client.get("/ticket/S-0000-0000")
    assert response.status_code == 302 and "/status?ticket=S-0000-0000" in response.location


@pytest.mark.parametrize("path", ["/", "/request", "/grievance", "/status"])
def test_kiosk_pages_carry_the_idle_time_and_the_language_switch(node, client, path):
    node.settings["kiosk_idle_seconds"] = 7
    html = client.get(path).get_data(as_text=True)
    assert 'data-idle-seconds="7"' in html
    for code in ("zh_Hans", "ug", "en"):
        assert f"lang={code}" in html


def test_the_phone_input_asks_for_a_numeric_keyboard_and_has_a_keypad(client):
    html = client.get("/request").get_data(as_text=True)
    phone = re.search(r'<input id="applicant_phone"[^>]*>', html).group(0)
    assert 'type="tel"' in phone and 'inputmode="numeric"' in phone
    assert 'data-keypad="applicant_phone"' in html


def test_reset_forgets_the_language_and_goes_home(client):
    client.get("/?lang=ug")
    response = client.get("/reset")
    assert response.status_code == 302 and response.location.endswith("/")
    assert 'lang="zh-Hans"' in client.get("/").get_data(as_text=True)


def test_emergency_alerts_show_on_every_kiosk_page(client, node, db):
    with core.write(db, node) as w:
        core.save(w, node, "announcements", {"title": {"en": "Flood"}, "priority": "emergency"})
    for path in ("/", "/request", "/status"):
        html = client.get(path + "?lang=en").get_data(as_text=True)
        assert 'class="alert emergency" role="alert"' in html and "Flood" in html
