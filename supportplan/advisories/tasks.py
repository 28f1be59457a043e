"""The overdue-contact sweep: idempotent, safe on several workers (rows are locked)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.tasks import task

from supportplan.core.schedule import periodic

from . import services


@task()
def contact_sweep(as_of: str) -> list[int]:
    value = datetime.fromisoformat(as_of)
    if value.tzinfo is None:
        raise ValueError("as_of must carry a time zone")
    return services.advisory_contact_sweep(now=value)


@periodic("advisories.contact_sweep", every=timedelta(minutes=1))
def enqueue_contact_sweep(now: datetime) -> None:
    contact_sweep.enqueue(as_of=now.isoformat())
