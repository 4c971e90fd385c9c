"""Input and output schemas of the licences API (``api.py``): one input schema per endpoint.

Inputs check shape only (types, lengths, known code values); every rule — who may, in which status, how long a
purpose may be — is the services' (CONVENTIONS rule 6), and their errors come back with the same field paths.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

MAX_PAGE_SIZE = 100

ManualStatusIn = Literal["01", "02", "03", "04", "07"]
StatusFilterIn = Literal["01", "02", "03", "04", "05", "06", "07", "99"]
SealKindIn = Literal["license", "official", "business"]
DisputeStateIn = Literal["open", "corrected", "rejected"]

PURPOSE_DESCRIPTION = "用证事由（2–200字），记入用证记录，持证人可见"


# --- inputs ----------------------------------------------------------------------------------------------


class PageQuery(Schema):
    page: int = Field(1, ge=1)
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)


class IssuedQuery(PageQuery):
    status: StatusFilterIn | None = Field(
        None, description="证照状态代码：01 有效 02 暂扣 03 撤销 04 注销 05 失效 07 吊销"
    )
    type: str | None = Field(None, max_length=21, description="证照类型代码")
    q: str = Field("", max_length=120, description="电子证照标识或证照编号（前缀）")


class DisputeQuery(PageQuery):
    state: DisputeStateIn | None = Field(None, description="open 待处理 / corrected 已更正 / rejected 不予更正")


class TrustQuery(Schema):
    include_removed: bool = Field(False, description="同时列出已移出信任列表的证书")


class ShareIn(Schema):
    purpose: str = Field(..., max_length=200, description="分享用途（1–200字），如“向房东出示营业执照”")
    hours: int = Field(72, ge=1, le=720, description="有效时长（小时，1–720）")


class DisputeIn(Schema):
    reason: str = Field(..., max_length=500, description="异议内容（5–500字）：哪一项有误，正确的应是什么")


class RedeemIn(Schema):
    code: str = Field(..., max_length=20, description="持证人出示的10位亮证码（可含空格）")
    purpose: str = Field(..., max_length=400, description=PURPOSE_DESCRIPTION)


class LookupIn(Schema):
    identifier: str = Field(..., max_length=160, description="电子证照标识（GB/T 36904）")
    purpose: str = Field(..., max_length=400, description=PURPOSE_DESCRIPTION)


class StatusIn(Schema):
    status: ManualStatusIn = Field(..., description="01 有效 / 02 暂扣 / 03 撤销 / 04 注销 / 07 吊销")
    reason: str = Field(..., max_length=200, description="变更原因（1–200字）")


class CorrectIn(Schema):
    face: dict[str, Any] = Field(..., description="更正的照面信息项：{项标识: 新值}，未列出的项保持不变")
    reason: str = Field(..., max_length=200, description="更正原因（1–200字）")


class ResolveIn(Schema):
    accept: bool = Field(..., description="true 更正（签发新版本）/ false 不予更正")
    resolution: str = Field(..., max_length=500, description="处理意见（1–500字），持证人可见")
    face: dict[str, Any] | None = Field(None, description="更正后的照面信息项（accept=true 时必填）")


class SealIn(Schema):
    department_id: int = Field(..., description="用章单位")
    kind: SealKindIn = Field("license", description="license 电子证照专用章 / official 单位公章 / business 业务专用章")
    valid_years: int = Field(5, ge=1, le=10, description="有效期（年，1–10）")


class RevokeIn(Schema):
    reason: str = Field(..., max_length=200, description="吊销原因（1–200字）")


# --- outputs: public verification ------------------------------------------------------------------------


class LineOut(Schema):
    label: str
    value: str


class VerifyOut(Schema):
    """公共验证结论 of one identifier; personal data masked."""

    identifier: str = Field(..., description="规范化后的电子证照标识")
    verdict: Literal["authentic", "suspended", "revoked", "expired", "superseded", "unknown"]
    verdict_label: str = Field(..., description="真实有效 / 已暂扣 / 已撤销或注销 / 已过期 / 已被新版本替代 / 查无此证")
    found: bool
    type_name: str
    issuer_name: str
    status: str = Field(..., description="证照状态代码（查无此证时为空）")
    status_label: str
    metadata_intact: bool | None = Field(..., description="证照元数据的SM2签名仍然有效（查无此证时为 null）")
    successor_identifier: str = Field(..., description="替代该版本的新版本标识（仅“已被新版本替代”）")
    lines: list[LineOut] = Field(..., description="照面信息（脱敏）")
    verify_url: str


class SealSummaryOut(Schema):
    esid: str
    name: str
    department_name: str
    status: str
    status_label: str
    revoked: bool
    revoked_at: dt.datetime | None


class IssuerSummaryOut(Schema):
    name: str
    region_name: str


class PdfCheckOut(Schema):
    """上传版式文件的验证结论."""

    outcome: Literal["platform", "mutual", "untrusted", "certificate", "tampered", "unsigned", "unreadable"]
    ok: bool = Field(..., description="签名完好有效且签发机构可信（本平台或互认地区）")
    headline: str
    detail: str
    signed: bool
    intact: bool
    valid: bool
    trusted: bool
    signature_count: int
    signer_subject: str
    signer_fingerprint: str
    signing_time: dt.datetime | None = Field(..., description="签名者声明的签章时间（不是可信时间）")
    trust_text: str = Field(..., description="本平台电子印章 / 互认地区签发机构：名称（地区）")
    seal: SealSummaryOut | None
    trusted_issuer: IssuerSummaryOut | None
    sha256: str
    archive_match: bool = Field(..., description="与本平台存档的电子证照逐字节一致")
    archive_text: str
    license: VerifyOut | None = Field(..., description="存档证照的当前验证结论（仅 archive_match）")


# --- outputs: licences -----------------------------------------------------------------------------------


class LicenseRowOut(Schema):
    id: int
    identifier: str
    type_code: str
    type_name: str
    number: str
    version: int
    holder_name: str
    holder_code_masked: str
    issuer_id: int
    issuer_name: str
    issued_on: dt.date
    valid_from: dt.date
    valid_until: dt.date | None = Field(..., description="有效期截止日期（长期有效为 null）")
    status: str
    status_label: str
    status_reason: str


class LicensePageOut(Schema):
    count: int
    page: int
    page_size: int
    items: list[LicenseRowOut]


class FaceFieldOut(Schema):
    key: str
    label: str
    value: str


class UseOut(Schema):
    id: int
    kind: str
    kind_label: str
    purpose: str
    user_display: str
    case_number: str
    at: dt.datetime


class ShareOut(Schema):
    id: int
    purpose: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    opened: int
    active: bool


class DisputeOut(Schema):
    id: int
    license_id: int
    license_identifier: str
    type_name: str
    reason: str
    state: str
    state_label: str
    resolution: str
    created_at: dt.datetime
    resolved_at: dt.datetime | None
    corrected_id: int | None = Field(..., description="更正后签发的新版本（已更正时）")


class DisputePageOut(Schema):
    count: int
    page: int
    page_size: int
    items: list[DisputeOut]


class WalletDetailOut(LicenseRowOut):
    """The holder's own licence: face data in clear, who used it, links and disputes."""

    holder_type: str
    holder_code: str = Field(..., description="持证主体代码（明文，仅持证人本人可见）")
    face: list[FaceFieldOut]
    pdf_url: str
    verify_url: str
    previous_identifier: str
    uses: list[UseOut] = Field(..., description="用证记录：谁、何时、以何种方式、为何使用了该证照")
    shares: list[ShareOut]
    disputes: list[DisputeOut]


