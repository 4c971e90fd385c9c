"""The files endpoints and the download page under the role matrix: only the uploader reads an upload."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from yiwang.accounts.services import api_token_create
from yiwang.files.models import StoredFile, Upload
from yiwang.files.services import upload_create
from yiwang.testing.roles import RoleMatrix
from yiwang.testing.world import PASSWORD, World

from .conftest import EXE, PDF, PNG

API = "/api/v1/files"
PROBLEM = "application/problem+json"


def _counts() -> tuple[int, int]:
    return StoredFile.objects.count(), Upload.objects.count()


def test_upload_returns_201_with_the_metadata(world: World):
    client = Client()
    client.force_login(world.users["citizen_owner"])

    response = client.post(API, {"file": SimpleUploadedFile("营业执照.pdf", PDF, content_type="application/pdf")})

    assert response.status_code == 201, response.content
    upload = Upload.objects.get()
    body = response.json()
    created = dt.datetime.fromisoformat(body.pop("created_at"))
    assert body == {
        "id": upload.pk,
        "name": "营业执照.pdf",
        "size": len(PDF),
        "content_type": "application/pdf",
        "sha256": hashlib.sha256(PDF).hexdigest(),
    }
    assert created == upload.created_at.replace(microsecond=upload.created_at.microsecond // 1000 * 1000)
    assert upload.uploader == world.users["citizen_owner"]


def test_upload_role_matrix(world: World, person_matrix: RoleMatrix):
    person_matrix.check(
        lambda c: c.post(API, {"file": SimpleUploadedFile("a.png", PNG)}),
        {
            "owner": 201,
            "same_department": 201,  # staff upload materials at the window (for an applicant's case)
            "other_department": 201,
            "other_region": 201,
            "citizen": 201,
            "anonymous": 401,
        },
        side_effect=_counts,
    )
    assert _counts() == (1, 5)  # five uploads, one blob


def test_upload_by_bearer_token(world: World):
    _token, plaintext = api_token_create(actor=None, user=world.users["clerk_a"], name="部门系统")
    response = Client().post(
        API, {"file": SimpleUploadedFile("a.pdf", PDF)}, headers={"authorization": f"Bearer {plaintext}"}
    )
    assert response.status_code == 201
    assert Upload.objects.get().uploader == world.users["clerk_a"]


def test_refused_type_is_a_problem_with_the_field_and_stores_nothing(world: World):
    client = Client()
    client.force_login(world.users["citizen_owner"])

    response = client.post(API, {"file": SimpleUploadedFile("申请表.pdf", EXE, content_type="application/pdf")})

    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["detail"] == "文件格式不支持：仅可上传 PDF、JPG、PNG、OFD 格式的文件（按文件内容判断，与文件名无关）"
    assert body["errors"] == [{"field": "body.file", "code": "validation_error", "message": body["detail"]}]
    assert _counts() == (0, 0)


def test_too_large_is_a_problem_naming_the_limit(world: World, settings):
    settings.YIWANG_UPLOAD_MAX_BYTES = 20 * 1024 * 1024
    client = Client()
    client.force_login(world.users["citizen_owner"])
    big = PDF + b"0" * (20 * 1024 * 1024 + 1 - len(PDF))

    response = client.post(API, {"file": SimpleUploadedFile("大.pdf", big)})

    assert response.status_code == 422
    assert response.json()["detail"] == "文件大小超过上限20MB"
    assert _counts() == (0, 0)


def test_missing_file_field_is_a_validation_problem(world: World):
    client = Client()
    client.force_login(world.users["citizen_owner"])
    response = client.post(API, {"other": "x"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].endswith("file")


def test_metadata_role_matrix(world: World, person_matrix: RoleMatrix):
    upload = upload_create(actor=world.users["citizen_owner"], name="户口本.png", data=PNG)
    responses = person_matrix.check(
        lambda c: c.get(f"{API}/{upload.pk}"),
        {
            "owner": 200,
            "same_department": 404,
            "other_department": 404,
            "other_region": 404,
            "citizen": 404,
            "anonymous": 401,
        },
    )
    assert responses["owner"].json()["name"] == "户口本.png"
    assert responses["citizen"]["Content-Type"] == PROBLEM
    assert responses["citizen"].json()["detail"] == "文件不存在或您无权查看"


def test_content_role_matrix(world: World, person_matrix: RoleMatrix):
    upload = upload_create(actor=world.users["citizen_owner"], name="户口本.png", data=PNG)
    responses = person_matrix.check(
        lambda c: c.get(f"{API}/{upload.pk}/content"),
        {
            "owner": 200,
            "same_department": 404,
            "other_department": 404,
            "other_region": 404,
            "citizen": 404,
            "anonymous": 401,
        },
    )
    owner = responses["owner"]
    assert b"".join(owner.streaming_content) == PNG
    assert owner["Content-Type"] == "image/png"
    assert owner["Content-Length"] == str(len(PNG))
    assert owner["Content-Disposition"] == "attachment; filename*=utf-8''%E6%88%B7%E5%8F%A3%E6%9C%AC.png"
    assert owner["Cache-Control"] == "private, no-store"
    assert owner["X-Content-Type-Options"] == "nosniff"


def test_unknown_id_is_not_found(world: World):
    client = Client()
    client.force_login(world.users["citizen_owner"])
    assert client.get(f"{API}/999999").status_code == 404
    assert client.get(f"{API}/{2**63 + 5}/content").status_code == 404


def test_download_page_role_matrix(world: World, person_matrix: RoleMatrix):
    upload = upload_create(actor=world.users["citizen_owner"], name="身份证.pdf", data=PDF)
    url = reverse("files:content", args=[upload.pk])
    assert url == f"/files/{upload.pk}/"
    responses = person_matrix.check(
        lambda c: c.get(url),
        {
            "owner": 200,
            "same_department": 404,
            "other_department": 404,
            "other_region": 404,
            "citizen": 404,
            "anonymous": 302,
        },
    )
    assert b"".join(responses["owner"].streaming_content) == PDF
    assert responses["owner"]["Content-Disposition"].startswith("attachment; ")
    assert "文件不存在或您无权查看" in responses["citizen"].content.decode()
    assert responses["anonymous"]["Location"].startswith(reverse("accounts:login"))


def test_citizen_signs_in_and_downloads_from_the_page(world: World):
    upload = upload_create(actor=world.users["citizen_owner"], name="a.png", data=PNG)
    client = Client()
    signed_in = client.post(reverse("accounts:login"), {"username": "citizen_owner", "password": PASSWORD})
    assert signed_in.status_code == 302

    response = client.get(reverse("files:content", args=[upload.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG


def test_page_refuses_post(world: World):
    upload = upload_create(actor=world.users["citizen_owner"], name="a.png", data=PNG)
    client = Client()
    client.force_login(world.users["citizen_owner"])
    assert client.post(reverse("files:content", args=[upload.pk])).status_code == 405
