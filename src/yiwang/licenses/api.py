"""Licences API (电子证照) at ``/api/v1/licenses``: one door for every client of a licence.

- Public (no sign-in): verify an identifier (the QR on every face) and verify an uploaded PDF (公共验证服务);
  both limited per client address, personal data masked.
- Holders (我的证照): their licences with the face data in clear and who used them, the signed PDF, a 5-minute
  亮证码 (一码亮证), time-limited share links, disputes (异议).
- Staff (用证): read a licence from a holder's 亮证码 or by identifier, always with a stated purpose that the
  holder sees. Issuers (颁发机构): their licences, status changes, corrections (a new version), disputes.
- The platform admin: the seal registry (电子印章制发与吊销) and the trust list of other regions' issuers
  (跨地区互认); licence types.

Every write is one call to ``licenses.services`` and every read goes through ``licenses.selectors``; the pages
call the same functions. Someone who may not see a licence gets the same 404 as for one that does not exist;
staff without the right role get 403; nothing is written on a refusal.
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import reverse
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from yiwang.accounts.permissions import Action, department_q, scopes_for
from yiwang.api.problems import problem
from yiwang.core import clock
from yiwang.core.errors import DomainError, ErrorCode, not_found, permission_denied, status_title
from yiwang.files.selectors import blob_read
from yiwang.files.services import size_text, upload_max_bytes
from yiwang.licenses import selectors, services
from yiwang.licenses.models import Dispute, License, LicenseType, Seal, ShareLink, TrustedIssuer
from yiwang.licenses.schemas import (
    CorrectIn,
    DisputeIn,
    DisputeOut,
    DisputePageOut,
    DisputeQuery,
    IssuedOut,
    IssuedQuery,
    LicensePageOut,
    LicenseTypeOut,
    LookupIn,
    PageQuery,
    PdfCheckOut,
    RedeemIn,
    ResolveIn,
    RevokeIn,
    SealIn,
    SealOut,
    SealPageOut,
    ShareCreatedOut,
    ShareIn,
    ShowCodeOut,
    StaffLicenseOut,
    StatusIn,
    TrustOut,
    TrustQuery,
    VerifyOut,
    WalletDetailOut,
)
from yiwang.licenses.selectors import Verification
from yiwang.licenses.verification import (
    VERIFY_LIMITED,
    VERIFY_LIMITS,
    VERIFY_WINDOW_SECONDS,
    PdfCheck,
    pdf_verify,
    successor_identifier,
    verify_allowed,
)
from yiwang.regions.models import Department

router = Router(tags=["电子证照"])

PDF_RESPONSE = {
    "responses": {
        200: {
            "description": "电子证照版式文件（PDF，含电子签章）",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


# --- helpers ---------------------------------------------------------------------------------------------


def _page(queryset: QuerySet[Any], page: int, page_size: int) -> tuple[int, list[Any]]:
    count = queryset.count()
    start = (page - 1) * page_size
    return count, list(queryset[start : start + page_size])


def verify_url(identifier: str) -> str:
    """The public verification page of a licence (what the QR on its face encodes)."""
    return settings.YIWANG_PUBLIC_URL + reverse("verify:detail", kwargs={"identifier": identifier})


def _require(user: Any, action: str, message: str) -> None:
    if not scopes_for(user, action):
        raise permission_denied(message)


def _limited(request: HttpRequest) -> HttpResponse:
    status, title = status_title(ErrorCode.RATE_LIMITED)
    response = problem(request, status=status, code=ErrorCode.RATE_LIMITED.value, title=title, detail=VERIFY_LIMITED)
    response["Retry-After"] = str(VERIFY_WINDOW_SECONDS)
    return response


def _verify_out(found: Verification) -> dict[str, Any]:
    license = found.license
    return {
        "identifier": found.identifier,
        "verdict": found.verdict,
        "verdict_label": found.verdict_label,
        "found": license is not None,
        "type_name": license.type.name if license else "",
        "issuer_name": license.issuer.name if license else "",
        "status": license.status if license else "",
        "status_label": license.get_status_display() if license else "",
        "metadata_intact": found.metadata_intact,
        "successor_identifier": successor_identifier(found),
        "lines": [{"label": label, "value": value} for label, value in found.lines],
        "verify_url": verify_url(found.identifier) if license else "",
    }


def _pdf_out(check: PdfCheck) -> dict[str, Any]:
    seal = check.seal
    return {
        "outcome": check.outcome,
        "ok": check.ok,
        "headline": check.headline,
        "detail": check.detail,
        "signed": check.signed,
        "intact": check.intact,
        "valid": check.valid,
        "trusted": check.trusted,
        "signature_count": check.signature_count,
        "signer_subject": check.signer_subject,
        "signer_fingerprint": check.signer_fingerprint,
        "signing_time": check.signing_time,
        "trust_text": check.trust_text,
        "seal": (
            {
                "esid": seal.esid,
                "name": seal.name,
                "department_name": seal.department_name,
                "status": seal.status,
                "status_label": seal.status_label,
                "revoked": seal.revoked,
                "revoked_at": seal.revoked_at,
            }
            if seal
            else None
        ),
        "trusted_issuer": (
            {"name": check.trusted_issuer.name, "region_name": check.trusted_issuer.region_name}
            if check.trusted_issuer
            else None
        ),
        "sha256": check.sha256,
        "archive_match": check.archive_match,
        "archive_text": check.archive_text,
        "license": _verify_out(check.verification) if check.verification else None,
    }


def _row(license: License) -> dict[str, Any]:
    return {
        "id": license.pk,
        "identifier": license.identifier,
        "type_code": license.type.code,
        "type_name": license.type.name,
        "number": license.number,
        "version": license.version,
        "holder_name": license.holder_name,
        "holder_code_masked": license.holder_code_masked,
        "issuer_id": license.issuer_id,
        "issuer_name": license.issuer.name,
        "issued_on": license.issued_on,
        "valid_from": license.valid_from,
        "valid_until": license.valid_until,
        "status": license.status,
        "status_label": license.get_status_display(),
        "status_reason": license.status_reason,
    }


def _face(license: License) -> list[dict[str, str]]:
    values = services.face_data(license)
    return [{"key": f["key"], "label": f["label"], "value": values.get(f["key"], "")} for f in license.type.face_fields]


def _dispute_out(dispute: Dispute) -> dict[str, Any]:
    return {
        "id": dispute.pk,
        "license_id": dispute.license_id,
        "license_identifier": dispute.license.identifier,
        "type_name": dispute.license.type.name,
        "reason": dispute.reason,
        "state": dispute.state,
        "state_label": dispute.get_state_display(),
        "resolution": dispute.resolution,
        "created_at": dispute.created_at,
        "resolved_at": dispute.resolved_at,
        "corrected_id": dispute.corrected_id,
    }


def _share_out(share: ShareLink, now: Any) -> dict[str, Any]:
    return {
        "id": share.pk,
        "purpose": share.purpose,
        "created_at": share.created_at,
        "expires_at": share.expires_at,
        "revoked_at": share.revoked_at,
        "opened": share.opened,
        "active": share.revoked_at is None and share.expires_at > now,
    }


def _previous_identifier(license: License) -> str:
    return license.previous.identifier if license.previous_id else ""  # type: ignore[union-attr]


def _own(request: HttpRequest, license_id: int) -> License:
    """The caller's licence (as holder or for an enterprise he acts for); else the 404 of a missing one."""
    found = selectors.holder_licenses(request.user).filter(pk=license_id).first()
    if found is None:
        raise not_found("电子证照")
    return found


