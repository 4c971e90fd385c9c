#!/usr/bin/env python3
"""Due dates for 100,000 (start, n) pairs: ``yiwang.workdays.calendar.add_workdays`` (precomputed index)
against the obvious loop — step one day at a time, ask ``chinese_calendar.is_workday`` — measured in the
same run on the same pairs; every answer of the index is checked against the loop's.

    .venv/bin/python bench/workdays.py [--pairs 100000] [--loop-pairs N]
    .venv/bin/python tools/with_postgres.py .venv/bin/python bench/workdays.py

Starts are uniform over 2025-01-01 … 2026-08-31 and n over 1 … 60 working days, so every due date lies in
the years chinesecalendar knows. ``--loop-pairs`` times the loop on the first N pairs only (the loop costs
about a millisecond a pair) and compares per pair; by default it runs on all of them. Target: ≥ 100×.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
import yiwang.testing.pytest_plugin  # noqa: F401 — production-like environment

os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp(prefix='yiwang-bench-')}/bench.sqlite3")

import django

django.setup()

import chinese_calendar  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

TARGET_RATIO = 100.0
LIB_VERSION = version("chinesecalendar")


def loop_add(start: dt.date, n: int) -> dt.date:
    """The baseline: the n-th working day after ``start``, one day at a time."""
    day, remaining = start, n
    while remaining > 0:
        day += dt.timedelta(days=1)
        if chinese_calendar.is_workday(day):
            remaining -= 1
    return day


def make_pairs(count: int, seed: int = 2026) -> list[tuple[dt.date, int]]:
    rng = random.Random(seed)
    first = dt.date(2025, 1, 1).toordinal()
    last = dt.date(2026, 8, 31).toordinal()
    return [(dt.date.fromordinal(rng.randint(first, last)), rng.randint(1, 60)) for _ in range(count)]


def run(pairs: int = 100_000, loop_pairs: int | None = None) -> tuple[float, float, float]:
    """Print the figures; return (index µs per pair, loop µs per pair, ratio)."""
    from yiwang.workdays.calendar import add_workdays, calendar_invalidate, covered_range

    call_command("migrate", verbosity=0)
    work = make_pairs(pairs)
    sample = work[: loop_pairs or pairs]

    calendar_invalidate()
    start = time.perf_counter()
    covered_range()  # builds the index (one generation read, two table reads)
    build_seconds = time.perf_counter() - start

    start = time.perf_counter()
    ours = [add_workdays(s, n) for s, n in work]
    ours_seconds = time.perf_counter() - start

    start = time.perf_counter()
    expected = [loop_add(s, n) for s, n in sample]
    loop_seconds = time.perf_counter() - start

    mismatches = sum(1 for a, b in zip(ours, expected, strict=False) if a != b)
    ours_per = ours_seconds / len(work)
    loop_per = loop_seconds / len(sample)
    ratio = loop_per / ours_per
    first, last = covered_range()
    days = last.toordinal() - first.toordinal() + 1
    print(
        f"工作日历 add_workdays — {connection.vendor}, Python {sys.version.split()[0]}, chinesecalendar {LIB_VERSION}"
    )
    print(f"index build ({first.year}–{last.year}, {days} days): {build_seconds * 1e3:.1f} ms")
    print(f"add_workdays (index)   {len(work):>7} pairs {ours_seconds:>9.3f} s {ours_per * 1e6:>9.2f} µs/pair")
    print(f"loop over is_workday   {len(sample):>7} pairs {loop_seconds:>9.3f} s {loop_per * 1e6:>9.2f} µs/pair")
    print(f"ratio {ratio:,.0f}× (target ≥ {TARGET_RATIO:.0f}×); differing from the loop: {mismatches} of {len(sample)}")
    if mismatches:
        raise SystemExit("add_workdays disagrees with the day-by-day loop")
    return ours_per, loop_per, ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--loop-pairs", type=int, default=None, help="time the loop on the first N pairs only")
    args = parser.parse_args()
    run(args.pairs, args.loop_pairs)


if __name__ == "__main__":
    main()
