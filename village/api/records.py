"""The JSON API's records (SPEC 6): list, read, create, update, delete and workflow moves of every table.

Generic over records.schema.TABLES and records.workflows.FLOWS: a table or workflow declared
there has its operations here (and in /api/openapi.json) with no more code. Every write goes
through records.core.save/delete with the token's area, so the validators and the area checks
are those of the pages and of sync; a move goes through records.services.change_status, so it
meets the guards of the clerk's pages. Every write is audited under the user and the token's name.
"""
import json

from flask import Blueprint, current_app, g, jsonify, request, url_for

from village.api import access, payload
from village.api.problems import init_blueprint
from village.audit import record as audit
from village.errors import Problem
from village.i18n_markers import N_
from village.records import core, idempotency, listing
from village.records.households import delete_with_descendants
from village.records.privacy import masked
from village.records.schema import TABLES, fields
from village.records.services import change_status, submit
from village.records.tokens import actor_of
from village.records.validate import ValidationError
from village.records.workflows import FLOWS
from village.hubdb import own_db
from village.web.db import get_store, records_write

bp = Blueprint("api", __name__, url_prefix="/api")
init_blueprint(bp, before=access.authenticate)
bp.record_once(access.install)

TABLE = f"<any({', '.join(TABLES)}):table>"
FLOW = f"<any({', '.join(FLOWS)}):table>"
DEFAULT_LIMIT = 100
AREA_CHARS = set("0123456789/")


def shown(table, record):
    """Return `record` as this request's token may read it (sensitive fields masked unless its role sees them)."""
    return record if access.sees_sensitive(g.token) else masked(table, record)


def _listed(items, **rest):
    """Answer a page: the records' JSON as SQLite wrote it (records.listing.json_sql), and the page's other keys."""
    tail = json.dumps(rest, ensure_ascii=False, separators=(",", ":"))
    return current_app.response_class('{"items":[' + ",".join(items) + "]," + tail[1:], mimetype="application/json")


def answer(table, record, status=200):
    """Answer one record, with its version as the ETag."""
    response = jsonify(record)
    response.status_code = status
    response.set_etag(record["_version"])
    if status == 201:
        response.headers["Location"] = url_for("api.read", table=table, row_id=record["id"])
    return response


def _whole(name, default, low, high):
    text = request.args.get(name)
    if text is None:
        return default
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise Problem("api.bad_query", name=name)
    return int(text)


def _area_asked():
    """Return the area the list asks for (?area=), inside the token's; the token's when not asked."""
    area = request.args.get("area")
    if area is None:
        return g.token["area"]
    area = area.strip("/")
    if not area or not set(area) <= AREA_CHARS or "//" in area:
        raise Problem("api.bad_query", name="area")
    access.may_write_in(g.token, area)  # the same rule: nothing outside the token's area
    return area


def _filters(table):
    """Return {field: stored value} of the list's field filters; refuse a parameter the list does not take."""
    specs = {spec.name: spec for spec in payload.filterable(table, access.sees_sensitive(g.token))}
    equal = {}
    for name, text in request.args.items():
        if name in ("limit", "cursor", "area"):
            continue
        if name not in specs:
            raise Problem("api.bad_query", name=name)
        equal[name] = payload.filter_value(specs[name], text)
    return equal


@bp.get("/" + TABLE)
def list_records(table):
    """List records in id order a page at a time, or those changed after a change-log cursor."""
    db, limit, area = get_store(), _whole("limit", DEFAULT_LIMIT, 1, listing.MAX_LIMIT), _area_asked()
    hidden = not access.sees_sensitive(g.token)
    if "changed_since" in request.args:
        extra = sorted(set(request.args) - {"changed_since", "limit", "area"})
        if extra:
            raise Problem("api.bad_query", name=extra[0])
        since = _whole("changed_since", 0, 0, 2 ** 63 - 1)
        items, cursor, more = listing.changes(db, table, area, since, limit, mask=hidden)
        return _listed(items, changed_since=cursor, more=more)
    after = request.args.get("cursor", "")
    items, next_cursor = listing.page(db, table, area, _filters(table), after[:200], limit, mask=hidden)
    return _listed(items, next_cursor=next_cursor)


def _visible(db, table, row_id):
    """Return the live record `row_id` of `table` as exported, if the token's area sees it; else answer 404."""
    row = core.get(db, table, row_id) if len(row_id) <= 200 else None
    if row is None or not listing.sees(table, g.token["area"], row["area"]):
        raise Problem("not_found")
    return listing.exported(table, row)


@bp.get("/" + TABLE + "/<row_id>")
def read(table, row_id):
    """Answer one record with its ETag."""
    return answer(table, shown(table, _visible(get_store(), table, row_id)))


