"""The admin's page of API tokens: make one (shown once), see them all, revoke one."""
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from village.errors import Problem
from village.records.tokens import DEFAULT_DAYS, add_token, list_tokens, revoke_token
from village.users import ROLES, list_users
from village.web.auth import role_required
from village.web.db import get_db
from village.web.i18n import gettext

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _page(status=200, **values):
    db = get_db()
    users = [u["username"] for u in list_users(db) if not u["disabled"]]
    response = current_app.make_response((render_template(
        "admin/tokens.html", tokens=list_tokens(db), users=users, roles=ROLES, days=DEFAULT_DAYS, **values), status))
    response.headers["Cache-Control"] = "no-store"  # the page that shows a new token once must not be kept
    return response


@bp.route("/tokens", methods=["GET", "POST"])
@role_required("admin")
def tokens():
    """List the API tokens; on POST make one and show it this once."""
    if request.method == "GET":
        return _page()
    form = request.form
    try:
        days = int(form.get("days", "") or DEFAULT_DAYS)
    except ValueError:
        days = 0  # refused below with the registry's message
    try:
        record, secret = add_token(get_db(), form.get("username", ""), form.get("name", "").strip(),
                                   current_app.config["NODE"].area, role=form.get("role") or None,
                                   area=form.get("area", "").strip() or None, days=days, actor=g.user)
    except Problem as exc:
        return _page(400, problem=exc.say(gettext), form=form)
    return _page(201, made=record, secret=secret)


@bp.post("/tokens/<token_id>/revoke")
@role_required("admin")
def revoke(token_id):
    """Revoke one token."""
    try:
        revoke_token(get_db(), token_id, actor=g.user)
    except Problem as exc:
        flash(exc.say(gettext), "error")
    else:
        flash(_("Token revoked."), "info")
    return redirect(url_for("admin.tokens"))
