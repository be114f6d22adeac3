"""The one /login for every role and the session: landing pages, cookies, CSRF, idle logout, logout, redirects."""
import re
import time

import pytest
from clerk_helpers import PASSWORD, audit_actions, login

from village import create_app
from village.users import add_user


def session_row(db, username="clerk1"):
    return db.execute("SELECT id, last_seen FROM web_sessions WHERE username = ?", [username]).fetchone()


def test_login_ok_sets_safe_cookie_and_audits(open_app, users, db):
    client = open_app.test_client()
    response = login(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/clerk/households")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "login" in audit_actions(db)
    assert client.get("/clerk/households").status_code == 200


def test_the_cookie_holds_a_session_token_not_the_user_or_role(open_app, users, db):
    client = open_app.test_client()
    login(client)
    with client.session_transaction() as session:
        assert set(session) == {"sid"}
    assert session_row(db) is not None  # the session itself is kept by the node


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


def test_post_without_csrf_token_is_refused(app, users):
    client = app.test_client()
    assert login(client).status_code == 400
    page = client.get("/clerk/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/clerk/login", data={"username": "clerk1", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_idle_clerk_is_logged_out(clerk, db):
    db.execute("UPDATE web_sessions SET last_seen = ?", [time.time() - 11 * 60])  # the idle limit is 10 minutes
    response = clerk.get("/clerk/households")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    assert clerk.get("/clerk/households").status_code == 302
    assert "logout.idle" in audit_actions(db)
    assert session_row(db) is None  # ended at the node, not only forgotten by this browser


def test_activity_keeps_the_session(clerk, db):
    db.execute("UPDATE web_sessions SET last_seen = ?", [time.time() - 9 * 60])
    assert clerk.get("/clerk/households").status_code == 200
    assert session_row(db)[1] >= time.time() - 5  # the idle clock started again


def test_a_page_within_the_minute_writes_nothing(clerk, db):
    clerk.get("/clerk/households")  # the first page also stores the session's CSRF token
    seen = time.time() - 20
    db.execute("UPDATE web_sessions SET last_seen = ?", [seen])
    response = clerk.get("/clerk/households")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert session_row(db)[1] == seen


def test_logout(clerk, db):
    assert clerk.post("/clerk/logout").status_code == 302
    assert clerk.get("/clerk/households").status_code == 302
    assert "logout" in audit_actions(db)
    assert session_row(db) is None


def test_open_redirect_refused(open_app, users):
    response = open_app.test_client().post("/clerk/login", data={"username": "clerk1", "password": PASSWORD,
                                                                "next": "//evil.example/x"})
    assert response.headers["Location"].endswith("/clerk/households")


@pytest.mark.parametrize("role, home, shown", [
    ("clerk", "/clerk/households", "农户"),
    ("fieldworker", "/field/", 'id="sync-now"'),  # the field app's shell
    ("county", "/county/", "总览"),  # the county overview
    ("admin", "/clerk/households", "农户"),
])
def test_one_login_lands_every_role_on_its_own_home(make_node, role, home, shown):
    node, db = make_node(lang="zh_Hans")
    add_user(db, "user1", role, PASSWORD)
    client = create_app({"NODE": node, "TESTING": True, "WTF_CSRF_ENABLED": False}).test_client()
    assert "登录" in client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"username": "user1", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == home
    page = client.get(home)
    assert page.status_code == 200 and shown in page.get_data(as_text=True)


@pytest.mark.parametrize("role, refused", [("fieldworker", "/county/"), ("county", "/field/api/me"),
                                           ("county", "/clerk/households"), ("clerk", "/field/api/me")])
def test_a_role_cannot_open_another_roles_home(make_node, role, refused):
    node, db = make_node()
    add_user(db, "user1", role, PASSWORD)
    client = create_app({"NODE": node, "TESTING": True, "WTF_CSRF_ENABLED": False}).test_client()
    client.post("/login", data={"username": "user1", "password": PASSWORD})
    assert client.get(refused).status_code == 403


def test_a_field_worker_signs_out_and_the_field_app_loses_the_session(make_node):
    node, db = make_node()
    add_user(db, "field1", "fieldworker", PASSWORD)
    client = create_app({"NODE": node, "TESTING": True, "WTF_CSRF_ENABLED": False}).test_client()
    client.post("/login", data={"username": "field1", "password": PASSWORD})
    assert client.get("/field/api/me").get_json()["username"] == "field1"
    assert client.post("/logout").headers["Location"] == "/login"
    assert client.get("/field/api/me").headers["Location"].startswith("/login?next=")
    assert "logout" in audit_actions(db)


def test_the_former_clerk_login_address_still_works(open_app, users):
    client = open_app.test_client()
    form = client.get("/clerk/login?next=/clerk/sync").get_data(as_text=True)
    assert 'action="/login"' in form and 'name="next" value="/clerk/sync"' in form
    assert login(client).headers["Location"] == "/clerk/households"  # a POST to /clerk/login
    assert client.post("/clerk/logout").headers["Location"] == "/login"
