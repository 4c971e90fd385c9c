"""Writes of the accounts app. Every one is atomic and writes an audit row."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from yiwang.accounts import sms
from yiwang.accounts.acting import PERSON, ActingIdentity
from yiwang.accounts.choices import PhoneCodePurpose, PhoneCodeState, StaffRole, UserKind
from yiwang.accounts.indexes import ID_NUMBER_CONTEXT, PHONE_CONTEXT, id_number_index, phone_index
from yiwang.accounts.models import (
    AgentAuthorisation,
    ApiToken,
    EnterpriseAgent,
    LegalPerson,
    NaturalPerson,
    PhoneCode,
    StaffAssignment,
    User,
)
from yiwang.accounts.permissions import REGION_WIDE_ROLES, Action, scopes_for
from yiwang.accounts.selectors import agent_authorisation_active, agent_grant_active
from yiwang.audit.services import record
from yiwang.core import clock, crypto
from yiwang.core.errors import DomainError, ErrorCode, not_found, permission_denied
from yiwang.core.identifiers import validate_id_number, validate_uscc
from yiwang.core.masking import mask_id_number, mask_phone
from yiwang.regions.models import Department, Region, Window

PURPOSE_MIN, PURPOSE_MAX = 4, 200


def _validate_phone(phone: str) -> str:
    digits = phone.strip().replace(" ", "").replace("-", "")
    if not (len(digits) == 11 and digits.isdigit() and digits.startswith("1")):
        raise DomainError(ErrorCode.VALIDATION, "手机号应为以1开头的11位数字", field="phone")
    return digits


def _valid_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100:
        raise DomainError(ErrorCode.VALIDATION, "请填写姓名（不超过100字）", field="name")
    return name


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
    name = _valid_name(name)
    number = validate_id_number(id_number)
    index = id_number_index(number)
    if NaturalPerson.objects.filter(id_number_index=index).exists():
        raise DomainError(ErrorCode.CONFLICT, "该身份证号已登记，请直接查找该申请人", field="id_number")
    fields: dict[str, Any] = {}
    if phone:
        digits = _validate_phone(phone)
        fields = {
            "phone_cipher": crypto.encrypt(digits, context=PHONE_CONTEXT),
            "phone_index": phone_index(digits),
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


def phone_of(person: NaturalPerson) -> str:
    """The person's phone number in clear, for sending him messages only: never shown on a page or in a
    response (staff see ``phone_masked``), so it is not a staff read of personal data."""
    return crypto.decrypt(person.phone_cipher, context=PHONE_CONTEXT) if person.phone_cipher else ""


def person_id_number(person: NaturalPerson) -> str:
    """The ID number in clear for the system's own rules (age for 秒批): never shown; staff reveal it through
    :func:`person_reveal_id_number`, which asks for a purpose and is audited."""
    return crypto.decrypt(person.id_number_cipher, context=ID_NUMBER_CONTEXT)


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
            uscc=code,
            name=name.strip(),
            legal_representative=legal_representative,
            region=region,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
    except IntegrityError as exc:  # a concurrent registration of the same USCC won
        raise DomainError(ErrorCode.CONFLICT, f"统一社会信用代码 {code} 已登记", field="uscc") from exc
    record(actor=actor, action="legal_person.register", target=legal, changes={"uscc": [None, code]})
    return legal


def _valid_username(username: str) -> str:
    """A user name that is filled in, allowed by Django's rules and not taken yet."""
    username = username.strip()
    if not username:
        raise DomainError(ErrorCode.VALIDATION, "请填写用户名", field="username")
    if len(username) > 150:
        raise DomainError(ErrorCode.VALIDATION, "用户名不能超过150个字符", field="username")
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise DomainError(
            ErrorCode.VALIDATION, "用户名只能包含汉字、字母、数字和 @ . + - _，不能有空格", field="username"
        ) from exc
    if User.objects.filter(username=username).exists():
        raise DomainError(ErrorCode.CONFLICT, "该用户名已被使用", field="username")
    return username


