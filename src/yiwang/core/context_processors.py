"""Template context shared by every page."""

from __future__ import annotations

from django.http import HttpRequest

LARGE_TEXT_COOKIE = "yiwang_large"


def ui(request: HttpRequest) -> dict[str, object]:
    """适老化: the large-text, high-contrast mode is remembered in a cookie so the first paint is right."""
    return {
        "large_mode": request.COOKIES.get(LARGE_TEXT_COOKIE) == "1",
        "LARGE_TEXT_COOKIE": LARGE_TEXT_COOKIE,
    }
