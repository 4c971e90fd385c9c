"""Code lists of the accounts app."""

from django.db import models


class UserKind(models.TextChoices):
    """What kind of account a user is."""

    CITIZEN = "citizen", "办事群众"  # natural person, possibly an enterprise's 经办人
    STAFF = "staff", "工作人员"  # belongs to an organisation and holds roles


class StaffRole(models.TextChoices):
    """Staff roles; what each may do is the table in ``permissions.ROLE_ACTIONS``."""

    WINDOW_CLERK = "window_clerk", "综合窗口人员"
    APPROVER = "approver", "审批人员"
    DEPARTMENT_ADMIN = "department_admin", "部门管理员"
    PLATFORM_ADMIN = "platform_admin", "政务服务管理机构管理员"
    SUPERVISOR = "supervisor", "监察人员"
    HOTLINE_AGENT = "hotline_agent", "12345话务员"


class PhoneCodePurpose(models.TextChoices):
    """What a 短信验证码 is for; a code sent for one purpose never verifies another."""

    REGISTER = "register", "注册账号"


class PhoneCodeState(models.TextChoices):
    """States of a 短信验证码. Expiry is by time (``expires_at``), not a state."""

    PENDING = "pending", "待验证"  # sent; may be tried until it expires or the attempts run out
    VERIFIED = "verified", "已验证"  # the right code was given; a one-time proof of the phone was issued
    USED = "used", "已使用"  # the proof was spent (the account was opened)
    REPLACED = "replaced", "已作废"  # a newer code was sent to the same phone for the same purpose
    LOCKED = "locked", "已锁定"  # too many wrong tries; only a new code helps


class ActingKind(models.TextChoices):
    """Under which identity a citizen acts in the portal (办事身份)."""

    PERSON = "person", "个人"
    ENTERPRISE = "enterprise", "企业"
