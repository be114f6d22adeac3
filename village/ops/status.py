"""What `village status` and the clerk pages report about a node."""
from sync.changelog import last_seq
from sync.jobs import pending_count
from sync.meta import (CLOCK_OFFSET, HUB_URL, LAST_ERROR, LAST_SUCCESS, LINK_ID, LINK_PREFIX, PULL_CURSOR, PUSH_CURSOR,
                       all_meta, get_meta)
from sync.quarantine import held_counts, refusal_count, refusals
from sync.server import nodes_status
from village.records.evidence import file_counts
from village.records.schema import TABLES


def node_status(db, node):
    """Return the node's identity, record counts and sync state as plain data."""
    records = {t: db.execute(f"SELECT COUNT(*) FROM [{t}] WHERE _deleted = 0").fetchone()[0] for t in TABLES}
    return {"node_id": node.node_id, "role": node.role, "name": node.name, "area": node.area,
            "lang": node.lang, "records": records, "sync": sync_status(db, node)}


def sync_status(db, node):
    """Return how the node's sync stands; at a hub, also each enrolled node's health."""
    meta = all_meta(db, LINK_PREFIX)
    sync = {"pending": pending_count(db), "last_seq": last_seq(db),
            "push_cursor": int(meta.get(PUSH_CURSOR, 0)), "pull_cursor": int(meta.get(PULL_CURSOR, 0)),
            "last_success": meta.get(LAST_SUCCESS), "last_error": meta.get(LAST_ERROR),
            "hub_url": meta.get(HUB_URL), "enrolled_as": meta.get(LINK_ID),
            "clock_offset_ms": int(get_meta(db, CLOCK_OFFSET, "0")),
            # What the hub refused of ours (kept here, never sent again) and what we hold of others'.
            "refused": refusal_count(db),
            "refusals": [{k: r[k] for k in ("tbl", "row_id", "code", "message", "problems", "refused_at")}
                         for r in refusals(db, 20)],
            "quarantined": held_counts(db),
            # Evidence files: not yet held by the hub; named by a record here but not held here.
            **file_counts(db)}
    if node.role == "county":
        sync["nodes"] = nodes_status(db, node.setting("not_seen_days"))
        sync["nodes_not_seen"] = [n["node_id"] for n in sync["nodes"] if n["not_seen"]]
        sync["nodes_clock_far_ahead"] = [n["node_id"] for n in sync["nodes"] if n["clock_far_ahead"]]
    return sync
