#!/usr/bin/env python3
"""Case life cycle: N cases through submit → accept → review → decide → close via ``cases.services``,
beside two baselines measured in the same run on the same database:

(a) SpiffWorkflow (PyPI ``spiffworkflow``) running ``bench/case_process.bpmn`` — three user tasks 受理、审核、
    决定 — with its serialized state (JSON) written to a table of the same database after every step, one
    transaction per step (create, then one per task: lock the row, load, run the task, save);
(b) a floor: the very statements our services issued for one case (captured with an execute wrapper,
    parameters included), replayed for each case through the raw DB-API cursor, in the same transactions,
    with only the ids, the case number and the idempotency key remapped. It is what the database work alone
    costs; no ORM, no Python rules.

Targets: ours ≥ 3× SpiffWorkflow, ours ≥ 50 % of the floor (cases/s). When ours misses one, the script
profiles the services (cProfile) and prints where the time goes.

    .venv/bin/python bench/lifecycle.py                 # SQLite, then a throw-away PostgreSQL
    .venv/bin/python bench/lifecycle.py --cases 1000 --db sqlite
    YIWANG_BENCH_CASES=100 .venv/bin/python bench/lifecycle.py --profile
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EXPLICIT_DATABASE = "DATABASE_URL" in os.environ  # read before _cases_setup sets a default
sys.path.insert(0, str(Path(__file__).resolve().parent))
import _cases_setup as cs  # noqa: E402

BPMN = Path(__file__).resolve().parent / "case_process.bpmn"
ROUNDS = 5  # the contenders alternate in rounds, so a busy neighbour slows all of them alike
SPIFF_TABLE = "bench_spiff_workflow"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=int(os.environ.get("YIWANG_BENCH_CASES", "300")))
    parser.add_argument("--db", choices=["sqlite", "postgres"], help="one database only (default: both)")
    parser.add_argument("--profile", action="store_true", help="profile the services even when on target")
    return parser.parse_args(argv)


# --- (b) the floor: capture one case's SQL, replay it through the raw cursor ----------------------------


@dataclass
class Statement:
    sql: str
    params: Any
    many: bool
    table: str = ""  # the table of an INSERT
    returning: bool = False
    patches: list[tuple[tuple[int, ...], str, Any]] = field(default_factory=list)  # (position, kind, original)


@dataclass
class Plan:
    transactions: list[tuple[bool, list[Statement]]]  # (atomic?, statements) in order
    bases: dict[str, int]  # table → the id just before the captured case's rows
    number: str  # the captured case's number and idempotency key (unique: remapped per replay)
    key: str
    prefix: str

    @property
    def statements(self) -> int:
        return sum(len(s) for _, s in self.transactions)


class Recorder:
    """``connection.execute_wrapper``: every statement with its parameters and the transaction it ran in."""

    def __init__(self) -> None:
        self.rows: list[tuple[Any, Statement]] = []

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        from django.db import connection

        if not sql.lstrip().upper().startswith("BEGIN"):  # the floor opens its transactions itself
            owner = connection.atomic_blocks[0] if connection.atomic_blocks else None
            self.rows.append((owner, Statement(sql, params, many)))
        return execute(sql, params, many, context)


def dbapi_sql(sql: str) -> str:
    """``sql`` in the DB-API parameter style of the connection (sqlite3 wants ``?``, psycopg ``%s``)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return sql
    from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX

    return FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")


def _id_tables() -> list[tuple[str, bool]]:
    """Tables with an integer id: (name, 64-bit?)."""
    from django.apps import apps
    from django.db import models

    return sorted(
        {
            (m._meta.db_table, isinstance(m._meta.pk, models.BigAutoField))
            for m in apps.get_models(include_auto_created=True)
            if isinstance(m._meta.pk, models.AutoField | models.BigAutoField) and m._meta.managed
        }
    )


def _move_sequences(tables: list[tuple[str, bool]]) -> dict[str, int]:
    """Give each table's next id a distinctive range, so a captured id can only mean one row."""
    from django.db import connection

    bases = {}
    with connection.cursor() as cursor:
        for index, (table, big) in enumerate(tables):
            base = (index + 1) * 10**12 if big else 10**9 + index * 10**7  # 32-bit ids stay below 2^31
            if connection.vendor == "postgresql":
                cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, base])
            else:
                cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
                cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, base])
            bases[table] = base
    return bases


