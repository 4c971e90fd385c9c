"""AES-GCM encryption at rest and the blind index."""

from __future__ import annotations

import base64
import os

import pytest

from yiwang.core import crypto

CONTEXT = "accounts.NaturalPerson.id_number"


def test_round_trip_and_fresh_nonce_each_time():
    first = crypto.encrypt("371302198506010126", context=CONTEXT)
    second = crypto.encrypt("371302198506010126", context=CONTEXT)
    assert first != second
    assert crypto.decrypt(first, context=CONTEXT) == "371302198506010126"


def test_a_flipped_byte_is_detected():
    token = crypto.encrypt("371302198506010126", context=CONTEXT)
    key_id, payload = token.split(":")
    raw = bytearray(base64.b64decode(payload))
    raw[-1] ^= 0x01
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(f"{key_id}:{base64.b64encode(bytes(raw)).decode()}", context=CONTEXT)


def test_blind_index_is_deterministic_keyed_and_context_bound(settings):
    index = crypto.blind_index("371302198506010126", context=CONTEXT)
    assert index == crypto.blind_index("371302198506010126", context=CONTEXT)
    assert index != crypto.blind_index("371302198506010126", context="other.column")
    assert "371302" not in index
    settings.YIWANG_DATA_KEY = os.urandom(32)
    crypto.reset_key_cache()
    assert crypto.blind_index("371302198506010126", context=CONTEXT) != index


def test_rotated_key_still_decrypts_old_rows(settings):
    old_token = crypto.encrypt("371302198506010126", context=CONTEXT)
    settings.YIWANG_DATA_KEYS_RETIRED = [settings.YIWANG_DATA_KEY]
    settings.YIWANG_DATA_KEY = os.urandom(32)
    crypto.reset_key_cache()
    assert crypto.decrypt(old_token, context=CONTEXT) == "371302198506010126"
    new_token = crypto.encrypt("371302198506010126", context=CONTEXT)
    assert new_token.split(":")[0] != old_token.split(":")[0]


def test_unknown_key_id_is_refused():
    with pytest.raises(crypto.DecryptionError, match="no configured key"):
        crypto.decrypt("deadbeef:AAAA", context=CONTEXT)