def _user_create(
    *, actor: Any, username: str, password: str, kind: str, display_name: str, department: Department | None = None
) -> User:
    """The part of opening an account that citizens and staff share: unique name, policy, hash, audit."""
    username = _valid_username(username)
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


# --- 短信验证码 (phone verification) -------------------------------------------------------------------
#
# Stored as HMAC-SHA256 under a server-side key, not argon2: a 6-digit code has only 10^6 values, so a
# slow hash would not stop anyone holding a database copy from trying them all, while a keyed HMAC cannot
# be tried at all without the key (which lives outside the database). It is also cheap, so verifying does
# not become a denial-of-service lever. The key is derived from YIWANG_DATA_KEY with HKDF under its own
# label, like the blind-index key, and each row has its own salt.

CODE_DIGITS = 6
CODE_TTL = dt.timedelta(minutes=5)
CODE_MAX_ATTEMPTS = 5  # also PhoneCode's CheckConstraint
PROOF_TTL = dt.timedelta(minutes=30)  # time to fill in the second registration step after the code
RESEND_INTERVAL = dt.timedelta(seconds=60)
SENDS_PER_PHONE_PER_HOUR = 5
# Per IP looser than per phone: a service hall's public Wi-Fi and mobile carriers' NAT put many honest
# people behind one address (the reason ADR 0001 locks log-ins per account, not per IP).
SENDS_PER_IP_PER_HOUR = 20
SMS_TEMPLATES = {
    PhoneCodePurpose.REGISTER: "【一网通办】您正在注册一网通办账号，验证码为{code}，5分钟内有效。"
    "如非本人操作请忽略，切勿告诉他人。",
}
_CODE_INVALID = "验证码不正确或已失效，请重新获取"


def _code_key() -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"yiwang/phone-code").derive(
        settings.YIWANG_DATA_KEY
    )


@sensitive_variables("code")
def _code_digest(*, row: PhoneCode, code: str) -> str:
    message = "\x00".join((row.purpose, row.phone_index, row.salt, code)).encode("utf-8")
    return hmac.new(_code_key(), message, hashlib.sha256).hexdigest()


def _proof_digest(proof: str) -> str:
    return hashlib.sha256(proof.encode("utf-8")).hexdigest()  # 256 random bits: no key or salt needed


def _valid_purpose_code(purpose: str) -> str:
    if purpose not in PhoneCodePurpose.values:
        raise DomainError(ErrorCode.VALIDATION, "验证码用途不正确", field="purpose")
    return purpose


def _rate_limited(message: str) -> DomainError:
    return DomainError(ErrorCode.RATE_LIMITED, message, field="phone")


@sensitive_variables("code")
def phone_code_send(*, phone: str, purpose: str, ip: str | None) -> PhoneCode:
    """发送短信验证码. Refused (rate_limited) within 60 s of the last code to the same phone, beyond 5 codes
    an hour per phone or 20 an hour per IP. A new code replaces the previous one, which stops working.
    The message leaves after the commit; the returned row holds no code, only its HMAC."""
    digits = _validate_phone(phone)
    purpose = _valid_purpose_code(purpose)
    index = phone_index(digits)
    now = clock.now()
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    with transaction.atomic():
        # Lock the code in play first: a concurrent send for the same phone waits here, then sees ours.
        previous = (
            PhoneCode.objects.select_for_update()
            .filter(phone_index=index, purpose=purpose, state=PhoneCodeState.PENDING)
            .first()
        )
        last = PhoneCode.objects.filter(phone_index=index).order_by("-created_at").first()
        if last is not None and now - last.created_at < RESEND_INTERVAL:
            wait = math.ceil((RESEND_INTERVAL - (now - last.created_at)).total_seconds())
            raise _rate_limited(f"验证码已发送，请{wait}秒后再重新获取")
        hour_ago = now - dt.timedelta(hours=1)
        if PhoneCode.objects.filter(phone_index=index, created_at__gt=hour_ago).count() >= SENDS_PER_PHONE_PER_HOUR:
            raise _rate_limited("该手机号获取验证码过于频繁，请1小时后再试")
        if ip and PhoneCode.objects.filter(sent_ip=ip, created_at__gt=hour_ago).count() >= SENDS_PER_IP_PER_HOUR:
            raise _rate_limited("当前网络获取验证码过于频繁，请稍后再试")
        if previous is not None:
            previous.state = PhoneCodeState.REPLACED
            previous.save(update_fields=["state"])
        row = PhoneCode(
            purpose=purpose,
            phone_index=index,
            phone_masked=mask_phone(digits),
            salt=secrets.token_hex(16),
            sent_ip=ip or None,
            created_at=now,
            expires_at=now + CODE_TTL,
        )
        row.code_hash = _code_digest(row=row, code=code)
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError as exc:  # a concurrent first send for this phone won the race
            raise _rate_limited("验证码已发送，请稍后再试") from exc
        record(
            actor=None,
            action="phone_code.send",
            target=row,
            changes={"purpose": purpose, "state": [None, PhoneCodeState.PENDING]},
        )
        message = sms.SmsMessage(phone=digits, template=SMS_TEMPLATES[PhoneCodePurpose(purpose)], params={"code": code})
        transaction.on_commit(lambda: sms.get_backend().send(message), robust=True)
    return row


