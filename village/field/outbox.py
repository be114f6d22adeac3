"""Outbox entries a tablet sealed for this node, carried in its sync batches: opened here before any check.

Each entry is sealed on the tablet to the node's X25519 key (village/keys.py): a one-time X25519
key, HKDF-SHA256 over both public keys, then AES-256-GCM with the entry's id as associated data
(WebCrypto has AES-GCM, not ChaCha20, hence not sync/seal.py's box). Any worker on the tablet can
push another's entries; only the node reads them.

In a batch an entry is one change `{tbl: "sealed", op: "sealed", row_id: record id, version,
area, data: {id, eph, iv, ct}}`. `unsealer` opens each into the put it stands for, before the
push handler's usual screen, policy and apply (`sync.server.receive_push`), so a tablet's
sealed records get every check a plain change gets. An entry that does not open, whose
clear fields disagree with what is sealed, or whose worker is not an active field worker of this
village (unknown, disabled, or of another role), is refused (held in quarantine), never a 500;
so is a plain change: a tablet link sends sealed entries only.

An entry also seals `seen`: the node's change number the worker's copy of the village was pulled up
to when they saved it. The put's `base` (the field versions the edit was made over, which tell a
conflict from an ordinary edit) is drawn from it: what the node had sent the tablet by then, and what
the tablet itself had written. Without it every edit made on a tablet would count as a conflict.
"""
import base64
import json

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sync.quarantine import Refusal
from sync.server import TABLET
from sync.stores import as_tx
from village.field.forms import TABLES
from village.keys import sealing_key
from village.records.schema import EVIDENCE_OWNERS, fields
from village.users import ROLES

INFO = b"village-tablet-seal/1"
SEALED = "sealed"  # the table and op of a sealed change in a batch
MAX_SEALED = 64 * 1024  # characters of one sealed entry (a visit is a few kilobytes)
EVERY_SEQ = 2 ** 62  # above any change number: a record's whole history
# What an entry may hold: the field app's forms, and the attachments record of a photo (records.trust says which).
SEALED_TABLES = (*TABLES, "attachments")


class Unreadable(ValueError):
    """An entry that is not one this node can open (damaged, forged, or sealed to another node)."""


def _raw(public_key):
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def open_sealed(private_key, box, aad, limit):
    """Return the plain bytes of `box` ({eph, iv, ct}) sealed to this node with associated data `aad` (text).

    Raise Unreadable when it does not open (damaged, forged, sealed to another node or under another
    name) or its `ct` is longer than `limit` characters.
    """
    if len(str(box.get("ct", ""))) > limit:
        raise Unreadable("too large")
    try:
        ephemeral = X25519PublicKey.from_public_bytes(base64.b64decode(box["eph"], validate=True))
        iv, sealed = base64.b64decode(box["iv"], validate=True), base64.b64decode(box["ct"], validate=True)
        salt = _raw(ephemeral) + _raw(private_key.public_key())
        key = HKDF(hashes.SHA256(), 32, salt=salt, info=INFO).derive(private_key.exchange(ephemeral))
        return AESGCM(key).decrypt(iv, sealed, aad.encode())
    except (KeyError, TypeError, ValueError, InvalidTag) as exc:
        raise Unreadable(type(exc).__name__) from None


def open_entry(private_key, entry):
    """Return the plain payload (a dict) of one sealed `entry`; raise Unreadable when it does not open."""
    try:
        entry_id = str(entry["id"])[:64]
        payload = json.loads(open_sealed(private_key, entry, entry_id, MAX_SEALED))
    except Unreadable:
        raise
    except (KeyError, TypeError, ValueError) as exc:  # no id, or sealed bytes that are no JSON
        raise Unreadable(type(exc).__name__) from None
    if not isinstance(payload, dict) or payload.get("id") != entry_id:
        raise Unreadable("not an entry")
    return payload


def _record(payload, change):
    """Return (table, values) of a payload; raise Unreadable when its shape or clear fields are wrong."""
    table, record_id, values = payload.get("table"), payload.get("record"), payload.get("values")
    if table not in SEALED_TABLES or not isinstance(record_id, str) or not isinstance(values, dict):
        raise Unreadable("not a field record")
    # The clear version and record id are what the node deduplicates by: they must be the sealed ones,
    # or one entry could be replayed under new versions.
    if payload.get("version") != change.get("version") or record_id != change.get("row_id"):
        raise Unreadable("the entry's version or record is not the one sealed")
    # Where a record lives is the node's to say (a new one takes its parent's or the tablet's area).
    return table, {k: v for k, v in values.items() if k not in ("id", "area")}


def active_workers(db):
    """Return the usernames of this node's users who may work in the field app and are not disabled, sorted."""
    field_roles = [name for name, role in ROLES.items() if "field" in role.surfaces]
    marks = ", ".join("?" * len(field_roles))
    return [row[0] for row in db.execute(f"SELECT username FROM users WHERE disabled = 0 AND role IN ({marks}) "
                                         "ORDER BY username", field_roles)]


def active_worker(db, username):
    """Return True when `username` is a user of this node who may work in the field app and is not disabled."""
    row = db.execute("SELECT role, disabled FROM users WHERE username = ?", [username]).fetchone()
    return row is not None and not row[1] and "field" in ROLES[row[0]].surfaces


