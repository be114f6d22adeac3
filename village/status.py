"""What `village status` and the clerk pages report about a node."""
from sync.changelog import last_seq
from sync.meta import all_meta
from village.records.schema import TABLES


def node_status(db, node):
    """Return the node's identity, record counts and sync state as plain data."""
    records = {t: db.execute(f"SELECT COUNT(*) FROM [{t}] WHERE _deleted = 0").fetchone()[0] for t in TABLES}
    meta = all_meta(db, "sync.")
    pushed = int(meta.get("sync.push_cursor", 0))
    pending = db.execute("SELECT COUNT(*) FROM _changes WHERE seq > ? AND (src IS NULL OR src != 'up')",
                         [pushed]).fetchone()[0]
    sync = {"pending": pending, "last_seq": last_seq(db), "push_cursor": pushed,
            "pull_cursor": int(meta.get("sync.pull_cursor", 0)),
            "last_success": meta.get("sync.last_success"), "last_error": meta.get("sync.last_error"),
            "hub_url": meta.get("sync.hub_url")}
    return {"node_id": node.node_id, "role": node.role, "name": node.name, "area": node.area,
            "lang": node.lang, "records": records, "sync": sync}