@sensitive_variables("code", "proof")
def phone_code_verify(*, phone: str, purpose: str, code: str) -> str:
    """核验短信验证码. The right code, within 5 minutes and 5 tries, is used up at once and exchanged for a
    one-time proof that the phone was verified (valid 30 minutes, spent by the registration).

    Every wrong try is counted and committed before the error is raised (so do not call this inside an
    outer transaction that the error would roll back); after the fifth, the code is locked and even the
    right one fails. The comparison is constant-time.
    """
    digits = _validate_phone(phone)
    purpose = _valid_purpose_code(purpose)
    code = (code or "").strip()
    if len(code) != CODE_DIGITS or not code.isdigit():
        raise DomainError(ErrorCode.VALIDATION, f"请输入{CODE_DIGITS}位数字验证码", field="code")
    now = clock.now()
    failure: DomainError | None = None
    proof = ""
    with transaction.atomic():
        row = (
            PhoneCode.objects.select_for_update()
            .filter(phone_index=phone_index(digits), purpose=purpose, state=PhoneCodeState.PENDING)
            .first()
        )
        if row is None:
            failure = DomainError(ErrorCode.VALIDATION, _CODE_INVALID, field="code")
        elif row.expires_at <= now:
            failure = DomainError(ErrorCode.VALIDATION, "验证码已过期，请重新获取", field="code")
        else:
            before = row.attempts
            row.attempts += 1
            if hmac.compare_digest(row.code_hash, _code_digest(row=row, code=code)):
                proof = secrets.token_urlsafe(32)
                row.state = PhoneCodeState.VERIFIED
                row.verified_at = now
                row.proof_hash = _proof_digest(proof)
                row.save(update_fields=["attempts", "state", "verified_at", "proof_hash"])
            else:
                left = CODE_MAX_ATTEMPTS - row.attempts
                if left <= 0:
                    row.state = PhoneCodeState.LOCKED
                    failure = DomainError(ErrorCode.RATE_LIMITED, "验证码错误次数过多，请重新获取验证码", field="code")
                else:
                    failure = DomainError(ErrorCode.VALIDATION, f"验证码不正确，还可再试{left}次", field="code")
                row.save(update_fields=["attempts", "state"])
            record(
                actor=None,
                action="phone_code.verify",
                target=row,
                changes={"attempts": [before, row.attempts], "state": [PhoneCodeState.PENDING, row.state]},
            )
    if failure is not None:
        raise failure
    return proof


