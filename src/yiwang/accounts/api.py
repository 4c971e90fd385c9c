"""API of the accounts app: the current user, and natural persons for staff in scope."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from yiwang.accounts import selectors, services
from yiwang.accounts.models import NaturalPerson, User
from yiwang.accounts.permissions import roles_of
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
