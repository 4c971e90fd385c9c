"""短信验证码: stored only as an HMAC, five minutes, five tries, used once, resends limited, never logged."""

from __future__ import annotations

import json
import logging

import pytest
from django.db import connection

from tests.accounts.conftest import MovableClock, last_code
from yiwang.accounts import services, sms
from yiwang.accounts.choices import PhoneCodeState
from yiwang.accounts.models import PhoneCode
from yiwang.audit.models import AuditEvent
from yiwang.core.errors import DomainError, ErrorCode

pytestmark = pytest.mark.django_db

PHONE = "13905390101"


def _verify(code: str, phone: str = PHONE) -> str:
    return services.phone_code_verify(phone=phone, purpose="register", code=code)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_the_code_reaches_the_backend_and_the_database_keeps_only_an_hmac(send_code):
    code = send_code(PHONE)
    row = PhoneCode.objects.get()
    assert row.state == PhoneCodeState.PENDING
    assert row.phone_masked == "139****0101"
    assert len(row.code_hash) == 64 and code not in row.code_hash
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_phonecode")
        stored = " ".join(str(value) for value in cursor.fetchone())
    assert code not in stored
    assert PHONE not in stored  # the phone too: blind index and masked form only
    assert code not in json.dumps(list(AuditEvent.objects.values()), default=str, ensure_ascii=False)
    assert sms.outbox()[0].text.startswith("【一网通办】您正在注册一网通办账号，验证码为" + code)


def test_the_right_code_works_once_and_never_again(send_code):
    code = send_code(PHONE)
    proof = _verify(code)
    assert len(proof) >= 40
    row = PhoneCode.objects.get()
    assert row.state == PhoneCodeState.VERIFIED
    assert row.proof_hash is not None and proof not in row.proof_hash
    with pytest.raises(DomainError) as caught:
        _verify(code)
    assert caught.value.code == ErrorCode.VALIDATION
    assert caught.value.message == "验证码不正确或已失效，请重新获取"


def test_five_wrong_tries_lock_the_code_and_then_even_the_right_one_fails(send_code):
    code = send_code(PHONE)
    messages = []
    for _ in range(5):
        with pytest.raises(DomainError) as caught:
            _verify(_wrong(code))
        messages.append(caught.value.message)
    assert messages == [
        "验证码不正确，还可再试4次",
        "验证码不正确，还可再试3次",
        "验证码不正确，还可再试2次",
        "验证码不正确，还可再试1次",
        "验证码错误次数过多，请重新获取验证码",
    ]
    row = PhoneCode.objects.get()
    assert (row.state, row.attempts) == (PhoneCodeState.LOCKED, 5)
    with pytest.raises(DomainError):
        _verify(code)
    row.refresh_from_db()
    assert (row.state, row.attempts, row.proof_hash) == (PhoneCodeState.LOCKED, 5, None)


def test_a_code_expires_after_five_minutes(send_code, moving_clock: MovableClock):
    code = send_code(PHONE)
    moving_clock.advance(minutes=5)
    with pytest.raises(DomainError) as caught:
        _verify(code)
    assert caught.value.message == "验证码已过期，请重新获取"
    assert PhoneCode.objects.get().state == PhoneCodeState.PENDING  # not verified, no proof


def test_a_code_still_works_just_before_five_minutes(send_code, moving_clock: MovableClock):
    code = send_code(PHONE)
    moving_clock.advance(minutes=4, seconds=59)
    assert _verify(code)


def test_resending_waits_sixty_seconds_and_the_new_code_replaces_the_old(send_code, moving_clock: MovableClock):
    first = send_code(PHONE)
    moving_clock.advance(seconds=59)
    with pytest.raises(DomainError) as caught:
        send_code(PHONE)
    assert caught.value.code == ErrorCode.RATE_LIMITED
    assert caught.value.message == "验证码已发送，请1秒后再重新获取"
    assert PhoneCode.objects.count() == 1
    moving_clock.advance(seconds=1)
    second = send_code(PHONE)
    states = dict(PhoneCode.objects.values_list("pk", "state"))
    assert sorted(states.values()) == [PhoneCodeState.PENDING, PhoneCodeState.REPLACED]
    if first != second:  # 1 in 10^6 they are equal
        with pytest.raises(DomainError):
            _verify(first)
    assert _verify(second)


