"""Models of accounts: users, natural persons, legal persons, staff assignments and API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone

from yiwang.accounts.choices import PhoneCodePurpose, PhoneCodeState, StaffRole, UserKind
from yiwang.regions.models import Department, Region, Window


class User(AbstractUser):
    """平台账号. Citizens and staff share one table; ``kind`` says which. Names live in ``display_name``."""

    kind = models.CharField("账号类型", max_length=10, choices=UserKind.choices, default=UserKind.CITIZEN)
    display_name = models.CharField("显示名称", max_length=100, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name="所属机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )

    class Meta:
        verbose_name = "账号"
        verbose_name_plural = verbose_name
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=UserKind.CITIZEN) | Q(department__isnull=False), name="staff_has_department"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_staff_member(self) -> bool:
        return self.kind == UserKind.STAFF


class NaturalPersonQuerySet(models.QuerySet["NaturalPerson"]):
    def restrict(self, user: User, action: str) -> NaturalPersonQuerySet:
        from yiwang.accounts.permissions import person_q

        return self.filter(person_q(user, action))


class NaturalPerson(models.Model):
    """自然人. The 身份证号 and phone are stored only encrypted, with a blind index for exact lookup and
    a masked form for display; plaintext exists only in memory after an audited reveal."""

    name = models.CharField("姓名", max_length=100)
    id_number_cipher = models.TextField("身份证号(密文)")
    id_number_index = models.CharField("身份证号(盲索引)", max_length=64, unique=True)
    id_number_masked = models.CharField("身份证号(脱敏)", max_length=18)
    phone_cipher = models.TextField("手机号(密文)", blank=True)
    phone_index = models.CharField("手机号(盲索引)", max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField("手机号(脱敏)", max_length=20, blank=True)
    region = models.ForeignKey(Region, verbose_name="常住地", on_delete=models.PROTECT, related_name="persons")
    user = models.OneToOneField(
        User, verbose_name="账号", null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )
    created_at = models.DateTimeField("登记时间", default=timezone.now)
    created_by = models.ForeignKey(
        User, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = NaturalPersonQuerySet.as_manager()

    class Meta:
        verbose_name = "自然人"
        verbose_name_plural = verbose_name
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.id_number_masked}）"


class LegalPerson(models.Model):
    """法人 (enterprise or other organisation applying for services), identified by its USCC."""

    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    name = models.CharField("名称", max_length=200)
    legal_representative = models.ForeignKey(
        NaturalPerson, verbose_name="法定代表人", on_delete=models.PROTECT, related_name="represented"
    )
    region = models.ForeignKey(Region, verbose_name="注册地", on_delete=models.PROTECT, related_name="legal_persons")
    created_at = models.DateTimeField("登记时间", default=timezone.now)
    created_by = models.ForeignKey(
        User, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "法人"
        verbose_name_plural = verbose_name
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class EnterpriseAgent(models.Model):
    """经办人授权: the 法定代表人 authorises a natural person to act for the legal person, for every item
    (``scope_all``) or for a list of 实施编码 (``item_codes``), until ``valid_until`` or until revoked.

    Whether a grant is in force is decided in one place only, ``selectors.agent_grant_active``: a grant
    that has expired or was revoked stops working on the next request. Rows are never deleted; a new
    grant for the same person revokes the previous one (the partial unique constraint allows one live row).
    """

    enterprise = models.ForeignKey(LegalPerson, verbose_name="法人", on_delete=models.CASCADE, related_name="agents")
    person = models.ForeignKey(NaturalPerson, verbose_name="经办人", on_delete=models.PROTECT, related_name="agencies")
    scope_all = models.BooleanField("全部事项", default=False)
    item_codes = models.JSONField("授权事项（实施编码）", default=list, blank=True)
    valid_until = models.DateTimeField("有效期至", null=True, blank=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    created_at = models.DateTimeField("授权时间", default=timezone.now)
    granted_by = models.ForeignKey(
        User, verbose_name="授权人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_by = models.ForeignKey(
        User, verbose_name="撤销人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "经办人授权"
        verbose_name_plural = verbose_name
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "person"],
                condition=Q(revoked_at__isnull=True),
                name="agent_one_live_grant",
            ),
            models.CheckConstraint(condition=Q(scope_all=True) | ~Q(item_codes=[]), name="agent_grant_has_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.person.name}"


class AgentAuthorisation(models.Model):
    """帮办代办授权: a natural person (委托人) lets an agent act for him — another citizen, or a staff
    member of a 帮办代办 window — for every item or a list of 实施编码, with a reason and an expiry.

    Every act done under it is written to the audit log against this row, so the 委托人 sees on
    "我的授权" who acted for him; he can revoke it at any time and it stops working at once
    (``selectors.agent_authorisation_active`` is the only test of whether it is in force).
    """

    principal = models.ForeignKey(
        NaturalPerson, verbose_name="委托人", on_delete=models.PROTECT, related_name="authorisations_given"
    )
    agent = models.ForeignKey(
        User, verbose_name="代办人", on_delete=models.PROTECT, related_name="authorisations_received"
    )
    scope_all = models.BooleanField("全部事项", default=False)
    item_codes = models.JSONField("授权事项（实施编码）", default=list, blank=True)
    reason = models.CharField("授权事由", max_length=200)
    valid_until = models.DateTimeField("有效期至")
    created_at = models.DateTimeField("授权时间", default=timezone.now)
    created_by = models.ForeignKey(
        User, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, verbose_name="撤销人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "帮办代办授权"
        verbose_name_plural = verbose_name
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["principal", "agent"],
                condition=Q(revoked_at__isnull=True),
                name="authorisation_one_live",
            ),
            models.CheckConstraint(condition=Q(valid_until__gt=models.F("created_at")), name="authorisation_expires"),
            models.CheckConstraint(condition=Q(scope_all=True) | ~Q(item_codes=[]), name="authorisation_has_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.principal.name} → {self.agent}"


class StaffAssignment(models.Model):
    """岗位授权: one role for one staff member, scoped to a region subtree and one or all departments.

    Data scope = region subtree (``region``) × departments (``department`` only, or every department in
    the subtree when ``all_departments``). A 综合窗口 clerk accepts for every department of the region
    (无差别受理), so that role is granted with ``all_departments``; an approver sees only his department.
    """

    user = models.ForeignKey(User, verbose_name="人员", on_delete=models.CASCADE, related_name="assignments")
    role = models.CharField("角色", max_length=20, choices=StaffRole.choices)
    department = models.ForeignKey(Department, verbose_name="所属机构", on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(Region, verbose_name="管辖区划", on_delete=models.PROTECT, related_name="+")
    all_departments = models.BooleanField("覆盖区划内全部机构", default=False)
    window = models.ForeignKey(
        Window, verbose_name="窗口", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("授权时间", default=timezone.now)

    class Meta:
        verbose_name = "岗位授权"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "department"], name="assignment_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class ApiToken(models.Model):
    """机器客户端令牌 (bearer token). Only its SHA-256 is stored; the token is shown once on creation."""

    user = models.ForeignKey(User, verbose_name="所属账号", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("用途", max_length=100)
    prefix = models.CharField("前缀", max_length=8)
    token_hash = models.CharField("令牌哈希", max_length=64, unique=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    expires_at = models.DateTimeField("过期时间")
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    last_used_at = models.DateTimeField("最后使用", null=True, blank=True)

    class Meta:
        verbose_name = "API 令牌"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class PhoneCode(models.Model):
    """短信验证码. The code itself is never stored: only an HMAC-SHA256 of it under a server key (derived
    from the data key with HKDF, as the blind index is), salted per row. A code lives five minutes and
    allows five tries; once right it is used up, and what remains is a one-time *proof* that the phone
    was verified (only its SHA-256 is kept), which the registration spends.

    The phone is kept only as its blind index (for the limits) and masked (for display).
    """

    purpose = models.CharField("用途", max_length=20, choices=PhoneCodePurpose.choices)
    phone_index = models.CharField("手机号(盲索引)", max_length=64)
    phone_masked = models.CharField("手机号(脱敏)", max_length=20)
    code_hash = models.CharField("验证码摘要", max_length=64)
    salt = models.CharField("盐", max_length=32)
    state = models.CharField("状态", max_length=10, choices=PhoneCodeState.choices, default=PhoneCodeState.PENDING)
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)
    sent_ip = models.GenericIPAddressField("请求IP", null=True, blank=True)
    created_at = models.DateTimeField("发送时间", default=timezone.now)
    expires_at = models.DateTimeField("过期时间")
    verified_at = models.DateTimeField("验证时间", null=True, blank=True)
    proof_hash = models.CharField("验证凭据摘要", max_length=64, null=True, blank=True, unique=True)
    used_at = models.DateTimeField("使用时间", null=True, blank=True)

    class Meta:
        verbose_name = "短信验证码"
        verbose_name_plural = verbose_name
        ordering = ["-id"]
        constraints = [
            # One code in play per phone and purpose: sending a new one replaces the old (under a row lock),
            # and two concurrent first sends cannot both succeed.
            models.UniqueConstraint(
                fields=["phone_index", "purpose"],
                condition=Q(state=PhoneCodeState.PENDING),
                name="phone_code_one_pending",
            ),
            models.CheckConstraint(condition=Q(attempts__lte=5), name="phone_code_attempt_limit"),
            models.CheckConstraint(
                condition=Q(state__in=[PhoneCodeState.VERIFIED, PhoneCodeState.USED], proof_hash__isnull=False)
                | (~Q(state__in=[PhoneCodeState.VERIFIED, PhoneCodeState.USED]) & Q(proof_hash__isnull=True)),
                name="phone_code_proof_iff_verified",
            ),
        ]
        indexes = [
            models.Index(fields=["phone_index", "created_at"], name="phone_code_phone_idx"),
            models.Index(fields=["sent_ip", "created_at"], name="phone_code_ip_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.phone_masked}"
