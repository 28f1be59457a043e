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


@dataclasses.dataclass
class OutboxBacklog(OnRequestThread, HealthCheck):
    def probe(self) -> None:
        from supportplan.notifications.models import Outbox, OutboxStatus

        now = clock.now()
        waiting = Outbox.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
        count = waiting.count()
        max_count = limit("SUPPORTPLAN_READY_OUTBOX_MAX", 1000)
        if count > max_count:
            raise ServiceUnavailable(f"{count} messages wait for delivery (limit {max_count:g})")
        oldest = waiting.order_by("created_at").values_list("created_at", flat=True).first()
        max_age = limit("SUPPORTPLAN_READY_OUTBOX_MAX_AGE", 900)
        if oldest is not None and (age := (now - oldest).total_seconds()) > max_age:
            raise ServiceUnavailable(
                f"oldest undelivered message is {age:.0f} s old (limit {max_age:g} s)"
            )


@dataclasses.dataclass
class TaskQueue(OnRequestThread, HealthCheck):
    def probe(self) -> None:
        from django_tasks_db.models import DBTaskResult

        now = clock.now()
        ready = DBTaskResult.objects.ready()
        count = ready.count()
        max_count = limit("SUPPORTPLAN_READY_TASKS_MAX", 5000)
        if count > max_count:
            raise ServiceUnavailable(f"{count} tasks wait for a worker (limit {max_count:g})")
        oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
        max_age = limit("SUPPORTPLAN_READY_TASKS_MAX_AGE", 600)
        if oldest is not None and (age := (now - oldest).total_seconds()) > max_age:
            raise ServiceUnavailable(
                f"oldest waiting task is {age:.0f} s old (limit {max_age:g} s): are workers running?"
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
