"""Releasing a held (quarantined) change: what `village quarantine release` and the county page both run."""
from sync.links import get_link
from sync.quarantine import get_held
from sync.server import release_held
from village.field.outbox import unsealer_for
from village.records import rollups, trust


def release(db, node, entry, by):
    """Check held change `entry` again and apply it; return None, or the Refusal that still holds.

    A tablet's held change is checked again as a tablet's (opened from its seal, only what field
    workers may write): a release never widens what the sender may write. Raise KeyError when
    nothing is held under that number.
    """
    held = get_held(db, entry)
    link = get_link(db, held["node_id"]) if held else None
    return release_held(db, node.node_id, entry, by, trust.policy_for(link or {}),
                        after_apply=rollups.after_apply, unseal=unsealer_for(node, link))
