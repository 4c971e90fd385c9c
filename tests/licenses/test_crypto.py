"""The crypto and rendering layer of 电子证照: seal keys, SM2, the seal image, the licence face, PAdES signing
and verification — checked with pyHanko and independently with poppler's ``pdfsig`` (NSS), as a citizen's PDF
reader would. No database."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from yiwang.licenses import keys, pades
from yiwang.licenses.face import render_face
from yiwang.licenses.nss import nss_db_with, pdfsig_report
from yiwang.licenses.seal_image import seal_geometry, seal_svg
from yiwang.licenses.sm2 import sm2_keypair_create, sm2_sign, sm2_verify
from yiwang.testing.components import require_executable

AUTHORITY = "一网通办电子印章制发中心"
ORGANISATION = "临沂市兰山区行政审批服务局"
ORGANISATION_CODE = "11371302MB2856391X"
IDENTIFIER = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U"
VERIFY_URL = f"https://yiwang.example.gov.cn/licenses/verify/{IDENTIFIER}"
NOW = dt.datetime.now(dt.UTC)


def _face(**overrides) -> bytes:
    fields = {
        "title": "食品经营许可证",
        "fields": [
            ("经营者名称", "临沂市兰山区张三餐饮服务有限公司"),
            ("统一社会信用代码", "91110000MA01ABCD52"),
            ("法定代表人（负责人）", "张三"),
            ("经营场所", "山东省临沂市兰山区北京路18号1号楼101室"),
            ("经营项目", "热食类食品制售；冷食类食品制售；糕点类食品（含裱花蛋糕）制售；自制饮品制售"),
        ],
        "identifier": IDENTIFIER,
        "issuer_name": ORGANISATION,
        "issued_on": dt.date(2026, 3, 5),
        "validity_text": "2026年3月5日至2031年3月4日",
        "verify_url": VERIFY_URL,
        "seal_organisation": ORGANISATION,
    }
    return render_face(**{**fields, **overrides})


@pytest.fixture(scope="module")
def authority() -> tuple[bytes, bytes]:
    return keys.authority_create(AUTHORITY)


@pytest.fixture(scope="module")
def seal(authority) -> keys.SealKeys:
    key_pem, cert_pem = authority
    return keys.seal_keys_create(
        authority_key_pem=key_pem,
        authority_cert_pem=cert_pem,
        organisation_name=ORGANISATION,
        organisation_code=ORGANISATION_CODE,
        seal_name="电子证照专用章",
        valid_from=NOW - dt.timedelta(days=1),
        valid_until=NOW + dt.timedelta(days=5 * 365),
    )


@pytest.fixture(scope="module")
def face() -> bytes:
    return _face()


@pytest.fixture(scope="module")
def signed(authority, seal, face) -> bytes:
    signer = pades.signer_for(seal.ecdsa_key_pem, seal.certificate_pem, [authority[1]])
    return pades.sign_pdf(face, signer)


@pytest.fixture(scope="module")
def tampered(signed) -> bytes:
    """One byte flipped inside the first signed range: in the page's (compressed) content stream."""
    data = bytearray(signed)
    position = data.index(b"stream\r\n" if b"stream\r\n" in data else b"stream\n", 1000) + 200
    signed_ranges = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)", signed)
    assert signed_ranges is not None
    assert int(signed_ranges[1]) <= position < int(signed_ranges[1]) + int(signed_ranges[2])
    data[position] ^= 0x01
    return bytes(data)


