"""Outbox entries a tablet sealed for this node: opened with the node's sealing key and saved through the one write path.

A stopgap receiver until the tablet speaks the sync protocol (issue #12 part A): a tablet's
worker pushes over their browser session. Each entry is sealed on the tablet to the node's
X25519 key (village/keys.py): a one-time X25519 key, HKDF-SHA256 over both public keys, then
AES-256-GCM with the entry's id as associated data (WebCrypto has AES-GCM, not ChaCha20,
hence not sync/seal.py's box). Any worker can push another's entries; only the node reads them.
"""
import base64
import json

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from village.field.forms import TABLES
from village.i18n_markers import N_
from village.records import core
from village.records.validate import ValidationError
from village.users import ROLES

INFO = b"village-tablet-seal/1"
MAX_ENTRIES = 200  # per push: a tablet sends a long outbox in several pushes
MAX_SEALED = 64 * 1024  # characters of one sealed entry (a visit is a few kilobytes)


class Unreadable(ValueError):
    """An entry that is not one this node can open (damaged, forged, or sealed to another node)."""


def _raw(public_key):
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def open_entry(private_key, entry):
    """Return the plain payload (a dict) of one sealed `entry`; raise Unreadable when it does not open."""
    try:
        entry_id = str(entry["id"])[:64]
        if len(str(entry["ct"])) > MAX_SEALED:
            raise Unreadable("too large")
        ephemeral = X25519PublicKey.from_public_bytes(base64.b64decode(entry["eph"], validate=True))
        iv, sealed = base64.b64decode(entry["iv"], validate=True), base64.b64decode(entry["ct"], validate=True)
        salt = _raw(ephemeral) + _raw(private_key.public_key())
        key = HKDF(hashes.SHA256(), 32, salt=salt, info=INFO).derive(private_key.exchange(ephemeral))
        payload = json.loads(AESGCM(key).decrypt(iv, sealed, entry_id.encode()))
    except (KeyError, TypeError, ValueError, InvalidTag) as exc:
        raise Unreadable(type(exc).__name__) from None
    if not isinstance(payload, dict) or payload.get("id") != entry_id:
        raise Unreadable("not an entry")
    return payload


def _record(payload):
    """Return (table, record id, values) of a payload; raise Unreadable when its shape is wrong."""
    table, record_id, values = payload.get("table"), payload.get("record"), payload.get("values")
    if table not in TABLES or not isinstance(record_id, str) or not isinstance(values, dict):
        raise Unreadable("not a field record")
    # Where a record lives is the node's to say (a new one takes its parent's or the node's area).
    values = {k: v for k, v in values.items() if k not in ("id", "area")}
    return table, record_id, values


def _worker_ok(db, worker):
    row = db.execute("SELECT role, disabled FROM users WHERE username = ?", [worker]).fetchone()
    return row is not None and not row[1] and "field" in ROLES[row[0]].surfaces


def apply(db, node, private_key, entries, pusher):
    """Save each sealed entry of `entries`; return {"accepted": [ids], "refused": [{id, problems}]}."""
    accepted, refused = [], []
    for entry in entries[:MAX_ENTRIES]:
        entry_id = str(entry.get("id", ""))[:64] if isinstance(entry, dict) else ""
        try:
            payload = open_entry(private_key, entry)
            table, record_id, values = _record(payload)
            worker = str(payload.get("worker", ""))[:40]
            if not _worker_ok(db, worker):
                raise ValidationError([("worker", N_("“%(item)s” is not a field worker of this node."),
                                        {"item": worker})])
            if table == "visits":
                values["visitor"] = worker  # the worker who captured it, whoever pushes it
            with core.write(db, node) as writer:
                core.save(writer, node, table, {**values, "id": record_id}, actor=f"{worker} (tablet, via {pusher})")
            accepted.append(entry_id)
        except Unreadable as exc:
            refused.append({"id": entry_id, "problems": [f"unreadable: {exc}"]})
        except ValidationError as exc:
            refused.append({"id": entry_id, "problems": [f"{f}: {m % p}" for f, m, p in exc.problems]})
    return {"accepted": accepted, "refused": refused}
