"""The node's sealing key: an X25519 key pair that bundles on a USB stick are encrypted to.

Every node makes one at `village init` (older nodes on first use) and keeps the private half in
`<data dir>/sealing_key.pem`, mode 0600. A hub hands its public half to each village that
enrolls; a village puts its own public half in every push bundle, and the hub seals the reply
to it. See docs/security.md.
"""
import os
import secrets

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from sync.files import write_new

SEALING_KEY_FILE = "sealing_key.pem"


def sealing_key(data_dir):
    """Return the node's X25519 private key, making and storing it (mode 0600) on first use."""
    path = data_dir / SEALING_KEY_FILE
    if not path.exists():
        key = X25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        tmp = path.with_name(f"{path.name}.{secrets.token_hex(4)}.part")
        try:
            write_new(tmp, [pem])
            # link, not replace: when two processes race, the first key stays (a hub may have
            # handed its public half out already).
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def public_key_text(data_dir):
    """Return the public half of the node's sealing key as base64 (what the other side stores)."""
    from sync.seal import public_text

    return public_text(sealing_key(data_dir))
