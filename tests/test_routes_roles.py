"""Walk every route of the app with every role and check who gets in.

Every endpoint must have a line in POLICY (by endpoint, or by blueprint name): a new route
without one fails this test, so nobody adds a page without deciding who may see it.
"""
from urllib.parse import urlsplit

import pytest
from clerk_helpers import PASSWORD, login

from village import create_app
from village.records import core
from village.records.services import change_status, submit
from village.users import add_user
from village.signing import sign

ROLES = (None, "clerk", "fieldworker", "county", "admin")
PUBLIC = "public"  # anyone, no login (the kiosk is shared; certificates are checked by anyone)
CLERKS = "clerks"  # clerk and admin; a fieldworker works in the field app, not on clerk pages
FIELD = "field"  # field worker and admin
COUNTY = "county"  # county staff and admin
CASEWORK = "casework"  # clerk and admin, and county staff deciding cases on the hub's clerk pages
LOGIN = "login"  # the login form itself: open to all; a wrong password answers 401
NODES = "nodes"  # other nodes with their own credentials: a browser session gives no access
ADMIN = "admin"  # admin only (API tokens, users and their roles, the audit log)
# Who may open the pages of each signed-in policy (written out here, not read from the code).
SIGNED_IN = {CLERKS: ("clerk", "admin"), FIELD: ("fieldworker", "admin"), COUNTY: ("county", "admin"),
             ADMIN: ("admin",), CASEWORK: ("clerk", "county", "admin")}

POLICY = {
    "static": PUBLIC,
    "kiosk": PUBLIC,
    "verify": PUBLIC,
    "auth": LOGIN,
    "clerk": CLERKS,
    "clerk_records": CLERKS,
    "clerk_queues": CLERKS,
    "clerk_cases": CASEWORK,
    "clerk_cases.new_case": CLERKS,  # a lead is the village's step
    "clerk_visits": CLERKS,
    "clerk_care": CLERKS,
    "field": FIELD,
    "tablets": CLERKS,  # enroll and revoke tablets, the node's CA and how to install it
    "tablets.ca_certificate": PUBLIC,  # the CA certificate: public, downloaded before the tablet trusts HTTPS
    # The field app's shell and what its service worker keeps offline: no record and no user in them.
    "field.home": PUBLIC,
    "field.worker": PUBLIC,
    "field.manifest": PUBLIC,
    "field.forms": PUBLIC,
    "field.words": PUBLIC,
    "field.script": PUBLIC,
    "county": COUNTY,
    "county_conflicts": COUNTY,  # county staff resolve conflicts: it is their daily work, not an admin's
    "county_quarantine": COUNTY,  # releasing runs every check again: county staff, like the CLI's operator
    "county_nodes": COUNTY,  # enrolling, renaming and revoking villages is county staff's work
    "county_report": COUNTY,
    "county_users": ADMIN,  # giving roles and passwords: admin only, or a county user could make itself admin
    "county_audit": ADMIN,  # the log names everyone's logins and addresses
    "county_health": COUNTY,
    "county_completeness": COUNTY,
    "county_steps": COUNTY,
    "county_alerts": COUNTY,
    "county_prices": COUNTY,
    "clerk_alerts": CLERKS,
    "sync.ping": PUBLIC,
    "sync": NODES,
    "api_docs": PUBLIC,  # the API's description: no record in it
    "api": NODES,  # programs with an API token: a browser session gives no access
    "admin": ADMIN,
}


def policy_of(endpoint):
    """Return the access policy of `endpoint`: its own line, else its blueprint's, else None."""
    return POLICY.get(endpoint, POLICY.get(endpoint.split(".")[0]))


@pytest.fixture
def walk_app(node, db, monkeypatch):
    """The app with records for every kind of URL argument, CSRF off to reach the role checks."""
    try:
        from village.ops import sync as syncing

        monkeypatch.setattr(syncing, "run_sync", lambda node, db=None: syncing.SyncResult(ok=True))  # no network
    except ImportError:
        pass
    with core.write(db, node) as w:
        hh = core.save(w, node, "households", {"code": "HX0001", "head_name": "王建国"})
        req, ticket = submit(w, node, "service_requests", {"applicant_name": "李秀英", "kind": "subsidy",
                                                           "household_id": hh})
        for step in ("in_review", "approved"):
            change_status(w, node, "service_requests", req, step, "test")
        person = core.save(w, node, "persons", {"household_id": hh, "name": "王建国"})
        case = core.save(w, node, "monitor_cases", {"household_id": hh, "channel": "self_report",
                                                    "lead_on": "2025-03-01"})
        visit = core.save(w, node, "visits", {"household_id": hh, "visitor": "李", "kind": "elderly_care",
                                              "visited_on": "2025-03-02"})
    args = {"household": hh, "request": req, "ticket": ticket, "payload": sign(node, {"t": ticket}),
            "filename": "style.css", "db": db, "person": person, "case": case, "visit": visit,
            "conflict_id": 1, "entry": 1}  # a conflict or held change that is not there: the page says so
    node.settings["public_base_url"] = "http://village.test"
    return create_app({"NODE": node, "TESTING": True, "WTF_CSRF_ENABLED": False}), args


