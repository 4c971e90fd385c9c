"""upload_create: one blob per content, type by content, size limit, safe names, audit without content."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile

from yiwang.audit.models import AuditEvent
from yiwang.core.errors import DomainError, ErrorCode
from yiwang.files.choices import FileType
from yiwang.files.models import StoredFile, Upload
from yiwang.files.selectors import BlobCorrupted, upload_get_for_user, upload_open, upload_read
from yiwang.files.services import clean_name, upload_create
from yiwang.testing.world import World

from .conftest import DOCX, EXE, JPEG, OFD, PDF, PNG, blobs_in


def _refusal(world: World, name: str, data: bytes) -> DomainError:
    with pytest.raises(DomainError) as caught:
        upload_create(actor=world.users["citizen_owner"], name=name, data=data)
    return caught.value


def test_same_content_uploaded_twice_is_stored_once(world: World, materials_dir: Path):
    owner, other = world.users["citizen_owner"], world.users["citizen_other"]

    first = upload_create(actor=owner, name="营业执照.pdf", data=PDF)
    second = upload_create(actor=other, name="副本.pdf", data=SimpleUploadedFile("x.pdf", PDF))

    sha = hashlib.sha256(PDF).hexdigest()
    assert first.pk != second.pk
    assert first.blob_id == second.blob_id
    assert StoredFile.objects.count() == 1
    assert Upload.objects.count() == 2
    assert blobs_in(materials_dir) == [materials_dir / sha[:2] / sha[2:4] / sha]
    assert (materials_dir / sha[:2] / sha[2:4] / sha).read_bytes() == PDF
    assert (first.name, second.name, second.uploader) == ("营业执照.pdf", "副本.pdf", other)


def test_stored_file_records_sniffed_type_size_and_hash(world: World):
    upload = upload_create(actor=world.users["citizen_owner"], name="照片.png", data=PNG)
    blob = StoredFile.objects.get()
    assert (blob.sha256, blob.size, blob.content_type) == (hashlib.sha256(PNG).hexdigest(), len(PNG), "image/png")
    assert upload.blob == blob


def test_blob_is_written_atomically_with_restricted_permissions(world: World, materials_dir: Path):
    upload_create(actor=world.users["citizen_owner"], name="a.jpg", data=JPEG)
    (blob,) = blobs_in(materials_dir)
    assert stat.S_IMODE(blob.stat().st_mode) == 0o640
    assert stat.S_IMODE(blob.parent.stat().st_mode) == 0o750
    assert not blob.name.startswith(".partial-")


@pytest.mark.parametrize(
    ("name", "data", "content_type", "stored_name"),
    [
        ("申请书.pdf", PDF, FileType.PDF, "申请书.pdf"),
        ("照片.JPEG", JPEG, FileType.JPEG, "照片.jpeg"),
        ("照片.jpg", JPEG, FileType.JPEG, "照片.jpg"),
        ("截图.png", PNG, FileType.PNG, "截图.png"),
        ("电子证照.ofd", OFD, FileType.OFD, "电子证照.ofd"),
        ("扫描件.pdf", PNG, FileType.PNG, "扫描件.png"),  # the extension follows the content
        ("扫描件", JPEG, FileType.JPEG, "扫描件.jpg"),
    ],
)
def test_accepted_types_are_recognised_by_content(world: World, name, data, content_type, stored_name):
    upload = upload_create(actor=world.users["citizen_owner"], name=name, data=data)
    assert (upload.blob.content_type, upload.name) == (content_type, stored_name)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("申请表.pdf", EXE),  # an executable renamed .pdf
        ("说明.pdf", b"<html><script>alert(1)</script></html>"),
        ("材料.docx", DOCX),  # a zip, but not an OFD package
        ("伪装.ofd", b"PK\x03\x04 not really a zip"),
        ("文本.txt", "仅文字".encode()),
    ],
)
def test_other_types_are_refused_and_nothing_is_stored(world: World, materials_dir: Path, name, data):
    error = _refusal(world, name, data)
    assert error.code == ErrorCode.VALIDATION
    assert error.message == "文件格式不支持：仅可上传 PDF、JPG、PNG、OFD 格式的文件（按文件内容判断，与文件名无关）"
    assert error.errors[0].field == "file"
    assert (StoredFile.objects.count(), Upload.objects.count(), blobs_in(materials_dir)) == (0, 0, [])
    assert not AuditEvent.objects.filter(action="file.upload").exists()


def test_empty_file_is_refused(world: World):
    error = _refusal(world, "空.pdf", b"")
    assert (error.code, error.message, error.errors[0].field) == (
        ErrorCode.VALIDATION,
        "文件是空的，请重新选择文件",
        "file",
    )


def test_default_limit_is_20_mib_and_named_in_the_message(world: World, settings):
    assert settings.YIWANG_UPLOAD_MAX_BYTES == 20 * 1024 * 1024
    too_big = SimpleUploadedFile("大.pdf", PDF + b"0" * (20 * 1024 * 1024 + 1 - len(PDF)))
    error = _refusal(world, "大.pdf", too_big)  # type: ignore[arg-type]
    assert error.message == "文件大小超过上限20MB"
    assert StoredFile.objects.count() == 0


def test_size_limit_counts_the_bytes_not_the_declared_size(world: World, settings, materials_dir: Path):
    settings.YIWANG_UPLOAD_MAX_BYTES = 1024
    exactly = PDF + b"0" * (1024 - len(PDF))
    assert upload_create(actor=world.users["citizen_owner"], name="ok.pdf", data=exactly).blob.size == 1024

    lying = SimpleUploadedFile("大.pdf", exactly + b"1")
    lying.size = 10  # a handler that under-reports: the streaming count still stops it
    error = _refusal(world, "大.pdf", lying)  # type: ignore[arg-type]
    assert error.message == "文件大小超过上限1KB"
    assert StoredFile.objects.count() == 1
    assert len(blobs_in(materials_dir)) == 1


def test_upload_spooled_to_a_temporary_file_is_streamed(world: World):
    spooled = TemporaryUploadedFile("大文件.pdf", "application/pdf", 0, None)
    body = PDF + b"%" * (3 * 1024 * 1024)  # bigger than FILE_UPLOAD_MAX_MEMORY_SIZE: Django keeps it on disk
    spooled.write(body)
    spooled.size = len(body)
    upload = upload_create(actor=world.users["citizen_owner"], name="大文件.pdf", data=spooled)
    spooled.close()
    assert upload.blob.sha256 == hashlib.sha256(body).hexdigest()
    assert upload_read(upload) == body


def test_anonymous_cannot_upload(db):
    with pytest.raises(DomainError) as caught:
        upload_create(actor=None, name="a.pdf", data=PDF)
    assert caught.value.code == ErrorCode.NOT_AUTHENTICATED
    assert StoredFile.objects.count() == 0


def test_upload_is_audited_without_its_content(world: World):
    owner = world.users["citizen_owner"]
    upload = upload_create(actor=owner, name="户口本.jpg", data=JPEG)
    event = AuditEvent.objects.get(action="file.upload")
    assert (event.actor_id, event.object_type, event.object_id) == (owner.pk, "files.upload", str(upload.pk))
    assert event.changes == {
        "name": [None, "户口本.jpg"],
        "sha256": [None, hashlib.sha256(JPEG).hexdigest()],
        "size": [None, len(JPEG)],
        "content_type": [None, "image/jpeg"],
    }


@pytest.mark.parametrize(
    ("given", "file_type", "expected"),
    [
        ("C:\\fakepath\\身份证.jpg", FileType.JPEG, "身份证.jpg"),
        ("../../etc/passwd", FileType.PDF, "passwd.pdf"),
        ("gpj\u202e.exe", FileType.JPEG, "gpj.jpg"),  # right-to-left override removed
        ("a\x00b\nc.pdf", FileType.PDF, "abc.pdf"),
        ('合同<1>:"终稿"?.pdf', FileType.PDF, "合同_1___终稿__.pdf"),
        ("  .hidden.pdf ", FileType.PDF, "hidden.pdf"),
        ("第1.2版 说明", FileType.PDF, "第1.2版 说明.pdf"),
        ("", FileType.PNG, "文件.png"),
        ("...", FileType.OFD, "文件.ofd"),
        ("长" * 300 + ".pdf", FileType.PDF, "长" * 196 + ".pdf"),
    ],
)
def test_names_are_cleaned(given: str, file_type: FileType, expected: str):
    assert clean_name(given, file_type) == expected


def test_owner_reads_the_bytes_others_get_not_found(world: World):
    upload = upload_create(actor=world.users["citizen_owner"], name="a.png", data=PNG)
    found = upload_get_for_user(user=world.users["citizen_owner"], upload_id=upload.pk)
    with upload_open(found) as handle:
        assert handle.read() == PNG
    assert upload_read(found) == PNG
    for user in (world.users["citizen_other"], world.users["clerk_a"], None):
        with pytest.raises(DomainError) as caught:
            upload_get_for_user(user=user, upload_id=upload.pk)
        assert (caught.value.code, caught.value.message) == (ErrorCode.NOT_FOUND, "文件不存在或您无权查看")
    with pytest.raises(DomainError):
        upload_get_for_user(user=world.users["citizen_owner"], upload_id=2**63)


def test_read_detects_a_blob_changed_behind_the_platforms_back(world: World, materials_dir: Path):
    upload = upload_create(actor=world.users["citizen_owner"], name="a.pdf", data=PDF)
    (blob,) = blobs_in(materials_dir)
    blob.write_bytes(PDF.replace(b"1.7", b"1.4"))
    with pytest.raises(BlobCorrupted):
        upload_read(upload)


def test_a_lost_blob_is_written_again_by_the_next_upload_of_the_same_content(world: World, materials_dir: Path):
    upload_create(actor=world.users["citizen_owner"], name="a.pdf", data=PDF)
    (blob,) = blobs_in(materials_dir)
    blob.unlink()
    again = upload_create(actor=world.users["citizen_other"], name="b.pdf", data=PDF)
    assert upload_read(again) == PDF
    assert StoredFile.objects.count() == 1
