"""公共验证服务 pages (no sign-in): type an identifier or upload a PDF at /verify/, and the QR target
/verify/<identifier>/ that every licence face links to.

Nothing personal is shown in clear: the face data comes masked from ``selectors.license_verify``. The answers
are the same functions the API calls (``selectors.license_verify``, ``verification.pdf_verify``), limited per
client address by ``verification.verify_allowed``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from yiwang.files.services import size_text, upload_max_bytes
from yiwang.licenses.selectors import license_verify
from yiwang.licenses.verification import VERIFY_LIMITED, pdf_verify, successor_identifier, verify_allowed

IDENTIFIER_MAX = 160
EXAMPLE = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U"


@never_cache
@require_http_methods(["GET", "POST"])
def verify_home(request: HttpRequest) -> HttpResponse:
    """输入证照标识 (GET ?id=) or 上传PDF (POST, multipart)."""
    limit = upload_max_bytes()
    context: dict[str, Any] = {
        "identifier": "",
        "result": None,
        "successor": "",
        "pdf": None,
        "id_error": "",
        "pdf_error": "",
        "limit_text": size_text(limit),
        "example": EXAMPLE,
    }
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if not verify_allowed(request, "pdf"):
            context["pdf_error"], status = VERIFY_LIMITED, 429
        elif upload is None or not upload.size:
            context["pdf_error"], status = "请选择要验证的电子证照PDF文件。", 422
        elif upload.size > limit:
            context["pdf_error"], status = f"文件大小超过上限{size_text(limit)}，请上传电子证照原件。", 422
        else:
            context["pdf"] = pdf_verify(upload.read(limit + 1))
    elif "id" in request.GET:
        text = request.GET.get("id", "").strip()[:IDENTIFIER_MAX]
        context["identifier"] = text
        if not verify_allowed(request, "lookup"):
            context["id_error"], status = VERIFY_LIMITED, 429
        elif not text:
            context["id_error"], status = "请输入电子证照标识。", 422
        else:
            found = license_verify(text)
            context["result"], context["successor"] = found, successor_identifier(found)
    return render(request, "licenses/verify.html", context, status=status)


@never_cache
@require_GET
def verify_detail(request: HttpRequest, identifier: str) -> HttpResponse:
    """The QR target: the verdict of one licence, big and plain, with its face data masked."""
    if not verify_allowed(request, "scan"):
        return render(
            request,
            "licenses/verify_detail.html",
            {"result": None, "limited": VERIFY_LIMITED, "identifier": identifier[:IDENTIFIER_MAX]},
            status=429,
        )
    found = license_verify(identifier[:IDENTIFIER_MAX])
    return render(
        request,
        "licenses/verify_detail.html",
        {"result": found, "successor": successor_identifier(found), "identifier": found.identifier, "limited": ""},
    )
