"""Clerk queues of service requests and grievances, their status workflow and certificates."""
import datetime
import json

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from village.audit import record as audit
from village.web.auth import role_required
from village.clerk.views import CLERKS
from village.web.db import get_db, get_store, records_write
from village.records import core
from village.records.services import change_status, queue as records_in
from village.records.workflows import REQUESTS, WORKFLOWS
from village.records.validate import ValidationError
from village.signing import sign
from village.web.errors import problem_page
from village.web.forms import problem_text, record_or_404
from village.web.qr import qr_svg
from village.web.security import public_url

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
    items, counts, page, pages = records_in(get_store(), spec.table, status, request.args.get("page"))
    for item in items:
        item["since"] = (item[spec.history] or [{}])[-1].get("at", "")
    return render_template("clerk/queue.html", kind=kind, spec=spec, status=status, items=items, counts=counts,
                           page=page, pages=pages)


@bp.get("/<" + KINDS + ":kind>/<row_id>")
@role_required(*CLERKS)
def item(kind, row_id, problem=None, status=200):
    """Show one request or grievance with its history and the workflow steps open to it."""
    spec = QUEUES[kind]
    record = record_or_404(get_store(), spec.table, row_id)
    household = None
    if record.get("household_id"):
        household = core.get(get_store(), "households", record["household_id"])
    return render_template("clerk/item.html", kind=kind, spec=spec, item=record, household=household,
                           next_steps=spec.next_steps(record["status"]), problem=problem,
                           certifiable=record["status"] in spec.certifiable), status


@bp.post("/<" + KINDS + ":kind>/<row_id>/status")
@role_required(*CLERKS)
def set_status(kind, row_id):
    """Move a request or grievance one step along its workflow, with the clerk's note."""
    spec = QUEUES[kind]
    db, node = get_store(), current_app.config["NODE"]
    record_or_404(db, spec.table, row_id)
    target, note = request.form.get("status", ""), request.form.get("note", "").strip()
    try:
        with records_write(node) as w:
            change_status(w, node, spec.table, row_id, target, g.user, note)
    except ValidationError as exc:
        return item(kind, row_id, problem=problem_text(exc.problems[0]), status=409)
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
    db, node = get_store(), current_app.config["NODE"]
    record = record_or_404(db, REQUESTS.table, row_id)
    if record["status"] not in REQUESTS.certifiable:
        abort(409)
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
    audit(get_db(), g.user, "certificate.print", row_id, record["ticket"])  # the node's own log
    return render_template("clerk/certificate.html", item=record, household=household, facts=facts,
                           payload=payload, verify_url=verify_url, qr=qr_svg(verify_url, _("QR code to verify this certificate"), scale=3),
                           facts_json=json.dumps(facts, ensure_ascii=False))
