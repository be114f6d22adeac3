"""Validation of record values: types, choices, ranges, dates, references and area."""
import datetime
import json

from sync.scope import inside
from village.i18n_markers import N_
from village.records.schema import fields


class ValidationError(ValueError):
    """Values that cannot be saved; `problems` lists (field, message, params) to show a clerk."""

    def __init__(self, problems):
        super().__init__("; ".join(f"{f}: {m % p}" for f, m, p in problems))
        self.problems = problems

    def render(self, gettext):
        """Return the problems as translated 'field: message' lines."""
        return [f"{field}: {gettext(message) % params}" for field, message, params in self.problems]


def _coerce(spec, raw):
    """Return `raw` as the field's type, or raise ValueError with a (message, params) pair."""
    if raw is None or (isinstance(raw, str) and raw == "" and spec.kind != "text"):
        return None
    kind = spec.kind
    if kind in ("text", "choice"):
        value = str(raw)
        if kind == "choice" and value not in spec.choices:
            raise ValueError(N_("“%(value)s” is not allowed here; choose one of: %(choices)s."),
                             {"value": value, "choices": ", ".join(spec.choices)})
        return value
    if kind == "int":
        try:
            if isinstance(raw, float) and not raw.is_integer():
                raise ValueError
            return int(str(raw).strip()) if not isinstance(raw, (int, float)) else int(raw)
        except ValueError:
            raise ValueError(N_("“%(value)s” is not a whole number."), {"value": raw}) from None
    if kind == "float":
        try:
            value = float(str(raw).strip()) if not isinstance(raw, (int, float)) else float(raw)
        except ValueError:
            raise ValueError(N_("“%(value)s” is not a number."), {"value": raw}) from None
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(N_("“%(value)s” is not a number."), {"value": raw})
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
            except ValueError:
                raise ValueError(N_("This is not valid JSON."), {}) from None
        return json.dumps(raw, ensure_ascii=False, separators=(",", ":"))
    raise AssertionError(kind)


def _check_range(spec, value):
    if spec.minimum is not None:
        if spec.exclusive_min and value <= spec.minimum:
            raise ValueError(N_("Must be more than %(min)s."), {"min": spec.minimum})
        if not spec.exclusive_min and value < spec.minimum:
            raise ValueError(N_("Must be at least %(min)s."), {"min": spec.minimum})
    if spec.maximum is not None and value > spec.maximum:
        raise ValueError(N_("Must be at most %(max)s."), {"max": spec.maximum})


def clean(table, values, existing=None, ref_exists=None, node_area=None):
    """Return `values` checked and converted to stored types, or raise ValidationError.

    `existing` is the stored row for an update (None for a new record): missing fields then
    keep their stored value and are not returned. `ref_exists(table, id)` answers whether a
    referenced record exists; `node_area` is the node's own code path.
    """
    specs = fields(table)
    problems, out = [], {}
    unknown = set(values) - set(specs) - {"id", "area"}
    for name in sorted(unknown):
        problems.append((name, N_("There is no field called “%(field)s” in %(table)s."), {"field": name, "table": table}))
    for name, spec in specs.items():
        if name not in values:
            if existing is None and spec.required:
                problems.append((name, N_("This is required."), {}))
            elif existing is None and spec.default is not None:
                out[name] = _coerce(spec, list(spec.default) if isinstance(spec.default, tuple) else spec.default)
            continue
        try:
            value = _coerce(spec, values[name])
            if value is None or (spec.kind == "text" and value.strip() == ""):
                if spec.required:
                    raise ValueError(N_("This is required."), {})
            elif spec.kind in ("int", "float"):
                _check_range(spec, value)
            if spec.ref and value and ref_exists and not ref_exists(spec.ref, value):
                raise ValueError(N_("No %(table)s record has the id “%(value)s”."), {"table": spec.ref, "value": value})
            out[name] = value
        except ValueError as exc:
            message, params = exc.args
            problems.append((name, message, params))
    if "area" in values and values["area"] not in (None, ""):
        area = str(values["area"]).strip().strip("/")
        if node_area and not inside(area, node_area):
            problems.append(("area", N_("Area “%(area)s” is outside this node's area %(node)s."),
                             {"area": area, "node": node_area}))
        out["area"] = area
    problems += _cross_checks(table, {**(existing or {}), **out})
    if problems:
        raise ValidationError(problems)
    return out


def _cross_checks(table, row):
    if table == "plantings" and row.get("planted_on") and row.get("harvested_on"):
        if row["harvested_on"] < row["planted_on"]:
            return [("harvested_on", N_("The harvest date is before the planting date."), {})]
    if table == "announcements" and row.get("publish_at") and row.get("expires_at"):
        if row["expires_at"] <= row["publish_at"]:
            return [("expires_at", N_("The expiry must be after the publishing time."), {})]
    if table == "announcements" and "title" in row:
        title = json.loads(row["title"]) if isinstance(row["title"], str) else row["title"]
        if not isinstance(title, dict) or not any(str(v).strip() for v in title.values()):
            return [("title", N_("Give the title as text per language, e.g. {\"en\": \"…\"}."), {})]
    return []
