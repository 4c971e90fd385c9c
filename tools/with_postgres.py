#!/usr/bin/env python3
"""Run a command against a throw-away PostgreSQL server: ``python tools/with_postgres.py pytest -q``.

Creates a cluster with initdb in a temporary folder, starts it on a free loopback port, exports
``DATABASE_URL`` for the command, and always stops and deletes the server afterwards. As root (CI), the
server runs as the ``postgres`` user that the Debian package creates, because PostgreSQL refuses root.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path


def find_bindir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    for folder in reversed(candidates):
        if (Path(folder) / "initdb").exists():
            return Path(folder)
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    sys.exit("找不到 PostgreSQL（initdb）：请安装 Debian 软件包 postgresql（.ci/run 会自动安装）")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main(argv: list[str]) -> int:
    if not argv:
        sys.exit("usage: with_postgres.py COMMAND [ARGS…]")
    bindir = find_bindir()
    workdir = Path(tempfile.mkdtemp(prefix="yiwang-pg-"))
    data = workdir / "data"
    run_as: dict[str, object] = {}
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(workdir, account.pw_uid, account.pw_gid)

        def demote() -> None:
            os.setgid(account.pw_gid)
            os.setuid(account.pw_uid)

        run_as = {"preexec_fn": demote}
    port = free_port()
    pg_env = {**os.environ, "LC_ALL": "C.UTF-8"}
    try:
        subprocess.run(
            [str(bindir / "initdb"), "-D", str(data), "-U", "yiwang", "--auth=trust", "-E", "UTF8", "--no-locale"],
            check=True,
            stdout=subprocess.DEVNULL,
            env=pg_env,
            cwd=workdir,
            **run_as,  # type: ignore[arg-type]
        )
        options = (
            f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            [str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(workdir / "server.log"), "-w", "start"],
            check=True,
            stdout=subprocess.DEVNULL,
            env=pg_env,
            cwd=workdir,
            **run_as,  # type: ignore[arg-type]
        )
        subprocess.run(
            [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "yiwang", "yiwang"],
            check=True,
            env=pg_env,
        )
        env = {**os.environ, "DATABASE_URL": f"postgres://yiwang@127.0.0.1:{port}/yiwang"}
        print(f"PostgreSQL {bindir.parent.name} 已在 127.0.0.1:{port} 启动（临时目录 {workdir}）", flush=True)
        return subprocess.run(argv, env=env).returncode
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                [str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                stdout=subprocess.DEVNULL,
                env=pg_env,
                cwd=workdir,
                **run_as,  # type: ignore[arg-type]
            )
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
