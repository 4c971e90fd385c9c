"""The same new content uploaded by several people at the same moment: every upload succeeds, one blob."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.db import connections

from yiwang.files.models import StoredFile, Upload
from yiwang.files.services import upload_create
from yiwang.testing.world import build_world

from .conftest import blobs_in


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_of_the_same_content_all_succeed_with_one_blob(materials_dir: Path):
    world = build_world()
    users = [world.users[name] for name in ("citizen_owner", "citizen_other", "clerk_a", "clerk_b")]
    content = b"%PDF-1.7\n" + b"same scanned page " * 20_000  # several chunks: the writes overlap
    barrier = threading.Barrier(len(users))
    outcomes: list[str] = []

    def upload(user) -> None:
        try:
            barrier.wait(timeout=30)
            upload_create(actor=user, name="同一份材料.pdf", data=content)
            outcomes.append("created")
        except Exception as exc:  # the test reports any failure, whatever its type
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=upload, args=(user,)) for user in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert outcomes == ["created"] * len(users)
    assert StoredFile.objects.count() == 1
    assert Upload.objects.filter(blob=StoredFile.objects.get()).count() == len(users)
    (blob,) = blobs_in(materials_dir)  # no second copy, no temporary file left behind
    assert blob.read_bytes() == content
