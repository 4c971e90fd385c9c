"""Key material for electronic seals (电子印章密钥) — pure functions, no models, no database.

* ``authority_create``: the platform's 电子印章制发机构 root, a self-signed ECDSA P-256 CA
  (``basicConstraints CA:TRUE, pathlen 0``: it signs seal certificates only, never another CA).
* ``seal_keys_create``: one seal's keys — an ECDSA P-256 key and a certificate signed by the authority for PAdES
  (the PDF face), and an SM2 key pair (tongsuopy) for 国密 signatures over the canonical metadata.
* ``certificate_summary`` / ``certificate_fingerprint``: what the trust list import shows and stores about a
  certificate of another region's issuer (跨地区互认).

Private keys come back as unencrypted PKCS#8 PEM: the caller encrypts them at rest (``yiwang.core.crypto``).
The seal certificate carries the organisation's code (统一社会信用代码) in ``OU`` so that any PDF reader showing
the signer shows which organisation sealed the licence.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from yiwang.licenses import sm2

# A seal certificate is backdated by this much so that a clock slightly behind on a verifier does not call a
# freshly issued licence "not yet valid".
_CLOCK_SKEW = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class SealKeys:
    """The key material of one electronic seal (电子印章)."""

    ecdsa_key_pem: bytes  # PKCS#8 PEM, unencrypted: the caller encrypts it at rest
    certificate_pem: bytes  # X.509 leaf signed by the authority, for PAdES
    sm2_key_pem: bytes  # PKCS#8 PEM of the SM2 key (国密), unencrypted
    sm2_public_pem: bytes  # SubjectPublicKeyInfo PEM of the SM2 key
    certificate_fingerprint: str  # SHA-256 of the certificate's DER, lower-case hex


def _now(now: dt.datetime | None) -> dt.datetime:
    moment = now or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        raise ValueError("时间必须带时区（aware datetime）")
    return moment.astimezone(dt.UTC)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _spki(public_key: Any) -> bytes:
    return bytes(public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))


def _name(*parts: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in parts if value])


def _require_text(value: str, what: str, limit: int = 64) -> str:
    value = value.strip()
    if not value:
        raise ValueError(f"{what}不能为空")
    if len(value) > limit:  # X.520 upper bound for CN / O / OU
        raise ValueError(f"{what}不能超过{limit}个字符")
    return value


def authority_create(name: str, *, valid_years: int = 20, now: dt.datetime | None = None) -> tuple[bytes, bytes]:
    """A self-signed root for the platform's seal authority (电子印章制发机构): (PKCS#8 PEM key, PEM certificate)."""
    name = _require_text(name, "制发机构名称")
    if valid_years < 1:
        raise ValueError("有效期至少为1年")
    start = _now(now) - _CLOCK_SKEW
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name((NameOID.COMMON_NAME, name), (NameOID.ORGANIZATION_NAME, name))
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(_add_years(start, valid_years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(key, hashes.SHA256())
    )
    return _key_pem(key), certificate.public_bytes(serialization.Encoding.PEM)


def _add_years(moment: dt.datetime, years: int) -> dt.datetime:
    """The same calendar day ``years`` later (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def seal_keys_create(
    *,
    authority_key_pem: bytes,
    authority_cert_pem: bytes,
    organisation_name: str,
    organisation_code: str,
    seal_name: str,
    valid_from: dt.datetime,
    valid_until: dt.datetime,
) -> SealKeys:
    """New keys for one seal (电子印章制发): ECDSA P-256 + certificate from the authority, and an SM2 key pair.

    Subject: ``CN`` = the seal's name, ``O`` = the organisation, ``OU`` = its code (统一社会信用代码). Key usage
    ``digitalSignature`` + ``nonRepudiation`` (what PDF validators ask of a signing certificate); no extended key
    usage, so NSS (pdfsig) and pyHanko both accept it for document signing.
    """
    organisation_name = _require_text(organisation_name, "单位名称")
    organisation_code = _require_text(organisation_code, "单位代码")
    seal_name = _require_text(seal_name, "印章名称")
    start, end = _now(valid_from), _now(valid_until)
    if end <= start:
        raise ValueError("印章有效期的结束时间必须晚于开始时间")
    authority_key = serialization.load_pem_private_key(authority_key_pem, password=None)
    authority_cert = x509.load_pem_x509_certificate(authority_cert_pem)
    if not isinstance(authority_key, ec.EllipticCurvePrivateKey):
        raise ValueError("制发机构密钥必须是 ECDSA 密钥")
    if _spki(authority_key.public_key()) != _spki(authority_cert.public_key()):
        raise ValueError("制发机构密钥与证书不匹配")
    if end > authority_cert.not_valid_after_utc:
        raise ValueError("印章有效期不能超过制发机构证书的有效期")

    key = ec.generate_private_key(ec.SECP256R1())
    authority_ski = authority_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    certificate = (
        x509.CertificateBuilder()
        .subject_name(
            _name(
                (NameOID.COMMON_NAME, seal_name),
                (NameOID.ORGANIZATIONAL_UNIT_NAME, organisation_code),
                (NameOID.ORGANIZATION_NAME, organisation_name),
                (NameOID.COUNTRY_NAME, "CN"),
            )
        )
        .issuer_name(authority_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(authority_ski), critical=False)
        .sign(authority_key, hashes.SHA256())
    )
    sm2_key_pem, sm2_public_pem = sm2.sm2_keypair_create()
    return SealKeys(
        ecdsa_key_pem=_key_pem(key),
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM),
        sm2_key_pem=sm2_key_pem,
        sm2_public_pem=sm2_public_pem,
        certificate_fingerprint=hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest(),
    )


def load_certificate(pem_or_der: bytes) -> x509.Certificate:
    """One X.509 certificate from PEM (the first one in the text) or DER; ``ValueError`` in Chinese otherwise."""
    data = bytes(pem_or_der or b"")
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            return x509.load_pem_x509_certificates(data)[0]
        return x509.load_der_x509_certificate(data)
    except (ValueError, TypeError, IndexError) as exc:
        raise ValueError("不是有效的证书文件（需为 PEM 或 DER 格式的 X.509 证书）") from exc


def certificate_fingerprint(pem_or_der: bytes) -> str:
    """SHA-256 of the certificate's DER encoding, lower-case hex (证书指纹)."""
    return hashlib.sha256(load_certificate(pem_or_der).public_bytes(serialization.Encoding.DER)).hexdigest()


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def certificate_summary(pem_or_der: bytes) -> dict[str, Any]:
    """What a person checks before trusting a certificate (信任列表导入): names, serial, validity, fingerprint."""
    certificate = load_certificate(pem_or_der)
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
        is_ca = constraints.ca
    except x509.ExtensionNotFound:
        is_ca = False
    return {
        "subject_cn": _attribute(certificate.subject, NameOID.COMMON_NAME),
        "subject_o": _attribute(certificate.subject, NameOID.ORGANIZATION_NAME),
        "subject_ou": _attribute(certificate.subject, NameOID.ORGANIZATIONAL_UNIT_NAME),
        "subject": certificate.subject.rfc4514_string(),
        "serial": format(certificate.serial_number, "x"),
        "not_before": certificate.not_valid_before_utc,
        "not_after": certificate.not_valid_after_utc,
        "issuer_cn": _attribute(certificate.issuer, NameOID.COMMON_NAME),
        "issuer": certificate.issuer.rfc4514_string(),
        "is_ca": is_ca,
        "fingerprint": hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest(),
        "pem": certificate.public_bytes(serialization.Encoding.PEM),
    }