def _phone_proof_lock(*, phone_idx: str, purpose: str, proof: str, now: dt.datetime) -> PhoneCode:
    """The verified code behind ``proof``, locked; call inside the transaction that spends it."""
    row = PhoneCode.objects.select_for_update().filter(proof_hash=_proof_digest(proof)).first()
    if (
        row is None
        or row.state != PhoneCodeState.VERIFIED
        or row.phone_index != phone_idx
        or row.purpose != purpose
        or row.verified_at is None
        or row.verified_at + PROOF_TTL <= now
    ):
        raise DomainError(ErrorCode.VALIDATION, "手机号验证已失效，请重新获取验证码", field="code")
    return row


def _phone_proof_spend(row: PhoneCode, *, now: dt.datetime) -> None:
    row.state = PhoneCodeState.USED
    row.used_at = now
    row.save(update_fields=["state", "used_at"])
    record(actor=None, action="phone_code.use", target=row, changes={"state": [PhoneCodeState.VERIFIED, row.state]})


PURGE_AFTER = dt.timedelta(days=1)  # longer than every limit that reads old rows (the hourly counts)


@transaction.atomic
def phone_code_purge(*, older_than: dt.timedelta = PURGE_AFTER) -> int:
    """Delete codes sent before ``older_than`` ago (with their IP addresses); no limit reads them any more.
    Their audit rows stay (they name only the masked phone). Returns how many were deleted."""
    deleted, _ = PhoneCode.objects.filter(created_at__lt=clock.now() - older_than).delete()
    if deleted:
        record(actor=None, action="phone_code.purge", changes={"deleted": deleted})
    return deleted


# --- 群众注册 (citizen registration) ------------------------------------------------------------------


def _identity_conflict(person: NaturalPerson, *, name: str, phone_idx: str) -> DomainError | None:
    """Why an already registered person cannot be linked to a new account (None: he can)."""
    if person.user_id is not None:
        return DomainError(
            ErrorCode.CONFLICT,
            "该身份证号已注册账号，请直接登录；如忘记用户名或密码，请携带身份证到政务服务中心办理",
            field="id_number",
        )
    if person.name != name:
        return DomainError(ErrorCode.CONFLICT, "姓名与该身份证号的登记信息不一致，请核对", field="name")
    if person.phone_index and person.phone_index != phone_idx:
        return DomainError(
            ErrorCode.CONFLICT,
            "该身份证号已在窗口登记，登记的手机号与本次验证的不一致，请携带身份证到政务服务中心办理",
            field="phone",
        )
    return None


@sensitive_variables("password", "code", "proof")
def citizen_register(
    *,
    username: str,
    password: str,
    name: str,
    id_number: str,
    region: Region,
    phone: str,
    code: str = "",
    proof: str = "",
) -> User:
    """群众注册: a citizen account with real-name details and a verified phone, in one of two ways —
    with the 短信验证码 (``code``, the API) or with the proof a verified code was exchanged for
    (``proof``, the two-step pages). Opens the account with ``_user_create`` and registers the person
    with ``person_register``; when the 身份证号 is already registered (at a window) and has no account
    yet, that record is linked instead, provided the name matches and so does its phone, if it has one.

    Everything that needs no secret is checked first, so a typo does not burn the code; an identity
    conflict burns the proof (so one verified phone cannot be used to probe many ID numbers).
    """
    if bool(code) == bool(proof):
        raise DomainError(ErrorCode.VALIDATION, "请填写短信验证码", field="code")
    digits = _validate_phone(phone)
    name = _valid_name(name)
    number = validate_id_number(id_number)
    username = _valid_username(username)
    _check_password(password, User(username=username, display_name=name))
    if code:
        proof = phone_code_verify(phone=digits, purpose=PhoneCodePurpose.REGISTER, code=code)
    phone_idx = phone_index(digits)
    now = clock.now()
    with transaction.atomic():
        ticket = _phone_proof_lock(phone_idx=phone_idx, purpose=PhoneCodePurpose.REGISTER, proof=proof, now=now)
        existing = NaturalPerson.objects.select_for_update().filter(id_number_index=id_number_index(number)).first()
        conflict = _identity_conflict(existing, name=name, phone_idx=phone_idx) if existing else None
        if conflict is None:
            _phone_proof_spend(ticket, now=now)
            user = _user_create(
                actor=None, username=username, password=password, kind=UserKind.CITIZEN, display_name=name
            )
            if existing is None:
                person = person_register(
                    actor=user, name=name, id_number=number, region=region, phone=digits, user=user
                )
            else:
                person = _person_link_user(person=existing, user=user, phone=digits)
            record(
                actor=user,
                action="citizen.register",
                target=user,
                changes={"person": [None, person.pk], "linked_existing_person": existing is not None},
            )
    if conflict is not None:
        with transaction.atomic():
            _phone_proof_spend(
                _phone_proof_lock(phone_idx=phone_idx, purpose=PhoneCodePurpose.REGISTER, proof=proof, now=now),
                now=now,
            )
        raise conflict
    return user


