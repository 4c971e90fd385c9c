"""Reads of the licences app: the holder's wallet, the issuer's lists, public verification."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from yiwang.accounts.permissions import Action, department_q
from yiwang.accounts.selectors import enterprises_for_user
from yiwang.core.masking import mask_name
from yiwang.licenses.choices import LicenseStatus, Verdict
from yiwang.licenses.identifiers import is_well_formed, normalize
from yiwang.licenses.models import Dispute, License, LicenseUse
from yiwang.regions.models import Department


def holder_licenses(user: Any) -> QuerySet[License]:
    """我的证照: the citizen's own licences and those of the enterprises he may act for now (法定代表人 or a
    经办人 whose grant is in force) — the same reach as his cases (``cases.selectors.applicant_case_q``)."""
    if user is None or not user.is_authenticated:
        return License.objects.none()
    q = Q(holder_person__user=user) | Q(holder_enterprise__in=enterprises_for_user(user=user).values("pk"))
    return License.objects.filter(q).select_related("type", "issuer", "pdf")


def license_uses(license: License) -> QuerySet[LicenseUse]:
    return license.uses.select_related("case").order_by("-at", "-id")


def issuer_licenses(user: Any) -> QuerySet[License]:
    """Licences issued by the departments the user manages licences for (颁发机构)."""
    departments = Department.objects.filter(department_q(user, Action.LICENSE_MANAGE))
    return License.objects.filter(issuer__in=departments).select_related("type", "issuer")


def issuer_disputes(user: Any) -> QuerySet[Dispute]:
    return Dispute.objects.filter(license__in=issuer_licenses(user)).select_related("license", "license__type")


def live_license_for(holder_type: str, index: str, type_code: str, *, on: dt.date | None = None) -> License | None:
    """The holder's valid licence of a type on ``on`` (today), newest first, or None."""
    day = on or timezone.localdate()
    return (
        License.objects.select_related("type")
        .filter(
            holder_type=holder_type,
            holder_code_index=index,
            type__code=type_code,
            status=LicenseStatus.VALID,
            valid_from__lte=day,
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
        .order_by("-issued_on", "-id")
        .first()
    )


@dataclass(frozen=True)
class Verification:
    """公共验证结论 of one identifier, safe to show to anybody (the face data masked)."""

    verdict: str
    identifier: str
    license: License | None = None
    lines: list[tuple[str, str]] = field(default_factory=list)  # (label, masked value)
    metadata_intact: bool | None = None  # the SM2 signature over the stored metadata still verifies

    @property
    def verdict_label(self) -> str:
        return Verdict(self.verdict).label


def _mask_value(value: str) -> str:
    """Face data for the public: the first and last characters kept, the middle starred."""
    text = value.strip()
    if len(text) <= 2:
        return text[:1] + "*" * (len(text) - 1)
    keep = max(1, len(text) // 4)
    return text[:keep] + "*" * (len(text) - 2 * keep) + text[-keep:]


def license_verify(identifier: str, *, on: dt.date | None = None) -> Verification:
    """公共验证: authentic / suspended / revoked / expired / superseded / unknown, with masked face data."""
    from yiwang.licenses.services import face_data, metadata_signature_valid, validity_text

    text = normalize(identifier)
    if not is_well_formed(text):
        return Verification(verdict=Verdict.UNKNOWN, identifier=text)
    license = License.objects.select_related("type", "issuer", "seal", "pdf").filter(identifier=text).first()
    if license is None:
        return Verification(verdict=Verdict.UNKNOWN, identifier=text)
    day = on or timezone.localdate()
    if license.status == LicenseStatus.LAPSED and hasattr(license, "next_version"):
        verdict = Verdict.SUPERSEDED
    elif license.status == LicenseStatus.SUSPENDED:
        verdict = Verdict.SUSPENDED
    elif license.status != LicenseStatus.VALID:
        verdict = Verdict.REVOKED
    elif license.valid_until is not None and license.valid_until < day:
        verdict = Verdict.EXPIRED
    else:
        verdict = Verdict.AUTHENTIC
    face = face_data(license)
    lines = [
        ("证照名称", license.type.name),
        ("持证主体", mask_name(license.holder_name)),
        ("持证主体代码", license.holder_code_masked),
        ("证照编号", _mask_value(license.number)),
        ("颁发机构", license.issuer.name),
        ("颁发日期", f"{license.issued_on:%Y年%m月%d日}"),
        ("有效期限", validity_text(license.valid_from, license.valid_until)),
        ("证照状态", license.get_status_display()),
    ]
    lines += [(f["label"], _mask_value(face[f["key"]])) for f in license.type.face_fields if face.get(f["key"])]
    return Verification(
        verdict=verdict,
        identifier=text,
        license=license,
        lines=lines,
        metadata_intact=metadata_signature_valid(license),
    )
