"""Who may do what, where: roles × actions, and the data scope of each grant.

Every scoped read goes through a queryset ``restrict(user, action)`` built from :func:`scopes_for`,
never through a check in a template. The same rules serve pages, the API and commands.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db.models import Q

from yiwang.accounts.choices import StaffRole, UserKind
from yiwang.core.prepared import PreparedQuery


class Action(StrEnum):
    """Actions that need a scope. Reads of public data (departments, venues) need none."""

    PERSON_VIEW = "person.view"  # 查看自然人信息 (masked)
    PERSON_REVEAL = "person.reveal"  # 查看完整身份证号 (with purpose)
    PERSON_REGISTER = "person.register"  # 窗口登记申请人
    PROXY_AUTHORISE = "proxy.authorise"  # 登记帮办代办授权 (群众书面委托本窗口代办)
    ORG_MANAGE = "org.manage"  # 维护机构、场所、窗口
    STAFF_MANAGE = "staff.manage"  # 维护人员与岗位
    AUDIT_VIEW = "audit.view"  # 查看审计日志
    CATALOG_EDIT = "catalog.edit"  # 编辑事项草稿、提交变更申请 (own department)
    CATALOG_REVIEW = "catalog.review"  # 审核发布事项 (政务服务管理机构)
    OIDC_CLIENT_MANAGE = "oidc.client.manage"  # 登记统一身份认证接入系统 (OpenID Connect 客户端)
    SIGNIN_HISTORY_VIEW = "signin_history.view"  # 查看他人的登录记录 (IP、时间、设备)
    CASE_VIEW = "case.view"  # 查看办件 (region for window and supervision, department for approvers)
    CASE_ACCEPT = "case.accept"  # 综合窗口收件、受理、不予受理、一次性告知、出件 (无差别受理)
    CASE_HANDLE = "case.handle"  # 后台审批: 审核、决定、退回、特别程序、承诺核查
    CASE_SUPERVISE = "case.supervise"  # 督办 (电子监察)
    CALENDAR_MANAGE = "calendar.manage"  # 维护工作日历
    LICENSE_MANAGE = "license.manage"  # 颁发机构: 变更证照状态、更正、处理异议 (own department)
    LICENSE_USE = "license.use"  # 用证: 亮证核验、说明事由后查询证照 (logged, the holder sees it)
    SEAL_MANAGE = "seal.manage"  # 电子印章制发与吊销 (政务服务管理机构)
    TRUST_MANAGE = "trust.manage"  # 维护跨地区互认信任列表
    EVALUATION_HANDLE = "evaluation.handle"  # 差评核实、整改、回访 (own department; window clerks for their hall)
    EVALUATION_REVIEW = "evaluation.review"  # 差评申诉复核、统计与导出 (政务服务管理机构, 监察)
    HOTLINE_TAKE = "hotline.take"  # 12345 受理登记、派单、回访 (话务员, 办不成事窗口)
    HOTLINE_HANDLE = "hotline.handle"  # 承办单位办理、回复、申请延期、退回 (own department)
    HOTLINE_SUPERVISE = "hotline.supervise"  # 督办、审批延期、季度分析 (政务服务管理机构, 监察)


ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    StaffRole.WINDOW_CLERK: frozenset(
        {
            Action.PERSON_VIEW,
            Action.PERSON_REVEAL,
            Action.PERSON_REGISTER,
            Action.PROXY_AUTHORISE,
            Action.CASE_VIEW,
            Action.CASE_ACCEPT,
            Action.LICENSE_USE,
            Action.EVALUATION_HANDLE,
            Action.HOTLINE_TAKE,  # the 办不成事 window is staffed from the comprehensive windows
        }
    ),
    # Sees applicants only through the cases of his department.
    StaffRole.APPROVER: frozenset(
        {
            Action.CASE_VIEW,
            Action.CASE_HANDLE,
            Action.LICENSE_MANAGE,
            Action.LICENSE_USE,
            Action.EVALUATION_HANDLE,
            Action.HOTLINE_HANDLE,
        }
    ),
    StaffRole.DEPARTMENT_ADMIN: frozenset(
        {
            Action.STAFF_MANAGE,
            Action.CATALOG_EDIT,
            Action.LICENSE_MANAGE,
            Action.EVALUATION_HANDLE,
            Action.HOTLINE_HANDLE,
        }
    ),
    StaffRole.PLATFORM_ADMIN: frozenset(
        {
            Action.PERSON_VIEW,
            Action.PERSON_REVEAL,
            Action.ORG_MANAGE,
            Action.STAFF_MANAGE,
            Action.AUDIT_VIEW,
            Action.CATALOG_EDIT,
            Action.CATALOG_REVIEW,
            Action.SIGNIN_HISTORY_VIEW,
            Action.OIDC_CLIENT_MANAGE,
            Action.CALENDAR_MANAGE,
            Action.CASE_VIEW,
            Action.SEAL_MANAGE,
            Action.TRUST_MANAGE,
            Action.EVALUATION_REVIEW,
            Action.HOTLINE_SUPERVISE,
        }
    ),
    StaffRole.SUPERVISOR: frozenset(
        {
            Action.PERSON_VIEW,
            Action.AUDIT_VIEW,
            Action.CASE_VIEW,
            Action.CASE_SUPERVISE,
            Action.EVALUATION_REVIEW,
            Action.HOTLINE_SUPERVISE,
        }
    ),
    StaffRole.HOTLINE_AGENT: frozenset({Action.PERSON_VIEW, Action.HOTLINE_TAKE}),
}

# Roles whose grant covers every department of the region subtree (无差别受理, supervision, the hotline).
REGION_WIDE_ROLES = frozenset(
    {StaffRole.WINDOW_CLERK, StaffRole.PLATFORM_ADMIN, StaffRole.SUPERVISOR, StaffRole.HOTLINE_AGENT}
)

SECOND_FACTOR_ROLES = frozenset(
    {
        StaffRole.WINDOW_CLERK,
        StaffRole.APPROVER,
        StaffRole.DEPARTMENT_ADMIN,
        StaffRole.PLATFORM_ADMIN,
        StaffRole.SUPERVISOR,
    }
)
"""Roles whose holder must pass a second factor (TOTP or a recovery code) before any staff page or API.

