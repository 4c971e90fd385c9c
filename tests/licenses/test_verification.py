"""公共验证服务: the identifier look-up (page and API) and the PDF upload (page and API).

- An identifier verifies as 真实有效 / 已暂扣 / 已撤销或注销 / 已过期 / 已被新版本替代 / 查无此证 (a wrong check
  character included), with the face data masked and nothing personal in the answer.
- A PDF the platform issued verifies as signed by our seal and identical to the archive; one flipped byte makes
  it fail; a PDF signed under another region's CA is "intact but untrusted" until the platform admin imports
  that CA into the trust list, then 互认, and untrusted again once the CA is removed; garbage gets a clear answer.
- Typed look-ups and uploads are limited per client address.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client
from reportlab.pdfgen.canvas import Canvas

from tests.browser.conftest import AXE_SOURCE, axe_violations, browser, screenshot  # noqa: F401 — Chromium
from yiwang.accounts.services import person_id_number
from yiwang.files.selectors import blob_read
from yiwang.licenses import keys, pades, services
from yiwang.licenses.choices import LicenseStatus
from yiwang.licenses.face import render_face
from yiwang.licenses.identifiers import ALPHABET
from yiwang.licenses.models import License, LicenseType, TrustedIssuer
from yiwang.licenses.verification import VERIFY_LIMITS, PdfOutcome, pdf_verify
from yiwang.testing.licenses import issued_license, person_license_type, seal_for
from yiwang.testing.world import World

pytestmark = pytest.mark.django_db

API = "/api/v1/licenses"
PROBLEM = "application/problem+json"
OWNER_NAME = "测试群众甲"
FACE = {"shop_name": "兰山区甲乙丙小吃店", "scope": "小吃制售、预包装食品零售"}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()  # the per-address limits count in the cache
    yield
    cache.clear()


@pytest.fixture
def kind(world: World) -> LicenseType:
    return person_license_type()


@pytest.fixture
def licence(world: World, kind: LicenseType) -> License:
    return issued_license(kind, world.dept_a_market, person=world.persons["owner"], face=FACE)


def api_verify(identifier: str, client: Client | None = None) -> Any:
    return (client or Client()).get(f"{API}/verify/{identifier}")


def upload(data: bytes, client: Client | None = None, name: str = "证照.pdf") -> Any:
    file = SimpleUploadedFile(name, data, content_type="application/pdf")
    return (client or Client()).post(f"{API}/verify/pdf", {"file": file})


def flip_in_content(pdf: bytes) -> bytes:
    """One bit flipped inside the page's content stream (signed bytes, the file still parses)."""
    start = pdf.index(b"stream\n", pdf.index(b"/FlateDecode")) + len(b"stream\n")
    tampered = bytearray(pdf)
    tampered[start + 200] ^= 0x01
    return bytes(tampered)


def plain_pdf(text: str = "no signature") -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(72, 720, text)
    canvas.save()
    return buffer.getvalue()


def foreign_signed_pdf() -> tuple[bytes, bytes]:
    """A licence face signed under another region's seal authority: (signed PDF, that authority's certificate)."""
    ca_key, ca_cert = keys.authority_create("江苏省电子印章制发中心")
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    material = keys.seal_keys_create(
        authority_key_pem=ca_key,
        authority_cert_pem=ca_cert,
        organisation_name="徐州市市场监督管理局",
        organisation_code="91110000MA01ABCD52",
        seal_name="徐州市市场监督管理局电子证照专用章",
        valid_from=start,
        valid_until=start + dt.timedelta(days=365),
    )
    face = render_face(
        title="食品经营许可证",
        fields=[("经营者名称", "徐州市某某餐饮有限公司")],
        identifier="1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
        issuer_name="徐州市市场监督管理局",
        issued_on=dt.date(2026, 3, 2),
        validity_text="2026年03月02日至2031年03月01日",
        verify_url="https://example.invalid/verify/x/",
        seal_organisation="徐州市市场监督管理局",
    )
    signer = pades.signer_for(material.ecdsa_key_pem, material.certificate_pem, (ca_cert,))
    return pades.sign_pdf(face, signer, location="徐州市"), ca_cert


