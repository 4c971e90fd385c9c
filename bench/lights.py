#!/usr/bin/env python3
"""Lights of a million open cases on PostgreSQL: ``selectors.light_counts`` (by department and in all) and
the 黄灯 / 红灯 queue counts of the workbench, each timed (target < 1 s) with its EXPLAIN ANALYZE summary.

The cases are inserted in bulk (``INSERT … SELECT`` over ``generate_series``, copying one real case made
through the services): 60 departments with a skewed spread (a few large bureaus, many small ones), 80 % in
handling and the rest waiting for acceptance, in 补正 or decided; promised dates from 3 days overdue to five
weeks ahead, 3 % paused by a 特别程序. Today is the benchmark's frozen Monday (2 March 2026).

    .venv/bin/python bench/lights.py                      # 1,000,000 cases, on a throw-away PostgreSQL
    .venv/bin/python bench/lights.py --cases 100000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

EXPLICIT_DATABASE = "DATABASE_URL" in os.environ  # read before _cases_setup sets a default
sys.path.insert(0, str(Path(__file__).resolve().parent))
import _cases_setup as cs  # noqa: E402

DEPARTMENTS = 60
BATCH = 200_000
TARGET_SECONDS = 1.0


def make_departments(world: Any) -> list[int]:
    from yiwang.core.identifiers import make_uscc
    from yiwang.regions.services import department_create

    regions = [world.county_a, world.county_b, world.city]
    ids = [world.dept_a_market.pk, world.dept_a_admin.pk, world.dept_b_admin.pk]
    for i in range(DEPARTMENTS - len(ids)):
        region = regions[i % len(regions)]
        department = department_create(
            actor=None,
            name=f"基准部门{i:02d}",
            uscc=make_uscc("11", region.code[:6], f"B{i:07d}"),
            region=region,
        )
        ids.append(department.pk)
    return ids


def populate(total: int, template_id: int, departments: list[int], today: dt.date) -> float:
    """``total`` open cases copied from the template case, with their own numbers, states, dates and
    departments. Returns the seconds it took."""
    from django.db import connection, transaction

    from yiwang.cases.models import Case

    columns = [c for c in (f.column for f in Case._meta.concrete_fields) if c is not None and c != "id"]
    handling = "s.r1 < 0.80"
    dated = "s.r1 < 0.80 OR s.r1 >= 0.95"  # in handling or decided: accepted, with due dates
    promise = "(%(today)s::date + (floor(s.r2 * 38)::int - 3))"
    overrides = {
        "number": "'LX' || lpad(s.g::text, 12, '0')",
        "department_id": "(%(departments)s::bigint[])[1 + floor(power(s.r4, 1.6) * %(n_departments)s)::int]",
        "state": (
            f"CASE WHEN {handling} THEN 'handling' WHEN s.r1 < 0.90 THEN 'submitted' "
            "WHEN s.r1 < 0.95 THEN 'supplement' ELSE 'decided' END"
        ),
        "submitted_at": "%(now)s::timestamptz - make_interval(days => 1 + floor(s.r5 * 30)::int)",
        "accepted_at": f"CASE WHEN {dated} THEN %(now)s::timestamptz - interval '1 day' END",
        "promise_due": f"CASE WHEN {dated} THEN {promise} END",
        "legal_due": f"CASE WHEN {dated} THEN {promise} + 15 END",
        "warn_on": f"CASE WHEN {dated} THEN {promise} - 1 END",
        "paused_since": f"CASE WHEN {handling} AND s.r3 < 0.03 THEN %(today)s::date - 5 END",
        "current_block": f"CASE WHEN {handling} THEN 2 ELSE 0 END",
        "decision": "CASE WHEN s.r1 >= 0.95 THEN 'approve' ELSE '' END",
        "decided_at": "CASE WHEN s.r1 >= 0.95 THEN %(now)s::timestamptz END",
        "idempotency_key": "''",
        "closed_at": "NULL",
    }
    expressions = ", ".join(overrides.get(c, f't."{c}"') for c in columns)
    sql = (
        f"INSERT INTO cases_case ({', '.join(connection.ops.quote_name(c) for c in columns)}) "  # noqa: S608
        f"SELECT {expressions} FROM (SELECT g, random() AS r1, random() AS r2, random() AS r3, random() AS r4, "
        "random() AS r5 FROM generate_series(%(first)s, %(last)s) AS g) AS s "
        "CROSS JOIN cases_case AS t WHERE t.id = %(template)s"
    )
    now = dt.datetime.combine(today, dt.time(10), tzinfo=dt.UTC)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.2026)")
        for first in range(1, total + 1, BATCH):
            last = min(first + BATCH - 1, total)
            with transaction.atomic():
                cursor.execute(
                    sql,
                    {
                        "today": today,
                        "now": now,
                        "departments": departments,
                        "n_departments": len(departments),
                        "first": first,
                        "last": last,
                        "template": template_id,
                    },
                )
            print(f"  inserted {last:>9,} cases ({time.perf_counter() - started:.0f} s)", flush=True)
        cursor.execute("VACUUM ANALYZE cases_case")
    return time.perf_counter() - started


def timed(call: Callable[[], Any], repeat: int = 3) -> tuple[float, Any, list[tuple[str, Any]]]:
    """Median seconds over ``repeat`` calls after a warm-up call, the result, and the SQL it ran."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        result = call()
    statements = [(q["sql"], None) for q in captured.captured_queries]
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), result, statements