def _person_link_user(*, person: NaturalPerson, user: User, phone: str) -> NaturalPerson:
    """Give a window-registered person (locked by the caller, no account yet) the account just opened."""
    fields = ["user"]
    person.user = user
    if not person.phone_index:
        person.phone_cipher = crypto.encrypt(phone, context=PHONE_CONTEXT)
        person.phone_index = phone_index(phone)
        person.phone_masked = mask_phone(phone)
        fields += ["phone_cipher", "phone_index", "phone_masked"]
    person.save(update_fields=fields)
    record(actor=user, action="person.link_user", target=person, changes={"user": [None, user.pk]})
    return person


# --- 经办人 and 帮办代办 authorisations ---------------------------------------------------------------

MAX_GRANT_DAYS = 5 * 366
MAX_ITEM_CODES = 200
REASON_MIN, REASON_MAX = 2, 200


def _valid_scope(*, scope_all: bool, item_codes: Sequence[str]) -> list[str]:
    """All items (returns []), or a non-empty list of 实施编码 that exist in the catalog."""
    from yiwang.catalog.models import ServiceItem

    if scope_all:
        return []
    codes = list(dict.fromkeys(c.strip().upper() for c in item_codes if c and c.strip()))
    if not codes:
        raise DomainError(ErrorCode.VALIDATION, "请选择“全部事项”，或填写至少一个事项实施编码", field="item_codes")
    if len(codes) > MAX_ITEM_CODES:
        raise DomainError(ErrorCode.VALIDATION, f"授权事项不能超过{MAX_ITEM_CODES}个", field="item_codes")
    known = set(ServiceItem.objects.filter(task_code__in=codes).values_list("task_code", flat=True))
    missing = [c for c in codes if c not in known]
    if missing:
        raise DomainError(ErrorCode.VALIDATION, f"以下事项实施编码不存在：{'、'.join(missing)}", field="item_codes")
    return codes


def _valid_until(value: dt.datetime, *, now: dt.datetime) -> dt.datetime:
    if timezone.is_naive(value):
        raise DomainError(ErrorCode.VALIDATION, "有效期须带时区", field="valid_until")
    if value <= now:
        raise DomainError(ErrorCode.VALIDATION, "有效期须晚于现在", field="valid_until")
    if value > now + dt.timedelta(days=MAX_GRANT_DAYS):
        raise DomainError(ErrorCode.VALIDATION, "有效期不能超过5年", field="valid_until")
    return value


def _scope_changes(scope_all: bool, codes: list[str], until: dt.datetime) -> dict[str, Any]:
    return {"scope_all": [None, scope_all], "item_codes": [None, codes], "valid_until": [None, until.isoformat()]}


