"""群众注册: real-name details, a verified phone, one account per person — through the service, the API
(with the role matrix) and the two-step pages."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from django.test import Client
from django.urls import reverse

from tests.accounts.conftest import MovableClock, last_code
from yiwang.accounts import services
from yiwang.accounts.choices import PhoneCodeState, UserKind
from yiwang.accounts.models import NaturalPerson, PhoneCode, User
from yiwang.audit.models import AuditEvent
from yiwang.core.errors import DomainError, ErrorCode
from yiwang.core.identifiers import make_id_number
from yiwang.testing.roles import RoleMatrix
from yiwang.testing.world import World

API = "/api/v1/accounts"
PHONE = "13805391111"
ID_NUMBER = make_id_number("371302", dt.date(1992, 4, 5), 71)
PASSWORD = "qingshan-2026-ok"


def _register(world: World, **overrides: object) -> User:
    fields: dict[str, object] = {
        "username": "wangfang",
        "password": PASSWORD,
        "name": "王芳",
        "id_number": ID_NUMBER,
        "region": world.county_a,
        "phone": PHONE,
    }
    fields.update(overrides)
    return services.citizen_register(**fields)  # type: ignore[arg-type]


def test_registration_with_the_code_opens_an_account_with_its_person(world: World, send_code):
    user = _register(world, code=send_code(PHONE))
    assert (user.kind, user.display_name, user.check_password(PASSWORD)) == (UserKind.CITIZEN, "王芳", True)
    person = NaturalPerson.objects.get(user=user)
    assert (person.name, person.region, person.phone_masked) == ("王芳", world.county_a, "138****1111")
    assert person.id_number_masked == ID_NUMBER[:4] + "*" * 10 + ID_NUMBER[-4:]
    assert PhoneCode.objects.get().state == PhoneCodeState.USED
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-6:] == [
        "phone_code.send",
        "phone_code.verify",
        "phone_code.use",
        "user.create",
        "person.register",
        "citizen.register",
    ]


def test_a_typo_in_the_details_does_not_burn_the_code(world: World, send_code):
    code = send_code(PHONE)
    for bad, field in (({"username": "citizen_owner"}, "username"), ({"password": "short1"}, "password")):
        with pytest.raises(DomainError) as caught:
            _register(world, code=code, **bad)
        assert caught.value.field == field
    bad_number = ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1")
    with pytest.raises(DomainError) as caught:
        _register(world, code=code, id_number=bad_number)
    assert caught.value.code == ErrorCode.ID_NUMBER_INVALID
    assert PhoneCode.objects.get().attempts == 0
    assert _register(world, code=code).username == "wangfang"


def test_a_wrong_code_opens_nothing_and_counts_a_try(world: World, send_code):
    code = send_code(PHONE)
    users = User.objects.count()
    with pytest.raises(DomainError) as caught:
        _register(world, code=f"{(int(code) + 1) % 1_000_000:06d}")
    assert caught.value.field == "code"
    assert User.objects.count() == users
    assert PhoneCode.objects.get().attempts == 1


def test_a_code_that_opened_an_account_cannot_open_another(world: World, send_code):
    code = send_code(PHONE)
    _register(world, code=code)
    with pytest.raises(DomainError) as caught:
        _register(world, code=code, username="another", id_number=make_id_number("371302", dt.date(1990, 1, 1), 5))
    assert caught.value.field == "code"


def test_the_proof_of_a_verified_phone_is_spent_once_and_lasts_thirty_minutes(
    world: World, send_code, moving_clock: MovableClock
):
    proof = services.phone_code_verify(phone=PHONE, purpose="register", code=send_code(PHONE))
    moving_clock.advance(minutes=30)
    with pytest.raises(DomainError) as caught:
        _register(world, proof=proof)
    assert caught.value.message == "手机号验证已失效，请重新获取验证码"
    moving_clock.advance(minutes=-1)
    _register(world, proof=proof)
    with pytest.raises(DomainError):
        _register(world, proof=proof, username="second", id_number=make_id_number("371302", dt.date(1990, 1, 1), 6))


def test_the_proof_belongs_to_its_phone(world: World, send_code):
    proof = services.phone_code_verify(phone=PHONE, purpose="register", code=send_code(PHONE))
    with pytest.raises(DomainError):
        _register(world, proof=proof, phone="13805392222")


def test_a_window_registered_person_without_an_account_is_linked(world: World, send_code):
    clerk = world.users["clerk_a"]
    person = services.person_register(actor=clerk, name="王芳", id_number=ID_NUMBER, region=world.county_a)
    user = _register(world, code=send_code(PHONE))
    person.refresh_from_db()
    assert person.user == user
    assert person.phone_masked == "138****1111"  # the verified phone is added to the record
    assert NaturalPerson.objects.filter(id_number_masked=person.id_number_masked).count() == 1
    assert AuditEvent.objects.filter(action="person.link_user", object_id=str(person.pk)).count() == 1


@pytest.mark.parametrize(
    ("existing", "message", "field"),
    [
        ({"name": "王芳", "user": True}, "该身份证号已注册账号", "id_number"),
        ({"name": "王方"}, "姓名与该身份证号的登记信息不一致，请核对", "name"),
        ({"name": "王芳", "phone": "13999990000"}, "登记的手机号与本次验证的不一致", "phone"),
    ],
)
def test_an_already_registered_id_number_is_refused_clearly_and_burns_the_proof(
    world: World, send_code, existing: dict, message: str, field: str
):
    services.person_register(
        actor=None,
        name=existing["name"],
        id_number=ID_NUMBER,
        region=world.county_a,
        phone=existing.get("phone", ""),
        user=services.citizen_create(actor=None, username="wf2019", password=PASSWORD) if "user" in existing else None,
    )
    users = User.objects.count()
    proof = services.phone_code_verify(phone=PHONE, purpose="register", code=send_code(PHONE))
    with pytest.raises(DomainError) as caught:
        _register(world, proof=proof)
    assert (caught.value.code, caught.value.field) == (ErrorCode.CONFLICT, field)
    assert message in caught.value.message
    assert User.objects.count() == users
    assert PhoneCode.objects.get().state == PhoneCodeState.USED  # one verified phone cannot probe many numbers


# --- the API -----------------------------------------------------------------------------------------


def _post(client: Client, path: str, body: dict, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(f"{API}{path}", body, content_type="application/json")


def test_api_registration_end_to_end(world: World, django_capture_on_commit_callbacks):
    client = Client()
    sent = _post(client, "/phone-codes", {"phone": PHONE}, django_capture_on_commit_callbacks)
    assert sent.status_code == 201
    assert sent.json()["phone_masked"] == "138****1111"
    assert sent.json()["resend_after"] == 60
    body = {
        "username": "wangfang",
        "password": PASSWORD,
        "name": "王芳",
        "id_number": ID_NUMBER.lower(),
        "region_code": "371302",
        "phone": PHONE,
        "code": last_code(PHONE),
    }
    response = _post(client, "/register", body, django_capture_on_commit_callbacks)
    assert response.status_code == 201, response.content
    person = NaturalPerson.objects.get(user__username="wangfang")
    assert response.json() == {
        "username": "wangfang",
        "display_name": "王芳",
        "person": {
            "id": person.pk,
            "name": "王芳",
            "id_number_masked": person.id_number_masked,
            "phone_masked": "138****1111",
            "region_code": "371302",
        },
    }
    assert "_auth_user_id" not in client.session  # the API opens the account; it does not sign in
    signed_in = client.post(reverse("accounts:login"), {"username": "wangfang", "password": PASSWORD})
    assert signed_in.status_code == 302
    assert int(client.session["_auth_user_id"]) == person.user_id


def test_api_refusals_are_problem_json_with_the_field(world: World, django_capture_on_commit_callbacks):
    client = Client()
    _post(client, "/phone-codes", {"phone": PHONE}, django_capture_on_commit_callbacks)
    again = _post(client, "/phone-codes", {"phone": PHONE}, django_capture_on_commit_callbacks)
    assert again.status_code == 429
    assert again["Content-Type"] == "application/problem+json"
    assert again.json()["code"] == "rate_limited"
    assert again.json()["errors"][0]["field"] == "body.phone"
    body = {
        "username": "wangfang",
        "password": PASSWORD,
        "name": "王芳",
        "id_number": ID_NUMBER,
        "region_code": "999999",
        "phone": PHONE,
        "code": last_code(PHONE),
    }
    bad_region = _post(client, "/register", body, django_capture_on_commit_callbacks)
    assert bad_region.status_code == 422
    assert bad_region.json()["errors"][0]["field"] == "body.region_code"
    assert PhoneCode.objects.get().attempts == 0


def test_phone_code_endpoint_role_matrix(world: World, person_matrix: RoleMatrix, django_capture_on_commit_callbacks):
    phones = iter(f"1360539{n:04d}" for n in range(100))
    person_matrix.check(
        lambda c: _post(c, "/phone-codes", {"phone": next(phones)}, django_capture_on_commit_callbacks),
        {
            "owner": 201,
            "same_department": 201,
            "other_department": 201,
            "other_region": 201,
            "citizen": 201,
            "anonymous": 201,
        },
    )
    assert PhoneCode.objects.count() == 6


def test_register_endpoint_role_matrix(world: World, person_matrix: RoleMatrix, django_capture_on_commit_callbacks):
    """Public (auth=None): every persona may open a new citizen account with a code; the limits are the code's."""
    numbers = iter(range(10, 100))

    def register(client: Client):
        n = next(numbers)
        phone = f"1350539{n:04d}"
        _post(Client(), "/phone-codes", {"phone": phone}, django_capture_on_commit_callbacks)
        body = {
            "username": f"new{n}",
            "password": PASSWORD,
            "name": "新用户",
            "id_number": make_id_number("371302", dt.date(1980, 1, 1), n),
            "region_code": "371302",
            "phone": phone,
            "code": last_code(phone),
        }
        return _post(client, "/register", body, django_capture_on_commit_callbacks)

    person_matrix.check(
        register,
        {
            "owner": 201,
            "same_department": 201,
            "other_department": 201,
            "other_region": 201,
            "citizen": 201,
            "anonymous": 201,
        },
    )
    assert User.objects.filter(username__startswith="new").count() == 6