def _walk(params: Any, path: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...], Any]]:
    if isinstance(params, list | tuple):
        for index, value in enumerate(params):
            yield from _walk(value, (*path, index))
    else:
        yield path, params


def capture(stage: cs.Stage) -> Plan:
    from django.db import connection

    from yiwang.cases.models import Case

    tables = _id_tables()
    bases = _move_sequences(tables)
    recorder = Recorder()
    with connection.execute_wrapper(recorder):
        case_id = cs.case_through_services(stage, "capture-key-7f3e")
    case = Case.objects.get(pk=case_id)
    ids: set[int] = set()
    with connection.cursor() as cursor:
        for table, base in bases.items():
            cursor.execute(f'SELECT id FROM "{table}" WHERE id > %s', [base])  # noqa: S608 — our table names
            ids.update(row[0] for row in cursor.fetchall())
    texts = {str(i) for i in ids}
    transactions: list[tuple[bool, list[Statement]]] = []
    last_owner: Any = object()
    for owner, statement in recorder.rows:
        found = re.match(r'\s*INSERT\s+(?:OR\s+\w+\s+)?INTO "?(\w+)"?', statement.sql)  # also INSERT OR IGNORE
        statement.table = found.group(1) if found else ""
        statement.returning = " RETURNING " in statement.sql.upper()
        for path, value in _walk(statement.params):
            if type(value) is int and value in ids:
                statement.patches.append((path, "id", value))
            elif isinstance(value, str):
                if value in texts:
                    statement.patches.append((path, "id-text", value))
                elif case.number in value or case.idempotency_key in value:
                    statement.patches.append((path, "text", value))
        statement.sql = dbapi_sql(statement.sql)
        if owner is None or owner is not last_owner:
            transactions.append((owner is not None, [statement]))
        else:
            transactions[-1][1].append(statement)
        last_owner = owner
    return Plan(transactions, bases, case.number, case.idempotency_key, case.number[:-4])


def _patched(params: Any, patches: list[tuple[tuple[int, ...], str, Any]], ids: dict[int, int], texts: dict[str, str]):
    if not patches:
        return params
    params = [list(p) if isinstance(p, list | tuple) else p for p in params]
    for path, kind, original in patches:
        if kind == "id":
            value: Any = ids[original]
        elif kind == "id-text":
            value = str(ids[int(original)])
        else:
            value = original
            for old, new in texts.items():
                value = value.replace(old, new)
        target = params
        for index in path[:-1]:
            target = target[index]
        target[path[-1]] = value
    return params


def replay(plan: Plan, serial: int) -> None:
    """One case: the captured statements, in their transactions, through the DB-API cursor."""
    from django.db import connection, transaction

    connection.ensure_connection()
    raw = connection.connection
    ids: dict[int, int] = {}
    texts = {plan.key: f"floor-{serial}"}
    inserted: dict[str, int] = defaultdict(int)
    for atomic, statements in plan.transactions:
        with transaction.atomic() if atomic else nullcontext():
            cursor = raw.cursor()
            for s in statements:
                params = _patched(s.params, s.patches, ids, texts)
                if s.many:
                    cursor.executemany(s.sql, params)
                elif params is None:
                    cursor.execute(s.sql)
                else:
                    cursor.execute(s.sql, params)
                if s.table == "cases_casenumbercounter":
                    texts[plan.number] = f"{plan.prefix}{cursor.fetchone()[0]:04d}"
                elif s.returning and s.table:
                    for new_id, *_ in cursor.fetchall():
                        inserted[s.table] += 1
                        ids[plan.bases[s.table] + inserted[s.table]] = new_id
                elif s.table:
                    inserted[s.table] += max(cursor.rowcount, 0)
                elif cursor.description is not None:
                    cursor.fetchall()
            cursor.close()


# --- (a) SpiffWorkflow ---------------------------------------------------------------------------------


