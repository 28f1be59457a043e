"""Fault scenarios on PostgreSQL with real processes (issue 14), shared by the PostgreSQL-only
tests (test_faults_pg.py) and `benchmarks/faults.py`, which prints their figures.

Both run in a process whose Django database is the one the spawned processes use (a test
database, or the benchmark's scratch database) and return a dict of figures and problems; an
empty `problems` list means nothing was lost, nothing doubled and no process left dead.

- `worker_kill`: `manage.py db_worker` processes run per-case SLA checks; one is killed with
  SIGKILL inside a task (its transaction open, its case row claimed); the product's recovery
  (`core.tasks.recover_stale_running`, what the `core.task_hygiene` job runs) puts the task back
  once it is older than the running timeout; a surviving or restarted worker runs it.
- `connection_drop`: a gunicorn server (production settings, the deploy/ command) takes
  concurrent API requests while `pg_terminate_backend` kills its database connections.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]


def database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def process_env(data_dir: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SUPPORTPLAN_"))}
    env.update(
        DATABASE_URL=database_url(),
        DJANGO_SETTINGS_MODULE="supportplan.config.settings.dev",
        SUPPORTPLAN_DATA_DIR=data_dir,
        SUPPORTPLAN_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def wait_until(predicate: Callable[[], Any], timeout: float, what: str) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.05)
    raise TimeoutError(f"{what}: not within {timeout} s")


# --------------------------------------------------------------------------- worker kill -9


def _sla_backlog(n: int) -> tuple[list[int], str]:
    """`n` unanswered production-down cases whose SLA warning and breach are both due at the
    returned instant (ISO text); each breach also escalates (three audit entries a case)."""
    from supportplan.cases.tests.factories import at, unanswered_backlog

    ids = [case.pk for case in unanswered_backlog(n, per_tier=2)]
    return ids, at("2026-11-23T11:00:00+08:00").isoformat()


def _start_worker(worker_id: str, env: dict[str, str], log: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--queue-name",
            "*",
            "--interval",
            "0.1",
            "--no-startup-delay",
            "--no-reload",
            "--worker-id",
            worker_id,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


DB_TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "notifications", "reports"],
    }
}


def worker_kill(*, cases: int = 20, running_timeout: float = 3.0) -> dict[str, Any]:
    from django.test import override_settings

    with override_settings(TASKS=DB_TASKS):
        return _worker_kill(cases=cases, running_timeout=running_timeout)


def _worker_kill(*, cases: int, running_timeout: float) -> dict[str, Any]:
    """Two workers; the audit table is locked so both are caught inside a task; worker A is
    killed, the lock released, a replacement C started (as systemd's Restart= would), and the
    recovery called every 0.2 s with a `running_timeout` of a few seconds (production: an hour,
    every ten minutes)."""
    import psycopg
    from django.conf import settings
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from supportplan.cases.tasks import sla_check_case
    from supportplan.core import clock
    from supportplan.core.models import AuditEntry
    from supportplan.core.tasks import recover_stale_running

    ids, as_of = _sla_backlog(cases)
    DBTaskResult.objects.all().delete()  # the notifications of the set-up: not this scenario's
    before = AuditEntry.objects.count()
    problems: list[str] = []
    data_dir = tempfile.mkdtemp(prefix="faults-worker-")
    env = process_env(data_dir)
    log = open(Path(data_dir) / "workers.log", "wb")  # noqa: SIM115
    procs: dict[str, subprocess.Popen[bytes]] = {}
    lock = psycopg.connect(database_url().replace("postgres://", "postgresql://"))
    started = time.monotonic()
    try:
        # Every audit INSERT waits behind this lock: a worker that took a task is stuck inside
        # it with its transaction open and its case row claimed (SELECT … FOR UPDATE).
        lock.execute("SET lock_timeout = '60s'")
        lock.execute(f"LOCK TABLE {AuditEntry._meta.db_table} IN EXCLUSIVE MODE")
        for pk in ids:
            sla_check_case.enqueue(case_id=pk, as_of=as_of)
        for wid in ("worker-a", "worker-b"):
            procs[wid] = _start_worker(wid, env, log)

        def running(wid: str) -> list[DBTaskResult]:
            return [r for r in DBTaskResult.objects.filter(status="RUNNING") if wid in r.worker_ids]

        def blocked() -> int:
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock'"
                )
                return int(cur.fetchone()[0])

        wait_until(
            lambda: running("worker-a") and running("worker-b") and blocked() >= 2, 240, "both busy"
        )
        busy_after = time.monotonic() - started
        (victim,) = running("worker-a")
        victim_started = victim.started_at
        procs["worker-a"].send_signal(signal.SIGKILL)
        procs["worker-a"].wait(10)
        killed_at = time.monotonic()
        lock.rollback()  # release: worker B goes on, A's server process rolls back and ends
        procs["worker-c"] = _start_worker("worker-c", env, log)

        settings.SUPPORTPLAN_TASK_RUNNING_TIMEOUT = timedelta(seconds=running_timeout)
        recovered, requeued_after, done_after = 0, None, None
        # The breaches' notifications (a few tasks a case) are drained too, however slow.
        deadline = killed_at + running_timeout + 60 + 10 * cases
        while time.monotonic() < deadline:
            recovered += recover_stale_running(now=clock.now())
            victim.refresh_from_db()
            if requeued_after is None and victim.status != "RUNNING":
                requeued_after = time.monotonic() - killed_at
            if victim.status == "SUCCESSFUL" and done_after is None:
                done_after = time.monotonic() - killed_at
            if (
                done_after
                and not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()
                and procs["worker-c"].poll() is None
            ):
                break
            time.sleep(0.2)
        all_done = time.monotonic()
        del settings.SUPPORTPLAN_TASK_RUNNING_TIMEOUT

        checks = DBTaskResult.objects.filter(task_path=sla_check_case.module_path)
        statuses = Counter(checks.values_list("status", flat=True))
        # The breaches' notifications (dispatch, deliver), enqueued by the checks, ran too.
        others = Counter(
            DBTaskResult.objects.exclude(task_path=sla_check_case.module_path).values_list(
                "status", flat=True
            )
        )
        victim.refresh_from_db()
        per_action: dict[str, Counter[str]] = {}
        for action, target in AuditEntry.objects.filter(
            action__in=("case.sla.warning", "case.sla.breached", "case.escalated")
        ).values_list("action", "target_id"):
            per_action.setdefault(action, Counter())[target] += 1
        want = {str(pk) for pk in ids}
        for action in ("case.sla.warning", "case.sla.breached", "case.escalated"):
            got = per_action.get(action, Counter())
            if set(got) != want:
                problems.append(f"{action}: {len(want - set(got))} case(s) lost")
            if any(n > 1 for n in got.values()):
                problems.append(f"{action}: {sum(n > 1 for n in got.values())} case(s) doubled")
        if statuses != Counter({"SUCCESSFUL": cases}):
            problems.append(f"task rows: {dict(statuses)}")
        if set(others) - {"SUCCESSFUL"}:
            problems.append(f"notification task rows: {dict(others)}")
        if recovered != 1:
            problems.append(f"recovery re-queued {recovered} row(s), not the one killed")
        if victim.worker_ids[:1] != ["worker-a"] or len(victim.worker_ids) != 2:
            problems.append(f"the killed task's workers: {victim.worker_ids}")
        dead = [wid for wid in ("worker-b", "worker-c") if procs[wid].poll() is not None]
        if dead:
            problems.append(f"workers died: {dead}")
        # The replacement may still be starting (the queue can drain first): stop it only
        # once it runs its loop, as a supervisor's stop would find it.
        wait_until(
            lambda: b"worker_id=worker-c" in (Path(data_dir) / "workers.log").read_bytes(),
            240,
            "worker-c started",
        )
        exits = {}
        for wid in ("worker-b", "worker-c"):
            procs[wid].send_signal(signal.SIGTERM)
        for wid in ("worker-b", "worker-c"):
            exits[wid] = procs[wid].wait(20)
        if set(exits.values()) != {0}:
            problems.append(f"workers did not stop cleanly on SIGTERM: {exits}")
        return {
            "tasks": cases,
            "running_timeout_s": running_timeout,
            "workers_busy_after_s": round(busy_after, 1),
            "killed_task_started_before_kill_s": round(
                (clock.now() - victim_started).total_seconds() - (time.monotonic() - killed_at), 2
            ),
            "requeued_after_kill_s": round(requeued_after, 2) if requeued_after else None,
            "rerun_done_after_kill_s": round(done_after, 2) if done_after else None,
            "rerun_by": victim.worker_ids[1:],
            "statuses": dict(statuses),
            "notification_tasks": dict(others),
            "audit_entries_added": AuditEntry.objects.count() - before,
            "worker_exit_codes": exits,
            "all_done_after_kill_s": round(all_done - killed_at, 1),
            "run_s": round(time.monotonic() - started, 1),
            "problems": problems,
        }
    finally:
        lock.close()
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.wait(10)
        log.close()


# --------------------------------------------------------------------------- connection drop


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def connection_drop(
    *, seconds: float = 9.0, clients: int = 8, drops: int = 3, web_workers: int = 2
) -> dict[str, Any]:
    """`clients` threads call the API for `seconds`; `drops` times, evenly spaced, every
    database connection but ours is killed. Every answer must be 2xx, or 503 with the API's
    JSON envelope and Retry-After; after the drops the server answers 2xx again."""
    import httpx
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from supportplan.cases.tests.factories import customer, load_catalogs
    from supportplan.core.secrets import new_key

    load_catalogs()
    _tenant, user, _systems = customer("partner", "basic")
    token = Token.objects.create(user=user).key
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="faults-web-")
    env = process_env(
        data_dir,
        DJANGO_SETTINGS_MODULE="supportplan.config.settings.prod",
        SUPPORTPLAN_SECRET_KEY="faults-" + new_key(),
        SUPPORTPLAN_CREDENTIALS_KEY=new_key(),
        SUPPORTPLAN_SSL_REDIRECT="0",
        SUPPORTPLAN_SECURE_COOKIES="0",
        SUPPORTPLAN_BIND=f"127.0.0.1:{port}",
        SUPPORTPLAN_WEB_WORKERS=str(web_workers),
        SUPPORTPLAN_WEB_THREADS="4",
        SUPPORTPLAN_ACCESS_LOG=str(Path(data_dir) / "access.log"),
    )
    log = open(Path(data_dir) / "gunicorn.log", "wb")  # noqa: SIM115
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "-c", "supportplan/config/gunicorn.py", "supportplan.config.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Token {token}", "Accept-Language": "en"}
    paths = ["/api/me/", "/api/cases/", "/api/cases/?state=open"]
    answers: list[tuple[float, float, str, int, str]] = []  # start, end, path, status, kind
    problems: list[str] = []
    stop = threading.Event()

    def classify(res: httpx.Response) -> str:
        if 200 <= res.status_code < 300:
            return "2xx"
        if res.status_code == 503 and res.headers.get("Retry-After"):
            try:
                body = res.json()
            except ValueError:
                return "other"
            if body.get("code") == "service_unavailable" and body.get("message"):
                return "503"
        return "other"

    def client(i: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=10) as http:
            n = 0
            while not stop.is_set():
                path = paths[(i + n) % len(paths)]
                n += 1
                t0 = time.monotonic()
                try:
                    res = http.get(path)
                    kind, status = classify(res), res.status_code
                    if kind == "other" and len(problems) < 5:
                        problems.append(f"{path}: {status} {res.text[:200]!r}")
                except httpx.HTTPError as exc:
                    kind, status = "other", 0
                    if len(problems) < 5:
                        problems.append(f"{path}: {exc!r}")
                answers.append((t0, time.monotonic(), path, status, kind))

    try:
        wait_until(
            lambda: _answers(f"{base}/healthz"), 60, "gunicorn serving"
        )  # the workers have booted
        with httpx.Client(base_url=base, headers=headers) as http:
            first = http.get("/api/me/")
            if first.status_code != 200:
                raise RuntimeError(f"the server does not serve: {first.status_code} {first.text}")
        pool = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        began = time.monotonic()
        for t in pool:
            t.start()
        drop_times, terminated = [], []
        for k in range(drops):
            time.sleep(max(0.0, began + seconds * (k + 1) / (drops + 1) - time.monotonic()))
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE"
                    " datname = current_database() AND pid <> pg_backend_pid()"
                    " AND backend_type = 'client backend'"
                )
                terminated.append(int(cur.fetchone()[0]))
            drop_times.append(time.monotonic())
        time.sleep(max(0.0, began + seconds - time.monotonic()))
        stop.set()
        for t in pool:
            t.join(30)
        # Afterwards: served again, on new connections.
        with httpx.Client(base_url=base, headers=headers) as http:
            after = [http.get("/api/cases/").status_code for _ in range(20)]
        if after != [200] * 20:
            problems.append(f"after the drops: {Counter(after)}")
        if server.poll() is not None:
            problems.append(f"gunicorn exited with {server.returncode}")
        kinds = Counter(a[4] for a in answers)
        if kinds["other"]:
            problems.append(f"{kinds['other']} answer(s) neither 2xx nor the 503 envelope")
        # Recovery: from each drop to the end of the last non-2xx answer that began before
        # the next drop.
        recovery: list[float] = []
        served_again: list[float | None] = []
        for k, dropped in enumerate(drop_times):
            until = drop_times[k + 1] if k + 1 < len(drop_times) else float("inf")
            failed = [
                a[1] for a in answers if a[4] != "2xx" and dropped - 1 <= a[1] and a[0] < until
            ]
            recovery.append(round(max(failed) - dropped, 3) if failed else 0.0)
            # the first request begun after the drop that was answered 2xx
            ok = [a[1] for a in answers if a[4] == "2xx" and dropped <= a[0] < until]
            served_again.append(round(min(ok) - dropped, 3) if ok else None)
        return {
            "requests": len(answers),
            "2xx": kinds["2xx"],
            "503": kinds["503"],
            "other": kinds["other"],
            "connections_terminated": terminated,
            "last_failure_ended_after_each_drop_s": recovery,
            "first_2xx_after_each_drop_s": served_again,
            "requests_per_s": round(len(answers) / seconds, 1),
            "problems": problems,
        }
    finally:
        stop.set()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
        log.close()


def _answers(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
