"""Task hygiene (queue "default"): finished task results pruned, RUNNING rows of dead workers
put back in the queue.

django-tasks-db records no worker heartbeat (only `worker_ids` and `started_at`), so a row
still RUNNING after `SUPPORTPLAN_TASK_RUNNING_TIMEOUT` (default one hour, longer than any task
runs) is taken to belong to a worker that died (`kill -9`, lost machine) and is made READY
again; every periodic and delivery task is idempotent, so the re-run finishes its work once.
"""

from __future__ import annotations

import io
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.management import call_command
from django.tasks import task

from supportplan.core.schedule import periodic

log = logging.getLogger("supportplan.tasks")


def running_timeout() -> timedelta:
    return getattr(settings, "SUPPORTPLAN_TASK_RUNNING_TIMEOUT", timedelta(hours=1))


def recover_stale_running(*, now: datetime) -> int:
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    stale = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=now - running_timeout()
    )
    count = stale.update(status=TaskResultStatus.READY, started_at=None)
    if count:
        log.warning("re-queued %d task(s) left RUNNING by a dead worker", count)
    return count


@task()
def prune_and_recover(as_of: str) -> int:
    call_command(
        "prune_db_task_results",
        queue_name="*",
        min_age_days=int(getattr(settings, "SUPPORTPLAN_TASK_RESULTS_KEEP_DAYS", 7)),
        stdout=io.StringIO(),
    )
    return recover_stale_running(now=datetime.fromisoformat(as_of))


@periodic("core.task_hygiene", every=timedelta(minutes=10))
def enqueue_task_hygiene(now: datetime) -> None:
    prune_and_recover.enqueue(as_of=now.isoformat())
