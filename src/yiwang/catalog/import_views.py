"""Pages of the 事项 workbook import (staff) and the JSON export of a published version (public).

Small files (fewer than ``SYNC_ITEM_LIMIT`` item rows) are imported in the request and the outcome is
shown at once; larger ones are queued (``tasks.catalog_import_task``) and a progress page polls a partial
with htmx every second. Only users with ``Action.CATALOG_EDIT`` may import; the services decide, row by
row, which departments each of them may touch.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_tasks import TaskResult, TaskResultStatus, default_task_backend
from django_tasks.exceptions import TaskResultDoesNotExist

from yiwang.accounts.permissions import Action, user_can
from yiwang.api.problems import problem
from yiwang.catalog.choices import ItemState
from yiwang.catalog.excel import (
    MAX_UPLOAD_BYTES,
    XLSX_CONTENT_TYPE,
    RowError,
    published_version_get,
    row_errors,
    version_json,
    workbook_count_items,
    workbook_export,
    workbook_import,
    workbook_template,
)
from yiwang.catalog.models import ItemVersion
from yiwang.catalog.selectors import items_for_user
from yiwang.catalog.tasks import catalog_import_enqueue, catalog_import_task, progress_read
from yiwang.core.errors import DomainError
from yiwang.workbench.views import staff_required

SYNC_ITEM_LIMIT = 200  # item rows; from this many on, the import runs in the background
MAX_ERRORS_SHOWN = 1000


class UploadForm(forms.Form):
    """The workbook: an .xlsx of at most 10 MB that openpyxl can open."""

    file = forms.FileField(
        label="事项工作簿（.xlsx）",
        help_text=f"请使用下载的模板填写，文件不超过 10 MB。少于 {SYNC_ITEM_LIMIT} 个事项时立即导入，"
        "否则在后台导入并显示进度。",
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError("请上传 .xlsx 格式的 Excel 工作簿（可先下载模板）")
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("文件超过 10 MB，请分成几个文件导入")
        data = upload.read()
        try:
            self.item_count = workbook_count_items(data)  # opens it with openpyxl
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc
        self.workbook = data
        return upload


def _require_import(request: HttpRequest) -> None:
    if not user_can(request.user, Action.CATALOG_EDIT):
        raise PermissionDenied("只有部门管理员和政务服务管理机构可以导入事项")


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@require_GET
@staff_required
def template_download(request: HttpRequest) -> HttpResponse:
    _require_import(request)
    return _xlsx(workbook_template(), "事项导入模板.xlsx")


@require_GET
@staff_required
def export_workbook(request: HttpRequest) -> HttpResponse:
    """The versions in effect of every item the user may edit, in the import layout (edit, re-import)."""
    _require_import(request)
    items = items_for_user(user=request.user).filter(state=ItemState.PUBLISHED)
    versions = ItemVersion.objects.filter(pk__in=items.values("current_version_id")).order_by(
        "department__region__code", "item__task_code", "item__handle_item_code"
    )
    stamp = timezone.localdate().strftime("%Y%m%d")
    return _xlsx(workbook_export(versions), f"事项导出-{stamp}.xlsx")


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required
def upload(request: HttpRequest) -> HttpResponse:
    _require_import(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form, "sync_limit": SYNC_ITEM_LIMIT}
    if request.method == "POST" and form.is_valid():
        if form.item_count >= SYNC_ITEM_LIMIT:
            import_id = catalog_import_enqueue(actor=request.user, data=form.workbook)
            return redirect("catalog_import:job", import_id=import_id)
        try:
            context["result"] = workbook_import(actor=request.user, data=form.workbook)
        except DomainError as exc:
            context.update(_refusal_context(exc.message, row_errors(exc)))
    return render(request, "catalog/import.html", context)


def _refusal_context(message: str, errors: list[RowError]) -> dict[str, Any]:
    return {
        "message": message,
        "errors": errors[:MAX_ERRORS_SHOWN],
        "error_count": len(errors),
        "errors_truncated": len(errors) > MAX_ERRORS_SHOWN,
    }


def _job_for_user(request: HttpRequest, import_id: str) -> TaskResult:
    """The import job, only for the user who uploaded it (anyone else: 404, as if it did not exist)."""
    try:
        task_result = default_task_backend.get_result(import_id)
    except TaskResultDoesNotExist as exc:
        raise Http404("导入任务不存在") from exc
    mine = task_result.kwargs.get("actor_id") == request.user.pk
    if task_result.task.module_path != catalog_import_task.module_path or not mine:
        raise Http404("导入任务不存在")
    return task_result


def _job_context(job: TaskResult, import_id: str) -> dict[str, Any]:
    context: dict[str, Any] = {"import_id": import_id, "status": str(job.status), "finished": job.is_finished}
    if job.status == TaskResultStatus.SUCCESSFUL:
        outcome = job.return_value or {}
        if outcome.get("ok"):
            context["result"] = outcome
        else:
            errors = [RowError(*row) for row in outcome.get("errors", [])]
            context.update(_refusal_context(outcome.get("message", "导入失败"), errors))
            context["error_count"] = outcome.get("error_count", len(errors))
            context["errors_truncated"] = context["error_count"] > len(context["errors"])
    elif job.status == TaskResultStatus.FAILED:
        context["failed"] = True
    else:
        done, total = progress_read(import_id) or (0, 0)
        context.update(done=done, total=total)
    return context


@never_cache
@require_GET
@staff_required
def job(request: HttpRequest, import_id: Any) -> HttpResponse:
    _require_import(request)
    task_result = _job_for_user(request, str(import_id))
    return render(request, "catalog/import_job.html", _job_context(task_result, str(import_id)))


@never_cache
@require_GET
@staff_required
def job_status(request: HttpRequest, import_id: Any) -> HttpResponse:
    """The partial the progress page polls (htmx, every second) until the job has finished."""
    _require_import(request)
    task_result = _job_for_user(request, str(import_id))
    return render(request, "catalog/import_job_status.html", _job_context(task_result, str(import_id)))


@require_GET
def version_export_json(request: HttpRequest, version_id: int) -> HttpResponse:
    """JSON of one published version (public, like the guides)."""
    try:
        version = published_version_get(version_id=version_id)
    except DomainError as exc:
        return problem(request, status=exc.status, code=exc.code.value, title=exc.title, detail=exc.message)
    response = JsonResponse(version_json(version), json_dumps_params={"ensure_ascii": False})
    response["ETag"] = f'"{version.content_hash}"'
    return response
