"""Pages of the files app: the download link the portal and workbench pages put next to an upload."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from yiwang.accounts.decorators import verified_login_required
from yiwang.core.errors import DomainError
from yiwang.files.responses import upload_content_response
from yiwang.files.selectors import upload_get_for_user


@require_GET
@verified_login_required
def upload_content(request: HttpRequest, upload_id: int) -> HttpResponseBase:
    """下载本人上传的文件 (the same selector and response as ``GET /api/v1/files/{id}/content``)."""
    try:
        upload = upload_get_for_user(user=request.user, upload_id=upload_id)
    except DomainError as exc:
        return _problem(request, exc)
    return upload_content_response(upload)


def _problem(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "errors/problem.html", {"error": exc}, status=exc.status)
