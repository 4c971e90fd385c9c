"""Reads of the files app: an upload for its owner, a blob's bytes, and the storage check.

Access: an upload is its uploader's. Apps that attach uploads to their own records (cases) decide who
else may read them and then call :func:`upload_open` / :func:`upload_read` themselves.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import File
from django.core.files.storage import storages

from yiwang.core.errors import not_found
from yiwang.files.models import STORAGE, StoredFile, Upload

MAX_ID = 2**63  # larger numbers overflow the database's integer columns
CHUNK_BYTES = 64 * 1024


class BlobCorrupted(RuntimeError):
    """A blob's bytes no longer hash to its name: the storage was changed behind the platform's back."""


def upload_get_for_user(*, user: Any, upload_id: int) -> Upload:
    """The upload if ``user`` uploaded it; otherwise the same "不存在或您无权查看" as for a missing one."""
    if user is None or not getattr(user, "is_authenticated", False) or not 0 < upload_id < MAX_ID:
        raise not_found("文件")
    upload = Upload.objects.select_related("blob").filter(pk=upload_id, uploader_id=user.pk).first()
    if upload is None:
        raise not_found("文件")
    return upload


def upload_open(upload: Upload) -> File:
    """The stored bytes as an open binary file (the caller closes it, or hands it to ``FileResponse``)."""
    return storages[STORAGE].open(upload.blob.path, "rb")


def upload_read(upload: Upload) -> bytes:
    """All the bytes, checked against the SHA-256 they were stored under (``BlobCorrupted`` if not): for
    code that feeds them into a decision or a signature. Bounded by ``YIWANG_UPLOAD_MAX_BYTES``."""
    return blob_read(upload.blob)


def blob_read(blob: StoredFile) -> bytes:
    """All the bytes of a stored blob, checked against its SHA-256 (``BlobCorrupted`` if they differ)."""
    with storages[STORAGE].open(blob.path, "rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != blob.sha256:
        raise BlobCorrupted(f"文件 {blob.sha256} 的内容与其哈希值不符")
    return data


@dataclass
class StorageReport:
    """Result of :func:`stored_files_verify`."""

    checked: int = 0
    missing: list[str] = field(default_factory=list)  # sha256 of rows whose blob is gone
    corrupted: list[str] = field(default_factory=list)  # sha256 of blobs whose bytes hash differently

    @property
    def ok(self) -> bool:
        return not self.missing and not self.corrupted

    def describe(self) -> str:
        lines = [f"已检查 {self.checked} 个文件：缺失 {len(self.missing)} 个，内容不符 {len(self.corrupted)} 个"]
        lines += [f"缺失 {sha}" for sha in self.missing]
        lines += [f"内容不符 {sha}" for sha in self.corrupted]
        return "\n".join(lines)


def _blob_digest(path: str) -> tuple[str, int] | None:
    storage = storages[STORAGE]
    try:
        blob = storage.open(path, "rb")
    except FileNotFoundError:
        return None
    digest = hashlib.sha256()
    size = 0
    with blob:
        for chunk in blob.chunks(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def stored_files_verify() -> StorageReport:
    """Read every blob back and compare it with its row (name = SHA-256, size): ``yiwang files check``."""
    report = StorageReport()
    for sha256, size in StoredFile.objects.order_by("pk").values_list("sha256", "size").iterator(chunk_size=500):
        report.checked += 1
        found = _blob_digest(StoredFile(sha256=sha256).path)
        if found is None:
            report.missing.append(sha256)
        elif found != (sha256, size):
            report.corrupted.append(sha256)
    return report
