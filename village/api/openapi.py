"""The OpenAPI 3.1 document of the JSON API, made from the record declarations so it cannot drift.

Each table of records.schema.TABLES gets its paths and schemas from its Field specs (types,
choices, limits, required); each workflow of records.workflows gets its transitions operation, whose body is the one of
the step moved into (its Step's tier, the values it records, what it stamps, its evidence);
each error's code comes from village.errors.REGISTRY. Nothing here is written per table.
"""
import dataclasses

from village.api.payload import NOTE_CHARS, filterable, set_by_workflow
from village.errors import REGISTRY
from village.records.listing import MAX_LIMIT
from village.records.monitoring import TIERS_OF_ROLE
from village.records.schema import INT_LIMIT, TABLES, fields
from village.records.tokens import AREA_RE
from village.records.validate import SHAPES
from village.records.workflows import FLOWS

BASE = {"text": "string", "choice": "string", "date": "string", "datetime": "string", "int": "integer",
        "float": "number", "bool": "boolean"}
FORMATS = {"date": "date", "datetime": "date-time"}
# Who answers what: status -> (description, error codes a client may meet there).
ERRORS = {
    400: "The request is malformed: a body that is not one JSON object, a bad query parameter or header.",
    401: "No live token: missing, revoked or expired.",
    403: "The token's role may not write this table, or the record is outside the token's area.",
    404: "No such record in the token's area (or no such address).",
    409: "The workflow does not allow this move from the record's status.",
    412: "If-Match does not hold the record's current ETag: it changed since it was read.",
    413: "The body is larger than the node accepts (1 MB).",
    422: "Values that cannot be saved (each field named in `problems`): for a move, also a step this node's "
         "tier does not take, a value or evidence the step lacks, or a guard of the workflow; or an "
         "Idempotency-Key reused for another request.",
    428: "If-Match is missing.",
    429: "The token made too many requests this minute; see Retry-After.",
    503: "The node could not store the change (full or read-only disk); nothing was saved.",
}
ERROR_HEADERS = {401: {"WWW-Authenticate": {"schema": {"type": "string"}, "required": True}},
                 429: {"Retry-After": {"schema": {"type": "string"}, "required": True}}}


def value_schema(spec, writing=False):
    """Return the JSON Schema of one field's value; `writing` adds the limits a write must keep."""
    if spec.kind == "json":
        return {"description": "Any JSON value."}
    schema = {"type": BASE[spec.kind] if writing and spec.required else [BASE[spec.kind], "null"]}
    if spec.kind == "choice":
        schema["enum"] = list(spec.choices) + ([] if writing and spec.required else [None])
    if spec.kind in FORMATS:
        schema["format"] = FORMATS[spec.kind]
    if spec.sensitive:
        schema["description"] = "Sensitive: masked (e.g. 138****5678) for roles other than clerk and admin."
    if not writing:
        return schema
    if spec.kind == "text":
        schema["maxLength"] = spec.max_chars
        if spec.shape:
            schema["pattern"] = SHAPES[spec.shape][0].pattern  # the stored form; other scripts' digits pass too
        if spec.required:
            schema.update(minLength=1, pattern=r"\S")
    if spec.kind in ("int", "float"):
        low = spec.minimum if spec.minimum is not None else -INT_LIMIT
        schema["exclusiveMinimum" if spec.exclusive_min else "minimum"] = low
        schema["maximum"] = spec.maximum if spec.maximum is not None else INT_LIMIT
    return schema


def record_schema(table):
    """Return the schema of a record as the API answers it (a tombstone holds only id, area and the meta fields)."""
    props = {"id": {"type": "string"}, "area": {"type": ["string", "null"]}}
    props.update((name, value_schema(spec)) for name, spec in fields(table).items())
    props.update({"_version": {"type": ["string", "null"], "description": "The record's version: its ETag."},
                  "_deleted": {"type": "boolean"},
                  "_seq": {"type": "integer", "description": "Change-log position (lists with changed_since)."}})
    return {"type": "object", "properties": props, "required": ["id", "_deleted"], "additionalProperties": False}


def input_schema(table, new):
    """Return the schema of the body that creates (`new`) or changes a record of `table`."""
    skip = set(set_by_workflow(table))
    props = {"area": {"type": "string", "pattern": AREA_RE.pattern,
                      "description": "The area code path; inside the token's area (default: the parent's or the token's)."}}
    props.update((name, value_schema(spec, writing=True)) for name, spec in fields(table).items() if name not in skip)
    schema = {"type": "object", "properties": props, "additionalProperties": False}
    required = [name for name, spec in fields(table).items() if spec.required and name not in skip]
    if new and required:
        schema["required"] = required
    return schema


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema):
    return {"application/json": {"schema": schema}}


def _errors(*statuses):
    codes = sorted({401, 429, 503, *statuses})
    return {str(s): {"$ref": f"#/components/responses/E{s}"} for s in codes}