@transaction.atomic
def enterprise_agent_grant(
    *,
    actor: Any,
    enterprise: LegalPerson,
    person: NaturalPerson,
    scope_all: bool,
    item_codes: Sequence[str],
    valid_until: dt.datetime,
) -> EnterpriseAgent:
    """授权经办人: only the 法定代表人 himself. A new grant to the same person replaces (revokes) his live one."""
    representative = enterprise.legal_representative
    if actor is not None and representative.user_id != actor.pk:
        raise permission_denied("只有企业的法定代表人本人可以授权经办人")
    if person.pk == representative.pk:
        raise DomainError(ErrorCode.VALIDATION, "法定代表人本人无需授权", field="person")
    now = clock.now()
    codes = _valid_scope(scope_all=scope_all, item_codes=item_codes)
    until = _valid_until(valid_until, now=now)
    previous = (
        EnterpriseAgent.objects.select_for_update()
        .filter(enterprise=enterprise, person=person, revoked_at__isnull=True)
        .first()
    )
    if previous is not None:
        _enterprise_agent_end(previous, actor=actor, now=now, reason="replaced")
    try:
        with transaction.atomic():
            grant = EnterpriseAgent.objects.create(
                enterprise=enterprise,
                person=person,
                scope_all=scope_all,
                item_codes=codes,
                valid_until=until,
                created_at=now,
                granted_by=actor if actor is not None else None,
            )
    except IntegrityError as exc:  # a concurrent grant to the same person won
        raise DomainError(ErrorCode.CONFLICT, "该经办人的授权刚被修改，请刷新后重试", field="person") from exc
    changes = {"enterprise": enterprise.uscc, "person": person.pk, **_scope_changes(scope_all, codes, until)}
    record(actor=actor, action="enterprise_agent.grant", target=grant, changes=changes)
    return grant


def _enterprise_agent_end(grant: EnterpriseAgent, *, actor: Any, now: dt.datetime, reason: str) -> None:
    grant.revoked_at = now
    grant.revoked_by = actor if actor is not None else None
    grant.save(update_fields=["revoked_at", "revoked_by"])
    record(
        actor=actor,
        action="enterprise_agent.revoke",
        target=grant,
        changes={"revoked_at": [None, now.isoformat()], "reason": reason},
    )


@transaction.atomic
def enterprise_agent_revoke(*, actor: Any, grant_id: int) -> EnterpriseAgent:
    """撤销经办人授权 (the 法定代表人): it stops working on the next request. Revoking twice changes nothing."""
    grant = EnterpriseAgent.objects.select_for_update().filter(pk=grant_id).first()
    if grant is None or (
        actor is not None
        and not LegalPerson.objects.filter(pk=grant.enterprise_id, legal_representative__user_id=actor.pk).exists()
    ):
        raise not_found("经办人授权")
    if grant.revoked_at is None:
        _enterprise_agent_end(grant, actor=actor, now=clock.now(), reason="revoked")
    return grant


@transaction.atomic
def agent_authorisation_grant(
    *,
    actor: Any,
    principal: NaturalPerson,
    agent: User,
    scope_all: bool,
    item_codes: Sequence[str],
    reason: str,
    valid_until: dt.datetime,
) -> AgentAuthorisation:
    """帮办代办授权. Either the 委托人 authorises someone online, or a window clerk in the 委托人's region
    records the 委托人's written authorisation for the clerk himself (帮办代办窗口). Visible to the 委托人,
    who may revoke it. A new authorisation for the same agent replaces (revokes) the live one."""
    is_principal = actor is not None and principal.user_id is not None and principal.user_id == actor.pk
    is_window = (
        actor is not None
        and agent.pk == actor.pk
        and any(principal.region.path.startswith(s.region_path) for s in scopes_for(actor, Action.PROXY_AUTHORISE))
    )
    if actor is not None and not (is_principal or is_window):
        raise permission_denied("只有委托人本人，或受委托的帮办代办窗口人员，可以登记代办授权")
    if agent.pk == principal.user_id:
        raise DomainError(ErrorCode.VALIDATION, "不能授权给自己", field="agent")
    if not agent.is_active:
        raise DomainError(ErrorCode.VALIDATION, "代办人的账号已停用", field="agent")
    text = (reason or "").strip()
    if not REASON_MIN <= len(text) <= REASON_MAX:
        raise DomainError(
            ErrorCode.VALIDATION, f"请填写授权事由（{REASON_MIN}–{REASON_MAX}字），如“委托书编号”", field="reason"
        )
    now = clock.now()
    codes = _valid_scope(scope_all=scope_all, item_codes=item_codes)
    until = _valid_until(valid_until, now=now)
    previous = (
        AgentAuthorisation.objects.select_for_update()
        .filter(principal=principal, agent=agent, revoked_at__isnull=True)
        .first()
    )
    if previous is not None:
        _agent_authorisation_end(previous, actor=actor, now=now, reason="replaced")
    try:
        with transaction.atomic():
            authorisation = AgentAuthorisation.objects.create(
                principal=principal,
                agent=agent,
                scope_all=scope_all,
                item_codes=codes,
                reason=text,
                valid_until=until,
                created_at=now,
                created_by=actor if actor is not None else None,
            )
    except IntegrityError as exc:  # a concurrent authorisation of the same agent won
        raise DomainError(ErrorCode.CONFLICT, "该代办人的授权刚被修改，请刷新后重试", field="agent") from exc
    changes = {"principal": principal.pk, "agent": agent.get_username(), **_scope_changes(scope_all, codes, until)}
    record(actor=actor, action="agent_authorisation.grant", target=authorisation, changes=changes)
    return authorisation


