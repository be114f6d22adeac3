"""Service requests, grievances and monitoring cases: tickets and their status workflows."""
import datetime
import json
import secrets

from sync.clock import utc_text
from sync.stores.pg_sql import stored_order

from village.audit import record as audit
from village.i18n_markers import N_
from village.records import core
from village.records.schema import fields
from village.records.terms import EVIDENCE_KINDS
from village.records.validate import Term, ValidationError
from village.records.workflows import FLOWS, WORKFLOWS, by_prefix, workflow


def new_ticket(db, table):
    """Return a new ticket such as S-4821-0937: digits only, easy to read aloud in any language."""
    while True:
        digits = f"{secrets.randbelow(10 ** 8):08d}"
        ticket = f"{workflow(table).prefix}-{digits[:4]}-{digits[4:]}"
        if not db.execute(f"SELECT 1 FROM [{table}] WHERE ticket = ?", [ticket]).fetchone():
            return ticket


def normalise_ticket(text):
    """Return a ticket as typed by a resident (spaces, lower case, no dashes) in its stored form."""
    raw = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    if len(raw) == 9 and by_prefix(raw[0]) and raw[1:].isdigit():
        return f"{raw[0]}-{raw[1:5]}-{raw[5:]}"
    return (text or "").strip().upper()


def submit(writer, node, table, values, actor="kiosk", at=None):
    """Create a service request or grievance with a fresh ticket; return (id, ticket).

    `at` (ISO text) is when it was handed in, for one brought in late (the demo's history); default now.
    """
    flow = workflow(table)
    ticket = new_ticket(writer.db, table)
    entry = {"status": flow.first, "by": actor, "at": at or utc_text(), "note": ""}
    values = {**values, "ticket": ticket, "status": flow.first, flow.history: [entry]}
    return str(core.save(writer, node, table, values)), ticket


def find_by_ticket(db, table, ticket):
    """Return the live record with `ticket`, or None."""
    found = list(core.rows(db, table, "ticket = ?", [normalise_ticket(ticket)], limit=1))
    return found[0] if found else None


def find_ticket(db, ticket):
    """Return (table, record) for a ticket as typed, looked up in the workflow its letter names; or (None, None)."""
    ticket = normalise_ticket(ticket)
    named = by_prefix(ticket[:1])
    for flow in [named] if named else WORKFLOWS.values():
        record = find_by_ticket(db, flow.table, ticket)
        if record is not None:
            return flow.table, record
    return None, None


def change_status(writer, node, table, row_id, status, actor, note="", values=None, today=None):
    """Move a record to `status` along its workflow, recording who, when and why; return what save returned.

    `values` are fields recorded with the move (a notice's dates, an elimination's type); the
    fields the step stamps are filled in with the actor and `today`. The record's history keeps
    the move; the audit log names the actor and the new status. The table's guards apply.
    """
    flow = FLOWS[table]
    record = core.get(writer.db, table, row_id)
    if record is None:
        raise ValidationError([("id", N_("There is no record %(id)s in %(table)s."), {"id": row_id, "table": table})])
    if status not in flow.next_steps(record["status"]):
        raise ValidationError([("status", N_("A record that is “%(from)s” cannot become “%(to)s”."),
                                {"from": _word(flow, record["status"]), "to": _word(flow, status)})])
    problems = _evidence_problems(writer.db, table, row_id, flow.step(status), values or {})
    if problems:
        raise ValidationError(problems)
    history = json.loads(record[flow.history] or "[]")
    history.append({"status": status, "by": actor, "at": utc_text(), "note": note})
    day = (today or datetime.date.today()).isoformat()
    stamped = {name: actor if name.endswith("_by") else day for name in flow.step(status).stamps}
    saved = core.save(writer, node, table, {**stamped, **(values or {}), "status": status, flow.history: history},
                      row_id=row_id)
    audit(writer.db, actor, f"{table}.status", row_id, status)
    return saved


def _evidence_problems(db, table, row_id, step, values):
    """Return problems of the files a move names: each one this record's own, of a kind its step takes.

    A signed consent form is evidence of this household's consent: another case's scan, or a
    photo, is refused even though the file exists.
    """
    problems = []
    for name, value in values.items():
        spec = fields(table).get(name)
        if spec is None or spec.ref != "attachments" or value in (None, ""):
            continue
        found = core.get(db, "attachments", value)
        if found is None or (found["owner_table"], found["owner_id"]) != (table, row_id) or (
                step.evidence and found["kind"] not in step.evidence):
            kind = Term(EVIDENCE_KINDS[step.evidence[0]]) if step.evidence else "-"
            problems.append((name, N_("Choose one of this record's own files of the kind “%(kind)s”."),
                             {"kind": kind}))
    return problems


def _word(flow, status):
    """Return the clerk's word for `status`, translated when shown; an unknown status as it was given."""
    step = flow.step(status)
    return Term(step.label) if step else status


def queue(db, table, status, page=1):
    """Return (records, counts by status, page, pages): one page of `table`'s records in `status`, newest first."""
    counts = dict(db.execute(f"SELECT status, COUNT(*) FROM [{table}] WHERE _deleted = 0 GROUP BY status").fetchall())
    page, pages = core.page_of(counts.get(status, 0), page)
    found = list(core.rows(db, table, "status = ?", [status], order=stored_order(db, descending=True), limit=core.PAGE_SIZE,
                           offset=(page - 1) * core.PAGE_SIZE))
    return found, counts, page, pages
