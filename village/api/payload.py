"""What a program sends the API: one JSON object of known fields, each of its declared JSON type.

The API is stricter than a form: a form's values are all text, but a program says what it
means, so `"3"` for a number is refused rather than guessed at. The values then go through the
one validator (records.validate) like every other write.
"""
import json

from flask import request

from village.errors import Problem
from village.i18n_markers import N_
from village.records.schema import INT_LIMIT, fields
from village.records.validate import Term, ValidationError
from village.records.workflows import FLOWS

# The JSON type each kind of field takes (json: any JSON value).
JSON_TYPES = {"text": (str,), "choice": (str,), "date": (str,), "datetime": (str,), "int": (int,),
              "float": (int, float), "bool": (bool,), "json": None}
TYPE_NAMES = {"text": "string", "choice": "string", "date": "string", "datetime": "string", "int": "integer",
              "float": "number", "bool": "boolean"}
NOTE_CHARS = 1000  # a move's note


def body():
    """Return the request's JSON object, or raise Problem (400) for anything else."""
    try:
        value = json.loads(request.get_data(cache=True) or b"null")
    except (ValueError, RecursionError):
        raise Problem("api.bad_body") from None
    if not isinstance(value, dict):
        raise Problem("api.bad_body")
    return value


def set_by_workflow(table):
    """Return the fields of `table` that only its workflow writes: status, history, ticket, and who decided when.

    A step's stamps ("county_by", "county_on", ...) are filled in by the move itself; a client
    that could write them could sign a decision in the county's name.
    """
    flow = FLOWS.get(table)
    if flow is None:
        return ()
    stamps = tuple(name for step in flow.steps for name in step.stamps)
    return tuple(dict.fromkeys(name for name in ("status", flow.history, "ticket", *stamps) if name in fields(table)))


def _type_problem(spec, name, value):
    """Return the problem of `value` not being of field `spec`'s JSON type, or None."""
    kinds = JSON_TYPES[spec.kind]
    if value is None or not kinds:
        return None
    if not isinstance(value, kinds) or (isinstance(value, bool) and spec.kind != "bool"):
        return name, N_("This must be of JSON type %(type)s."), {"type": TYPE_NAMES[spec.kind]}
    return None


def checked(table, values):
    """Return `values` when every field is known, writable here and of its JSON type; else raise ValidationError."""
    specs, problems = fields(table), []
    for name, value in values.items():
        spec = specs.get(name)
        if name == "area":
            if not isinstance(value, str):
                problems.append((name, N_("This must be of JSON type %(type)s."), {"type": "string"}))
        elif spec is None:
            problems.append((name, N_("There is no field called “%(field)s” in %(table)s."),
                             {"field": name, "table": table}))
        elif name in set_by_workflow(table):
            problems.append((name, N_("Only the workflow sets this field: use the record's transitions."), {}))
        else:
            problems += filter(None, [_type_problem(spec, name, value)])
    if problems:
        raise ValidationError(problems)
    return values


def move(values):
    """Return (status, note, the step's values) of a move's body; raise Problem (400) when status or note is bad."""
    status, note = values.get("status"), values.get("note", "")
    if not isinstance(status, str) or not isinstance(note, str) or len(note) > NOTE_CHARS:
        raise Problem("api.bad_body")
    return status, note, {name: value for name, value in values.items() if name not in ("status", "note")}


def step_values(table, step, values):
    """Return `values` when they are exactly what `step` records (Step.asks), each of its JSON type; else raise."""
    specs, word = fields(table), Term(step.label)
    problems = [(name, N_("The step “%(step)s” does not record this field."), {"step": word})
                for name in values if name not in step.asks]
    problems += [(name, N_("The step “%(step)s” records this: send it with the move."), {"step": word})
                 for name in step.asks if values.get(name) in (None, "")]
    problems += filter(None, [_type_problem(specs[name], name, values[name]) for name in step.asks if name in values])
    if problems:
        raise ValidationError(problems)
    return values


def filter_value(spec, text):
    """Return a query parameter's text as the stored value of field `spec`, or raise Problem (400)."""
    try:
        if spec.kind == "int":
            value = int(text)
            if abs(value) > INT_LIMIT:
                raise ValueError  # SQLite could not even compare it
            return value
        if spec.kind == "float":
            return float(text)
        if spec.kind == "bool":
            return {"true": 1, "false": 0}[text]
    except (ValueError, KeyError):
        raise Problem("api.bad_query", name=spec.name) from None
    return text


def filterable(table, sensitive_too):
    """Return the Field specs of `table` a list may be filtered by (exact value)."""
    return [spec for spec in fields(table).values()
            if spec.kind != "json" and (sensitive_too or not spec.sensitive)]
