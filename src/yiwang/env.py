"""Typed settings helpers that read the environment and fail loudly.

Every secret may also be given as ``NAME_FILE`` pointing at a file that holds it (Docker/Kubernetes
secrets); the file wins over nothing, and giving both is an error so that nobody wonders which is used.
"""

from __future__ import annotations

import os
from pathlib import Path

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingError(RuntimeError):
    """A setting is missing or malformed; the message names the variable and what to do."""


def _raw(name: str) -> str | None:
    file_var = f"{name}_FILE"
    value = os.environ.get(name)
    path = os.environ.get(file_var)
    if value is not None and path is not None:
        raise SettingError(f"{name} 与 {file_var} 只能设置其中一个 (both {name} and {file_var} are set)")
    if path is not None:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingError(f"{file_var}={path} 无法读取: {exc}") from exc
    return value


def env_str(name: str, default: str | None = None, *, required: bool = False) -> str:
    value = _raw(name)
    if value is None or value == "":
        if required or default is None:
            raise SettingError(f"环境变量 {name} 必须设置 (required setting {name} is missing); see .env.example")
        return default
    return value


def env_bool(name: str, default: bool = False) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise SettingError(f"{name}={value!r} 不是布尔值 (expected one of 1/0/true/false/yes/no/on/off)")


def env_int(name: str, default: int) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise SettingError(f"{name}={value!r} 不是整数 (expected an integer)") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_seconds(name: str, default: int, *, minimum: int = 1, maximum: int | None = None) -> int:
    """A duration in seconds within ``[minimum, maximum]``: a token lifetime of 0 or of ten years is a typo."""
    value = env_int(name, default)
    if value < minimum or (maximum is not None and value > maximum):
        upper = f"–{maximum}" if maximum is not None else " 以上"
        raise SettingError(f"{name}={value} 超出范围 (expected {minimum}{upper} seconds)")
    return value
