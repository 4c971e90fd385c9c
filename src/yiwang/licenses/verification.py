"""公共验证服务 for an uploaded PDF: is the signature intact, who signed it, and is it the licence we archived?

One function, :func:`pdf_verify`, used by the public page (``views_verify``) and the API (``api``):

1. The signature is checked (``pades.verify_pdf``, offline) against the platform's seal authorities first. A
   signer trusted through them is looked up in the seal registry by certificate fingerprint → 本平台电子印章
   (seal name, department, whether it has been revoked since).
2. Otherwise against the certificates of other regions' issuers in the trust list (跨地区互认) → 互认地区签发机构.
3. Otherwise the signature may well be intact, but nobody we trust vouches for the signer: that answer
   ("签名完好，但签发机构不在本平台信任列表中") is kept apart from a broken or altered file.

Independently the file's SHA-256 is looked up among the archived licence faces (``License.pdf``): a match
means the file is byte for byte the one the platform issued, and the licence's current verdict (revoked,
expired, …) comes with it — a perfectly signed PDF of a revoked licence is still a revoked licence.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from django.db import models
from django.http import HttpRequest

from yiwang.core.ratelimit import attempt_allowed, client_address
from yiwang.licenses import pades
from yiwang.licenses.choices import SealStatus, Verdict
from yiwang.licenses.models import License, Seal, TrustedIssuer
from yiwang.licenses.selectors import Verification, license_verify
from yiwang.licenses.services import authority_certificates


class PdfOutcome(models.TextChoices):
    """结论 of a PDF check, from best to worst."""

    PLATFORM = "platform", "签名有效：本平台电子印章"
    MUTUAL = "mutual", "签名有效：互认地区签发机构"
    UNTRUSTED = "untrusted", "签名完好，但签发机构不在本平台信任列表中"
    CERTIFICATE = "certificate", "签名完好，但签名证书存在问题"
    TAMPERED = "tampered", "验证失败：文件已被篡改或签名无效"
    UNSIGNED = "unsigned", "文件不含电子签名"
    UNREADABLE = "unreadable", "无法读取该文件，不是有效的PDF"


TRUSTED_OUTCOMES = frozenset({PdfOutcome.PLATFORM, PdfOutcome.MUTUAL})
PLATFORM_SEAL = "本平台电子印章"
ARCHIVE_MATCH = "与本平台存档的电子证照一致"
ARCHIVE_MISS = "未在本平台存档中找到与该文件完全一致的电子证照"


@dataclass(frozen=True)
class SealSummary:
    """The seal registry's entry for the signer (电子印章登记信息), safe to show to anybody."""

    esid: str
    name: str
    department_name: str
    status: str
    status_label: str
    revoked: bool
    revoked_at: dt.datetime | None
    valid_from: dt.datetime
    valid_until: dt.datetime


@dataclass(frozen=True)
class IssuerSummary:
    """The trust list's entry that vouches for the signer (互认地区签发机构)."""

    name: str
    region_name: str


@dataclass(frozen=True)
class PdfCheck:
    """Everything the page and the API say about one uploaded PDF."""

    outcome: str  # PdfOutcome
    headline: str  # the outcome in one Chinese sentence
    detail: str  # why, and what to do
    signed: bool
    intact: bool  # the signed bytes are unchanged and nothing unsafe was appended
    valid: bool  # the signature value checks out against the signer's key
    trusted: bool  # the signer chains to the platform's seal authority or an issuer in the trust list
    signature_count: int
    signer_subject: str
    signer_fingerprint: str
    signing_time: dt.datetime | None  # declared by the signer, not proof of time
    trust_text: str  # 本平台电子印章 / 互认地区签发机构：<name>（<region>） / ""
    seal: SealSummary | None
    trusted_issuer: IssuerSummary | None
    sha256: str
    archive_match: bool
    archive_text: str
    verification: Verification | None  # the archived licence's current verdict when the file matches one

    @property
    def ok(self) -> bool:
        """The signature is intact, valid and vouched for (the licence's own status aside)."""
        return self.outcome in TRUSTED_OUTCOMES

    @property
    def outcome_label(self) -> str:
        return PdfOutcome(self.outcome).label