def test_register_endpoint_refuses_a_wrong_code_for_every_persona(world: World, person_matrix: RoleMatrix):
    body = {
        "username": "nobody",
        "password": PASSWORD,
        "name": "新用户",
        "id_number": ID_NUMBER,
        "region_code": "371302",
        "phone": PHONE,
        "code": "000000",
    }
    person_matrix.check(
        lambda c: c.post(f"{API}/register", body, content_type="application/json"),
        {
            "owner": 422,
            "same_department": 422,
            "other_department": 422,
            "other_region": 422,
            "citizen": 422,
            "anonymous": 422,
        },
        side_effect=User.objects.count,
    )


# --- the pages ---------------------------------------------------------------------------------------


def test_registration_pages_end_to_end(world: World, django_capture_on_commit_callbacks, caplog):
    caplog.set_level(logging.DEBUG)
    client = Client()
    page = client.get(reverse("identity:register"))
    assert page.status_code == 200
    assert "第1步（共2步）：验证手机号" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(reverse("identity:register"), {"phone": PHONE, "op": "send"})
    assert "验证码已发送至 138****1111，5分钟内有效。" in sent.content.decode()
    code = last_code(PHONE)
    step2 = client.post(reverse("identity:register"), {"phone": PHONE, "code": code, "op": "verify"})
    html = step2.content.decode()
    assert "第2步（共2步）" in html
    assert code not in html
    proof = html.split('name="proof" value="')[1].split('"')[0]
    details = {
        "phone": PHONE,
        "proof": proof,
        "name": "王芳",
        "id_number": ID_NUMBER,
        "region": world.county_a.pk,
        "username": "wangfang",
        "password": PASSWORD,
        "password_again": PASSWORD,
    }
    mismatch = client.post(reverse("identity:register_details"), {**details, "password_again": "other-pass-2026"})
    assert "两次输入的密码不一致" in mismatch.content.decode()
    done = client.post(reverse("identity:register_details"), details)
    assert done.status_code == 302
    assert int(client.session["_auth_user_id"]) == User.objects.get(username="wangfang").pk
    landing = client.get(done["Location"]).content.decode()
    assert "注册成功，欢迎您，王芳。" in landing
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert code not in logged and proof not in logged
    assert code not in json.dumps(dict(client.session.items()), ensure_ascii=False)


