"""API of the accounts app: the current user, natural persons for staff in scope, citizen registration
(短信验证码), enterprises and their 经办人, and 帮办代办 authorisations."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, cast

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from yiwang.accounts import selectors, services
from yiwang.accounts.choices import UserKind
from yiwang.accounts.models import AgentAuthorisation, EnterpriseAgent, LegalPerson, NaturalPerson, User
from yiwang.accounts.permissions import Action, roles_of
from yiwang.core.errors import DomainError, ErrorCode, not_found
from yiwang.regions.models import Region
from yiwang.regions.selectors import region_get

router = Router(tags=["账号与身份"])


class PersonOut(Schema):
    """A natural person as every API response shows one: identifiers masked."""

    id: int
    name: str
    id_number_masked: str
    phone_masked: str
    region_code: str = Field(..., alias="region.code")


class MeOut(Schema):
    username: str
    display_name: str
    kind: str
    department: str | None
    roles: list[str]
    person: PersonOut | None


class PersonIn(Schema):
    name: str = Field(..., min_length=1, max_length=100, description="姓名")
    id_number: str = Field(..., min_length=15, max_length=20, description="居民身份证号码")
    region_code: str = Field(..., min_length=6, max_length=12, description="常住地区划代码")
    phone: str = Field("", max_length=20, description="手机号")


class RevealIn(Schema):
    purpose: str = Field(..., max_length=200, description="查看用途，4–200字，写入审计日志")


class RevealOut(Schema):
    id: int
    id_number: str


@router.get("/me", response=MeOut, summary="当前账号")
def me(request: HttpRequest) -> dict[str, object]:
    user = cast(User, request.user)  # the router's auth admits only signed-in users
    person = NaturalPerson.objects.filter(user_id=user.pk).select_related("region").first()
    return {
        "username": user.get_username(),
        "display_name": user.display_name,
        "kind": user.kind,
        "department": str(user.department) if user.department_id else None,
        "roles": sorted(roles_of(user)),
        "person": person,
    }


@router.get("/persons", response=list[PersonOut], summary="按身份证号查找申请人")
def person_search(request: HttpRequest, id_number: str) -> list[NaturalPerson]:
    person = selectors.person_find_by_id_number(user=request.user, id_number=id_number)
    return [person] if person else []


@router.post("/persons", response={201: PersonOut}, summary="登记申请人")
def person_register(request: HttpRequest, payload: PersonIn) -> Status:
    person = services.person_register(
        actor=request.user,
        name=payload.name,
        id_number=payload.id_number,
        region=region_get(code=payload.region_code),
        phone=payload.phone,
    )
    return Status(201, person)


@router.get("/persons/{person_id}", response=PersonOut, summary="申请人信息（脱敏）")
def person_detail(request: HttpRequest, person_id: int) -> NaturalPerson:
    return selectors.person_get_for_user(user=request.user, person_id=person_id)


@router.post("/persons/{person_id}/reveal", response=RevealOut, summary="查看完整身份证号（须说明用途，留痕）")
def person_reveal(request: HttpRequest, person_id: int, payload: RevealIn) -> dict[str, object]:
    number = services.person_reveal_id_number(actor=request.user, person_id=person_id, purpose=payload.purpose)
    return {"id": person_id, "id_number": number}


# --- registration (unauthenticated; limited by the services: resend interval, per phone/IP, 5 tries) -----


def _region_input(code: str) -> Region:
    region = Region.objects.filter(code=code.strip()).first()
    if region is None:
        raise DomainError(
            ErrorCode.REGION_CODE_INVALID, "区划代码不存在，请填写6、9或12位行政区划代码", field="region_code"
        )
    return region


class PhoneCodeIn(Schema):
    phone: str = Field(..., min_length=11, max_length=20, description="手机号（11位）")
    purpose: Literal["register"] = Field("register", description="用途：register 注册")


class PhoneCodeOut(Schema):
    phone_masked: str
    expires_at: dt.datetime = Field(..., description="验证码过期时间（5分钟）")
    resend_after: int = Field(..., description="多少秒后可重新获取")


@router.post("/phone-codes", response={201: PhoneCodeOut}, auth=None, summary="发送短信验证码（限频）")
def phone_code_send(request: HttpRequest, payload: PhoneCodeIn) -> Status:
    row = services.phone_code_send(phone=payload.phone, purpose=payload.purpose, ip=request.META.get("REMOTE_ADDR"))
    body = {
        "phone_masked": row.phone_masked,
        "expires_at": row.expires_at,
        "resend_after": int(services.RESEND_INTERVAL.total_seconds()),
    }
    return Status(201, body)


class RegisterIn(Schema):
    username: str = Field(..., min_length=1, max_length=150, description="用户名")
    password: str = Field(..., min_length=1, max_length=128, description="密码（至少10位，含字母和数字）")
    name: str = Field(..., min_length=1, max_length=100, description="姓名（与身份证一致）")
    id_number: str = Field(..., min_length=15, max_length=20, description="居民身份证号码")
    region_code: str = Field(..., min_length=6, max_length=12, description="常住地区划代码")
    phone: str = Field(..., min_length=11, max_length=20, description="手机号（已获取验证码的）")
    code: str = Field(..., min_length=6, max_length=6, description="短信验证码（6位）")


class RegisteredOut(Schema):
    username: str
    display_name: str
    person: PersonOut


@router.post("/register", response={201: RegisteredOut}, auth=None, summary="群众实名注册（手机验证码）")
def citizen_register(request: HttpRequest, payload: RegisterIn) -> Status:
    user = services.citizen_register(
        username=payload.username,
        password=payload.password,
        name=payload.name,
        id_number=payload.id_number,
        region=_region_input(payload.region_code),
        phone=payload.phone,
        code=payload.code,
    )
    person = NaturalPerson.objects.select_related("region").get(user=user)
    return Status(201, {"username": user.username, "display_name": user.display_name, "person": person})


# --- enterprises and 经办人 ------------------------------------------------------------------------------


class EnterpriseOut(Schema):
    id: int
    uscc: str
    name: str
    region_code: str = Field(..., alias="region.code")
    role: Literal["representative", "agent"] = Field(..., description="representative 法定代表人 / agent 经办人")


class EnterpriseIn(Schema):
    uscc: str = Field(..., min_length=18, max_length=20, description="统一社会信用代码")
    name: str = Field(..., min_length=1, max_length=200, description="企业名称")
    region_code: str = Field(..., min_length=6, max_length=12, description="注册地区划代码")
    representative_id_number: str = Field("", max_length=20, description="法定代表人身份证号（窗口人员登记时必填）")
    representative_name: str = Field("", max_length=100, description="法定代表人姓名（窗口人员登记时必填）")


def _enterprise_out(legal: LegalPerson, user: Any) -> LegalPerson:
    legal.role = "representative" if legal.legal_representative.user_id == user.pk else "agent"  # type: ignore[attr-defined]
    return legal


@router.get("/enterprises", response=list[EnterpriseOut], summary="我可以代表的企业（法定代表人或有效经办人）")
def enterprise_list(request: HttpRequest) -> list[LegalPerson]:
    return [_enterprise_out(e, request.user) for e in selectors.enterprises_for_user(user=request.user)]


def _representative(request: HttpRequest, payload: EnterpriseIn) -> NaturalPerson:
    if payload.representative_id_number:
        person = selectors.person_match(id_number=payload.representative_id_number, name=payload.representative_name)
        if person is None:
            raise DomainError(
                ErrorCode.VALIDATION, "未找到该法定代表人，请核对姓名和身份证号", field="representative_id_number"
            )
        return person
    own = NaturalPerson.objects.filter(user_id=cast(User, request.user).pk).first()
    if own is None:
        raise DomainError(ErrorCode.VALIDATION, "请填写法定代表人的姓名和身份证号", field="representative_id_number")
    return own


@router.post("/enterprises", response={201: EnterpriseOut}, summary="登记企业（法定代表人本人，或窗口人员）")
def enterprise_register(request: HttpRequest, payload: EnterpriseIn) -> Status:
    legal = services.legal_person_register(
        actor=request.user,
        uscc=payload.uscc,
        name=payload.name,
        legal_representative=_representative(request, payload),
        region=_region_input(payload.region_code),
    )
    return Status(201, _enterprise_out(legal, request.user))


class ScopeIn(Schema):
    scope_all: bool = Field(False, description="授权全部事项")
    item_codes: list[str] = Field(default_factory=list, max_length=200, description="授权事项的实施编码")
    valid_until: dt.datetime = Field(..., description="有效期至（带时区，最长5年）")


class AgentGrantIn(ScopeIn):
    person_id_number: str = Field(..., min_length=15, max_length=20, description="经办人身份证号")
    person_name: str = Field(..., min_length=1, max_length=100, description="经办人姓名")


class AgentGrantOut(Schema):
    id: int
    person_name: str = Field(..., alias="person.name")
    person_id_number_masked: str = Field(..., alias="person.id_number_masked")
    scope_all: bool
    item_codes: list[str]
    valid_until: dt.datetime | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    active: bool = Field(..., description="当前是否有效（未撤销且未到期）")


def _grant_out(enterprise_id: int, grant_id: int, user: Any) -> EnterpriseAgent:
    return selectors.enterprise_agents_for_user(user=user, enterprise_id=enterprise_id).get(pk=grant_id)


def _with_active(row: Any) -> Any:
    row.active = bool(getattr(row, "live", False))
    return row


@router.get(
    "/enterprises/{enterprise_id}/agents", response=list[AgentGrantOut], summary="企业的经办人授权（法定代表人）"
)
def enterprise_agent_list(request: HttpRequest, enterprise_id: int) -> list[EnterpriseAgent]:
    return [
        _with_active(g) for g in selectors.enterprise_agents_for_user(user=request.user, enterprise_id=enterprise_id)
    ]


@router.post("/enterprises/{enterprise_id}/agents", response={201: AgentGrantOut}, summary="授权经办人（法定代表人）")
def enterprise_agent_grant(request: HttpRequest, enterprise_id: int, payload: AgentGrantIn) -> Status:
    legal = selectors.enterprise_get_for_representative(user=request.user, enterprise_id=enterprise_id)
    person = selectors.person_match(id_number=payload.person_id_number, name=payload.person_name)
    if person is None:
        raise DomainError(
            ErrorCode.VALIDATION, "未找到该经办人，请核对姓名和身份证号（须已实名登记）", field="person_id_number"
        )
    grant = services.enterprise_agent_grant(
        actor=request.user,
        enterprise=legal,
        person=person,
        scope_all=payload.scope_all,
        item_codes=payload.item_codes,
        valid_until=payload.valid_until,
    )
    return Status(201, _with_active(_grant_out(legal.pk, grant.pk, request.user)))


@router.post(
    "/enterprises/{enterprise_id}/agents/{grant_id}/revoke",
    response=AgentGrantOut,
    summary="撤销经办人授权（法定代表人）",
)
def enterprise_agent_revoke(request: HttpRequest, enterprise_id: int, grant_id: int) -> EnterpriseAgent:
    selectors.enterprise_get_for_representative(user=request.user, enterprise_id=enterprise_id)
    if not EnterpriseAgent.objects.filter(pk=grant_id, enterprise_id=enterprise_id).exists():
        raise not_found("经办人授权")
    services.enterprise_agent_revoke(actor=request.user, grant_id=grant_id)
    return _with_active(_grant_out(enterprise_id, grant_id, request.user))


# --- 帮办代办 authorisations -----------------------------------------------------------------------------


class AuthorisationOut(Schema):
    id: int
    principal_id: int
    principal_name: str = Field(..., alias="principal.name")
    agent_username: str = Field(..., alias="agent.username")
    agent_name: str = Field(..., alias="agent.display_name")
    agent_kind: str = Field(..., alias="agent.kind")
    scope_all: bool
    item_codes: list[str]
    reason: str
    valid_until: dt.datetime
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    active: bool = Field(..., description="当前是否有效（未撤销且未到期）")


class AuthorisationsOut(Schema):
    given: list[AuthorisationOut] = Field(..., description="我给出的授权（我是委托人）")
    received: list[AuthorisationOut] = Field(..., description="他人给我的、当前有效的授权（我是代办人）")


class AuthorisationIn(ScopeIn):
    agent_id_number: str = Field(..., min_length=15, max_length=20, description="代办人身份证号（须已注册账号）")
    agent_name: str = Field(..., min_length=1, max_length=100, description="代办人姓名")
    reason: str = Field(..., max_length=200, description="授权事由")


class WindowAuthorisationIn(ScopeIn):
    reason: str = Field(..., max_length=200, description="授权事由（如书面委托书编号）")


def _authorisation_out(user: Any, authorisation_id: int) -> AgentAuthorisation:
    return _with_active(selectors.authorisation_get_for_user(user=user, authorisation_id=authorisation_id))


@router.get("/authorisations", response=AuthorisationsOut, summary="我的代办授权（给出的与收到的）")
def authorisation_list(request: HttpRequest) -> dict[str, list[Any]]:
    given = [_with_active(a) for a in selectors.authorisations_given(user=request.user).select_related("principal")]
    received = [_with_active(a) for a in selectors.authorisations_received(user=request.user).select_related("agent")]
    return {"given": given, "received": received}


@router.post("/authorisations", response={201: AuthorisationOut}, summary="授权他人为我代办（委托人本人）")
def authorisation_grant(request: HttpRequest, payload: AuthorisationIn) -> Status:
    principal = NaturalPerson.objects.filter(user_id=cast(User, request.user).pk).select_related("region").first()
    if principal is None or cast(User, request.user).kind != UserKind.CITIZEN:
        raise DomainError(ErrorCode.PERMISSION_DENIED, "只有已实名注册的群众本人可以授权他人代办")
    agent_person = selectors.person_match(id_number=payload.agent_id_number, name=payload.agent_name)
    if agent_person is None or agent_person.user is None:
        raise DomainError(
            ErrorCode.VALIDATION,
            "未找到该代办人的账号，请核对姓名和身份证号（代办人须已注册）",
            field="agent_id_number",
        )
    row = services.agent_authorisation_grant(
        actor=request.user,
        principal=principal,
        agent=agent_person.user,
        scope_all=payload.scope_all,
        item_codes=payload.item_codes,
        reason=payload.reason,
        valid_until=payload.valid_until,
    )
    return Status(201, _authorisation_out(request.user, row.pk))


@router.post(
    "/persons/{person_id}/authorisations", response={201: AuthorisationOut}, summary="登记帮办代办授权（窗口人员）"
)
def authorisation_record_at_window(request: HttpRequest, person_id: int, payload: WindowAuthorisationIn) -> Status:
    principal = (
        NaturalPerson.objects.restrict(cast(User, request.user), Action.PROXY_AUTHORISE)
        .select_related("region")
        .filter(pk=person_id)
        .first()
    )
    if principal is None:
        raise not_found("自然人")
    row = services.agent_authorisation_grant(
        actor=request.user,
        principal=principal,
        agent=cast(User, request.user),
        scope_all=payload.scope_all,
        item_codes=payload.item_codes,
        reason=payload.reason,
        valid_until=payload.valid_until,
    )
    return Status(201, _authorisation_out(request.user, row.pk))


@router.post("/authorisations/{authorisation_id}/revoke", response=AuthorisationOut, summary="撤销代办授权")
def authorisation_revoke(request: HttpRequest, authorisation_id: int) -> AgentAuthorisation:
    row = services.agent_authorisation_revoke(actor=request.user, authorisation_id=authorisation_id)
    return _authorisation_out(request.user, row.pk)