class Spiff:
    def __init__(self) -> None:
        from django.db import connection
        from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
        from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
        from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

        parser = SpiffBpmnParser()
        parser.add_bpmn_file(str(BPMN))
        self.spec = parser.get_spec("case_process")
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
        lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""  # SQLite: BEGIN IMMEDIATE locks
        self.insert = dbapi_sql(f"INSERT INTO {SPIFF_TABLE} (state) VALUES (%s) RETURNING id")  # noqa: S608
        self.select = dbapi_sql(f"SELECT state FROM {SPIFF_TABLE} WHERE id = %s{lock}")  # noqa: S608
        self.update = dbapi_sql(f"UPDATE {SPIFF_TABLE} SET state = %s WHERE id = %s")  # noqa: S608
        key = "bigserial PRIMARY KEY" if connection.vendor == "postgresql" else "integer PRIMARY KEY AUTOINCREMENT"
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {SPIFF_TABLE} (id {key}, state text NOT NULL)")
        self.size = 0

    def case(self, serial: int) -> None:
        from django.db import connection, transaction
        from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
        from SpiffWorkflow.util.task import TaskState

        connection.ensure_connection()
        raw = connection.connection
        with transaction.atomic():
            workflow = BpmnWorkflow(self.spec)
            workflow.data.update({"form": cs.FORM, "applicant": "citizen_owner", "key": f"spiff-{serial}"})
            workflow.do_engine_steps()
            cursor = raw.cursor()
            cursor.execute(self.insert, [self.serializer.serialize_json(workflow)])
            row_id = cursor.fetchone()[0]
        for task_name, actor, data in (
            ("accept", "clerk_a", {"mode": "normal"}),
            ("review", "approver_a", {"opinion": "材料齐全，符合条件"}),
            ("decide", "approver_a", {"decision": "approve", "reason": "符合法定条件、标准，准予"}),
        ):
            with transaction.atomic():
                cursor = raw.cursor()
                cursor.execute(self.select, [row_id])
                workflow = self.serializer.deserialize_json(cursor.fetchone()[0])
                task = workflow.get_next_task(state=TaskState.READY, manual=True)
                assert task is not None and task.task_spec.bpmn_id == task_name
                task.data.update({"actor": actor, **data})
                task.run()
                workflow.do_engine_steps()
                state = self.serializer.serialize_json(workflow)
                cursor.execute(self.update, [state, row_id])
        assert workflow.is_completed()
        self.size = len(state)


# --- measuring -------------------------------------------------------------------------------------------


def alternate(contenders: dict[str, Callable[[int], Any]], n: int) -> dict[str, float]:
    """Seconds per case of each contender: ``n`` cases each, in ``ROUNDS`` alternating rounds."""
    spent = dict.fromkeys(contenders, 0.0)
    done = dict.fromkeys(contenders, 0)
    for round_ in range(ROUNDS):
        for name, run in contenders.items():
            chunk = n // ROUNDS + (1 if round_ < n % ROUNDS else 0)
            start = time.perf_counter()
            for _ in range(chunk):
                run(done[name])
                done[name] += 1
            spent[name] += time.perf_counter() - start
    return {name: spent[name] / done[name] for name in contenders}


@contextmanager
def counting() -> Iterator[list[int]]:
    from django.db import connection

    count = [0]

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield count


LAYERS = (  # own time of functions, by where they live (first match wins)
    (
        "database driver (SQL execution, commit)",
        ("sqlite3", "psycopg", "CursorWrapper.execute", "{method 'execute", "{method 'fetch", "{method 'commit"),
    ),
    ("Django ORM: SQL compiler", ("django/db/models/sql",)),
    ("Django ORM: querysets, models, fields", ("django/db/models",)),
    ("Django DB backend, transactions", ("django/db/",)),
    ("other Django (utils, signals)", ("django/",)),
    ("yiwang code", ("yiwang/",)),
    ("builtins and stdlib (mostly called by the ORM)", ("~:", "python3.11/")),
)
PARTS = (  # cumulative time inside functions of the services, per case (parts may nest in one another)
    ("_lock: SELECT … FOR UPDATE, 3 joins", [("cases/services.py", "_lock")]),
    ("permission checks", [("cases/services.py", "_staff_may"), ("cases/services.py", "_handles")]),
    ("  of which scopes_for (a query per user)", [("accounts/permissions.py", "scopes_for")]),
    ("_event: CaseEvent, audit row, case update", [("cases/services.py", "_event")]),
    ("_notice: COUNT + CaseNotice", [("cases/services.py", "_notice")]),
    ("case_number_next (upsert)", [("cases/services.py", "case_number_next")]),
    ("on commit: SMS notice (notify)", [("cases/notify.py", "case_notice_sent")]),
    ("on commit: result hook (results)", [("cases/results.py", "case_results_issue")]),
    ("form encryption", [("core/crypto.py", "encrypt")]),
)


