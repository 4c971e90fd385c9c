"""The platform's clock: one function to read the time, so tests can move it.

Code with time limits (验证码 expiry, resend intervals, authorisation expiry) calls ``clock.now()``
instead of ``timezone.now()``; a test sets ``monkeypatch.setattr(clock, "now", ...)`` and every such limit
sees the same moment, without a time-freezing library patching the whole interpreter.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    """The current time, aware, in UTC."""
    return timezone.now()
