"""一次一评 at the hall tablet: a device registered for a window and paired with a one-time code (a cookie, no
login); the clerk can only *ask* for a rating of the visit he served; the citizen taps on the tablet; a browser
with a staff session never rates there; nor can anyone rate another window's visit or rate twice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client

from yiwang.accounts.choices import StaffRole
from yiwang.accounts.services import staff_assign, staff_create
from yiwang.core.errors import DomainError, ErrorCode
from yiwang.evaluations import services
from yiwang.evaluations.models import Evaluation, HallDevice, RectificationOrder, WindowVisit
from yiwang.evaluations.views_portal import DEVICE_COOKIE
from yiwang.regions.choices import WindowKind
from yiwang.regions.services import window_create
from yiwang.testing.evaluations import paired_tablet
from yiwang.testing.world import PASSWORD

pytestmark = pytest.mark.django_db

TABLET = "/evaluations/tablet/"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _tablet_client(token: str, user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    client.cookies[DEVICE_COOKIE] = token
    return client


def _visit(world, topic: str = "个体工商户登记咨询") -> WindowVisit:
    return services.window_visit_record(actor=world.users["clerk_a"], window_id=world.window_a1.pk, topic=topic)


def test_pairing_sets_a_cookie_and_the_code_works_once(world):
    device, code = services.hall_device_register(
        actor=world.users["admin"], window_id=world.window_a1.pk, name="A01平板", channel="hall_tablet"
    )
    tablet = Client()
    assert tablet.get(TABLET).url == "/evaluations/tablet/pair/"
    paired = tablet.post(TABLET + "pair/", {"code": code})
    assert paired.status_code == 302
    cookie = paired.cookies[DEVICE_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == TABLET
    assert tablet.get(TABLET).status_code == 200
    again = Client().post(TABLET + "pair/", {"code": code})
    assert again.status_code == 422 and "配对码不正确" in again.content.decode()
    device.refresh_from_db()
    assert device.pairing_hash == "" and device.token_hash != ""


def test_wrong_pairing_codes_are_limited(world):
    client = Client()
    for _ in range(10):
        client.post(TABLET + "pair/", {"code": "00000000"})
    response = client.post(TABLET + "pair/", {"code": "00000000"})
    assert "尝试次数过多" in response.content.decode()


def test_only_a_platform_admin_or_the_halls_admin_registers_devices(world):
    for username in ("clerk_a", "approver_a", "supervisor", "deptadmin_a"):
        with pytest.raises(DomainError) as info:
            services.hall_device_register(
                actor=world.users[username], window_id=world.window_a1.pk, name="x", channel="hall_tablet"
            )
        assert info.value.code == ErrorCode.NOT_FOUND
    device, _ = services.hall_device_register(
        actor=world.users["deptadmin_a_admin"], window_id=world.window_a1.pk, name="A01平板", channel="hall_tablet"
    )
    assert device.registered_by == world.users["deptadmin_a_admin"]
    assert HallDevice.objects.count() == 1


def test_the_citizen_rates_the_requested_visit_on_the_tablet(world):
    _, token = paired_tablet(world)
    visit = _visit(world)
    tablet = _tablet_client(token)
    page = tablet.get(TABLET).content.decode()
    assert "个体工商户登记咨询" in page and "非常满意" in page and "checked" not in page
    done = tablet.post(TABLET + "rate/", {"visit": visit.pk, "level": "very_satisfied"})
    assert done.status_code == 200 and "感谢您的评价" in done.content.decode()
    evaluation = Evaluation.objects.get()
    assert (evaluation.level, evaluation.channel, evaluation.rater_id, evaluation.device.window_id) == (
        "very_satisfied",
        "hall_tablet",
        None,
        world.window_a1.pk,
    )
    assert "欢迎您" in tablet.get(TABLET).content.decode()  # the visit left the tablet
    twice = tablet.post(TABLET + "rate/", {"visit": visit.pk, "level": "dissatisfied", "reasons": ["attitude"]})
    assert twice.status_code == 409
    assert Evaluation.objects.get().level == "very_satisfied"


def test_a_bad_rating_on_the_tablet_asks_for_reasons_then_opens_an_order_for_the_window(world):
    _, token = paired_tablet(world)
    visit = _visit(world)
    tablet = _tablet_client(token)
    step = tablet.post(TABLET + "rate/", {"visit": visit.pk, "level": "very_dissatisfied"})
    assert step.status_code == 200 and "差评原因" in step.content.decode()
    assert not Evaluation.objects.exists()
    empty = tablet.post(TABLET + "rate/", {"visit": visit.pk, "level": "very_dissatisfied", "step": "reasons"})
    assert empty.status_code == 422 and not Evaluation.objects.exists()
    tablet.post(
        TABLET + "rate/", {"visit": visit.pk, "level": "very_dissatisfied", "step": "reasons", "reasons": ["slow"]}
    )
    order = RectificationOrder.objects.get()
    assert (order.department_id, order.window_id, order.staff_id) == (
        world.dept_a_admin.pk,
        world.window_a1.pk,
        world.users["clerk_a"].pk,
    )


def test_a_staff_session_on_the_tablet_never_rates(world):
    _, token = paired_tablet(world)
    visit = _visit(world)
    for username in ("clerk_a", "admin", "approver_a"):
        tablet = _tablet_client(token, world.users[username])
        page = tablet.get(TABLET)
        assert "本设备不能用于评价" in page.content.decode() and "非常满意" not in page.content.decode()
        response = tablet.post(TABLET + "rate/", {"visit": visit.pk, "level": "very_satisfied"})
        assert response.status_code == 403
        assert tablet.post(TABLET + "decline/", {"visit": visit.pk}).status_code == 403
    assert not Evaluation.objects.exists()
    visit.refresh_from_db()
    assert visit.declined_at is None


def test_no_device_no_rating(world):
    visit = _visit(world)
    assert Client().post(TABLET + "rate/", {"visit": visit.pk, "level": "very_satisfied"}).status_code == 302
    assert (
        _tablet_client("forged-token").post(TABLET + "rate/", {"visit": visit.pk, "level": "satisfied"}).status_code
        == 302
    )
    device, token = paired_tablet(world)
    services.hall_device_revoke(actor=world.users["admin"], device_id=device.pk)
    assert _tablet_client(token).post(TABLET + "rate/", {"visit": visit.pk, "level": "satisfied"}).status_code == 302
    assert not Evaluation.objects.exists()


def test_a_tablet_of_another_window_cannot_rate_the_visit(world):
    other = window_create(
        actor=None, venue=world.venue_a, number="A02", name="综合窗口二", kind=WindowKind.COMPREHENSIVE
    )
    _device, code = services.hall_device_register(
        actor=world.users["admin"], window_id=other.pk, name="A02平板", channel="hall_tablet"
    )
    _, token = services.hall_device_pair(code=code)
    visit = _visit(world)
    response = _tablet_client(token).post(TABLET + "rate/", {"visit": visit.pk, "level": "very_satisfied"})
    assert response.status_code == 404
    assert not Evaluation.objects.exists()


def test_the_request_expires_and_only_the_serving_clerk_can_ask_again(world, moment):
    _, token = paired_tablet(world)
    visit = _visit(world)
    moment.move(minutes=11)
    tablet = _tablet_client(token)
    assert "欢迎您" in tablet.get(TABLET).content.decode()
    assert tablet.post(TABLET + "rate/", {"visit": visit.pk, "level": "satisfied"}).status_code == 409
    colleague = staff_create(
        actor=None, username="clerk_a2", password=PASSWORD, display_name="同窗口同事", department=world.dept_a_admin
    )
    staff_assign(actor=None, user=colleague, role=StaffRole.WINDOW_CLERK, window=world.window_a1)
    with pytest.raises(DomainError) as info:
        services.window_visit_request_rating(actor=colleague, visit_id=visit.pk)
    assert info.value.code == ErrorCode.NOT_FOUND
    services.window_visit_request_rating(actor=world.users["clerk_a"], visit_id=visit.pk)
    assert tablet.get(TABLET + "pending/").json() == {"paired": True, "visit": visit.pk}


def test_a_clerk_records_visits_only_at_his_own_window(world):
    with pytest.raises(DomainError) as info:
        services.window_visit_record(actor=world.users["clerk_b"], window_id=world.window_a1.pk, topic="咨询")
    assert info.value.code == ErrorCode.PERMISSION_DENIED
    with pytest.raises(DomainError) as info:
        services.window_visit_record(actor=world.users["citizen_owner"], window_id=world.window_a1.pk, topic="咨询")
    assert info.value.code == ErrorCode.PERMISSION_DENIED
    assert not WindowVisit.objects.exists()


def test_a_newer_request_replaces_the_older_one_on_the_tablet(world):
    _, token = paired_tablet(world)
    first = _visit(world, "第一位群众")
    second = _visit(world, "第二位群众")
    tablet = _tablet_client(token)
    assert tablet.get(TABLET + "pending/").json()["visit"] == second.pk
    assert tablet.post(TABLET + "rate/", {"visit": first.pk, "level": "satisfied"}).status_code == 409


def test_declining_leaves_the_visit_unrated(world):
    _, token = paired_tablet(world)
    visit = _visit(world)
    tablet = _tablet_client(token)
    assert tablet.post(TABLET + "decline/", {"visit": visit.pk}).status_code == 302
    assert tablet.get(TABLET + "pending/").json()["visit"] is None
    assert not Evaluation.objects.exists()
    visit.refresh_from_db()
    assert visit.declined_at is not None and visit.served_at == dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
