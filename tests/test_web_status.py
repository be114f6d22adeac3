"""Ticket lookups show residents only their status and dates, a few per minute; certificate links never follow Host."""
import re

import pytest
from clerk_helpers import request_in

from village.records import core
from village.records.services import change_status, submit

OTHER = {"REMOTE_ADDR": "192.168.1.50"}


@pytest.fixture
def ticket(node, db):
    with core.write(db, node) as w:
        row, ticket = submit(w, node, "service_requests", {"kind": "subsidy", "applicant_name": "赵六",
                                                           "applicant_phone": "13912345678"})
        change_status(w, node, "service_requests", row, "in_review", "clerk1", "Called 13912345678: wife is ill")
        change_status(w, node, "service_requests", row, "rejected", "clerk1", "Suspected fraud, see file 7")
    return ticket


def test_status_shows_statuses_and_dates_but_no_clerk_notes(client, ticket):
    html = client.get("/status", query_string={"ticket": ticket, "lang": "en"}).get_data(as_text=True)
    assert "Being checked" in html and "Not approved" in html and re.search(r"\d{4}", html)
    for secret in ("wife is ill", "Suspected fraud", "13912345678", "clerk1", "赵六"):
        assert secret not in html


@pytest.mark.parametrize("limit", [3, 10])
def test_lookups_are_limited_per_address_with_a_clear_page(client, node, ticket, limit):
    node.settings["status_lookups_per_minute"] = limit
    answers = [client.get("/status", query_string={"ticket": f"S-0000-{n:04d}", "lang": "en"}).status_code
               for n in range(limit)]
    assert answers == [404] * limit
    refused = client.get("/status", query_string={"ticket": ticket, "lang": "en"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429 and "Wait a minute" in html and 'id="ticket-problem1"' in html
    assert "Being checked" not in html  # not even a right guess is answered
    assert client.get("/status", query_string={"ticket": ticket}, environ_base=OTHER).status_code == 200


def test_the_receipt_page_counts_as_a_lookup(client, node, ticket):
    node.settings["status_lookups_per_minute"] = 2
    assert client.get("/ticket/S-0000-0001").status_code == 302
    assert client.get("/ticket/S-0000-0002").status_code == 302
    assert client.get(f"/ticket/{ticket}").status_code == 429


def test_a_minute_later_lookups_are_answered_again(client, node, db, ticket):
    node.settings["status_lookups_per_minute"] = 1
    client.get("/status", query_string={"ticket": ticket})
    assert client.get("/status", query_string={"ticket": ticket}).status_code == 429
    db.execute("UPDATE throttle SET since = since - 61")
    assert client.get("/status", query_string={"ticket": ticket}).status_code == 200


def test_the_empty_form_is_not_counted(client, node):
    node.settings["status_lookups_per_minute"] = 1
    for _ in range(3):
        assert client.get("/status").status_code == 200


# Certificate QR codes link to the configured public address.

def as_evil_host(clerk, path):
    """GET `path` with a forged Host header (the clerk's session cookie sent along)."""
    clerk.set_cookie("session", clerk.get_cookie("session").value, domain="evil.example")
    return clerk.get(path, base_url="http://evil.example")

def test_the_certificate_link_uses_public_base_url_not_the_host_header(clerk, db, node):
    node.settings["public_base_url"] = "https://hub.example.cn/village/"
    row, _ticket = request_in(db, node, ("in_review", "approved"))
    page = as_evil_host(clerk, f"/clerk/requests/{row}/certificate").get_data(as_text=True)
    link = re.search(r'data-verify-url="([^"]+)"', page).group(1)
    assert link.startswith("https://hub.example.cn/village/verify/") and "evil" not in page


@pytest.mark.parametrize("base", ["", "evil.example", "javascript:alert(1)", "http://a b", "http://x/?q=1"])
def test_without_a_usable_public_base_url_no_certificate_is_printed(clerk, db, node, base):
    node.settings["public_base_url"] = base
    row, _ticket = request_in(db, node, ("in_review", "approved"))
    response = as_evil_host(clerk, f"/clerk/requests/{row}/certificate")
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "public_base_url" in html and "evil.example/verify" not in html
    assert "certificate.print" not in [r[0] for r in db.execute("SELECT action FROM audit")]


def test_the_settings_are_documented():
    from pathlib import Path

    root = Path(__file__).parent.parent
    docs = " ".join(p.read_text(encoding="utf-8") for p in [root / "README.md", *root.glob("docs/*.md")])
    for name in ("public_base_url", "VILLAGE_PUBLIC_BASE_URL", "status_lookups_per_minute"):
        assert name in docs, name
