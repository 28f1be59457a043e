"""Dispatch and delivery tasks (queue "notifications"). They take ids and an optional `as_of` and call one
service; running one twice sends nothing twice (the service claims the row)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.tasks import task

from supportplan.core import clock
from supportplan.core.schedule import periodic

from . import services
from .models import Outbox, OutboxStatus

logger = logging.getLogger("supportplan.notifications")


def _instant(as_of: str | None) -> datetime:
    if not as_of:
        return clock.now()
    value = datetime.fromisoformat(as_of)
    if value.tzinfo is None:
        raise ValueError("as_of must carry a time zone")
    return value


@task(queue_name="notifications")
def deliver(outbox_id: int, first: bool = True) -> str:
    """The first attempt (enqueued on commit) or a due retry (enqueued by the sweep).

    The attempt reads the clock when it runs: signatures must carry the real send time.
    A failed attempt with a retry planned enqueues that retry itself, to run at the planned
    time (`run_after`), where the backend can defer tasks; the sweep stays as a safety net."""
    outcome = services.outbox_deliver(outbox_id=outbox_id, now=clock.now(), first=first)
    if outcome != "not_claimed":
        logger.info(
            "notification %s: %s",
            outbox_id,
            outcome,
            extra={"outbox_id": outbox_id, "outcome": outcome},
        )
    if outcome == OutboxStatus.PENDING and deliver.get_backend().supports_defer:
        due = (
            Outbox.objects.filter(pk=outbox_id, status=OutboxStatus.PENDING)
            .values_list("next_attempt_at", flat=True)
            .first()
        )
        if due is not None:
            deliver.using(run_after=due).enqueue(outbox_id=outbox_id, first=False)
    return outcome


@task(queue_name="notifications")
def dispatch(dispatch_id: int) -> str:
    """Fan a committed event out to its recipients (enqueued with the event)."""
    return services.dispatch_run(dispatch_id=dispatch_id, now=clock.now())


@task(queue_name="notifications")
def retry_due(as_of: str) -> int:
    now = _instant(as_of)
    for pk in services.dispatch_due(now=now):
        dispatch.enqueue(dispatch_id=pk)
    ids = services.outbox_due(now=now)
    for pk in ids:
        deliver.enqueue(outbox_id=pk, first=False)
    return len(ids)


# Delivery retries are enqueued with run_after by `deliver`; this sweep catches the rest
# (dispatch retries, claims whose worker died, retries on a backend that cannot defer).
@periodic("notifications.retry_due", every=timedelta(seconds=30))
def enqueue_retry_due(now: datetime) -> None:
    retry_due.enqueue(as_of=now.isoformat())
