"""Villages enrolled at this hub (/county/nodes): add one and print its code as a QR code, rename, revoke.

The same functions as `village node add/revoke`; every change is audited.
"""
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from sync.scope import inside
from sync.server import SyncRefused, add_node, reissue_code, rename, revoke
from sync.store import dicts
from village.audit import record as audit
from village.county.areas import chosen_area, trail
from village.errors import Problem
from village.node import check_area
from village.users import roles_for
from village.web.auth import role_required
from village.web.db import get_store, records_transaction
from village.web.exports import Column, exported
from village.web.i18n import gettext, lazy_gettext as _l
from village.web.qr import qr_svg

bp = Blueprint("county_nodes", __name__, url_prefix="/county")
COUNTY = roles_for("county")
MAX_NAME = 100

COLUMNS = (Column("name", _l("Name")), Column("area", _l("Area"), "id"), Column("node_id", _l("Node"), "id"),
           Column("created_at", _l("Added"), "datetime"), Column("enrolled_at", _l("Enrolled"), "datetime"),
           Column("last_seen", _l("Last contact"), "datetime"), Column("revoked_at", _l("Revoked"), "datetime"))


def nodes_in(db, area):
    """Return the nodes enrolled (or waiting to enroll) at this hub inside `area`, by area."""
    rows = dicts(db.execute("SELECT node_id, name, area, created_at, enrolled_at, last_seen, revoked_at "
                            "FROM nodes ORDER BY area, name"))
    return [row for row in rows if inside(row["area"], area)]


def _page(area, status=200, **values):
    node = current_app.config["NODE"]
    found = nodes_in(get_store(), area)
    return exported("nodes", COLUMNS, found) or (render_template(
        "county/nodes.html", nodes=found, area=area, trail=trail(area, node.area), hub=node.role == "county",
        form=values.pop("form", {}), **values), status)


def _code_page(link_id, name, area, code):
    """Show a one-time code with its QR code, once: the page is not kept by the browser."""
    base = current_app.config["NODE"].setting("public_base_url") or request.host_url.rstrip("/")
    command = f"village enroll --hub {base} --code {code}"
    response = current_app.make_response((render_template(
        "county/enroll_code.html", name=name, node_area=area, code=code, command=command, link_id=link_id,
        qr=qr_svg(command, gettext("QR code of the enrollment code for %(name)s", name=name))), 201))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/nodes")
@role_required(*COUNTY)
def nodes():
    """List the villages enrolled here (or waiting to), inside the chosen area."""
    return _page(chosen_area(current_app.config["NODE"]))


@bp.post("/nodes")
@role_required(*COUNTY)
def add():
    """Add a village and show its one-time enrollment code; or the form again with its problem."""
    node = current_app.config["NODE"]
    area = chosen_area(node)
    form = {"name": request.form.get("name", "").strip()[:MAX_NAME], "area": request.form.get("area", "").strip()}
    try:
        if node.role != "county":
            raise Problem("hub.county_only", role=node.role)
        if not form["name"]:
            raise Problem("node.no_name")
        new_area = check_area(form["area"])
        try:
            with records_transaction() as tx:  # every write and its audit entry together
                link_id, code = add_node(tx, form["name"], new_area, node.area)
                audit(tx, g.user, "node.add", link_id, f"{form['name']} {new_area}")
        except SyncRefused:
            raise Problem("hub.outside_area", area=new_area, hub=node.area) from None
    except Problem as exc:
        return _page(area, 400, problem=exc.say(gettext), form=form)
    return _code_page(link_id, form["name"], new_area, code)


def _link_or_back(link_id):
    row = get_store().execute("SELECT name, area FROM nodes WHERE node_id = ?", [link_id]).fetchone()
    if row is None or not inside(row[1], current_app.config["NODE"].area):
        flash(_("There is no such village here."), "error")
        return None
    return row


@bp.post("/nodes/<link_id>/code")
@role_required(*COUNTY)
def new_code(link_id):
    """Show a new enrollment code for a village not enrolled yet (the code lost, the old one stops)."""
    row = _link_or_back(link_id)
    with records_transaction() as tx:
        code = row and reissue_code(tx, link_id)
        if code:
            audit(tx, g.user, "node.code", link_id, row[0])
    if not code:
        if row:
            flash(_("This village is enrolled or revoked already: it needs no code."), "error")
        return redirect(url_for(".nodes"))
    return _code_page(link_id, row[0], row[1], code)


@bp.post("/nodes/<link_id>/rename")
@role_required(*COUNTY)
def rename_node(link_id):
    """Give a village another name."""
    name = request.form.get("name", "").strip()[:MAX_NAME]
    if _link_or_back(link_id):
        if not name:
            flash(_("Give the node a name."), "error")
        else:
            with records_transaction() as tx:
                rename(tx, link_id, name)
                audit(tx, g.user, "node.rename", link_id, name)
            flash(_("Renamed."), "info")
    return redirect(url_for(".nodes", area=chosen_area(current_app.config["NODE"])))


@bp.post("/nodes/<link_id>/revoke")
@role_required(*COUNTY)
def revoke_node(link_id):
    """Revoke a village's credentials: it can no longer sync until enrolled again with a new code."""
    row = _link_or_back(link_id)
    with records_transaction() as tx:
        done = bool(row) and revoke(tx, link_id)
        if done:
            audit(tx, g.user, "node.revoke", link_id, row[0])
    if done:
        flash(_("%(name)s is revoked: it can no longer sync.", name=row[0]), "info")
    elif row:
        flash(_("This village was revoked already."), "error")
    return redirect(url_for(".nodes", area=chosen_area(current_app.config["NODE"])))
