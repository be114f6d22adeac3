"""Sessions kept by the node: logout, `village user disable`, role changes and deletion hold at once."""
import html
import json
import re
import time

import pytest
from clerk_helpers import PASSWORD, login

from conftest import Village


@pytest.fixture
def village(node, users):
    """The `village` command on the node the clerk fixtures use."""
    return Village(node.data_dir)


def cookie_of(client):
    return client.get_cookie("session").value


def with_cookie(app, value):
    """Return a new client (another browser) holding a copy of the session cookie `value`."""
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def test_a_copied_cookie_stops_working_after_logout(clerk, open_app):
    copied = cookie_of(clerk)
    thief = with_cookie(open_app, copied)
    assert thief.get("/clerk/households").status_code == 200  # a copy works while the session lasts
    clerk.post("/clerk/logout")
    response = thief.get("/clerk/households")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?")


def test_logging_out_one_browser_leaves_the_clerks_other_session(open_app, users):
    desk, laptop = open_app.test_client(), open_app.test_client()
    login(desk), login(laptop)
    desk.post("/clerk/logout")
    assert laptop.get("/clerk/households").status_code == 200


def test_a_cookie_signed_with_the_key_but_naming_a_user_and_role_gives_nothing(open_app, users):
    # What the cookie says is never trusted: only a session the node holds counts.
    client = open_app.test_client()
    with client.session_transaction() as session:
        session.update(user="clerk1", role="admin", seen=int(time.time()), sid="made-up")
    assert client.get("/clerk/households").status_code == 302


def test_disable_ends_the_users_sessions_and_enable_needs_a_new_login(clerk, village):
    result = village("user", "disable", "clerk1")
    assert result.exit_code == 0 and "clerk1" in result.output
    assert clerk.get("/clerk/households").status_code == 302
    assert login(clerk).status_code == 401  # a disabled user cannot log in
    assert village("user", "enable", "clerk1").exit_code == 0
    assert clerk.get("/clerk/households").status_code == 302  # the old session stays ended
    assert login(clerk).status_code == 302
    assert clerk.get("/clerk/households").status_code == 200


def test_a_role_change_holds_from_the_next_request(clerk, village):
    assert clerk.get("/clerk/households").status_code == 200
    assert village("user", "role", "clerk1", "--role", "fieldworker").exit_code == 0
    assert clerk.get("/clerk/households").status_code == 403
    assert village("user", "role", "clerk1", "--role", "admin").exit_code == 0
    assert clerk.get("/clerk/households").status_code == 200


def test_a_deleted_users_cookie_stops_working(clerk, db):
    db.execute("DELETE FROM users WHERE username = 'clerk1'")
    assert clerk.get("/clerk/households").status_code == 302


def test_user_list_shows_roles_disabled_and_sessions(clerk, village):
    village("user", "disable", "field1")
    listed = json.loads(village("user", "list", "--json").output)
    by_name = {u["username"]: u for u in listed}
    assert by_name["clerk1"]["role"] == "clerk" and by_name["clerk1"]["sessions"] == 1
    assert by_name["field1"]["disabled"] is True and by_name["clerk1"]["disabled"] is False
    plain = village("user", "list").output
    assert "clerk1" in plain and "field1" in plain and "disabled" in plain


@pytest.mark.parametrize("args", [("disable", "nobody"), ("enable", "nobody"), ("role", "nobody", "--role", "clerk")])
def test_an_unknown_user_is_a_clear_error(village, args):
    result = village("user", *args)
    assert result.exit_code == 1
    assert "no user called nobody" in result.output and "village user list" in result.output
    assert "Traceback" not in result.output


def test_an_unknown_role_is_refused(village):
    result = village("user", "role", "clerk1", "--role", "emperor")
    assert result.exit_code == 2 and "emperor" in result.output


def test_account_changes_are_audited(clerk, village, db):
    village("user", "role", "clerk1", "--role", "admin")
    village("user", "disable", "clerk1")
    village("user", "enable", "clerk1")
    actions = [r[0] for r in db.execute("SELECT action FROM audit WHERE target = 'clerk1' ORDER BY id")]
    assert actions[-3:] == ["user.role", "user.disable", "user.enable"]


# Where a login sends the clerk next: this node's own pages only.

@pytest.mark.parametrize("target", [
    "/\t/evil.example/phish", "/\n/evil.example/", "/\\evil.example/", "\\\\evil.example", "//evil.example",
    "https://evil.example/", "javascript:alert(1)", "/\u202e/evil", " //evil.example", "",
])
def test_next_outside_this_node_is_refused(open_app, users, target):
    response = open_app.test_client().post("/clerk/login", data={"username": "clerk1", "password": PASSWORD,
                                                                "next": target})
    location = response.headers["Location"]
    assert response.status_code == 302 and location.endswith("/clerk/households"), location


def test_the_tab_trick_from_the_issue_does_not_leave_the_node(open_app, users):
    client = open_app.test_client()
    form = client.get("/clerk/login?next=/%09/evil.example/phish").get_data(as_text=True)
    target = re.search(r'name="next" value="([^"]*)"', form).group(1)
    response = client.post("/clerk/login", data={"username": "clerk1", "password": PASSWORD,
                                                 "next": html.unescape(target)})
    location = response.headers["Location"]
    assert "evil.example" not in location and not location.startswith("//")


def test_next_on_this_node_is_kept(open_app, users):
    response = open_app.test_client().post("/clerk/login", data={"username": "clerk1", "password": PASSWORD,
                                                                "next": "/clerk/requests?status=approved"})
    assert response.headers["Location"].endswith("/clerk/requests?status=approved")
