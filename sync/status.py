"""A node's status report: a small JSON object a node sends with a push and its hub keeps per node.

The engine does not know what the report means (the program on each side does): it only
checks that it is a flat object of plain values, small enough to keep. The receiver's own
`check(status)` then says whether it holds what it expects (see `receive_push`).
"""
import json
import math
import re

MAX_BYTES = 2048  # the report as compact JSON
MAX_KEYS = 24
MAX_TEXT = 120
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
NUMBER_LIMIT = 2 ** 53 - 1


class BadStatus(ValueError):
    """A status report that is not a small flat object of plain values."""


def checked(status):
    """Return `status` as compact JSON text when it is a well-formed report; raise BadStatus otherwise."""
    if not isinstance(status, dict):
        raise BadStatus("a status report must be an object")
    if len(status) > MAX_KEYS:
        raise BadStatus(f"a status report holds at most {MAX_KEYS} values")
    for key, value in status.items():
        if not isinstance(key, str) or not _KEY.match(key):
            raise BadStatus("a status report's names are short lower-case words")
        if not _plain(value):
            raise BadStatus(f"status value {key} must be a number, true/false, null or text of at most {MAX_TEXT}")
    text = json.dumps(status, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    if len(text.encode()) > MAX_BYTES:
        raise BadStatus(f"a status report is at most {MAX_BYTES} bytes")
    return text


def _plain(value):
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -NUMBER_LIMIT <= value <= NUMBER_LIMIT
    if isinstance(value, float):
        return math.isfinite(value) and abs(value) <= NUMBER_LIMIT
    return isinstance(value, str) and len(value) <= MAX_TEXT