def _seal_summary(fingerprint: str) -> SealSummary | None:
    seal = Seal.objects.select_related("department").filter(certificate_fingerprint=fingerprint).first()
    if seal is None:
        return None
    return SealSummary(
        esid=seal.esid,
        name=seal.name,
        department_name=seal.department.name,
        status=seal.status,
        status_label=seal.get_status_display(),
        revoked=seal.status == SealStatus.REVOKED,
        revoked_at=seal.revoked_at,
        valid_from=seal.valid_from,
        valid_until=seal.valid_until,
    )


def _issuer_name(certificate_pem: bytes) -> bytes:
    """The DER of the certificate's issuer name (to pick the trust list entry that signed it)."""
    _kind, _headers, der = asn1_pem.unarmor(certificate_pem)
    return asn1_x509.Certificate.load(der).issuer.dump()


def _subject_name(certificate_pem: str) -> bytes:
    _kind, _headers, der = asn1_pem.unarmor(certificate_pem.encode("ascii"))
    return asn1_x509.Certificate.load(der).subject.dump()


def _vouching_issuer(data: bytes, found: pades.PdfVerification, issuers: list[TrustedIssuer]) -> TrustedIssuer | None:
    """Which trust list entry vouches for the signer: the signer itself, else the entry named as its issuer,
    else (a chain through an intermediate) the first entry that alone makes the signature trusted."""
    for issuer in issuers:
        if issuer.fingerprint == found.signer_fingerprint:
            return issuer
    try:
        issuer_name = _issuer_name(found.signer_certificate_pem)
        named = [i for i in issuers if _subject_name(i.certificate_pem) == issuer_name]
    except (ValueError, TypeError):
        named = []
    if len(named) == 1:
        return named[0]
    for issuer in named or issuers:
        alone = pades.verify_pdf(data, trust_roots_pem=[issuer.certificate_pem.encode("ascii")])
        if alone.trusted:
            return issuer
    return None


def successor_identifier(found: Verification) -> str:
    """The identifier of the version that replaced a superseded licence (the page links to it), else ""."""
    if found.verdict == Verdict.SUPERSEDED and found.license is not None:
        return found.license.next_version.identifier
    return ""


def _archived(sha256: str) -> Verification | None:
    license = License.objects.filter(pdf__sha256=sha256).only("identifier").order_by("-id").first()
    return license_verify(license.identifier) if license is not None else None


def _unsigned(outcome: PdfOutcome, detail: str, sha256: str, archived: Verification | None) -> PdfCheck:
    return PdfCheck(
        outcome=outcome,
        headline=outcome.label,
        detail=detail,
        signed=False,
        intact=False,
        valid=False,
        trusted=False,
        signature_count=0,
        signer_subject="",
        signer_fingerprint="",
        signing_time=None,
        trust_text="",
        seal=None,
        trusted_issuer=None,
        sha256=sha256,
        archive_match=archived is not None,
        archive_text=ARCHIVE_MATCH if archived is not None else ARCHIVE_MISS,
        verification=archived,
    )


