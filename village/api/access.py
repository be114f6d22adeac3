"""Who may use the JSON API: a bearer token, its role's rights on each table, its area, its rate limit.

A browser session opens nothing here: only a token does, so no other site can make a signed-in
clerk's browser write through the API (and the API needs no CSRF token).
"""
import dataclasses

from flask import current_app, g, request

from sync.scope import inside
from village.errors import Problem
from village.records.schema import DOWNSTREAM, FIELD_TABLES, TABLES
from village.records.tokens import token_for
from village.web.db import get_db
from village.web.ratelimit import FailureLimit

# Roles that read sensitive fields whole (they edit them on the clerk's forms); others read them masked.
SEES_SENSITIVE = ("clerk", "admin")


def writable_tables(role, node_role):
    """Return the tables a token of `role` may write on a node of `node_role` (workflow moves included).

    Tables written at a hub and sent down (DOWNSTREAM) are written only at a county hub, by county
    staff or an admin; a clerk writes every other table, as the clerk's pages and sync do.
    """
    village_tables = tuple(t for t in TABLES if t not in DOWNSTREAM)
    hub_tables = tuple(DOWNSTREAM) if node_role == "county" else ()
    by_role = {"clerk": village_tables, "fieldworker": tuple(t for t in FIELD_TABLES if t in TABLES),
               "county": village_tables + hub_tables, "admin": village_tables + hub_tables}
    return by_role.get(role, ())


def sees_sensitive(token):
    """Return True when `token` reads sensitive fields whole."""
    return token["role"] in SEES_SENSITIVE


def may_write(token, table, action):
    """Refuse (403) a write of `table` that the token's role may not make."""
    if table not in writable_tables(token["role"], current_app.config["NODE"].role):
        raise Problem("api.forbidden", role=token["role"], action=action, table=table)


def may_write_in(token, area):
    """Refuse (403) a write of a record of `area` outside the token's area."""
    if not inside(area, token["area"]):
        raise Problem("api.outside_area", area=area, scope=token["area"])


def writer_node(token):
    """Return the node as the write path sees it for `token`: its area narrowed to the token's."""
    return dataclasses.replace(current_app.config["NODE"], area=token["area"])


def install(state):
    """Give the app its per-token request counter."""
    per_minute = state.app.config["NODE"].setting("api_requests_per_minute")
    state.app.extensions["api_limit"] = FailureLimit(per_minute=per_minute)


def authenticate():
    """Find this request's token (401 without a live one); count it against the token's limit (429)."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    token = token_for(get_db(), secret.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        raise Problem("api.unauthorized")
    limit = current_app.extensions["api_limit"]
    if not limit.allow(token["id"]):
        raise Problem("api.slow_down", n=limit.per_minute)
    limit.fail(token["id"])  # FailureLimit counts events: here every request of the token is one
    g.token = token  # nothing returned: a before_request hook that returns a value answers for the view
