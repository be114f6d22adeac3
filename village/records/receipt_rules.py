"""What makes an alert receipt believable, checked at the village's write and again at the hub on receipt.

Apart from the write path (records.core imports the guards), so it imports nothing of it.
"""
import uuid

from sync.scope import in_scope
from village.i18n_markers import N_

NAMESPACE = uuid.UUID("0b8f5e9a-3c2d-4e7f-8a1b-5d6c7e8f9a0b")
STAGES = ("delivered_at", "displayed_at", "acknowledged_at")  # each implies the ones before it


def receipt_id(cap_id, area):
    """Return the id of the receipt of message `cap_id` by the village of `area` (one per message and village)."""
    return str(uuid.uuid5(NAMESPACE, f"{cap_id}|{area}"))


def receipt_problems(facts, tiers, existing, row, today):
    """Return the problems of a receipt: one for an alert not sent to its area, or under another id than its own.

    The sync engine has already held the receipt's area inside the sending village's path; this
    holds the alert to that area, so a village can only report on what it was sent.
    """
    problems = []
    held = facts.db.execute("SELECT area FROM announcements WHERE id = ? AND _deleted = 0",
                            [row.get("announcement_id")]).fetchone()
    if held is not None and not in_scope(held[0], row["area"]):
        problems.append(("announcement_id", N_("This alert was not sent to area %(area)s."), {"area": row["area"]}))
    if row.get("cap_id") and row["id"] != receipt_id(row["cap_id"], row["area"]):
        problems.append(("id", N_("A receipt's id is made from its message and its village; this one is not."), {}))
    if existing is not None and existing.get("area") != row["area"]:
        problems.append(("area", N_("A receipt stays with the village that wrote it."), {}))
    return problems
