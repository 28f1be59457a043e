"""Structured logs: a request id on every line of a request, JSON lines on demand.

`SUPPORTPLAN_LOG_FORMAT=json` writes one JSON object a line (python-json-logger) with the
fields `time level logger message request_id task_id` plus any `extra=`. The request id comes
from the caller's `X-Request-ID` (or is generated) and is echoed in the response.

The tasks a request enqueues carry its request id: the id is stamped into the task's stored
row when it is created (`args_kwargs["request_id"]`, beside the arguments, so no task's
signature changes), whatever code enqueues it, and the worker sets it again while it runs the
task: every line the task writes has the request's `request_id` and its own `task_id`. A task
enqueued by that task inherits the same request id. One place does this for every task:
`_stamp_request_id` (a `pre_save` hook on django-tasks-db's row) and `_on_started`.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the settings import this module: no Django imports at its top
    from django.http import HttpRequest, HttpResponse

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
task_id: contextvars.ContextVar[str] = contextvars.ContextVar("task_id", default="")
# The request id in force before a task started (a task run in-process by the immediate
# backend keeps its request's id; a worker goes back to none between tasks).
_outer_request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "outer_request_id", default=""
)
REQUEST_ID_KEY = "request_id"

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
log = logging.getLogger("supportplan.tasks")


class ContextFilter(logging.Filter):
    """Puts the current request id and task id on every record (and both, space-separated,
    as `context` for the text format)."""

    def filter(self, record: logging.LogRecord) -> bool:
        rid, tid = request_id.get(), task_id.get()
        record.request_id = rid
        record.task_id = tid
        record.context = " ".join(v for v in (rid, tid) if v)
        return True


class RequestIdMiddleware:
    """Accepts a well-formed `X-Request-ID` (else makes one) and echoes it in the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        rid = given if _SAFE_ID.match(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response["X-Request-ID"] = rid
        return response


def _on_enqueued(sender: Any, task_result: Any, **kwargs: Any) -> None:
    log.info(
        "task enqueued %s",
        task_result.task.name,
        extra={"enqueued_task_id": str(task_result.id), "task": task_result.task.name},
    )


def _stamp_request_id(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """Writes the current request id into a task row being created (django-tasks-db stores
    the arguments as `{"args": [...], "kwargs": {...}}`; the worker reads only those two)."""
    rid = request_id.get()
    if rid and not raw and instance._state.adding and isinstance(instance.args_kwargs, dict):
        instance.args_kwargs.setdefault(REQUEST_ID_KEY, rid)


def enqueued_request_id(task_result: Any) -> str:
    """The request id stored with a task (empty for a task no request enqueued)."""
    row = getattr(task_result, "db_result", None)
    stored = getattr(row, "args_kwargs", None)
    value = stored.get(REQUEST_ID_KEY, "") if isinstance(stored, dict) else ""
    return value if isinstance(value, str) and _SAFE_ID.match(value) else ""


def _on_started(sender: Any, task_result: Any, **kwargs: Any) -> None:
    task_id.set(str(task_result.id))
    _outer_request_id.set(request_id.get())
    rid = enqueued_request_id(task_result)
    if rid:
        request_id.set(rid)
    log.info("task started %s", task_result.task.name, extra={"task": task_result.task.name})


def _on_finished(sender: Any, task_result: Any, **kwargs: Any) -> None:
    log.info(
        "task finished %s: %s",
        task_result.task.name,
        task_result.status,
        extra={"task": task_result.task.name, "status": str(task_result.status)},
    )
    task_id.set("")
    request_id.set(_outer_request_id.get())


# Business events written to the log (INFO) once their transaction commits. Only ids and
# labels from this list of keys go into the line: never addresses, messages or secrets.
LOGGED_ACTIONS = frozenset(
    {
        "case.opened",
        "case.sla.warning",
        "case.sla.breached",
        "notification.failed",
        "report.ready",
        "report.not_generated",
        "report.sent",
        "report.send_failed",
    }
)
SAFE_KEYS = ("plan", "plan_code", "severity", "channel", "rule", "month", "attempts", "outbox_id")
events = logging.getLogger("supportplan.events")


def log_business_event(entry: Any) -> None:
    if entry.action not in LOGGED_ACTIONS:
        return
    from django.db import transaction

    fields = {
        k: entry.data[k] for k in SAFE_KEYS if isinstance(entry.data, dict) and k in entry.data
    }
    fields.update(
        action=entry.action,
        target=f"{entry.target_type}:{entry.target_id}",
        tenant_id=entry.tenant_id,
    )
    transaction.on_commit(
        lambda: events.info("%s %s", entry.action, fields["target"], extra=fields)
    )


def connect_signals() -> None:
    from supportplan.core.audit import subscribe

    subscribe(log_business_event)
    from django.db.models.signals import pre_save
    from django.tasks.signals import task_enqueued, task_finished, task_started
    from django_tasks_db.models import DBTaskResult

    pre_save.connect(
        _stamp_request_id, sender=DBTaskResult, dispatch_uid="supportplan.core.logging.stamp"
    )
    task_enqueued.connect(_on_enqueued, dispatch_uid="supportplan.core.logging.enqueued")
    task_started.connect(_on_started, dispatch_uid="supportplan.core.logging.started")
    task_finished.connect(_on_finished, dispatch_uid="supportplan.core.logging.finished")


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """The LOGGING dict. Other filters (e.g. redaction) are added to `filters` and to the
    console handler's `filters` list by the settings after calling this."""
    formatter: dict[str, Any] = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(task_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
        if log_format == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s [%(context)s] %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "supportplan.core.logging.ContextFilter"},
            # Webhook keys, tokens, passwords, signatures: never written (core.log_redaction).
            "redact": {"()": "supportplan.core.log_redaction.RedactSecrets"},
        },
        "formatters": {"default": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["context", "redact"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # Django's default config gives "django" its own console handler and lets it
            # propagate to root as well: every django.* line (the task worker's too) was
            # written twice. One handler, at the root.
            "django": {"handlers": [], "level": "INFO", "propagate": True},
            # httpx logs every request URL at INFO, robot webhook keys included.
            "httpx": {"level": "WARNING"},
            "httpcore": {"level": "WARNING"},
        },
    }
