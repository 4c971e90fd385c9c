"""Models of 电子证照 and 电子印章.

* ``SealAuthority`` — the platform's 电子印章制发 root: a self-signed ECDSA P-256 CA that certifies every seal.
  Verifiers (pdfsig with an NSS db, pyHanko, other regions) trust this one certificate.
* ``Seal`` — 电子印章 of one organisation: an ECDSA key + certificate for PAdES and an SM2 key for 国密
  signatures, keys encrypted at rest, a validity window, revocation.
* ``TrustedIssuer`` — 互认信任列表: other regions' issuer certificates the platform admin imported.
* ``LicenseType`` — 证照类型 (GB/T 36902): code, definer, holder type, face schema, validity rule.
* ``License`` — 电子证照 (GB/T 36903/36904): identifier, holder (encrypted, blind-indexed), status, face data
  (encrypted), the signed PDF face, the SM2 signature over the canonical metadata, the version chain.
* ``LicenseUse`` — 用证记录, ``ShowCode`` — 一码亮证, ``ShareLink`` — 分享链接, ``Dispute`` — 异议.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from yiwang.accounts.models import LegalPerson, NaturalPerson
from yiwang.cases.models import Case
from yiwang.files.models import StoredFile
from yiwang.licenses.choices import DisputeState, HolderType, LicenseStatus, SealKind, SealStatus, UseKind
from yiwang.regions.models import Department

_USER = settings.AUTH_USER_MODEL


class SealAuthority(models.Model):
    """电子印章制发根证书: the CA that certifies the platform's seals (one active at a time)."""

    name = models.CharField("名称", max_length=200)
    key_cipher = models.TextField("私钥(密文)")
    certificate_pem = models.TextField("证书")
    fingerprint = models.CharField("证书指纹(SHA-256)", max_length=64, unique=True)
    active = models.BooleanField("当前使用", default=True)
    created_at = models.DateTimeField("创建时间")

    class Meta:
        verbose_name = "电子印章制发根证书"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(fields=["active"], condition=Q(active=True), name="one_active_seal_authority")
        ]

    def __str__(self) -> str:
        return self.name


