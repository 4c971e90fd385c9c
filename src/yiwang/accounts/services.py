"""Writes of the accounts app. Every one is atomic and writes an audit row."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from yiwang.accounts.choices import StaffRole, UserKind
from yiwang.accounts.models import ApiToken, LegalPerson, NaturalPerson, StaffAssignment, User
from yiwang.accounts.permissions import REGION_WIDE_ROLES, Action, scopes_for
from yiwang.audit.services import record
from yiwang.core import crypto
from yiwang.core.errors import DomainError, ErrorCode, not_found, permission_denied
from yiwang.core.identifiers import validate_id_number, validate_uscc
from yiwang.core.masking import mask_id_number, mask_phone
from yiwang.regions.models import Department, Region, Window

ID_NUMBER_CONTEXT = "accounts.NaturalPerson.id_number"
PHONE_CONTEXT = "accounts.NaturalPerson.phone"
PURPOSE_MIN, PURPOSE_MAX = 4, 200


def id_number_index(id_number: str) -> str:
    """Blind index of an already validated ID number."""
    return crypto.blind_index(id_number, context=ID_NUMBER_CONTEXT)


def _validate_phone(phone: str) -> str:
    digits = phone.strip().replace(" ", "").replace("-", "")
    if not (len(digits) == 11 and digits.isdigit() and digits.startswith("1")):
        raise DomainError(ErrorCode.VALIDATION, "手机号应为以1开头的11位数字", field="phone")
    return digits


def _check_password(password: str, user: User | None, *, field: str = "password") -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(ErrorCode.VALIDATION, "；".join(exc.messages), field=field) from exc


@transaction.atomic
def person_register(
    *, actor: Any, name: str, id_number: str, region: Region, phone: str = "", user: User | None = None
) -> NaturalPerson:
    """登记自然人 (at a window, or when a citizen registers). The ID number is stored only encrypted."""
    registering_self = actor is not None and user is not None and actor.pk == user.pk
    in_scope = actor is None or any(
        region.path.startswith(s.region_path) for s in scopes_for(actor, Action.PERSON_REGISTER)
    )
    if not (in_scope or registering_self):
        raise permission_denied("您无权在该区划登记申请人")
    name = name.strip()
    if not name or len(name) > 100:
        raise DomainError(ErrorCode.VALIDATION, "请填写姓名（不超过100字）", field="name")
    number = validate_id_number(id_number)
    index = id_number_index(number)
    if NaturalPerson.objects.filter(id_number_index=index).exists():
        raise DomainError(ErrorCode.CONFLICT, "该身份证号已登记，请直接查找该申请人", field="id_number")
    fields: dict[str, Any] = {}
    if phone:
        digits = _validate_phone(phone)
        fields = {
            "phone_cipher": crypto.encrypt(digits, context=PHONE_CONTEXT),
            "phone_index": crypto.blind_index(digits, context=PHONE_CONTEXT),
            "phone_masked": mask_phone(digits),
        }
    try:
        person = NaturalPerson.objects.create(
            name=name,
            id_number_cipher=crypto.encrypt(number, context=ID_NUMBER_CONTEXT),
            id_number_index=index,
            id_number_masked=mask_id_number(number),
            region=region,
            user=user,
            created_by=actor if actor is not None else None,
            **fields,
        )
    except IntegrityError as exc:  # a concurrent registration of the same number won
        raise DomainError(ErrorCode.CONFLICT, "该身份证号已登记，请直接查找该申请人", field="id_number") from exc
    record(actor=actor, action="person.register", target=person, changes={"region": [None, region.code]})
    return person


def _valid_purpose(purpose: str) -> str:
    text = (purpose or "").strip()
    if len(text) < PURPOSE_MIN or len(text) > PURPOSE_MAX:
        raise DomainError(
            ErrorCode.PURPOSE_REQUIRED,
            f"查看完整身份证号须说明用途（{PURPOSE_MIN}–{PURPOSE_MAX}字），例如“核验申请人身份”",
            field="purpose",
        )
    return text


@transaction.atomic
def person_reveal_id_number(*, actor: Any, person_id: int, purpose: str) -> str:
    """查看完整身份证号: only staff in scope, only with a stated purpose, and always audit-logged."""
    text = _valid_purpose(purpose)
    person = NaturalPerson.objects.restrict(actor, Action.PERSON_REVEAL).filter(pk=person_id).first()
    if person is None:
        raise not_found("自然人")
    record(
        actor=actor,
        action="person.reveal_id_number",
        target=person,
        purpose=text,
        changes={"field": "id_number"},
    )
    return crypto.decrypt(person.id_number_cipher, context=ID_NUMBER_CONTEXT)


@transaction.atomic
def legal_person_register(
    *, actor: Any, uscc: str, name: str, legal_representative: NaturalPerson, region: Region
) -> LegalPerson:
    """登记法人 with its 法定代表人: by window staff in scope, or by the representative himself."""
    is_representative = actor is not None and legal_representative.user_id == actor.pk
    in_scope = actor is None or any(
        region.path.startswith(s.region_path) for s in scopes_for(actor, Action.PERSON_REGISTER)
    )
    if not (in_scope or is_representative):
        raise permission_denied("您无权在该区划登记法人")
    code = validate_uscc(uscc)
    if not name.strip():
        raise DomainError(ErrorCode.VALIDATION, "请填写法人名称", field="name")
    if LegalPerson.objects.filter(uscc=code).exists():
        raise DomainError(ErrorCode.CONFLICT, f"统一社会信用代码 {code} 已登记", field="uscc")
    try:
        legal = LegalPerson.objects.create(
            uscc=code, name=name.strip(), legal_representative=legal_representative, region=region
        )
    except IntegrityError as exc:  # a concurrent registration of the same USCC won
        raise DomainError(ErrorCode.CONFLICT, f"统一社会信用代码 {code} 已登记", field="uscc") from exc
    record(actor=actor, action="legal_person.register", target=legal, changes={"uscc": [None, code]})
    return legal


def _user_create(
    *, actor: Any, username: str, password: str, kind: str, display_name: str, department: Department | None = None
) -> User:
    """The part of opening an account that citizens and staff share: unique name, policy, hash, audit."""
    username = username.strip()
    if not username:
        raise DomainError(ErrorCode.VALIDATION, "请填写用户名", field="username")
    if User.objects.filter(username=username).exists():
        raise DomainError(ErrorCode.CONFLICT, "该用户名已被使用", field="username")
    user = User(username=username, kind=kind, display_name=display_name, department=department)
    _check_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent sign-up took the name
        raise DomainError(ErrorCode.CONFLICT, "该用户名已被使用", field="username") from exc
    record(
        actor=actor,
        action="user.create",
        target=user,
        changes={"kind": [None, kind], "department": [None, department.pk if department else None]},
    )
    return user


@transaction.atomic
def citizen_create(*, actor: Any, username: str, password: str, display_name: str = "") -> User:
    """开设群众账号 (foundation form; issue 4 adds phone verification and real-name checks)."""
    return _user_create(
        actor=actor, username=username, password=password, kind=UserKind.CITIZEN, display_name=display_name
    )


@transaction.atomic
def staff_create(*, actor: Any, username: str, password: str, display_name: str, department: Department) -> User:
    """开设工作人员账号 in a department (roles are granted separately with ``staff_assign``)."""
    if actor is not None and not any(
        department.region.path.startswith(s.region_path)
        and (s.department_id is None or s.department_id == department.pk)
        for s in scopes_for(actor, Action.STAFF_MANAGE)
    ):
        raise permission_denied("您无权为该机构开设人员账号")
    return _user_create(
        actor=actor,
        username=username,
        password=password,
        kind=UserKind.STAFF,
        display_name=display_name,
        department=department,
    )


@transaction.atomic
def staff_assign(
    *, actor: Any, user: User, role: str, region: Region | None = None, window: Window | None = None
) -> StaffAssignment:
    """授予岗位. The scope is the user's department and a region subtree at or below the department's."""
    if user.kind != UserKind.STAFF or user.department is None:
        raise DomainError(ErrorCode.VALIDATION, "只能给工作人员授予岗位", field="user")
    if role not in StaffRole.values:
        raise DomainError(ErrorCode.VALIDATION, "角色不正确", field="role")
    department = user.department
    region = region or department.region
    if not region.path.startswith(department.region.path):
        raise DomainError(ErrorCode.VALIDATION, "管辖区划须在所属机构的区划之内", field="region")
    if actor is not None:
        allowed = [
            s
            for s in scopes_for(actor, Action.STAFF_MANAGE)
            if region.path.startswith(s.region_path) and (s.department_id in (None, department.pk))
        ]
        if not allowed:
            raise permission_denied("您无权为该人员授予岗位")
        if role == StaffRole.PLATFORM_ADMIN and not any(s.department_id is None for s in allowed):
            raise permission_denied("只有政务服务管理机构可以授予管理员岗位")
    if window is not None and (role != StaffRole.WINDOW_CLERK or not window.venue.region.path.startswith(region.path)):
        raise DomainError(ErrorCode.VALIDATION, "只有综合窗口人员可以绑定窗口，且窗口须在管辖区划之内", field="window")
    existing = StaffAssignment.objects.select_for_update().filter(user=user, role=role, department=department).first()
    if existing is None:
        try:
            assignment = StaffAssignment.objects.create(
                user=user,
                role=role,
                department=department,
                region=region,
                all_departments=role in REGION_WIDE_ROLES,
                window=window,
            )
        except IntegrityError as exc:  # a concurrent grant of the same role won
            raise DomainError(ErrorCode.CONFLICT, "该岗位已授予，请刷新后重试", field="role") from exc
        record(
            actor=actor,
            action="staff.assign",
            target=user,
            changes={"role": [None, role], "region": [None, region.code]},
        )
        return assignment
    if existing.region_id == region.pk and existing.window_id == (window.pk if window else None):
        return existing  # nothing changes
    changes = {
        "region": [existing.region.code, region.code],
        "window": [existing.window_id, window.pk if window else None],
    }
    existing.region = region
    existing.window = window
    existing.save(update_fields=["region", "window"])
    record(actor=actor, action="staff.reassign", target=user, changes=changes)
    return existing


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@transaction.atomic
def api_token_create(*, actor: Any, user: User, name: str, days: int = 90) -> tuple[ApiToken, str]:
    """签发机器客户端令牌; returns the token once (only its hash is kept)."""
    if actor is not None and actor.pk != user.pk and not scopes_for(actor, Action.STAFF_MANAGE):
        raise permission_denied("您无权为他人签发令牌")
    if not 1 <= days <= 366:
        raise DomainError(ErrorCode.VALIDATION, "令牌有效期应为1–366天", field="days")
    plaintext = "yw_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100] or "API",
        prefix=plaintext[:8],
        token_hash=_token_digest(plaintext),
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    record(actor=actor, action="api_token.create", target=token, changes={"user": user.username})
    return token, plaintext


@transaction.atomic
def api_token_revoke(*, actor: Any, token_id: int) -> None:
    token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
    if token is None or (
        actor is not None and actor.pk != token.user_id and not scopes_for(actor, Action.STAFF_MANAGE)
    ):
        raise not_found("令牌")
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record(actor=actor, action="api_token.revoke", target=token)


def api_token_authenticate(token: str) -> User | None:
    """The active user behind a bearer token, or None. Touches ``last_used_at`` at most once a minute."""
    row = ApiToken.objects.select_related("user").filter(token_hash=_token_digest(token)).first()
    now = timezone.now()
    if row is None or row.revoked_at is not None or row.expires_at <= now or not row.user.is_active:
        return None
    if row.last_used_at is None or now - row.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
