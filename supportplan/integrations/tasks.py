"""Polling the cloud vendors' tickets: every minute, one task per open vendor ticket."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.tasks import task

from supportplan.core.schedule import periodic

from . import relay
from .models import VendorTicket


@task()
def vendor_sync(ticket_id: int, as_of: str) -> dict[str, Any]:
    return {"copied": relay.vendor_sync(ticket_id=ticket_id, now=datetime.fromisoformat(as_of))}


@periodic("integrations.vendor_sync", every=timedelta(minutes=1))
def enqueue_vendor_sync(now: datetime) -> None:
    for ticket_id in VendorTicket.objects.filter(closed=False).values_list("pk", flat=True):
        vendor_sync.enqueue(ticket_id=ticket_id, as_of=now.isoformat())
