"""Models of the files app: content-addressed blobs and the uploads that point at them.

A blob is stored once per content: ``StoredFile`` is keyed by the SHA-256 of the bytes, and the bytes live
in the ``materials`` storage at ``ab/cd/<sha256>`` (:func:`blob_path`). Neither the row nor the blob is ever
updated; an ``Upload`` is one user's act of handing in a file, under the name they gave it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from yiwang.files.choices import FileType

STORAGE = "materials"  # the settings.STORAGES key of the blobs


def blob_path(sha256: str) -> str:
    """Where the bytes of a blob live in the storage: two levels of 256 folders keep directories small."""
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


class StoredFile(models.Model):
    """One stored content (blob), whoever uploaded it and however often: the same bytes are kept once.

    The blob is written to the storage *before* this row is committed, so a row always has its bytes
    (``yiwang files check`` verifies that every blob is there and still hashes to its name)."""

    sha256 = models.CharField("SHA-256", max_length=64, unique=True)  # lower-case hex, the blob's name
    size = models.PositiveBigIntegerField("大小（字节）")
    content_type = models.CharField("文件类型", max_length=100, choices=FileType.choices)  # sniffed, not claimed
    created_at = models.DateTimeField("首次存储时间", default=timezone.now)

    class Meta:
        verbose_name = "存储文件"
        verbose_name_plural = verbose_name
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="stored_file_not_empty"),
        ]

    def __str__(self) -> str:
        return self.sha256

    @property
    def path(self) -> str:
        return blob_path(self.sha256)


class Upload(models.Model):
    """One file handed in by one user: the blob, the (sanitised) name it came with, who and when.

    Only the uploader sees it through this app (``selectors.upload_get_for_user``); apps that attach
    uploads to their records (cases) check access to those records themselves."""

    blob = models.ForeignKey(StoredFile, verbose_name="文件内容", on_delete=models.PROTECT, related_name="uploads")
    name = models.CharField("文件名", max_length=200)
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="uploads"
    )
    created_at = models.DateTimeField("上传时间", default=timezone.now)

    class Meta:
        verbose_name = "上传文件"
        verbose_name_plural = verbose_name
        indexes = [models.Index(fields=["uploader", "-created_at"], name="upload_by_uploader")]

    def __str__(self) -> str:
        return self.name
