"""Every write of the licences app: seals, trust list, types, issuance, status, versions, use, sharing, disputes.

Each service checks permission, validates, writes in one transaction with one audit row, and raises
``DomainError`` with a Chinese message and a field path. CPU work (rendering and signing the face) happens
before the transaction opens, so a write lock is never held while a signature is computed.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from yiwang.accounts.models import LegalPerson, NaturalPerson
from yiwang.accounts.permissions import Action, department_q, scopes_for
from yiwang.accounts.services import person_id_number
from yiwang.audit.services import record
from yiwang.core import clock, crypto
from yiwang.core.errors import DomainError, ErrorCode, not_found, permission_denied
from yiwang.core.masking import mask_id_number
from yiwang.files.services import blob_put
from yiwang.licenses import keys, pades, sm2
from yiwang.licenses.choices import (
    LIVE_STATUSES,
    MANUAL_STATUSES,
    DisputeState,
    HolderType,
    LicenseStatus,
    SealKind,
    SealStatus,
    UseKind,
)
from yiwang.licenses.face import render_face
from yiwang.licenses.identifiers import compose, new_serial
from yiwang.licenses.models import (
    Dispute,
    License,
    LicenseType,
    LicenseUse,
    Seal,
    SealAuthority,
    ShareLink,
    ShowCode,
    TrustedIssuer,
)
from yiwang.regions.models import Department

AUTHORITY_KEY_CONTEXT = "licenses.SealAuthority.key"
SEAL_KEY_CONTEXT = "licenses.Seal.key"
SEAL_SM2_CONTEXT = "licenses.Seal.sm2_key"
HOLDER_CONTEXT = "licenses.License.holder_code"
FACE_CONTEXT = "licenses.License.face"
USCC_INDEX_CONTEXT = "licenses.holder.uscc"
PURPOSE_MAX = 200
REASON_MAX = 200
SHARE_HOURS_MAX = 24 * 30


# --------------------------------------------------------------------------- helpers


def _now() -> dt.datetime:
    return clock.now()  # the platform clock (tests move it: show codes expire after 5 minutes)


def _text(value: str, *, field: str, label: str, maximum: int, minimum: int = 1) -> str:
    text = (value or "").strip()
    if len(text) < minimum:
        raise DomainError(ErrorCode.VALIDATION, f"请填写{label}", field=field)
    if len(text) > maximum:
        raise DomainError(ErrorCode.VALIDATION, f"{label}不能超过{maximum}字", field=field)
    return text


def _purpose(purpose: str) -> str:
    """用证事由: required, at most 200 characters (STANDARDS §3 useCause)."""
    text = (purpose or "").strip()
    if len(text) < 2 or len(text) > PURPOSE_MAX:
        raise DomainError(
            ErrorCode.PURPOSE_REQUIRED,
            f"使用电子证照须说明事由（2–{PURPOSE_MAX}字），例如“办理食品经营许可变更，核验营业执照”",
            field="purpose",
        )
    return text


def _staff_departments(actor: Any, action: str) -> Any:
    return Department.objects.filter(department_q(actor, action))


def _require(actor: Any, action: str, department: Department | None = None) -> None:
    if not scopes_for(actor, action):
        raise permission_denied()
    if department is not None and not _staff_departments(actor, action).filter(pk=department.pk).exists():
        raise permission_denied("该单位不在您的管辖范围内")


def holder_index(holder_type: str, code: str) -> str:
    """Blind index of a holder code. For an ID number it equals ``NaturalPerson.id_number_index``, so a
    person's licences are found without decrypting anything."""
    if holder_type == HolderType.ID_NUMBER:
        from yiwang.accounts.indexes import id_number_index

        return id_number_index(code)
    return crypto.blind_index(code, context=USCC_INDEX_CONTEXT)


def holder_of(person: NaturalPerson | None, enterprise: LegalPerson | None) -> tuple[str, str] | None:
    """(持证主体代码类型, 盲索引) of the applicant: the enterprise when there is one, else the person."""
    if enterprise is not None:
        return HolderType.USCC, holder_index(HolderType.USCC, enterprise.uscc)
    if person is not None:
        return HolderType.ID_NUMBER, person.id_number_index
    return None


def face_data(license: License) -> dict[str, str]:
    """照面信息 in clear (server side only; pages show it to the holder, masked to the public)."""
    return json.loads(crypto.decrypt(license.face_cipher, context=FACE_CONTEXT))


def holder_code(license: License) -> str:
    return crypto.decrypt(license.holder_code_cipher, context=HOLDER_CONTEXT)


