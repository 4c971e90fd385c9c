#!/usr/bin/env python3
"""Foundation benchmarks (`make bench`). Every figure is a ratio against a baseline measured in the same
run on the same database, so machines of different speed still compare.

1. API endpoint (django-ninja + schema) vs a bare Django view returning the same JSON.
2. Audit ``record()`` vs a plain ORM insert of a row of the same shape.
3. ID-number lookup through the blind index (validate + HMAC + indexed query) vs a plain unique-index lookup.
4. ``audit_seal`` (hash chain) vs bulk-updating the same columns without hashing.
5. Person page render with the audit write vs the same query without it.
6. Due dates by ``add_workdays`` (working-day index) vs a day-by-day loop over ``chinese_calendar.is_workday``
   (``bench/workdays.py``; the loop on a 2,000-pair sample).
7. Case life cycle through the services vs SpiffWorkflow (same three user tasks, state serialised to the same
   database) and vs a floor of the same SQL through the raw cursor (``bench/lifecycle.py``).
8. The submit endpoint under 32 concurrent clients vs a bare Django view on the same server
   (``bench/submit_http.py``): requests/s ratio, p50 and p99.
9. Lights over 1,000,000 open cases on PostgreSQL: counts by light and department (``bench/lights.py``).
10. Licences issued per second (render + PAdES + SM2 + store) vs pyHanko signing an already rendered face, and
    public verifications per second (``bench/licenses.py``).

Set DATABASE_URL to measure PostgreSQL (``python tools/with_postgres.py python bench/run.py``).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
# The database the caller chose, if any (without one, the cases benchmarks pick their own databases).
os.environ.setdefault("YIWANG_BENCH_GIVEN_DATABASE_URL", os.environ.get("DATABASE_URL", ""))
import yiwang.testing.pytest_plugin  # noqa: F401 — sets a production-like environment

os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp(prefix='yiwang-bench-')}/bench.sqlite3")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import path  # noqa: E402


def measure(fn: Callable[[], object], *, number: int, repeat: int = 5) -> float:
    """Median seconds per call over ``repeat`` rounds of ``number`` calls, after one warm-up round."""
    for _ in range(max(1, number // 10)):
        fn()
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        rounds.append((time.perf_counter() - start) / number)
    return statistics.median(rounds)


def bare_departments(request):  # the baseline: hand-written view, same query, same JSON
    from yiwang.regions.models import Department

    rows = Department.objects.filter(is_active=True).select_related("region")
    data = [
        {
            "id": d.pk,
            "name": d.name,
            "short_name": d.short_name,
            "uscc": d.uscc,
            "kind": d.kind,
            "region_code": d.region.code,
            "phone": d.phone,
        }
        for d in rows
    ]
    return JsonResponse(data, safe=False)


def main() -> None:
    call_command("migrate", verbosity=0)
    from yiwang.accounts.models import NaturalPerson
    from yiwang.accounts.selectors import person_find_by_id_number, person_get_for_user
    from yiwang.audit.models import AuditEvent
    from yiwang.audit.services import audit_seal, record
    from yiwang.regions.demo import demo_load
    from yiwang.regions.models import Department

    started = time.perf_counter()
    demo = demo_load()
    demo_seconds = time.perf_counter() - started
    from yiwang.accounts.models import User

    clerk = User.objects.get(username="clerk")
    person = NaturalPerson.objects.restrict(clerk, "person.view").first()
    assert person is not None
    from yiwang.accounts.services import ID_NUMBER_CONTEXT
    from yiwang.core import crypto

    id_number = crypto.decrypt(person.id_number_cipher, context=ID_NUMBER_CONTEXT)
    department = Department.objects.first()
    assert department is not None
    results: list[tuple[str, float, str, float]] = []

    # 1. API endpoint vs bare view
    import yiwang.urls as project_urls

    class BenchUrls:
        urlpatterns = [path("bare/departments", bare_departments), *project_urls.urlpatterns]

    with override_settings(ROOT_URLCONF=BenchUrls):
        client = Client()
        assert client.get("/api/v1/regions/departments").json() == client.get("/bare/departments").json()
        ours = measure(lambda: client.get("/api/v1/regions/departments"), number=50)
        bare = measure(lambda: client.get("/bare/departments"), number=50)
    results.append((f"GET departments ({Department.objects.count()} rows) ninja", ours, "bare Django view", bare))

    # 2. audit record vs plain insert
    ours = measure(
        lambda: record(actor=clerk, action="bench.write", target=department, changes={"a": [1, 2]}), number=300
    )
    plain = measure(
        lambda: AuditEvent.objects.create(action="bench.plain", object_type="x", object_id="1", changes={"a": [1, 2]}),
        number=300,
    )
    results.append(("audit record()", ours, "plain ORM insert", plain))

    # 3. blind-index lookup vs plain unique lookup
    ours = measure(lambda: person_find_by_id_number(user=clerk, id_number=id_number), number=300)
    plain = measure(lambda: Department.objects.filter(uscc=department.uscc).first(), number=300)
    results.append(("find person by ID (blind index + audit)", ours, "plain unique-index lookup", plain))

    # 4. seal vs bulk update without hashing
    unsealed = AuditEvent.objects.filter(seq__isnull=True).count()
    start = time.perf_counter()
    sealed = audit_seal()
    seal_seconds = (time.perf_counter() - start) / max(sealed, 1)
    for i in range(unsealed):
        AuditEvent.objects.create(action="bench.baseline", object_id=str(i))
    rows = list(AuditEvent.objects.filter(seq__isnull=True))
    table = AuditEvent._meta.db_table
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET seq = %s, prev_hash = %s, hash = %s WHERE id = %s",  # noqa: S608
            [(10_000_000 + i, "0" * 64, "0" * 64, row.pk) for i, row in enumerate(rows)],
        )
    plain = (time.perf_counter() - start) / max(len(rows), 1)
    results.append((f"audit_seal ({sealed} rows, per row)", seal_seconds, "same UPDATEs without hashing", plain))

    # 5. person page selector with access audit vs bare query
    ours = measure(lambda: person_get_for_user(user=clerk, person_id=person.pk), number=300)
    plain = measure(lambda: NaturalPerson.objects.select_related("region").filter(pk=person.pk).first(), number=300)
    results.append(("person_get_for_user (scoped + audit)", ours, "bare get by pk", plain))

    print(f"Yiwang foundation benchmarks — {connection.vendor}, Python {sys.version.split()[0]}")
    print(f"demo_load: {demo.regions} regions, {demo.departments} departments in {demo_seconds:.2f} s")
    print(f"{'measured':<44}{'ours':>12}  {'baseline':<30}{'baseline':>12}{'ratio':>8}")
    for name, ours_s, base_name, base_s in results:
        print(f"{name:<44}{ours_s * 1e6:>10.0f}µs  {base_name:<30}{base_s * 1e6:>10.0f}µs{ours_s / base_s:>7.2f}×")

    import workdays as workdays_bench  # bench/workdays.py (this folder is on sys.path)

    print()
    workdays_bench.run(pairs=100_000, loop_pairs=2_000)


def cases_benchmarks() -> None:
    """The cases benchmarks (issue 5), each in its own process: they start servers and databases of their own
    (lifecycle: SQLite then PostgreSQL; submit_http: a server; lights: 1,000,000 cases on PostgreSQL)."""
    import subprocess

    given = os.environ["YIWANG_BENCH_GIVEN_DATABASE_URL"]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | ({"DATABASE_URL": given} if given else {})
    for script in ("lifecycle.py", "submit_http.py", "lights.py", "licenses.py"):
        print(flush=True)
        subprocess.run([sys.executable, str(Path(__file__).resolve().parent / script)], env=env, check=True)


if __name__ == "__main__":
    main()
    cases_benchmarks()