A stolen password alone must not open what the role opens:

- 综合窗口人员 and 政务服务管理机构管理员 reveal full 身份证号 (``PERSON_REVEAL``);
- 审批人员 decide cases — a decision is a legal act in the citizen's name;
- 监察人员 read the audit log, which says who looked at whom, and see applicants;
- 部门管理员 open staff accounts and grant roles (``STAFF_MANAGE``), window clerk included: a second
  factor on the roles above is worth little if the account that mints their holders has none.

Not listed: 12345话务员 sees applicants only masked and decides nothing (revisit when the hotline app
lets agents see more). A role added to :class:`StaffRole` is outside this set until someone argues it in.
The set is checked on every request (:func:`second_factor_required`), so a role granted during a session
takes effect at once.
"""


def second_factor_required(user: Any) -> bool:
    """True for an active staff member holding at least one role of :data:`SECOND_FACTOR_ROLES`."""
    return bool(roles_of(user) & SECOND_FACTOR_ROLES)


def second_factor_satisfied(user: Any) -> bool:
    """False only for a signed-in user who must pass a second factor and has not (yet) in this session.

    ``is_verified`` is installed by django-otp's ``OTPMiddleware``; a user object without it (a bearer
    token client, a command) is judged by the role alone, so callers that accept bearer tokens must
    check the token path separately (see ``yiwang.api.auth``).
    """
    if not second_factor_required(user):
        return True
    is_verified = getattr(user, "is_verified", None)
    return bool(callable(is_verified) and is_verified())


@dataclass(frozen=True)
class Scope:
    """One grant's reach: a region subtree (by path) and one department, or all of them (None)."""

    role: str
    region_path: str
    department_id: int | None


