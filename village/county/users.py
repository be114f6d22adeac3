"""The users of this node and their roles (/county/users), for admins: add, change role, disable, reset password.

Through village/users.py, which audits every change in the same transaction.
"""
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from village.errors import Problem
from village.users import ROLES, add_user, list_users, set_disabled, set_password, set_role
from village.web.auth import role_required
from village.web.db import get_db
from village.web.exports import Column, exported
from village.web.i18n import gettext, lazy_gettext as _l

bp = Blueprint("county_users", __name__, url_prefix="/county")
ADMIN = ("admin",)  # giving roles is an admin's power: a county user could otherwise make itself admin

COLUMNS = (Column("username", _l("Username")), Column("role", _l("Role")), Column("disabled", _l("Disabled")),
           Column("created_at", _l("Added"), "datetime"), Column("sessions", _l("Open sessions"), "number"))
ROLE_LABELS = {"clerk": _l("Clerk"), "fieldworker": _l("Field worker"), "county": _l("County staff"),
               "admin": _l("Administrator")}


def _rows(users):
    for user in users:
        yield {**user, "role": str(ROLE_LABELS.get(user["role"], user["role"])),
               "disabled": _("Yes") if user["disabled"] else _("No")}


def _page(status=200, **values):
    users = list_users(get_db())
    response = exported("users", COLUMNS, _rows(users)) or current_app.make_response((render_template(
        "county/users.html", users=users, roles=ROLES, role_labels=ROLE_LABELS, form=values.pop("form", {}),
        **values), status))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/users")
@role_required(*ADMIN)
def users():
    """List the users of this node with their roles."""
    return _page()


@bp.post("/users")
@role_required(*ADMIN)
def add():
    """Add a user; or show the form again with its problem."""
    form = {"username": request.form.get("username", "").strip()[:60], "role": request.form.get("role", "")}
    try:
        add_user(get_db(), form["username"], form["role"], request.form.get("password", ""), actor=g.user)
    except Problem as exc:
        return _page(400, problem=exc.say(gettext), form=form)
    flash(_("User %(name)s added.", name=form["username"]), "info")
    return redirect(url_for(".users"))


def _change(username, change, done):
    """Run one change to a user; flash what happened (or its problem) and go back to the list."""
    if username == g.user:
        flash(_("You cannot change your own account here; ask another administrator."), "error")
        return redirect(url_for(".users"))
    try:
        change()
    except Problem as exc:
        flash(exc.say(gettext), "error")
    else:
        flash(done, "info")
    return redirect(url_for(".users"))


@bp.post("/users/<username>/role")
@role_required(*ADMIN)
def role(username):
    """Give a user another role."""
    new = request.form.get("role", "")
    return _change(username, lambda: set_role(get_db(), username, new, actor=g.user),
                   _("%(name)s is now %(role)s.", name=username, role=ROLE_LABELS.get(new, new)))


@bp.post("/users/<username>/disable")
@role_required(*ADMIN)
def disable(username):
    """Disable a user (their sessions end) or, with enable=1, enable them again."""
    enable = request.form.get("enable") == "1"
    return _change(username, lambda: set_disabled(get_db(), username, not enable, actor=g.user),
                   _("%(name)s can log in again.", name=username) if enable else
                   _("%(name)s can no longer log in.", name=username))


@bp.post("/users/<username>/password")
@role_required(*ADMIN)
def password(username):
    """Give a user a new password (their open sessions end)."""
    new = request.form.get("password", "")
    return _change(username, lambda: set_password(get_db(), username, new, actor=g.user),
                   _("The password of %(name)s is changed; give it to them in person.", name=username))
