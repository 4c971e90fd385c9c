"""URLconf of the benchmark server: the project's URLs plus ``POST /bench/bare/``, a bare Django JSON view.

The bare view does what any authenticated JSON endpoint must (the same middleware, session and CSRF check,
the signed-in user, JSON in and out) and nothing else: the baseline of ``bench/submit_http.py``.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.http import require_POST

import yiwang.urls


@require_POST
def bare(request: HttpRequest) -> JsonResponse:
    if not request.user.is_authenticated:
        return JsonResponse({"detail": "请先登录"}, status=401)
    data = json.loads(request.body)
    return JsonResponse({"id": 0, "number": "", "item_id": data.get("item_id"), "fields": len(data)}, status=201)


urlpatterns = [path("bench/bare/", bare), *yiwang.urls.urlpatterns]
