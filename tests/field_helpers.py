"""Helpers of the field app tests: sealing an outbox entry as a tablet does, a server that can stop and start."""
import base64
import hashlib
import json
import os

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives import hashes

from village.field.outbox import INFO, _raw


def _sealed(node_key_text, name, plain):
    """Return {eph, iv, ct}: the bytes `plain` sealed to the node under `name` (the scheme of static/field/app/crypt.js)."""
    node_key = X25519PublicKey.from_public_bytes(base64.b64decode(node_key_text))
    ephemeral = X25519PrivateKey.generate()
    eph_raw = _raw(ephemeral.public_key())
    key = HKDF(hashes.SHA256(), 32, salt=eph_raw + _raw(node_key), info=INFO).derive(ephemeral.exchange(node_key))
    iv = os.urandom(12)
    sealed = AESGCM(key).encrypt(iv, plain, name.encode())
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return {"eph": b64(eph_raw), "iv": b64(iv), "ct": b64(sealed)}


def seal(node_key_text, entry_id, payload):
    """Return the sealed entry a tablet would send for `payload` (the scheme of static/field/app/crypt.js)."""
    return {"id": entry_id, **_sealed(node_key_text, entry_id, json.dumps(payload).encode())}


def sealed_photo(node, data, name=None, size=None):
    """Return a photo as an export file carries it (static/field/app/rescue.js): its bytes sealed to `node` under its
    name, the SHA-256 of `data` unless `name` is given (and its size, unless `size` is)."""
    from village.keys import public_key_text

    name = name or hashlib.sha256(data).hexdigest()
    return {"sha256": name, "size": len(data) if size is None else size,
            **_sealed(public_key_text(node.data_dir), name, data)}


class Restartable:
    """A node's app served by cheroot on one fixed port, stopped and started again (the node out of range)."""

    def __init__(self, app, port):
        self.app, self.port, self.server = app, port, None
        self.url = f"http://127.0.0.1:{port}"

    def start(self):
        from tests.conftest import start_cheroot

        self.server = start_cheroot(self.app, self.port)
        return self

    def stop(self):
        if self.server is not None:
            self.server.stop()  # the node leaves range: its kept-alive connections go too
            self.server = None


def sealed_change(node, tablet_id, table, values, clock, record=None, worker="field1", area=None, seen=None):
    """Return the change a tablet's batch carries for one outbox entry: sealed to `node`, version in clear.

    `seen`: the node's change number the worker's copy of the village was pulled up to (None: an older app's
    entry, which says nothing of it).
    """
    import uuid

    from sync.clock import make_version
    from village.field.outbox import SEALED
    from village.keys import public_key_text

    entry_id, record = str(uuid.uuid4()), record or str(uuid.uuid4())
    version = make_version(clock.now(), tablet_id)
    payload = {"id": entry_id, "table": table, "record": record, "values": values, "worker": worker,
               "saved_at": 0, "version": version, **({"seen": seen} if seen is not None else {})}
    return {"tbl": SEALED, "op": SEALED, "row_id": record, "version": version, "area": area or node.area,
            "prev_area": None, "data": seal(public_key_text(node.data_dir), entry_id, payload), "base": None}


def export_file(client, batch, photos=(), fmt=None):
    """Return the bytes of an "Export unsynced" file of the tablet `client` (a HubClient) holding `batch` and
    `photos` (sealed_photo's), signed as the tablet signs it (format `fmt`, the current one unless given)."""
    from sync.auth import sign
    from village.field.rescue import FORMAT, SIGNED_AS, signed_body

    method, path, nonce = SIGNED_AS
    photos = list(photos)
    return json.dumps({"format": fmt or FORMAT, "link": client.node_id, "tablet": "t", "made_at": 0,
                       "signature": sign(client.secret, method, path, signed_body(batch, photos), nonce,
                                         client.node_id),
                       "batch": base64.b64encode(batch).decode(), "photos": photos, "photos_left": 0}).encode()
