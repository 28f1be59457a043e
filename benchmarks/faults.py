"""Fault tests on PostgreSQL that print figures (issue 14).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_ops \\
        PYTHONPATH=$PWD python benchmarks/faults.py [--schedulers 3] [--seconds 150]

1. Three `supportplan scheduler --tick 1` processes start; exactly one leads.
2. The leader is killed with SIGKILL: the time until a standby's heartbeat is printed.
3. `pg_terminate_backend` drops every scheduler connection: all keep running, one leads again.
4. At the end: no scheduler process died (other than the one killed), and no periodic task was
   enqueued twice for one due time (gaps between enqueues of each task >= its interval).
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schedulers", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=150)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("set DATABASE_URL=postgres://… (the fault tests need PostgreSQL)")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
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
