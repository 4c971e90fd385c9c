"""Who is acting, from where, for the request being served (read by the audit log).

A ``ContextVar`` so that services need not pass the request around just to record an IP address;
commands and tasks run with an empty context, which the audit log records as such.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None
    user_agent: str = ""
    request_id: str = ""
    # 办事身份 of a signed-in citizen (``person`` or ``enterprise:<USCC>``), set from the session by
    # ``accounts.middleware.ActingIdentityMiddleware``; the audit log adds it to every row's ``changes``.
    acting_as: str = ""


_EMPTY = RequestContext()
_current: ContextVar[RequestContext | None] = ContextVar("yiwang_request_context", default=None)


def current() -> RequestContext:
    return _current.get() or _EMPTY


def bind(ctx: RequestContext) -> object:
    return _current.set(ctx)


def unbind(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