def test_at_most_five_codes_an_hour_per_phone(send_code, moving_clock: MovableClock):
    for _ in range(5):
        send_code(PHONE)
        moving_clock.advance(seconds=61)
    with pytest.raises(DomainError) as caught:
        send_code(PHONE)
    assert (caught.value.code, caught.value.message) == (
        ErrorCode.RATE_LIMITED,
        "该手机号获取验证码过于频繁，请1小时后再试",
    )
    assert PhoneCode.objects.count() == 5
    moving_clock.advance(minutes=56)  # the first send is now more than an hour old
    send_code(PHONE)


def test_at_most_twenty_codes_an_hour_per_ip(send_code):
    for n in range(services.SENDS_PER_IP_PER_HOUR):
        send_code(f"1370539{n:04d}", ip="203.0.113.9")
    with pytest.raises(DomainError) as caught:
        send_code("13705399999", ip="203.0.113.9")
    assert caught.value.message == "当前网络获取验证码过于频繁，请稍后再试"
    send_code("13705399999", ip="203.0.113.10")  # another address is not affected


def test_a_malformed_code_or_phone_is_refused_without_counting_a_try(send_code):
    send_code(PHONE)
    for bad in ("12345", "abcdef", ""):
        with pytest.raises(DomainError) as caught:
            _verify(bad)
        assert caught.value.field == "code"
    with pytest.raises(DomainError) as caught:
        services.phone_code_send(phone="0539-1234567", purpose="register", ip=None)
    assert caught.value.field == "phone"
    assert PhoneCode.objects.get().attempts == 0


def test_a_code_for_another_phone_does_not_verify(send_code):
    code = send_code(PHONE)
    with pytest.raises(DomainError):
        _verify(code, phone="13905390102")


def test_the_code_never_reaches_a_log_even_with_sql_logging_on(send_code, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    connection.force_debug_cursor = True  # log every SQL statement with its parameters
    try:
        code = send_code(PHONE)
        with pytest.raises(DomainError):
            _verify(_wrong(code))
        proof = _verify(code)
    finally:
        connection.force_debug_cursor = False
    assert any("短信（开发模式，未实际发送）至 139****0101" in r.getMessage() for r in caplog.records)
    assert any("accounts_phonecode" in r.getMessage() for r in caplog.records)  # SQL was logged
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert code not in logged
    assert proof not in logged
    assert PHONE not in logged


def test_the_log_line_masks_the_code(send_code, caplog):
    caplog.set_level(logging.INFO, logger="yiwang.sms")
    send_code(PHONE)
    assert [r.getMessage() for r in caplog.records if r.name == "yiwang.sms"] == [
        "短信（开发模式，未实际发送）至 139****0101：【一网通办】您正在注册一网通办账号，验证码为******，"
        "5分钟内有效。如非本人操作请忽略，切勿告诉他人。"
    ]


def test_last_code_helper_reads_the_newest_message(send_code, moving_clock: MovableClock):
    send_code(PHONE)
    moving_clock.advance(seconds=61)
    newest = send_code(PHONE)
    assert last_code(PHONE) == newest


def test_old_codes_are_purged_with_their_ip_addresses(send_code, moving_clock: MovableClock):
    from django.core.management import call_command

    send_code(PHONE)
    moving_clock.advance(hours=23)
    send_code("13905390102")
    assert services.phone_code_purge() == 0
    moving_clock.advance(hours=1, seconds=1)
    call_command("phonecodes", "purge")
    assert list(PhoneCode.objects.values_list("phone_masked", flat=True)) == ["139****0102"]
    assert AuditEvent.objects.filter(action="phone_code.purge").get().changes == {"deleted": 1}
