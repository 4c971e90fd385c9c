"""Encryption at rest for personal identifiers (个人信息加密存储).

* ``encrypt``/``decrypt``: AES-256-GCM (``cryptography``) with a random 96-bit nonce. The associated
  data binds a ciphertext to its column (``accounts.NaturalPerson.id_number``), so a value copied from
  one column into another does not decrypt. Stored as ``<key id>:<base64(nonce || ciphertext+tag)>``;
  the key id lets old rows decrypt after a key rotation (``YIWANG_DATA_KEYS_RETIRED``).
* ``blind_index``: a keyed HMAC-SHA256 of the normalised value, for exact lookup without decrypting
  every row. The HMAC key is derived from the data key with HKDF, separate from the encryption key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class DecryptionError(RuntimeError):
    """The stored value cannot be decrypted with any configured key (wrong key or altered data)."""


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"yiwang/" + purpose).derive(master)


@cache
def _keys() -> tuple[tuple[str, AESGCM], dict[str, AESGCM], bytes]:
    current = settings.YIWANG_DATA_KEY
    everything = [current, *settings.YIWANG_DATA_KEYS_RETIRED]
    by_id: dict[str, AESGCM] = {}
    for master in everything:
        key_id = hashlib.sha256(master).hexdigest()[:8]
        by_id[key_id] = AESGCM(_derive(master, b"aes-gcm"))
    current_id = hashlib.sha256(current).hexdigest()[:8]
    return (current_id, by_id[current_id]), by_id, _derive(current, b"blind-index")


def reset_key_cache() -> None:
    """Forget derived keys (tests that change the settings call this)."""
    _keys.cache_clear()


def encrypt(plaintext: str, *, context: str) -> str:
    (key_id, aead), _, _ = _keys()
    nonce = os.urandom(12)
    sealed = aead.encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
    return f"{key_id}:{base64.b64encode(nonce + sealed).decode('ascii')}"


def decrypt(token: str, *, context: str) -> str:
    _, by_id, _ = _keys()
    key_id, _, payload = token.partition(":")
    aead = by_id.get(key_id)
    if aead is None:
        raise DecryptionError(f"no configured key with id {key_id}")
    raw = base64.b64decode(payload)
    try:
        return aead.decrypt(raw[:12], raw[12:], context.encode("utf-8")).decode("utf-8")
    except InvalidTag as exc:
        raise DecryptionError("ciphertext or key does not match") from exc


def blind_index(value: str, *, context: str) -> str:
    """Deterministic keyed digest used only for equality lookup (never shown, never reversible)."""
    _, _, index_key = _keys()
    message = context.encode("utf-8") + b"\x00" + value.encode("utf-8")
    return hmac.new(index_key, message, hashlib.sha256).hexdigest()
