"""Helpers of the county page tests: a county user logged in, forms posted with their CSRF token, a conflict."""
import re
import time

from clerk_helpers import PASSWORD
from conftest import local

from sync_helpers import add_households, edit, enroll, serve_hub, sync

from village.records import core
from village.users import add_user

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def county_client(app, db, role="county", username=None):
    """Return a test client of `app` logged in as a new user of `role` (kept in the node's own database beside `db`)."""
    username = username or f"{role}1"
    add_user(local(db), username, role, PASSWORD)
    client = app.test_client()
    answer = post_form(client, "/login", "/login", {"username": username, "password": PASSWORD})
    assert answer.status_code == 302, answer.status_code
    return client


def post_form(client, page, action, data):
    """POST `data` to `action` with the CSRF token of `page` (a GET first, as a browser would)."""
    token = TOKEN.search(client.get(page).get_data(as_text=True)).group(1)
    return client.post(action, data={**data, "csrf_token": token})


def two_nodes_in_conflict(make_node, serve, **values):
    """Serve a hub with two nodes of one village (office and clinic) that changed `values` of one household.

    The office writes its values (phone 13800000001, members 3 unless given) first, the clinic
    its own later, then both sync: the clinic's win, and the hub records the conflicts.
    Return (hub, hub_db, server, {"office"|"clinic": (node, db)}, household id).
    """
    hub, hub_db, server = serve_hub(make_node, serve)
    nodes = {}
    for key, name in (("office", "红星村委会"), ("clinic", "红星村卫生室")):
        nodes[key] = make_node(name=name)
        enroll(hub, server, nodes[key][0], name=name)
    [hh] = add_households(nodes["office"][1], nodes["office"][0], 1)
    assert sync(nodes["office"][0]).exit_code == 0 and sync(nodes["clinic"][0]).exit_code == 0
    assert core.get(nodes["clinic"][1], "households", hh) is not None
    office = values or {"phone": "13800000001", "members": 3}
    edit(nodes["office"][1], nodes["office"][0], "households", hh, **office)
    time.sleep(0.002)
    clinic = {"phone": "13900000002", "members": 4}
    edit(nodes["clinic"][1], nodes["clinic"][0], "households", hh, **{k: clinic[k] for k in office})
    return hub, hub_db, server, nodes, hh
