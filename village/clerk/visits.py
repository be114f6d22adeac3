"""Clerk pages of visits: a visit's form drawn from its kind's checklist, and one visit as recorded."""
import datetime

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from village.clerk.inputs import init_inputs, read_answers, read_values
from village.clerk.labels import init_templates
from village.clerk.views import CLERKS
from village.records import core
from village.records.checklists import CHECKLISTS
from village.records.schema import VISIT_KINDS
from village.records.terms import VISIT_EVERY_DAYS
from village.records.validate import ValidationError
from village.web.auth import role_required
from village.web.db import get_store, records_write
from village.web.forms import problems_by_field, record_or_404
from village.web.i18n import lazy_gettext as _l

bp = Blueprint("clerk_visits", __name__, url_prefix="/clerk")
bp.record_once(init_templates)
bp.record_once(init_inputs)

VISIT_FIELDS = ("visitor", "visited_on", "mode", "case_id", "elder_id", "risk_level", "referral", "next_due",
                "follow_up", "notes")
# The words of the visit kinds and risk results: "high" is also a care tier in CHOICE_LABELS.
KIND_LABELS = {"poverty_monitoring": _l("poverty follow-up"), "elderly_care": _l("elderly-care visit"),
               "plot_inspection": _l("plot inspection")}
RISK_LABELS = {"none": _l("no risk found"), "low": _l("low risk"), "medium": _l("medium risk"),
               "high": _l("high risk")}


def init_visit_words(state):
    """Give the templates the words of visit kinds and risk results."""
    state.app.jinja_env.globals.setdefault("visit_kind_label", lambda kind: KIND_LABELS.get(kind, kind))
    state.app.jinja_env.globals.setdefault("risk_label", lambda level: RISK_LABELS.get(level, level or ""))


bp.record_once(init_visit_words)


def links_of(db, household_id):
    """Return (cases, elders) a visit of this household may be linked to: its cases, its members' profiles."""
    cases = list(core.rows(db, "monitor_cases", "household_id = ?", [household_id], order="lead_on DESC"))
    elders = list(core.rows(db, "elder_profiles", "person_id IN (SELECT id FROM persons WHERE household_id = ? "
                                                  "AND _deleted = 0)", [household_id]))
    names = {p["id"]: p["name"] for p in core.rows(db, "persons", "household_id = ?", [household_id])}
    for elder in elders:
        elder["name"] = names.get(elder["person_id"], "")
    return cases, elders


def _defaults(kind, elders):
    """Return a new visit's starting values: today, by the clerk, at home, the next visit after the elder's tier."""
    today = datetime.date.today()
    values = {"visitor": g.user, "visited_on": today.isoformat(), "mode": "at_home", "risk_level": "none",
              "case_id": request.args.get("case", ""), "elder_id": request.args.get("elder", "")}
    elder = next((e for e in elders if e["id"] == values["elder_id"]), None)
    if kind == "elderly_care" and elder:
        values["next_due"] = (today + datetime.timedelta(days=VISIT_EVERY_DAYS[elder["tier"]])).isoformat()
    return values


def _form(household, kind, values, answers, problems=(), status=200):
    cases, elders = links_of(get_store(), household["id"])
    shown = [item for item in CHECKLISTS[kind] if item.kind != "files" and item.name not in VISIT_FIELDS]
    groups = {}
    for item in shown:
        groups.setdefault(item.group, []).append(item)
    return render_template("clerk/visit_form.html", household=household, kind=kind, values=values,
                           answers=answers, groups=groups, cases=cases, elders=elders,
                           errors=problems_by_field(problems)), status


@bp.route("/households/<row_id>/visits/new/<any(" + ", ".join(VISIT_KINDS) + "):kind>", methods=["GET", "POST"])
@role_required(*CLERKS)
def new_visit(row_id, kind):
    """Show the form of a visit of `kind`; on POST save it with its checklist answers."""
    db, node = get_store(), current_app.config["NODE"]
    household = record_or_404(db, "households", row_id)
    if request.method == "GET":
        return _form(household, kind, _defaults(kind, links_of(db, row_id)[1]), {})
    values = read_values(request.form, VISIT_FIELDS)
    answers, problems = read_answers(request.form, kind)
    record = {**values, "kind": kind, "household_id": row_id, "answers": answers}
    if not problems:
        try:
            with records_write(node) as w:
                visit = core.save(w, node, "visits", record, actor=g.user)
            flash(_("The visit is recorded."), "info")
            return redirect(url_for("clerk_visits.visit", row_id=visit))
        except ValidationError as exc:
            problems = exc.problems
    typed = {field[2:]: request.form.get(field) for field, _m, _p in problems if field.startswith("a-")}
    return _form(household, kind, values, {**answers, **typed}, problems, status=400)


@bp.get("/visits/<row_id>")
@role_required(*CLERKS)
def visit(row_id):
    """Show one visit: who, when, how, its checklist's answers by group, its result and next date."""
    db = get_store()
    record = record_or_404(db, "visits", row_id)
    household = core.get(db, "households", record["household_id"])
    answers = record["answers"] or {}
    groups = {}
    for item in CHECKLISTS.get(record["kind"], ()):
        if item.name in answers:
            groups.setdefault(item.group, []).append((item, answers[item.name]))
    elder = core.get(db, "elder_profiles", record["elder_id"]) if record.get("elder_id") else None
    person = core.get(db, "persons", elder["person_id"]) if elder else None
    return render_template("clerk/visit.html", visit=record, household=household, groups=groups, person=person)
