"""Periodic jobs. Django's tasks API has no scheduler, so `supportplan scheduler` enqueues
registered jobs at their interval; workers (`supportplan db_worker`) run them.

Every periodic task is idempotent (safe to run twice, safe on several workers at once), so
running more than one scheduler costs duplicate work, never duplicate effects.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


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