def pdf_verify(data: bytes) -> PdfCheck:  # 公共验证：上传版式文件
    """Check an uploaded PDF's signature, its signer and whether it is a licence the platform archived.
    Never raises on bad input: unreadable, unsigned, altered and untrusted files all get an answer."""
    data = bytes(data)
    sha256 = hashlib.sha256(data).hexdigest()
    archived = _archived(sha256)
    found = pades.verify_pdf(data, trust_roots_pem=authority_certificates())
    if found.problem == pades.UNREADABLE:
        if data.lstrip()[:5] == b"%PDF-":  # a PDF whose structure or signature object was damaged
            return _unsigned(PdfOutcome.TAMPERED, "文件结构或签名已损坏，不能作为有效证照使用。", sha256, archived)
        return _unsigned(PdfOutcome.UNREADABLE, "请上传从本平台或其他地区下载的电子证照PDF原件。", sha256, archived)
    if not found.signed:
        return _unsigned(
            PdfOutcome.UNSIGNED,
            "该文件没有电子签章，无法证明其来源和完整性。打印件、截图或重新保存过的文件不能用于核验。",
            sha256,
            archived,
        )

    seal: SealSummary | None = None
    issuer: TrustedIssuer | None = None
    trust_text = ""
    if not (found.intact and found.valid):
        outcome = PdfOutcome.TAMPERED
        detail = f"{found.problem or pades.INVALID}。文件内容在签章后被改动，或签名已损坏，不能作为有效证照使用。"
    elif found.trusted:
        outcome = PdfOutcome.PLATFORM
        seal = _seal_summary(found.signer_fingerprint)
        trust_text = PLATFORM_SEAL
        if seal is None:
            detail = "签名证书由本平台电子印章制发机构签发，但未在印章登记簿中找到对应印章。"
        elif seal.revoked:
            detail = (
                f"签章印章：{seal.name}（{seal.department_name}）。该印章已于"
                f"{seal.revoked_at:%Y年%m月%d日}吊销，此前签发的证照仍可验证，请同时核对证照状态。"
            )
        else:
            detail = f"签章印章：{seal.name}（{seal.department_name}），印章状态：{seal.status_label}。"
    elif found.problem != pades.UNTRUSTED:
        # Chains to our authority but the certificate is out of date, revoked or not for signing.
        outcome = PdfOutcome.CERTIFICATE
        seal = _seal_summary(found.signer_fingerprint)
        detail = f"{found.problem}。签名本身完好，但签名证书目前不能被认定为有效。"
    else:
        issuers = list(TrustedIssuer.objects.filter(removed_at__isnull=True).order_by("id"))
        mutual = (
            pades.verify_pdf(data, trust_roots_pem=[i.certificate_pem.encode("ascii") for i in issuers])
            if issuers
            else None
        )
        if mutual is not None and mutual.trusted:
            issuer = _vouching_issuer(data, mutual, issuers)
            outcome = PdfOutcome.MUTUAL
            region = f"（{issuer.region_name}）" if issuer is not None and issuer.region_name else ""
            trust_text = f"互认地区签发机构：{issuer.name if issuer is not None else mutual.signer_subject}{region}"
            detail = f"签名者：{mutual.signer_subject}。签发机构在本平台的跨地区互认信任列表中。"
        elif mutual is not None and mutual.problem not in {pades.UNTRUSTED, ""}:
            outcome = PdfOutcome.CERTIFICATE
            detail = f"{mutual.problem}。签名本身完好，签发机构在互认信任列表中，但签名证书目前不能被认定为有效。"
        else:
            outcome = PdfOutcome.UNTRUSTED
            detail = (
                f"签名者：{found.signer_subject}。文件自签章后未被改动，但签发机构既不是本平台的电子印章制发机构，"
                "也不在跨地区互认信任列表中，本平台无法确认签发者的身份。请向出具该文件的机构核实。"
            )
    return PdfCheck(
        outcome=outcome,
        headline=outcome.label,
        detail=detail,
        signed=True,
        intact=found.intact,
        valid=found.valid,
        trusted=outcome in TRUSTED_OUTCOMES,
        signature_count=found.signature_count,
        signer_subject=found.signer_subject,
        signer_fingerprint=found.signer_fingerprint,
        signing_time=found.signing_time,
        trust_text=trust_text,
        seal=seal,
        trusted_issuer=IssuerSummary(name=issuer.name, region_name=issuer.region_name) if issuer else None,
        sha256=sha256,
        archive_match=archived is not None,
        archive_text=ARCHIVE_MATCH if archived is not None else ARCHIVE_MISS,
        verification=archived,
    )


# --------------------------------------------------------------------------- limits (防批量查询)

# Public look-ups are limited per client address, by the mechanism of the cases' public progress lookup
# (``cases.views_portal._progress_allowed``): a counter in the cache per address and window, every attempt
# counts. Identifiers carry 20 random characters, so guessing is hopeless anyway; the limits keep a scraper or
# a flood of PDF validations (CPU) from one address in check and stay far above what a hall's counter needs.
VERIFY_WINDOW_SECONDS = 600
VERIFY_LIMITS = {
    "lookup": 30,  # typed identifiers (the form and GET /api/v1/licenses/verify/{identifier})
    "scan": 120,  # the QR target /verify/<identifier>/ (a service hall behind one address scans many)
    "pdf": 20,  # uploaded PDFs (each costs a signature validation)
}
VERIFY_LIMITED = "查询过于频繁，请10分钟后再试。"


def verify_allowed(request: HttpRequest, bucket: str) -> bool:
    """At most ``VERIFY_LIMITS[bucket]`` public verifications from one address per ``VERIFY_WINDOW_SECONDS``."""
    key = f"yiwang:licenses:verify:{bucket}:{client_address(request)}"
    return attempt_allowed(key, limit=VERIFY_LIMITS[bucket], window_seconds=VERIFY_WINDOW_SECONDS)