def _new_record(writer, node, table, values, actor):
    """Create one record (a workflow's at its first status, with a ticket when it has one); return its id.

    A monitoring case starts as its lead, as the clerk's page records one: its history holds the moves after it.
    """
    if table in FLOWS and "ticket" in fields(table):
        row_id, _ticket = submit(writer, node, table, values, actor=actor)
        audit(writer.db, actor, f"{table}.create", row_id, ",".join(values))
        return row_id
    return core.save(writer, node, table, values, actor=actor)


def _refs_visible(db, table, values):
    """Refuse a reference to a record the token does not see: nothing is hung under another area's record."""
    problems = []
    for name, spec in fields(table).items():
        value = values.get(name)
        if spec.ref and isinstance(value, str) and value:
            row = core.get(db, spec.ref, value)
            if row is None or not listing.sees(spec.ref, g.token["area"], row["area"]):
                problems.append((name, N_("No %(table)s record has the id “%(value)s”."),
                                 {"table": spec.ref, "value": value[:200]}))
    if problems:
        raise ValidationError(problems)


@bp.post("/" + TABLE)
def create(table):
    """Create a record; with an Idempotency-Key, a retry gets the first answer and makes nothing."""
    token = g.token
    access.may_write(token, table, "create")
    values = payload.checked(table, payload.body())
    key = request.headers.get("Idempotency-Key")
    key = idempotency.check_key(key) if key is not None else None
    print_ = idempotency.fingerprint("POST", request.path, values)
    node = access.writer_node(token)
    with records_write(node) as w:
        db = w.db  # the records (and, inside the write, what it wrote); the kept answers are the node's own
        kept = idempotency.recall(own_db(db), token["id"], key, print_) if key else None
        if kept is not None:
            response = answer(table, kept[1], kept[0])
            response.headers["Idempotent-Replayed"] = "true"
            return response
        _refs_visible(db, table, values)
        row_id = _new_record(w, node, table, values, actor_of(token))
        record = shown(table, listing.exported(table, core.get(db, table, row_id)))
        if key:
            idempotency.remember(own_db(db), token["id"], key, print_, 201, record)
    return answer(table, record, 201)


def _matching(record):
    """Refuse a write without If-Match (428) or with an ETag the record no longer has (412)."""
    if not request.if_match:
        raise Problem("api.if_match_required")
    if not request.if_match.contains(record["_version"]):
        raise Problem("api.stale", etag=f'"{record["_version"]}"')


def _for_write(db, table, row_id, action):
    """Return the record to change, after the role, area and If-Match checks (inside the write)."""
    access.may_write(g.token, table, action)
    record = _visible(db, table, row_id)
    access.may_write_in(g.token, record["area"])
    _matching(record)
    return record


@bp.patch("/" + TABLE + "/<row_id>")
def update(table, row_id):
    """Change the fields given (If-Match required); the others keep their values."""
    values = payload.checked(table, payload.body())
    node = access.writer_node(g.token)
    with records_write(node) as w:
        db = w.db
        _for_write(db, table, row_id, "update")
        _refs_visible(db, table, values)
        core.save(w, node, table, values, row_id=row_id, actor=actor_of(g.token))
        record = listing.exported(table, core.get(db, table, row_id))
    return answer(table, shown(table, record))


@bp.delete("/" + TABLE + "/<row_id>")
def delete(table, row_id):
    """Delete a record and the records under it, as the clerk's page does (If-Match required)."""
    node = access.writer_node(g.token)
    with records_write(node) as w:
        db = w.db
        _for_write(db, table, row_id, "delete")
        delete_with_descendants(w, node, table, row_id, actor_of(g.token))
    return "", 204


@bp.post("/" + FLOW + "/<row_id>/transitions")
def transition(table, row_id):
    """Move a record one step along its workflow, with the values that step records and a note (If-Match required).

    The move meets the guards of the clerk's pages: the step's tier (this node's), what the case
    must hold by then, its evidence, the notice's days and the rules of elimination.
    """
    flow = FLOWS[table]
    status, note, values = payload.move(payload.body())
    node = access.writer_node(g.token)
    with records_write(node) as w:
        db = w.db
        record = _for_write(db, table, row_id, "move")
        allowed = flow.next_steps(record["status"])
        if status not in allowed:
            raise Problem("api.bad_transition", **{"from": record["status"], "to": status[:40],
                                                   "next": ", ".join(allowed) or "-"})
        payload.step_values(table, flow.step(status), values)
        _refs_visible(db, table, values)
        change_status(w, node, table, row_id, status, actor_of(g.token), note, values)
        record = listing.exported(table, core.get(db, table, row_id))
    return answer(table, shown(table, record))