def _parents(table, values):
    """Yield (table, id) of the records `values` hang from: those its fields refer to, and an attachment's owner."""
    for spec in fields(table).values():
        if spec.ref and isinstance(values.get(spec.name), str):
            yield spec.ref, values[spec.name]
    if table == "attachments" and values.get("owner_table") in EVIDENCE_OWNERS and isinstance(values.get("owner_id"), str):
        yield values["owner_table"], values["owner_id"]


def _area(db, table, record_id, values, tablet_area, made):
    """Return (area, new?) of a record: where it is stored here, else its parent's, else the tablet's.

    `made` holds the areas of the records opened earlier in the same batch (a visit and its photos).
    """
    row = db.execute(f"SELECT area FROM [{table}] WHERE id = ?", [record_id]).fetchone()
    if row:
        return row[0], False
    for parent_table, parent_id in _parents(table, values):
        area = made.get((parent_table, parent_id))
        if area is None:
            parent = db.execute(f"SELECT area FROM [{parent_table}] WHERE id = ?", [parent_id]).fetchone()
            area = parent[0] if parent else None
        if area:
            return area, True
    return tablet_area, True


def _seen(payload):
    """Return the change number a sealed entry says its worker had pulled up to, or None (an older app)."""
    seen = payload.get("seen")
    return seen if isinstance(seen, int) and not isinstance(seen, bool) and seen >= 0 else None


def seen_base(db, table, record_id, names, seen, link_id):
    """Return {field: version} of the values of `names` a tablet had in front of it, or None when unknown.

    They are the record's changes up to the node's change number `seen` (what the tablet had pulled)
    and those the tablet itself sent (its pulls leave them out: it has them already), the newest of each
    field. A tablet that claims more than it saw only keeps its own edits off the conflict lists; which
    value wins is the versions' to say, never the base's.
    """
    if seen is None:
        return None
    base = {}
    for entry in as_tx(db).history(table, record_id, EVERY_SEQ):
        if entry["op"] == "put" and (entry["seq"] <= seen or entry["src"] == link_id):
            # The newest of them is the value the tablet shows (it merges by version, as the node does).
            base.update((name, entry["version"]) for name in entry["data"]
                        if name in names and entry["version"] > base.get(name, ""))
    return base


def open_change(db, private_key, change, tablet_area, made=None, link_id=None):
    """Return the put a sealed change stands for; raise Unreadable, or PermissionError naming a worker refused.

    `made`: {(table, id): area} of the records opened earlier in the batch; this one is added.
    `link_id`: the tablet's link, whose own changes were in front of it (`seen_base`).
    """
    made = {} if made is None else made
    payload = open_entry(private_key, change.get("data") if isinstance(change.get("data"), dict) else {})
    table, values = _record(payload, change)
    worker = str(payload.get("worker", ""))[:40]
    if not active_worker(db, worker):
        raise PermissionError(worker)
    if table == "visits":
        values["visitor"] = worker  # the worker who captured it, whoever pushes it
    area, new = _area(db, table, change["row_id"], values, tablet_area, made)
    made[(table, change["row_id"])] = area
    data = {**values, "area": area} if new else values
    base = seen_base(db, table, change["row_id"], set(values), _seen(payload), link_id)
    return {"tbl": table, "op": "put", "row_id": change["row_id"], "version": change["version"], "area": area,
            "prev_area": None, "data": data, "base": base}


def unsealer(private_key, tablet_area, link_id=None):
    """Return the `unseal(db, changes)` hook of `sync.server.receive_push` for one tablet's push."""
    def unseal(db, changes):
        opened, refused, written, made = [], [], {}, {}
        for change in changes:
            if not isinstance(change, dict):
                opened.append(change)  # not a change at all: the usual screen refuses it
                continue
            if change.get("op") != SEALED:
                # The field app seals every entry and names its worker in it: a plain change from a tablet link
                # credits nobody the node can check, so it is held, whatever it says.
                refused.append((change, Refusal("not_sealed", "a tablet sends only sealed outbox entries")))
                continue
            try:
                put = open_change(db, private_key, change, tablet_area, made, link_id)
            except Unreadable as exc:
                refused.append((change, Refusal("unreadable", f"the sealed entry does not open here: {exc}")))
                continue
            except PermissionError as exc:
                refused.append((change, Refusal("not_a_worker",
                                                f"“{exc}” is not an active field worker of this village")))
                continue
            # An earlier entry of this batch, not applied yet, was in front of the tablet too.
            earlier = written.setdefault((put["tbl"], put["row_id"]), {})
            if put["base"] is not None:
                put["base"].update((name, version) for name, version in earlier.items()
                                   if name in put["data"] and version > put["base"].get(name, ""))
            earlier.update(dict.fromkeys(put["data"], put["version"]))
            opened.append(put)
        return opened, refused
    return unseal


def unsealer_for(node, link):
    """Return the unseal hook for pushes (and releases) of `link`: None unless it is a tablet of `node`."""
    if not link or link.get("kind") != TABLET:
        return None
    return unsealer(sealing_key(node.data_dir), link["area"], link["link_id"])
