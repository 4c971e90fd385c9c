"""SM2 signatures (国密 SM3withSM2) through tongsuopy (Tongsuo via cffi).

Never ``gmssl``: its pure-Python SM2 draws the signing nonce from ``random`` (not a CSPRNG), and a predictable
nonce reveals the private key (STANDARDS §10). Parsed keys are cached by their PEM bytes: parsing costs more
than a signature, and a seal signs many licences.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from tongsuopy.crypto import hashes, serialization
from tongsuopy.crypto.asymciphers import ec
from tongsuopy.crypto.exceptions import InternalError, InvalidSignature, UnsupportedAlgorithm


def sm2_keypair_create() -> tuple[bytes, bytes]:
    """A new SM2 key pair: (PKCS#8 PEM private key, unencrypted; SubjectPublicKeyInfo PEM public key)."""
    key = ec.generate_private_key(ec.SM2())
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


@lru_cache(maxsize=64)
def _private_key(private_pem: bytes) -> Any:
    try:
        key = serialization.load_pem_private_key(private_pem, password=None)
    except (UnsupportedAlgorithm, InternalError, TypeError) as exc:  # e.g. a P-256 key: Tongsuo knows SM2 only here
        raise ValueError("不是 SM2 私钥") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SM2):
        raise ValueError("不是 SM2 私钥")
    return key


@lru_cache(maxsize=256)
def _public_key(public_pem: bytes) -> Any:
    try:
        key = serialization.load_pem_public_key(public_pem)
    except (UnsupportedAlgorithm, InternalError, TypeError) as exc:
        raise ValueError("不是 SM2 公钥") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SM2):
        raise ValueError("不是 SM2 公钥")
    return key


def sm2_public_pem(private_pem: bytes) -> bytes:
    """The public key (SubjectPublicKeyInfo PEM) of an SM2 private key."""
    return bytes(
        _private_key(bytes(private_pem))
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def sm2_sign(private_pem: bytes, data: bytes) -> bytes:
    """SM3withSM2 signature of ``data`` (DER ``SEQUENCE { r, s }``); the SM3 digest includes Z with the default ID."""
    return bytes(_private_key(bytes(private_pem)).sign(bytes(data), ec.ECDSA(hashes.SM3())))


def sm2_verify(public_pem: bytes, data: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is a valid SM3withSM2 signature of ``data``; ``False`` for malformed input too."""
    try:
        key = _public_key(bytes(public_pem))
    except ValueError:
        return False
    try:
        key.verify(bytes(signature), bytes(data), ec.ECDSA(hashes.SM3()))
    except (InvalidSignature, InternalError, ValueError, TypeError):  # InternalError: signature not DER
        return False
    return True
