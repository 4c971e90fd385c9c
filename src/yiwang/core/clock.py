"""The platform's clock: one function to read the time, so tests can move it.

Code with time limits (验证码 expiry, resend intervals, authorisation expiry) calls ``clock.now()``
instead of ``timezone.now()``; a test sets ``monkeypatch.setattr(clock, "now", ...)`` and every such limit
sees the same moment, without a time-freezing library patching the whole interpreter.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

from django.utils import timezone


def now() -> dt.datetime:
    """The current time, aware, in UTC."""
    return timezone.now()


@contextlib.contextmanager
def travel(moment: dt.datetime) -> Iterator[None]:
    """Run a block as if it were ``moment`` — for the demo loader, which makes cases that are days old.
    Not for request handling: it replaces the module function for the whole process while it runs."""
    global now
    original = now

    def frozen() -> dt.datetime:
        return moment

    now = frozen
    try:
        yield
    finally:
        now = original