def admin_client(world: World) -> Client:
    client = Client()
    client.force_login(world.users["admin"])
    return client


def wrong_check(identifier: str) -> str:
    last = identifier[-1]
    return identifier[:-1] + ALPHABET[(ALPHABET.index(last) + 1) % 36]


# --- by identifier --------------------------------------------------------------------------------------


def test_an_issued_licence_verifies_as_authentic_with_nothing_personal_in_clear(world, licence):
    response = api_verify(licence.identifier)

    assert response.status_code == 200
    body = response.json()
    assert body["identifier"] == licence.identifier
    assert (body["verdict"], body["verdict_label"], body["found"]) == ("authentic", "真实有效", True)
    assert (body["status"], body["status_label"]) == ("01", "有效")
    assert body["type_name"] == "个体工商户营业执照"
    assert body["issuer_name"] == "兰山区市场监督管理局"
    assert body["metadata_intact"] is True
    assert body["successor_identifier"] == ""
    assert body["verify_url"] == f"http://127.0.0.1:8000/verify/{licence.identifier}/"
    lines = {line["label"]: line["value"] for line in body["lines"]}
    assert lines["持证主体"] == "测****"
    assert lines["持证主体代码"] == licence.holder_code_masked
    assert lines["名称"] == "兰山*****吃店"
    assert lines["证照状态"] == "有效"
    text = response.content.decode()
    id_number = person_id_number(world.persons["owner"])
    assert OWNER_NAME not in text and id_number not in text
    assert FACE["shop_name"] not in text and FACE["scope"] not in text
    assert licence.number not in text


def test_a_revoked_licence_verifies_as_revoked(world, licence):
    services.license_set_status(
        actor=world.users["approver_a"], license_id=licence.pk, status=LicenseStatus.REVOKED, reason="以欺骗手段取得"
    )

    body = api_verify(licence.identifier).json()

    assert (body["verdict"], body["verdict_label"]) == ("revoked", "已撤销或注销")
    assert (body["status"], body["status_label"]) == ("03", "撤销")
    assert body["metadata_intact"] is True


def test_a_suspended_licence_verifies_as_suspended(world, licence):
    services.license_set_status(
        actor=world.users["approver_a"], license_id=licence.pk, status=LicenseStatus.SUSPENDED, reason="责令整改期间"
    )

    assert api_verify(licence.identifier).json()["verdict"] == "suspended"


def test_a_licence_past_its_validity_verifies_as_expired(world, kind):
    seal_for(world.dept_a_market)
    old = services.license_issue(
        kind=kind,
        issuer=world.dept_a_market,
        person=world.persons["owner"],
        face=FACE,
        issued_on=dt.date(2019, 5, 6),
        valid_from=dt.date(2019, 5, 6),
    )
    assert old.valid_until == dt.date(2024, 5, 5)

    body = api_verify(old.identifier).json()

    assert (body["verdict"], body["verdict_label"]) == ("expired", "已过期")
    assert body["status"] == "01"  # still 有效 in the register: only the date has passed


def test_a_corrected_licence_is_superseded_and_points_at_the_new_version(world, licence):
    new = services.license_correct(
        actor=world.users["approver_a"], license_id=licence.pk, face={"scope": "小吃制售"}, reason="经营范围变更"
    )

    old_body = api_verify(licence.identifier).json()
    new_body = api_verify(new.identifier).json()

    assert (old_body["verdict"], old_body["verdict_label"]) == ("superseded", "已被新版本替代")
    assert old_body["successor_identifier"] == new.identifier
    assert new.identifier.split(".")[-2] == "002"
    assert new_body["verdict"] == "authentic"


def test_unknown_and_mistyped_identifiers_verify_as_unknown(licence):
    unknown_serial = licence.identifier.split(".")
    unknown_serial[7] = "Z" * 20
    body_text = ".".join(unknown_serial[:-1])
    from yiwang.licenses.identifiers import check_character

    well_formed = body_text + "." + check_character("".join(unknown_serial[5:9]))

    for identifier in (well_formed, wrong_check(licence.identifier), "1.2.156.3005.2.garbage", "hello"):
        body = api_verify(identifier).json()
        assert (body["verdict"], body["verdict_label"], body["found"]) == ("unknown", "查无此证", False), identifier
        assert body["lines"] == [] and body["metadata_intact"] is None and body["type_name"] == ""


