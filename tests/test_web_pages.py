"""Every answer's security headers, body limits, hand-edited page numbers, and a full or read-only disk."""
import re
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils
from clerk_helpers import household

from village.web.security import MAX_PAGE_BODY

TEMPLATES = Path(__file__).parent.parent / "village" / "templates"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
GOOD_REQUEST = {"kind": "subsidy", "applicant_name": "李四", "applicant_phone": "13800001234"}


def post_form(client, path, data):
    token = TOKEN.search(client.get(path + "?lang=en").get_data(as_text=True)).group(1)
    return client.post(path, data={**data, "csrf_token": token})


def count(db, table):
    return db.execute(f"SELECT COUNT(*) FROM [{table}]").fetchone()[0]


# Headers: pages, static files, errors and the sync JSON all carry them.

@pytest.mark.parametrize("path", ["/", "/status?ticket=S-0000-0000", "/static/kiosk/kiosk.js", "/no-such-page",
                                  "/clerk/login", "/verify/damaged", "/sync/ping", "/sync/pull"])
def test_every_kind_of_answer_carries_the_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "default-src 'self'" in csp and "object-src 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_has_inline_script_or_style(template):
    # The CSP forbids them, so they would silently stop working in the browser.
    text = template.read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", text), "inline event handler"
    assert not re.search(r"<style|\sstyle\s*=|javascript:", text), "inline style or javascript: URL"


# Body limits: a clear page, nothing saved; /sync/ keeps its own limit.

def test_a_kiosk_form_over_the_limit_gets_a_clear_page_and_nothing_is_saved(client, db):
    response = post_form(client, "/request", {**GOOD_REQUEST, "details": "字" * MAX_PAGE_BODY})
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "nothing was saved" in html and 'role="alert"' in html and 'href="/request"' in html
    assert count(db, "service_requests") == 0


def test_a_clerk_form_over_the_limit_gets_a_clear_page_and_nothing_is_saved(clerk, db):
    response = clerk.post("/clerk/new/households", data={"code": "HX0001", "head_name": "王" * MAX_PAGE_BODY})
    assert response.status_code == 413 and "nothing was saved" in response.get_data(as_text=True)
    assert count(db, "households") == 0


def test_a_long_answer_under_the_limit_is_shown_again_marked(client, db):
    response = post_form(client, "/request", {**GOOD_REQUEST, "applicant_name": "张" * 100_000})
    assert response.status_code == 422 and 'id="applicant_name-problem1"' in response.get_data(as_text=True)
    assert count(db, "service_requests") == 0


def test_sync_keeps_its_own_body_limit(client):
    response = client.post("/sync/push", data=b"x" * (2 * MAX_PAGE_BODY),
                           headers={"Content-Type": "application/octet-stream"})
    assert response.status_code != 413  # refused for its missing signature, not its size
    assert response.is_json and set(response.get_json()) == {"error"}


# Page numbers typed into the URL.

@pytest.mark.parametrize("page", ["9" * 23, "-5", "0", "abc", "1e3", "", "9" * 5000])
@pytest.mark.parametrize("path", ["/clerk/households", "/clerk/requests", "/clerk/grievances"])
def test_any_page_number_shows_a_page(clerk, db, node, path, page):
    for n in range(30):
        household(db, node, code=f"HX{n:04d}", id_number=None)
    response = clerk.get(path, query_string={"page": page})
    assert response.status_code == 200


def test_a_page_past_the_end_shows_the_last(clerk, db, node):
    for n in range(30):
        household(db, node, code=f"HX{n:04d}", id_number=None)
    html = clerk.get("/clerk/households", query_string={"page": "9" * 23}).get_data(as_text=True)
    assert "HX0029" in html and "HX0000" not in html


# A full disk or a read-only data directory.

def read_only(app, node):
    """Give the app's connection for this thread a read-only view of the database."""
    with app.app_context():
        conn = sqlite3.connect(f"file:{node.db_path}?mode=ro", uri=True, check_same_thread=False,
                               isolation_level=None)
        app.extensions["village_db"].db = sqlite_utils.Database(conn)


def full_disk(app, node):
    """Give the app a connection that cannot grow the database by a single page."""
    with app.app_context():
        from sync.store import connect

        db = connect(node.db_path)
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages}")
        app.extensions["village_db"].db = db


@pytest.mark.parametrize("break_storage", [read_only, full_disk])
def test_kiosk_reads_still_work_and_a_submission_says_it_was_not_saved(app, node, db, break_storage):
    from village.records import core

    with core.write(db, node) as w:
        core.save(w, node, "announcements", {"title": {"en": "Water off on Monday"}, "priority": "normal"})
    client = app.test_client()
    token = TOKEN.search(client.get("/request?lang=en").get_data(as_text=True)).group(1)
    break_storage(app, node)
    home = client.get("/?lang=en")
    assert home.status_code == 200 and "Water off on Monday" in home.get_data(as_text=True)
    # The database's free pages may take a few submissions before the disk is really full.
    for saved in range(50):
        response = client.post("/request", data={**GOOD_REQUEST, "details": "x" * 3_000, "csrf_token": token})
        if response.status_code != 302:
            break
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "could not be saved" in html and "tell the clerk" in html
    assert response.headers["X-Frame-Options"] == "DENY"
    assert count(db, "service_requests") == saved  # nothing of the refused one
    assert client.get("/status?ticket=S-1234-5678&lang=en").status_code == 404  # lookups still answer


def test_an_unexpected_failure_answers_a_page_with_the_headers(node, monkeypatch):
    from village import create_app
    from village.kiosk import views as kiosk

    def broken(*_args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(kiosk, "latest_prices", broken)
    client = create_app({"NODE": node}).test_client()  # not in testing mode: errors are answered, not raised
    response = client.get("/?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and "tell the clerk" in html and "a bug" not in html
    assert response.headers["X-Frame-Options"] == "DENY"