def _staff_out(license: License) -> dict[str, Any]:
    found = selectors.license_verify(license.identifier)
    return {
        **_row(license),
        "holder_type": license.holder_type,
        "holder_code": services.holder_code(license),
        "face": _face(license),
        "verdict": found.verdict,
        "verdict_label": found.verdict_label,
        "metadata_intact": bool(found.metadata_intact),
    }


def _issued_out(license: License) -> dict[str, Any]:
    return {**_row(license), "previous_identifier": _previous_identifier(license)}


# --- public verification (公共验证服务) --------------------------------------------------------------------


@router.post(
    "/verify/pdf",
    response=PdfCheckOut,
    auth=None,
    summary="上传电子证照PDF验证签章（公共验证服务）",
    description="无需登录。multipart/form-data，字段名 file，不超过上传上限。检查电子签章是否完好、签章者是本平台"
    "电子印章还是互认地区的签发机构，并按文件的 SHA-256 查找本平台存档的证照及其当前状态。签名完好但签发机构"
    "不受信任（outcome=untrusted）与文件被篡改（tampered）分开报告。"
    f"同一来源地址10分钟内最多验证{VERIFY_LIMITS['pdf']}次，超过返回429。",
)
def license_verify_pdf(request: HttpRequest, file: File[UploadedFile]) -> Any:
    if not verify_allowed(request, "pdf"):
        return _limited(request)
    limit = upload_max_bytes()
    if (file.size or 0) > limit:
        raise DomainError(ErrorCode.VALIDATION, f"文件大小超过上限{size_text(limit)}", field="file")
    data = file.read(limit + 1)
    if len(data) > limit:
        raise DomainError(ErrorCode.VALIDATION, f"文件大小超过上限{size_text(limit)}", field="file")
    if not data:
        raise DomainError(ErrorCode.VALIDATION, "请选择要验证的PDF文件", field="file")
    return _pdf_out(pdf_verify(data))


