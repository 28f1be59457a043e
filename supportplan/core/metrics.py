"""`GET /metrics` (Prometheus text format, prometheus-client).

Two kinds of figures, chosen so several gunicorn workers report true totals:
- business and queue figures are read from the database at scrape time by a collector
  (`DatabaseCollector`): the database is the one place every process writes, so any worker
  answers the same totals and a restart loses nothing;
- HTTP requests and latency are counted in the process serving them; with several workers set
  `PROMETHEUS_MULTIPROC_DIR` (an empty directory, cleared at start) and prometheus-client's
  multiprocess mode sums them across workers.

Access: `SUPPORTPLAN_METRICS_TOKEN` unset -> 404 (disabled); set -> the scraper sends
`Authorization: Bearer <token>`, anything else is 401. No tenant names in any label.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from supportplan.core import clock

REQUESTS = Counter(
    "supportplan_http_requests_total",
    "HTTP requests by route and status",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "supportplan_http_request_duration_seconds",
    "HTTP request latency by route",
    ["route", "method"],
)


class DatabaseCollector(Collector):
    def collect(self) -> Iterator[Any]:
        from django_tasks_db.models import DBTaskResult

        from supportplan.cases.models import Case
        from supportplan.notifications.models import DeliveryAttempt, Outbox, OutboxStatus

        now = clock.now()
        opened = CounterMetricFamily(
            "supportplan_cases_opened", "Cases opened", labels=["plan", "severity"]
        )
        warned = CounterMetricFamily(
            "supportplan_sla_warnings", "Cases whose SLA warning fired", labels=["plan", "severity"]
        )
        breached = CounterMetricFamily(
            "supportplan_sla_breaches", "Cases whose SLA was breached", labels=["plan", "severity"]
        )
        for r0 in Case.objects.values("plan_code", "severity").annotate(
            n=Count("id"),
            w=Count("id", filter=models_q(sla_warned=True)),
            b=Count("id", filter=models_q(sla_breached=True)),
        ):
            labels = [r0["plan_code"], r0["severity"]]
            opened.add_metric(labels, r0["n"])
            warned.add_metric(labels, r0["w"])
            breached.add_metric(labels, r0["b"])
        yield from (opened, warned, breached)

        yield from backlog(
            Outbox.objects.filter(status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING]),
            "channel",
            "created_at",
            now,
            "supportplan_outbox",
            "undelivered messages",
            "channel",
        )

        failures = CounterMetricFamily(
            "supportplan_delivery_failures", "Failed delivery attempts", labels=["channel"]
        )
        for r2 in (
            DeliveryAttempt.objects.filter(ok=False)
            .values("outbox__channel")
            .annotate(n=Count("id"))
        ):
            failures.add_metric([r2["outbox__channel"]], r2["n"])
        yield failures

        yield from backlog(
            DBTaskResult.objects.ready(),
            "queue_name",
            "enqueued_at",
            now,
            "supportplan_task_queue",
            "tasks waiting for a worker",
            "queue",
        )

        reports = CounterMetricFamily(
            "supportplan_report_tasks", "Report tasks by outcome", labels=["task", "status"]
        )
        for r4 in (
            DBTaskResult.objects.filter(queue_name="reports")
            .values("task_path", "status")
            .annotate(n=Count("id"))
        ):
            reports.add_metric([r4["task_path"].rsplit(".", 1)[-1], r4["status"]], r4["n"])
        yield reports

        from supportplan.core.schedule import last_beat

        beat = last_beat()
        heartbeat = GaugeMetricFamily(
            "supportplan_scheduler_heartbeat_age_seconds", "Seconds since the scheduler's last tick"
        )
        heartbeat.add_metric([], (now - beat).total_seconds() if beat else float("inf"))
        yield heartbeat


def backlog(
    waiting: Any, key: str, since: str, now: Any, prefix: str, what: str, label: str
) -> Iterator[Any]:
    """`<prefix>_depth` (or `_backlog` for the outbox) and `<prefix>_oldest_seconds` by `label`."""
    count_name = f"{prefix}_backlog" if prefix == "supportplan_outbox" else f"{prefix}_depth"
    count = GaugeMetricFamily(count_name, f"Number of {what}", labels=[label])
    oldest = GaugeMetricFamily(
        f"{prefix}_oldest_seconds", f"Age of the oldest of the {what}", labels=[label]
    )
    for row in waiting.values(key).annotate(n=Count("id"), first=Min(since)):
        count.add_metric([row[key]], row["n"])
        oldest.add_metric([row[key]], (now - row["first"]).total_seconds())
    yield from (count, oldest)


def models_q(**kwargs: Any) -> Any:
    from django.db.models import Q

    return Q(**kwargs)


def registry() -> CollectorRegistry:
    reg = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(reg)
    else:
        reg.register(REQUESTS)
        reg.register(LATENCY)
    reg.register(DatabaseCollector())
    return reg


def metrics(request: HttpRequest) -> HttpResponse:
    token = getattr(settings, "SUPPORTPLAN_METRICS_TOKEN", "")
    if not token:
        return JsonResponse({"detail": "metrics are disabled"}, status=404)
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return JsonResponse({"detail": "a valid bearer token is required"}, status=401)
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """Counts each request by its resolver route (`cases/<int:case_id>/`), never its raw path."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None else "<unmatched>"
        if route != "metrics":
            REQUESTS.labels(route, request.method, str(response.status_code)).inc()
            LATENCY.labels(route, request.method).observe(time.perf_counter() - start)
        return response
