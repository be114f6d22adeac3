"""Reading the monitoring and care forms: schema fields as typed, lists of choices, a visit's checklist."""
import math

from village.i18n_markers import N_
from village.records.checklists import CHECKLISTS


def read_values(form, names):
    """Return the submitted values of fields `names`, stripped (the one write path checks and types them)."""
    return {name: form.get(name, "").strip() for name in names}


def read_choices(form, name):
    """Return the ticked choices of list `name`, the one picked as main first (DOMAIN: the main risk first)."""
    main = form.get(f"{name}__main", "")
    ticked = [value for value in form.getlist(name) if value != main]
    return ([main] if main else []) + list(dict.fromkeys(ticked))


def read_answers(form, kind):
    """Return (answers, problems): the checklist of visit `kind` as typed answers, and answers not understood.

    An item left unanswered is not stored: a visit records what was asked, not a default.
    """
    answers, problems = {}, []
    for item in CHECKLISTS.get(kind, ()):
        if item.kind == "files":
            continue  # photos come with the field app's uploads, not this form
        key = f"a-{item.name}"
        if item.kind == "choices":
            chosen = read_choices(form, key)
            if chosen:
                answers[item.name] = chosen
            continue
        raw = form.get(key, "").strip()
        if raw == "":
            continue
        if item.kind == "yes_no":
            answers[item.name] = raw == "1"
        elif item.kind == "yuan":
            amount = _yuan(raw)
            if amount is None:
                problems.append((key, N_("“%(value)s” is not an amount in yuan."), {"value": raw[:40]}))
            else:
                answers[item.name] = amount
        else:
            answers[item.name] = raw
    return answers, problems


def _yuan(text):
    """Return `text` as a whole or decimal number of yuan (commas allowed), or None."""
    try:
        value = float(text.replace(",", "").replace("，", ""))
    except ValueError:
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return int(value) if value.is_integer() else value


def init_inputs(state):
    """Give the form macros (clerk/_inputs.html) the schema's field specs."""
    from village.records.schema import fields

    state.app.jinja_env.globals.setdefault("field_spec", lambda table, name: fields(table)[name])
