"""Helpers of the clerk page tests: the test password, logging in, records to show."""
from village.records import core
from village.records.services import submit

PASSWORD = "correct horse"
UUID = r"[0-9a-f-]{36}"


def login(client, username="clerk1", password=PASSWORD):
    return client.post("/clerk/login", data={"username": username, "password": password})


def household(db, node, **values):
    base = {"code": "HX0001", "head_name": "王建国", "phone": "13812345678", "id_number": "52010219800101123X"}
    with core.write(db, node) as w:
        return core.save(w, node, "households", {**base, **values})


def request_in(db, node, status_path=(), household_id=None):
    from village.records.services import change_status

    with core.write(db, node) as w:
        row, ticket = submit(w, node, "service_requests", {"applicant_name": "李秀英", "kind": "residence_certificate",
                                                           "applicant_phone": "13900001111",
                                                           "household_id": household_id})
        for step in status_path:
            change_status(w, node, "service_requests", row, step, "test")
    return row, ticket


def audit_actions(db):
    return [r[0] for r in db.execute("SELECT action FROM audit ORDER BY id")]
