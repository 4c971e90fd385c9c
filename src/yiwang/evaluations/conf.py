"""Settings of 好差评, each with a documented default.

What STANDARDS marks [U] (not verified nationally) is configuration, never a constant in the code:

- ``YIWANG_EVALUATION_CHANGE_DAYS`` (7): days after the first rating during which the citizen may change it
  (GB/T 39734 §7.2 评价时效规则 not retrieved).
- ``YIWANG_EVALUATION_RATE_DAYS`` (30): days after a service event during which it may be rated at all; the
  event then leaves the "待评价" list. Not rating is never held against anyone: no default rating exists.
- ``YIWANG_EVALUATION_RECTIFY_WORKDAYS`` (15): working days from the bad rating to the end of 整改 (Sichuan's
  local rule; Dezhou uses 5).
- ``YIWANG_EVALUATION_ESCALATE_WORKDAYS`` (5): working days past the deadline after which an overdue order is
  escalated a second time (level 2, to the supervisors).
- ``YIWANG_EVALUATION_TABLET_MINUTES`` (10): how long a clerk's "请群众评价" stays on the hall tablet.
- ``YIWANG_EVALUATION_REASONS``: the 差评 reason codes, a list of ``(code, label)``; default ``DEFAULT_REASONS``.
- ``YIWANG_EVALUATION_CHANNEL_CODES``: reporting code of each channel (``pf``); default 1–7 in the order
  GB/T 39046 lists them, consistent with Shandong's ``pf=4`` for the tablet ([D], STANDARDS §2).

Read from Django settings when set there (tests use the ``settings`` fixture), else from the environment.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings

from yiwang.env import SettingError, env_int
from yiwang.evaluations.choices import LEVEL_CODES, Channel

DEFAULT_REASONS: tuple[tuple[str, str], ...] = (
    ("attitude", "服务态度差"),
    ("slow", "办理时间长、等候时间长"),
    ("guide", "办事指南不准确、不清楚"),
    ("repeat", "多次跑动、重复提交材料"),
    ("process", "流程繁琐、要求不合理"),
    ("platform", "系统不好用、网页或设备故障"),
    ("fee", "违规收费"),
    ("other", "其他"),
)

DEFAULT_CHANNEL_CODES: dict[str, str] = {
    Channel.PC: "1",
    Channel.MOBILE: "2",
    Channel.QRCODE: "3",
    Channel.HALL_TABLET: "4",
    Channel.HALL_TERMINAL: "5",
    Channel.PHONE: "6",
    Channel.SMS: "7",
}


def _int(name: str, default: int, *, minimum: int = 0) -> int:
    value = getattr(settings, name, None)
    value = env_int(name, default) if value is None else value
    if not isinstance(value, int) or value < minimum:
        raise SettingError(f"{name}={value!r} 须为不小于 {minimum} 的整数")
    return value


def change_period() -> dt.timedelta:
    return dt.timedelta(days=_int("YIWANG_EVALUATION_CHANGE_DAYS", 7))


def rate_period() -> dt.timedelta:
    return dt.timedelta(days=_int("YIWANG_EVALUATION_RATE_DAYS", 30, minimum=1))


def rectify_workdays() -> int:
    return _int("YIWANG_EVALUATION_RECTIFY_WORKDAYS", 15, minimum=1)


def escalate_workdays() -> int:
    return _int("YIWANG_EVALUATION_ESCALATE_WORKDAYS", 5, minimum=1)


def tablet_period() -> dt.timedelta:
    return dt.timedelta(minutes=_int("YIWANG_EVALUATION_TABLET_MINUTES", 10, minimum=1))


def reasons() -> dict[str, str]:
    """差评原因: code → label, in display order."""
    raw: Any = getattr(settings, "YIWANG_EVALUATION_REASONS", None) or DEFAULT_REASONS
    try:
        out = {str(code): str(label) for code, label in raw}
    except (TypeError, ValueError) as exc:
        raise SettingError("YIWANG_EVALUATION_REASONS 须为 (代码, 名称) 的列表") from exc
    if not out:
        raise SettingError("YIWANG_EVALUATION_REASONS 不能为空")
    return out


def reason_labels(codes: list[str]) -> list[str]:
    known = reasons()
    return [known.get(code, code) for code in codes]


def channel_code(channel: str) -> str:
    codes = {**DEFAULT_CHANNEL_CODES, **(getattr(settings, "YIWANG_EVALUATION_CHANNEL_CODES", None) or {})}
    return str(codes.get(channel, ""))


def level_code(level: str) -> int:
    """好差评 reporting code: 5 = 非常满意 … 1 = 非常不满意."""
    return LEVEL_CODES[level]