def _links(table):
    """Return the OpenAPI links from a record just answered to what can be done with it next."""
    ids = {"row_id": "$response.body#/id"}
    links = {"read": {"operationId": f"read_{table}", "parameters": ids}}
    for name in ("update", "delete", *(("move",) if table in FLOWS else ())):
        links[name] = {"operationId": f"{name}_{table}",
                       "parameters": {**ids, "header.If-Match": "$response.header.ETag"}}
    return links


def _record_answer(table, status_text, description):
    headers = {"ETag": {"schema": {"type": "string"}, "required": True, "description": "The record's version."}}
    if status_text == "201":
        headers["Location"] = {"schema": {"type": "string"}, "required": True}
    return {status_text: {"description": description, "headers": headers, "content": _json(_ref(table)),
                          "links": _links(table)}}


ROW_ID = {"name": "row_id", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 200}}
IF_MATCH = {"name": "If-Match", "in": "header", "required": True, "schema": {"type": "string"},
            "description": "The ETag of the record as last read. A stale one answers 412, none 428."}


def list_parameters(table):
    """Return the query parameters of a table's list: paging, area, changed_since and one per searchable field."""
    params = [
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
         "description": "Records per page (default 100)."},
        {"name": "cursor", "in": "query", "schema": {"type": "string", "maxLength": 200},
         "description": "The next_cursor of the previous page."},
        {"name": "area", "in": "query", "schema": {"type": "string", "pattern": AREA_RE.pattern},
         "description": "Only records in this area code path and below (inside the token's area)."},
        {"name": "changed_since", "in": "query", "schema": {"type": "integer", "minimum": 0},
         "description": "Change-log cursor: records changed after it, each once at its latest change, oldest "
                        "first; deleted ones as tombstones. Start at 0, then send the answer's changed_since. "
                        "Takes only limit and area besides."},
    ]
    for spec in filterable(table, sensitive_too=True):
        schema = {"type": BASE[spec.kind]}
        if spec.kind == "choice":
            schema["enum"] = list(spec.choices)
        note = " (roles that read it whole only)" if spec.sensitive else ""
        params.append({"name": spec.name, "in": "query", "schema": schema,
                       "description": f"Only records whose {spec.name} is exactly this{note}."})
    return params


def table_paths(table):
    """Return the paths of one table: its list and create, and one record's read, change and delete."""
    title = table.replace("_", " ")
    listing = {"type": "object", "required": ["items"], "additionalProperties": False, "properties": {
        "items": {"type": "array", "items": _ref(table)},
        "next_cursor": {"type": ["string", "null"], "description": "Send as cursor for the next page; null: last."},
        "changed_since": {"type": "integer", "description": "Send as changed_since to follow on."},
        "more": {"type": "boolean", "description": "More changes wait after changed_since."}}}
    key = {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "minLength": 1, "maxLength": 200},
           "description": "A retry with the same key and body gets the first answer and creates nothing; "
                          "the same key with another body answers 422. Kept 24 hours."}
    return {
        f"/api/{table}": {
            "get": {"operationId": f"list_{table}", "tags": [table], "summary": f"List {title}",
                    "parameters": list_parameters(table),
                    "responses": {"200": {"description": "One page.", "content": _json(listing)}, **_errors(400, 403)}},
            "post": {"operationId": f"create_{table}", "tags": [table], "summary": f"Create one of {title}",
                     "parameters": [key], "requestBody": {"required": True, "content": _json(_ref(f"{table}_new"))},
                     "responses": {**_record_answer(table, "201", "Created (or the first answer, replayed)."),
                                   **_errors(400, 403, 404, 413, 422)}}},
        f"/api/{table}/{{row_id}}": {
            "parameters": [ROW_ID],
            "get": {"operationId": f"read_{table}", "tags": [table], "summary": f"Read one of {title}",
                    "responses": {**_record_answer(table, "200", "The record."), **_errors(404)}},
            "patch": {"operationId": f"update_{table}", "tags": [table], "summary": f"Change one of {title}",
                      "parameters": [IF_MATCH],
                      "requestBody": {"required": True, "content": _json(_ref(f"{table}_change"))},
                      "responses": {**_record_answer(table, "200", "Changed."),
                                    **_errors(400, 403, 404, 412, 413, 422, 428)}},
            "delete": {"operationId": f"delete_{table}", "tags": [table],
                       "summary": f"Delete one of {title} and the records under it", "parameters": [IF_MATCH],
                       "responses": {"204": {"description": "Deleted."}, **_errors(403, 404, 412, 422, 428)}}},
    }


def targets(flow):
    """Return the Steps a record of `flow` may be moved into (every one some status leads to), in order."""
    reached = {name for step in flow.steps for name in step.next}
    return [step for step in flow.steps if step.name in reached]