# --------------------------------------------------------------------------- seals (电子印章)


def seal_authority() -> SealAuthority:
    """The active 电子印章制发根证书, created on first use (a race between two processes: one wins)."""
    found = SealAuthority.objects.filter(active=True).first()
    if found is not None:
        return found
    key_pem, certificate_pem = keys.authority_create(settings.YIWANG_SEAL_AUTHORITY_NAME)
    try:
        with transaction.atomic():
            return SealAuthority.objects.create(
                name=settings.YIWANG_SEAL_AUTHORITY_NAME,
                key_cipher=crypto.encrypt(key_pem.decode("ascii"), context=AUTHORITY_KEY_CONTEXT),
                certificate_pem=certificate_pem.decode("ascii"),
                fingerprint=keys.certificate_fingerprint(certificate_pem),
                active=True,
                created_at=_now(),
            )
    except IntegrityError:
        return SealAuthority.objects.get(active=True)


def authority_certificates() -> list[bytes]:
    """Every certificate the platform's seals chain to (old authorities too: their licences stay valid)."""
    return [a.certificate_pem.encode("ascii") for a in SealAuthority.objects.order_by("id")]


def seal_create(
    *,
    actor: Any,
    department_id: int,
    kind: str = SealKind.LICENSE,
    valid_years: int = 5,
    valid_from: dt.datetime | None = None,
) -> Seal:
    """电子印章制发: keys (ECDSA P-256 for PAdES, SM2 for 国密), a certificate from the platform authority,
    the seal's name and words. Only the 政务服务管理机构 (``SEAL_MANAGE``) over the department's region."""
    department = Department.objects.select_related("region").filter(pk=department_id).first()
    if department is None:
        raise DomainError(ErrorCode.VALIDATION, "用章单位不存在", field="department_id")
    if actor is not None:
        _require(actor, Action.SEAL_MANAGE, department)
    if kind not in SealKind.values:
        raise DomainError(ErrorCode.VALIDATION, "印章类型不正确", field="kind")
    if not 1 <= int(valid_years) <= 10:
        raise DomainError(ErrorCode.VALIDATION, "印章有效期应为1–10年", field="valid_years")
    label = SealKind(kind).label
    start = valid_from or _now()
    end = start + dt.timedelta(days=365 * int(valid_years))
    authority = seal_authority()
    authority_key = crypto.decrypt(authority.key_cipher, context=AUTHORITY_KEY_CONTEXT).encode("ascii")
    material = keys.seal_keys_create(
        authority_key_pem=authority_key,
        authority_cert_pem=authority.certificate_pem.encode("ascii"),
        organisation_name=department.name,
        organisation_code=department.uscc,
        seal_name=department.name + label,
        valid_from=start,
        valid_until=end,
    )
    with transaction.atomic():
        seal = Seal.objects.create(
            esid=f"{department.region.code}{start:%Y%m%d}{secrets.randbelow(10**8):08d}",
            department=department,
            kind=kind,
            name=department.name + label,
            label=label,
            authority=authority,
            key_cipher=crypto.encrypt(material.ecdsa_key_pem.decode("ascii"), context=SEAL_KEY_CONTEXT),
            certificate_pem=material.certificate_pem.decode("ascii"),
            certificate_fingerprint=material.certificate_fingerprint,
            sm2_key_cipher=crypto.encrypt(material.sm2_key_pem.decode("ascii"), context=SEAL_SM2_CONTEXT),
            sm2_public_pem=material.sm2_public_pem.decode("ascii"),
            valid_from=start,
            valid_until=end,
            created_at=_now(),
            created_by=actor,
        )
        record(
            actor=actor,
            action="seal.create",
            target=seal,
            changes={"department": [None, department.name], "kind": [None, kind], "valid_until": [None, str(end)]},
        )
    return seal


def seal_revoke(*, actor: Any, seal_id: int, reason: str) -> Seal:
    """吊销电子印章: it signs nothing more; licences it signed before stay verifiable (the registry says so)."""
    text = _text(reason, field="reason", label="吊销原因", maximum=REASON_MAX)
    with transaction.atomic():
        seal = Seal.objects.select_for_update().select_related("department").filter(pk=seal_id).first()
        if seal is None:
            raise not_found("电子印章")
        _require(actor, Action.SEAL_MANAGE, seal.department)
        if seal.status == SealStatus.REVOKED:
            raise DomainError(ErrorCode.INVALID_STATE, "该印章已吊销")
        seal.status = SealStatus.REVOKED
        seal.revoked_at = _now()
        seal.revoked_by = actor
        seal.revoke_reason = text
        seal.save(update_fields=["status", "revoked_at", "revoked_by", "revoke_reason"])
        record(actor=actor, action="seal.revoke", target=seal, changes={"status": ["active", "revoked"]}, purpose=text)
    return seal


