"""Clerk forms: create, edit and delete households, members, plots, plantings and livestock."""
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from village.web.auth import role_required
from village.clerk.views import CLERKS
from village.web.db import get_store, records_write
from village.records import core
from village.records.households import delete_with_descendants, descendants, household_of, look_alikes
from village.records.schema import fields
from village.records.validate import ValidationError
from village.web.forms import problems_by_field, record_or_404

bp = Blueprint("clerk_records", __name__, url_prefix="/clerk")

TABLES = "any(households, persons, plots, plantings, livestock)"


def form_fields(table):
    """Return the Field specs a clerk fills in for `table` (not references or JSON)."""
    return [spec for spec in fields(table).values() if not spec.ref and spec.kind != "json"]


def parent_field(table):
    """Return the field naming the record `table`'s records hang under (None for households)."""
    return next((spec for spec in fields(table).values() if spec.ref and spec.required), None)


def read_form(table):
    """Return the submitted values of the form's fields, stripped."""
    values = {spec.name: request.form.get(spec.name, "").strip() for spec in form_fields(table)}
    if values.get("id_number"):
        values["id_number"] = values["id_number"].upper()
    return values


def render_form(table, values, problems=(), row=None, parent=None, similar=(), status=200):
    """Show the form for `table`, with the problems next to their fields."""
    return render_template("clerk/form.html", table=table, specs=form_fields(table), values=values,
                           errors=problems_by_field(problems),
                           row=row, parent=parent, similar=similar), status


def _back(db, table, row):
    hh = household_of(db, table, row)
    return redirect(url_for("clerk.household", row_id=hh) if hh else url_for("clerk.households"))


def _save(db, node, table, values, row=None, parent=None):
    """Save the form's values (a new record, or `row` edited) and go back; or show the form with its problems."""
    try:
        with records_write(node) as w:
            row_id = core.save(w, node, table, values, row_id=row and row["id"], actor=g.user)
    except ValidationError as exc:
        return render_form(table, values, exc.problems, row=row, parent=parent, status=400)
    flash(_("Saved."), "info")
    return _back(db, table, row or {**values, "id": row_id})


def _parent_or_404(db, table):
    """Return the id of the record a new `table` record hangs under, from ?parent= (404 when it is not there)."""
    spec = parent_field(table)
    return record_or_404(db, spec.ref, request.values.get("parent", ""))["id"] if spec else None


@bp.route("/new/<" + TABLES + ":table>", methods=["GET", "POST"])
@role_required(*CLERKS)
def create(table):
    """Show an empty form; on POST save a new record, or show the form again with its problems."""
    db, node = get_store(), current_app.config["NODE"]
    parent = _parent_or_404(db, table)
    if request.method == "GET":
        defaults = {s.name: s.default for s in form_fields(table) if s.default is not None}
        return render_form(table, defaults, parent=parent)
    values = read_form(table)
    if parent:
        values[parent_field(table).name] = parent
    if table in ("households", "persons") and not request.form.get("confirm_duplicate"):
        similar = look_alikes(db, table, values)
        if similar:
            return render_form(table, values, parent=parent, similar=similar, status=409)
    return _save(db, node, table, values, parent=parent)


@bp.route("/<" + TABLES + ":table>/<row_id>/edit", methods=["GET", "POST"])
@role_required(*CLERKS)
def edit(table, row_id):
    """Show a record's form; on POST save the changes, or show the form again with its problems."""
    db, node = get_store(), current_app.config["NODE"]
    row = record_or_404(db, table, row_id)
    if request.method == "GET":
        return render_form(table, row, row=row)
    values = read_form(table)
    return _save(db, node, table, values, row=row)


@bp.route("/<" + TABLES + ":table>/<row_id>/delete", methods=["GET", "POST"])
@role_required(*CLERKS)
def delete(table, row_id):
    """Ask for confirmation; on POST delete the record and the records under it."""
    db, node = get_store(), current_app.config["NODE"]
    row = record_or_404(db, table, row_id)
    if request.method == "GET":
        counts = {}
        for child, _id in descendants(db, table, row_id):
            counts[child] = counts.get(child, 0) + 1
        back = household_of(db, table, row) if table != "households" else None
        back_url = url_for("clerk.household", row_id=back) if back else url_for("clerk.households")
        return render_template("clerk/delete.html", table=table, row=row, counts=counts, back=back_url)
    back = household_of(db, table, row)
    with records_write(node) as w:
        delete_with_descendants(w, node, table, row_id, g.user)
    flash(_("Deleted."), "info")
    if table == "households":
        return redirect(url_for("clerk.households"))
    return redirect(url_for("clerk.household", row_id=back))
