"""What a tablet holds of its village: households, members, plots and plantings, as one snapshot.

A stopgap for issue #12 point 4 (assignment by snapshot plus cursor, then increments): the
whole village, refused past MAX_HOUSEHOLDS rather than filling a cheap tablet.
"""
from village.field.forms import TABLES
from village.records import core

MAX_HOUSEHOLDS = 5000
HELD = tuple(table for table in TABLES if table != "visits")


def snapshot(db, node):
    """Return {"rows": {table: [records]}, "too_large": bool} of every live record the tablet keeps."""
    count = db.execute("SELECT count(*) FROM households WHERE _deleted = 0").fetchone()[0]
    if count > MAX_HOUSEHOLDS:
        return {"rows": {}, "too_large": True, "households": count}
    return {"rows": {table: list(core.rows(db, table)) for table in HELD}, "too_large": False, "households": count}