def seal_for_issuing(department: Department, *, at: dt.datetime | None = None) -> Seal:
    """The department's newest active 电子证照专用章 (or its 公章) valid at ``at``."""
    moment = at or _now()
    seal = (
        Seal.objects.filter(
            department=department,
            status=SealStatus.ACTIVE,
            valid_from__lte=moment,
            valid_until__gt=moment,
            kind__in=[SealKind.LICENSE, SealKind.OFFICIAL],
        )
        .order_by("kind", "-valid_from")  # "license" sorts before "official"
        .first()
    )
    if seal is None:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"{department.name}没有有效的电子证照专用章，请联系政务服务管理机构制发印章",
            field="seal",
        )
    return seal


@lru_cache(maxsize=256)
def _signer(seal_id: int, fingerprint: str) -> tuple[pades.SealSigner, bytes]:
    """The seal's PAdES signer and SM2 key, decrypted once per process (keyed by the certificate, so a
    re-created row with a reused id never gets another seal's key)."""
    seal = Seal.objects.select_related("authority").get(pk=seal_id, certificate_fingerprint=fingerprint)
    key_pem = crypto.decrypt(seal.key_cipher, context=SEAL_KEY_CONTEXT).encode("ascii")
    signer = pades.signer_for(
        key_pem, seal.certificate_pem.encode("ascii"), (seal.authority.certificate_pem.encode("ascii"),)
    )
    sm2_key = crypto.decrypt(seal.sm2_key_cipher, context=SEAL_SM2_CONTEXT).encode("ascii")
    return signer, sm2_key


# --------------------------------------------------------------------------- trust list (互认)


def trusted_issuer_add(*, actor: Any, certificate: bytes, name: str, region_name: str = "") -> TrustedIssuer:
    """导入互认签发机构证书 (PEM or DER). The same certificate twice is refused."""
    _require(actor, Action.TRUST_MANAGE)
    label = _text(name, field="name", label="机构名称", maximum=200)
    region_text = (region_name or "").strip()[:100]
    try:
        summary = keys.certificate_summary(certificate)
    except ValueError as error:
        raise DomainError(ErrorCode.VALIDATION, str(error), field="certificate") from error
    pem = keys.load_certificate(certificate).public_bytes(serialization.Encoding.PEM)
    try:
        with transaction.atomic():
            issuer = TrustedIssuer.objects.create(
                name=label,
                region_name=region_text,
                certificate_pem=pem.decode("ascii"),
                fingerprint=summary["fingerprint"],
                subject=summary["subject"][:300],
                not_after=summary["not_after"],
                added_at=_now(),
                added_by=actor,
            )
            record(
                actor=actor,
                action="trust.add",
                target=issuer,
                changes={"fingerprint": [None, issuer.fingerprint], "subject": [None, issuer.subject]},
            )
    except IntegrityError as error:
        raise DomainError(ErrorCode.CONFLICT, "该证书已在信任列表中", field="certificate") from error
    return issuer


def trusted_issuer_remove(*, actor: Any, issuer_id: int) -> TrustedIssuer:
    """移出信任列表 (kept for the record; signatures chaining only to it no longer count as trusted)."""
    _require(actor, Action.TRUST_MANAGE)
    with transaction.atomic():
        issuer = TrustedIssuer.objects.select_for_update().filter(pk=issuer_id, removed_at__isnull=True).first()
        if issuer is None:
            raise not_found("信任证书")
        issuer.removed_at = _now()
        issuer.removed_by = actor
        issuer.save(update_fields=["removed_at", "removed_by"])
        record(actor=actor, action="trust.remove", target=issuer, changes={"removed": [False, True]})
    return issuer


# --------------------------------------------------------------------------- types (证照类型)