def _write(tmp_path: Path, data: bytes, name: str = "licence.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _text(tmp_path: Path, data: bytes) -> str:
    pdftotext = require_executable("pdftotext", "poppler-utils")
    result = subprocess.run([pdftotext, "-enc", "UTF-8", str(_write(tmp_path, data)), "-"], capture_output=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.decode("utf-8")


def _flat(text: str) -> str:
    return "".join(text.split())


# ---------------------------------------------------------------- keys


def test_authority_is_a_ca_that_may_sign_seal_certificates_only(authority):
    key_pem, cert_pem = authority
    certificate = x509.load_pem_x509_certificate(cert_pem)
    constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value

    assert key_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert (constraints.critical, constraints.value.ca, constraints.value.path_length) == (True, True, 0)
    assert (usage.key_cert_sign, usage.crl_sign, usage.digital_signature) == (True, True, False)
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == AUTHORITY
    assert certificate.subject == certificate.issuer
    assert certificate.not_valid_after_utc.year - certificate.not_valid_before_utc.year == 20


def test_seal_certificate_names_the_organisation_and_is_signed_by_the_authority(authority, seal):
    certificate = x509.load_pem_x509_certificate(seal.certificate_pem)
    root = x509.load_pem_x509_certificate(authority[1])
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    aki = certificate.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value

    certificate.verify_directly_issued_by(root)  # raises if the signature or the issuer name is wrong
    assert aki.key_identifier == ski.digest
    assert (usage.digital_signature, usage.content_commitment, usage.key_cert_sign) == (True, True, False)
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    summary = keys.certificate_summary(seal.certificate_pem)
    assert (summary["subject_cn"], summary["subject_o"], summary["subject_ou"]) == (
        "电子证照专用章",
        ORGANISATION,
        ORGANISATION_CODE,
    )
    assert summary["issuer_cn"] == AUTHORITY
    assert summary["not_before"] == (NOW - dt.timedelta(days=1)).replace(microsecond=0)
    assert summary["not_after"] == (NOW + dt.timedelta(days=5 * 365)).replace(microsecond=0)
    assert summary["fingerprint"] == seal.certificate_fingerprint == keys.certificate_fingerprint(seal.certificate_pem)
    assert summary["serial"] == format(certificate.serial_number, "x")


def test_certificate_summary_reads_der_too_and_refuses_what_is_not_a_certificate(seal):
    der = x509.load_pem_x509_certificate(seal.certificate_pem).public_bytes(serialization.Encoding.DER)
    assert keys.certificate_fingerprint(der) == seal.certificate_fingerprint
    for junk in (b"", b"hello", seal.ecdsa_key_pem, b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"):
        with pytest.raises(ValueError, match="证书"):
            keys.certificate_summary(junk)


def test_seal_validity_must_be_an_ordered_window_inside_the_authority(authority):
    common = {
        "authority_key_pem": authority[0],
        "authority_cert_pem": authority[1],
        "organisation_name": ORGANISATION,
        "organisation_code": ORGANISATION_CODE,
        "seal_name": "电子证照专用章",
    }
    with pytest.raises(ValueError, match="晚于"):
        keys.seal_keys_create(**common, valid_from=NOW, valid_until=NOW - dt.timedelta(days=1))
    with pytest.raises(ValueError, match="制发机构"):
        keys.seal_keys_create(**common, valid_from=NOW, valid_until=NOW + dt.timedelta(days=30 * 365))
    other_key, _other_cert = keys.authority_create("另一个机构")
    with pytest.raises(ValueError, match="不匹配"):
        keys.seal_keys_create(
            **{**common, "authority_key_pem": other_key}, valid_from=NOW, valid_until=NOW + dt.timedelta(days=1)
        )


# ---------------------------------------------------------------- SM2


def test_sm2_signature_round_trips_and_rejects_another_message_or_key(seal):
    message = '{"identifier":"' + IDENTIFIER + '","holder":"张三"}'
    signature = sm2_sign(seal.sm2_key_pem, message.encode())
    _other_private, other_public = sm2_keypair_create()

    assert signature[0] == 0x30  # DER SEQUENCE { r, s }
    assert sm2_verify(seal.sm2_public_pem, message.encode(), signature) is True
    assert sm2_verify(seal.sm2_public_pem, message.replace("张三", "李四").encode(), signature) is False
    assert sm2_verify(other_public, message.encode(), signature) is False
    assert sm2_verify(seal.sm2_public_pem, message.encode(), b"\x30\x03garbage") is False
    assert sm2_verify(b"not a key", message.encode(), signature) is False
    # SM2 signatures are randomised: two signatures of the same message differ and both verify.
    again = sm2_sign(seal.sm2_key_pem, message.encode())
    assert again != signature
    assert sm2_verify(seal.sm2_public_pem, message.encode(), again) is True


def test_sm2_refuses_a_p256_key_as_a_signing_key(seal):
    with pytest.raises(ValueError, match="SM2"):
        sm2_sign(seal.ecdsa_key_pem, b"data")


# ---------------------------------------------------------------- seal image


def test_seal_svg_is_well_formed_accessible_and_self_contained():
    svg = seal_svg(ORGANISATION)
    root = ET.fromstring(svg)  # noqa: S314 — our own output
    texts = "".join(element.text or "" for element in root.iter("{http://www.w3.org/2000/svg}text"))

    assert root.get("role") == "img"
    assert ORGANISATION in root.get("aria-label", "")
    assert all(char in texts for char in ORGANISATION)
    assert "电子证照专用章" in texts
    assert "href" not in svg
    assert "url(" not in svg


def test_seal_svg_escapes_the_organisation_name():
    svg = seal_svg('<script>"&"</script>局')
    root = ET.fromstring(svg)  # noqa: S314 — our own output; raises on unescaped markup
    assert "<script>" not in svg
    assert root.find("{http://www.w3.org/2000/svg}g") is not None


@pytest.mark.parametrize("length", [2, 3, 5, 8, 13, 20, 26, 30])
def test_names_of_2_to_30_characters_fit_inside_the_ring_without_touching(length):
    geometry = seal_geometry("临沂市兰山区行政审批服务局电子证照管理中心测试单位名称很长很长很长"[:length])
    inner_edge = geometry.ring_radius - geometry.ring_width / 2
    label = geometry.label
    assert label is not None
    assert len(geometry.name) == length
    for glyph in geometry.name:
        # The glyph's box (half its height, half its compressed width) stays inside the ring.
        reach = (glyph.x**2 + glyph.y**2) ** 0.5 + glyph.size / 2
        assert reach <= inner_edge
        # … and above the label under the star.
        if abs(glyph.x) < label.size * len(label.text) * label.x_scale / 2 + glyph.size / 2:
            assert glyph.y - glyph.size / 2 > label.y + label.size / 2
    for left, right in zip(geometry.name, geometry.name[1:], strict=False):
        distance = ((left.x - right.x) ** 2 + (left.y - right.y) ** 2) ** 0.5
        assert distance >= left.size * left.x_scale * 0.95  # neighbours do not overlap
    assert geometry.name[0].x < 0 < geometry.name[-1].x  # reads left to right over the top
    assert max(abs(glyph.angle) for glyph in geometry.name) <= 120


# ---------------------------------------------------------------- face


def test_face_text_is_extractable_chinese(face, tmp_path):
    text = _flat(_text(tmp_path, face))

    assert "食品经营许可证" in text
    assert "临沂市兰山区张三餐饮服务有限公司" in text
    assert IDENTIFIER in text
    assert "扫码验证" in text
    assert ORGANISATION in text
    assert "2026年3月5日" in text
    assert "有效期限" in text


def test_face_prints_markup_in_data_as_text(tmp_path):
    pdf = _face(fields=[("经营者名称", "<b>粗体</b> & <font color=red>红</font>")], holder_line="持证主体：<i>张三</i>")
    text = _text(tmp_path, pdf)

    assert "<b>粗体</b> & <font color=red>红</font>" in text
    assert "持证主体：<i>张三</i>" in text


def test_face_is_one_a4_landscape_page(face, tmp_path):
    pdfinfo = require_executable("pdfinfo", "poppler-utils")
    info = subprocess.run([pdfinfo, str(_write(tmp_path, face))], capture_output=True, check=True).stdout.decode()
    assert re.search(r"^Pages:\s+1$", info, re.M)
    assert "841.89 x 595.276 pts (A4)" in info


def test_face_with_many_rows_shrinks_and_an_impossible_one_is_refused(tmp_path):
    rows = [(f"项目{n}", "热食类食品制售；冷食类食品制售") for n in range(18)]
    text = _flat(_text(tmp_path, _face(fields=rows)))
    assert "项目17" in text
    with pytest.raises(ValueError, match="无法在一页内排版"):
        _face(fields=[(f"项目{n}", "长" * 200) for n in range(40)])


def test_face_contains_a_qr_code_path_and_no_raster_image(face, tmp_path):
    pdfimages = require_executable("pdfimages", "poppler-utils")
    listing = subprocess.run([pdfimages, "-list", str(_write(tmp_path, face))], capture_output=True, check=True)
    assert len(listing.stdout.decode().splitlines()) == 2  # header lines only: the QR code is vectors


# ---------------------------------------------------------------- PAdES with pyHanko


def test_signed_face_verifies_as_trusted_against_our_authority(signed, authority, seal):
    result = pades.verify_pdf(signed, trust_roots_pem=[authority[1]])

    assert (result.signed, result.intact, result.valid, result.trusted, result.problem) == (True, True, True, True, "")
    assert result.ok
    assert result.signer_fingerprint == seal.certificate_fingerprint
    assert result.signer_subject == f"电子证照专用章（{ORGANISATION}）"
    assert keys.certificate_fingerprint(result.signer_certificate_pem) == seal.certificate_fingerprint
    assert result.signing_time is not None
    assert abs(result.signing_time - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=10)
    assert result.signature_count == 1


def test_signed_face_keeps_the_face_bytes_and_is_pades(signed, face):
    assert signed.startswith(face)  # an incremental update: the rendered face is untouched
    assert b"/ETSI.CAdES.detached" in signed


def test_without_trust_roots_the_signature_is_valid_but_not_trusted(signed):
    result = pades.verify_pdf(signed, trust_roots_pem=[])

    assert (result.signed, result.intact, result.valid, result.trusted) == (True, True, True, False)
    assert result.problem == "签名证书不在信任列表中"


def test_an_impostor_authority_with_the_same_name_is_not_trusted(signed):
    _key, impostor = keys.authority_create(AUTHORITY)
    result = pades.verify_pdf(signed, trust_roots_pem=[impostor])
    assert (result.valid, result.trusted, result.problem) == (True, False, "签名证书不在信任列表中")


def test_after_the_seal_expires_the_signature_is_no_longer_trusted(signed, authority):
    result = pades.verify_pdf(signed, trust_roots_pem=[authority[1]], validation_time=NOW + dt.timedelta(days=6 * 365))
    assert (result.valid, result.trusted, result.problem) == (True, False, "签名证书不在有效期内")


def test_one_flipped_byte_breaks_the_signature(tampered, authority):
    result = pades.verify_pdf(tampered, trust_roots_pem=[authority[1]])

    assert result.signed is True
    assert result.intact is False
    assert result.trusted is False
    assert result.problem == "签名后文件被修改"


def test_content_added_after_signing_is_a_modification(signed, authority):
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    cover = writer.add_object(generic.StreamObject(stream_data=b"q 1 1 1 rg 72 300 520 120 re f Q"))
    writer.add_stream_to_page(0, cover)
    output = io.BytesIO()
    writer.write(output)

    result = pades.verify_pdf(output.getvalue(), trust_roots_pem=[authority[1]])
    assert (result.intact, result.valid, result.trusted, result.problem) == (False, True, False, "签名后文件被修改")


def test_a_second_seal_after_the_first_is_not_a_modification(signed, authority, seal):
    signer = pades.signer_for(seal.ecdsa_key_pem, seal.certificate_pem, [authority[1]])
    twice = pades.sign_pdf(signed, signer, field_name="Seal2", reason="副本签章")

    result = pades.verify_pdf(twice, trust_roots_pem=[authority[1]])
    assert (result.intact, result.valid, result.trusted, result.problem) == (True, True, True, "")
    assert result.signature_count == 2


def test_garbage_and_unsigned_files_get_an_answer_not_an_exception(face, signed, authority):
    for junk in (b"", b"hello", b"%PDF-1.7\n garbage", signed[: len(signed) // 2]):
        result = pades.verify_pdf(junk, trust_roots_pem=[authority[1]])
        assert result.signed is False or result.problem
        assert not result.ok
    assert pades.verify_pdf(b"hello", trust_roots_pem=[]).problem == "无法读取该文件，不是有效的PDF"
    unsigned = pades.verify_pdf(face, trust_roots_pem=[authority[1]])
    assert (unsigned.signed, unsigned.problem) == (False, "文件不含电子签名")
    broken_root = pades.verify_pdf(signed, trust_roots_pem=[b"not a certificate", authority[1]])
    assert broken_root.trusted is True  # an unreadable trust list entry is skipped, not fatal


def test_a_signature_naming_sm2_is_reported_as_unsupported_not_as_forged(signed, authority):
    """Some vendors' PDF seals use SM2withSM3, which pyHanko cannot check: say so rather than "签名无效"."""
    ecdsa_with_sha256 = b"06082A8648CE3D040302"  # DER of OID 1.2.840.10045.4.3.2, as hex in /Contents
    sm2_with_sm3 = b"06082A811CCF55018375"  # DER of OID 1.2.156.10197.1.501, same length
    assert ecdsa_with_sha256 in signed
    result = pades.verify_pdf(signed.replace(ecdsa_with_sha256, sm2_with_sm3), trust_roots_pem=[authority[1]])
    assert (result.signed, result.valid, result.trusted) == (True, False, False)
    assert result.problem == "签名使用国密（SM2/SM3）算法，本服务暂不能校验此类PDF签名"


def test_signer_is_built_once_and_refuses_a_key_of_another_certificate(authority, seal):
    first = pades.signer_for(seal.ecdsa_key_pem, seal.certificate_pem, [authority[1]])
    assert pades.signer_for(seal.ecdsa_key_pem, seal.certificate_pem, [authority[1]]) is first
    with pytest.raises(ValueError, match="不匹配"):
        pades.SealSigner(authority[0], seal.certificate_pem, [authority[1]])


# ---------------------------------------------------------------- pdfsig (poppler + NSS), independently


@pytest.fixture(scope="module")
def nss_tools() -> None:
    require_executable("pdfsig", "poppler-utils")
    require_executable("certutil", "libnss3-tools")


def test_pdfsig_finds_the_signature_valid_and_the_issuer_unknown_without_an_nss_db(nss_tools, signed, tmp_path):
    report = pdfsig_report(_write(tmp_path, signed), nssdir=nss_db_with([], tmp_path / "empty-nss"))

    assert report["exit_code"] == 0
    assert report["signature"] == "Signature is Valid."
    assert report["certificate"] == "Certificate issuer isn't Trusted."
    assert report["total_document_signed"] is True
    assert report["type"] == "ETSI.CAdES.detached"
    assert report["signer"] == "电子证照专用章"


def test_pdfsig_with_the_default_nss_db_does_not_trust_our_authority(nss_tools, signed, tmp_path):
    report = pdfsig_report(_write(tmp_path, signed))
    assert (report["signature"], report["certificate"]) == ("Signature is Valid.", "Certificate issuer isn't Trusted.")


def test_pdfsig_trusts_the_seal_once_our_authority_is_in_the_nss_db(nss_tools, signed, authority, tmp_path):
    nssdir = nss_db_with([authority[1]], tmp_path / "nss")
    report = pdfsig_report(_write(tmp_path, signed), nssdir=nssdir)

    assert report["signature"] == "Signature is Valid."
    assert report["certificate"] == "Certificate is Trusted."


def test_pdfsig_reports_a_digest_mismatch_for_one_flipped_byte(nss_tools, tampered, authority, tmp_path):
    nssdir = nss_db_with([authority[1]], tmp_path / "nss")
    report = pdfsig_report(_write(tmp_path, tampered), nssdir=nssdir)

    assert report["exit_code"] == 0  # pdfsig's exit code says nothing about validity
    assert report["signature"] == "Digest Mismatch."


def test_pdfsig_on_an_unsigned_face_exits_2(nss_tools, face, tmp_path):
    report = pdfsig_report(_write(tmp_path, face))
    assert (report["signed"], report["exit_code"], report["signature"]) == (False, 2, "")
