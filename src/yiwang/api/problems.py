"""RFC 9457 ``application/problem+json`` responses with a stable code, a field path and Chinese text."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from yiwang.core.errors import DomainError, ErrorCode, FieldError, status_title
from yiwang.core.validation import pydantic_message

PROBLEM_TYPE_BASE = "https://yiwang.example/problems/"  # identifier only, never fetched
CONTENT_TYPE = "application/problem+json"


def problem(
    request: HttpRequest,
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: list[FieldError] | None = None,
) -> HttpResponse:
    import json

    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": request.path,
    }
    if errors:
        body["errors"] = [{"field": e.field, "code": e.code, "message": e.message} for e in errors]
    return HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=CONTENT_TYPE)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    # ninja prefixes the location with the parameter source and the schema name: ("body", "payload", "x")
    if len(parts) >= 2 and parts[0] == "body" and parts[1] in {"payload", "data"}:
        parts = ["body", *parts[2:]]
    return ".".join(parts)


# A service names its inputs (``id_number``); they arrive in the request body. Paths that already say
# where they live (``query.…``) or that point into a stored document (``content.…``) are kept as they are.
_LOCATED = ("body.", "query.", "path.", "content.")


def _domain_path(field: str) -> str:
    return field if field.startswith(_LOCATED) else f"body.{field}"


def install(api: NinjaAPI) -> None:
    """Register the handlers that turn every error into a problem+json response."""

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return problem(
            request,
            status=exc.status,
            code=exc.code.value,
            title=exc.title,
            detail=exc.message,
            errors=[FieldError(field=_domain_path(e.field), message=e.message, code=e.code) for e in exc.errors],
        )

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            FieldError(field=_field_path(e.get("loc", ())), message=pydantic_message(e), code=e.get("type", ""))
            for e in exc.errors
        ]
        status, title = status_title(ErrorCode.VALIDATION)
        detail = "；".join(f"{e.field}：{e.message}" for e in errors) or title
        return problem(
            request, status=status, code=ErrorCode.VALIDATION.value, title=title, detail=detail, errors=errors
        )

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        status, title = status_title(ErrorCode.NOT_AUTHENTICATED)
        response = problem(
            request,
            status=status,
            code=ErrorCode.NOT_AUTHENTICATED.value,
            title=title,
            detail="请先登录，或在 Authorization 头中提供有效的 Bearer 令牌",
        )
        response["WWW-Authenticate"] = 'Bearer realm="yiwang"'
        return response

    @api.exception_handler(AuthorizationError)
    def authorization_error(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        status, title = status_title(ErrorCode.PERMISSION_DENIED)
        return problem(
            request,
            status=status,
            code=ErrorCode.PERMISSION_DENIED.value,
            title=title,
            detail="您没有执行此操作的权限",
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = {
            404: ErrorCode.NOT_FOUND,
            403: ErrorCode.PERMISSION_DENIED,
            401: ErrorCode.NOT_AUTHENTICATED,
        }.get(exc.status_code, ErrorCode.VALIDATION)
        _, title = status_title(code)
        return problem(request, status=exc.status_code, code=code.value, title=title, detail=str(exc.message))
