"""Clerk pages of poverty-return monitoring (DOMAIN 1): cases by step, one case and its moves, the notice.

Who opens them: the village's clerks, and on the county hub its county staff, who take the
township's and county's steps here until the county section has its own pages. Which steps a
node takes is its tier (records.monitoring.TIERS_OF_ROLE); the guards decide the rest.
"""
import datetime

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from sync.stores.pg_sql import stored_order
from village.clerk import casefacts
from village.clerk.childforms import child_form
from village.clerk.inputs import init_inputs, read_choices, read_values
from village.clerk.labels import field_label, init_templates
from village.clerk.views import CLERKS
from village.records import core
from village.records.monitoring import TIER_WORDS
from village.records.services import change_status
from village.records.terms import RISKS
from village.records.validate import ValidationError
from village.records.workflows import CASES
from village.users import ROLES
from village.web.auth import role_required
from village.web.db import get_store, records_write
from village.web.forms import problem_text, problems_by_field, record_or_404

bp = Blueprint("clerk_cases", __name__, url_prefix="/clerk")
bp.record_once(init_templates)
bp.record_once(init_inputs)
bp.record_once(lambda state: state.app.jinja_env.filters.setdefault("next_case_steps", CASES.next_steps))

# The village's clerks, and county staff deciding on the hub (ROLES order, as every role check reads).
CASEWORK = tuple(name for name, role in ROLES.items() if {"clerk", "county"} & set(role.surfaces))
LEAD_FIELDS = ("programme", "category", "channel", "lead_on", "income_per_person", "major_spending",
               "school_secure", "medical_secure", "housing_secure", "water_secure", "notes")


def chosen_asks(move):
    """Return the fields a move's form shows (none for a move that is not open)."""
    return move.asks if move else ()


def today():
    """Return the node's today (one place, so every clock on a page reads the same day)."""
    return datetime.date.today()


@bp.get("/cases")
@role_required(*CASEWORK)
def cases():
    """List the open cases, or those at one step, with the days left on their clocks, the oldest lead first."""
    step = request.args.get("step", "")
    step = step if step in CASES.statuses else ""
    rows, counts, page, pages = casefacts.case_list(get_store(), step, request.args.get("page"), today())
    return render_template("clerk/cases.html", cases=rows, counts=counts, step=step, steps=CASES.statuses, page=page, pages=pages,
                           open_count=sum(n for s, n in counts.items() if s not in casefacts.CLOSED))


def _case_page(case, problem=None, tried=None, values=None, status=200):
    """Render a case with its steps, evidence, measures and the moves this node may take."""
    db, node, day = get_store(), current_app.config["NODE"], today()
    household = core.get(db, "households", case["household_id"])
    measures = list(core.rows(db, "measures", "case_id = ?", [case["id"]], order="start_on"))
    moves = casefacts.moves(case, node.role)
    forms = {m.status: casefacts.move_defaults(case, m, day) for m in moves}
    if tried:
        forms[tried] = {**forms.get(tried, {}), **(values or {})}
    files = list(core.rows(db, "attachments", "owner_table = 'monitor_cases' AND owner_id = ?", [case["id"]]))
    return render_template(
        "clerk/case.html", case=case, household=household, clock=casefacts.clock(case, day), moves=moves,
        forms=forms, problem=problem, tried=tried, measures=measures, evidence=casefacts.evidence(db, case),
        gaps=[problem_text((None, m, p)) for m, p in casefacts.measure_gaps(db, case, measures, day)],
        files=files, clerk_pages=g.role in CLERKS, tier_words=TIER_WORDS), status


@bp.get("/cases/<row_id>")
@role_required(*CASEWORK)
def case(row_id):
    """Show one case: its fields, steps, evidence, support measures and the moves open to this node."""
    return _case_page(record_or_404(get_store(), "monitor_cases", row_id))


@bp.post("/cases/<row_id>/move")
@role_required(*CASEWORK)
def move(row_id):
    """Take the case one step, with the values that step asks for; a refusal is shown with the form kept."""
    db, node = get_store(), current_app.config["NODE"]
    case = record_or_404(db, "monitor_cases", row_id)
    target = request.form.get("status", "")
    chosen = next((m for m in casefacts.moves(case, node.role) if m.status == target), None)
    values = read_values(request.form, chosen.asks) if chosen else {}
    note = request.form.get("note", "").strip()
    try:
        with records_write(node) as w:
            change_status(w, node, "monitor_cases", row_id, target, g.user, note, values, today=today())
    except ValidationError as exc:
        problems = [(f"{field_label(p[0])}: " if p[0] in chosen_asks(chosen) else "") + problem_text(p)
                    for p in exc.problems]
        return _case_page(case, problem=problems, tried=target, values={**values, "note": note}, status=409)
    flash(_("The case moved to “%(step)s”.", step=_(CASES.step(target).label)), "info")
    return redirect(url_for("clerk_cases.case", row_id=row_id))


@bp.route("/households/<row_id>/cases/new", methods=["GET", "POST"])
@role_required(*CLERKS)
def new_case(row_id):
    """Show the form of a new lead for a household; on POST record it (the first step of a case)."""
    db, node = get_store(), current_app.config["NODE"]
    household = record_or_404(db, "households", row_id)
    if request.method == "GET":
        return _lead_form(household, {"lead_on": today().isoformat(), "programme": "return_poverty"})
    values = {**read_values(request.form, LEAD_FIELDS), "risks": read_choices(request.form, "risks"),
              "household_id": row_id}
    try:
        with records_write(node) as w:
            case_id = core.save(w, node, "monitor_cases", values, actor=g.user)
    except ValidationError as exc:
        return _lead_form(household, values, exc.problems, status=400)
    flash(_("The lead is recorded."), "info")
    return redirect(url_for("clerk_cases.case", row_id=case_id))


def _lead_form(household, values, problems=(), status=200):
    return render_template("clerk/case_new.html", household=household, values=values, names=LEAD_FIELDS,
                           risks=tuple(RISKS), errors=problems_by_field(problems)), status


@bp.get("/cases/notice")
@role_required(*CASEWORK)
def notices():
    """Show every case whose public notice is up as one printable A4 notice."""
    db = get_store()
    shown = list(core.rows(db, "monitor_cases", f"status IN {casefacts.NOTICES}",
                           order=f"notice_from, {stored_order(db)}"))
    return _notice(shown)


@bp.get("/cases/<row_id>/notice")
@role_required(*CASEWORK)
def notice(row_id):
    """Show one case's public notice as a printable A4 page: name, category and reason only."""
    return _notice([record_or_404(get_store(), "monitor_cases", row_id)])


def _notice(cases_shown):
    """Render the notice of `cases_shown`: each household's head, category and risks, and nothing personal."""
    db = get_store()
    heads = {c["household_id"]: (core.get(db, "households", c["household_id"]) or {}).get("head_name", "")
             for c in cases_shown}
    entries = [{"name": heads[c["household_id"]], "category": c["category"], "risks": c["risks"] or [],
                "elimination": c["status"] in casefacts.ELIMINATION, "from": c["notice_from"], "to": c["notice_to"],
                "id": c["id"]} for c in cases_shown]
    return render_template("clerk/notice.html", entries=entries)


@bp.route("/cases/<row_id>/measures/new", methods=["GET", "POST"])
@role_required(*CASEWORK)
def new_measure(row_id):
    """Show the form of a support measure for a case; on POST save it and go back to the case."""
    record_or_404(get_store(), "monitor_cases", row_id)
    return child_form("measures", row_id, {"start_on": today().isoformat()},
                      url_for("clerk_cases.case", row_id=row_id))
