"""Column-wise checks of received new records: a quick "all in stored form" for a whole column of values.

A hub applying a village's first sync receives thousands of new records of one table, their
values already in the form it stores. Checking them one value at a time is most of what
receiving costs, so a column is checked at once here, with operations that run over the whole
list in C. A column passes only when every value in it is one the full check
(`validate.clean`) would take exactly as it is; anything else goes the one-by-one way, which
finds and words the problem. So this changes how fast a batch is checked, never what passes.
"""
import math
import unicodedata

from village.records.schema import INT_LIMIT
from village.records.validate import ONE_LINE_UNSAFE, SHAPES, UNSAFE, json_in_stored_form

FAST_KINDS = ("text", "choice", "int", "float", "bool", "json")


def column_ok(spec, values):
    """Return True when every value of `values` is already what field `spec` stores (None where allowed)."""
    if spec.kind not in FAST_KINDS:
        return False
    present = [v for v in values if v is not None]
    if len(present) < len(values) and spec.required:
        return False  # a missing required value: the full check words it
    if not present:
        return True
    try:
        kinds = set(map(type, present))
    except TypeError:
        return False
    if spec.kind in ("int", "float"):
        return _numbers_ok(spec, present, kinds)
    if spec.kind == "bool":
        return kinds == {int} and set(present) <= {0, 1}  # True is not 1 here: it is stored as 1
    if spec.kind == "json":  # each different text parsed once (most records carry the same few)
        return kinds == {str} and all(json_in_stored_form(spec, value) for value in set(present))
    if kinds != {str}:
        return False
    if spec.kind == "choice":
        return set(present) <= set(spec.choices)
    return _texts_ok(spec, present)


def _numbers_ok(spec, present, kinds):
    if kinds != {int if spec.kind == "int" else float}:
        return False  # bool is a type of its own here: True is not taken for 1
    if spec.kind == "float" and not all(map(math.isfinite, present)):
        return False
    low = -INT_LIMIT if spec.minimum is None else spec.minimum
    high = INT_LIMIT if spec.maximum is None else spec.maximum
    smallest, largest = min(present), max(present)
    return (smallest > low if spec.exclusive_min else smallest >= low) and largest <= high


def _texts_ok(spec, present):
    if max(map(len, present)) > spec.max_chars:
        return False
    if spec.ref or spec.required:
        if not all(map(str.strip, present)):
            return False  # a blank required value or an empty reference: the full check decides
    # A space joins the values: it is neither unsafe nor a line break, and no canonical
    # composition starts with it, so the joined text is clean and NFC exactly when each value is.
    joined = " ".join(present)
    if spec.shape:
        return _shaped_ok(spec, present, joined)
    if (UNSAFE if spec.multiline else ONE_LINE_UNSAFE).search(joined):
        return False
    return joined.isascii() or unicodedata.is_normalized("NFC", joined)


def _shaped_ok(spec, present, joined):
    pattern = SHAPES[spec.shape][0].fullmatch
    if not joined.isascii() or joined.upper() != joined or not all(map(pattern, present)):
        return False
    return spec.shape != "phone" or all(5 <= sum(map(str.isdigit, v)) <= 15 for v in present)