def tiered(flow):
    """Return True when the steps of `flow` are taken at more than one tier (village, township, county)."""
    return len({step.tier for step in flow.steps}) > 1


def move_schema(flow, step):
    """Return the schema of the body that moves a record of `flow` into `step`: the values the step records."""
    specs = fields(flow.table)
    props = {"status": {"type": "string", "enum": [step.name]},
             "note": {"type": "string", "maxLength": NOTE_CHARS, "description": "Why, kept in the record's history."}}
    props.update((name, value_schema(dataclasses.replace(specs[name], required=True), writing=True))
                 for name in step.asks)
    sources = [other.name for other in flow.steps if step.name in other.next]
    lines = [f"{step.label[:1].upper()}{step.label[1:]}: from {', '.join(sources)}."]
    if tiered(flow):
        lines.append(f"Taken by the {step.tier} tier.")
    if step.asks:
        lines.append(f"Records {', '.join(step.asks)}, sent with the move.")
    if step.stamps:
        lines.append(f"Fills in {', '.join(step.stamps)} (a …_by field with who moved it, an …_on field with the day).")
    if step.evidence:
        lines.append(f"Evidence filed with it (attachments of the record): {', '.join(step.evidence)}"
                     + ("; a file field names one of those." if any(specs[n].ref for n in step.asks) else "."))
    return {"type": "object", "title": f"{flow.table} to {step.name}", "description": " ".join(lines),
            "required": ["status", *step.asks], "properties": props, "additionalProperties": False}


def transition_path(flow):
    """Return the path of a workflow's move: to one of the statuses the record's status allows, with its values."""
    moves = "; ".join(f"{step.name} → {', '.join(step.next) or '(final)'}" for step in flow.steps)
    tiers = "; ".join(f"a {role} node takes the {' and '.join(held)} steps" for role, held in TIERS_OF_ROLE.items())
    tiers = f" Tiers: {tiers}; a step of another tier answers 422 naming the rule." if tiered(flow) else ""
    mapping = {step.name: f"#/components/schemas/{flow.table}_to_{step.name}" for step in targets(flow)}
    body = {"oneOf": [{"$ref": ref} for ref in mapping.values()],
            "discriminator": {"propertyName": "status", "mapping": mapping}}
    return {f"/api/{flow.table}/{{row_id}}/transitions": {"parameters": [ROW_ID], "post": {
        "operationId": f"move_{flow.table}", "tags": [flow.table],
        "summary": f"Move one of {flow.table.replace('_', ' ')} along its workflow",
        "description": f"Allowed moves: {moves}. A move the record's status does not allow answers 409. The body "
                       f"is the one of the status moved into, with the values that step records; a value it "
                       f"lacks, or a guard of the workflow, answers 422 naming the field and the rule.{tiers}",
        "parameters": [IF_MATCH], "requestBody": {"required": True, "content": _json(body)},
        "responses": {**_record_answer(flow.table, "200", "Moved."),
                      **_errors(400, 403, 404, 409, 412, 413, 422, 428)}}}}


def _components():
    error = {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string", "enum": sorted(REGISTRY)}, "message": {"type": "string"},
            "problems": {"type": "array", "items": {"type": "object", "required": ["field", "message"],
                                                     "properties": {"field": {"type": "string"},
                                                                    "message": {"type": "string"}}}}}}}}
    schemas = {"Error": error}
    for table in TABLES:
        schemas[table] = record_schema(table)
        schemas[f"{table}_new"] = input_schema(table, new=True)
        schemas[f"{table}_change"] = input_schema(table, new=False)
    for flow in FLOWS.values():
        schemas.update((f"{flow.table}_to_{step.name}", move_schema(flow, step)) for step in targets(flow))
    responses = {f"E{status}": {"description": text, "content": _json(_ref("Error")),
                                **({"headers": ERROR_HEADERS[status]} if status in ERROR_HEADERS else {})}
                 for status, text in ERRORS.items()}
    return {"schemas": schemas, "responses": responses,
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer",
                                          "description": "A token from `village token add` (vt_…)."}}}


def document():
    """Return the OpenAPI 3.1 document of the API of every table and workflow."""
    paths = {"/api/openapi.json": {"get": {
        "operationId": "openapi", "summary": "This document", "security": [],
        "responses": {"200": {"description": "The OpenAPI document.", "content": _json({"type": "object"})}}}}}
    for table in TABLES:
        paths.update(table_paths(table))
    for flow in FLOWS.values():
        paths.update(transition_path(flow))
    return {"openapi": "3.1.0",
            "info": {"title": "Village node JSON API", "version": "1",
                     "description": "Records of a village node or county hub (see docs/api.md). Every write goes "
                                    "through the same validators and area checks as the pages and sync."},
            "security": [{"token": []}], "paths": paths, "components": _components()}
