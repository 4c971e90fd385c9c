"""PAdES signatures on licence faces (电子签章) through pyHanko: sign with a seal's key, verify anywhere.

* ``SealSigner``: a pyHanko ``SimpleSigner`` built once per seal with the parsed key held in memory. The stock
  ``sign_raw`` re-parses the key for every signature, and without ``bytes_reserved`` pyHanko signs twice (a dry
  run to size the placeholder); together that halves the signing rate (STANDARDS §10).
* ``sign_pdf``: one PAdES baseline signature (``/SubFilter /ETSI.CAdES.detached``, SHA-256), an invisible field:
  the seal image is already drawn on the face.
* ``verify_pdf``: offline validation (no fetching of CRLs, OCSP or certificates) against the trust roots the
  caller passes — our seal authority and the imported issuers of other regions (跨地区互认). Never raises:
  whatever is uploaded gets an answer with a reason in Chinese.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, TypeVar

from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from asn1crypto.keys import PrivateKeyInfo
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

T = TypeVar("T")
logger = logging.getLogger(__name__)

# Room for the CMS object: two P-256 certificates and the signed attributes take ~2 KB; RSA-4096 chains
# of three still fit. Reserving it skips pyHanko's dry-run signature.
BYTES_RESERVED = 8192

UNREADABLE = "无法读取该文件，不是有效的PDF"
NOT_SIGNED = "文件不含电子签名"
MODIFIED = "签名后文件被修改"
INVALID = "签名无效"
UNTRUSTED = "签名证书不在信任列表中"
REVOKED = "签名证书已被吊销"
OUT_OF_DATE = "签名证书不在有效期内"
UNUSABLE = "签名证书不能用于电子签章"
UNSUPPORTED = "签名使用国密（SM2/SM3）算法，本服务暂不能校验此类PDF签名"
_GM_OID_PREFIX = "1.2.156.10197."  # 国家密码管理局 algorithm arc (SM2 1.2.156.10197.1.301, SM3 ….1.401)

# What may follow a signature without making the signed document "modified": nothing, archival updates
# (DSS, document timestamps), or further signatures / form filling. Annotations (a drawn stamp, a note over
# a value) and anything else count as modification.
_SAFE_LEVELS = frozenset({ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING})
# A seal certificate from another region's issuer may carry either bit; ours carry both.
_KEY_USAGE = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False)


def _der_certificates(data: bytes) -> list[bytes]:
    """Every certificate in PEM text (several blocks allowed) or one DER certificate."""
    data = bytes(data)
    if asn1_pem.detect(data):
        return [der for kind, _headers, der in asn1_pem.unarmor(data, multiple=True) if kind == "CERTIFICATE"]
    return [data]


def _certificate(data: bytes) -> asn1_x509.Certificate:
    ders = _der_certificates(data)
    if not ders:
        raise ValueError("不是有效的证书")
    certificate = asn1_x509.Certificate.load(ders[0])
    certificate.native  # noqa: B018 — parse everything now: asn1crypto is lazy and would fail later
    return certificate


class SealSigner(signers.SimpleSigner):
    """A pyHanko signer for one seal, built once: the private key stays parsed in memory."""

    def __init__(self, key_pem: bytes, certificate_pem: bytes, chain_pems: Sequence[bytes] = ()) -> None:
        private_key = serialization.load_pem_private_key(bytes(key_pem), password=None)
        if not isinstance(private_key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            raise ValueError("印章密钥必须是 ECDSA 或 RSA 密钥")
        certificate = _certificate(certificate_pem)
        public_der = private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        if public_der != certificate.public_key.dump():
            raise ValueError("印章密钥与证书不匹配")
        chain = [asn1_x509.Certificate.load(der) for pem in chain_pems for der in _der_certificates(pem)]
        key_der = private_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        super().__init__(
            signing_cert=certificate,
            signing_key=PrivateKeyInfo.load(key_der),
            cert_registry=SimpleCertificateStore.from_certs(chain),
        )
        self._private_key = private_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        """Sign with the key parsed once in ``__init__`` (the stock implementation re-parses it every time)."""
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        key = self._private_key
        if mechanism == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
        if mechanism == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
        return super().sign_raw(data, digest_algorithm)  # anything else: pyHanko's own (slower) path


@lru_cache(maxsize=32)
def _signer_cached(key_pem: bytes, certificate_pem: bytes, chain_pems: tuple[bytes, ...]) -> SealSigner:
    return SealSigner(key_pem, certificate_pem, chain_pems)


def signer_for(key_pem: bytes, certificate_pem: bytes, chain_pems: Iterable[bytes] = ()) -> SealSigner:
    """The ``SealSigner`` for this key and certificate, built once per process (cached by the bytes)."""
    return _signer_cached(bytes(key_pem), bytes(certificate_pem), tuple(bytes(pem) for pem in chain_pems))


def _outside_event_loop(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``function`` here, or in a worker thread when this thread already runs an asyncio loop.

    pyHanko's synchronous API wraps coroutines in ``asyncio.run``, which refuses to start inside a running
    loop (an ASGI server, or Playwright's sync API in tests); a worker thread has no loop of its own.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def sign_pdf(
    pdf: bytes,
    signer: SealSigner,
    *,
    reason: str = "电子证照签发",
    location: str = "",
    field_name: str = "Seal",
) -> bytes:
    """``pdf`` with one more PAdES signature (an incremental update; the bytes before it are kept)."""
    return _outside_event_loop(_sign, pdf, signer, reason=reason, location=location, field_name=field_name)


def _sign(pdf: bytes, signer: SealSigner, *, reason: str, location: str, field_name: str) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason or None,
        location=location or None,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
    )
    output = signers.sign_pdf(writer, metadata, signer=signer, bytes_reserved=BYTES_RESERVED)
    return bytes(output.getvalue())


@dataclass(frozen=True)
class PdfVerification:
    """What ``verify_pdf`` found (公共验证服务): each check separately, and the first problem in Chinese."""

    signed: bool  # the file has at least one signature
    intact: bool  # the signed bytes are unchanged and nothing unsafe was appended after the signature
    valid: bool  # the signature value (over the signed attributes) checks out against the signer's key
    trusted: bool  # intact, and the signer certificate chains to a trust root, valid at the check time
    signer_fingerprint: str = ""  # SHA-256 of the signer certificate's DER
    signer_subject: str = ""  # "CN（O）"
    signer_certificate_pem: bytes = b""
    signing_time: dt.datetime | None = None  # as the signer declared it (/M): not proof of time
    problem: str = ""  # empty when everything holds
    signature_count: int = 0

    @property
    def ok(self) -> bool:
        return self.signed and self.intact and self.valid and self.trusted and not self.problem


@lru_cache(maxsize=64)
def _trust_roots(pems: tuple[bytes, ...]) -> tuple[asn1_x509.Certificate, ...]:
    roots = []
    for pem in pems:
        try:
            roots.append(_certificate(pem))
        except Exception:  # an unreadable entry in the trust list must not break every verification
            logger.warning("信任列表中有无法解析的证书，已忽略")
    return tuple(roots)


def _name_part(certificate: asn1_x509.Certificate, field: str) -> str:
    value = certificate.subject.native.get(field, "")
    return str(value[0] if isinstance(value, list) else value)


def _subject(certificate: asn1_x509.Certificate) -> str:
    common, organisation = _name_part(certificate, "common_name"), _name_part(certificate, "organization_name")
    if common and organisation and common != organisation:
        return f"{common}（{organisation}）"
    return common or organisation or certificate.subject.human_friendly


def _uses_gm_algorithms(embedded: EmbeddedPdfSignature) -> bool:
    """Whether the signature names an SM2/SM3 algorithm (as some Chinese vendors' PDF seals do)."""
    try:
        info = embedded.signer_info
        oids = (info["digest_algorithm"]["algorithm"].dotted, info["signature_algorithm"]["algorithm"].dotted)
    except Exception:
        return False
    return any(oid.startswith(_GM_OID_PREFIX) for oid in oids)


def _trust_problem(indication: object) -> str:
    name = getattr(indication, "name", "")
    if name.startswith("REVOKED"):
        return REVOKED
    if name in {"EXPIRED", "NOT_YET_VALID", "OUT_OF_BOUNDS_NO_POE", "OUT_OF_BOUNDS_NOT_REVOKED"}:
        return OUT_OF_DATE
    if name in {"SIG_CONSTRAINTS_FAILURE", "CHAIN_CONSTRAINTS_FAILURE"}:
        return UNUSABLE
    return UNTRUSTED


def verify_pdf(
    pdf: bytes,
    *,
    trust_roots_pem: list[bytes],
    validation_time: dt.datetime | None = None,
) -> PdfVerification:
    """Check the signatures of an uploaded PDF offline; never raises.

    The result describes the first signature (on a licence face: the issuing seal's); every later signature
    must also be intact and valid. ``validation_time`` (default: now) is when the certificates must be valid.
    """
    return _outside_event_loop(_verify, pdf, trust_roots_pem, validation_time)


def _verify(pdf: bytes, trust_roots_pem: list[bytes], validation_time: dt.datetime | None) -> PdfVerification:
    try:
        reader = PdfFileReader(io.BytesIO(bytes(pdf)), strict=False)
        signatures = list(reader.embedded_signatures)
    except Exception:
        return PdfVerification(signed=False, intact=False, valid=False, trusted=False, problem=UNREADABLE)
    if not signatures:
        return PdfVerification(signed=False, intact=False, valid=False, trusted=False, problem=NOT_SIGNED)

    roots = _trust_roots(tuple(bytes(pem) for pem in trust_roots_pem))
    results = [_verify_one(embedded, roots, validation_time) for embedded in signatures]
    result = replace(results[0], signature_count=len(results))
    # A later signature that is broken, or an unsafe change after it, spoils the document as a whole.
    later = next((later.problem for later in results[1:] if later.problem in {MODIFIED, INVALID}), "")
    if later and not result.problem:
        result = replace(result, intact=False, problem=later)
    return result


def _verify_one(
    embedded: EmbeddedPdfSignature, roots: tuple[asn1_x509.Certificate, ...], validation_time: dt.datetime | None
) -> PdfVerification:
    context = ValidationContext(trust_roots=list(roots), allow_fetching=False, moment=validation_time)
    try:
        status = validate_pdf_signature(embedded, context, key_usage_settings=_KEY_USAGE)
    except Exception as exc:  # a damaged CMS object, an unsupported algorithm, a broken update section …
        logger.info("签名无法校验：%s", exc)
        problem = UNSUPPORTED if _uses_gm_algorithms(embedded) else INVALID
        return PdfVerification(signed=True, intact=False, valid=False, trusted=False, problem=problem)
    digest_ok = bool(status.intact)
    valid = bool(status.valid)
    intact = digest_ok and status.modification_level in _SAFE_LEVELS
    trusted = bool(status.trusted) and intact
    if not digest_ok or (valid and not intact):
        problem = MODIFIED
    elif not valid:
        problem = INVALID
    elif not trusted:
        problem = _trust_problem(status.trust_problem_indic)
    else:
        problem = ""
    der = status.signing_cert.dump()
    return PdfVerification(
        signed=True,
        intact=intact,
        valid=valid,
        trusted=trusted,
        signer_fingerprint=hashlib.sha256(der).hexdigest(),
        signer_subject=_subject(status.signing_cert),
        signer_certificate_pem=asn1_pem.armor("CERTIFICATE", der),
        signing_time=status.signer_reported_dt,
        problem=problem,
    )