def profile(stage: cs.Stage, n: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(n):
        cs.case_through_services(stage, f"profile-{i}")
    profiler.disable()
    stats = pstats.Stats(profiler)
    entries = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in entries.values())
    layers: dict[str, float] = defaultdict(float)
    for (filename, _, name), entry in entries.items():
        where = f"{filename}:{name}"
        label = next((label for label, keys in LAYERS if any(k in where for k in keys)), "other Python")
        layers[label] += entry[2]
    print(f"  profile of ours over {n} cases ({total / n * 1e3:.1f} ms/case under cProfile), own time by layer:")
    for label, seconds in sorted(layers.items(), key=lambda kv: -kv[1]):
        print(f"    {label:<44}{seconds / n * 1e3:>8.2f} ms/case {seconds / total:>6.1%}")
    print("  cumulative time in parts of the services (may overlap):")
    for label, functions in PARTS:
        seconds = sum(e[3] for (f, _, fn), e in entries.items() if (f.split("src/yiwang/")[-1], fn) in functions)
        print(f"    {label:<44}{seconds / n * 1e3:>8.2f} ms/case {seconds / total:>6.1%}")
    print("  top functions by own time:")
    stats.sort_stats("tottime").print_stats(10)


def run(args: argparse.Namespace) -> None:
    cs.setup_django()
    from django.db import connection

    from yiwang.cases.models import Case, CaseEvent

    n = args.cases
    stage = cs.build_stage()
    spiff = Spiff()
    for i in range(10):  # warm-up: imports, calendar index, keys, the number counter row
        cs.case_through_services(stage, f"warm-{i}")
        spiff.case(-1 - i)
    plan = capture(stage)
    with counting() as count:
        cs.case_through_services(stage, "count-key")
    per_case = count[0]
    replay(plan, -1)  # warm-up of the floor, and a check of it below
    cases_before, events_before = Case.objects.count(), CaseEvent.objects.count()

    seconds = alternate(
        {
            "ours": lambda i: cs.case_through_services(stage, f"ours-{i}"),
            "floor": lambda i: replay(plan, i),
            "spiff": spiff.case,
        },
        n,
    )

    closed = Case.objects.filter(number__startswith=plan.prefix, state="closed")
    assert Case.objects.count() - cases_before == 2 * n, "ours and the floor each made n cases"
    assert CaseEvent.objects.count() - events_before == 2 * n * 5, "five events per case"
    assert closed.filter(idempotency_key__startswith="floor-").count() == n + 1  # with the check replay

    ours, floor, spiff_s = (seconds[k] for k in ("ours", "floor", "spiff"))
    print(f"Case life cycle — {connection.vendor}, {n} cases each, Python {sys.version.split()[0]}")
    print(f"{'':<44}{'cases/s':>9}{'ms/case':>9}{'statements':>12}{'transactions':>14}")
    atomic = sum(1 for a, _ in plan.transactions if a)
    print(f"{'ours: cases.services (5 calls)':<44}{1 / ours:>9.1f}{ours * 1e3:>9.2f}{per_case:>12}{atomic:>14}")
    print(
        f"{'floor: same SQL, raw DB-API cursor':<44}{1 / floor:>9.1f}{floor * 1e3:>9.2f}"
        f"{plan.statements:>12}{len(plan.transactions):>14}"
    )
    print(
        f"{'SpiffWorkflow 3 user tasks, state in DB':<44}{1 / spiff_s:>9.1f}{spiff_s * 1e3:>9.2f}{8:>12}{4:>14}"
        f"   (state JSON {spiff.size / 1024:.1f} KiB)"
    )
    vs_spiff, vs_floor = spiff_s / ours, floor / ours
    print(
        f"ours / SpiffWorkflow = {vs_spiff:.2f}× (target ≥ 3×: {'met' if vs_spiff >= 3 else 'MISSED'});  "
        f"ours / floor = {vs_floor:.0%} (target ≥ 50 %: {'met' if vs_floor >= 0.5 else 'MISSED'})"
    )
    if args.profile or vs_spiff < 3 or vs_floor < 0.5:
        profile(stage, min(n, 100))


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.db is None and not EXPLICIT_DATABASE:
        rest = [a for a in argv if a != "--db"]
        code = subprocess.run([sys.executable, __file__, "--db", "sqlite", *rest], check=False).returncode
        return code or cs.rerun_under_postgres(__file__, ["--db", "postgres", *rest])
    if args.db == "postgres" and not cs.on_postgres():
        return cs.rerun_under_postgres(__file__, argv)
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