@router.get(
    "/verify/{identifier}",
    response=VerifyOut,
    auth=None,
    summary="按电子证照标识验证（扫码或输入标识）",
    description="无需登录。verdict：authentic 真实有效 / suspended 已暂扣 / revoked 已撤销或注销 / expired 已过期 / "
    "superseded 已被新版本替代 / unknown 查无此证（含校验位错误）。照面信息脱敏显示。"
    f"同一来源地址10分钟内最多查询{VERIFY_LIMITS['lookup']}次，超过返回429。",
)
def license_verify_identifier(request: HttpRequest, response: HttpResponse, identifier: str) -> Any:
    if not verify_allowed(request, "lookup"):
        return _limited(request)
    response["Cache-Control"] = "no-store"
    return _verify_out(selectors.license_verify(identifier[:160]))


# --- holder (我的证照) -------------------------------------------------------------------------------------


@router.get("/mine", response=LicensePageOut, summary="我的证照（本人及所代表企业的）")
def license_list_mine(request: HttpRequest, query: Query[PageQuery]) -> Any:
    queryset = selectors.holder_licenses(request.user).order_by("-issued_on", "-id")
    count, rows = _page(queryset, query.page, query.page_size)
    return {"count": count, "page": query.page, "page_size": query.page_size, "items": [_row(x) for x in rows]}


@router.get(
    "/mine/{int:license_id}",
    response=WalletDetailOut,
    summary="我的证照详情（照面信息明文、用证记录、分享链接、异议）",
    description="仅持证人本人（或企业的法定代表人、经办人）可见，其他人得到与不存在相同的404。",
)
def license_detail_mine(request: HttpRequest, response: HttpResponse, license_id: int) -> Any:
    license = _own(request, license_id)
    now = clock.now()
    response["Cache-Control"] = "private, no-store"
    disputes = license.disputes.select_related("license", "license__type").order_by("-created_at", "-id")
    return {
        **_row(license),
        "holder_type": license.holder_type,
        "holder_code": services.holder_code(license),
        "face": _face(license),
        "pdf_url": reverse("api:license_pdf_mine", kwargs={"license_id": license.pk}),
        "verify_url": verify_url(license.identifier),
        "previous_identifier": _previous_identifier(license),
        "uses": [
            {
                "id": use.pk,
                "kind": use.kind,
                "kind_label": use.get_kind_display(),
                "purpose": use.purpose,
                "user_display": use.user_display,
                "case_number": use.case.number if use.case_id else "",  # type: ignore[union-attr]
                "at": use.at,
            }
            for use in selectors.license_uses(license)
        ],
        "shares": [_share_out(s, now) for s in license.shares.order_by("-created_at", "-id")],
        "disputes": [_dispute_out(d) for d in disputes],
    }


