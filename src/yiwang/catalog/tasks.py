"""Background import of large 事项 workbooks (django-tasks, database backend).

There is no import-job model: models live in ``models.py``, owned elsewhere. The job *is* the
django-tasks result row (``django_tasks_db.DBTaskResult``):

* the upload page enqueues :data:`catalog_import_task` with the workbook as base64 in its keyword
  arguments (files are at most 10 MB, ~13.4 MB of base64) and the uploader's user id; the task result id
  is the import id shown in the URL;
* the status (READY → RUNNING → SUCCESSFUL / FAILED) is ``default_task_backend.get_result(id).status``;
  the task's return value, written once at the end, is the outcome: ``{"ok": True, "created": […], …}``
  or ``{"ok": False, "message": …, "errors": [[表, 行, 列, 问题], …]}`` (an invalid workbook is an
  outcome, not a task failure; FAILED means the task itself crashed);
* progress *during* the run goes to a small JSON file ``VAR_DIR/imports/<result id>.json``
  (``{"done": n, "total": m}``, written atomically, at most a few times a second) that the polling view
  reads; the file is removed when the task ends. No file, or ``{"done": 0, "total": 0}``, means "not
  writing yet" (queued, or still reading and checking the workbook).

Caveats: the base64 workbook stays in the task row (``args_kwargs``) until the rows are pruned
(``manage.py prune_db_task_results``), and ``get_result`` loads it on every poll — fine for 10 MB files
polled once a second by one person; a dedicated job model would avoid both.
"""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django_tasks import TaskContext, task

from yiwang.catalog.excel import MAX_UPLOAD_BYTES, row_errors, workbook_import
from yiwang.core.errors import DomainError, ErrorCode

MAX_ERRORS_RETURNED = 2000  # the outcome is one JSON value in the task row; keep it bounded
PROGRESS_INTERVAL = 0.5  # seconds between progress writes


def progress_path(result_id: str) -> Path:
    safe = "".join(ch for ch in str(result_id) if ch.isalnum() or ch == "-")  # a UUID; never a path
    return Path(settings.VAR_DIR) / "imports" / f"{safe}.json"


def progress_read(result_id: str) -> tuple[int, int] | None:
    """(done, total) of a running import, or None when no progress has been written."""
    try:
        data = json.loads(progress_path(result_id).read_text(encoding="utf-8"))
        return int(data["done"]), int(data["total"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def progress_write(result_id: str, done: int, total: int) -> None:
    path = progress_path(result_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps({"done": done, "total": total}), encoding="utf-8")
    os.replace(temporary, path)  # atomic: the poller never reads half a file


class _Progress:
    """A progress callback that writes the file at most every PROGRESS_INTERVAL seconds (and at the end)."""

    def __init__(self, result_id: str) -> None:
        self.result_id = result_id
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done in (0, total) or now - self.last >= PROGRESS_INTERVAL:
            self.last = now
            progress_write(self.result_id, done, total)


def catalog_import_enqueue(*, actor: Any, data: bytes) -> str:
    """Queue an import of ``data`` by ``actor``; returns the import id (the task result id)."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise DomainError(ErrorCode.VALIDATION, "文件超过 10 MB", field="file")
    # No progress file yet: the worker may pick the task up at once and would delete it before we wrote it.
    result = catalog_import_task.enqueue(actor_id=actor.pk, data_b64=base64.b64encode(data).decode("ascii"))
    return str(result.id)


@task(takes_context=True)
def catalog_import_task(context: TaskContext, *, actor_id: int, data_b64: str) -> dict[str, Any]:
    """Run ``workbook_import`` for the user who uploaded the file, reporting progress to the file."""
    from yiwang.accounts.models import User

    result_id = str(context.task_result.id)
    try:
        actor = User.objects.filter(pk=actor_id).first()
        if actor is None:
            return {"ok": False, "message": "上传文件的用户已不存在", "errors": []}
        try:
            outcome = workbook_import(actor=actor, data=base64.b64decode(data_b64), progress=_Progress(result_id))
        except DomainError as exc:
            errors = [list(e) for e in row_errors(exc)]
            return {
                "ok": False,
                "message": exc.message,
                "errors": errors[:MAX_ERRORS_RETURNED],
                "error_count": len(errors),
            }
        return {"ok": True, **outcome.as_dict()}
    finally:
        progress_path(result_id).unlink(missing_ok=True)
