"""Clerk queues of service requests and grievances, their status workflow and certificates."""
import datetime
import json

import segno
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from village.audit import record as audit
from village.web.auth import role_required
from village.clerk.views import CLERKS, PAGE_SIZE, page_of
from village.web.db import get_db
from village.records import core
from village.records.services import change_status
from village.records.workflows import REQUESTS, WORKFLOWS
from village.records.validate import ValidationError
from village.signing import sign
from village.web.security import problem_page, public_url

bp = Blueprint("clerk_queues", __name__, url_prefix="/clerk")

QUEUES = {flow.queue: flow for flow in WORKFLOWS.values()}
KINDS = f"any({', '.join(QUEUES)})"


@bp.get("/<" + KINDS + ":kind>")
@role_required(*CLERKS)
def queue(kind):
    """List requests or grievances in one status (the first step of the workflow by default)."""
    spec = QUEUES[kind]
    status = request.args.get("status", spec.first)
    if status not in spec.statuses:
        status = spec.first
    db = get_db()
    counts = dict(db.execute(f"SELECT status, COUNT(*) FROM [{spec.table}] WHERE _deleted = 0 GROUP BY status")
                  .fetchall())
    page, pages = page_of(counts.get(status, 0), request.args.get("page"))
    items = list(core.rows(db, spec.table, "status = ?", [status], order="rowid DESC", limit=PAGE_SIZE,
                           offset=(page - 1) * PAGE_SIZE))
    for item in items:
        item["since"] = (item[spec.history] or [{}])[-1].get("at", "")
    return render_template("clerk/queue.html", kind=kind, spec=spec, status=status, items=items, counts=counts,
                           page=page, pages=pages)


def _item_or_404(kind, row_id):
    row = core.get(get_db(), QUEUES[kind].table, row_id)
    if row is None:
        abort(404)
    return core.public(QUEUES[kind].table, row)


@bp.get("/<" + KINDS + ":kind>/<row_id>")
@role_required(*CLERKS)
def item(kind, row_id, problem=None, status=200):
    """Show one request or grievance with its history and the workflow steps open to it."""
    spec = QUEUES[kind]
    record = _item_or_404(kind, row_id)
    household = None
    if record.get("household_id"):
        household = core.get(get_db(), "households", record["household_id"])
    return render_template("clerk/item.html", kind=kind, spec=spec, item=record, household=household,
                           next_steps=spec.next_steps(record["status"]), problem=problem,
                           certifiable=record["status"] in spec.certifiable), status


@bp.post("/<" + KINDS + ":kind>/<row_id>/status")
@role_required(*CLERKS)
def set_status(kind, row_id):
    """Move a request or grievance one step along its workflow, with the clerk's note."""
    spec = QUEUES[kind]
    _item_or_404(kind, row_id)
    db, node = get_db(), current_app.config["NODE"]
    target, note = request.form.get("status", ""), request.form.get("note", "").strip()
    try:
        with core.write(db, node) as w:
            change_status(w, node, spec.table, row_id, target, g.user, note)
    except ValidationError as exc:
        _field, message, params = exc.problems[0]
        return item(kind, row_id, problem=_(message) % params, status=409)
    flash(_("Status changed."), "info")
    return redirect(url_for("clerk_queues.item", kind=kind, row_id=row_id))


def certificate_facts(record, household):
    """Return what a certificate states, in short keys to keep the QR code small."""
    issued = next((h["at"] for h in reversed(record["history"] or []) if h["status"] in REQUESTS.certifiable), "")
    return {"t": record["ticket"], "k": record["kind"], "a": record["applicant_name"],
            "h": household["code"] if household else "", "d": issued[:10] or datetime.date.today().isoformat()}


@bp.get("/requests/<row_id>/certificate")
@role_required(*CLERKS)
def certificate(row_id):
    """Show a printable A4 certificate with a QR code whose signed payload any node can verify."""
    record = _item_or_404(REQUESTS.queue, row_id)
    if record["status"] not in REQUESTS.certifiable:
        abort(409)
    db, node = get_db(), current_app.config["NODE"]
    household = core.get(db, "households", record["household_id"]) if record.get("household_id") else None
    facts = certificate_facts(record, household)
    payload = sign(node, facts)
    verify_url = public_url("verify.verify", payload=payload)
    if verify_url is None:
        return problem_page(409, _("The public address is not set"),
                            _("A certificate's QR code links to the page where anyone can check it, so this "
                              "service point must know its public address first. Ask the administrator to set "
                              "public_base_url (or VILLAGE_PUBLIC_BASE_URL), e.g. http://192.168.1.10:8080."),
                            back=url_for("clerk_queues.item", kind="requests", row_id=row_id))
    svg = segno.make(verify_url, error="m").svg_inline(scale=3, dark="#000", light="#fff")
    audit(db, g.user, "certificate.print", row_id, record["ticket"])
    return render_template("clerk/certificate.html", item=record, household=household, facts=facts,
                           payload=payload, verify_url=verify_url, qr=Markup(svg),
                           facts_json=json.dumps(facts, ensure_ascii=False))