@router.get("/mine/{int:license_id}/pdf", summary="下载我的电子证照（带电子签章的PDF）", openapi_extra=PDF_RESPONSE)
def license_pdf_mine(request: HttpRequest, license_id: int) -> FileResponse:
    license = _own(request, license_id)
    response = FileResponse(
        io.BytesIO(blob_read(license.pdf)),
        as_attachment=True,
        filename=f"{license.type.name}-{license.number}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@router.post(
    "/mine/{int:license_id}/show-code",
    response={201: ShowCodeOut},
    summary="一码亮证：生成亮证码（默认5分钟有效）",
    description="仅有效状态的证照可以亮证。工作人员输入或扫描亮证码并说明事由后可查看证照，每次使用都记入用证记录。",
)
def license_show_code(request: HttpRequest, license_id: int) -> Any:
    shown = services.show_code_create(actor=request.user, license_id=license_id)
    seconds = int((shown.expires_at - shown.created_at).total_seconds())
    return Status(201, {"code": shown.code, "expires_at": shown.expires_at, "seconds": seconds})


@router.post(
    "/mine/{int:license_id}/shares",
    response={201: ShareCreatedOut},
    summary="分享证照（限时链接）",
    description="返回的链接含访问令牌，只显示这一次（平台只保存其摘要）。链接到期或被撤销后无法打开；每次打开都记入用证记录。",
)
def license_share_create(request: HttpRequest, license_id: int, payload: ShareIn) -> Any:
    share, token = services.share_create(
        actor=request.user, license_id=license_id, purpose=payload.purpose, hours=payload.hours
    )
    url = settings.YIWANG_PUBLIC_URL + reverse("licenses:shared", kwargs={"token": token})
    return Status(201, {"id": share.pk, "url": url, "purpose": share.purpose, "expires_at": share.expires_at})


@router.delete("/mine/shares/{int:share_id}", response={204: None}, summary="撤销分享链接")
def license_share_revoke(request: HttpRequest, share_id: int) -> Any:
    services.share_revoke(actor=request.user, share_id=share_id)
    return Status(204, None)


@router.post(
    "/mine/{int:license_id}/disputes",
    response={201: DisputeOut},
    summary="对证照提出异议",
    description="每张证照同时只能有一项待处理的异议（否则409）。颁发机构更正（签发新版本）或说明不予更正的理由。",
)
def license_dispute_raise(request: HttpRequest, license_id: int, payload: DisputeIn) -> Any:
    dispute = services.dispute_raise(actor=request.user, license_id=license_id, reason=payload.reason)
    dispute = Dispute.objects.select_related("license", "license__type").get(pk=dispute.pk)
    return Status(201, _dispute_out(dispute))


# --- staff use (用证) --------------------------------------------------------------------------------------


@router.post(
    "/show-codes/redeem",
    response=StaffLicenseOut,
    summary="亮证核验：读取持证人出示的亮证码",
    description="窗口人员和审批人员可用（证照跨部门、跨地区使用）。须说明用证事由（2–200字），记入持证人可见的用证记录。"
    "亮证码过期或不存在返回404，请持证人刷新后重新出示。",
)
def license_show_code_redeem(request: HttpRequest, payload: RedeemIn) -> Any:
    license = services.show_code_redeem(actor=request.user, code=payload.code, purpose=payload.purpose)
    return _staff_out(license)


@router.post(
    "/lookup",
    response=StaffLicenseOut,
    summary="工作人员按标识查询证照（须说明事由）",
    description="窗口人员和审批人员可用。须说明用证事由（2–200字），记入持证人可见的用证记录。",
)
def license_lookup(request: HttpRequest, payload: LookupIn) -> Any:
    license = services.license_lookup_by_staff(
        actor=request.user, identifier=payload.identifier, purpose=payload.purpose
    )
    return _staff_out(license)


# --- issuer (颁发机构) -------------------------------------------------------------------------------------


@router.get(
    "/issued",
    response=LicensePageOut,
    summary="本单位颁发的证照",
    description="审批人员和部门管理员：本人管理范围内的单位颁发的证照，按颁发日期倒序。",
)
def license_list_issued(request: HttpRequest, query: Query[IssuedQuery]) -> Any:
    user: Any = request.user
    _require(user, Action.LICENSE_MANAGE, "仅颁发机构的审批人员或部门管理员可以查看")
    queryset = selectors.issuer_licenses(user).order_by("-issued_on", "-id")
    if query.status is not None:
        queryset = queryset.filter(status=query.status)
    if query.type:
        queryset = queryset.filter(type__code=query.type.strip().upper())
    text = query.q.strip().upper()
    if text:
        queryset = queryset.filter(Q(identifier__startswith=text) | Q(number__startswith=query.q.strip()))
    count, rows = _page(queryset, query.page, query.page_size)
    return {"count": count, "page": query.page, "page_size": query.page_size, "items": [_row(x) for x in rows]}


