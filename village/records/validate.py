"""Validation of record values: types, choices, ranges, dates, references and area."""
import datetime
import functools
import json
import re
import unicodedata

from sync.scope import inside
from village.errors import Problem
from village.i18n_markers import N_
from village.records.row_checks import ROW_CHECKS, cross_checks
from village.records.schema import INT_LIMIT, fields

# Control characters (C0, DEL, C1) and the bidi embeddings, overrides and isolates that can make
# a name print reversed or hide text on a certificate. Marks (LRM, RLM) stay: Uyghur needs them.
UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")
_LINE_BREAKS = re.compile("[\t\n\r]")
ONE_LINE_UNSAFE = re.compile(UNSAFE.pattern[:-1] + "\t\n\r]")  # what a one-line field must not keep
SHAPES = {
    "phone": (re.compile(r"^\+?[0-9][0-9 -]{3,22}[0-9]$"), N_("A phone number has 5 to 15 digits.")),
    "id_number": (re.compile(r"^[0-9]{15}([0-9]{2}[0-9X])?$"), N_("An ID number has 18 characters (or 15 digits).")),
}


def _digits(text):
    """Return `text` with every script's decimal digits (e.g. Arabic-Indic, full-width) as ASCII."""
    if text.isascii():
        return text
    return "".join(str(unicodedata.digit(ch)) if ch.isdigit() and not ch.isascii() else ch for ch in text)


def _text(spec, raw):
    """Return resident or clerk text made safe to store and print, or raise ValueError."""
    value = raw if type(raw) is str else str(raw)
    if (ONE_LINE_UNSAFE if not spec.multiline else UNSAFE).search(value):
        value = UNSAFE.sub("", value)
        if not spec.multiline:
            value = _LINE_BREAKS.sub(" ", value)
    if not value.isascii() and not unicodedata.is_normalized("NFC", value):
        value = unicodedata.normalize("NFC", value)
    if len(value) > spec.max_chars:
        raise ValueError(N_("This is too long: at most %(max)s characters."), {"max": spec.max_chars})
    if spec.shape and value.strip():
        value = _digits(unicodedata.normalize("NFKC", value)).strip().upper()  # full-width too
        pattern, message = SHAPES[spec.shape]
        if not pattern.match(value) or (spec.shape == "phone" and not 5 <= sum(c.isdigit() for c in value) <= 15):
            raise ValueError(message, {})
    return value


class Term(str):
    """A message parameter that is itself marked for translation (a status's word): translated when shown."""


def translated(message, params, gettext):
    """Return a problem's message in the reader's language with its parameters filled in (Terms translated too)."""
    return gettext(message) % {k: gettext(v) if isinstance(v, Term) else v for k, v in params.items()}


class ValidationError(Problem, ValueError):
    """Values that cannot be saved (code "invalid"); `problems` lists (field, message, params) to show a clerk."""

    def __init__(self, problems):
        super().__init__("invalid", problems="; ".join(f"{f}: {m % p}" for f, m, p in problems))
        self.problems = problems

    def __str__(self):
        # The bare list: a refused received change quotes it (records/trust.py).
        return self.params["problems"]

    def render(self, gettext):
        """Return the problems as translated 'field: message' lines."""
        return [f"{field}: {translated(message, params, gettext)}" for field, message, params in self.problems]

    def say(self, gettext):
        """Return the problems translated, one field a line."""
        return "\n".join(self.render(gettext))