def test_registration_page_shows_a_wrong_code_next_to_the_field(world: World, send_code):
    code = send_code(PHONE)
    page = Client().post(
        reverse("identity:register"), {"phone": PHONE, "code": f"{(int(code) + 1) % 1_000_000:06d}", "op": "verify"}
    )
    html = page.content.decode()
    assert 'id="id_code_error"' in html
    assert "验证码不正确，还可再试4次" in html


def test_details_page_with_a_stale_proof_says_to_start_again(world: World):
    details = {
        "phone": PHONE,
        "proof": "forged-proof",
        "name": "王芳",
        "id_number": ID_NUMBER,
        "region": world.county_a.pk,
        "username": "wangfang",
        "password": PASSWORD,
        "password_again": PASSWORD,
    }
    html = Client().post(reverse("identity:register_details"), details).content.decode()
    assert "手机号验证已失效，请重新获取验证码" in html
    assert not User.objects.filter(username="wangfang").exists()


def test_developer_sms_inbox_exists_only_with_debug(world: World, settings, django_capture_on_commit_callbacks):
    assert Client().get("/dev/sms/").status_code == 404
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        services.phone_code_send(phone=PHONE, purpose="register", ip=None)
    page = Client().get("/dev/sms/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "138****1111" in html
    assert f"验证码为{last_code(PHONE)}" in html
