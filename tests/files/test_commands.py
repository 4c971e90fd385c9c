"""``yiwang files check`` reads every blob back."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from yiwang.files.services import upload_create
from yiwang.testing.world import World

from .conftest import JPEG, PDF, PNG, blobs_in


def test_check_passes_when_every_blob_is_intact(world: World):
    for name, data in (("a.pdf", PDF), ("b.png", PNG), ("c.pdf", PDF)):
        upload_create(actor=world.users["citizen_owner"], name=name, data=data)
    out = StringIO()
    call_command("files", "check", stdout=out)
    assert out.getvalue().strip() == "已检查 2 个文件：缺失 0 个，内容不符 0 个"


def test_check_names_missing_and_changed_blobs(world: World, materials_dir: Path):
    pdf = upload_create(actor=world.users["citizen_owner"], name="a.pdf", data=PDF).blob
    png = upload_create(actor=world.users["citizen_owner"], name="b.png", data=PNG).blob
    upload_create(actor=world.users["citizen_owner"], name="c.jpg", data=JPEG)
    (materials_dir / pdf.path).unlink()
    (materials_dir / png.path).write_bytes(PNG + b"tampered")
    assert len(blobs_in(materials_dir)) == 2

    with pytest.raises(CommandError) as caught:
        call_command("files", "check")

    assert str(caught.value) == (f"已检查 3 个文件：缺失 1 个，内容不符 1 个\n缺失 {pdf.sha256}\n内容不符 {png.sha256}")