class StaffLicenseOut(LicenseRowOut):
    """A licence read by staff with a stated purpose (亮证核验 / 说明事由查询); the use is logged."""

    holder_type: str
    holder_code: str
    face: list[FaceFieldOut]
    verdict: str
    verdict_label: str
    metadata_intact: bool


class IssuedOut(LicenseRowOut):
    """A licence as its issuing department sees it after a change."""

    previous_identifier: str


class ShowCodeOut(Schema):
    code: str = Field(..., description="10位亮证码，工作人员输入或扫码读取")
    expires_at: dt.datetime
    seconds: int = Field(..., description="有效秒数")


class ShareCreatedOut(Schema):
    id: int
    url: str = Field(..., description="分享链接（含令牌，只显示这一次，请立即复制）")
    purpose: str
    expires_at: dt.datetime


# --- outputs: seals, trust list, types -------------------------------------------------------------------


class SealOut(Schema):
    id: int
    esid: str
    name: str
    label: str
    kind: str
    kind_label: str
    department_id: int
    department_name: str
    status: str
    status_label: str
    valid_from: dt.datetime
    valid_until: dt.datetime
    certificate_fingerprint: str
    certificate_pem: str
    revoked_at: dt.datetime | None
    revoke_reason: str
    created_at: dt.datetime


class SealPageOut(Schema):
    count: int
    page: int
    page_size: int
    items: list[SealOut]


class TrustOut(Schema):
    id: int
    name: str
    region_name: str
    subject: str
    fingerprint: str
    not_after: dt.datetime
    added_at: dt.datetime
    removed_at: dt.datetime | None
    active: bool


class FaceSchemaFieldOut(Schema):
    key: str
    label: str


class LicenseTypeOut(Schema):
    id: int
    code: str
    name: str
    definer_name: str
    definer_code: str
    holder_type: str
    holder_type_label: str
    face_fields: list[FaceSchemaFieldOut]
    validity_years: int | None = Field(..., description="有效期（年）；null 为长期有效")
    multiple_live: bool
