"""Villages and their enrollment codes, users and roles, the audit log: pages, audit entries, refusals."""
import re

import pytest
from clerk_helpers import PASSWORD
from conftest import COUNTY_AREA, Village, local
from county_helpers import county_client, post_form
from sync_helpers import sync

from village import create_app
from village.hubdb import audited
from village.records import core
from village.users import add_user, check_password

pytestmark = pytest.mark.usefixtures("hub_engine")  # every test on a SQLite and a PostgreSQL hub

NEW_VILLAGE = COUNTY_AREA + "/009"


@pytest.fixture
def hub(make_node, serve):
    """A county hub served over real HTTP; returns (node, db, server, app)."""
    node, db = make_node(role="county", area=COUNTY_AREA, name="县")
    app = create_app({"NODE": node, "TESTING": True})
    return node, db, serve(app), app


def _nodes(db):
    return db.execute("SELECT node_id, name, area, revoked_at FROM nodes").fetchall()


def _add_village(client, name="新村", area=NEW_VILLAGE):
    return post_form(client, "/county/nodes", "/county/nodes", {"name": name, "area": area})


def test_a_village_added_on_the_page_enrolls_with_the_code_shown_once(hub, make_node):
    node, db, server, app = hub
    client = county_client(app, db)
    answer = _add_village(client)
    assert answer.status_code == 201 and answer.headers["Cache-Control"] == "no-store"
    page = answer.get_data(as_text=True)
    code = re.search(r'id="enroll-code">([^<]+)<', page).group(1)
    assert "<svg" in page and 'role="img"' in page  # the printable QR code
    village, village_db = make_node(area=NEW_VILLAGE, name="新村")
    enrolled = Village(village.data_dir)("enroll", "--hub", server.url, "--code", code, "--insecure")
    assert enrolled.exit_code == 0, enrolled.output
    assert sync(village).exit_code == 0
    [(link, name, area, revoked)] = _nodes(db)
    assert (name, area, revoked) == ("新村", NEW_VILLAGE, None)
    assert ("county1", "node.add") in local(db).execute("SELECT actor, action FROM audit").fetchall()


@pytest.mark.parametrize("name, area, problem", [
    ("新村", "52/5201/520102/0x", "is not an area code path"),
    ("新村", "11/1101/110101/001", "is not inside this hub"),
    ("", NEW_VILLAGE, "Give the node a name"),
])
def test_a_bad_village_is_refused_with_the_form_again_and_nothing_added(hub, name, area, problem):
    _node, db, _server, app = hub
    answer = _add_village(county_client(app, db), name, area)
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert problem in page and 'aria-invalid="true"' in page and f'value="{area}"' in page
    assert _nodes(db) == []


def test_rename_new_code_and_revoke(hub, make_node):
    node, db, server, app = hub
    client = county_client(app, db)
    first = re.search(r'id="enroll-code">([^<]+)<', _add_village(client).get_data(as_text=True)).group(1)
    [(link, *_rest)] = _nodes(db)
    again = post_form(client, "/county/nodes", f"/county/nodes/{link}/code", {})
    second = re.search(r'id="enroll-code">([^<]+)<', again.get_data(as_text=True)).group(1)
    village, _vdb = make_node(area=NEW_VILLAGE)
    old = Village(village.data_dir)("enroll", "--hub", server.url, "--code", first, "--insecure")
    assert old.exit_code != 0  # the lost code stopped working when a new one was made
    assert Village(village.data_dir)("enroll", "--hub", server.url, "--code", second, "--insecure").exit_code == 0
    post_form(client, "/county/nodes", f"/county/nodes/{link}/rename", {"name": "新村（搬迁）"})
    assert _nodes(db)[0][1] == "新村（搬迁）"
    assert post_form(client, "/county/nodes", f"/county/nodes/{link}/code", {}).status_code == 302  # enrolled now
    post_form(client, "/county/nodes", f"/county/nodes/{link}/revoke", {})
    assert _nodes(db)[0][3] is not None
    assert sync(village).exit_code != 0  # revoked: it can no longer sync
    actions = [r[0] for r in local(db).execute("SELECT action FROM audit WHERE actor = 'county1'")]
    assert {"node.add", "node.code", "node.rename", "node.revoke"} <= set(actions)


