"""One /login for every role, logout, the user loaded from the database on every request, rate limits, idle logout."""
import functools
import sqlite3
import time
from urllib.parse import urlsplit

from flask import (Blueprint, abort, current_app, flash, g, has_request_context, redirect, render_template,
                   request, session, url_for)
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _

from village.web import throttle
from village.audit import record as audit
from village.web.db import get_db
from village.users import ROLES, check_password, end_session, session_user, start_session, touch_session

bp = Blueprint("auth", __name__)

# How stale "last seen" may get before a request rewrites it: a write on every page would cost
# more than the page, and idle logout counts in minutes.
SEEN_REFRESH_SECONDS = 60
# Failed logins leave at most this many audit rows per address and minute: the log is
# append-only, so an unauthenticated flood must not be able to fill it.
AUDITED_FAILURES_PER_MINUTE = 10


class SessionInterface(SecureCookieSessionInterface):
    """Signed cookie sessions whose cookie is Secure whenever the page came over https."""

    def get_cookie_secure(self, app):
        """Mark the cookie Secure when configured so, or when this request is https."""
        return bool(app.config["SESSION_COOKIE_SECURE"] or (has_request_context() and request.is_secure))


def init_app(app):
    """Give `app` its session cookies (flags from settings.WEB_CONFIG) and templates the signed-in user."""
    app.session_interface = SessionInterface()
    app.jinja_env.globals["clerk_user"] = lambda: current_user()[0]


def client_ip():
    """Return the address the request came from (the node serves its LAN directly, no proxy)."""
    return request.remote_addr or "-"


def _idle_seconds():
    return current_app.config["NODE"].setting("clerk_idle_minutes") * 60


def _session_record():
    """Return this request's session as the database holds it (looked up once per request), or None."""
    if "auth_session" not in g:
        token = session.get("sid")
        g.auth_session = session_user(get_db(), token) if token else None
    return g.auth_session


def current_user():
    """Return (username, role) of the user logged in on this request, or (None, None).

    Both come from the database, never from the cookie: a logout, a disabled user or a new
    role holds from the next request on.
    """
    record = _session_record()
    return (record["username"], record["role"]) if record else (None, None)


def _audit_failure(db, action, username, ip):
    """Audit a failed or refused login, unless this address has already left its share this minute."""
    if throttle.allow(db, f"audit-login|{ip}", AUDITED_FAILURES_PER_MINUTE):
        audit(db, "-", action, username, ip)


def _end_current_session(reason):
    """End this request's session in the database and the cookie, keeping the language."""
    record, token = _session_record(), session.get("sid")
    if record:
        audit(get_db(), record["username"], reason, record["username"], client_ip())
    end_session(get_db(), token)
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    g.auth_session = None


def _touch(record):
    if time.time() - record["last_seen"] < SEEN_REFRESH_SECONDS:
        return
    try:
        touch_session(get_db(), session["sid"])
    except sqlite3.OperationalError:
        pass  # a full disk or read-only data dir must not stop a clerk from reading pages


def role_required(*roles):
    """Let the view run only for a logged-in user with one of `roles`; log out idle sessions."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            record = _session_record()
            if record and time.time() - record["last_seen"] > _idle_seconds():
                _end_current_session("logout.idle")
                flash(_("You were logged out after a time without activity."), "info")
                return redirect(url_for("auth.login", next=request.full_path))
            if not record:
                return redirect(url_for("auth.login", next=request.full_path))
            if record["role"] not in roles:
                abort(403)
            _touch(record)
            g.user, g.role = record["username"], record["role"]
            return view(*args, **kwargs)

        wrapped.roles = roles
        return wrapped

    return decorate


def home_of(role):
    """Return the address of the home page the shared login lands `role` on."""
    return url_for(ROLES[role].home)


def safe_next(target, role):
    """Return `target` if it is a path on this node, else the home page of `role`.

    Browsers drop tabs and newlines from URLs and read a backslash as a slash, so
    "/\\t/evil.example" or "/\\\\evil.example" would leave the node: only a plain path passes.
    """
    if (isinstance(target, str) and target.startswith("/") and not target.startswith("//")
            and "\\" not in target and all(ch.isprintable() and not ch.isspace() for ch in target)):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return home_of(role)


def _login_form(status, **values):
    return render_template("auth/login.html", next=request.values.get("next", ""), **values), status


@bp.route("/login", methods=["GET", "POST"])
@bp.route("/clerk/login", methods=["GET", "POST"], endpoint="clerk_login")  # the former address: bookmarks, scripts
def login():
    """Show the login form of every role; on POST check the password, slowing down repeated failures."""
    if request.method == "GET":
        return _login_form(200)
    db, ip = get_db(), client_ip()
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    wait = throttle.login_wait(db, username, ip)
    if wait:
        _audit_failure(db, "login.blocked", username, ip)
        message = _("Too many failed attempts. Wait %(seconds)s seconds and try again.", seconds=wait)
        return _login_form(429, error=message, username=username[:40])
    role = check_password(db, username, password)
    if role is None:
        throttle.login_failed(db, username, ip)
        _audit_failure(db, "login.fail", username, ip)
        return _login_form(401, error=_("The username or password is wrong."), username=username[:40])
    throttle.login_succeeded(db, username, ip)
    lang = session.get("lang")
    session.clear()  # a fresh session at login: nothing carried over from before
    session["sid"] = start_session(db, username, ip, _idle_seconds())
    if lang:
        session["lang"] = lang
    audit(db, username, "login", username, ip)
    return redirect(safe_next(request.form.get("next"), role))


@bp.post("/logout")
@bp.post("/clerk/logout", endpoint="clerk_logout")  # the former address, for pages still open
def logout():
    """End the user's session here and for every copy of its cookie."""
    _end_current_session("logout")
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))