def test_a_typed_identifier_is_normalised(licence):
    typed = " " + licence.identifier.lower().replace(".", "。", 2) + " "

    body = Client().get("/verify/", {"id": typed})

    assert body.status_code == 200
    assert "真实有效" in body.content.decode()


def test_the_qr_target_page_shows_a_big_verdict_masked_lines_and_no_personal_data(world, licence):
    response = Client().get(f"/verify/{licence.identifier}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="verdict verdict-authentic"' in html
    assert re.search(r'<h2 id="verdict-title" class="verdict-text">真实有效</h2>', html)
    assert "证照元数据的电子签名完好" in html
    assert "兰山区市场监督管理局" in html
    assert "测****" in html
    assert OWNER_NAME not in html and person_id_number(world.persons["owner"]) not in html
    assert FACE["shop_name"] not in html
    assert '<meta name="robots" content="noindex">' in html
    assert "{#" not in html and "{%" not in html
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_the_qr_target_page_of_a_revoked_and_an_unknown_licence(world, licence):
    services.license_set_status(
        actor=world.users["approver_a"], license_id=licence.pk, status=LicenseStatus.CANCELLED, reason="申请注销"
    )

    revoked = Client().get(f"/verify/{licence.identifier}/").content.decode()
    unknown = Client().get(f"/verify/{wrong_check(licence.identifier)}/").content.decode()

    assert 'class="verdict verdict-revoked"' in revoked and "已撤销或注销" in revoked and "已注销" in revoked
    assert 'class="verdict verdict-unknown"' in unknown and "查无此证" in unknown
    assert "测****" not in unknown


def test_the_page_of_a_superseded_licence_links_to_the_new_version(world, licence):
    new = services.license_correct(
        actor=world.users["approver_a"], license_id=licence.pk, face={"scope": "小吃制售"}, reason="经营范围变更"
    )

    html = Client().get(f"/verify/{licence.identifier}/").content.decode()

    assert "已被新版本替代" in html
    assert f'href="/verify/{new.identifier}/"' in html


def test_an_empty_typed_identifier_is_a_clear_error(db):
    response = Client().get("/verify/", {"id": "  "})

    assert response.status_code == 422
    assert "请输入电子证照标识。" in response.content.decode()


def test_typed_lookups_are_limited_per_address(monkeypatch, licence):
    monkeypatch.setitem(VERIFY_LIMITS, "lookup", 3)
    client = Client()

    statuses = [client.get("/verify/", {"id": licence.identifier}).status_code for _ in range(2)]
    statuses.append(api_verify(licence.identifier, client).status_code)
    refused_page = client.get("/verify/", {"id": licence.identifier})
    refused_api = api_verify(licence.identifier, client)
    elsewhere = Client(REMOTE_ADDR="10.1.2.3").get(f"{API}/verify/{licence.identifier}")

    assert statuses == [200, 200, 200]
    assert refused_page.status_code == 429
    assert "查询过于频繁，请10分钟后再试。" in refused_page.content.decode()
    assert "verdict-authentic" not in refused_page.content.decode()
    assert refused_api.status_code == 429
    assert refused_api["Content-Type"] == PROBLEM
    assert refused_api["Retry-After"] == "600"
    assert refused_api.json()["code"] == "rate_limited"
    assert elsewhere.status_code == 200  # the limit is per address


def test_the_qr_page_has_its_own_generous_limit(monkeypatch, licence):
    monkeypatch.setitem(VERIFY_LIMITS, "scan", 2)
    client = Client()

    statuses = [client.get(f"/verify/{licence.identifier}/").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert client.get("/verify/", {"id": licence.identifier}).status_code == 200  # typed look-ups count apart


# --- by PDF ---------------------------------------------------------------------------------------------


def test_our_issued_pdf_is_signed_by_our_seal_and_matches_the_archive(world, licence):
    data = blob_read(licence.pdf)

    body = upload(data).json()

    assert body["outcome"] == "platform"
    assert body["ok"] is True
    assert body["headline"] == "签名有效：本平台电子印章"
    assert body["trust_text"] == "本平台电子印章"
    assert (body["signed"], body["intact"], body["valid"], body["trusted"]) == (True, True, True, True)
    assert body["signer_subject"] == "兰山区市场监督管理局电子证照专用章（兰山区市场监督管理局）"
    assert body["seal"]["name"] == "兰山区市场监督管理局电子证照专用章"
    assert body["seal"]["department_name"] == "兰山区市场监督管理局"
    assert (body["seal"]["status"], body["seal"]["revoked"]) == ("active", False)
    assert body["seal"]["esid"] == licence.seal.esid
    assert body["signer_fingerprint"] == licence.seal.certificate_fingerprint
    assert body["trusted_issuer"] is None
    assert body["archive_match"] is True
    assert body["archive_text"] == "与本平台存档的电子证照一致"
    assert body["sha256"] == licence.pdf.sha256
    assert body["license"]["identifier"] == licence.identifier
    assert body["license"]["verdict"] == "authentic"
    assert OWNER_NAME not in body["license"]["lines"][1]["value"]


def test_the_upload_page_says_the_same(world, licence):
    client = Client(enforce_csrf_checks=True)
    form = client.get("/verify/")
    token = form.cookies["csrftoken"].value
    file = SimpleUploadedFile("证照.pdf", blob_read(licence.pdf), content_type="application/pdf")

    response = client.post("/verify/", {"file": file, "csrfmiddlewaretoken": token})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="verdict pdf-platform"' in html
    assert "签名有效：本平台电子印章" in html
    assert "与本平台存档的电子证照一致" in html
    assert "兰山区市场监督管理局电子证照专用章" in html
    assert 'class="verdict verdict-authentic"' in html  # the archived licence's own verdict
    assert OWNER_NAME not in html


def test_the_upload_form_requires_the_csrf_token(licence):
    client = Client(enforce_csrf_checks=True)
    file = SimpleUploadedFile("证照.pdf", blob_read(licence.pdf), content_type="application/pdf")

    assert client.post("/verify/", {"file": file}).status_code == 403


def test_a_revoked_licence_pdf_is_well_signed_but_the_licence_is_revoked(world, licence):
    services.license_set_status(
        actor=world.users["approver_a"], license_id=licence.pk, status=LicenseStatus.WITHDRAWN, reason="吊销"
    )

    body = upload(blob_read(licence.pdf)).json()

    assert body["outcome"] == "platform"
    assert body["archive_match"] is True
    assert body["license"]["verdict"] == "revoked"
    assert body["license"]["status_label"] == "吊销"


def test_a_licence_signed_by_a_seal_revoked_since_says_so(world, licence):
    services.seal_revoke(actor=world.users["admin"], seal_id=licence.seal_id, reason="印章密钥保管不当")

    check = pdf_verify(blob_read(licence.pdf))

    assert check.outcome == PdfOutcome.PLATFORM
    assert check.seal is not None and check.seal.revoked is True
    assert check.seal.status_label == "已吊销"
    assert "吊销" in check.detail and "此前签发的证照仍可验证" in check.detail


def test_one_flipped_byte_makes_the_check_fail(licence):
    tampered = flip_in_content(blob_read(licence.pdf))

    body = upload(tampered).json()

    assert body["outcome"] == "tampered"
    assert body["ok"] is False
    assert body["intact"] is False
    assert body["trusted"] is False
    assert body["headline"] == "验证失败：文件已被篡改或签名无效"
    assert body["archive_match"] is False
    assert body["license"] is None


def test_a_foreign_signature_is_untrusted_until_its_ca_is_imported_and_again_after_removal(world):
    pdf, ca_cert = foreign_signed_pdf()
    admin = admin_client(world)

    before = upload(pdf).json()
    imported = admin.post(
        f"{API}/trust",
        {
            "certificate": SimpleUploadedFile("jiangsu-ca.pem", ca_cert, content_type="application/x-pem-file"),
            "name": "江苏省电子印章制发中心",
            "region_name": "江苏省",
        },
    )
    during = upload(pdf).json()
    removed = admin.delete(f"{API}/trust/{imported.json()['id']}")
    after = upload(pdf).json()

    assert before["outcome"] == "untrusted"
    assert before["headline"] == "签名完好，但签发机构不在本平台信任列表中"
    assert (before["signed"], before["intact"], before["valid"], before["trusted"]) == (True, True, True, False)
    assert before["signer_subject"] == "徐州市市场监督管理局电子证照专用章（徐州市市场监督管理局）"
    assert before["seal"] is None and before["trust_text"] == ""
    assert imported.status_code == 201, imported.content
    assert during["outcome"] == "mutual"
    assert during["ok"] is True
    assert during["trust_text"] == "互认地区签发机构：江苏省电子印章制发中心（江苏省）"
    assert during["trusted_issuer"] == {"name": "江苏省电子印章制发中心", "region_name": "江苏省"}
    assert during["archive_match"] is False
    assert removed.status_code == 204
    assert TrustedIssuer.objects.get().removed_at is not None
    assert after["outcome"] == "untrusted"


def test_a_foreign_signature_after_tampering_fails_even_when_trusted(world):
    pdf, ca_cert = foreign_signed_pdf()
    services.trusted_issuer_add(actor=world.users["admin"], certificate=ca_cert, name="江苏省", region_name="江苏省")

    assert pdf_verify(pdf).outcome == PdfOutcome.MUTUAL
    assert pdf_verify(flip_in_content(pdf)).outcome == PdfOutcome.TAMPERED


def test_the_signing_seal_itself_in_the_trust_list_is_named(world):
    """An issuer may hand over its seal certificate rather than its CA: that entry vouches for the signer."""
    pdf, _ca = foreign_signed_pdf()
    signer_pem = pades.verify_pdf(pdf, trust_roots_pem=[]).signer_certificate_pem
    services.trusted_issuer_add(actor=world.users["admin"], certificate=_ca, name="江苏省根", region_name="江苏省")
    services.trusted_issuer_add(
        actor=world.users["admin"], certificate=signer_pem, name="徐州市市场监督管理局", region_name="江苏省徐州市"
    )

    check = pdf_verify(pdf)

    assert check.outcome == PdfOutcome.MUTUAL
    assert check.trust_text == "互认地区签发机构：徐州市市场监督管理局（江苏省徐州市）"


def test_garbage_an_unsigned_pdf_and_bad_uploads_get_clear_answers(settings, db):
    garbage = upload(b"this is not a pdf at all").json()
    unsigned = upload(plain_pdf()).json()
    empty = upload(b"")
    missing = Client().post(f"{API}/verify/pdf", {})
    settings.YIWANG_UPLOAD_MAX_BYTES = 1024
    too_large = upload(plain_pdf("x" * 2000) + b"%" * 2048)

    assert (garbage["outcome"], garbage["headline"]) == ("unreadable", "无法读取该文件，不是有效的PDF")
    assert garbage["ok"] is False and garbage["signed"] is False
    assert (unsigned["outcome"], unsigned["headline"]) == ("unsigned", "文件不含电子签名")
    assert empty.status_code == 422
    assert empty["Content-Type"] == PROBLEM
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"].endswith("file")
    assert too_large.status_code == 422
    problem = too_large.json()
    assert problem["detail"] == "文件大小超过上限1KB"
    assert problem["errors"] == [{"field": "body.file", "code": "validation_error", "message": "文件大小超过上限1KB"}]


def test_the_upload_page_refuses_a_missing_or_oversized_file(settings, db):
    client = Client()
    missing = client.post("/verify/", {})
    settings.YIWANG_UPLOAD_MAX_BYTES = 1024
    big = client.post("/verify/", {"file": SimpleUploadedFile("a.pdf", b"%PDF-" + b"0" * 4096)})
    garbage = client.post("/verify/", {"file": SimpleUploadedFile("a.pdf", b"not a pdf")})

    assert missing.status_code == 422 and "请选择要验证的电子证照PDF文件。" in missing.content.decode()
    assert big.status_code == 422 and "文件大小超过上限1KB" in big.content.decode()
    assert garbage.status_code == 200
    assert 'class="verdict pdf-unreadable"' in garbage.content.decode()
    assert "无法读取该文件，不是有效的PDF" in garbage.content.decode()


def test_uploads_are_limited_per_address(monkeypatch, db):
    monkeypatch.setitem(VERIFY_LIMITS, "pdf", 2)
    client = Client()

    statuses = [upload(b"x", client).status_code for _ in range(2)]
    page = client.post("/verify/", {"file": SimpleUploadedFile("a.pdf", b"x")})
    api = upload(b"x", client)

    assert statuses == [200, 200]
    assert page.status_code == 429 and "查询过于频繁" in page.content.decode()
    assert api.status_code == 429 and api.json()["code"] == "rate_limited"


# --- in Chromium: accessible, 360 px, 长辈模式 ------------------------------------------------------------


def outside_the_browser_loop(make: Any) -> Any:
    """Run ``make`` in another thread: Playwright's sync API keeps an event loop running in this one, and
    pyHanko signs through ``asyncio.run``, which refuses to start inside a running loop."""

    def run() -> Any:
        try:
            return make()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 360])