def license_type_upsert(
    *,
    code: str,
    name: str,
    definer_name: str,
    holder_type: str,
    face_fields: Sequence[Mapping[str, str]],
    validity_years: int | None,
    multiple_live: bool = False,
    actor: Any = None,
) -> LicenseType:
    """Define or update a 证照类型 (demo load, the platform admin). The code carries the definer's USCC."""
    from yiwang.catalog.schema import LICENCE_TYPE_CODE

    if not re.fullmatch(LICENCE_TYPE_CODE, code or ""):
        raise DomainError(ErrorCode.VALIDATION, "证照类型代码应为定义机构统一社会信用代码加3位序号", field="code")
    if holder_type not in HolderType.values:
        raise DomainError(ErrorCode.VALIDATION, "持证主体代码类型应为 111 或 001", field="holder_type")
    fields = [{"key": str(f["key"]), "label": str(f["label"])} for f in face_fields]
    if len({f["key"] for f in fields}) != len(fields):
        raise DomainError(ErrorCode.VALIDATION, "照面信息项标识不能重复", field="face_fields")
    with transaction.atomic():
        kind, created = LicenseType.objects.update_or_create(
            code=code,
            defaults={
                "name": _text(name, field="name", label="证照类型名称", maximum=100),
                "definer_name": definer_name,
                "definer_code": code[:18],
                "holder_type": holder_type,
                "face_fields": fields,
                "validity_years": validity_years,
                "multiple_live": multiple_live,
            },
        )
        record(actor=actor, action="license_type.create" if created else "license_type.update", target=kind)
    return kind


# --------------------------------------------------------------------------- issuance (颁发)


def _valid_until(kind: LicenseType, start: dt.date) -> dt.date | None:
    if not kind.validity_years:
        return None
    try:
        end = start.replace(year=start.year + kind.validity_years)
    except ValueError:  # 29 February
        end = dt.date(start.year + kind.validity_years, 2, 28)
    return end - dt.timedelta(days=1)


def validity_text(valid_from: dt.date, valid_until: dt.date | None) -> str:
    if valid_until is None:
        return f"{valid_from:%Y年%m月%d日}起长期有效"
    return f"{valid_from:%Y年%m月%d日}至{valid_until:%Y年%m月%d日}"


