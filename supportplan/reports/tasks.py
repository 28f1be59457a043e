"""Background jobs: every entitled tenant's report for last month (idempotent).

The scheduler enqueues the month job hourly from the 1st; a run creates what is missing,
retries what failed to collect, e-mails what is ready (through the notifications outbox),
and leaves finished and sent reports alone, so
running it again (or on several workers) never duplicates a report or an e-mail.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.tasks import task

from supportplan.core.schedule import periodic

from . import services
from .data import Month


def _instant(as_of: str) -> datetime:
    value = datetime.fromisoformat(as_of)
    if value.tzinfo is None:
        raise ValueError("as_of must carry a time zone")
    return value


@task(queue_name="reports")
def generate_month(month: str, as_of: str, tenant: str | None = None) -> dict[str, Any]:
    lines = services.reports_generate_month(
        month=Month.parse(month), now=_instant(as_of), tenant_slug=tenant
    )
    return {
        "month": month,
        "tenants": len(lines),
        "ready_or_sent": sum(1 for x in lines if x.status != "not_generated"),
        "not_generated": [x.tenant for x in lines if x.status == "not_generated"],
        "sent": sum(1 for x in lines if x.sent),
    }


@periodic("reports.monthly", every=timedelta(hours=1))
def enqueue_last_month(now: datetime) -> None:
    generate_month.enqueue(month=Month.containing(now).previous().label, as_of=now.isoformat())


@task(queue_name="reports")
def check_deliveries(as_of: str) -> dict[str, int]:
    """Mark SENDING reports sent (or failed) from their e-mails' delivery log."""
    return services.report_deliveries_check(now=_instant(as_of))


@periodic("reports.deliveries", every=timedelta(minutes=1))
def enqueue_check_deliveries(now: datetime) -> None:
    check_deliveries.enqueue(as_of=now.isoformat())