def test_the_verification_pages_pass_axe_and_fit_a_phone(live_server, browser, world, kind, width):  # noqa: F811
    licence = outside_the_browser_loop(
        lambda: issued_license(kind, world.dept_a_market, person=world.persons["owner"], face=FACE)
    )
    services.license_set_status(
        actor=world.users["approver_a"], license_id=licence.pk, status=LicenseStatus.SUSPENDED, reason="责令整改"
    )
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 800})
    context.add_init_script(script=AXE_SOURCE)
    page = context.new_page()
    failures: list[str] = []

    def audit(name: str) -> None:
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            failures.append(f"{name} scrolls sideways by {overflow}px at {width}px")
        violations = axe_violations(page)
        if violations:
            screenshot(page, f"axe-verify-{name}-{width}")
            failures.append(f"{name}: {violations}")

    try:
        for large in (False, True):
            mode = "large" if large else "normal"
            page.goto(live_server.url + "/verify/")
            if large:
                page.get_by_role("button", name="长辈模式（大字）").click()
                page.wait_for_load_state()
                assert page.evaluate("document.documentElement.classList.contains('large')")
            audit(f"home-{mode}")
            page.goto(f"{live_server.url}/verify/{licence.identifier}/")
            assert page.locator("h2#verdict-title").inner_text() == "已暂扣"
            audit(f"detail-{mode}")
            if width == 360:
                screenshot(page, f"verify-detail-{mode}-360")
            page.get_by_role("link", name="验证其他证照或上传PDF").click()
            page.get_by_role("textbox", name="电子证照标识").fill(wrong_check(licence.identifier))
            page.get_by_role("button", name="验证", exact=True).click()
            page.wait_for_load_state()
            assert page.locator("h2#verdict-title").inner_text() == "查无此证"
            audit(f"unknown-{mode}")
            page.get_by_label("PDF文件").set_input_files(
                {"name": "证照.pdf", "mimeType": "application/pdf", "buffer": blob_read(licence.pdf)}
            )
            page.get_by_role("button", name="上传并验证").click()
            page.wait_for_load_state()
            assert page.locator("h2#pdf-title").inner_text() == "签名有效：本平台电子印章"
            audit(f"pdf-{mode}")
            page.get_by_label("PDF文件").set_input_files(
                {"name": "坏.pdf", "mimeType": "application/pdf", "buffer": flip_in_content(blob_read(licence.pdf))}
            )
            page.get_by_role("button", name="上传并验证").click()
            page.wait_for_load_state()
            assert page.locator("h2#pdf-title").inner_text() == "验证失败：文件已被篡改或签名无效"
            audit(f"tampered-{mode}")
            if width == 360 and not large:
                screenshot(page, "verify-tampered-360")
    finally:
        context.close()
    assert not failures, "\n".join(failures)
