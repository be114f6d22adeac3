"""Clerk login and the session: cookies, rate limit, CSRF, idle logout, redirects."""
import re
import time

import pytest
from clerk_helpers import PASSWORD, audit_actions, login

from village import create_app
from village.auth import MAX_FAILURES


# Login, cookies, rate limit, CSRF, idle logout

def test_login_ok_sets_safe_cookie_and_audits(open_app, users, db):
    client = open_app.test_client()
    response = login(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/clerk/households")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "login" in audit_actions(db)
    assert client.get("/clerk/households").status_code == 200


def test_cookie_is_secure_over_https(open_app, users):
    response = open_app.test_client().post("/clerk/login", base_url="https://localhost",
                                           data={"username": "clerk1", "password": PASSWORD})
    assert "Secure" in response.headers["Set-Cookie"]


@pytest.mark.parametrize("username, password", [("clerk1", "wrong password"), ("nobody", PASSWORD)])
def test_login_fail(open_app, users, db, username, password):
    client = open_app.test_client()
    response = login(client, username, password)
    assert response.status_code == 401
    assert "wrong" in response.get_data(as_text=True)
    assert client.get("/clerk/households").status_code == 302
    assert audit_actions(db)[-1] == "login.fail"


def test_rate_limit_blocks_even_the_right_password(open_app, users):
    client = open_app.test_client()
    for _ in range(MAX_FAILURES):
        assert login(client, password="wrong password").status_code == 401
    assert login(client).status_code == 429
    # Another user from the same address is not blocked.
    assert login(client, "field1").status_code == 302


def test_rate_limit_is_shared_by_every_app_instance(node, users):
    # Two apps on one data dir stand for two server threads or processes.
    first, second = (create_app({"NODE": node, "WTF_CSRF_ENABLED": False}).test_client() for _ in range(2))
    for _ in range(MAX_FAILURES):
        login(first, password="wrong password")
    assert login(second).status_code == 429


def test_post_without_csrf_token_is_refused(app, users):
    client = app.test_client()
    assert login(client).status_code == 400
    page = client.get("/clerk/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/clerk/login", data={"username": "clerk1", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_idle_clerk_is_logged_out(clerk, db):
    with clerk.session_transaction() as session:
        session["seen"] = int(time.time()) - 11 * 60  # clerk_idle_minutes defaults to 10
    response = clerk.get("/clerk/households")
    assert response.status_code == 302 and "/clerk/login" in response.headers["Location"]
    assert clerk.get("/clerk/households").status_code == 302
    assert "logout.idle" in audit_actions(db)


def test_activity_keeps_the_session(clerk):
    with clerk.session_transaction() as session:
        session["seen"] = int(time.time()) - 9 * 60
    assert clerk.get("/clerk/households").status_code == 200
    with clerk.session_transaction() as session:
        assert session["seen"] >= int(time.time()) - 5  # the idle clock started again


def test_a_page_within_the_minute_leaves_the_session_cookie_alone(clerk):
    clerk.get("/clerk/households")  # the first page also stores the session's CSRF token
    with clerk.session_transaction() as session:
        session["seen"] = int(time.time()) - 20
    response = clerk.get("/clerk/households")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    with clerk.session_transaction() as session:
        session["seen"] = int(time.time()) - 61
    assert "Set-Cookie" in clerk.get("/clerk/households").headers


def test_logout(clerk, db):
    assert clerk.post("/clerk/logout").status_code == 302
    assert clerk.get("/clerk/households").status_code == 302
    assert "logout" in audit_actions(db)


def test_open_redirect_refused(open_app, users):
    response = open_app.test_client().post("/clerk/login", data={"username": "clerk1", "password": PASSWORD,
                                                                "next": "//evil.example/x"})
    assert response.headers["Location"].endswith("/clerk/households")


# Search and masking
