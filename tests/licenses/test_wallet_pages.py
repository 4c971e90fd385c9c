"""The holder's pages: 我的证照, one licence (face data, PDF, 亮证, 分享, 用证记录, 异议), the public shared-link page,
and 免提交 on the apply page, the citizen's case page and the workbench case page.

Given/when/then with exact values; every refused request is checked to have changed nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import segno
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.cases.conftest import PDF
from yiwang.accounts.services import enterprise_agent_grant, legal_person_register, person_id_number
from yiwang.cases.choices import MaterialStatus
from yiwang.cases.models import Case
from yiwang.core.identifiers import make_uscc
from yiwang.files.selectors import blob_read
from yiwang.licenses import services
from yiwang.licenses.choices import DisputeState, LicenseStatus, UseKind
from yiwang.licenses.models import Dispute, License, LicenseUse, ShareLink, ShowCode
from yiwang.licenses.views_portal import NEW_SHARE_SESSION_KEY
from yiwang.testing.cases import published_item
from yiwang.testing.licenses import (
    ENTERPRISE_TYPE_CODE,
    PERSON_TYPE_CODE,
    enterprise_license_type,
    issued_license,
    person_license_type,
)
from yiwang.testing.roles import RoleMatrix
from yiwang.testing.world import World

pytestmark = pytest.mark.django_db

FACE = {"shop_name": "甲记小吃店", "scope": "餐饮服务（仅限热食类食品制售）"}
STAFF_REFUSAL = "此页面仅供办事群众使用"


@pytest.fixture
def licence(world: World) -> License:
    return issued_license(person_license_type(), world.dept_a_market, person=world.persons["owner"], face=FACE)


def _client(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _html(response) -> str:
    return response.content.decode()


def _owner(world: World) -> Client:
    return _client(world.users["citizen_owner"])


def _page(world: World, license: License, client: Client | None = None) -> str:
    response = (client or _owner(world)).get(reverse("licenses:license", args=[license.pk]))
    assert response.status_code == 200
    return _html(response)


def _enterprise(world: World, name: str = "临沂甲记餐饮有限公司", code: str = "MA0C0001"):
    return legal_person_register(
        actor=world.users["citizen_owner"],
        uscc=make_uscc("91", "371302", code),
        name=name,
        legal_representative=world.persons["owner"],
        region=world.county_a,
    )


# --- 我的证照 -------------------------------------------------------------------------------------------------


def test_wallet_lists_own_and_enterprise_licences_with_status_issuer_and_validity(world: World, licence: License):
    company = _enterprise(world)
    food = issued_license(enterprise_license_type(), world.dept_a_market, enterprise=company)
    others = issued_license(person_license_type(), world.dept_a_market, person=world.persons["other"])
    old = issued_license(
        person_license_type(code="11100000MB0143028L102", name="食品小作坊登记证"),
        world.dept_a_market,
        person=world.persons["owner"],
    )
    services.license_set_status(
        actor=world.users["approver_a"], license_id=old.pk, status=LicenseStatus.CANCELLED, reason="申请注销"
    )

    page = _html(_owner(world).get("/my/licenses/"))

    assert "<h1>我的证照</h1>" in page
    live, past = page.split('<h2 id="h-past">历史证照</h2>')
    for item in (licence, food):
        assert f'<a href="/my/licenses/{item.pk}/">{item.type.name}</a>' in live
        assert item.identifier in live
    assert '<span class="license-status license-status-valid">有效</span>' in live
    assert "<dd>临沂甲记餐饮有限公司</dd>" in live and "<dd>测试群众甲</dd>" in live
    assert "<dd>兰山区市场监督管理局</dd>" in live
    start, end = licence.valid_from, licence.valid_until
    assert f"<dd>{start:%Y年%m月%d日}至{end:%Y年%m月%d日}</dd>" in live
    assert f'<a href="/my/licenses/{old.pk}/">食品小作坊登记证</a>' in past
    assert '<span class="license-status license-status-ended">注销</span>' in past
    assert others.identifier not in page  # another citizen's licence is not listed


def test_wallet_query_count_does_not_grow_with_the_number_of_licences(world: World, django_assert_max_num_queries):
    kind = person_license_type(multiple_live=True)
    issued_license(kind, world.dept_a_market, person=world.persons["owner"])
    client = _owner(world)
    with django_assert_max_num_queries(40) as one:
        client.get("/my/licenses/")
    for _ in range(4):
        issued_license(kind, world.dept_a_market, person=world.persons["owner"])
    with django_assert_max_num_queries(len(one.captured_queries)) as five:
        response = client.get("/my/licenses/")
    assert _html(response).count('class="license-card"') == 5
    assert len(five.captured_queries) == len(one.captured_queries)


def test_navigation_links_my_licences_for_citizens_only(world: World):
    assert '<a class="btn btn-ghost" href="/my/licenses/">我的证照</a>' in _html(_owner(world).get("/my/cases/"))
    assert "/my/licenses/" not in _html(_client(world.users["clerk_a"]).get("/"))
    assert "/my/licenses/" not in _html(Client().get("/"))


def test_wallet_role_matrix(world: World, person_matrix: RoleMatrix, licence: License):
    responses = person_matrix.check(
        lambda c: c.get("/my/licenses/"),
        {
            "owner": 200,
            "same_department": 403,
            "other_department": 403,
            "other_region": 403,
            "citizen": 200,
            "anonymous": 302,
        },
    )
    assert licence.identifier not in _html(responses["citizen"])  # his wallet is empty
    assert "您还没有有效的电子证照" in _html(responses["citizen"])
    assert STAFF_REFUSAL in _html(responses["same_department"])
    assert responses["anonymous"]["Location"].startswith("/accounts/login/?next=/my/licenses/")


@pytest.mark.parametrize("suffix", ["", "face.pdf"])
def test_licence_page_and_pdf_role_matrix(world: World, person_matrix: RoleMatrix, licence: License, suffix: str):
    url = f"/my/licenses/{licence.pk}/{suffix}"
    responses = person_matrix.check(
        lambda c: c.get(url),
        {
            "owner": 200,
            "same_department": 403,
            "other_department": 403,
            "other_region": 403,
            "citizen": 404,
            "anonymous": 302,
        },
        side_effect=lambda: LicenseUse.objects.count(),
    )
    assert FACE["shop_name"] not in _html(responses["citizen"])
    assert responses["anonymous"]["Location"] == f"/accounts/login/?next={url}"
    missing = _owner(world).get(f"/my/licenses/{licence.pk + 999}/{suffix}")
    assert missing.status_code == 404  # the same answer as another person's licence


def test_licence_page_shows_the_face_data_in_clear_to_the_holder(world: World, licence: License):
    page = _page(world, licence)
    assert "<h1>个体工商户营业执照 <span" in page
    assert "<dt>名称</dt><dd>甲记小吃店</dd>" in page
    assert "<dt>经营范围</dt><dd>餐饮服务（仅限热食类食品制售）</dd>" in page
    assert f"<dt>公民身份号码</dt><dd>{person_id_number(world.persons['owner'])}</dd>" in page  # not masked
    assert f"<dt>证照编号</dt><dd>{licence.number}</dd>" in page
    assert licence.identifier in page
    assert f'href="/my/licenses/{licence.pk}/face.pdf"' in page
    assert "本证照还没有被使用过。" in page


def test_the_holder_downloads_the_signed_pdf(world: World, licence: License):
    response = _owner(world).get(f"/my/licenses/{licence.pk}/face.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    assert response.content == blob_read(licence.pdf) and response.content.startswith(b"%PDF")
    assert b"/ByteRange" in response.content  # the PAdES signature is in the file served


def test_an_agent_of_the_enterprise_sees_its_licence_until_the_grant_ends(world: World):
    company = _enterprise(world)
    food = issued_license(enterprise_license_type(), world.dept_a_market, enterprise=company)
    other = _client(world.users["citizen_other"])
    assert other.get(f"/my/licenses/{food.pk}/").status_code == 404
    enterprise_agent_grant(
        actor=world.users["citizen_owner"],
        enterprise=company,
        person=world.persons["other"],
        scope_all=True,
        item_codes=[],
        valid_until=timezone.now() + dt.timedelta(days=30),
    )
    page = _html(other.get(f"/my/licenses/{food.pk}/"))
    assert "<dt>持证主体</dt><dd>临沂甲记餐饮有限公司</dd>" in page
    assert f"<dt>统一社会信用代码</dt><dd>{company.uscc}</dd>" in page


# --- 亮证 ----------------------------------------------------------------------------------------------------


def test_show_code_page_draws_the_qr_and_digits_and_refresh_makes_a_new_code(world: World, licence: License):
    client = _owner(world)
    response = client.post(f"/my/licenses/{licence.pk}/show/")
    shown = ShowCode.objects.get(license=licence)
    assert response.status_code == 302
    assert response["Location"] == f"/my/licenses/{licence.pk}/show/{shown.pk}/"
    assert re.fullmatch(r"\d{10}", shown.code)
    assert (shown.expires_at - shown.created_at) == dt.timedelta(minutes=5)

    page = _html(client.get(response["Location"]))
    assert "<h1>亮证：个体工商户营业执照</h1>" in page
    assert re.search(r'<svg role="img" aria-label="亮证二维码" [^>]*viewBox="0 0 \d+ \d+"', page)
    assert "<path" in page and "<script>" not in page  # drawn on the server; no inline script (CSP)
    grouped = f"{shown.code[:3]} {shown.code[3:6]} {shown.code[6:]}"
    assert f'<span class="visually-hidden">亮证码：</span>{grouped}</p>' in page
    assert "<strong>5分钟内有效</strong>" in page
    assert 'src="/static/yiwang/licenses-show.js"' in page
    assert page.count(f'action="/my/licenses/{licence.pk}/show/"') == 1  # 刷新亮证码

    # The QR holds exactly the 10 digits: its modules are those of the code's own QR, nothing else.
    drawn = re.search(r'<path [^>]*d="([^"]+)"', page)
    expected = re.search(r'd="([^"]+)"', segno.make(shown.code, error="m", micro=False).svg_inline(omitsize=True))
    assert drawn is not None and expected is not None and drawn.group(1) == expected.group(1)
    client.post(f"/my/licenses/{licence.pk}/show/")
    assert ShowCode.objects.filter(license=licence).count() == 2


def test_an_expired_show_code_says_so_and_offers_a_refresh(world: World, licence: License):
    client = _owner(world)
    location = client.post(f"/my/licenses/{licence.pk}/show/")["Location"]
    ShowCode.objects.filter(license=licence).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    page = _html(client.get(location))
    assert "亮证码已过期，请点击“刷新亮证码”重新生成。" in page
    assert "<svg" not in page
    assert "刷新亮证码" in page


def test_show_codes_of_another_person_or_a_revoked_licence_are_refused(world: World, licence: License):
    owner = _owner(world)
    location = owner.post(f"/my/licenses/{licence.pk}/show/")["Location"]
    other = _client(world.users["citizen_other"])
    assert other.get(location).status_code == 404
    assert other.post(f"/my/licenses/{licence.pk}/show/").status_code == 404
    assert _client(world.users["clerk_a"]).post(f"/my/licenses/{licence.pk}/show/").status_code == 403
    assert ShowCode.objects.count() == 1
    services.license_set_status(
        actor=world.users["approver_a"], license_id=licence.pk, status=LicenseStatus.SUSPENDED, reason="核查"
    )
    response = owner.post(f"/my/licenses/{licence.pk}/show/")
    assert response.status_code == 409
    assert "该证照暂扣，不能亮证" in _html(response)
    page = _page(world, licence)
    assert "该证照当前为“暂扣”状态，不能亮证。" in page
    assert '<button type="submit" class="btn btn-primary">亮证</button>' not in page
    assert ShowCode.objects.count() == 1


def test_uses_are_listed_after_a_clerk_redeems_the_show_code(world: World, licence: License):
    owner = _owner(world)
    owner.post(f"/my/licenses/{licence.pk}/show/")
    code = ShowCode.objects.get(license=licence).code
    services.show_code_redeem(actor=world.users["clerk_a"], code=code, purpose="办理餐饮许可，核验营业执照")
    page = _page(world, licence)
    uses = page.split('id="h-uses"')[1].split("</section>")[0]
    use = LicenseUse.objects.get(license=licence)
    assert f"<td>{timezone.localtime(use.at):%Y-%m-%d %H:%M}</td>" in uses
    assert "<td>亮证核验</td>" in uses
    assert "<td>兰山区行政审批服务局 测试窗口甲</td>" in uses
    assert "<td>办理餐饮许可，核验营业执照</td>" in uses
    assert "<td>—</td>" in uses  # no case


def test_every_use_is_reachable_page_by_page_newest_first(world: World, licence: License):
    for n in range(51):
        services.license_use_log(
            license=licence, kind=UseKind.STAFF, purpose=f"核验第{n:02d}次", actor=world.users["clerk_a"]
        )
    first = _page(world, licence)
    assert "共 51 条，每页 50 条。" in first
    assert first.count("<td>工作人员查询</td>") == 50
    assert "<td>核验第50次</td>" in first and "<td>核验第00次</td>" not in first
    assert '<a class="btn btn-ghost" href="?uses_page=2#uses">较早的记录</a>' in first
    second = _html(_owner(world).get(f"/my/licenses/{licence.pk}/", {"uses_page": 2}))
    assert second.count("<td>工作人员查询</td>") == 1 and "<td>核验第00次</td>" in second


# --- 分享 ----------------------------------------------------------------------------------------------------


def _share(client: Client, license: License, purpose: str = "向房东出示营业执照", hours: str = "72"):
    return client.post(f"/my/licenses/{license.pk}/share/", {"purpose": purpose, "hours": hours})


def test_share_link_is_shown_once_opens_publicly_and_is_logged(world: World, licence: License):
    owner = _owner(world)
    response = _share(owner, licence)
    assert response.status_code == 302 and response["Location"] == f"/my/licenses/{licence.pk}/#share"
    share = ShareLink.objects.get(license=licence)
    assert share.expires_at - share.created_at == dt.timedelta(hours=72)
    assert share.purpose == "向房东出示营业执照"

    page = _page(world, licence, owner)
    link = re.search(r'id="new-share-url" class="mono" value="(http://testserver/licenses/shared/[^"/]+/)"', page)
    assert link is not None
    token = link.group(1).rsplit("/", 2)[1]
    assert share.token_hash != token
    assert "向房东出示营业执照" in page.split('id="h-shares"')[1]
    again = _page(world, licence, owner)
    assert token not in again and 'id="new-share-url"' not in again  # shown once only
    assert NEW_SHARE_SESSION_KEY not in owner.session

    public = Client().get(f"/licenses/shared/{token}/")
    assert public.status_code == 200
    assert public["Referrer-Policy"] == "no-referrer"
    shared_page = _html(public)
    assert "<dt>名称</dt><dd>甲记小吃店</dd>" in shared_page  # not masked: the holder chose to share
    assert "<dt>持证主体</dt><dd>测试群众甲</dd>" in shared_page
    pdf = Client().get(f"/licenses/shared/{token}/face.pdf")
    assert pdf.status_code == 200 and pdf.content == blob_read(licence.pdf)
    share.refresh_from_db()
    assert share.opened == 2
    uses = LicenseUse.objects.filter(license=licence, kind=UseKind.SHARE)
    assert [u.purpose for u in uses] == ["通过分享链接查看：向房东出示营业执照"] * 2
    assert "分享链接查看" in _page(world, licence)


def _token(page: str) -> str:
    found = re.search(r'id="new-share-url" class="mono" value="http://testserver/licenses/shared/([^"/]+)/"', page)
    assert found is not None
    return found.group(1)


def test_an_expired_or_revoked_share_link_answers_a_clear_404(world: World, licence: License):
    owner = _owner(world)
    _share(owner, licence, purpose="一次", hours="1")
    token_one = _token(_page(world, licence, owner))
    _share(owner, licence, purpose="二次", hours="24")
    token_two = _token(_page(world, licence, owner))
    first, second = ShareLink.objects.order_by("created_at", "id")

    ShareLink.objects.filter(pk=first.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    gone = Client().get(f"/licenses/shared/{token_one}/")
    assert gone.status_code == 404
    assert "该分享链接无效、已过期或已被持证人撤销" in _html(gone)
    assert FACE["shop_name"] not in _html(gone)
    assert Client().get(f"/licenses/shared/{token_one}/face.pdf").status_code == 404

    # another citizen cannot revoke it; the holder can
    other = _client(world.users["citizen_other"])
    assert other.post(f"/my/licenses/shares/{second.pk}/revoke/").status_code == 404
    assert Client().get(f"/licenses/shared/{token_two}/").status_code == 200
    response = owner.post(f"/my/licenses/shares/{second.pk}/revoke/")
    assert response.status_code == 302 and response["Location"] == f"/my/licenses/{licence.pk}/#share"
    second.refresh_from_db()
    assert second.revoked_at is not None
    assert Client().get(f"/licenses/shared/{token_two}/").status_code == 404
    assert "没有有效的分享链接。" in _page(world, licence)
    assert Client().get("/licenses/shared/not-a-token/").status_code == 404
    assert LicenseUse.objects.filter(kind=UseKind.SHARE).count() == 1  # only the one successful opening


def test_a_share_without_purpose_or_with_bad_hours_is_refused_next_to_the_input(world: World, licence: License):
    owner = _owner(world)
    response = _share(owner, licence, purpose="  ")
    assert response.status_code == 422
    page = _html(response)
    assert '<p class="field-error" id="share-purpose-error">请填写分享用途</p>' in page
    assert 'aria-invalid="true"' in page
    response = _share(owner, licence, purpose="核验", hours="9999")
    assert response.status_code == 422
    assert '<p class="field-error" id="share-hours-error">有效时长应为1小时至30天</p>' in _html(response)
    assert 'value="核验"' in _html(response)  # what was typed is kept
    assert _share(_client(world.users["citizen_other"]), licence).status_code == 404
    assert ShareLink.objects.count() == 0


# --- 异议 ----------------------------------------------------------------------------------------------------


def test_the_holder_raises_a_dispute_and_reads_the_issuers_answer(world: World, licence: License):
    owner = _owner(world)
    url = f"/my/licenses/{licence.pk}/dispute/"
    assert _client(world.users["citizen_other"]).post(url, {"reason": "经营范围有误，应为餐饮"}).status_code == 404
    short = owner.post(url, {"reason": "错"})
    assert short.status_code == 422
    assert '<p class="field-error" id="dispute-reason-error">' in _html(short)
    assert Dispute.objects.count() == 0

    response = owner.post(url, {"reason": "经营范围有误，应为“餐饮服务、预包装食品销售”"})
    assert response.status_code == 302 and response["Location"] == f"/my/licenses/{licence.pk}/#disputes"
    dispute = Dispute.objects.get(license=licence)
    assert dispute.state == DisputeState.OPEN
    page = _page(world, licence)
    assert '<span class="dispute-state dispute-state-open">待处理</span>' in page
    assert "已有待处理的异议，请等待颁发机构答复。" in page
    assert 'id="dispute-reason"' not in page  # one open dispute at a time

    services.dispute_resolve(
        actor=world.users["approver_a"], dispute_id=dispute.pk, accept=False, resolution="经核实，登记信息无误"
    )
    page = _page(world, licence)
    assert '<span class="dispute-state dispute-state-rejected">不予更正</span>' in page
    assert "处理意见：经核实，登记信息无误" in page
    assert 'id="dispute-reason"' in page  # may raise another


def test_a_corrected_dispute_links_the_new_version(world: World, licence: License):
    owner = _owner(world)
    owner.post(f"/my/licenses/{licence.pk}/dispute/", {"reason": "名称有误，应为甲记小吃"})
    dispute = Dispute.objects.get()
    services.dispute_resolve(
        actor=world.users["approver_a"],
        dispute_id=dispute.pk,
        accept=True,
        resolution="已更正名称",
        face={"shop_name": "甲记小吃"},
    )
    new = License.objects.get(previous=licence)
    page = _page(world, licence)
    assert f'<a href="/my/licenses/{new.pk}/">查看更正后的证照</a>' in page
    assert f'<a href="/my/licenses/{new.pk}/">查看新版本</a>' in page
    assert "<dt>名称</dt><dd>甲记小吃</dd>" in _page(world, new)


# --- 免提交 on the apply page -----------------------------------------------------------------------------------


def _licence_item(world: World, code: str = PERSON_TYPE_CODE, name: str = "个体工商户营业执照", **overrides: Any):
    return published_item(
        world.dept_a_market,
        materials=[
            {"code": "licence", "name": name, "necessity": "required", "licence_type_code": code},
            {"code": "premises", "name": "经营场所使用证明", "necessity": "required"},
        ],
        **overrides,
    )


def test_apply_page_shows_the_exemption_note_for_a_valid_licence(world: World, licence: License):
    item = _licence_item(world)
    page = _html(_owner(world).get(f"/apply/{item.pk}/"))
    block = page.split('id="material-licence"')[1].split("</fieldset>")[0]
    assert '<span class="tag tag-exempt">免提交</span>' in block
    assert f'<p class="exempt-note">免提交：已调用电子证照 个体工商户营业执照（{licence.identifier}）</p>' in block
    assert 'name="file.licence"' not in page
    assert 'name="file.premises"' in page


def test_apply_page_asks_for_an_upload_when_the_licence_is_revoked(world: World, licence: License):
    item = _licence_item(world)
    services.license_set_status(
        actor=world.users["approver_a"], license_id=licence.pk, status=LicenseStatus.REVOKED, reason="依法撤销"
    )
    page = _html(_owner(world).get(f"/apply/{item.pk}/"))
    block = page.split('id="material-licence"')[1].split("</fieldset>")[0]
    assert "免提交" not in block
    assert 'name="file.licence"' in block and "上传“个体工商户营业执照”" in block
    # another citizen without the licence is asked for it too
    assert 'name="file.licence"' in _html(_client(world.users["citizen_other"]).get(f"/apply/{item.pk}/"))


def test_submitting_from_the_page_records_the_exemption_on_the_case_and_the_use(world: World, licence: License):
    item = _licence_item(world, commitment=False)
    owner = _owner(world)
    data = {
        "form.applicant_name": "测试群众甲",
        "form.shop_name": "甲记小吃店",
        "form.scope": "餐饮",
        "delivery_method": "electronic",
        "idempotency_key": "wallet-key-1",
        "revision": "",
        "op": "submit",
        "file.premises": SimpleUploadedFile("场所.pdf", PDF + b"premises", content_type="application/pdf"),
    }
    response = owner.post(f"/apply/{item.pk}/", data)
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/my/cases/{case.pk}/"
    material = case.materials.get(code="licence")
    note = f"免提交：已调用电子证照 个体工商户营业执照（{licence.identifier}）"
    assert (material.status, material.exempt_note) == (MaterialStatus.EXEMPT, note)

    case_page = _html(owner.get(f"/my/cases/{case.pk}/"))
    assert f'<span class="help exempt-note">{note}</span>' in case_page
    workbench = _html(_client(world.users["clerk_a"]).get(reverse("workbench:case", args=[case.pk])))
    assert f'<p class="help exempt-note">{note}</p>' in workbench

    use = LicenseUse.objects.get(license=licence)
    assert (use.kind, use.case_id) == (UseKind.EXEMPT, case.pk)
    uses = _page(world, licence).split('id="h-uses"')[1]
    assert f'<span class="mono case-number">{case.number}</span>' in uses
    assert "<td>免提交调用</td>" in uses and "<td>兰山区市场监督管理局</td>" in uses


def test_acting_for_an_enterprise_the_enterprises_licence_is_used(world: World):
    company = _enterprise(world)
    food = issued_license(enterprise_license_type(), world.dept_a_market, enterprise=company)
    item = _licence_item(world, code=ENTERPRISE_TYPE_CODE, name="食品经营许可证", service_objects=["2"])
    owner = _owner(world)
    before = _html(owner.get(f"/apply/{item.pk}/"))
    assert "免提交：已调用电子证照" not in before  # as himself he holds no 食品经营许可证
    owner.post(reverse("identity:acting_switch"), {"identity": f"enterprise:{company.pk}", "next": "/"})
    page = _html(owner.get(f"/apply/{item.pk}/"))
    assert f"免提交：已调用电子证照 食品经营许可证（{food.identifier}）" in page
    assert 'name="file.licence"' not in page