def test_a_post_without_its_csrf_token_changes_nothing(hub):
    _node, db, _server, app = hub
    client = county_client(app, db)
    assert client.post("/county/nodes", data={"name": "新村", "area": NEW_VILLAGE}).status_code == 400
    assert _nodes(db) == []


def test_an_admin_manages_users_and_a_county_user_cannot(hub):
    _node, db, _server, app = hub
    county = county_client(app, db)
    assert county.get("/county/users").status_code == 403
    assert county.post("/county/users", data={"username": "x2", "role": "admin", "password": "p" * 10}).status_code \
        in (400, 403)
    admin = county_client(app, db, role="admin")
    short = post_form(admin, "/county/users", "/county/users", {"username": "wang", "role": "clerk", "password": "x"})
    assert short.status_code == 400 and "at least 8" in short.get_data(as_text=True)
    assert check_password(local(db), "wang", "x") is None
    post_form(admin, "/county/users", "/county/users", {"username": "wang", "role": "clerk", "password": PASSWORD})
    assert check_password(local(db), "wang", PASSWORD) == "clerk"
    post_form(admin, "/county/users", "/county/users/wang/role", {"role": "county"})
    post_form(admin, "/county/users", "/county/users/wang/password", {"password": "another secret"})
    assert check_password(local(db), "wang", PASSWORD) is None and check_password(local(db), "wang", "another secret") == "county"
    post_form(admin, "/county/users", "/county/users/wang/disable", {})
    assert check_password(local(db), "wang", "another secret") is None
    post_form(admin, "/county/users", "/county/users/admin1/disable", {})  # not oneself
    assert check_password(local(db), "admin1", PASSWORD) == "admin"
    actions = {r[0] for r in local(db).execute("SELECT action FROM audit WHERE actor = 'admin1'")}
    assert {"user.add", "user.role", "user.password", "user.disable"} <= actions


def test_the_audit_log_is_filtered_paginated_and_exported_as_shown(hub):
    from openpyxl import load_workbook
    import io

    _node, db, _server, app = hub
    for i in range(60):
        add_user(local(db), f"user{i:02d}", "clerk", PASSWORD, actor="wang")
    admin = county_client(app, db, role="admin")
    page = admin.get("/county/audit?user=wang").get_data(as_text=True)
    assert "60 entries found" in page and "Page 1 of 2" in page and "user59" in page and "user00" not in page
    assert "user00" in admin.get("/county/audit?user=wang&page=2").get_data(as_text=True)
    assert "0 entries found" in admin.get("/county/audit?user=wang&to=2000-01-01").get_data(as_text=True)
    assert "1 entries found" in admin.get("/county/audit?action=login").get_data(as_text=True)
    bad = admin.get("/county/audit?from=yesterday")
    assert bad.status_code == 400 and 'aria-invalid="true"' in bad.get_data(as_text=True)
    book = load_workbook(io.BytesIO(admin.get("/county/audit?user=wang&export=xlsx&lang=zh_Hans").data))
    rows = list(book.active.iter_rows())
    assert len(rows) == 61 and rows[0][1].value == "操作人"
    assert rows[1][0].is_date and rows[1][3].data_type == "s"
    assert county_client(app, db).get("/county/audit").status_code == 403


def test_an_audit_entry_is_kept_only_with_the_change_it_tells_of(hub):
    node, db, _server, _app = hub

    def count():
        return (db.execute("SELECT COUNT(*) FROM households").fetchone()[0],
                local(db).execute("SELECT COUNT(*) FROM audit WHERE action = 'households.create'").fetchone()[0])

    with pytest.raises(RuntimeError):
        with audited(db, local(db)) as tx, core.write(tx, node) as w:
            core.save(w, node, "households", {"code": "A1", "head_name": "王"}, actor="county1")
            raise RuntimeError("the write fails after its audit entry was written")
    assert count() == (0, 0)  # neither the record nor its entry (on PostgreSQL: in two databases)
    with audited(db, local(db)) as tx, core.write(tx, node) as w:
        core.save(w, node, "households", {"code": "A1", "head_name": "王"}, actor="county1")
    assert count() == (1, 1)
