"""django-tasks-db's database backend, enqueueing more cheaply (issue 16, opening a case).

Opening a case enqueues two jobs (its notification dispatch and its SLA check); through the
stock backend each was a model `create()` (the INSERT compiled anew) and two `TaskResult`s
built from the row (one for the `task_enqueued` signal, one to return). Here the row is
written by `core.compiled.insert_new` (same signals, same columns, the statement compiled
once) and one `TaskResult` is built, sent and returned. `enqueue_rows` writes many jobs of
one task in one INSERT (the notification dispatches of a batch of audit entries). Workers,
results and every other part are the stock backend's: the rows are the same rows.
"""

from __future__ import annotations

import logging
from typing import Any

from django_tasks_db.backend import DatabaseBackend as StockDatabaseBackend
from django_tasks_db.compat import normalize_json, task_enqueued

from . import clock
from .bulk import insert_rows
from .compiled import insert_new


class DatabaseBackend(StockDatabaseBackend):
    def _task_to_db_task(self, task: Any, args: Any, kwargs: Any) -> Any:
        from django_tasks_db.models import DBTaskResult

        row: Any = DBTaskResult(
            id=self._get_id(),
            args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            run_after=task.run_after,
            backend_name=self.alias,
        )
        insert_new(row)
        return row

    def enqueue(self, task: Any, args: Any, kwargs: Any) -> Any:
        self.validate_task(task)
        result = self._task_to_db_task(task, args, kwargs).task_result
        task_enqueued.send(type(self), task_result=result)
        return result


def is_database_backend(backend: Any) -> bool:
    """Whether jobs are rows in this database (enqueued inside the caller's transaction)."""
    return isinstance(backend, StockDatabaseBackend)


def enqueue_rows(task: Any, kwargs_list: list[dict[str, Any]]) -> bool:
    """Enqueue `task` once per kwargs as one multi-row INSERT of job rows, in the caller's
    transaction, when jobs are rows in this database; False (nothing done) otherwise, and
    the caller enqueues one by one. `task_enqueued` is sent for each job, as `enqueue`
    does, when anyone listens."""
    from django_tasks_db.models import DBTaskResult, get_date_max

    backend = task.get_backend()
    if not is_database_backend(backend):
        return False
    backend.validate_task(task)
    constant = {
        "priority": task.priority,
        "task_path": task.module_path,
        "queue_name": task.queue_name,
        # the backend's pre_save turns "no time" into the max date; not called here
        "run_after": task.run_after or get_date_max(),
        "backend_name": backend.alias,
    }
    jobs = [
        {
            "id": backend._get_id(),
            "args_kwargs": normalize_json({"args": [], "kwargs": kwargs}),
        }
        for kwargs in kwargs_list
    ]
    insert_rows(DBTaskResult, jobs, constant=constant)
    if _enqueue_watched(type(backend)):
        for job in jobs:
            # enqueued_at as auto_now_add stamped the rows, to the microseconds between
            result: Any = DBTaskResult(**constant, **job, enqueued_at=clock.now()).task_result
            task_enqueued.send(type(backend), task_result=result)
    return True


def _enqueue_watched(sender: type) -> bool:
    """Whether anyone but Django's own debug line (django.tasks.signals.log_task_enqueued,
    off unless the django.tasks logger is at DEBUG) listens to task_enqueued: a bulk skips
    building a TaskResult a job for nobody."""
    from django.tasks import signals

    sync, asynchronous = task_enqueued._live_receivers(sender)
    listeners = [r for r in (*sync, *asynchronous) if r is not signals.log_task_enqueued]
    return bool(listeners) or logging.getLogger("django.tasks").isEnabledFor(logging.DEBUG)