def _coerce(spec, raw):
    """Return `raw` as the field's type, or raise ValueError with a (message, params) pair."""
    if raw is None or (raw == "" and (spec.kind != "text" or spec.ref)):
        return None  # an empty cell or field: no value (and, for a reference, no record referred to)
    kind = spec.kind
    if type(raw) is int and kind == "int" and -INT_LIMIT <= raw <= INT_LIMIT:
        return raw  # the common cases of received values, already in their stored form
    if type(raw) is float and kind == "float" and raw - raw == 0.0:  # finite
        return raw
    if type(raw) is str and kind == "choice" and raw in spec.choices:
        return raw
    if type(raw) is str:
        if len(raw) > spec.max_chars * 4:
            # Checked before any parsing: a 70 MB value costs nothing to refuse.
            raise ValueError(N_("This is too long: at most %(max)s characters."), {"max": spec.max_chars})
        if kind == "text":
            return _text(spec, raw)
    elif isinstance(raw, (dict, list)) and kind != "json":
        raise ValueError(N_("This must be a single value."), {})
    if kind == "text":
        return _text(spec, raw)
    if kind == "choice":
        value = str(raw)
        if value not in spec.choices:
            raise ValueError(N_("“%(value)s” is not allowed here; choose one of: %(choices)s."),
                             {"value": value, "choices": ", ".join(spec.choices)})
        return value
    if kind == "int":
        try:
            if isinstance(raw, float) and not raw.is_integer():
                raise ValueError
            value = int(str(raw).strip()) if not isinstance(raw, (int, float)) else int(raw)
        except (ValueError, OverflowError):
            raise ValueError(N_("“%(value)s” is not a whole number."), {"value": str(raw)[:40]}) from None
        if abs(value) > INT_LIMIT:
            raise ValueError(N_("Must be at most %(max)s."), {"max": INT_LIMIT})
        return value
    if kind == "float":
        try:
            value = float(str(raw).strip()) if not isinstance(raw, (int, float)) else float(raw)
        except (ValueError, OverflowError):
            raise ValueError(N_("“%(value)s” is not a number."), {"value": str(raw)[:40]}) from None
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(N_("“%(value)s” is not a number."), {"value": str(raw)[:40]})
        return value
    if kind == "bool":
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "y", "是"):
            return 1
        if text in ("0", "false", "no", "n", "否"):
            return 0
        raise ValueError(N_("“%(value)s” is not yes or no."), {"value": raw})
    if kind == "date":
        try:
            return datetime.date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError:
            raise ValueError(N_("“%(value)s” is not a real date; write it as YYYY-MM-DD."), {"value": raw}) from None
    if kind == "datetime":
        try:
            moment = datetime.datetime.fromisoformat(str(raw).strip())
        except ValueError:
            raise ValueError(N_("“%(value)s” is not a real date and time; write it as YYYY-MM-DDTHH:MM."),
                             {"value": raw}) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.timezone.utc)
        return moment.astimezone(datetime.timezone.utc).isoformat(timespec="seconds")
    if kind == "json":
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except (ValueError, RecursionError):
                raise ValueError(N_("This is not valid JSON."), {}) from None
        try:
            value = _json_text(raw)
        except (ValueError, TypeError, RecursionError):
            raise ValueError(N_("This is not valid JSON."), {}) from None
        if len(value) > spec.max_chars:
            raise ValueError(N_("This is too long: at most %(max)s characters."), {"max": spec.max_chars})
        return value
    raise AssertionError(kind)


# A JSON field's stored text of a value: compact, not ASCII-escaped, no NaN (one encoder, made once).
_json_text = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def json_in_stored_form(spec, raw):
    """Return True when `raw` is a JSON field's stored text: what `_coerce` makes of it is itself."""
    if type(raw) is not str or len(raw) > spec.max_chars:
        return False
    try:
        return _json_text(json.loads(raw)) == raw
    except (ValueError, RecursionError):
        return False


def _check_range(spec, value):
    if spec.minimum is not None:
        if spec.exclusive_min and value <= spec.minimum:
            raise ValueError(N_("Must be more than %(min)s."), {"min": spec.minimum})
        if not spec.exclusive_min and value < spec.minimum:
            raise ValueError(N_("Must be at least %(min)s."), {"min": spec.minimum})
    if spec.maximum is not None and value > spec.maximum:
        raise ValueError(N_("Must be at most %(max)s."), {"max": spec.maximum})


@functools.lru_cache(maxsize=None)
def _default(spec):
    """Return a field's default in its stored form (worked out once per field)."""
    return _coerce(spec, list(spec.default) if isinstance(spec.default, tuple) else spec.default)


@functools.lru_cache(maxsize=None)
def plan(table):
    """Return (fields, required names, {name: stored default}, {name: fast test}) of a table, worked out once.

    A field has a fast test when a value already in its stored form can be taken as it is: the
    test answers whether `raw` is such a value (a reference still has its record looked up).
    """
    specs = fields(table)
    required = tuple(name for name, spec in specs.items() if spec.required)
    defaults = {name: _default(spec) for name, spec in specs.items() if not spec.required and spec.default is not None}
    fast = {name: _stored_form_test(spec) for name, spec in specs.items()
            if spec.kind in ("text", "choice", "int", "float", "bool", "json") and (spec.kind == "text" or not spec.ref)}
    return specs, required, defaults, fast


