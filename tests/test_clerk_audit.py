"""The audit log names what a write really changed, written by the records layer with the write."""
import re

import pytest
from clerk_helpers import UUID, household, request_in

from village.records import core
from village.records.services import change_status

FORM = {"code": "HX0100", "head_name": "王建国", "id_number": "", "phone": "", "address": "", "members": "3",
        "monitoring_status": "watch", "notes": ""}


def entries(db, action):
    return db.execute("SELECT actor, target, detail FROM audit WHERE action = ? ORDER BY id", [action]).fetchall()


def changes(db):
    return db.execute("SELECT COUNT(*) FROM _changes").fetchone()[0]


def created(clerk):
    response = clerk.post("/clerk/new/households", data=FORM)
    assert response.status_code == 302
    return re.search(UUID, response.headers["Location"]).group(0)


def test_a_create_names_the_fields_it_set(clerk, db):
    hh = created(clerk)
    [(actor, target, detail)] = entries(db, "households.create")
    assert (actor, target) == ("clerk1", hh)
    assert {"code", "head_name", "members", "monitoring_status"} <= set(detail.split(","))


def test_an_edit_names_only_the_fields_edited(clerk, db):
    hh = created(clerk)
    assert clerk.post(f"/clerk/households/{hh}/edit", data={**FORM, "head_name": "王建设", "notes": "搬家"}).status_code == 302
    assert entries(db, "households.edit") == [("clerk1", hh, "head_name,notes")]


def test_an_unchanged_resave_changes_nothing_and_logs_nothing(clerk, db):
    hh = created(clerk)
    before, version = changes(db), core.get(db, "households", hh)["_version"]
    # The form sends every field as text: "3" over the stored 3 is no change.
    assert clerk.post(f"/clerk/households/{hh}/edit", data=FORM).status_code == 302
    assert entries(db, "households.edit") == []
    assert changes(db) == before and core.get(db, "households", hh)["_version"] == version


def test_an_empty_form_field_over_a_missing_value_is_no_change(clerk, db, node):
    hh = household(db, node, id_number=None, phone=None)  # born outside the clerk pages: no address, notes
    before = changes(db)
    form = {**FORM, "code": "HX0001", "members": "", "monitoring_status": "none"}
    assert clerk.post(f"/clerk/households/{hh}/edit", data=form).status_code == 302
    assert entries(db, "households.edit") == [] and changes(db) == before


def test_a_refused_edit_logs_nothing(clerk, db):
    hh = created(clerk)
    assert clerk.post(f"/clerk/households/{hh}/edit", data={**FORM, "members": "-1"}).status_code == 400
    assert entries(db, "households.edit") == []


def test_deletes_are_logged_with_the_records_under_them(clerk, db):
    hh = created(clerk)
    assert clerk.post(f"/clerk/new/persons?parent={hh}", data={"name": "王小红"}).status_code == 302
    person = db.execute("SELECT id FROM persons").fetchone()[0]
    assert clerk.post(f"/clerk/households/{hh}/delete").status_code == 302
    assert entries(db, "persons.delete") == [("clerk1", person, f"with households {hh}")]
    assert entries(db, "households.delete") == [("clerk1", hh, "")]


def test_save_returns_the_fields_it_really_changed(db, node):
    with core.write(db, node) as w:
        hh = core.save(w, node, "households", {"code": "H1", "head_name": "王", "members": 3})
        assert hh.created and {"code", "head_name", "members"} <= set(hh.changed)
        again = core.save(w, node, "households", {"code": "H1", "head_name": "王", "members": "3"}, row_id=hh)
        assert again == hh and again.changed == () and not again.created
        edited = core.save(w, node, "households", {"members": "4", "head_name": "王"}, row_id=hh)
        assert edited.changed == ("members",)


def test_the_audit_entry_rolls_back_with_its_write(db, node):
    with pytest.raises(RuntimeError):
        with core.write(db, node) as w:
            core.save(w, node, "households", {"code": "H1", "head_name": "王"}, actor="clerk1")
            raise RuntimeError("power cut")
    assert entries(db, "households.create") == []
    with core.write(db, node) as w:
        hh = core.save(w, node, "households", {"code": "H1", "head_name": "王"}, actor="clerk1")
    assert entries(db, "households.create")[0][:2] == ("clerk1", hh)


def test_a_status_change_is_logged_with_its_new_status(db, node):
    row, _ticket = request_in(db, node)
    with core.write(db, node) as w:
        change_status(w, node, "service_requests", row, "in_review", "clerk1")
    assert entries(db, "service_requests.status") == [("clerk1", row, "in_review")]
