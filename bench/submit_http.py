#!/usr/bin/env python3
"""The submit endpoint (``POST /api/v1/cases``, a citizen's session) under 32 concurrent clients, beside a
bare Django JSON view (``POST /bench/bare/``) served by the same server: the same ``yiwang serve``
(gunicorn, same workers and threads), the same middleware, session and CSRF check, the same request body.
The two alternate in rounds so a busy machine slows both alike. Target: ours ≥ 25 % of the bare view's
requests/s; p50 and p99 latency of both.

    .venv/bin/python bench/submit_http.py [--clients 32] [--seconds 8] [--rounds 2]
    .venv/bin/python tools/with_postgres.py .venv/bin/python bench/submit_http.py
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import _cases_setup as cs  # noqa: E402

HOST = "127.0.0.1"


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0
    sample_error: str = ""  # the body of one answer that was not 2xx

    def add(self, other: Run) -> None:
        self.latencies += other.latencies
        self.statuses.update(other.statuses)
        self.seconds += other.seconds
        self.sample_error = self.sample_error or other.sample_error

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_server(port: int, workers: int, threads: int) -> subprocess.Popen[bytes]:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        "DJANGO_SETTINGS_MODULE": "_bench_settings",
        "PYTHONPATH": os.pathsep.join([str(BENCH), os.environ.get("PYTHONPATH", "")]),
    }
    command = [sys.executable, "-m", "yiwang.cli", "serve", "--host", HOST, "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--workers", str(workers), "--threads", str(threads)],
        env=env,
        stdout=subprocess.DEVNULL,  # the access log: one line per request, for both contenders alike
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 90
    while True:
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=30)
            connection.request("GET", "/accounts/login/")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            stop_server(server)
            sys.exit(f"yiwang serve did not start:\n{server.stderr.read().decode() if server.stderr else ''}")
        time.sleep(0.2)


def stop_server(server: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    except ProcessLookupError:
        pass


def log_in(port: int, username: str, password: str) -> dict[str, str]:
    """The headers of a signed-in browser: session and CSRF cookies, the CSRF header."""
    import requests

    session = requests.Session()
    base = f"http://{HOST}:{port}"
    page = session.get(f"{base}/accounts/login/", timeout=60)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token is not None
    answer = session.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": f"{base}/accounts/login/"},
        allow_redirects=False,
        timeout=60,
    )
    assert answer.status_code == 302, answer.text[:300]
    cookies = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
    return {
        "Cookie": cookies,
        "X-CSRFToken": session.cookies["csrftoken"] or "",
        "Referer": f"{base}/",
        "Content-Type": "application/json",
    }


def load(port: int, path: str, body: bytes, sessions: list[dict[str, str]], seconds: float) -> Run:
    """Every client sends requests one after another on a kept-alive connection until the time is up."""
    runs = [Run() for _ in sessions]
    start_line = threading.Barrier(len(sessions) + 1)
    deadline = [0.0]

    def client(index: int) -> None:
        run, headers = runs[index], sessions[index]
        connection = http.client.HTTPConnection(HOST, port, timeout=60)
        start_line.wait()
        while time.perf_counter() < deadline[0]:
            started = time.perf_counter()
            connection.request("POST", path, body=body, headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
            response = connection.getresponse()
            answer = response.read()
            if response.status >= 300 and not run.sample_error:
                run.sample_error = answer.decode(errors="replace")[:300]
            run.latencies.append(time.perf_counter() - started)
            run.statuses[response.status] += 1
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=60)
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(sessions))]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start_line.wait()
    for thread in threads:
        thread.join()
    total = Run()
    for run in runs:
        total.add(run)
    total.seconds = time.perf_counter() - began
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=8.0, help="per contender and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("YIWANG_WEB_WORKERS", "2")))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("YIWANG_WEB_THREADS", "4")))
    args = parser.parse_args()

    # The server runs on the real clock and checks passwords with its own hashers: so does the set-up.
    cs.setup_django(freeze_clock=False, fast_hasher=False)
    from django.db import connection
    from django.urls import reverse

    from yiwang.accounts.services import citizen_create, person_register
    from yiwang.cases.models import Case
    from yiwang.core.identifiers import make_id_number
    from yiwang.testing.cases import published_item
    from yiwang.testing.world import PASSWORD, build_world

    world = build_world()
    item = published_item(world.dept_a_market)
    applicants = []
    for i in range(args.clients):  # one citizen per client, each signed in in his own session
        user = citizen_create(actor=None, username=f"bench_citizen_{i}", password=PASSWORD)
        person_register(
            actor=None,
            name=f"基准申请人{i}",
            id_number=make_id_number("371302", cs.MONDAY.date().replace(year=1980), 100 + i),
            region=world.county_a,
            user=user,
        )
        applicants.append(user.username)
    submit_path = reverse("api:case_submit")
    # 告知承诺 instead of uploads: the request stays one small JSON body for both contenders.
    body = json.dumps({"item_id": item.pk, "form": cs.FORM, "commitment_signed": True}, ensure_ascii=False).encode()
    connection.close()

    port = free_port()
    server = start_server(port, args.workers, args.threads)
    try:
        sessions = [log_in(port, username, PASSWORD) for username in applicants]
        warm_up = load(port, submit_path, body, sessions[:4], 1.0)  # imports, connections, caches
        load(port, "/bench/bare/", body, sessions[:4], 1.0)
        runs = {"bare": Run(), "ours": Run()}
        for _ in range(args.rounds):
            runs["bare"].add(load(port, "/bench/bare/", body, sessions, args.seconds))
            runs["ours"].add(load(port, submit_path, body, sessions, args.seconds))
    finally:
        stop_server(server)

    created = runs["ours"].statuses[201] + warm_up.statuses[201]
    stored = Case.objects.filter(item=item).count()
    print(
        f"Submit over HTTP — {connection.vendor}, {args.clients} concurrent clients, yiwang serve "
        f"--workers {args.workers} --threads {args.threads}, {args.rounds} rounds of {args.seconds:.0f} s each"
    )
    print(f"{'':<40}{'requests/s':>11}{'p50':>10}{'p99':>10}{'requests':>10}  statuses")
    for name, label in (("ours", f"POST {submit_path} (case_submit)"), ("bare", "POST /bench/bare/ (bare JSON view)")):
        run = runs[name]
        print(
            f"{label:<40}{run.rps:>11.1f}{cs.pct(run.latencies, 50) * 1e3:>8.1f}ms"
            f"{cs.pct(run.latencies, 99) * 1e3:>8.1f}ms{len(run.latencies):>10}  {dict(run.statuses)}"
        )
    for name, run in runs.items():
        if run.sample_error:
            print(f"  {name}: an answer that was not 2xx: {run.sample_error}")
    ratio = runs["ours"].rps / runs["bare"].rps
    print(f"ours / bare = {ratio:.0%} of the requests/s (target ≥ 25 %: {'met' if ratio >= 0.25 else 'MISSED'})")
    print(f"cases stored: {stored}, submissions answered 201: {created}")
    assert stored == created, "every 201 is a stored case, and nothing else was stored"


if __name__ == "__main__":
    main()
