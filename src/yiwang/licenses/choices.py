"""Code lists of the licences app."""

from __future__ import annotations

from django.db import models


class HolderType(models.TextChoices):
    """持证主体代码类型 (GB/T 36903; only these two values are confirmed, STANDARDS §3)."""

    ID_NUMBER = "111", "公民身份号码"
    USCC = "001", "统一社会信用代码"


class LicenseStatus(models.TextChoices):
    """证照状态 (the MOHURD code list, STANDARDS §3)."""

    VALID = "01", "有效"
    SUSPENDED = "02", "暂扣"
    REVOKED = "03", "撤销"
    CANCELLED = "04", "注销"
    LAPSED = "05", "失效"  # superseded by a newer version, or lapsed by law
    TRANSFERRED = "06", "办理转出"
    WITHDRAWN = "07", "吊销"
    OTHER = "99", "其他"


LIVE_STATUSES = (LicenseStatus.VALID, LicenseStatus.SUSPENDED)  # the holder still holds it
# What the issuing department may set by hand (版本替代 sets 失效 itself; 转出 is not built).
MANUAL_STATUSES = (
    LicenseStatus.VALID,
    LicenseStatus.SUSPENDED,
    LicenseStatus.REVOKED,
    LicenseStatus.CANCELLED,
    LicenseStatus.WITHDRAWN,
)


class Verdict(models.TextChoices):
    """公共验证结论."""

    AUTHENTIC = "authentic", "真实有效"
    SUSPENDED = "suspended", "已暂扣"
    REVOKED = "revoked", "已撤销或注销"
    EXPIRED = "expired", "已过期"
    SUPERSEDED = "superseded", "已被新版本替代"
    UNKNOWN = "unknown", "查无此证"


class SealKind(models.TextChoices):
    """印章类型 (our own list: GB/T 38540's code values were not retrieved, STANDARDS §9)."""

    LICENSE = "license", "电子证照专用章"
    OFFICIAL = "official", "单位公章"
    BUSINESS = "business", "业务专用章"


class SealStatus(models.TextChoices):
    ACTIVE = "active", "有效"
    REVOKED = "revoked", "已吊销"


class UseKind(models.TextChoices):
    """用证方式: every use by someone other than the holder is logged with its purpose (申请事由)."""

    EXEMPT = "exempt", "免提交调用"  # a case's material satisfied by the licence
    SHOW = "show", "亮证核验"  # a clerk read the holder's 亮证码
    STAFF = "staff", "工作人员查询"  # a clerk looked the licence up with a stated purpose
    SHARE = "share", "分享链接查看"  # someone opened a link the holder shared
    AUTO = "auto", "秒批核验"  # a 秒批 rule read whether the licence is valid


class DisputeState(models.TextChoices):
    """异议处理状态."""

    OPEN = "open", "待处理"
    CORRECTED = "corrected", "已更正"  # a new version was issued
    REJECTED = "rejected", "不予更正"
