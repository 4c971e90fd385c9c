"""Shared set-up of the cases benchmarks (``bench/lifecycle.py``, ``bench/submit_http.py``, ``bench/lights.py``).

Import this module before anything from Django: it puts ``src`` on the path, sets the production-like
environment of the test suite (``yiwang.testing.pytest_plugin``) and a throw-away SQLite database unless
``DATABASE_URL`` is given. ``setup_django()`` then configures Django.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
import yiwang.testing.pytest_plugin  # noqa: E402, F401 — sets a production-like environment

os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp(prefix='yiwang-bench-')}/bench.sqlite3")

MONDAY = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai, a working Monday
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def on_postgres() -> bool:
    return os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://"))


def rerun_under_postgres(script: str, argv: list[str]) -> int:
    """Run ``script`` again against a throw-away PostgreSQL server (``tools/with_postgres.py``)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    command = [sys.executable, str(ROOT / "tools" / "with_postgres.py"), sys.executable, script, *argv]
    return subprocess.run(command, env=env, check=False).returncode


def setup_django(*, freeze_clock: bool = True, fast_hasher: bool = True) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    if fast_hasher:  # set-up speed only: users are created, password hashing is never measured
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)
    if freeze_clock:
        from yiwang.core import clock

        clock.now = lambda: MONDAY  # the working-day calendar covers it; every run computes the same dates


@dataclass
class Stage:
    """The world of one benchmark: personas, a published item, the applicant's uploads."""

    world: Any
    item: Any
    citizen: Any
    clerk: Any
    approver: Any
    uploads: dict[str, list[int]]


def build_stage() -> Stage:
    from yiwang.files.services import upload_create
    from yiwang.testing.cases import published_item
    from yiwang.testing.world import build_world

    world = build_world()
    item = published_item(world.dept_a_market)
    citizen = world.users["citizen_owner"]
    uploads = {
        code: [upload_create(actor=citizen, name=f"{code}.pdf", data=PDF + code.encode()).pk]
        for code in ("premises", "photo")
    }
    return Stage(world, item, citizen, world.users["clerk_a"], world.users["approver_a"], uploads)


FORM = {"applicant_name": "测试群众甲", "shop_name": "基准小吃店", "scope": "餐饮", "capital": 5}


PHASES = ("submit", "accept", "review", "decide", "close")


def _fresh(user: Any) -> Any:
    """Each call stands for one request: the user's permission scopes are read again, as they would be."""
    user.__dict__.pop("_yiwang_scopes", None)
    user.__dict__.pop("_yiwang_scope_departments", None)
    return user


def case_through_services(
    stage: Stage, key: str, *, around: Callable[[str], AbstractContextManager[Any]] = lambda phase: nullcontext()
) -> int:
    """One case, submit → accept → review → decide → close (统一窗口出件), one service call (and one
    transaction) per phase. ``around(phase)`` wraps each phase (capturing its SQL, for instance)."""
    from yiwang.cases import services
    from yiwang.cases.choices import AcceptMode, Decision, DeliveryMethod, StepState
    from yiwang.cases.models import CaseStep

    with around("submit"):
        case = services.case_submit(
            actor=_fresh(stage.citizen),
            item_id=stage.item.pk,
            form=FORM,
            materials=stage.uploads,
            idempotency_key=key,
            delivery_method=DeliveryMethod.PICKUP,
            pickup_window_id=stage.world.window_a1.pk,
        )
    with around("accept"):
        services.case_accept(actor=_fresh(stage.clerk), case_id=case.pk, mode=AcceptMode.NORMAL)
    with around("review"):
        # The work list gives the step; here it costs one query, counted with the phase.
        review = CaseStep.objects.filter(case_id=case.pk, state=StepState.OPEN).values_list("pk", flat=True).get()
        services.case_step_complete(
            actor=_fresh(stage.approver), case_id=case.pk, step_id=review, opinion="材料齐全，符合条件"
        )
    with around("decide"):
        services.case_decide(actor=_fresh(stage.approver), case_id=case.pk, decision=Decision.APPROVE, reason="")
    with around("close"):
        services.case_close(actor=_fresh(stage.clerk), case_id=case.pk, pickup_code=case.pickup_code)
    return case.pk


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def median(values: list[float]) -> float:
    return statistics.median(values)
