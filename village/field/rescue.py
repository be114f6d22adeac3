"""A tablet's "Export unsynced" file, imported at its village node (`village tablet import`, the clerk's page).

The file (static/field/app/rescue.js) holds one sync batch of the tablet's sealed outbox entries,
the very bytes a push sends, and the tablet's signature over them with its own secret. Importing
it is a push from that tablet without the network: the same checks, the same quarantine, the
same idempotent apply (each record once, by its version), so a second import changes nothing.
"""
import base64
import binascii
import json

from sync.auth import signature_ok
from sync.batch import BadBatch, decode
from sync.links import get_link
from sync.server import TABLET, SyncRefused, receive_push
from village.errors import Problem
from village.field.outbox import unsealer_for
from village.records import rollups, trust

FORMAT = "village-tablet-export/1"
SIGNED_AS = ("POST", "/tablet/import", "export")  # as static/field/app/rescue.js signs
MAX_FILE = 16 * 1024 * 1024  # as a push's body (api/sync.py MAX_BODY)


def read_file(raw):
    """Return (link id, signature, batch bytes) of an export file's bytes; raise Problem when it is not one."""
    if len(raw) > MAX_FILE:
        raise Problem("tablet.bad_export", reason="too large")
    try:
        data = json.loads(raw)
        if data.get("format") != FORMAT:
            raise ValueError("not an export of the field app")
        return str(data["link"])[:64], str(data["signature"])[:128], base64.b64decode(data["batch"], validate=True)
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error, UnicodeDecodeError) as exc:
        raise Problem("tablet.bad_export", reason=str(exc)[:200]) from None


def import_export(node, db, raw):
    """Apply an export file's records once; return the acknowledgement {applied, received, refused, ...}."""
    link_id, signature, batch = read_file(raw)
    link = get_link(db, link_id)
    if link is None or link.get("kind") != TABLET or not link.get("enrolled_by"):
        raise Problem("tablet.export_unknown", id=link_id)
    method, path, nonce = SIGNED_AS
    if not signature_ok(link["secret"], signature, method, path, batch, nonce, link_id):
        raise Problem("tablet.export_forged", id=link_id)
    if link.get("revoked_at"):
        raise Problem("tablet.export_revoked", id=link_id, name=link["name"])
    try:
        envelope, changes = decode(batch)
        return receive_push(db, node.node_id, link, envelope, changes, policy=trust.policy_for(link),
                            after_apply=rollups.after_apply, unseal=unsealer_for(node, link))
    except (BadBatch, SyncRefused) as exc:
        raise Problem("tablet.bad_export", reason=str(exc)[:200]) from None
