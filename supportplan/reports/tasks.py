"""Background jobs: every entitled tenant's report for last month (idempotent).

The scheduler enqueues the month job hourly from the 1st; it fans out into one task per
tenant and month (`generate_report`), so any number of workers share a month. A run creates
what is missing, retries what failed to collect, e-mails what is ready (through the
notifications outbox), and leaves finished and sent reports alone, so running it again (or
on several workers) never duplicates a report or an e-mail. Web requests only enqueue.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.tasks import task

from supportplan.core import heap
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
    """Fan out: one `generate_report` task per entitled tenant that still needs one."""
    queued = services.reports_enqueue_month(
        month=Month.parse(month), now=_instant(as_of), tenant_slug=tenant
    )
    return {"month": month, "queued": sum(1 for q in queued if q.queued)}


@task(queue_name="reports")
def generate_report(
    tenant: int,
    month: str,
    as_of: str,
    force: bool = False,
    send: bool = False,
    actor: int | None = None,
) -> dict[str, Any]:
    """One tenant's report for one month (queued by `services.report_enqueue`)."""
    from supportplan.accounts.models import Tenant, User

    found = Tenant.objects.filter(pk=tenant).first()
    if found is None:  # deleted since: nothing to do
        return {"tenant": tenant, "month": month, "state": "gone"}
    report = services.report_run(
        tenant=found,
        month=Month.parse(month),
        now=_instant(as_of),
        actor=User.objects.filter(pk=actor).first() if actor else None,
        force=force,
        send=send,
    )
    heap.settle()  # after this worker's first report: see core.heap
    return {
        "tenant": found.slug,
        "month": month,
        "state": report.state if report else "",
        "status": report.status if report else "",
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
