"""Sensitive fields (marked (S) in SPEC 3): hidden in the middle wherever a reader may not see them whole."""
from village.records.schema import fields


def mask(value):
    """Hide the middle of a sensitive value for lists: 13812345678 -> 138****5678."""
    if not value:
        return ""
    text = str(value)
    if len(text) <= 4:
        return "*" * len(text)
    if len(text) < 8:
        return "*" * (len(text) - 2) + text[-2:]
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def masked(table, record):
    """Return `record` with its sensitive fields masked (a value that is empty stays empty)."""
    out = dict(record)
    for name, spec in fields(table).items():
        if spec.sensitive and out.get(name):
            out[name] = mask(out[name])
    return out