class Seal(models.Model):
    """电子印章: one of an organisation's seals, with its keys, certificate and validity window."""

    esid = models.CharField("印章编码", max_length=40, unique=True)  # 印章唯一标识 (esID)
    department = models.ForeignKey(Department, verbose_name="用章单位", on_delete=models.PROTECT, related_name="seals")
    kind = models.CharField("印章类型", max_length=10, choices=SealKind.choices, default=SealKind.LICENSE)
    name = models.CharField("印章名称", max_length=200)  # 兰山区市场监督管理局电子证照专用章
    label = models.CharField("印章文字", max_length=20)  # the words under the star: 电子证照专用章
    authority = models.ForeignKey(SealAuthority, verbose_name="制章机构", on_delete=models.PROTECT, related_name="+")
    key_cipher = models.TextField("签章私钥(密文)")  # ECDSA P-256, PKCS#8 PEM, encrypted
    certificate_pem = models.TextField("签章证书")
    certificate_fingerprint = models.CharField("证书指纹(SHA-256)", max_length=64, unique=True)
    sm2_key_cipher = models.TextField("SM2私钥(密文)")
    sm2_public_pem = models.TextField("SM2公钥")
    valid_from = models.DateTimeField("有效期起")
    valid_until = models.DateTimeField("有效期止")
    status = models.CharField("状态", max_length=10, choices=SealStatus.choices, default=SealStatus.ACTIVE)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    revoked_by = models.ForeignKey(
        _USER, verbose_name="吊销人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoke_reason = models.CharField("吊销原因", max_length=200, blank=True)
    created_at = models.DateTimeField("制发时间")
    created_by = models.ForeignKey(
        _USER, verbose_name="制发人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "电子印章"
        verbose_name_plural = verbose_name
        ordering = ["department__name", "-created_at"]
        indexes = [models.Index(fields=["department", "kind", "status"], name="seal_for_department")]

    def __str__(self) -> str:
        return self.name


class TrustedIssuer(models.Model):
    """互认信任列表: a certificate of another region's issuer whose signatures the platform accepts."""

    name = models.CharField("机构名称", max_length=200)
    region_name = models.CharField("所属地区", max_length=100, blank=True)
    certificate_pem = models.TextField("证书")
    fingerprint = models.CharField("证书指纹(SHA-256)", max_length=64)
    subject = models.CharField("证书主题", max_length=300)
    not_after = models.DateTimeField("证书有效期止")
    added_at = models.DateTimeField("导入时间")
    added_by = models.ForeignKey(_USER, verbose_name="导入人", on_delete=models.PROTECT, related_name="+")
    removed_at = models.DateTimeField("移除时间", null=True, blank=True)
    removed_by = models.ForeignKey(
        _USER, verbose_name="移除人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "互认信任证书"
        verbose_name_plural = verbose_name
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["fingerprint"], condition=Q(removed_at__isnull=True), name="trusted_issuer_once"
            )
        ]

    def __str__(self) -> str:
        return self.name


class LicenseType(models.Model):
    """证照类型 (GB/T 36902 目录): what a licence of this type says and how long it lasts."""

    code = models.CharField("证照类型代码", max_length=21, unique=True)  # 定义机构 USCC + 3 digits
    name = models.CharField("证照类型名称", max_length=100)
    definer_name = models.CharField("证照定义机构", max_length=200)
    definer_code = models.CharField("证照定义机构代码", max_length=18)
    holder_type = models.CharField("持证主体代码类型", max_length=3, choices=HolderType.choices)
    # 照面信息 schema: [{"key": "business_scope", "label": "经营项目"}, …] in the order printed on the face
    face_fields = models.JSONField("照面信息项", default=list)
    validity_years = models.PositiveSmallIntegerField("有效期(年)", null=True, blank=True)  # null: 长期有效
    multiple_live = models.BooleanField("允许同时持有多个有效证照", default=False)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "证照类型"
        verbose_name_plural = verbose_name
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class License(models.Model):
    """电子证照: one version of one licence of one holder. A renewal or correction is a new row (version + 1)
    pointing at the one it replaces (``previous``); the replaced one becomes 失效."""

    identifier = models.CharField("电子证照标识", max_length=120, unique=True)
    type = models.ForeignKey(LicenseType, verbose_name="证照类型", on_delete=models.PROTECT, related_name="licenses")
    serial = models.CharField("流水号", max_length=40)
    version = models.PositiveSmallIntegerField("版本号", default=1)
    number = models.CharField("证照编号", max_length=100)  # printed on the face (the department's own number)
    issuer = models.ForeignKey(Department, verbose_name="颁发机构", on_delete=models.PROTECT, related_name="licenses")
    seal = models.ForeignKey(Seal, verbose_name="签章印章", on_delete=models.PROTECT, related_name="licenses")
    region_code = models.CharField("管辖属地编码", max_length=12)

    holder_type = models.CharField("持证主体代码类型", max_length=3, choices=HolderType.choices)
    holder_name = models.CharField("持证主体", max_length=200)
    holder_code_cipher = models.TextField("持证主体代码(密文)")
    holder_code_index = models.CharField("持证主体代码(盲索引)", max_length=64)
    holder_code_masked = models.CharField("持证主体代码(脱敏)", max_length=20)
    holder_person = models.ForeignKey(
        NaturalPerson, verbose_name="持证人", null=True, blank=True, on_delete=models.PROTECT, related_name="licenses"
    )
    holder_enterprise = models.ForeignKey(
        LegalPerson, verbose_name="持证单位", null=True, blank=True, on_delete=models.PROTECT, related_name="licenses"
    )

    issued_on = models.DateField("颁发日期")
    valid_from = models.DateField("有效期起始日期")
    valid_until = models.DateField("有效期截止日期", null=True, blank=True)  # null: 长期
    status = models.CharField("证照状态", max_length=2, choices=LicenseStatus.choices, default=LicenseStatus.VALID)
    status_reason = models.CharField("状态变更原因", max_length=200, blank=True)
    status_changed_at = models.DateTimeField("状态变更时间", null=True, blank=True)
    # Copied from the type at issuance: only one live licence per (type, holder) when True (partial unique index).
    exclusive = models.BooleanField("唯一有效", default=True)

    face_cipher = models.TextField("照面信息(密文)")  # JSON {key: value}, encrypted
    pdf = models.ForeignKey(StoredFile, verbose_name="版式文件", on_delete=models.PROTECT, related_name="+")
    metadata_signature = models.TextField("元数据SM2签名")  # base64 DER over canonical metadata (services)
    previous = models.OneToOneField(
        "self", verbose_name="上一版本", null=True, blank=True, on_delete=models.PROTECT, related_name="next_version"
    )  # associatedZzeCertID
    case = models.ForeignKey(
        Case, verbose_name="来源办件", null=True, blank=True, on_delete=models.PROTECT, related_name="licenses"
    )
    created_at = models.DateTimeField("入库时间")
    created_by = models.ForeignKey(
        _USER, verbose_name="颁发操作人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "电子证照"
        verbose_name_plural = verbose_name
        ordering = ["-issued_on", "-id"]
        indexes = [
            models.Index(fields=["holder_code_index", "type", "status"], name="license_by_holder"),
            models.Index(fields=["holder_person", "-issued_on"], name="license_of_person"),
            models.Index(fields=["holder_enterprise", "-issued_on"], name="license_of_enterprise"),
            models.Index(fields=["issuer", "status", "-issued_on"], name="license_of_issuer"),
        ]
        constraints = [
            # one live licence per type and holder unless the type allows several (GB/T 36903 practice)
            models.UniqueConstraint(
                fields=["type", "holder_code_index"],
                condition=Q(exclusive=True, status__in=["01", "02"]),
                name="one_live_license_per_holder",
            ),
            # the issuer hook runs once per approved case and type, however often it is retried
            models.UniqueConstraint(
                fields=["case", "type"], condition=Q(case__isnull=False, version=1), name="one_license_per_case"
            ),
            models.UniqueConstraint(fields=["serial", "version"], name="license_serial_version"),
        ]

    def __str__(self) -> str:
        return f"{self.type.name}（{self.identifier}）"


class LicenseUse(models.Model):
    """用证记录: who used whose licence, when, how and why (申请事由). The holder sees every row."""

    license = models.ForeignKey(License, verbose_name="电子证照", on_delete=models.PROTECT, related_name="uses")
    kind = models.CharField("用证方式", max_length=10, choices=UseKind.choices)
    purpose = models.CharField("用证事由", max_length=200)
    user = models.ForeignKey(
        _USER, verbose_name="使用人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    user_display = models.CharField("使用人", max_length=200)  # 兰山区政务服务中心 综合窗口 张三 / 系统
    department = models.ForeignKey(
        Department, verbose_name="使用单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        Case, verbose_name="关联办件", null=True, blank=True, on_delete=models.PROTECT, related_name="license_uses"
    )
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "用证记录"
        verbose_name_plural = verbose_name
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["license", "-at"], name="license_use_by_license")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class ShowCode(models.Model):
    """一码亮证: a short-lived code the holder shows (as QR and as digits) for a clerk to read the licence."""

    license = models.ForeignKey(License, verbose_name="电子证照", on_delete=models.CASCADE, related_name="show_codes")
    code = models.CharField("亮证码", max_length=12, unique=True)  # digits, typed by a clerk
    created_at = models.DateTimeField("生成时间")
    expires_at = models.DateTimeField("失效时间")

    class Meta:
        verbose_name = "亮证码"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return self.code


class ShareLink(models.Model):
    """分享链接: the holder lets someone open the licence face until ``expires_at``."""

    license = models.ForeignKey(License, verbose_name="电子证照", on_delete=models.CASCADE, related_name="shares")
    token_hash = models.CharField("链接令牌摘要", max_length=64, unique=True)  # sha256 of the token in the link
    purpose = models.CharField("分享用途", max_length=200)
    created_at = models.DateTimeField("创建时间")
    expires_at = models.DateTimeField("失效时间")
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    opened = models.PositiveIntegerField("查看次数", default=0)

    class Meta:
        verbose_name = "证照分享链接"
        verbose_name_plural = verbose_name
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.license_id}:{self.created_at:%Y-%m-%d %H:%M}"


class Dispute(models.Model):
    """异议: the holder says the licence is wrong; the issuer corrects it (new version) or rejects with a reason."""

    license = models.ForeignKey(License, verbose_name="电子证照", on_delete=models.PROTECT, related_name="disputes")
    raised_by = models.ForeignKey(_USER, verbose_name="提出人", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField("异议内容")
    state = models.CharField("状态", max_length=10, choices=DisputeState.choices, default=DisputeState.OPEN)
    resolution = models.TextField("处理意见", blank=True)
    resolved_by = models.ForeignKey(
        _USER, verbose_name="处理人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)
    corrected = models.ForeignKey(
        License, verbose_name="更正后的证照", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("提出时间")

    class Meta:
        verbose_name = "证照异议"
        verbose_name_plural = verbose_name
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["license"], condition=Q(state="open"), name="one_open_dispute_per_license")
        ]

    def __str__(self) -> str:
        return f"{self.license_id}:{self.get_state_display()}"
