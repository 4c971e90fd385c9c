"""The citizen pages of cases: 在线申请 (draft, autosave, idempotent submit), 我的办件, one case with its actions
and notices, and the public 办件进度查询 — owner, other citizen, staff and anonymous.

Given/when/then with exact values; on every denied action the case is checked to be unchanged.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.cases.conftest import PDF
from yiwang.accounts.services import agent_authorisation_grant, legal_person_register
from yiwang.cases import services
from yiwang.cases.choices import AcceptMode, CaseState, DeliveryMethod, MaterialStatus
from yiwang.cases.models import ApplicationDraft, Case, CaseEvent
from yiwang.cases.views_portal import PROGRESS_LIMIT
from yiwang.catalog.models import ServiceItem
from yiwang.core import clock
from yiwang.core.identifiers import make_uscc
from yiwang.files.models import Upload
from yiwang.testing.cases import published_item, valid_form
from yiwang.testing.world import World

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai, Monday 2 March 2026
KEY = "page-key-0001"


@pytest.fixture(autouse=True)
def _monday(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: MONDAY)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _client(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _pdf(name: str = "场所证明.pdf", extra: bytes = b"premises") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF + extra, content_type="application/pdf")


def _post_data(op: str = "submit", key: str = KEY, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "form.applicant_name": "测试群众甲",
        "form.shop_name": "甲记小吃店",
        "form.scope": "餐饮",
        "form.capital": "5",
        "delivery_method": "electronic",
        "idempotency_key": key,
        "revision": "",
        "op": op,
    }
    data.update(extra)
    return data


def _apply_url(item: ServiceItem) -> str:
    return reverse("cases_portal:apply", args=[item.pk])


def _case(world: World, item: ServiceItem, upload_for, *, key: str = "") -> Case:
    return services.case_submit(
        actor=world.users["citizen_owner"],
        item_id=item.pk,
        form=valid_form(),
        materials={"premises": [upload_for().pk]},
        idempotency_key=key,
    )


def _html(response) -> str:
    return response.content.decode()


def _snapshot(case: Case) -> tuple:
    case.refresh_from_db()
    return (
        case.state,
        case.delivery_method,
        case.pickup_window_id,
        case.last_event_seq,
        CaseEvent.objects.filter(case=case).count(),
    )


# --- 在线申请 ---------------------------------------------------------------------------------------------------


def test_apply_page_shows_identity_form_materials_commitment_and_delivery(world: World, person_item):
    response = _client(world.users["citizen_owner"]).get(_apply_url(person_item))
    assert response.status_code == 200
    page = _html(response)
    assert "<h1>在线申请：个体工商户登记（设立）</h1>" in page
    assert "当前以 <strong>个人（测试群众甲）</strong> 的身份申请" in page
    for label in ("经营者姓名", "个体工商户名称", "经营范围", "资金数额（万元）"):
        assert label in page
    assert re.search(
        r"经营者身份证明 <span class=\"tag tag-required\">必要</span> <span class=\"tag tag-exempt\">免提交", page
    )
    assert '<p class="exempt">无需提交，由平台调取</p>' in page
    assert 'name="file.id_card"' not in page  # nothing to upload for an exempt material
    assert 'name="file.premises"' in page and 'name="file.photo"' in page
    assert '<span class="tag tag-deferrable">容缺后补</span>' in page
    assert "本人承诺所提交材料真实有效。" in page and 'name="commitment"' in page
    assert "兰山区政务服务中心 A01 综合窗口" in page
    assert 'value="express"' in page  # the item allows 快递
    assert re.search(r'name="idempotency_key" value="[A-Za-z0-9_-]{32}"', page)
    assert f'hx-post="/apply/{person_item.pk}/draft/"' in page
    assert 'hx-trigger="change delay:1s"' in page
    assert 'enctype="multipart/form-data"' in page


def test_each_rendering_carries_a_new_idempotency_key(world: World, person_item):
    client = _client(world.users["citizen_owner"])
    keys = {
        re.search(r'name="idempotency_key" value="([^"]+)"', _html(client.get(_apply_url(person_item)))).group(1)
        for _ in range(2)
    }
    assert len(keys) == 2


def test_apply_needs_a_signed_in_citizen_and_a_published_item(world: World, person_item):
    anonymous = Client().get(_apply_url(person_item))
    assert anonymous.status_code == 302
    assert anonymous["Location"] == f"/accounts/login/?next=/apply/{person_item.pk}/"
    staff = _client(world.users["clerk_a"]).get(_apply_url(person_item))
    assert staff.status_code == 403
    assert "此页面仅供办事群众使用" in _html(staff)
    missing = _client(world.users["citizen_owner"]).get(reverse("cases_portal:apply", args=[999999]))
    assert missing.status_code == 404
    assert "可申请的事项不存在或您无权查看" in _html(missing)


def test_submit_makes_one_case_and_the_case_page_shows_number_and_lookup_code(world: World, person_item):
    client = _client(world.users["citizen_owner"])
    response = client.post(_apply_url(person_item), {**_post_data(), "file.premises": _pdf()})
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/my/cases/{case.pk}/"
    assert (case.state, case.channel, case.idempotency_key) == (CaseState.SUBMITTED, "online", KEY)
    assert case.applicant_person == world.persons["owner"]
    assert case.delivery_method == DeliveryMethod.ELECTRONIC
    assert dict(case.materials.values_list("code", "status")) == {
        "id_card": MaterialStatus.EXEMPT,
        "premises": MaterialStatus.PROVIDED,
        "photo": MaterialStatus.ABSENT,
    }
    assert list(case.materials.get(code="premises").uploads.values_list("name", flat=True)) == ["场所证明.pdf"]
    assert services.case_form(case) == valid_form()
    page = _html(client.get(response["Location"]))
    assert f"申请已提交。办件编号：{case.number}；查询码：{case.lookup_code}（请妥善保存）。" in page
    assert f'<dd class="mono case-number">{case.number}</dd>' in page
    assert f"{case.lookup_code}<span" in page


def test_double_submit_with_the_same_idempotency_key_makes_one_case(world: World, person_item):
    client = _client(world.users["citizen_owner"])
    first = client.post(_apply_url(person_item), {**_post_data(), "file.premises": _pdf()})
    uploads = Upload.objects.count()
    second = client.post(_apply_url(person_item), {**_post_data(), "file.premises": _pdf()})
    case = Case.objects.get()
    assert first["Location"] == second["Location"] == f"/my/cases/{case.pk}/"
    assert Upload.objects.count() == uploads  # the second click stored no file either
    assert CaseEvent.objects.filter(case=case).count() == 1
    assert f"这份申请已经提交过（办件编号 {case.number}），没有重复提交。" in _html(client.get(second["Location"]))


def test_a_key_reused_after_going_back_and_changing_the_form_lands_on_the_first_case(world: World, person_item):
    client = _client(world.users["citizen_owner"])
    client.post(_apply_url(person_item), {**_post_data(), "file.premises": _pdf()})
    changed = client.post(_apply_url(person_item), {**_post_data(**{"form.shop_name": "乙记小吃店"})})
    case = Case.objects.get()
    assert changed["Location"] == f"/my/cases/{case.pk}/"
    assert services.case_form(case)["shop_name"] == "甲记小吃店"


def test_missing_required_material_needs_the_commitment(world: World, person_item):
    client = _client(world.users["citizen_owner"])
    refused = client.post(_apply_url(person_item), _post_data())
    assert refused.status_code == 422
    page = _html(refused)
    assert "请上传必要材料，或勾选告知承诺书后以承诺方式办理" in page
    assert "尚未上传：经营场所使用证明。请上传这些材料，或勾选承诺后以告知承诺方式办理。" in page
    assert 'value="甲记小吃店"' in page  # nothing typed is lost
    assert Case.objects.count() == 0
    signed = client.post(_apply_url(person_item), {**_post_data(), "commitment": "1"})
    assert signed.status_code == 302
    assert Case.objects.get().materials.get(code="premises").status == MaterialStatus.ABSENT


def test_form_errors_are_shown_next_to_fields_and_uploaded_files_are_kept(world: World, person_item):
    client = _client(world.users["citizen_owner"])
    data = _post_data(**{"form.shop_name": "", "form.scope": "批发"})
    response = client.post(_apply_url(person_item), {**data, "file.premises": _pdf()})
    assert response.status_code == 422
    page = _html(response)
    assert '<a href="#form-shop_name">个体工商户名称：请填写</a>' in page
    assert '<a href="#form-scope">经营范围：请从列表中选择</a>' in page
    assert 'id="form-shop_name-error">个体工商户名称：请填写</p>' in page
    upload = Upload.objects.get()
    kept = f'name="material.premises" value="{upload.pk}" id="material-premises-keep-{upload.pk}" checked>'
    assert f'<input type="checkbox" {kept}' in page
    assert "保留：场所证明.pdf" in page
    assert Case.objects.count() == 0


def test_a_wrong_file_type_is_refused_with_its_name_and_the_rest_is_kept(world: World, person_item):
    client = _client(world.users["citizen_owner"])
    bad = SimpleUploadedFile("病毒.exe", b"MZ\x90\x00not a document", content_type="application/octet-stream")
    response = client.post(_apply_url(person_item), {**_post_data(), "file.premises": bad})
    assert response.status_code == 422
    page = _html(response)
    assert (
        "“病毒.exe”未能上传：文件格式不支持：仅可上传 PDF、JPG、PNG、OFD 格式的文件（按文件内容判断，与文件名无关）"
        in page
    )
    assert 'value="甲记小吃店"' in page
    assert Case.objects.count() == 0 and Upload.objects.count() == 0


def test_delivery_choice_is_passed_to_the_case(world: World, person_item):
    client = _client(world.users["citizen_owner"])
    data = _post_data(delivery_method="pickup", pickup_window_id=str(world.window_a1.pk))
    client.post(_apply_url(person_item), {**data, "file.premises": _pdf()})
    case = Case.objects.get()
    assert (case.delivery_method, case.pickup_window_id) == (DeliveryMethod.PICKUP, world.window_a1.pk)
    assert re.fullmatch(r"\d{6}", case.pickup_code)
    page = _html(client.get(f"/my/cases/{case.pk}/"))
    assert f'<span class="pickup-code mono">{case.pickup_code}</span>' in page


def test_express_without_an_address_is_refused_next_to_the_address(world: World, person_item):
    client = _client(world.users["citizen_owner"])
    response = client.post(_apply_url(person_item), {**_post_data(delivery_method="express"), "file.premises": _pdf()})
    assert response.status_code == 422
    assert 'id="delivery-address-error">请填写收件地址（含收件人和电话）（至少8个字）</p>' in _html(response)
    assert Case.objects.count() == 0


# --- 草稿 --------------------------------------------------------------------------------------------------------


def test_draft_saved_on_one_device_is_resumed_on_another(world: World, person_item):
    owner = world.users["citizen_owner"]
    phone, computer = _client(owner), _client(owner)
    saved = phone.post(
        _apply_url(person_item),
        {**_post_data(op="save", **{"form.scope": "", "form.capital": ""}), "file.premises": _pdf()},
    )
    assert saved.status_code == 302 and saved["Location"] == _apply_url(person_item)
    draft = ApplicationDraft.objects.get()
    assert (draft.owner, draft.identity, draft.revision) == (owner, "person", 1)
    assert services.draft_form(draft) == {"applicant_name": "测试群众甲", "shop_name": "甲记小吃店"}
    upload = Upload.objects.get()
    assert draft.materials == {"premises": [upload.pk]}

    page = _html(computer.get(_apply_url(person_item)))
    assert 'id="form-shop_name" value="甲记小吃店"' in page
    assert f'name="material.premises" value="{upload.pk}" id="material-premises-keep-{upload.pk}" checked' in page
    assert 'name="revision" id="draft-revision" value="1"' in page
    assert "已自动保存 10:00" in page
    assert Case.objects.count() == 0


def test_autosave_saves_the_draft_and_answers_the_status_line(world: World, person_item):
    client = _client(world.users["citizen_owner"])
    url = reverse("cases_portal:apply_draft", args=[person_item.pk])
    first = client.post(url, {**_post_data(op=""), "file.photo": _pdf("门头照.pdf", b"photo")}, HTTP_HX_REQUEST="true")
    assert first.status_code == 200
    body = _html(first)
    assert body.startswith("已自动保存 10:00")
    assert '<input type="hidden" name="revision" id="draft-revision" value="1" hx-swap-oob="true">' in body
    upload = Upload.objects.get()
    assert 'id="material-photo" hx-swap-oob="true"' in body  # the block that received the file comes back …
    assert f'name="material.photo" value="{upload.pk}"' in body  # … with the file kept, not uploaded again
    assert 'id="material-premises"' not in body
    second = client.post(url, {**_post_data(op="", revision="1"), "material.photo": str(upload.pk)})
    assert second.status_code == 200
    draft = ApplicationDraft.objects.get()
    assert (draft.revision, draft.materials) == (2, {"photo": [upload.pk]})
    assert Upload.objects.count() == 1


def test_autosave_with_a_stale_revision_answers_409_and_keeps_the_newer_draft(world: World, person_item):
    owner = world.users["citizen_owner"]
    url = reverse("cases_portal:apply_draft", args=[person_item.pk])
    _client(owner).post(url, {**_post_data(op="", revision="0")})
    _client(owner).post(url, {**_post_data(op="", revision="1", **{"form.shop_name": "新的店名"})})
    stale = _client(owner).post(url, {**_post_data(op="", revision="1", **{"form.shop_name": "旧的店名"})})
    assert stale.status_code == 409
    body = _html(stale)
    assert "草稿已在其他设备上修改，请刷新后继续填写。" in body
    assert f'<a href="/apply/{person_item.pk}/" id="draft-reload">重新载入最新草稿</a>' in body
    draft = ApplicationDraft.objects.get()
    assert draft.revision == 2
    assert services.draft_form(draft)["shop_name"] == "新的店名"


def test_autosave_after_the_session_expired_says_so_in_the_status_line(world: World, person_item):
    response = Client().post(reverse("cases_portal:apply_draft", args=[person_item.pk]), _post_data(op=""))
    assert response.status_code == 401
    assert _html(response).strip() == (
        '<span class="autosave-error">登录已超时，本页内容未能自动保存。请'
        f'<a href="/accounts/login/?next=%2Fapply%2F{person_item.pk}%2F">重新登录</a>后继续填写。</span>'
    )
    assert ApplicationDraft.objects.count() == 0


def test_a_late_autosave_does_not_bring_back_the_draft_of_a_submitted_application(world: World, person_item):
    client = _client(world.users["citizen_owner"])
    client.post(_apply_url(person_item), _post_data(op="save"))
    client.post(_apply_url(person_item), {**_post_data(), "file.premises": _pdf()})
    late = client.post(reverse("cases_portal:apply_draft", args=[person_item.pk]), _post_data(op="", revision="1"))
    assert late.status_code == 409
    assert "这份申请已经提交，或草稿已被删除，本页未自动保存。" in _html(late)
    assert ApplicationDraft.objects.count() == 0


def test_a_page_loaded_before_any_draft_cannot_overwrite_one_made_elsewhere(world: World, person_item):
    owner = world.users["citizen_owner"]
    url = reverse("cases_portal:apply_draft", args=[person_item.pk])
    _client(owner).post(url, {**_post_data(op="", revision="0", **{"form.shop_name": "手机上填的"})})
    late = _client(owner).post(url, {**_post_data(op="", revision="", **{"form.shop_name": "电脑上填的"})})
    assert late.status_code == 409
    assert services.draft_form(ApplicationDraft.objects.get())["shop_name"] == "手机上填的"


def test_save_button_on_a_stale_page_keeps_what_was_typed_and_a_second_click_overwrites(world: World, person_item):
    owner = world.users["citizen_owner"]
    url = reverse("cases_portal:apply_draft", args=[person_item.pk])
    _client(owner).post(url, {**_post_data(op="", revision="0", **{"form.shop_name": "手机上填的"})})
    computer = _client(owner)
    stale = computer.post(
        _apply_url(person_item), _post_data(op="save", revision="0", **{"form.shop_name": "电脑上填的"})
    )
    assert stale.status_code == 409
    page = _html(stale)
    assert "草稿已于10:00在其他设备上修改。本页保留了您刚才填写的内容" in page
    assert 'value="电脑上填的"' in page
    assert 'name="revision" id="draft-revision" value="1"' in page
    assert services.draft_form(ApplicationDraft.objects.get())["shop_name"] == "手机上填的"
    again = computer.post(
        _apply_url(person_item), _post_data(op="save", revision="1", **{"form.shop_name": "电脑上填的"})
    )
    assert again.status_code == 302
    assert services.draft_form(ApplicationDraft.objects.get())["shop_name"] == "电脑上填的"


def test_submitting_deletes_the_draft(world: World, person_item):
    client = _client(world.users["citizen_owner"])
    client.post(_apply_url(person_item), _post_data(op="save"))
    assert ApplicationDraft.objects.count() == 1
    client.post(_apply_url(person_item), {**_post_data(), "file.premises": _pdf()})
    assert ApplicationDraft.objects.count() == 0
    assert Case.objects.count() == 1


def test_an_agent_applies_for_his_principal(world: World, person_item):
    owner, agent = world.persons["owner"], world.users["citizen_other"]
    agent_authorisation_grant(
        actor=world.users["citizen_owner"],
        principal=owner,
        agent=agent,
        scope_all=False,
        item_codes=[person_item.code],
        reason="年老行动不便",
        valid_until=timezone.now() + dt.timedelta(days=30),
    )
    client = _client(agent)
    own_page = _html(client.get(_apply_url(person_item)))
    assert f'<option value="{owner.pk}">代 测试群众甲 办理（帮办代办）</option>' in own_page
    page = _html(client.get(_apply_url(person_item), {"for": owner.pk}))
    assert "当前以 <strong>代测试群众甲办理（帮办代办）</strong> 的身份申请" in page
    assert f'<input type="hidden" name="for" value="{owner.pk}">' in page
    response = client.post(_apply_url(person_item), {**_post_data(), "for": str(owner.pk), "file.premises": _pdf()})
    case = Case.objects.get()
    assert response["Location"] == f"/my/cases/{case.pk}/"
    assert (case.applicant_person, case.submitted_by, case.applicant_name) == (owner, agent, "测试群众甲")
    assert case.authorisation is not None
    # The principal sees the case among his own; the agent too (he submitted it).
    assert case.number in _html(_client(world.users["citizen_owner"]).get("/my/cases/"))
    assert case.number in _html(client.get("/my/cases/"))


def test_acting_for_an_enterprise_applies_in_its_name(world: World, person_item):
    owner = world.users["citizen_owner"]
    legal = legal_person_register(
        actor=owner,
        uscc=make_uscc("91", "371302", "MA0C0001"),
        name="临沂甲记餐饮有限公司",
        legal_representative=world.persons["owner"],
        region=world.county_a,
    )
    company_item = published_item(world.dept_a_market, service_objects=["2"])
    client = _client(owner)
    client.post(reverse("identity:acting_switch"), {"identity": f"enterprise:{legal.pk}", "next": "/"})
    page = _html(client.get(_apply_url(person_item)))
    assert "当前以 <strong>临沂甲记餐饮有限公司</strong> 的身份申请" in page
    assert "该事项只面向个人办理：请在页面顶部把“办事身份”切换为个人后再申请。" in page
    client.post(_apply_url(company_item), _post_data(op="save"))
    assert ApplicationDraft.objects.get().identity == f"enterprise:{legal.pk}"
    response = client.post(_apply_url(company_item), {**_post_data(), "file.premises": _pdf()})
    case = Case.objects.get()
    assert response["Location"] == f"/my/cases/{case.pk}/"
    assert (case.applicant_enterprise, case.applicant_kind, case.applicant_name) == (
        legal,
        "enterprise",
        "临沂甲记餐饮有限公司",
    )
    assert ApplicationDraft.objects.count() == 0
    lookup = _html(Client().post("/progress/", {"number": case.number, "code": case.lookup_code}))
    assert "<dt>申请人</dt><dd>临沂****有限公司</dd>" in lookup


def test_a_principal_without_an_authorisation_is_not_offered(world: World, person_item):
    client = _client(world.users["citizen_other"])
    page = _html(client.get(_apply_url(person_item), {"for": world.persons["owner"].pk}))
    assert "当前以 <strong>个人（测试群众乙）</strong> 的身份申请" in page
    assert 'name="for"' not in page


# --- 我的办件 ---------------------------------------------------------------------------------------------------


def test_my_cases_lists_my_cases_with_state_dates_and_light(world: World, person_item, upload_for):
    case = _case(world, person_item, upload_for)
    services.case_accept(actor=world.users["clerk_a"], case_id=case.pk, mode=AcceptMode.DEFERRED)
    page = _html(_client(world.users["citizen_owner"]).get("/my/cases/"))
    assert f'<a href="/my/cases/{case.pk}/">个体工商户登记（设立）</a>' in page
    assert '<span class="state state-handling">办理中</span>' in page
    assert "<dt>申请日期</dt><dd>2026-03-02</dd>" in page
    assert "<dt>承诺办结</dt><dd>2026-03-09</dd>" in page
    assert '<span class="light light-green"><span class="light-icon" aria-hidden="true">✓</span>正常</span>' in page
    assert "全部办件共 1 件" in page


def test_my_cases_shows_red_light_in_words_when_overdue(world: World, person_item, upload_for, monkeypatch):
    case = _case(world, person_item, upload_for)
    services.case_accept(actor=world.users["clerk_a"], case_id=case.pk, mode=AcceptMode.DEFERRED)
    monkeypatch.setattr(clock, "now", lambda: MONDAY + dt.timedelta(days=14))
    page = _html(_client(world.users["citizen_owner"]).get("/my/cases/"))
    assert '<span class="light light-red"><span class="light-icon" aria-hidden="true">✕</span>已超期</span>' in page


def test_my_cases_filters_by_state_and_says_when_empty(world: World, person_item, upload_for):
    _case(world, person_item, upload_for)
    client = _client(world.users["citizen_owner"])
    assert "全部办件共 1 件" in _html(client.get("/my/cases/", {"state": "submitted"})).replace(
        "“待受理”的办件", "全部办件"
    )
    assert '<dt>时限</dt><dd><span class="muted">受理后计时</span></dd>' in _html(client.get("/my/cases/"))
    empty = _html(client.get("/my/cases/", {"state": "closed"}))
    assert "“已办结”的办件共 0 件" in empty
    assert "没有“已办结”的办件。" in empty
    assert "“未办结”的办件共 1 件" in _html(client.get("/my/cases/", {"state": "open"}))


def test_other_citizen_sees_none_of_my_cases(world: World, person_item, upload_for):
    case = _case(world, person_item, upload_for)
    page = _html(_client(world.users["citizen_other"]).get("/my/cases/"))
    assert case.number not in page
    assert "您还没有办件。" in page


def test_my_cases_query_count_does_not_grow_with_the_cases(
    world: World, person_item, upload_for, django_assert_max_num_queries
):
    client = _client(world.users["citizen_owner"])
    _case(world, person_item, upload_for)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/my/cases/")
        assert response.status_code == 200
        return len(queries)

    one = count()
    for _ in range(9):
        _case(world, person_item, upload_for)
    ten = count()
    assert one == ten
    with django_assert_max_num_queries(12):
        assert "全部办件共 10 件" in _html(client.get("/my/cases/"))


def test_my_cases_and_case_pages_need_a_citizen(world: World, person_item, upload_for):
    case = _case(world, person_item, upload_for)
    assert Client().get("/my/cases/")["Location"] == "/accounts/login/?next=/my/cases/"
    assert Client().get(f"/my/cases/{case.pk}/").status_code == 302
    assert _client(world.users["clerk_a"]).get(f"/my/cases/{case.pk}/").status_code == 403


# --- 一件办件 --------------------------------------------------------------------------------------------------


def test_case_page_shows_status_steps_events_deadlines_and_materials(world: World, person_item, upload_for):
    case = _case(world, person_item, upload_for)
    services.case_accept(actor=world.users["clerk_a"], case_id=case.pk, mode=AcceptMode.DEFERRED)
    page = _html(_client(world.users["citizen_owner"]).get(f"/my/cases/{case.pk}/"))
    assert '办件状态：<span class="state state-handling">办理中</span>' in page
    assert "<dt>承诺办结日期</dt><dd>2026年3月9日</dd>" in page
    assert "<dt>法定办结日期</dt><dd>2026年3月30日</dd>" in page
    assert "<dt>容缺材料补齐期限</dt><dd>2026年3月9日</dd>" in page
    assert '<li class="step-done"><strong>受理</strong> <span class="step-status">已完成</span>' in page
    assert (
        '<li class="step-open"><strong>审核</strong> <span class="step-status">办理中</span> '
        '<span class="muted">应于2026年3月5日前办结</span>' in page
    )
    assert '<li class="step-todo"><strong>办结</strong> <span class="step-status">未开始</span>' in page
    assert re.search(r'<span class="timeline-name">提交申请</span>.*?通过“网上申请”提交', page, re.S)
    assert re.search(r'<span class="timeline-name">受理</span>.*?容缺受理', page, re.S)
    assert '<strong>经营场所照片</strong> <span class="tag">容缺待补</span>' in page
    assert '<strong>经营者身份证明</strong> <span class="tag">免提交</span>' in page
    assert "补交容缺材料" in page and 'name="file.photo"' in page
    assert "<dt>个体工商户名称</dt><dd>甲记小吃店</dd>" in page


def test_other_citizen_gets_404_on_the_case_and_its_actions_and_nothing_changes(world: World, person_item, upload_for):
    case = _case(world, person_item, upload_for)
    before = _snapshot(case)
    other = _client(world.users["citizen_other"])
    base = f"/my/cases/{case.pk}/"
    assert other.get(base).status_code == 404
    assert other.post(base + "withdraw/", {"reason": "不想办了", "confirm": "1"}).status_code == 404
    assert (
        other.post(
            base + "delivery/", {"delivery_method": "pickup", "pickup_window_id": world.window_a1.pk}
        ).status_code
        == 404
    )
    assert other.post(base + "supplement/", {"file.premises": _pdf()}).status_code == 404
    assert other.post(base + "deferred/", {"file.photo": _pdf()}).status_code == 404
    assert "办件不存在或您无权查看" in _html(other.get(base))
    assert _snapshot(case) == before
    assert Upload.objects.filter(uploader=world.users["citizen_other"]).count() == 0


def test_withdraw_asks_to_confirm_then_withdraws(world: World, person_item, upload_for):
    case = _case(world, person_item, upload_for)
    client = _client(world.users["citizen_owner"])
    url = f"/my/cases/{case.pk}/withdraw/"
    confirm = client.post(url, {"reason": "信息填错了"})
    assert confirm.status_code == 200
    page = _html(confirm)
    assert "<h1>确认撤回申请</h1>" in page
    assert '<input type="hidden" name="reason" value="信息填错了">' in page
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED  # nothing changed before the confirmation
    done = client.post(url, {"reason": "信息填错了", "confirm": "1"})
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.WITHDRAWN
    event = CaseEvent.objects.get(case=case, action="withdraw")
    assert (event.reason, event.actor) == ("信息填错了", world.users["citizen_owner"])
    page = _html(client.get(f"/my/cases/{case.pk}/"))
    assert "申请已撤回。" in page and "撤回原因：信息填错了" in page
    assert 'id="act-withdraw"' not in page


def test_withdraw_without_a_reason_is_refused_on_the_case_page(world: World, person_item, upload_for):
    case = _case(world, person_item, upload_for)
    response = _client(world.users["citizen_owner"]).post(
        f"/my/cases/{case.pk}/withdraw/", {"reason": "", "confirm": "1"}
    )
    assert response.status_code == 422
    assert 'id="withdraw-reason-error">请填写撤回原因（至少2个字）</p>' in _html(response)
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED


def test_supplement_uploads_replacements_and_returns_the_case_to_acceptance(world: World, person_item, upload_for):
    case = _case(world, person_item, upload_for)
    services.case_request_supplement(
        actor=world.users["clerk_a"], case_id=case.pk, items=[{"code": "premises", "problem": "租赁合同已过期"}]
    )
    client = _client(world.users["citizen_owner"])
    page = _html(client.get(f"/my/cases/{case.pk}/"))
    assert '<h2 id="h-supplement">补正材料</h2>' in page
    assert "问题：租赁合同已过期。" in page
    assert "经营场所使用证明：租赁合同已过期" in page  # the notice lists it
    response = client.post(f"/my/cases/{case.pk}/supplement/", {"file.premises": _pdf("新合同.pdf", b"new")})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED
    premises = case.materials.get(code="premises")
    assert (premises.status, premises.problem) == (MaterialStatus.PROVIDED, "")
    assert list(premises.uploads.values_list("name", flat=True)) == ["新合同.pdf"]


def test_supplement_with_nothing_is_refused_and_nothing_changes(world: World, person_item, upload_for):
    case = _case(world, person_item, upload_for)
    services.case_request_supplement(
        actor=world.users["clerk_a"], case_id=case.pk, items=[{"code": "premises", "problem": "租赁合同已过期"}]
    )
    before = _snapshot(case)
    response = _client(world.users["citizen_owner"]).post(f"/my/cases/{case.pk}/supplement/", {})
    assert response.status_code == 422
    assert "请上传补正材料或修改申请表后再提交" in _html(response)
    assert _snapshot(case) == before


def test_supplement_can_correct_the_form(world: World, person_item, upload_for):
    case = _case(world, person_item, upload_for)
    services.case_request_supplement(
        actor=world.users["clerk_a"], case_id=case.pk, items=[{"name": "申请表", "problem": "店名与合同不一致"}]
    )
    client = _client(world.users["citizen_owner"])
    data = {f"form.{k}": str(v) for k, v in valid_form(shop_name="甲记餐馆").items()}
    response = client.post(f"/my/cases/{case.pk}/supplement/", {**data, "edit_form": "1"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert services.case_form(case)["shop_name"] == "甲记餐馆"


def test_delivery_choice_on_the_case_page(world: World, person_item, upload_for):
    case = _case(world, person_item, upload_for)
    client = _client(world.users["citizen_owner"])
    refused = client.post(f"/my/cases/{case.pk}/delivery/", {"delivery_method": "pickup"})
    assert refused.status_code == 422
    assert 'id="pickup-window-error">请选择领取结果的窗口</p>' in _html(refused)
    case.refresh_from_db()
    assert case.delivery_method == ""
    done = client.post(
        f"/my/cases/{case.pk}/delivery/", {"delivery_method": "pickup", "pickup_window_id": str(world.window_a1.pk)}
    )
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.delivery_method == DeliveryMethod.PICKUP
    page = _html(client.get(f"/my/cases/{case.pk}/"))
    assert "<dt>领取窗口</dt><dd>兰山区政务服务中心 A01 综合窗口</dd>" in page
    assert f'<span class="pickup-code mono">{case.pickup_code}</span>' in page


def test_deferred_materials_are_supplied_from_the_case_page(world: World, person_item, upload_for):
    case = _case(world, person_item, upload_for)
    services.case_accept(actor=world.users["clerk_a"], case_id=case.pk, mode=AcceptMode.DEFERRED)
    response = _client(world.users["citizen_owner"]).post(
        f"/my/cases/{case.pk}/deferred/", {"file.photo": _pdf("门头照.pdf", b"photo")}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.deferred_due is None
    assert case.materials.get(code="photo").status == MaterialStatus.PROVIDED


def test_notice_pdf_for_the_owner_only(world: World, person_item, upload_for):
    case = _case(world, person_item, upload_for)
    services.case_request_supplement(
        actor=world.users["clerk_a"], case_id=case.pk, items=[{"code": "premises", "problem": "租赁合同已过期"}]
    )
    notice = case.notices.get()
    url = f"/my/cases/{case.pk}/notices/{notice.pk}.pdf"
    page = _html(_client(world.users["citizen_owner"]).get(f"/my/cases/{case.pk}/"))
    assert f'<a href="{url}">下载补正材料一次性告知书（PDF）</a>' in page
    response = _client(world.users["citizen_owner"]).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{notice.number}.pdf"'
    assert response.content.startswith(b"%PDF")
    assert _client(world.users["citizen_other"]).get(url).status_code == 404
    assert _client(world.users["citizen_owner"]).get(f"/my/cases/{case.pk}/notices/999999.pdf").status_code == 404


# --- 办件进度查询 ------------------------------------------------------------------------------------------------


def test_progress_lookup_shows_state_item_masked_name_and_steps(world: World, person_item, upload_for):
    case = _case(world, person_item, upload_for)
    services.case_accept(actor=world.users["clerk_a"], case_id=case.pk, mode=AcceptMode.DEFERRED)
    response = Client().post("/progress/", {"number": case.number, "code": case.lookup_code})
    assert response.status_code == 200
    page = _html(response)
    assert "<dt>事项</dt><dd>个体工商户登记（设立）</dd>" in page
    assert "<dt>申请人</dt><dd>测****</dd>" in page
    assert "<dt>当前状态</dt><dd><strong>办理中</strong></dd>" in page
    steps = re.findall(r'<span class="timeline-name">([^<]+)</span> <span class="muted">([^<]+)</span>', page)
    assert steps == [("提交申请", "2026年3月2日"), ("受理", "2026年3月2日")]
    assert "测试群众甲" not in page  # no personal data
    assert "甲记小吃店" not in page


def test_progress_answers_the_same_for_a_wrong_number_and_a_wrong_code(world: World, person_item, upload_for):
    case = _case(world, person_item, upload_for)
    wrong_code = "000000" if case.lookup_code != "000000" else "111111"
    by_code = _html(Client().post("/progress/", {"number": case.number, "code": wrong_code}))
    by_number = _html(Client().post("/progress/", {"number": case.number[:-1] + "9", "code": case.lookup_code}))
    assert "未查询到办件，请核对办件编号和查询码后重试。" in by_code
    strip = re.compile(r'(name="csrfmiddlewaretoken"|id="progress-number") value="[^"]*"|"X-CSRFToken": "[^"]*"')
    assert strip.sub("", by_code) == strip.sub("", by_number)
    assert "个体工商户登记" not in by_code


def test_progress_is_rate_limited_per_ip(world: World, person_item, upload_for):
    case = _case(world, person_item, upload_for)
    client = Client(REMOTE_ADDR="10.0.0.7")
    for _ in range(PROGRESS_LIMIT):
        assert client.post("/progress/", {"number": case.number, "code": "000000"}).status_code == 200
    limited = client.post("/progress/", {"number": case.number, "code": case.lookup_code})
    assert limited.status_code == 429
    assert "查询过于频繁，请10分钟后再试。" in _html(limited)
    assert "个体工商户登记" not in _html(limited)  # not even the right code gets through now
    other_ip = Client(REMOTE_ADDR="10.0.0.8").post("/progress/", {"number": case.number, "code": case.lookup_code})
    assert other_ip.status_code == 200 and "<dt>当前状态</dt>" in _html(other_ip)


# --- links into these pages -----------------------------------------------------------------------------------


def test_links_to_apply_my_cases_and_progress(world: World, person_item):
    guide = _html(Client().get(reverse("catalog:guide_detail", args=[person_item.code])))
    assert f'<a class="btn btn-primary" href="/apply/{person_item.pk}/">在线申请</a>' in guide
    assert '<a href="/progress/">办件进度查询</a>' in _html(Client().get("/"))
    header = _html(_client(world.users["citizen_owner"]).get("/"))
    assert '<a class="btn btn-ghost" href="/my/cases/">我的办件</a>' in header
    assert "/my/cases/" not in _html(_client(world.users["clerk_a"]).get("/"))


def test_an_item_not_handled_online_has_no_apply_link(world: World):
    item = published_item(world.dept_a_market, is_online=False, online_depth=1)
    guide = _html(Client().get(reverse("catalog:guide_detail", args=[item.code])))
    assert "在线申请</a>" not in guide
