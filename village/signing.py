"""Signed certificates: Ed25519 signatures made by a node, checked at /verify/<payload> by anyone.

The private key stays in the issuing node's data directory. Public keys are not secret: a
node verifies its own certificates and those of every node whose public key it holds in
`<data dir>/cert_keys/<node_id>.pub` (see docs/certificates.md).
"""
import base64
import json
import os
import re

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PRIVATE_KEY_FILE = "cert_signing_key.pem"
KEYS_DIR = "cert_keys"
NODE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signing_key(node):
    """Return the node's Ed25519 private key, making and storing it (mode 0600) on first use."""
    path = node.data_dir / PRIVATE_KEY_FILE
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())
        # os.replace is atomic: a second thread never reads half a key; the first one written wins.
        if not path.exists():
            os.replace(tmp, path)
        else:
            tmp.unlink()
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def public_key_text(node):
    """Return the node's public key as one line of base64 (what other nodes store)."""
    raw = signing_key(node).public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def known_public_key(node, issuer):
    """Return the public key of node `issuer` as known to `node`, or None."""
    if issuer == node.node_id:
        return signing_key(node).public_key()
    if not NODE_ID_RE.match(issuer or ""):
        return None
    path = node.data_dir / KEYS_DIR / f"{issuer}.pub"
    if not path.exists():
        return None
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(path.read_text().strip()))


def sign(node, facts):
    """Return `facts` (a dict) with the issuing node's id, signed, as a URL-safe payload."""
    body = json.dumps({**facts, "n": node.node_id}, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    data = body.encode("utf-8")
    return f"{_b64(data)}.{_b64(signing_key(node).sign(data))}"


def check(node, payload):
    """Return (facts, None) for a payload with a good signature, else (facts or None, reason)."""
    try:
        body, signature = payload.split(".")
        data, sig = _unb64(body), _unb64(signature)
        facts = json.loads(data.decode("utf-8"))
        if not isinstance(facts, dict):
            raise ValueError
    except (ValueError, UnicodeDecodeError):
        return None, "malformed"
    key = known_public_key(node, str(facts.get("n", "")))
    if key is None:
        return facts, "unknown_issuer"
    try:
        key.verify(sig, data)
    except InvalidSignature:
        return facts, "bad_signature"
    return facts, None
