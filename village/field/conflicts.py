"""The conflicts a tablet's workers see: on records the tablet holds, inside its own area, with both values.

Read with the county inbox's reading (`village.records.conflicts`), sent to an enrolled tablet over
the sync protocol (`POST /sync/conflicts`, signed with the tablet's secret). A conflict is shown
while it still stands, that is while the field still holds the value kept then: once anyone writes
that field again (the worker types their value again, the county resolves it) it is answered.
"""
import json

from sync.clock import split_version
from village.records import conflicts as inbox
from village.records.schema import FIELD_TABLES, TABLET_HOLDS

SHOWN = frozenset(FIELD_TABLES) | frozenset(TABLET_HOLDS)
MAX_SHOWN = 100  # newest first: more than a worker reads on a tablet
NAMED_BY = ("name", "crop", "visited_on", "code")  # what tells one record from its siblings, in this order


def _standing(conflict):
    """Return True while the record's field still holds the value that was kept when the conflict arose."""
    versions = json.loads(conflict["record"].get("_fv") or "{}")
    return versions.get(conflict["field"]) == conflict["kept_version"]


def _writer(conflict, side, tablet_id):
    version = conflict[f"{side}_version"]
    writer = conflict[f"{side}_by"]
    return {"name": writer["node"], "at": int(writer["at"].timestamp() * 1000),
            "this_tablet": split_version(version)[1] == tablet_id}


def _shown(conflict, tablet_id):
    record, household = conflict["record"], conflict["household"]
    return {"id": conflict["id"], "table": conflict["tbl"], "record_id": conflict["row_id"],
            "household_id": household and household["id"],
            "household": household and f"{household['code']} {household['head_name'] or ''}".strip(),
            "record": next((str(record[k]) for k in NAMED_BY if record.get(k)), ""),
            "field": conflict["field"], "kept": conflict["kept"], "lost": conflict["lost"],
            "kept_by": _writer(conflict, "kept", tablet_id), "lost_by": _writer(conflict, "lost", tablet_id)}


def for_tablet(db, node, link):
    """Return {conflicts: [...], total}: the standing conflicts a tablet link may see, newest first.

    Only records inside the link's own area (its village, or the part of it the tablet was given)
    and of the tables a tablet holds or writes; each with both values, who wrote each (a node or
    tablet name, `this_tablet` when it was this one) and when (ms), the kept one first.
    """
    found = [c for c in inbox.open_conflicts(db, node, link["area"], newest_first=True)
             if c["tbl"] in SHOWN and _standing(c)]
    return {"conflicts": [_shown(c, link.get("enrolled_by")) for c in found[:MAX_SHOWN]], "total": len(found)}