def url_args(rule, known):
    """Return values for the rule's arguments that point at real records where possible."""
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        if hasattr(converter, "items"):
            values[name] = "requests" if "requests" in converter.items else sorted(converter.items)[0]
        elif name == "row_id":
            values[name] = row_id_for(rule, known)
        else:
            values[name] = known.get(name, "x")
    if values.get("table") not in (None, "households") and "households" in rule._converters["table"].items:
        values["table"] = "households"
    return values


ROW_IDS = (("/clerk/cases/", "case"), ("/clerk/visits/", "visit"), ("/clerk/persons/", "person"),
           ("/clerk/households/", "household"))


def row_id_for(rule, known):
    """Return the id of a real record of the kind the rule's <row_id> names."""
    key = next((key for prefix, key in ROW_IDS if rule.rule.startswith(prefix)), None)
    if key:
        return known[key]
    return known["request"] if "kind" in rule.arguments or "requests" in rule.rule else known["household"]


SECURITY_HEADERS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}


def outcome(client, method, url):
    response = client.open(url, method=method)
    location = response.headers.get("Location", "")
    return response.status_code, location, missing_headers(response)


def missing_headers(response):
    """Return the security headers a response lacks (every answer of the node carries them)."""
    missing = [name for name, value in SECURITY_HEADERS.items() if response.headers.get(name) != value]
    csp = response.headers.get("Content-Security-Policy", "")
    if "frame-ancestors 'none'" not in csp or "script-src 'self'" not in csp or "unsafe-inline" in csp:
        missing.append("Content-Security-Policy")
    return missing


def to_login(location):
    return urlsplit(location).path in ("/login", "/clerk/login")


def allowed(status, location):
    return status not in (401, 403) and not to_login(location)


def check(policy, role, status, location, method):
    """Return None when the outcome matches the policy, else what went wrong."""
    if policy == PUBLIC and not allowed(status, location):
        return f"public route refused ({status})"
    if policy in SIGNED_IN:
        if role in SIGNED_IN[policy] and not allowed(status, location):
            return f"refused to {role} ({status})"
        # The walk points every id at a real record, so a page that is not found is a bug.
        if role in SIGNED_IN[policy] and method == "GET" and status not in (200, 302):
            return f"GET gave {status} to {role}"
        if role is None and not (status == 302 and urlsplit(location).path == "/login"):
            return f"anonymous not sent to /login ({status} {location})"
        if role is not None and role not in SIGNED_IN[policy] and status != 403:
            return f"{role} not refused ({status})"
    if policy == LOGIN and status == 403:
        return "login refused"
    if policy == NODES and role is not None and 200 <= status < 400:
        return f"session of {role} got {status}"
    return None


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_every_route_with_every_role(walk_app, role):
    app, known = walk_app
    client = app.test_client()
    if role:
        add_user(known["db"], f"{role}1", role, PASSWORD)
        assert login(client, f"{role}1").status_code == 302
    problems, walked = [], 0
    # Logging out last, so the session lasts the whole walk; deleting the household just before, so
    # every page of its records (cases, visits, members) is walked while they exist.
    last = lambda r: (r.endpoint in ("auth.logout", "auth.clerk_logout"), r.endpoint.endswith(".delete"))  # noqa: E731
    for rule in sorted(app.url_map.iter_rules(), key=last):
        policy = policy_of(rule.endpoint)
        if policy is None:
            problems.append(f"{rule.rule} ({rule.endpoint}): no access policy; add it to POLICY")
            continue
        path = rule.build(url_args(rule, known), append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            status, location, missing = outcome(client, method, path)
            walked += 1
            if status >= 500:
                problems.append(f"{method} {path}: server error {status}")
            if missing:
                problems.append(f"{method} {path}: no {', '.join(missing)} header")
            wrong = check(policy, role, status, location, method)
            if wrong:
                problems.append(f"{method} {path} ({rule.endpoint}): {wrong}")
    assert walked > 20
    assert not problems, "\n".join(problems)


def test_every_signed_in_view_has_the_role_check(app):
    checked = 0
    for endpoint, view in app.view_functions.items():
        if policy_of(endpoint) in SIGNED_IN:
            assert getattr(view, "roles", None) == SIGNED_IN[policy_of(endpoint)], endpoint
            checked += 1
    assert checked > 10


def test_a_route_without_a_policy_is_caught(walk_app):
    """A new page nobody decided on fails the walk (here: one added to a copy of the app)."""
    app, _known = walk_app
    app.add_url_rule("/field/new-page", "field_extra.page", lambda: "x")
    unpoliced = [rule.rule for rule in app.url_map.iter_rules() if policy_of(rule.endpoint) is None]
    assert unpoliced == ["/field/new-page"]
