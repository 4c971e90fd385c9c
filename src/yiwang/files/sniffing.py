"""What a file is, from its first bytes (magic numbers), never from its name or the browser's claim.

Only the types accepted as application materials are recognised (``FileType``); anything else — an
executable renamed ``.pdf``, an HTML page, a Word document — is ``None`` and is refused by the service.
"""

from __future__ import annotations

import zipfile
from typing import Any

from yiwang.files.choices import FileType

HEAD_BYTES = 16  # enough for every signature below

_PDF = b"%PDF-"
_JPEG = b"\xff\xd8\xff"
_PNG = b"\x89PNG\r\n\x1a\n"
_ZIP = b"PK\x03\x04"
OFD_ENTRY = "OFD.xml"  # GB/T 33190 §7.3: the 主入口 file at the root of the package


def sniff(head: bytes, file: Any) -> FileType | None:
    """The type of the file whose first bytes are ``head``; ``file`` (seekable) is read only for a zip,
    to look for ``OFD.xml`` in its central directory (nothing is decompressed, so a zip bomb costs nothing).
    The caller rewinds ``file`` afterwards."""
    if head.startswith(_PDF):
        return FileType.PDF
    if head.startswith(_JPEG):
        return FileType.JPEG
    if head.startswith(_PNG):
        return FileType.PNG
    if head.startswith(_ZIP) and _is_ofd(file):
        return FileType.OFD
    return None


def _is_ofd(file: Any) -> bool:
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as package:
            return OFD_ENTRY in package.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False