def _agent_authorisation_end(row: AgentAuthorisation, *, actor: Any, now: dt.datetime, reason: str) -> None:
    row.revoked_at = now
    row.revoked_by = actor if actor is not None else None
    row.save(update_fields=["revoked_at", "revoked_by"])
    record(
        actor=actor,
        action="agent_authorisation.revoke",
        target=row,
        changes={"revoked_at": [None, now.isoformat()], "reason": reason},
    )


@transaction.atomic
def agent_authorisation_revoke(*, actor: Any, authorisation_id: int) -> AgentAuthorisation:
    """撤销代办授权: by the 委托人, or given up by the agent. It stops working at once."""
    row = AgentAuthorisation.objects.select_for_update().filter(pk=authorisation_id).first()
    if row is None or (
        actor is not None
        and actor.pk != row.agent_id
        and not NaturalPerson.objects.filter(pk=row.principal_id, user_id=actor.pk).exists()
    ):
        raise not_found("代办授权")
    if row.revoked_at is None:
        _agent_authorisation_end(row, actor=actor, now=clock.now(), reason="revoked")
    return row


def agent_authorisation_use(
    *, actor: Any, principal: NaturalPerson, item_code: str | None, act: str, target: Any = None
) -> AgentAuthorisation:
    """Record that ``actor`` does ``act`` for ``principal`` (帮办代办) — refused without an authorisation in
    force that covers ``item_code``. Services that act for someone call this inside their transaction;
    the row it writes is what the 委托人 sees under “谁为我办过事”."""
    authorisation = agent_authorisation_active(agent=actor, principal=principal, item_code=item_code)
    if authorisation is None:
        raise permission_denied("没有该群众的有效代办授权（未授权、已到期或已撤销）")
    changes: dict[str, Any] = {"act": act, "item_code": item_code, "principal": principal.pk}
    if target is not None:
        changes["target"] = f"{target._meta.label_lower}:{target.pk}"
    record(actor=actor, action="proxy.act", target=authorisation, changes=changes)
    return authorisation


# --- 办事身份 (acting identity) -------------------------------------------------------------------------


@transaction.atomic
def acting_identity_switch(*, actor: Any, enterprise: LegalPerson | None) -> ActingIdentity:
    """Switch between acting as 个人 and for an enterprise the citizen represents or is a 经办人 of
    (checked by ``agent_grant_active``). The caller keeps the result in the session."""
    if enterprise is not None and not agent_grant_active(user=actor, enterprise=enterprise):
        raise permission_denied("您不是该企业的法定代表人或有效经办人")
    identity = ActingIdentity.for_enterprise(enterprise) if enterprise is not None else PERSON
    record(actor=actor, action="acting.switch", target=enterprise, changes={"identity": identity.audit_label})
    return identity
