"""Clerk forms: create, edit and delete households, members, plots, plantings and livestock."""
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from village.web.auth import role_required
from village.clerk.views import CLERKS
from village.web.db import get_db
from village.records import core
from village.records.schema import fields
from village.records.validate import ValidationError

bp = Blueprint("clerk_records", __name__, url_prefix="/clerk")

TABLES = "any(households, persons, plots, plantings, livestock)"
PARENT = {"persons": "household_id", "plots": "household_id", "livestock": "household_id", "plantings": "plot_id"}
# Children deleted with their parent, so no orphan stays behind in the register.
CHILDREN = {"households": (("persons", "household_id"), ("plots", "household_id"), ("livestock", "household_id")),
            "plots": (("plantings", "plot_id"),)}


def form_fields(table):
    """Return the Field specs a clerk fills in for `table` (not references or JSON)."""
    return [spec for spec in fields(table).values() if not spec.ref and spec.kind != "json"]


def household_of(db, table, row):
    """Return the id of the household a record belongs to (for the way back)."""
    if table == "households":
        return row["id"]
    if table == "plantings":
        plot = core.get(db, "plots", row["plot_id"])
        return plot["household_id"] if plot else None
    return row["household_id"]


def duplicates(db, table, values):
    """Return records that look like this new household or person: same ID number, or name and birth date."""
    found = []
    id_number = (values.get("id_number") or "").strip().upper()
    if id_number:
        for other in ("households", "persons"):
            found += [(other, r) for r in core.rows(db, other, "id_number = ?", [id_number], limit=5)]
    if table == "persons" and values.get("name") and values.get("birth_date"):
        same = core.rows(db, "persons", "name = ? AND birth_date = ?",
                         [values["name"].strip(), values["birth_date"].strip()], limit=5)
        found += [("persons", r) for r in same if all(r["id"] != f["id"] for _t, f in found)]
    return found


def read_form(table):
    """Return the submitted values of the form's fields, stripped."""
    values = {spec.name: request.form.get(spec.name, "").strip() for spec in form_fields(table)}
    if values.get("id_number"):
        values["id_number"] = values["id_number"].upper()
    return values


def render_form(table, values, problems=(), row=None, parent=None, similar=(), status=200):
    """Show the form for `table`, with the problems next to their fields."""
    errors = {}
    for name, message, params in problems:
        errors.setdefault(name, []).append(_(message) % params)
    return render_template("clerk/form.html", table=table, specs=form_fields(table), values=values, errors=errors,
                           row=row, parent=parent, similar=similar), status


def _back(db, table, row):
    hh = household_of(db, table, row)
    return redirect(url_for("clerk.household", row_id=hh) if hh else url_for("clerk.households"))


def _parent_or_404(db, table):
    if table not in PARENT:
        return None
    parent_id = request.values.get("parent", "")
    parent_table = "plots" if table == "plantings" else "households"
    if not parent_id or core.get(db, parent_table, parent_id) is None:
        abort(404)
    return parent_id


@bp.route("/new/<" + TABLES + ":table>", methods=["GET", "POST"])
@role_required(*CLERKS)
def create(table):
    """Show an empty form; on POST save a new record, or show the form again with its problems."""
    db, node = get_db(), current_app.config["NODE"]
    parent = _parent_or_404(db, table)
    if request.method == "GET":
        defaults = {s.name: s.default for s in form_fields(table) if s.default is not None}
        return render_form(table, defaults, parent=parent)
    values = read_form(table)
    if parent:
        values[PARENT[table]] = parent
    if table in ("households", "persons") and not request.form.get("confirm_duplicate"):
        similar = duplicates(db, table, values)
        if similar:
            return render_form(table, values, parent=parent, similar=similar, status=409)
    try:
        with core.write(db, node) as w:
            row_id = core.save(w, node, table, values, actor=g.user)
    except ValidationError as exc:
        return render_form(table, values, exc.problems, parent=parent, status=400)
    flash(_("Saved."), "info")
    return _back(db, table, {**values, "id": row_id})


def _row_or_404(db, table, row_id):
    row = core.get(db, table, row_id)
    if row is None:
        abort(404)
    return core.public(table, row)


@bp.route("/<" + TABLES + ":table>/<row_id>/edit", methods=["GET", "POST"])
@role_required(*CLERKS)
def edit(table, row_id):
    """Show a record's form; on POST save the changes, or show the form again with its problems."""
    db, node = get_db(), current_app.config["NODE"]
    row = _row_or_404(db, table, row_id)
    if request.method == "GET":
        return render_form(table, row, row=row)
    values = read_form(table)
    try:
        with core.write(db, node) as w:
            core.save(w, node, table, values, row_id=row_id, actor=g.user)
    except ValidationError as exc:
        return render_form(table, values, exc.problems, row=row, status=400)
    flash(_("Saved."), "info")
    return _back(db, table, row)


def _descendants(db, table, row_id):
    """Return [(table, id)] of the records deleted along with this one."""
    out = []
    for child, ref in CHILDREN.get(table, ()):
        for kid in core.rows(db, child, f"{ref} = ?", [row_id]):
            out += [(child, kid["id"]), *_descendants(db, child, kid["id"])]
    return out


@bp.route("/<" + TABLES + ":table>/<row_id>/delete", methods=["GET", "POST"])
@role_required(*CLERKS)
def delete(table, row_id):
    """Ask for confirmation; on POST delete the record and the records under it."""
    db, node = get_db(), current_app.config["NODE"]
    row = _row_or_404(db, table, row_id)
    children = _descendants(db, table, row_id)
    if request.method == "GET":
        counts = {}
        for child, _id in children:
            counts[child] = counts.get(child, 0) + 1
        back = household_of(db, table, row) if table != "households" else None
        back_url = url_for("clerk.household", row_id=back) if back else url_for("clerk.households")
        return render_template("clerk/delete.html", table=table, row=row, counts=counts, back=back_url)
    back = household_of(db, table, row)
    with core.write(db, node) as w:
        for child, child_id in reversed(children):
            core.delete(w, node, child, child_id, actor=g.user, note=f"with {table} {row_id}")
        core.delete(w, node, table, row_id, actor=g.user)
    flash(_("Deleted."), "info")
    if table == "households":
        return redirect(url_for("clerk.households"))
    return redirect(url_for("clerk.household", row_id=back))
