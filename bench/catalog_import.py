#!/usr/bin/env python3
"""Benchmark of the 事项 workbook import (``python bench/catalog_import.py [--items 5000]``).

Generates a workbook of N valid items (4 departments of the test world × N/4 基本目录 entries, each item
with 3 materials, 3 steps, 1 result and 6 form fields), then times, on a fresh database:

* baseline — openpyxl merely reading the same workbook (read-only mode, iterating every row of every sheet);
* ``workbook_parse`` — reading plus every check (codes, publishing rules, departments, duplicates);
* ``workbook_import`` — the first import (creates every item: ``item_create`` + audit, one transaction);
* ``workbook_import`` again — the same file (every draft unchanged: parse + compare, no item written).

Read-only steps are the median of 3 runs (the first import runs once: it writes).

Each figure is also given as a ratio against the baseline measured in the same run, so the share of our
validation and writing is visible whatever the machine. Set DATABASE_URL for PostgreSQL
(``python tools/with_postgres.py python bench/catalog_import.py``).
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
import yiwang.testing.pytest_plugin  # noqa: F401 — sets a production-like environment

os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp(prefix='yiwang-bench-')}/bench.sqlite3")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402


def timed(fn: Callable[[], Any], *, repeat: int = 1) -> tuple[float, Any]:
    """Median seconds of ``repeat`` calls, and the last value (the machine is shared: take the median)."""
    times, value = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5000)
    args = parser.parse_args()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # not what we measure
    call_command("migrate", verbosity=0)

    from openpyxl import load_workbook

    from yiwang.catalog.excel import WorkbookItem, workbook_import, workbook_parse, workbook_write
    from yiwang.catalog.models import ItemDraft, ServiceItem
    from yiwang.catalog.services import catalog_entry_create
    from yiwang.testing.catalog import sample_content
    from yiwang.testing.world import build_world

    world = build_world()
    departments = [
        (world.city_admin_dept, 3),
        (world.dept_a_admin, 4),
        (world.dept_a_market, 4),
        (world.dept_b_admin, 4),
    ]
    per_department = -(-args.items // len(departments))
    codes = [f"0001{n:05d}000" for n in range(1, per_department + 1)]  # 基本编码: type 01, main items
    started = time.perf_counter()
    for code in codes:
        catalog_entry_create(
            actor=None, code=code, name=f"测试许可{code}", task_type="01", legal_basis="《行政许可法》", levels=[3, 4]
        )
    setup_seconds = time.perf_counter() - started
    rows = [
        WorkbookItem(
            entry_code=code,
            task_type="01",
            level=level,
            uscc=department.uscc,
            department_name=department.name,
            content=sample_content(name=f"测试许可{code}（{department.short_name or department.name}）"),
        )
        for department, level in departments
        for code in codes
    ][: args.items]
    write_seconds, data = timed(lambda: workbook_write(rows))

    def baseline() -> int:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        cells = 0
        for ws in book.worksheets:
            for values in ws.iter_rows(values_only=True):
                cells += len(values)
        book.close()
        return cells

    baseline_seconds, cells = timed(baseline, repeat=3)
    parse_seconds, parsed = timed(lambda: workbook_parse(data), repeat=3)
    assert parsed.errors == [], parsed.errors[:5]
    admin = world.users["admin"]
    import_seconds, result = timed(lambda: workbook_import(actor=admin, data=data))
    assert len(result.created) == len(rows)
    reimport_seconds, again = timed(lambda: workbook_import(actor=admin, data=data), repeat=3)
    assert len(again.unchanged) == len(rows) and ServiceItem.objects.count() == len(rows)
    assert ItemDraft.objects.filter(revision=1).count() == len(rows)

    n = len(rows)
    print(f"Yiwang 事项 workbook import — {connection.vendor}, Python {sys.version.split()[0]}")
    print(
        f"{n} items, {len(codes)} catalog entries ({setup_seconds:.1f} s to create), workbook "
        f"{len(data) / 1e6:.2f} MB, {cells:,} cells; written by workbook_write in {write_seconds:.2f} s"
    )
    print(f"{'measured':<52}{'seconds':>9}{'items/s':>10}{'× baseline':>12}")
    for name, seconds in (
        ("baseline: openpyxl read-only, iterate every row", baseline_seconds),
        ("workbook_parse (read + every check)", parse_seconds),
        ("workbook_import, first (creates every item)", import_seconds),
        ("workbook_import, same file again (all unchanged)", reimport_seconds),
    ):
        print(f"{name:<52}{seconds:>9.2f}{n / seconds:>10.0f}{seconds / baseline_seconds:>11.2f}×")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