def _is_staff(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.kind == UserKind.STAFF)


def _assignments_of(user_id: int) -> Any:
    from django.db.models import F

    from yiwang.accounts.models import StaffAssignment

    return StaffAssignment.objects.annotate(region_path=F("region__path")).filter(user_id=user_id)


_ASSIGNMENTS: PreparedQuery[Any] = PreparedQuery(_assignments_of)  # read on every staff request: compiled once


def scopes_for(user: Any, action: str) -> list[Scope]:
    """The scopes in which ``user`` may perform ``action`` (empty for citizens and anonymous users).

    Cached on the user object for the request: one query however many checks a page makes.
    """
    if not _is_staff(user):
        return []
    cache: dict[str, list[Scope]] | None = getattr(user, "_yiwang_scopes", None)
    if cache is None:
        cache = {}
        rows = [(a.role, a.region_path, a.department_id, a.all_departments) for a in _ASSIGNMENTS.rows(user.pk)]
        for role, path, department_id, all_departments in rows:
            for act in ROLE_ACTIONS.get(role, frozenset()):
                cache.setdefault(act, []).append(Scope(role, path, None if all_departments else department_id))
            cache.setdefault("*", []).append(Scope(role, path, None if all_departments else department_id))
        user._yiwang_scopes = cache
    return list(cache.get(action, []))


def roles_of(user: Any) -> set[str]:
    return {scope.role for scope in scopes_for(user, "*")}


def user_can(user: Any, action: str) -> bool:
    return bool(scopes_for(user, action))


def _none() -> Q:
    return Q(pk__in=[])


def region_q(user: Any, action: str, *, path_field: str, department_field: str | None = None) -> Q:
    """Q for rows inside one of the user's scopes, by region path (and department when scoped)."""
    q = _none()
    for scope in scopes_for(user, action):
        part = Q(**{f"{path_field}__startswith": scope.region_path})
        if scope.department_id is not None and department_field is not None:
            part &= Q(**{department_field: scope.department_id})
        q |= part
    return q


def person_q(user: Any, action: str) -> Q:
    """Natural persons visible to ``user``: staff by the person's region; a citizen sees only himself."""
    q = region_q(user, action, path_field="region__path")
    if user is not None and user.is_authenticated and action == Action.PERSON_VIEW:
        q |= Q(user_id=user.pk)
    return q


def scope_reaches(user: Any, action: str, *, department_id: int, region_path: str) -> bool:
    """Whether one of ``user``'s scopes for ``action`` reaches the department ``department_id`` of the
    region ``region_path``: the rule of ``department_q`` for one department whose region path is known
    already (read with the row that names it), so the check needs no query of its own."""
    return any(
        region_path.startswith(scope.region_path) and scope.department_id in (None, department_id)
        for scope in scopes_for(user, action)
    )


def department_q(user: Any, action: str) -> Q:
    return region_q(user, action, path_field="region__path", department_field="pk")


def account_q(user: Any, action: str) -> Q:
    """Accounts (``User`` rows) visible to ``user`` for ``action``; everybody sees his own.

    Staff accounts by their department's region (and the department, for a department-scoped grant);
    citizens by the region of their natural person, and only under a region-wide grant.
    """
    q = Q(pk=user.pk) if user is not None and user.is_authenticated else _none()
    for scope in scopes_for(user, action):
        staff_part = Q(kind=UserKind.STAFF, department__region__path__startswith=scope.region_path)
        if scope.department_id is not None:
            staff_part &= Q(department_id=scope.department_id)
        else:
            q |= Q(kind=UserKind.CITIZEN, person__region__path__startswith=scope.region_path)
        q |= staff_part
    return q
