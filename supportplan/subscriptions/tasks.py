"""Background job of subscriptions: start service once a technical contact is named, place
automatic renewals, expire lapsed subscriptions and quota years. Idempotent."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.tasks import task

from supportplan.core.schedule import periodic


@task()
def sweep_subscriptions(as_of: str) -> dict[str, int]:
    from .services import subscriptions_sweep

    instant = datetime.fromisoformat(as_of)
    if instant.tzinfo is None:
        raise ValueError("as_of must carry a time zone")
    return subscriptions_sweep(now=instant)


@periodic("subscriptions.sweep", every=timedelta(minutes=15))
def enqueue_sweep(now: datetime) -> None:
    sweep_subscriptions.enqueue(now.isoformat())
