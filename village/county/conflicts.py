"""The conflicts inbox (/county/conflicts): each value two villages wrote at once, to keep one or type another."""
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from village.clerk.labels import TABLE_LABELS, choice_label, field_label, init_templates
from village.county.areas import chosen_area, trail
from village.records import conflicts as inbox
from village.records.validate import ValidationError
from village.users import roles_for
from village.web.auth import role_required
from village.web.db import get_store, records_transaction
from village.web.exports import Column, exported
from village.web.forms import problems_by_field
from village.web.i18n import lazy_gettext as _l

bp = Blueprint("county_conflicts", __name__, url_prefix="/county")
bp.record_once(init_templates)
COUNTY = roles_for("county")
# A third value is typed for fields of these kinds; a list or a yes/no is chosen from the two.
TYPED_KINDS = ("text", "int", "float", "date", "datetime", "choice")

COLUMNS = (
    Column("recorded_at", _l("Recorded"), "datetime"), Column("area", _l("Area"), "id"),
    Column("household", _l("Household")), Column("record", _l("Record")), Column("field", _l("Field")),
    Column("kept", _l("Value now")), Column("kept_by", _l("Written by")),
    Column("kept_at", _l("Written at"), "datetime"),
    Column("lost", _l("Other value")), Column("lost_by", _l("Written by")),
    Column("lost_at", _l("Written at"), "datetime"),
)


def value_text(value):
    """Return a stored value as words a person reads: choices by their label, lists joined, nothing as "—"."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return "、".join(value_text(item) for item in value) or "—"
    return str(choice_label(value)) if isinstance(value, str) else str(value)


def record_text(conflict):
    """Return what the record is, in words: its kind and its household's code and head."""
    household = conflict["household"]
    kind = str(TABLE_LABELS.get(conflict["tbl"], conflict["tbl"]))
    if household is None:
        return kind
    return f"{kind} · {household['code']} {household['head_name'] or ''}".strip()


def _rows(conflicts):
    for c in conflicts:
        household = c["household"]
        yield {"recorded_at": c["recorded_at"], "area": c["record"]["area"],
               "household": household and f"{household['code']} {household['head_name'] or ''}".strip(),
               "record": str(TABLE_LABELS.get(c["tbl"], c["tbl"])), "field": str(field_label(c["field"])),
               "kept": value_text(c["kept"]), "kept_by": c["kept_by"]["node"], "kept_at": c["kept_by"]["at"],
               "lost": value_text(c["lost"]), "lost_by": c["lost_by"]["node"], "lost_at": c["lost_by"]["at"]}


def _page(area, status=200, problem_for=None, errors=None, typed=""):
    node = current_app.config["NODE"]
    found = inbox.open_conflicts(get_store(), node, area)
    download = exported("conflicts", COLUMNS, _rows(found))
    if download is not None:
        return download
    return render_template("county/conflicts.html", conflicts=found, area=area, trail=trail(area, node.area),
                           record_text=record_text, typed_kinds=TYPED_KINDS,
                           problem_for=problem_for, errors=errors or [], typed=typed), status


@bp.get("/conflicts")
@role_required(*COUNTY)
def conflicts():
    """List the open conflicts inside the chosen area, oldest first."""
    return _page(chosen_area(current_app.config["NODE"]))


@bp.post("/conflicts/<int:conflict_id>")
@role_required(*COUNTY)
def resolve(conflict_id):
    """Keep one of the two values, or a typed third, through the one write path; or show the problem."""
    node = current_app.config["NODE"]
    area = chosen_area(node)
    conflict = inbox.get_conflict(get_store(), node, conflict_id)
    choice = request.form.get("keep")
    if conflict is None or choice not in ("kept", "lost", "typed"):
        flash(_("That conflict is no longer here."), "error")
        return redirect(url_for(".conflicts", area=area))
    typed = request.form.get("value", "").strip()
    value = conflict[choice] if choice != "typed" else typed
    try:
        with records_transaction() as tx:  # the value written and its audit entry together
            inbox.resolve(tx, node, conflict_id, value, g.user)
    except ValidationError as exc:
        messages = [m for ms in problems_by_field(exc.problems).values() for m in ms]
        return _page(area, 400, problem_for=conflict_id, errors=messages, typed=typed)
    except inbox.AlreadyResolved:
        flash(_("Someone resolved this conflict already; nothing was changed."), "error")
        return redirect(url_for(".conflicts", area=area))
    flash(_("Saved. Every village receives this value at its next sync."), "info")
    return redirect(url_for(".conflicts", area=area))
