"""Writes of the files app: storing an uploaded file (``upload_create``).

The order is the invariant: check size and type while hashing → write the blob (if the content is new) →
insert the rows in one transaction → audit. A row is committed only after its blob exists, so every
``StoredFile`` can be read; a blob whose transaction failed is an orphan that the next upload of the same
content reuses.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import storages
from django.db import IntegrityError, transaction

from yiwang.audit.services import record
from yiwang.core.errors import DomainError, ErrorCode
from yiwang.files import sniffing
from yiwang.files.choices import EXTENSIONS, FileType
from yiwang.files.models import STORAGE, StoredFile, Upload, blob_path

CHUNK_BYTES = 64 * 1024
NAME_MAX_LENGTH = 200  # Upload.name
ALLOWED_TYPES_TEXT = "、".join(label for label in FileType.labels)  # PDF、JPG、PNG、OFD
_KIB = 1024
_MIB = 1024 * 1024
# Characters no file name should carry: path separators and what Windows forbids (the file is downloaded
# again by clerks on Windows), plus control and format characters — the latter include U+202E, which
# makes "gpj.exe" look like "exe.jpg".
_FORBIDDEN = re.compile(r'[\\/:*?"<>|]')
_EXTENSION = re.compile(r"^\.[A-Za-z0-9]{1,5}$")


def upload_max_bytes() -> int:
    return int(settings.YIWANG_UPLOAD_MAX_BYTES)


def size_text(size: int) -> str:
    """The limit as people write it: 20971520 → "20MB", 1024 → "1KB", 1000 → "1000字节"."""
    if size >= _MIB and size % _MIB == 0:
        return f"{size // _MIB}MB"
    if size >= _KIB and size % _KIB == 0:
        return f"{size // _KIB}KB"
    return f"{size}字节"


def _too_large() -> DomainError:
    return DomainError(ErrorCode.VALIDATION, f"文件大小超过上限{size_text(upload_max_bytes())}", field="file")


@dataclass(frozen=True)
class Scanned:
    """What one pass over the bytes found out."""

    sha256: str
    size: int
    file_type: FileType


def _as_file(data: bytes | File) -> File:
    if isinstance(data, bytes | bytearray | memoryview):
        return ContentFile(bytes(data))
    return data


def scan(file: File) -> Scanned:
    """Hash, measure and sniff ``file`` in one streaming pass, refusing it as soon as it is too large:
    never more than one chunk of it is in memory here. Leaves ``file`` rewound."""
    limit = upload_max_bytes()
    declared = getattr(file, "size", None)
    if declared is not None and declared > limit:
        raise _too_large()
    digest = hashlib.sha256()
    size = 0
    head = b""
    for chunk in file.chunks(CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            raise _too_large()
        if len(head) < sniffing.HEAD_BYTES:
            head = (head + chunk)[: sniffing.HEAD_BYTES]
        digest.update(chunk)
    if size == 0:
        raise DomainError(ErrorCode.VALIDATION, "文件是空的，请重新选择文件", field="file")
    file_type = sniffing.sniff(head, file)
    file.seek(0)
    if file_type is None:
        raise DomainError(
            ErrorCode.VALIDATION,
            f"文件格式不支持：仅可上传 {ALLOWED_TYPES_TEXT} 格式的文件（按文件内容判断，与文件名无关）",
            field="file",
        )
    return Scanned(sha256=digest.hexdigest(), size=size, file_type=file_type)


def clean_name(name: str, file_type: FileType) -> str:
    """A safe display and download name: no folders, no control or direction-override characters, no
    characters Windows refuses, at most 200 characters, and the extension of the *sniffed* type
    (``证件.pdf`` holding a PNG becomes ``证件.png``; a name without an extension gets one)."""
    text = unicodedata.normalize("NFC", name or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]  # C:\fakepath\a.pdf, ../../a.pdf → a.pdf
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] not in {"C"})  # Cc, Cf, Co, Cs, Cn
    text = _FORBIDDEN.sub("_", text)
    text = " ".join(text.split()).strip(" .")  # no leading dot (hidden file), no trailing dot (Windows)
    allowed = EXTENSIONS[file_type]
    suffix = PurePosixPath(text).suffix
    stem = text[: -len(suffix)] if suffix else text
    if suffix.lower() in allowed:
        extension = suffix.lower()
    else:
        extension = allowed[0]
        if suffix and not _EXTENSION.match(suffix):
            stem = text  # "第1.2版 说明" has no extension: keep all of it
    stem = stem.strip(" .") or "文件"
    return stem[: NAME_MAX_LENGTH - len(extension)] + extension


def _store_blob(file: File, sha256: str) -> None:
    """Put the bytes at ``ab/cd/<sha256>`` unless they are there already (the same content uploaded
    before). Two uploads of new content at the same moment may both write: see ``storage.py`` — the
    result is one complete blob either way."""
    storage = storages[STORAGE]
    path = blob_path(sha256)
    if storage.exists(path):
        return
    saved = storage.save(path, file)
    if saved != path:  # a storage that renames on conflict (misconfigured): keep the blob that has the name
        storage.delete(saved)


def blob_put(data: bytes) -> StoredFile:
    """Store a file the platform itself produced (a signed licence face): content-addressed like uploads,
    typed by content, no size limit (the platform made it). Call inside the caller's transaction: the bytes
    are written first, so a rolled-back row leaves at most an unreferenced blob, never a row without bytes."""
    sha256 = hashlib.sha256(data).hexdigest()
    file = ContentFile(data)
    file_type = sniffing.sniff(data[: sniffing.HEAD_BYTES], file)
    if file_type is None:
        raise ValueError("blob_put stores only the file types the platform knows")
    _store_blob(file, sha256)
    try:
        with transaction.atomic():  # what the platform makes is almost always new: insert first, no lookup
            return StoredFile.objects.create(sha256=sha256, size=len(data), content_type=file_type)
    except IntegrityError:
        return StoredFile.objects.get(sha256=sha256)


def upload_create(*, actor: Any, name: str, data: bytes | File) -> Upload:
    """Store a file handed in by ``actor`` (a signed-in user): checked for size (``YIWANG_UPLOAD_MAX_BYTES``)
    and type (PDF, JPEG, PNG, OFD by content), stored once per content, recorded as an ``Upload`` of theirs.

    ``data`` is the bytes or a Django ``File`` (an ``UploadedFile`` from a form or the API), read in chunks.
    """
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise DomainError(ErrorCode.NOT_AUTHENTICATED, "请先登录后再上传文件")
    file = _as_file(data)
    scanned = scan(file)
    clean = clean_name(name, scanned.file_type)
    _store_blob(file, scanned.sha256)  # before the transaction: SQLite holds its write lock for a whole one
    with transaction.atomic():
        # Race: the same new content uploaded concurrently. Both insert; the unique index makes the second
        # wait for the first and fail, and get_or_create then returns the first's row (its savepoint keeps
        # our transaction usable). On SQLite writers are serialised (BEGIN IMMEDIATE), so the get finds it.
        blob, _created = StoredFile.objects.get_or_create(
            sha256=scanned.sha256, defaults={"size": scanned.size, "content_type": scanned.file_type}
        )
        upload = Upload.objects.create(blob=blob, name=clean, uploader=actor)
        record(
            actor=actor,
            action="file.upload",
            target=upload,
            changes={
                "name": [None, clean],
                "sha256": [None, blob.sha256],
                "size": [None, blob.size],
                "content_type": [None, blob.content_type],
            },
        )
    return upload
