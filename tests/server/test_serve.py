"""`yiwang serve` starts the real web server (gunicorn) on a temporary database and port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, bytes, str]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 — loopback only
        return response.status, response.read(), response.headers.get("Content-Type", "")


@pytest.mark.server
def test_yiwang_serve_answers_home_and_openapi(tmp_path):
    port = _free_port()
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {**inherited, "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}", "YIWANG_VAR_DIR": str(tmp_path)}
    yiwang = [sys.executable, "-m", "yiwang.cli"]
    subprocess.run([*yiwang, "migrate", "--noinput", "-v0"], env=env, check=True, timeout=180)
    server = subprocess.Popen(
        [*yiwang, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body, _ = _get(f"http://127.0.0.1:{port}/")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    output = server.stdout.read().decode() if server.stdout else ""
                    pytest.fail(f"yiwang serve did not answer on port {port}:\n{output}")
                time.sleep(0.2)
        assert status == 200
        assert "一网通办" in body.decode()
        status, body, content_type = _get(f"http://127.0.0.1:{port}/api/v1/openapi.json")
        assert status == 200
        assert content_type.startswith("application/json")
        assert b'"openapi"' in body
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