def _stored_form_test(spec):
    """Return a function telling whether a value is already what `spec` stores (checking it again changes nothing)."""
    longest, required, dirty, low, high = spec.max_chars, spec.required, ONE_LINE_UNSAFE.search, spec.minimum, spec.maximum
    ref = bool(spec.ref)  # an empty reference is stored as no value (None), not as ""
    if spec.kind == "text" and spec.shape:
        return _shaped_form_test(spec)
    if spec.kind == "text":
        return lambda raw: (type(raw) is str and len(raw) <= longest and not dirty(raw)
                            and (raw.isascii() or unicodedata.is_normalized("NFC", raw))
                            and (not (required or ref) or raw.strip() != ""))
    if spec.kind == "choice":
        return lambda raw: type(raw) is str and raw in spec.choices
    if spec.kind == "bool":
        return lambda raw: type(raw) is int and (raw == 0 or raw == 1)  # stored as 0 or 1, never True
    if spec.kind == "json":
        return functools.partial(json_in_stored_form, spec)
    low = -INT_LIMIT if low is None else low
    high = INT_LIMIT if high is None else high
    # A float kind takes finite floats only (inf - inf and nan - nan are nan, never 0.0).
    number = int if spec.kind == "int" else float
    if spec.exclusive_min:
        return lambda raw: type(raw) is number and raw - raw == 0 and low < raw <= high
    return lambda raw: type(raw) is number and raw - raw == 0 and low <= raw <= high


def _shaped_form_test(spec):
    """Return the fast test of a phone or ID number: plain ASCII, trimmed, upper case, of its shape."""
    pattern, longest, phone = SHAPES[spec.shape][0].fullmatch, spec.max_chars, spec.shape == "phone"
    # What _text would make of such a value is the value itself (NFKC and digits leave ASCII alone).
    return lambda raw: (type(raw) is str and raw.isascii() and len(raw) <= longest and pattern(raw) is not None
                        and raw.upper() == raw and (not phone or 5 <= sum(c.isdigit() for c in raw) <= 15))


def clean(table, values, existing=None, ref_exists=None, node_area=None):
    """Return `values` checked and converted to stored types, or raise ValidationError.

    `existing` is the stored row for an update (None for a new record): missing fields then
    keep their stored value and are not returned. `ref_exists(table, id)` answers whether a
    referenced record exists; `node_area` is the node's own code path.
    """
    specs, required, defaults, fast = plan(table)
    problems, out = [], {}
    # Only the values given are looked at: a received change carries a few of a table's fields,
    # and this runs for every change a hub applies (most values arrive in their stored form).
    for name, raw in values.items():
        spec = specs.get(name)
        stored_form = fast.get(name)
        if stored_form is not None and stored_form(raw):
            if spec.ref and raw and ref_exists and not ref_exists(spec.ref, raw):
                problems.append((name, *_no_record(spec, raw)))
            else:
                out[name] = raw
            continue
        if spec is None:
            if name not in ("id", "area"):
                problems.append((name, N_("There is no field called “%(field)s” in %(table)s."),
                                 {"field": name, "table": table}))
            continue
        try:
            out[name] = _checked(spec, raw, ref_exists)
        except ValueError as exc:
            message, params = exc.args
            problems.append((name, message, params))
    if existing is None:
        problems += [(name, N_("This is required."), {}) for name in required if name not in values]
        out.update((name, value) for name, value in defaults.items() if name not in values)
    if "area" in values and values["area"] not in (None, ""):
        area = str(values["area"]).strip().strip("/")
        if node_area and not inside(area, node_area):
            problems.append(("area", N_("Area “%(area)s” is outside this node's area %(node)s."),
                             {"area": area, "node": node_area}))
        out["area"] = area
    if table in ROW_CHECKS:
        problems += cross_checks(table, {**(existing or {}), **out})
    if problems:
        raise ValidationError(sorted(problems, key=lambda problem: _place(specs, problem[0])))
    return out


def _place(specs, name):
    """Sort key of a problem: unknown fields first (by name), then the table's order, the area last."""
    if name in specs:
        return (1, list(specs).index(name), "")
    return (2, 0, "") if name == "area" else (0, 0, name)


def _no_record(spec, value):
    """Return the (message, params) of a reference to a record that is not held here."""
    return N_("No %(table)s record has the id “%(value)s”."), {"table": spec.ref, "value": value}


def _checked(spec, raw, ref_exists):
    """Return one given value in its stored form, or raise ValueError with (message, params)."""
    value = _coerce(spec, raw)
    if value is None or (spec.kind == "text" and value.strip() == ""):
        if spec.required:
            raise ValueError(N_("This is required."), {})
    elif spec.minimum is not None or spec.maximum is not None:
        _check_range(spec, value)
    if spec.ref and value and ref_exists and not ref_exists(spec.ref, value):
        raise ValueError(*_no_record(spec, value))
    return value
