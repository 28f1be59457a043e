"""django-tasks-db's database backend, enqueueing more cheaply (issue 16, opening a case).

Opening a case enqueues two jobs (its notification dispatch and its SLA check); through the
stock backend each was a model `create()` (the INSERT compiled anew) and two `TaskResult`s
built from the row (one for the `task_enqueued` signal, one to return). Here the row is
written by `core.compiled.insert_new` (same signals, same columns, the statement compiled
once) and one `TaskResult` is built, sent and returned. Workers, results and every other
part are the stock backend's: the rows are the same rows.
"""

from __future__ import annotations

from typing import Any

from django_tasks_db.backend import DatabaseBackend as StockDatabaseBackend
from django_tasks_db.compat import normalize_json, task_enqueued

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