def explain(sql: str) -> list[str]:
    """The plan's node lines (trimmed) and its planning and execution times."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        lines = [row[0] for row in cursor.fetchall()]
    keep = [
        line
        for line in lines
        if "->" in line or line.startswith(("Planning Time", "Execution Time")) or line == lines[0]
    ]
    return [line if len(line) <= 150 else line[:147] + "…" for line in keep]


def run(total: int) -> None:
    cs.setup_django()
    from django.db import connection

    from yiwang.cases import selectors, services
    from yiwang.cases.choices import AcceptMode, CaseState
    from yiwang.cases.models import Case

    stage = cs.build_stage()
    departments = make_departments(stage.world)
    template = services.case_submit(
        actor=stage.citizen, item_id=stage.item.pk, form=cs.FORM, materials=stage.uploads, idempotency_key="tpl"
    )
    services.case_accept(actor=stage.clerk, case_id=template.pk, mode=AcceptMode.NORMAL)
    today = selectors.today()
    print(f"Lights of {total:,} open cases — PostgreSQL, {DEPARTMENTS} departments, today {today}")
    seconds = populate(total, template.pk, departments, today)
    handling = Case.objects.filter(state=CaseState.HANDLING).count()
    print(f"  {total:,} cases in {seconds:.0f} s ({total / seconds:,.0f}/s), {handling:,} in handling")

    supervisor, approver = stage.world.users["supervisor"], stage.world.users["approver_a"]
    checks: list[tuple[str, Callable[[], Any]]] = [
        (
            "light_counts(all cases, by_department=True)",
            lambda: selectors.light_counts(Case.objects.all(), on=today, by_department=True),
        ),
        ("light_counts(all cases)", lambda: selectors.light_counts(Case.objects.all(), on=today)),
        (
            "light_counts(supervisor's scope, by_department)",
            lambda: selectors.light_counts(
                selectors.case_list_for_staff(user=supervisor), on=today, by_department=True
            ),
        ),
        ("queue(supervisor, 'red').count()", lambda: selectors.queue(user=supervisor, name="red", on=today).count()),
        (
            "queue(supervisor, 'yellow').count()",
            lambda: selectors.queue(user=supervisor, name="yellow", on=today).count(),
        ),
        (
            "queue(approver of one bureau, 'red').count()",
            lambda: selectors.queue(user=approver, name="red", on=today).count(),
        ),
        (
            "queue(approver of one bureau, 'yellow').count()",
            lambda: selectors.queue(user=approver, name="yellow", on=today).count(),
        ),
    ]
    results = []
    for label, call in checks:
        median, result, statements = timed(call)
        results.append((label, median, result, statements))
    print(f"{'measured (median of 3, warm)':<52}{'seconds':>9}  result")
    for label, median, result, _ in results:
        if isinstance(result, list):
            shown = f"{len(result)} rows" if len(result) > 3 else str({r["light"]: r["n"] for r in result})
        else:
            shown = f"{result:,}"
        flag = "" if median < TARGET_SECONDS else "   ← over the 1 s target"
        print(f"{label:<52}{median:>9.3f}  {shown}{flag}")
    slowest = max(median for _, median, _, _ in results)
    print(
        f"slowest: {slowest:.3f} s (target < {TARGET_SECONDS:.0f} s: {'met' if slowest < TARGET_SECONDS else 'MISSED'})"
    )
    by_light: dict[str, int] = {}
    for row in results[1][2]:
        by_light[row["light"]] = row["n"]
    print(f"lights of the cases in handling: {by_light}")
    print()
    for label, _, _, statements in results:
        print(f"EXPLAIN ANALYZE — {label}")
        for sql, _ in statements:
            for line in explain(sql):
                print(f"    {line}")
    connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=int(os.environ.get("YIWANG_BENCH_LIGHTS_CASES", "1000000")))
    args = parser.parse_args()
    if not cs.on_postgres():
        if EXPLICIT_DATABASE:
            sys.exit("bench/lights.py measures PostgreSQL: unset DATABASE_URL or point it at PostgreSQL")
        return cs.rerun_under_postgres(__file__, sys.argv[1:])
    run(args.cases)
    return 0


if __name__ == "__main__":
    sys.exit(main())
