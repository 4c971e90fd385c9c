#!/usr/bin/env python3
"""Guide list endpoint with 5,000 published items: p50/p99 latency, against a bare Django view that runs
the same query and returns the same JSON (the baseline, measured in the same run).

    .venv/bin/python bench/catalog_api.py [--items 5000] [--requests 400]
    .venv/bin/python tools/with_postgres.py .venv/bin/python bench/catalog_api.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
import yiwang.testing.pytest_plugin  # noqa: F401 — production-like environment

os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp(prefix='yiwang-bench-')}/bench.sqlite3")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import path  # noqa: E402


def bare_list(request: HttpRequest) -> JsonResponse:
    """Baseline: the same selector and page, serialised by hand."""
    from yiwang.catalog.selectors import GuideFilter, guide_list

    qs = guide_list(filters=GuideFilter(q=request.GET.get("q", ""), theme=request.GET.get("theme", "")))
    count = qs.count()
    rows = [
        {
            "code": v.item.code,
            "name": v.name,
            "version": v.number,
            "task_type": v.task_type,
            "level": v.level,
            "department": {
                "id": v.department_id,
                "name": v.department.name,
                "uscc": v.department.uscc,
                "region_code": v.department.region.code,
            },
            "promise_days": v.promise_days,
            "legal_days": v.legal_days,
            "visits": v.visits,
            "is_fully_online": v.is_fully_online,
            "is_instant": v.is_instant,
            "commitment": v.commitment,
            "deferrable": v.deferrable,
            "auto_approval": v.auto_approval,
            "themes": v.themes,
        }
        for v in qs[:20]
    ]
    return JsonResponse({"count": count, "page": 1, "page_size": 20, "items": rows})


def populate(n: int) -> float:
    from yiwang.catalog.services import catalog_entry_create, item_create, publish_directly
    from yiwang.testing.catalog import sample_content
    from yiwang.testing.world import build_world

    world = build_world()
    departments = [world.dept_a_market, world.dept_a_admin, world.dept_b_admin]
    start = time.perf_counter()
    made = 0
    entry_index = 0
    with transaction.atomic():
        while made < n:
            entry_index += 1
            entry = catalog_entry_create(
                actor=None,
                code=f"0001{entry_index:05d}000",
                name=f"基准事项{entry_index}",
                task_type="01",
                legal_basis="基准测试依据",
                levels=[4],
            )
            for department in departments:
                for handle in range(100):
                    if made >= n:
                        break
                    theme = ["open", "license", "birth", "work"][made % 4]
                    item = item_create(
                        actor=None,
                        entry=entry,
                        department=department,
                        level=4,
                        handle_item=f"{handle:02d}",
                        content=sample_content(
                            name=f"基准事项{entry_index}-{department.pk}-{handle:02d}", themes=[theme]
                        ),
                    )
                    publish_directly(actor=None, item=item)
                    made += 1
    return time.perf_counter() - start


def latencies(client: Client, url: str, params: dict[str, str], requests: int, headers=None) -> list[float]:
    for _ in range(20):
        client.get(url, params, headers=headers or {})
    out = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(url, params, headers=headers or {})
        out.append(time.perf_counter() - start)
        assert response.status_code in (200, 304), response.status_code
    return out


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    seconds = populate(args.items)
    import yiwang.urls as project_urls

    class Urls:
        urlpatterns = [path("bare/items", bare_list), *project_urls.urlpatterns]

    print(
        f"Guide list endpoint — {connection.vendor}, {args.items} published items "
        f"(published through the services in {seconds:.1f} s, {args.items / seconds:.0f} items/s)"
    )
    print(f"{'request':<34}{'ours p50':>10}{'ours p99':>10}{'bare p50':>10}{'bare p99':>10}{'p50 ratio':>10}")
    with override_settings(ROOT_URLCONF=Urls):
        client = Client()
        for label, params in (
            ("first page", {}),
            ("search q=基准事项12", {"q": "基准事项12"}),
            ("theme=birth", {"theme": "birth"}),
        ):
            ours = latencies(client, "/api/v1/catalog/items", params, args.requests)
            bare = latencies(client, "/bare/items", params, args.requests)
            print(
                f"{label:<34}{pct(ours, 50) * 1e3:>8.2f}ms{pct(ours, 99) * 1e3:>8.2f}ms"
                f"{pct(bare, 50) * 1e3:>8.2f}ms{pct(bare, 99) * 1e3:>8.2f}ms{pct(ours, 50) / pct(bare, 50):>9.2f}×"
            )
        etag = client.get("/api/v1/catalog/items")["ETag"]
        cached = latencies(client, "/api/v1/catalog/items", {}, args.requests, headers={"If-None-Match": etag})
        full = latencies(client, "/api/v1/catalog/items", {}, args.requests)
        print(
            f"{'first page, If-None-Match → 304':<34}{pct(cached, 50) * 1e3:>8.2f}ms{pct(cached, 99) * 1e3:>8.2f}ms"
            f"{'(vs 200)':>10}{pct(full, 50) * 1e3:>8.2f}ms{pct(cached, 50) / pct(full, 50):>9.2f}×"
        )
        print(f"median of all: {statistics.median(full) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
