"""Clerk login and logout, the role check on every clerk route, rate limits and idle logout."""
import datetime
import functools
import time

from flask import (Blueprint, abort, current_app, flash, g, has_request_context, redirect, render_template,
                   request, session, url_for)
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _

from village.audit import record as audit
from village.db import get_db
from village.users import check_password

bp = Blueprint("auth", __name__, url_prefix="/clerk")

MAX_FAILURES = 5
# How stale "last seen" may get before a request rewrites it: re-signing the session cookie on
# every page cost a third of a millisecond, and idle logout counts in minutes.
SEEN_REFRESH_SECONDS = 60
FAILURE_WINDOW = datetime.timedelta(minutes=15)


class SessionInterface(SecureCookieSessionInterface):
    """Signed cookie sessions whose cookie is Secure whenever the page came over https."""

    def get_cookie_secure(self, app):
        """Mark the cookie Secure when configured so, or when this request is https."""
        return bool(app.config["SESSION_COOKIE_SECURE"] or (has_request_context() and request.is_secure))


@bp.record_once
def _install(state):
    # Cookie flags hold for every page of the node, so they are set with the login blueprint.
    state.app.session_interface = SessionInterface()
    state.app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _stamp(moment):
    return moment.isoformat(timespec="seconds")


def client_ip():
    """Return the address the request came from (the node serves its LAN directly, no proxy)."""
    return request.remote_addr or "-"


def recent_failures(db, username, ip):
    """Count failed logins of `username` from `ip` in the window, since its last success.

    Kept in the audit log, so the count holds across server threads, processes and restarts.
    """
    since = _stamp(_now() - FAILURE_WINDOW)
    last_ok = db.execute("SELECT MAX(at) FROM audit WHERE action = 'login' AND actor = ? AND detail = ?",
                         [username, ip]).fetchone()[0]
    if last_ok and last_ok > since:
        since = last_ok
    return db.execute("SELECT COUNT(*) FROM audit WHERE action = 'login.fail' AND target = ? AND detail = ? "
                      "AND at >= ?", [username, ip, since]).fetchone()[0]


def current_user():
    """Return (username, role) of the clerk logged in on this request, or (None, None)."""
    return session.get("user"), session.get("role")


def _idle_expired():
    idle = current_app.config["NODE"].setting("clerk_idle_minutes") * 60
    seen = session.get("seen", 0)
    return time.time() - seen > idle


def role_required(*roles):
    """Let the view run only for a logged-in user with one of `roles`; log out idle sessions."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user, role = current_user()
            if user and _idle_expired():
                audit(get_db(), user, "logout.idle", user, "")
                session.clear()
                flash(_("You were logged out after a time without activity."), "info")
                return redirect(url_for("auth.login", next=request.full_path))
            if not user:
                return redirect(url_for("auth.login", next=request.full_path))
            if role not in roles:
                abort(403)
            now = int(time.time())
            if now - session.get("seen", 0) >= SEEN_REFRESH_SECONDS:
                session["seen"] = now
            g.user, g.role = user, role
            return view(*args, **kwargs)

        wrapped.roles = roles
        return wrapped

    return decorate


def _safe_next(target):
    # Only paths on this node: an open redirect would let a link send a clerk elsewhere.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("clerk.households")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form; on POST check the password, with a limit on failed tries."""
    db = get_db()
    if request.method == "GET":
        return render_template("clerk/login.html", next=request.args.get("next", ""))
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    ip = client_ip()
    if recent_failures(db, username, ip) >= MAX_FAILURES:
        audit(db, username, "login.blocked", username, ip)
        message = _("Too many failed attempts. Wait 15 minutes and try again.")
        return render_template("clerk/login.html", error=message, username=username,
                               next=request.form.get("next", "")), 429
    role = check_password(db, username, password)
    if role is None:
        audit(db, "-", "login.fail", username, ip)
        return render_template("clerk/login.html", error=_("The username or password is wrong."),
                               username=username, next=request.form.get("next", "")), 401
    lang = session.get("lang")
    session.clear()  # a fresh session at login: nothing carried over from before
    session.update(user=username, role=role, seen=int(time.time()))
    if lang:
        session["lang"] = lang
    audit(db, username, "login", username, ip)
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
def logout():
    """End the clerk's session."""
    user, _role = current_user()
    if user:
        audit(get_db(), user, "logout", user, client_ip())
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))
