"""Files API: upload a material, read its metadata and its bytes (owner only). Pages use the same
service, selector and response (``views.py``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile

from yiwang.files import selectors, services
from yiwang.files.responses import upload_content_response

router = Router(tags=["文件存储"])


class FileUploadOut(Schema):
    id: int
    name: str = Field(..., description="文件名（已清理，扩展名与文件内容一致）")
    size: int = Field(..., alias="blob.size", description="字节数")
    content_type: str = Field(..., alias="blob.content_type", description="按文件内容识别的类型")
    sha256: str = Field(..., alias="blob.sha256", description="内容的 SHA-256（十六进制）")
    created_at: dt.datetime


@router.post(
    "",
    response={201: FileUploadOut},
    summary="上传材料文件（PDF、JPG、PNG、OFD，默认不超过20MB）",
    description="multipart/form-data，字段名 file。文件类型按内容识别；相同内容只存储一份。",
)
def upload_create(request: HttpRequest, file: File[UploadedFile]) -> Status:
    upload = services.upload_create(actor=request.user, name=file.name or "", data=file)
    return Status(201, upload)


@router.get("/{upload_id}", response=FileUploadOut, summary="文件信息（仅上传人）")
def upload_detail(request: HttpRequest, upload_id: int) -> Any:
    return selectors.upload_get_for_user(user=request.user, upload_id=upload_id)


@router.get(
    "/{upload_id}/content",
    summary="下载文件内容（仅上传人）",
    openapi_extra={
        "responses": {
            200: {
                "description": "文件内容（Content-Disposition: attachment）",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def upload_content(request: HttpRequest, upload_id: int) -> Any:
    return upload_content_response(selectors.upload_get_for_user(user=request.user, upload_id=upload_id))
