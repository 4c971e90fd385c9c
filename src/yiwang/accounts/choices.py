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