@router.post(
    "/{int:license_id}/status",
    response=IssuedOut,
    summary="变更证照状态（暂扣、恢复有效、撤销、注销、吊销）",
    description="仅颁发机构（本单位的审批人员、部门管理员）。撤销、注销、吊销后不能再变更；公共验证随即显示新状态。",
)
def license_status_set(request: HttpRequest, license_id: int, payload: StatusIn) -> Any:
    license = services.license_set_status(
        actor=request.user, license_id=license_id, status=payload.status, reason=payload.reason
    )
    return _issued_out(license)


@router.post(
    "/{int:license_id}/correct",
    response={201: IssuedOut},
    summary="更正证照（签发新版本）",
    description="以更正后的照面信息签发下一版本，原版本失效（公共验证显示“已被新版本替代”）。",
)
def license_correct(request: HttpRequest, license_id: int, payload: CorrectIn) -> Any:
    new = services.license_correct(actor=request.user, license_id=license_id, face=payload.face, reason=payload.reason)
    return Status(201, _issued_out(new))


@router.get("/disputes", response=DisputePageOut, summary="本单位颁发的证照收到的异议")
def license_dispute_list(request: HttpRequest, query: Query[DisputeQuery]) -> Any:
    user: Any = request.user
    _require(user, Action.LICENSE_MANAGE, "仅颁发机构的审批人员或部门管理员可以查看")
    queryset = selectors.issuer_disputes(user).order_by("-created_at", "-id")
    if query.state is not None:
        queryset = queryset.filter(state=query.state)
    count, rows = _page(queryset, query.page, query.page_size)
    return {
        "count": count,
        "page": query.page,
        "page_size": query.page_size,
        "items": [_dispute_out(d) for d in rows],
    }


@router.post(
    "/disputes/{int:dispute_id}/resolve",
    response=DisputeOut,
    summary="处理异议（更正或不予更正）",
    description="accept=true 时以 face 中的更正签发新版本；false 时不予更正，resolution 为理由。已处理的异议返回409。",
)
def license_dispute_resolve(request: HttpRequest, dispute_id: int, payload: ResolveIn) -> Any:
    dispute = services.dispute_resolve(
        actor=request.user,
        dispute_id=dispute_id,
        accept=payload.accept,
        resolution=payload.resolution,
        face=payload.face,
    )
    return _dispute_out(Dispute.objects.select_related("license", "license__type").get(pk=dispute.pk))


# --- seals (电子印章) --------------------------------------------------------------------------------------


def _seal_out(seal: Seal) -> dict[str, Any]:
    return {
        "id": seal.pk,
        "esid": seal.esid,
        "name": seal.name,
        "label": seal.label,
        "kind": seal.kind,
        "kind_label": seal.get_kind_display(),
        "department_id": seal.department_id,
        "department_name": seal.department.name,
        "status": seal.status,
        "status_label": seal.get_status_display(),
        "valid_from": seal.valid_from,
        "valid_until": seal.valid_until,
        "certificate_fingerprint": seal.certificate_fingerprint,
        "certificate_pem": seal.certificate_pem,
        "revoked_at": seal.revoked_at,
        "revoke_reason": seal.revoke_reason,
        "created_at": seal.created_at,
    }


@router.get("/seals", response=SealPageOut, summary="电子印章登记簿（政务服务管理机构）")
def seal_list(request: HttpRequest, query: Query[PageQuery]) -> Any:
    user: Any = request.user
    _require(user, Action.SEAL_MANAGE, "仅政务服务管理机构可以管理电子印章")
    departments = Department.objects.filter(department_q(user, Action.SEAL_MANAGE))
    queryset = (
        Seal.objects.filter(department__in=departments).select_related("department").order_by("-created_at", "-id")
    )
    count, rows = _page(queryset, query.page, query.page_size)
    return {"count": count, "page": query.page, "page_size": query.page_size, "items": [_seal_out(s) for s in rows]}


