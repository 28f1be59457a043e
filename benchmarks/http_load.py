"""Helper for the HTTP benchmarks (bench_cases.py, bench_peer_helpdesk.py): the production
environment of supportplan's server, starting a gunicorn and waiting for it, and N
concurrent httpx clients posting for a number of seconds. One place, so every HTTP figure
comes from the same server settings and the same load."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
GUNICORN_CONF = ROOT / "supportplan" / "config" / "gunicorn.py"


def pct(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def prod_env(database_url: str, **extra: str) -> dict[str, str]:
    """supportplan.config.settings.prod as a bench runs it: plain HTTP on loopback, throwaway
    keys, warnings only."""
    from cryptography.fernet import Fernet

    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="supportplan.config.settings.prod",
        SUPPORTPLAN_SECRET_KEY="bench-only-secret-key-" + "x" * 30,
        SUPPORTPLAN_CREDENTIALS_KEY=Fernet.generate_key().decode(),
        SUPPORTPLAN_ACCESS_LOG="/dev/null",
        SUPPORTPLAN_SECURE_COOKIES="0",
        SUPPORTPLAN_SSL_REDIRECT="0",
        SUPPORTPLAN_LOG_LEVEL="WARNING",
        DATABASE_URL=database_url,
    )
    env.update(extra)
    return env


def start_gunicorn(
    gunicorn: Path | str,
    app: str,
    port: int,
    env: dict[str, str],
    log: Path,
    cwd: Path = ROOT,
    probe: str = "/",
) -> subprocess.Popen[bytes]:
    """`gunicorn -c supportplan/config/gunicorn.py app` on 127.0.0.1:port: the production
    server settings (gthread, SUPPORTPLAN_WEB_WORKERS x SUPPORTPLAN_WEB_THREADS, keepalive,
    max_requests) for whichever application, so two servers compared differ only in the app."""
    env = dict(env, SUPPORTPLAN_BIND=f"127.0.0.1:{port}")
    env.setdefault("SUPPORTPLAN_ACCESS_LOG", "/dev/null")
    out = open(log, "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(gunicorn), "-c", str(GUNICORN_CONF), app],
        cwd=cwd,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            break
        try:
            httpx.get(f"http://127.0.0.1:{port}{probe}", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    stop(proc)
    raise SystemExit(f"gunicorn for {app} did not start; see {log}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def server_shape() -> str:
    workers = os.environ.get("SUPPORTPLAN_WEB_WORKERS", f"{(os.cpu_count() or 1) * 2} (cpu*2)")
    return f"workers={workers}, threads={os.environ.get('SUPPORTPLAN_WEB_THREADS', '4')}"


def load(
    base_url: str,
    path: str,
    seconds: float,
    clients: int,
    requests: Sequence[tuple[str, dict[str, Any]]],
    expect: int = 201,
) -> dict[str, Any]:
    """`clients` threads, each with its own keep-alive httpx client, POST `path` as fast as
    answers come for `seconds`; each request a random (Authorization header, JSON body)."""
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    end = time.perf_counter() + seconds

    def client(k: int) -> None:
        rnd = random.Random(k)
        mine: list[float] = []
        bad = 0
        with httpx.Client(base_url=base_url, timeout=30) as http:
            while time.perf_counter() < end:
                auth, body = requests[rnd.randrange(len(requests))]
                t = time.perf_counter()
                res = http.post(path, json=body, headers={"Authorization": auth})
                mine.append(time.perf_counter() - t)
                if res.status_code != expect:
                    bad += 1
                    if bad == 1:
                        print("   unexpected", res.status_code, res.text[:200], file=sys.stderr)
        with lock:
            latencies.extend(mine)
            errors.append(bad)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - started
    return {
        "n": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": pct(latencies, 50),
        "p95": pct(latencies, 95),
        "p99": pct(latencies, 99),
        "errors": sum(errors),
    }


def ms_fmt(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"