def canonical_metadata(
    *,
    identifier: str,
    kind: LicenseType,
    number: str,
    issuer: Department,
    holder_type: str,
    holder_code_text: str,
    holder_name: str,
    issued_on: dt.date,
    valid_from: dt.date,
    valid_until: dt.date | None,
    face: Mapping[str, str],
    pdf_sha256: str,
) -> bytes:
    """The bytes the SM2 signature covers (GB/T 36903 metadata in a fixed order): sorted-key compact JSON."""
    document = {
        "zzbs": identifier,  # 电子证照标识
        "zzlxdm": kind.code,  # 证照类型代码
        "zzlxmc": kind.name,
        "zzbh": number,  # 证照编号
        "bfjgdm": issuer.uscc,  # 颁发机构代码
        "bfjg": issuer.name,
        "czztdmlx": holder_type,  # 持证主体代码类型
        "czztdm": holder_code_text,
        "czzt": holder_name,
        "bfrq": issued_on.isoformat(),
        "yxqqsrq": valid_from.isoformat(),
        "yxqjzrq": valid_until.isoformat() if valid_until else "",
        "zmxx": dict(sorted(face.items())),  # 照面信息
        "bsswj": pdf_sha256,  # 版式文件 SHA-256
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def metadata_of(license: License) -> bytes:
    return canonical_metadata(
        identifier=license.identifier,
        kind=license.type,
        number=license.number,
        issuer=license.issuer,
        holder_type=license.holder_type,
        holder_code_text=holder_code(license),
        holder_name=license.holder_name,
        issued_on=license.issued_on,
        valid_from=license.valid_from,
        valid_until=license.valid_until,
        face=face_data(license),
        pdf_sha256=license.pdf.sha256,
    )


def metadata_signature_valid(license: License) -> bool:
    """The stored SM2 signature still matches the stored metadata (an altered row fails)."""
    try:
        signature = base64.b64decode(license.metadata_signature)
    except ValueError:
        return False
    return sm2.sm2_verify(license.seal.sm2_public_pem.encode("ascii"), metadata_of(license), signature)


def _face_values(kind: LicenseType, face: Mapping[str, Any]) -> dict[str, str]:
    known = {f["key"]: f["label"] for f in kind.face_fields}
    unknown = sorted(set(face) - set(known))
    if unknown:
        raise DomainError(ErrorCode.VALIDATION, f"照面信息项不属于{kind.name}：{'、'.join(unknown)}", field="face")
    values: dict[str, str] = {}
    for key, label in known.items():
        value = face.get(key)
        text = "" if value is None else str(value).strip()
        if len(text) > 500:
            raise DomainError(ErrorCode.VALIDATION, f"{label}不能超过500字", field=f"face.{key}")
        values[key] = text
    return values


def license_issue(
    *,
    kind: LicenseType,
    issuer: Department,
    person: NaturalPerson | None = None,
    enterprise: LegalPerson | None = None,
    face: Mapping[str, Any],
    number: str = "",
    case: Any = None,
    actor: Any = None,
    previous: License | None = None,
    issued_on: dt.date | None = None,
    valid_from: dt.date | None = None,
) -> License:
    """颁发电子证照: identifier (GB/T 36904), face PDF signed (PAdES) with the issuer's seal, SM2 signature over
    the canonical metadata, stored with the holder encrypted. ``previous``: the version this one replaces
    (renewal, change, correction); it becomes 失效 in the same transaction.

    Called by the approval hook (``hooks.issue_for_case``, no actor: the system issues on the decision) and
    by :func:`license_correct`. A second live licence of an exclusive type for the same holder is refused.
    """
    if kind.holder_type == HolderType.USCC:
        if enterprise is None:
            raise DomainError(ErrorCode.VALIDATION, f"{kind.name}的持证主体应为法人或其他组织", field="holder")
        holder_type, code_text, holder_name = HolderType.USCC, enterprise.uscc, enterprise.name
        masked = enterprise.uscc[:6] + "********" + enterprise.uscc[-4:]
        index = holder_index(HolderType.USCC, code_text)
        person = None
    else:
        if person is None:
            raise DomainError(ErrorCode.VALIDATION, f"{kind.name}的持证主体应为自然人", field="holder")
        holder_type, code_text, holder_name = HolderType.ID_NUMBER, person_id_number(person), person.name
        masked = person.id_number_masked or mask_id_number(code_text)
        index = person.id_number_index
        enterprise = None
    values = _face_values(kind, face)
    seal = seal_for_issuing(issuer)
    signer, sm2_key = _signer(seal.pk, seal.certificate_fingerprint)
    today = timezone.localdate()
    issued = issued_on or today
    start = valid_from or issued
    end = _valid_until(kind, start)
    serial = previous.serial if previous is not None else new_serial()
    version = previous.version + 1 if previous is not None else 1
    identifier = compose(kind.code, issuer.uscc, serial, version)
    licence_number = (number or "").strip()[:100] or f"{issuer.region.code[:6]}{issued:%Y}{serial[:10]}"
    holder_label = "统一社会信用代码" if holder_type == HolderType.USCC else "公民身份号码"
    lines = [("持证主体", holder_name), (holder_label, code_text)]
    lines += [(f["label"], values[f["key"]]) for f in kind.face_fields if values.get(f["key"])]
    lines += [("证照编号", licence_number), ("有效期限", validity_text(start, end))]
    pdf = render_face(
        title=kind.name,
        fields=lines,
        identifier=identifier,
        issuer_name=issuer.name,
        issued_on=issued,
        validity_text=validity_text(start, end),
        verify_url=f"{settings.YIWANG_PUBLIC_URL}/verify/{identifier}/",
        seal_organisation=issuer.name,
        seal_label=seal.label,
    )
    signed = pades.sign_pdf(pdf, signer, reason="电子证照签发", location=issuer.name)
    pdf_sha256 = hashlib.sha256(signed).hexdigest()
    metadata = canonical_metadata(
        identifier=identifier,
        kind=kind,
        number=licence_number,
        issuer=issuer,
        holder_type=holder_type,
        holder_code_text=code_text,
        holder_name=holder_name,
        issued_on=issued,
        valid_from=start,
        valid_until=end,
        face=values,
        pdf_sha256=pdf_sha256,
    )
    signature = base64.b64encode(sm2.sm2_sign(sm2_key, metadata)).decode("ascii")
    try:
        with transaction.atomic():
            if previous is not None:
                replaced = License.objects.select_for_update().get(pk=previous.pk)
                if replaced.status not in LIVE_STATUSES:
                    raise DomainError(ErrorCode.INVALID_STATE, "该证照已不是有效状态，不能在其上更新版本")
                replaced.status = LicenseStatus.LAPSED
                replaced.status_reason = f"已由第{version:03d}版替代"
                replaced.status_changed_at = _now()
                replaced.save(update_fields=["status", "status_reason", "status_changed_at"])
            blob = blob_put(signed)
            license = License.objects.create(
                identifier=identifier,
                type=kind,
                serial=serial,
                version=version,
                number=licence_number,
                issuer=issuer,
                seal=seal,
                region_code=issuer.region.code,
                holder_type=holder_type,
                holder_name=holder_name,
                holder_code_cipher=crypto.encrypt(code_text, context=HOLDER_CONTEXT),
                holder_code_index=index,
                holder_code_masked=masked,
                holder_person=person,
                holder_enterprise=enterprise,
                issued_on=issued,
                valid_from=start,
                valid_until=end,
                exclusive=not kind.multiple_live,
                face_cipher=crypto.encrypt(json.dumps(values, ensure_ascii=False), context=FACE_CONTEXT),
                pdf=blob,
                metadata_signature=signature,
                previous=previous,
                case=case,
                created_at=_now(),
                created_by=actor,
            )
            record(
                actor=actor,
                action="license.issue",
                target=license,
                changes={
                    "identifier": [None, identifier],
                    "type": [None, kind.code],
                    "case": [None, getattr(case, "number", None)],
                    "previous": [None, previous.identifier if previous else None],
                },
            )
    except IntegrityError as error:
        raise DomainError(
            ErrorCode.CONFLICT,
            f"{holder_name}已持有有效的{kind.name}，请办理变更、延续或注销，不能重复颁发",
            field="holder",
        ) from error
    return license


def _issuer_license(actor: Any, license_id: int, *, lock: bool = False) -> License:
    query = License.objects.select_related("type", "issuer", "issuer__region", "seal").filter(
        pk=license_id, issuer__in=_staff_departments(actor, Action.LICENSE_MANAGE)
    )
    if lock:
        query = query.select_for_update(of=("self",))
    found = query.first()
    if found is None:
        if not scopes_for(actor, Action.LICENSE_MANAGE):
            raise permission_denied()
        raise not_found("电子证照")
    return found


TERMINAL_STATUSES = (
    LicenseStatus.REVOKED,
    LicenseStatus.CANCELLED,
    LicenseStatus.LAPSED,
    LicenseStatus.WITHDRAWN,
    LicenseStatus.TRANSFERRED,
)


def license_set_status(*, actor: Any, license_id: int, status: str, reason: str) -> License:
    """变更证照状态 by the issuing department: 暂扣 ↔ 有效; 撤销 / 注销 / 吊销 are final."""
    if status not in MANUAL_STATUSES:
        raise DomainError(ErrorCode.VALIDATION, "证照状态不正确", field="status")
    text = _text(reason, field="reason", label="变更原因", maximum=REASON_MAX)
    with transaction.atomic():
        license = _issuer_license(actor, license_id, lock=True)
        if license.status in TERMINAL_STATUSES:
            raise DomainError(
                ErrorCode.INVALID_STATE, f"该证照已{license.get_status_display()}，不能再变更状态", field="status"
            )
        if license.status == status:
            raise DomainError(ErrorCode.INVALID_STATE, f"该证照已是{license.get_status_display()}状态", field="status")
        old = license.status
        license.status = status
        license.status_reason = text
        license.status_changed_at = _now()
        license.save(update_fields=["status", "status_reason", "status_changed_at"])
        record(actor=actor, action="license.status", target=license, changes={"status": [old, status]}, purpose=text)
    return license


def license_correct(*, actor: Any, license_id: int, face: Mapping[str, Any], reason: str) -> License:
    """更正 / 变更: issue the next version with corrected face data; the current one becomes 失效."""
    text = _text(reason, field="reason", label="更正原因", maximum=REASON_MAX)
    current = _issuer_license(actor, license_id)
    if current.status not in LIVE_STATUSES:
        raise DomainError(ErrorCode.INVALID_STATE, "只能更正有效或暂扣状态的证照")
    before = face_data(current)
    merged = {**before, **{k: v for k, v in face.items()}}
    if _face_values(current.type, merged) == _face_values(current.type, before):
        raise DomainError(ErrorCode.VALIDATION, "更正后的照面信息与现有证照相同，无须更正", field="face")
    new = license_issue(
        kind=current.type,
        issuer=current.issuer,
        person=current.holder_person,
        enterprise=current.holder_enterprise,
        face=merged,
        number=current.number,
        case=None,
        actor=actor,
        previous=current,
        valid_from=current.valid_from,
    )
    record(actor=actor, action="license.correct", target=new, purpose=text)
    return new


# --------------------------------------------------------------------------- use (用证)


def _actor_display(actor: Any) -> tuple[str, Department | None]:
    if actor is None:
        return "系统", None
    department = getattr(actor, "department", None)
    name = getattr(actor, "display_name", "") or actor.get_full_name() or actor.get_username()  # 测试窗口甲
    return (f"{department.name} {name}" if department else name), department


def license_use_log(
    *,
    license: License,
    kind: str,
    purpose: str,
    actor: Any = None,
    case: Any = None,
    department: Department | None = None,
) -> LicenseUse:
    """Write one 用证记录 (and its audit row): the holder sees who used the licence, when and why.
    ``department``: the body that used it when not the actor's own (a case's department for 免提交)."""
    display, own_department = _actor_display(actor)
    if department is not None:
        display = department.name if actor is None or own_department is None else display
    department = department or own_department
    use = LicenseUse.objects.create(
        license=license,
        kind=kind,
        purpose=purpose[:PURPOSE_MAX],
        user=actor if getattr(actor, "pk", None) else None,
        user_display=display[:200],
        department=department,
        case=case,
        at=_now(),
    )
    record(
        actor=actor,
        action="license.use",
        target=license,
        changes={"kind": kind, "case": getattr(case, "number", None)},
        purpose=purpose,
    )
    return use


def license_lookup_by_staff(*, actor: Any, identifier: str, purpose: str) -> License:
    """工作人员查询证照: a stated purpose, logged for the holder. Any clerk or approver may read any licence
    (licences are for use across departments and regions); the log is what keeps it honest."""
    if not scopes_for(actor, Action.LICENSE_USE):
        raise permission_denied()
    text = _purpose(purpose)
    from yiwang.licenses.identifiers import normalize

    license = License.objects.select_related("type", "issuer").filter(identifier=normalize(identifier)).first()
    if license is None:
        raise not_found("电子证照")
    with transaction.atomic():
        license_use_log(license=license, kind=UseKind.STAFF, purpose=text, actor=actor)
    return license


def _holder_license(actor: Any, license_id: int) -> License:
    from yiwang.licenses.selectors import holder_licenses

    found = holder_licenses(actor).filter(pk=license_id).first()
    if found is None:
        raise not_found("电子证照")
    return found


def show_code_create(*, actor: Any, license_id: int) -> ShowCode:
    """一码亮证: a code valid for ``YIWANG_SHOW_CODE_SECONDS`` (5 min) for a live licence of the holder's."""
    license = _holder_license(actor, license_id)
    if license.status != LicenseStatus.VALID:
        raise DomainError(ErrorCode.INVALID_STATE, f"该证照{license.get_status_display()}，不能亮证")
    if license.valid_until is not None and license.valid_until < timezone.localdate(_now()):
        raise DomainError(ErrorCode.INVALID_STATE, "该证照已过有效期，不能亮证，请申请延续")
    now = _now()
    ShowCode.objects.filter(expires_at__lte=now).delete()  # codes are short-lived; keep the table small
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return ShowCode.objects.create(
                    license=license,
                    code=f"{secrets.randbelow(10**10):010d}",
                    created_at=now,
                    expires_at=now + dt.timedelta(seconds=settings.YIWANG_SHOW_CODE_SECONDS),
                )
        except IntegrityError:
            continue  # the same 10 digits are live already: draw again
    raise DomainError(ErrorCode.CONFLICT, "亮证码生成失败，请重试")


def show_code_redeem(*, actor: Any, code: str, purpose: str) -> License:
    """亮证核验: a clerk reads the holder's code with a purpose; the use is logged. Expired → a clear error."""
    if not scopes_for(actor, Action.LICENSE_USE):
        raise permission_denied()
    text = _purpose(purpose)
    digits = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(digits) != 10:
        raise DomainError(ErrorCode.VALIDATION, "亮证码为10位数字", field="code")
    shown = ShowCode.objects.select_related("license", "license__type", "license__issuer").filter(code=digits).first()
    if shown is None or shown.expires_at <= _now():
        raise DomainError(ErrorCode.NOT_FOUND, "亮证码无效或已过期，请持证人刷新后重新出示", field="code")
    with transaction.atomic():
        license_use_log(license=shown.license, kind=UseKind.SHOW, purpose=text, actor=actor)
    return shown.license


def share_create(*, actor: Any, license_id: int, purpose: str, hours: int = 72) -> tuple[ShareLink, str]:
    """分享证照: a link anyone holding it may open until it expires (≤ 30 days). Returns the row and the
    token (shown once; only its SHA-256 is stored)."""
    license = _holder_license(actor, license_id)
    text = _text(purpose, field="purpose", label="分享用途", maximum=PURPOSE_MAX)
    if not 1 <= int(hours) <= SHARE_HOURS_MAX:
        raise DomainError(ErrorCode.VALIDATION, "有效时长应为1小时至30天", field="hours")
    if license.status != LicenseStatus.VALID:
        raise DomainError(ErrorCode.INVALID_STATE, f"该证照{license.get_status_display()}，不能分享")
    token = secrets.token_urlsafe(24)
    now = _now()
    with transaction.atomic():
        share = ShareLink.objects.create(
            license=license,
            token_hash=hashlib.sha256(token.encode("ascii")).hexdigest(),
            purpose=text,
            created_at=now,
            expires_at=now + dt.timedelta(hours=int(hours)),
        )
        record(actor=actor, action="license.share", target=license, changes={"hours": int(hours)}, purpose=text)
    return share, token


def share_revoke(*, actor: Any, share_id: int) -> ShareLink:
    with transaction.atomic():
        share = ShareLink.objects.select_for_update().filter(pk=share_id, revoked_at__isnull=True).first()
        if share is None:
            raise not_found("分享链接")
        _holder_license(actor, share.license_id)
        share.revoked_at = _now()
        share.save(update_fields=["revoked_at"])
        record(actor=actor, action="license.share_revoke", target=share.license)
    return share


def share_open(*, token: str) -> License:
    """Open a shared link: counted and logged (the holder sees it); expired or revoked → not found."""
    digest = hashlib.sha256((token or "").encode("utf-8")).hexdigest()
    with transaction.atomic():
        share = (
            ShareLink.objects.select_for_update(of=("self",))
            .select_related("license", "license__type", "license__issuer")
            .filter(token_hash=digest, revoked_at__isnull=True, expires_at__gt=_now())
            .first()
        )
        if share is None:
            raise DomainError(ErrorCode.NOT_FOUND, "分享链接无效、已过期或已被持证人撤销")
        share.opened += 1
        share.save(update_fields=["opened"])
        license_use_log(license=share.license, kind=UseKind.SHARE, purpose=f"通过分享链接查看：{share.purpose}")
    return share.license


# --------------------------------------------------------------------------- disputes (异议)


def dispute_raise(*, actor: Any, license_id: int, reason: str) -> Dispute:
    """持证人提出异议. One open dispute per licence."""
    license = _holder_license(actor, license_id)
    text = _text(reason, field="reason", label="异议内容", maximum=500, minimum=5)
    try:
        with transaction.atomic():
            dispute = Dispute.objects.create(license=license, raised_by=actor, reason=text, created_at=_now())
            record(actor=actor, action="license.dispute", target=license, changes={"dispute": [None, dispute.pk]})
    except IntegrityError as error:
        raise DomainError(ErrorCode.CONFLICT, "该证照已有待处理的异议，请等待颁发机构处理") from error
    return dispute


def dispute_resolve(
    *, actor: Any, dispute_id: int, accept: bool, resolution: str, face: Mapping[str, Any] | None = None
) -> Dispute:
    """异议处理 by the issuer: ``accept`` issues a corrected version (``face`` holds the corrections);
    otherwise the dispute is rejected with the reason given in ``resolution``."""
    text = _text(resolution, field="resolution", label="处理意见", maximum=500)
    dispute = Dispute.objects.filter(pk=dispute_id).first()
    if dispute is None:
        raise not_found("异议")
    _issuer_license(actor, dispute.license_id)  # permission: the issuing department
    if dispute.state != DisputeState.OPEN:  # before correcting: a stale page must not issue a new version
        raise DomainError(ErrorCode.INVALID_STATE, "该异议已处理")
    corrected = None
    if accept:
        if not face:
            raise DomainError(ErrorCode.VALIDATION, "更正证照须填写更正后的照面信息", field="face")
        # the resolution may run to 500 characters; the correction's reason (an audit purpose) to 200
        reason = f"异议更正：{text}"[:REASON_MAX]
        corrected = license_correct(actor=actor, license_id=dispute.license_id, face=face, reason=reason)
    with transaction.atomic():
        locked = Dispute.objects.select_for_update().get(pk=dispute.pk)
        if locked.state != DisputeState.OPEN:
            raise DomainError(ErrorCode.INVALID_STATE, "该异议已处理")
        locked.state = DisputeState.CORRECTED if accept else DisputeState.REJECTED
        locked.resolution = text
        locked.resolved_by = actor
        locked.resolved_at = _now()
        locked.corrected = corrected
        locked.save(update_fields=["state", "resolution", "resolved_by", "resolved_at", "corrected"])
        record(actor=actor, action="license.dispute_resolve", target=locked, changes={"state": ["open", locked.state]})
    return locked