@router.post(
    "/seals",
    response={201: SealOut},
    summary="制发电子印章",
    description="生成 ECDSA P-256 签章密钥与证书（由本平台电子印章制发机构签发）和 SM2 密钥，私钥加密保存。",
)
def seal_create(request: HttpRequest, payload: SealIn) -> Any:
    seal = services.seal_create(
        actor=request.user, department_id=payload.department_id, kind=payload.kind, valid_years=payload.valid_years
    )
    return Status(201, _seal_out(Seal.objects.select_related("department").get(pk=seal.pk)))


@router.post(
    "/seals/{int:seal_id}/revoke",
    response=SealOut,
    summary="吊销电子印章",
    description="吊销后不能再用于签发；此前签发的证照仍可验证，验证结果注明印章已吊销。",
)
def seal_revoke(request: HttpRequest, seal_id: int, payload: RevokeIn) -> Any:
    seal = services.seal_revoke(actor=request.user, seal_id=seal_id, reason=payload.reason)
    return _seal_out(seal)


# --- trust list (跨地区互认) -------------------------------------------------------------------------------


def _trust_out(issuer: TrustedIssuer) -> dict[str, Any]:
    return {
        "id": issuer.pk,
        "name": issuer.name,
        "region_name": issuer.region_name,
        "subject": issuer.subject,
        "fingerprint": issuer.fingerprint,
        "not_after": issuer.not_after,
        "added_at": issuer.added_at,
        "removed_at": issuer.removed_at,
        "active": issuer.removed_at is None,
    }


@router.get("/trust", response=list[TrustOut], summary="互认信任列表（其他地区的签发机构证书）")
def trust_list(request: HttpRequest, query: Query[TrustQuery]) -> Any:
    _require(request.user, Action.TRUST_MANAGE, "仅平台管理员可以维护互认信任列表")
    queryset = TrustedIssuer.objects.order_by("name", "id")
    if not query.include_removed:
        queryset = queryset.filter(removed_at__isnull=True)
    return [_trust_out(i) for i in queryset]


@router.post(
    "/trust",
    response={201: TrustOut},
    summary="导入互认签发机构证书",
    description="multipart/form-data：certificate（PEM 或 DER 格式的 X.509 证书）、name（机构名称）、"
    "region_name（所属地区）。"
    "导入后，由该证书（或其签发的证书）签章的PDF验证为“互认地区签发机构”。同一证书不能重复导入（409）。",
)
def trust_add(
    request: HttpRequest,
    certificate: File[UploadedFile],
    name: Form[str],
    region_name: Form[str] = "",
) -> Any:
    _require(request.user, Action.TRUST_MANAGE, "仅平台管理员可以维护互认信任列表")
    data = certificate.read(64 * 1024 + 1)
    if len(data) > 64 * 1024:
        raise DomainError(ErrorCode.VALIDATION, "证书文件不能超过64KB", field="certificate")
    issuer = services.trusted_issuer_add(actor=request.user, certificate=data, name=name, region_name=region_name)
    return Status(201, _trust_out(issuer))


@router.delete(
    "/trust/{int:issuer_id}",
    response={204: None},
    summary="移出互认信任列表",
    description="记录保留；此后仅由该证书担保的签章验证为“签发机构不在信任列表中”。",
)
def trust_remove(request: HttpRequest, issuer_id: int) -> Any:
    services.trusted_issuer_remove(actor=request.user, issuer_id=issuer_id)
    return Status(204, None)


# --- types (证照类型) --------------------------------------------------------------------------------------


@router.get("/types", response=list[LicenseTypeOut], summary="证照类型目录")
def license_type_list(request: HttpRequest) -> Any:
    return [
        {
            "id": kind.pk,
            "code": kind.code,
            "name": kind.name,
            "definer_name": kind.definer_name,
            "definer_code": kind.definer_code,
            "holder_type": kind.holder_type,
            "holder_type_label": kind.get_holder_type_display(),
            "face_fields": kind.face_fields,
            "validity_years": kind.validity_years,
            "multiple_live": kind.multiple_live,
        }
        for kind in LicenseType.objects.filter(active=True).order_by("code")
    ]
