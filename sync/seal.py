"""Sealed payloads: bytes only the holder of the recipient's X25519 private key can read.

A sealed box as libsodium makes it, from the primitives of `cryptography`: the sender makes a
one-time X25519 key pair, agrees a key with the recipient's public key (X25519, then
HKDF-SHA256 over both public keys) and encrypts each payload with ChaCha20-Poly1305. The
one-time key is used for one file only, so the payload's index is a safe nonce; the index and
the payload count are authenticated too, so payloads cannot be reordered, dropped or added.
The sender is not identified by the seal (a bundle's HMAC signature does that).
"""
import base64
import hashlib

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

INFO = b"village-bundle-seal/1"


class SealError(ValueError):
    """A key or a sealed payload that cannot be used (wrong key, damaged or forged bytes)."""


def _raw(public_key):
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_text(private_key):
    """Return the public half of `private_key` as base64 text (what the other side stores)."""
    return base64.b64encode(_raw(private_key.public_key())).decode("ascii")


def load_public(text):
    """Return the X25519 public key written as base64 `text`; raise SealError when it is not one."""
    try:
        raw = base64.b64decode(text or "", validate=True)
        return X25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise SealError("not an X25519 public key") from None


def fingerprint(public_key_text):
    """Return a short hex fingerprint of a public key (names the recipient in a bundle header)."""
    return hashlib.sha256(base64.b64decode(public_key_text)).hexdigest()[:16]


def _aead(shared, ephemeral_raw, recipient_raw):
    key = HKDF(hashes.SHA256(), 32, salt=ephemeral_raw + recipient_raw, info=INFO).derive(shared)
    return ChaCha20Poly1305(key)


def _nonce_and_aad(index, count):
    return index.to_bytes(12, "big"), f"{index}/{count}".encode()


class Sealer:
    """Seal the payloads of one file to one recipient (a new one-time key per Sealer)."""

    def __init__(self, recipient_text):
        recipient = load_public(recipient_text)
        ephemeral = X25519PrivateKey.generate()
        self.ephemeral_text = public_text(ephemeral)
        self.recipient = fingerprint(recipient_text)
        self._aead = _aead(ephemeral.exchange(recipient), _raw(ephemeral.public_key()), _raw(recipient))

    def seal(self, index, count, payload):
        """Return payload `index` of `count`, encrypted and authenticated."""
        nonce, aad = _nonce_and_aad(index, count)
        return self._aead.encrypt(nonce, payload, aad)


class Opener:
    """Open the payloads sealed to `private_key` under the one-time key `ephemeral_text`."""

    def __init__(self, private_key, ephemeral_text):
        ephemeral = load_public(ephemeral_text)
        self._aead = _aead(private_key.exchange(ephemeral), _raw(ephemeral), _raw(private_key.public_key()))

    def open(self, index, count, sealed):
        """Return the plain bytes of payload `index` of `count`; raise SealError when they were altered."""
        nonce, aad = _nonce_and_aad(index, count)
        try:
            return self._aead.decrypt(nonce, sealed, aad)
        except InvalidTag:
            raise SealError("the payload does not open with this key") from None
