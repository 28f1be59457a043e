"""Fault tests on PostgreSQL that print figures (issue 14).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_ops \\
        PYTHONPATH=$PWD python benchmarks/faults.py [scheduler|worker-kill|connection-drop]
        [--schedulers 3] [--seconds 150] [--cases 40] [--running-timeout 3]
        [--load-seconds 20] [--clients 8] [--drops 3]

`scheduler` (the default) runs in the DATABASE_URL database; `worker-kill` and
`connection-drop` in a scratch database `<name>_faults` made afresh for each run (they create
tenants, people and cases). The scenarios themselves are in supportplan/core/tests/faultkit.py
and are also run, smaller, by supportplan/core/tests/test_faults_pg.py.

scheduler:
1. Three `supportplan scheduler --tick 1` processes start; exactly one leads.
2. The leader is killed with SIGKILL: the time until a standby's heartbeat is printed.
3. `pg_terminate_backend` drops every scheduler connection: all keep running, one leads again.
4. At the end: no scheduler process died (other than the one killed), and no periodic task was
   enqueued twice for one due time (gaps between enqueues of each task >= its interval).

worker-kill: two `manage.py db_worker` processes take per-case SLA checks (a warning, a breach
and an escalation each, and their notifications); worker A is killed with SIGKILL inside a
task (transaction open, case row claimed); a replacement starts; `recover_stale_running` (the
`core.task_hygiene` job's recovery) runs every 0.2 s with a running timeout of a few seconds.
Printed: when the killed task was put back and re-run, by whom; every case's three audit
entries exactly once; all task rows successful; the live workers stop cleanly on SIGTERM.

connection-drop: gunicorn (production settings, the deploy/ command, 2 processes x 4
threads) serves concurrent API calls while `pg_terminate_backend` kills all its database
connections `--drops` times. Printed: requests, 2xx, 503 (the API's JSON envelope with
Retry-After), other (must be 0), the time from each drop to the last failed answer.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportplan.config.settings.dev")
os.environ.setdefault("SUPPORTPLAN_LOG_LEVEL", "WARNING")

parser = argparse.ArgumentParser(description="Fault tests on PostgreSQL that print figures.")
parser.add_argument(
    "scenario",
    nargs="?",
    default="scheduler",
    choices=["scheduler", "worker-kill", "connection-drop"],
)
parser.add_argument("--schedulers", type=int, default=3)
parser.add_argument("--seconds", type=float, default=150, help="scheduler scenario length")
parser.add_argument("--cases", type=int, default=20, help="worker-kill: SLA checks enqueued")
parser.add_argument("--running-timeout", type=float, default=3.0)
parser.add_argument("--load-seconds", type=float, default=20, help="connection-drop length")
parser.add_argument("--clients", type=int, default=8)
parser.add_argument("--drops", type=int, default=3)
ARGS = parser.parse_args()
SCRATCH = ARGS.scenario in ("worker-kill", "connection-drop")

if SCRATCH:
    import dj_database_url
    import psycopg

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("set DATABASE_URL=postgres://… (the fault tests need PostgreSQL)")
    parsed = dj_database_url.parse(url)
    scratch = f"{parsed['NAME']}_faults"
    admin = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{scratch}"')
    os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + scratch

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from supportplan.core import schedule  # noqa: E402
from supportplan.core.models import ScheduledJob, SchedulerHeartbeat  # noqa: E402


def holder() -> tuple[str, float] | None:
    beat = SchedulerHeartbeat.objects.filter(id=1).first()
    if beat is None:
        return None
    from supportplan.core import clock

    return beat.holder, (clock.now() - beat.beat_at).total_seconds()


def wait_for(predicate, timeout: float) -> float:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.2)
    raise SystemExit(f"FAILED: condition not met within {timeout} s")


def print_figures(title: str, figures: dict) -> bool:
    print(title)
    for key, value in figures.items():
        if key != "problems":
            print(f"  {key}: {value}")
    for problem in figures["problems"]:
        print(f"  PROBLEM: {problem}")
    ok = not figures["problems"]
    print("OK: nothing lost, nothing doubled, no process left dead" if ok else "FAILED")
    return ok


def main() -> None:
    if connection.vendor != "postgresql":
        raise SystemExit("set DATABASE_URL=postgres://… (the fault tests need PostgreSQL)")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    if SCRATCH:
        from supportplan.core.tests import faultkit

        if ARGS.scenario == "worker-kill":
            figures = faultkit.worker_kill(cases=ARGS.cases, running_timeout=ARGS.running_timeout)
            ok = print_figures("worker kill -9 inside a task:", figures)
        else:
            figures = faultkit.connection_drop(
                seconds=ARGS.load_seconds, clients=ARGS.clients, drops=ARGS.drops
            )
            ok = print_figures("database connections dropped under load:", figures)
        sys.exit(0 if ok else 1)
    args = ARGS
    DBTaskResult.objects.all().delete()
    ScheduledJob.objects.all().delete()
    SchedulerHeartbeat.objects.all().delete()
    schedule.load_jobs()

    started = time.monotonic()
    procs = [
        subprocess.Popen(
            [sys.executable, "manage.py", "scheduler", "--tick", "1"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(args.schedulers)
    ]
    pids = {p.pid: p for p in procs}
    wait_for(lambda: holder() is not None, 30)
    first, _age = holder()  # type: ignore[misc]
    leader_pid = int(first.rsplit(":", 1)[1])
    print(f"schedulers: {args.schedulers}; leader pid {leader_pid}")
    time.sleep(args.seconds / 3)

    # 2. kill -9 the leader.
    os.kill(leader_pid, signal.SIGKILL)
    took = wait_for(lambda: (h := holder()) is not None and h[0] != first and h[1] < 2, 60)
    new_leader = holder()[0]  # type: ignore[index]
    print(f"leader killed (SIGKILL): standby {new_leader} led after {took:.1f} s")
    del pids[leader_pid]
    time.sleep(args.seconds / 3)

    # 3. pg_terminate_backend on every other connection to this database.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        (terminated,) = cursor.fetchone()
    dropped_at = time.monotonic()
    took = wait_for(
        lambda: (h := holder()) is not None and h[1] < 2 and time.monotonic() - dropped_at > 1, 60
    )
    print(
        f"pg_terminate_backend of {terminated} connection(s): a scheduler led again after {took:.1f} s"
    )
    time.sleep(args.seconds / 3)

    alive = [pid for pid, p in pids.items() if p.poll() is None]
    print(f"schedulers alive at the end: {len(alive)} of {len(pids)} not killed")
    for p in pids.values():
        p.terminate()
    for p in pids.values():
        p.wait(10)

    # 4. nothing doubled: per task, enqueues at least its interval apart.
    every = {}
    for job in schedule.JOBS.values():
        every[job.name] = job.every.total_seconds()
    doubled = 0
    rows: dict[str, list] = {}
    for path, at in DBTaskResult.objects.order_by("enqueued_at").values_list(
        "task_path", "enqueued_at"
    ):
        rows.setdefault(path, []).append(at)
    shortest_interval = min(every.values())
    for path, times in sorted(rows.items()):
        gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]
        low = min(gaps) if gaps else None
        # every task enqueued here is one periodic job's (no worker runs); two enqueues closer
        # than the shortest interval (30 s) less a tick would be one due time enqueued twice
        if low is not None and low < shortest_interval - 1.5:
            doubled += 1
        print(
            f"  {path}: {len(times)} enqueued, smallest gap {low if low is None else round(low, 1)} s"
        )
    duplicates = (
        DBTaskResult.objects.values("task_path", "args_kwargs").count()
        - DBTaskResult.objects.values("task_path", "args_kwargs").distinct().count()
    )
    print(
        f"run {time.monotonic() - started:.0f} s; tasks enqueued twice for one due time: {duplicates}"
    )
    ok = duplicates == 0 and doubled == 0 and len(alive) == len(pids)
    print("OK: nothing lost, nothing doubled, no process left dead" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
