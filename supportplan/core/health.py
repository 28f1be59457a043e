"""`/healthz` (liveness) and `/readyz` (readiness) on django-health-check.

Our checks are `health_check.base.HealthCheck` subclasses. Another app adds one in a module
it imports from its `AppConfig.ready()` (e.g. `supportplan/reports/health.py`)::

    import dataclasses
    from health_check.base import HealthCheck
    from health_check.exceptions import ServiceUnavailable
    from supportplan.core.health import OnRequestThread, register

    @register
    @dataclasses.dataclass
    class CjkFont(OnRequestThread, HealthCheck):
        def probe(self) -> None:  # synchronous, may use the ORM
            if not ...:
                raise ServiceUnavailable("no CJK font resolves in matplotlib")

The check's class name is its key in the answer. Answers are JSON, name no tenant and need no login:
200 when every check passes, 503 otherwise (a load balancer stops sending traffic).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from health_check import checks
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable, ServiceWarning
from health_check.views import HealthCheckView

from supportplan.core import clock

READY_CHECKS: list[Any] = []


def register(check: Any) -> Any:
    """Add a check (a HealthCheck subclass, or `(cls, kwargs)`) to `/readyz`; a decorator."""
    READY_CHECKS.append(check)
    return check


class OnRequestThread:
    """Runs the check's synchronous `probe` on the request's thread and database connection
    (django-health-check would use a pool thread with a connection of its own)."""

    def probe(self) -> None:
        raise NotImplementedError

    async def run(self) -> None:
        await sync_to_async(self.probe)()


@dataclasses.dataclass
class Database(OnRequestThread, checks.Database):
    def probe(self) -> None:
        checks.Database.run(self)


@dataclasses.dataclass
class Storage(OnRequestThread, checks.Storage):
    def probe(self) -> None:
        checks.Storage.run(self)


def limit(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


@dataclasses.dataclass
class MigrationsApplied(OnRequestThread, HealthCheck):
    def probe(self) -> None:
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise ServiceUnavailable("migrations not applied: run `supportplan migrate`")


@dataclasses.dataclass
class CatalogsLoaded(OnRequestThread, HealthCheck):
    def probe(self) -> None:
        from supportplan.catalog.models import Plan

        if not Plan.objects.exists():
            raise ServiceUnavailable("no catalog loaded: run `supportplan catalog load --seeds`")


@dataclasses.dataclass
class SchedulerHeartbeat(OnRequestThread, HealthCheck):
    def probe(self) -> None:
        from supportplan.core.schedule import last_beat

        beat = last_beat()
        max_age = limit("SUPPORTPLAN_READY_SCHEDULER_MAX_AGE", 120)
        if beat is None:
            raise ServiceUnavailable("no scheduler has run: start `supportplan scheduler`")
        age = (clock.now() - beat).total_seconds()
        if age > max_age:
            raise ServiceUnavailable(
                f"scheduler heartbeat is {age:.0f} s old (limit {max_age:g} s)"
            )


def check_backlog(
    waiting: Any,
    since: str,
    *,
    what: str,
    count_setting: str,
    max_count: float,
    age_setting: str,
    max_age: float,
) -> None:
    """Unavailable when more than `max_count` rows wait, or the oldest waits over `max_age` s."""
    count = waiting.count()
    max_count = limit(count_setting, max_count)
    if count > max_count:
        raise ServiceUnavailable(f"{count} {what} wait (limit {max_count:g})")
    oldest = waiting.order_by(since).values_list(since, flat=True).first()
    max_age = limit(age_setting, max_age)
    if oldest is not None and (age := (clock.now() - oldest).total_seconds()) > max_age:
        raise ServiceUnavailable(
            f"the oldest of the {what} waits {age:.0f} s (limit {max_age:g} s)"
        )


@dataclasses.dataclass
class OutboxBacklog(OnRequestThread, HealthCheck):
    def probe(self) -> None:
        from supportplan.notifications.models import Outbox, OutboxStatus

        due = Outbox.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=clock.now())
        check_backlog(
            due,
            "created_at",
            what="undelivered messages",
            count_setting="SUPPORTPLAN_READY_OUTBOX_MAX",
            max_count=1000,
            age_setting="SUPPORTPLAN_READY_OUTBOX_MAX_AGE",
            max_age=900,
        )


@dataclasses.dataclass
class TaskQueue(OnRequestThread, HealthCheck):
    def probe(self) -> None:
        from django_tasks_db.models import DBTaskResult

        check_backlog(
            DBTaskResult.objects.ready(),
            "enqueued_at",
            what="tasks waiting for a worker",
            count_setting="SUPPORTPLAN_READY_TASKS_MAX",
            max_count=5000,
            age_setting="SUPPORTPLAN_READY_TASKS_MAX_AGE",
            max_age=600,
        )


register(Database)
register(Storage)
register(MigrationsApplied)
register(CatalogsLoaded)
register(SchedulerHeartbeat)
register(OutboxBacklog)
register(TaskQueue)


class ReadyView(HealthCheckView):
    """Always JSON: {"status": "ok"|"unavailable", "checks": {name: "OK"|reason}}."""

    def get_checks(self):  # type: ignore[no-untyped-def]
        self.checks = list(READY_CHECKS)
        return super().get_checks()

    async def get(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        await super().get(request, *args, **kwargs)
        failed = [r for r in self.results if r.error and not isinstance(r.error, ServiceWarning)]
        return JsonResponse(
            {
                "status": "unavailable" if failed else "ok",
                "checks": {
                    r.check.labels["check"]: "OK" if not r.error else str(r.error)
                    for r in self.results
                },
            },
            status=503 if failed else 200,
        )


@never_cache
def healthz(request):  # type: ignore[no-untyped-def]
    """Liveness: the process answers. Touches no database."""
    return JsonResponse({"status": "ok", "time": clock.now().isoformat()})


readyz = ReadyView.as_view()
