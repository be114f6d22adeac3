"""Property tests of the write rules: any sequence of creates, updates and deletes made through the API
ends in the same state as the same sequence made through the clerk's pages (the same validators, the
same write path), and as a plain model of it."""
import tempfile
from pathlib import Path

import pytest
from api_helpers import VILLAGE, token
from clerk_helpers import PASSWORD, login
from hypothesis import HealthCheck, given, settings, strategies as st

from village import create_app
from village.clerk.records import form_fields
from village.node import init_node, open_db
from village.records.core import rows
from village.users import add_user

pytestmark = pytest.mark.slow
CODES = ("H001", "H002", "H003")
NAMES = st.sampled_from(["王建国", "李秀英", "Aynur", "  ", ""])
MEMBERS = st.one_of(st.none(), st.integers(min_value=-2, max_value=203))  # past both ends of 0..200 too
STEPS = st.lists(st.tuples(st.sampled_from(["create", "update", "delete"]), st.sampled_from(CODES), NAMES, MEMBERS),
                 max_size=12)


def valid(name, members):
    return name.strip() != "" and (members is None or 0 <= members <= 200)


class Api:
    """Writes through /api/ with a clerk's token."""

    def __init__(self, node, db):
        self.client, self.headers, self.ids = create_app({"NODE": node, "TESTING": True}).test_client(), token(db, node), {}

    def create(self, code, name, members):
        response = self.client.post("/api/households", headers=self.headers,
                                    json={"code": code, "head_name": name, "members": members})
        if response.status_code == 201:
            self.ids[code] = response.json["id"]
        return response.status_code

    def _etag(self, code):
        return self.client.get(f"/api/households/{self.ids[code]}", headers=self.headers).headers["ETag"]

    def update(self, code, name, members, _stored):
        return self.client.patch(f"/api/households/{self.ids[code]}", json={"head_name": name, "members": members},
                                 headers={**self.headers, "If-Match": self._etag(code)}).status_code

    def delete(self, code):
        etag = self._etag(code)
        return self.client.delete(f"/api/households/{self.ids.pop(code)}",
                                  headers={**self.headers, "If-Match": etag}).status_code


class Pages:
    """Writes through the clerk's forms, as a browser posts them (every field of the form, as text)."""

    def __init__(self, node, db):
        add_user(db, "clerk1", "clerk", PASSWORD)
        self.client = create_app({"NODE": node, "TESTING": True, "WTF_CSRF_ENABLED": False}).test_client()
        assert login(self.client).status_code == 302
        self.db, self.ids = db, {}

    @staticmethod
    def _form(stored, name, members):
        form = {k: "" if v is None else str(v) for k, v in stored.items() if k not in ("id", "area")}
        return {**form, "head_name": name, "members": "" if members is None else str(members)}

    def create(self, code, name, members):
        # The new-record form comes filled with the fields' defaults, as the browser sends it back.
        defaults = {spec.name: spec.default for spec in form_fields("households") if spec.default is not None}
        response = self.client.post("/clerk/new/households", data=self._form({**defaults, "code": code}, name, members))
        if response.status_code == 302:
            self.ids[code] = next(rows(self.db, "households", "code = ?", [code]))["id"]
        return response.status_code

    def update(self, code, name, members, stored):
        return self.client.post(f"/clerk/households/{self.ids[code]}/edit",
                                data=self._form(stored, name, members)).status_code

    def delete(self, code):
        return self.client.post(f"/clerk/households/{self.ids.pop(code)}/delete").status_code


def state(db):
    return {r["code"]: (r["head_name"], r["members"], r["monitoring_status"]) for r in rows(db, "households")}


def run(surface, db, steps):
    """Apply `steps` through `surface`, checking each answer against the model; return the model."""
    model = {}
    for action, code, name, members in steps:
        if action == "create" and code not in model:
            ok = valid(name, members)
            assert (surface.create(code, name, members) in (201, 302)) == ok, (action, code, name, members)
            if ok:
                model[code] = (name.strip(), members, "none")
        elif action == "update" and code in model:
            ok = valid(name, members)
            stored = next(rows(db, "households", "code = ?", [code]))
            assert (surface.update(code, name, members, stored) in (200, 302)) == ok, (action, code, name, members)
            if ok:
                model[code] = (name.strip(), members, "none")
        elif action == "delete" and code in model:
            assert surface.delete(code) in (204, 302)
            del model[code]
    return model


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_api_and_pages_end_in_the_same_state(steps):
    with tempfile.TemporaryDirectory() as tmp:
        ends = []
        for n, surface in enumerate((Api, Pages)):
            node = init_node(Path(tmp) / f"n{n}", "village", "x", VILLAGE, "en")
            db = open_db(node)
            try:
                model = run(surface(node, db), db, steps)
                ends.append(state(db))
                assert ends[-1] == model
            finally:
                db.close()
        assert ends[0] == ends[1]
