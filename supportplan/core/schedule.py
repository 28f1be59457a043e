"""Periodic jobs. Django's tasks API has no scheduler, so `supportplan scheduler` enqueues
registered jobs at their interval; workers (`supportplan db_worker`) run them.

Several schedulers may run: on PostgreSQL the one holding a session advisory lock leads and
the others wait as hot standbys, trying the lock every tick (the lock is released the moment
the leader's connection closes, also on `kill -9`). Each job has a row (`ScheduledJob`) with
its last enqueue time, updated in the same transaction as the enqueue: a job is enqueued once
per due time, also across a takeover. A dropped database connection is closed and reopened on
the next tick; the scheduler never exits on it. On SQLite one scheduler runs, as before.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction

logger = logging.getLogger("supportplan.scheduler")

# pg_advisory_lock key: any constant shared by all schedulers of one database ("sp-sched").
LOCK_KEY = 0x73705F7363686564


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    enqueue: Callable[[datetime], Any]  # receives `now`, enqueues the task(s)


JOBS: dict[str, PeriodicJob] = {}


def periodic(
    name: str, every: timedelta
) -> Callable[[Callable[[datetime], Any]], Callable[[datetime], Any]]:
    def register(fn: Callable[[datetime], Any]) -> Callable[[datetime], Any]:
        JOBS[name] = PeriodicJob(name=name, every=every, enqueue=fn)
        return fn

    return register


def due_jobs(last_run: dict[str, datetime], now: datetime) -> list[PeriodicJob]:
    return [
        job
        for job in JOBS.values()
        if now - last_run.get(job.name, datetime.min.replace(tzinfo=now.tzinfo)) >= job.every
    ]


def load_jobs() -> None:
    """Import every supportplan app's `tasks` module so its `@periodic` jobs register."""
    for config in apps.get_app_configs():
        if config.name.startswith("supportplan."):
            try:
                importlib.import_module(f"{config.name}.tasks")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.tasks":
                    raise


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def try_lead() -> bool:
    """True when this process holds (or has just taken) the scheduler lock.

    Session advisory locks are re-entrant, so calling this every tick both takes the lock and
    confirms it is still ours (after a reconnect the old session's lock is gone)."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        row = cursor.fetchone()
    return bool(row and row[0])


def beat(now: datetime, holder: str) -> None:
    from supportplan.core.models import SchedulerHeartbeat

    SchedulerHeartbeat.objects.update_or_create(id=1, defaults={"beat_at": now, "holder": holder})


def last_beat() -> datetime | None:
    from supportplan.core.models import SchedulerHeartbeat

    return SchedulerHeartbeat.objects.filter(id=1).values_list("beat_at", flat=True).first()


def enqueue_due(now: datetime) -> list[str]:
    """Enqueue every due job once; returns the names enqueued.

    Each job's row is locked, checked and updated in the transaction that enqueues its task
    (django-tasks-db writes the task row in that same transaction): both happen or neither."""
    from supportplan.core.models import ScheduledJob

    done: list[str] = []
    for job in JOBS.values():
        with transaction.atomic():
            row = ScheduledJob.objects.select_for_update().filter(name=job.name).first()
            if row is not None and now - row.last_enqueued_at < job.every:
                continue
            job.enqueue(now)
            ScheduledJob.objects.update_or_create(name=job.name, defaults={"last_enqueued_at": now})
        done.append(job.name)
        logger.info("scheduler enqueued %s", job.name, extra={"job": job.name})
    return done


def tick(now: datetime, holder: str, was_leader: bool) -> bool:
    """One scheduler step; returns whether this process leads after it.

    A lost database connection is logged and closed; the next tick reconnects."""
    try:
        leader = try_lead()
        if leader != was_leader:
            logger.info(
                "scheduler %s is %s",
                holder,
                "leading" if leader else "standing by",
                extra={"holder": holder, "leader": leader},
            )
        if leader:
            beat(now, holder)
            enqueue_due(now)
        return leader
    except (OperationalError, InterfaceError, DatabaseError) as exc:
        logger.warning(
            "scheduler lost its database connection (%s); reconnecting next tick",
            type(exc).__name__,
        )
        connection.close()
        return False
    except Exception:
        # A bug in one job must not stop SLA breach notices and retries: log and go on.
        logger.exception("scheduler tick failed")
        return was_leader
