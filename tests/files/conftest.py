"""Fixtures of the files tests: a fresh materials storage per test, and sample files of each kind."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

# Files as their first bytes make them: only the signature matters to the platform, not validity.
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run"


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in entries.items():
            package.writestr(name, data)
    return buffer.getvalue()


OFD = zip_bytes(
    {
        "OFD.xml": b'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" '
        b'Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>'
        b"</ofd:DocBody></ofd:OFD>",
        "Doc_0/Document.xml": b"<ofd:Document/>",
    }
)
DOCX = zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})


@pytest.fixture(autouse=True)
def materials_dir(settings, tmp_path: Path) -> Path:
    """Each test stores its blobs in its own folder (the storage handler is reset when STORAGES changes)."""
    location = tmp_path / "materials"
    settings.STORAGES = {
        **settings.STORAGES,
        "materials": {
            "BACKEND": "yiwang.files.storage.BlobFileSystemStorage",
            "OPTIONS": {"location": str(location), "file_permissions_mode": 0o640, "directory_permissions_mode": 0o750},
        },
    }
    return location


def blobs_in(location: Path) -> list[Path]:
    """Every file under the storage root (temporary files included: none may be left behind)."""
    return sorted(p for p in location.rglob("*") if p.is_file())
