"""Helpers of the county page tests: a county user logged in, forms posted with their CSRF token."""
import re

from clerk_helpers import PASSWORD

from village.users import add_user

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def county_client(app, db, role="county", username=None):
    """Return a test client of `app` logged in as a new user of `role`."""
    username = username or f"{role}1"
    add_user(db, username, role, PASSWORD)
    client = app.test_client()
    answer = post_form(client, "/login", "/login", {"username": username, "password": PASSWORD})
    assert answer.status_code == 302, answer.status_code
    return client


def post_form(client, page, action, data):
    """POST `data` to `action` with the CSRF token of `page` (a GET first, as a browser would)."""
    token = TOKEN.search(client.get(page).get_data(as_text=True)).group(1)
    return client.post(action, data={**data, "csrf_token": token})
