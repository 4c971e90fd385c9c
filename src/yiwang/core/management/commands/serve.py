"""``yiwang serve``: run the web application under gunicorn (static files through WhiteNoise)."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "启动 Web 服务（gunicorn）"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("YIWANG_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("YIWANG_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("YIWANG_WEB_WORKERS", "2")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("YIWANG_WEB_THREADS", "4")))

    def handle(self, *args: Any, host: str, port: int, workers: int, threads: int, **options: Any) -> None:
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "yiwang.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "10",
            "--timeout",
            "60",
            # %(U)s is the path without the query string: no token, code or ID number lands in the log.
            "--access-logformat",
            '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss',
        ]
        self.stdout.write(f"一网 Yiwang 正在 http://{host}:{port}/ 启动")
        sys.stdout.flush()
        os.execv(sys.executable, argv)  # noqa: S606 — replaces this process with gunicorn, same interpreter
