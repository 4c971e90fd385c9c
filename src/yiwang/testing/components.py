"""System components the tests need (Chromium, pdfsig, …).

A missing component makes the test fail with the package to install — never skip: CI (and ``make test``)
must prove the real thing ran. ``.ci/run`` installs every one of them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"


def require_executable(path_or_name: str, debian_package: str) -> str:
    found = path_or_name if Path(path_or_name).is_file() else shutil.which(path_or_name)
    if not found:
        pytest.fail(
            f"缺少测试所需组件 {path_or_name}：请安装 Debian 软件包 {debian_package}（.ci/run 会自动安装）",
            pytrace=False,
        )
    return found
