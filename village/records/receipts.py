"""Alert receipts: what each village reports back of an alert, and who the county has not reached yet.

A village writes its receipt through the one write path when an alert arrives by sync
(delivered), when its kiosk shows it (displayed) and when a clerk confirms it (acknowledged);
the receipt goes up like any record, and the hub checks it (records.receipt_rules).
"""
from sync.clock import utc_text
from sync.scope import in_scope, inside
from village.records import core
from village.records.receipt_rules import STAGES, receipt_id


def alerts_in_scope(db, area, include_withdrawn=False):
    """Return the alert announcements held here that reach `area` (own, above or below), newest first."""
    rows = core.rows(db, "announcements", "alert_key IS NOT NULL" + ("" if include_withdrawn else
                                                                     " AND msg_type != 'Cancel'"),
                     order="publish_at DESC, area")
    return [row for row in rows if in_scope(row["area"], area)]


def note(db, node, stage, alerts=None, actor=None):
    """Write `stage` (one of STAGES) now into this village's receipts of `alerts` (default: all held); return how many changed.

    A stage already noted keeps its first time, and a stage implies those before it. Only a
    village writes receipts: a hub's own pages report nothing back.
    """
    if node.role != "village":
        return 0
    alerts = alerts_in_scope(db, node.area) if alerts is None else alerts
    todo = []
    for alert in alerts:
        row_id = receipt_id(alert["cap_id"], node.area)
        held = core.get(db, "alert_receipts", row_id) or {}
        values = {name: None for name in STAGES[:STAGES.index(stage) + 1] if not held.get(name)}
        if values:
            todo.append((alert, row_id, values))
    if not todo:
        return 0  # the common case (every page of the kiosk asks): read, never a write
    now = utc_text()
    with core.write(db, node) as writer:
        for alert, row_id, values in todo:
            values = dict.fromkeys(values, now)
            if stage == "acknowledged_at" and actor:
                values["acknowledged_by"] = actor
            core.save(writer, node, "alert_receipts", {**values, "announcement_id": alert["id"],
                                                       "cap_id": alert["cap_id"], "area": node.area}, row_id=row_id)
    return len(todo)


def receipts_of(db, area):
    """Return {cap_id: {village area: receipt}} of the receipts held for alerts reaching `area`."""
    out = {}
    for row in core.rows(db, "alert_receipts", "area = ? OR area LIKE ?", [area, area + "/%"],
                         order="area, id"):
        out.setdefault(row["cap_id"], {})[row["area"]] = row
    return out


def villages(db, area):
    """Return [(village area, name)] of the nodes enrolled at this hub (not revoked) inside `area`."""
    rows = db.execute("SELECT area, name FROM nodes WHERE revoked_at IS NULL ORDER BY area").fetchall()
    return [(a, name) for a, name in rows if inside(a, area)]


def reach(db, area):
    """Return each alert reaching `area` with, per village it reaches, its receipt: not reached ones first."""
    held, enrolled, out = receipts_of(db, area), villages(db, area), {}
    for alert in alerts_in_scope(db, area, include_withdrawn=True):
        entry = out.setdefault(alert["alert_key"], {**alert, "areas": [], "villages": {}})
        entry["areas"].append(alert["area"])
        for village, name in enrolled:
            if in_scope(alert["area"], village):
                receipt = held.get(alert["cap_id"], {}).get(village)
                entry["villages"][village] = {"area": village, "name": name, "receipt": receipt}
    for entry in out.values():
        rows = list(entry["villages"].values())
        rows.sort(key=lambda v: (_stage(v["receipt"]), v["area"]))
        entry["villages"] = rows
        entry["counts"] = {stage: sum(1 for v in rows if v["receipt"] and v["receipt"].get(stage)) for stage in STAGES}
        entry["not_reached"] = [v for v in rows if not (v["receipt"] and v["receipt"].get("delivered_at"))]
    return list(out.values())


def _stage(receipt):
    """Return how far a receipt got: 0 not reached, 1 delivered, 2 displayed, 3 acknowledged."""
    if not receipt:
        return 0
    return sum(1 for stage in STAGES if receipt.get(stage))
