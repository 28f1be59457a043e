"""Write the audit log. Every business action calls this inside its transaction."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db.models import Model

from .bulk import insert_rows
from .models import AuditEntry

# Explicit subscribers (no Django signals): called inside the same transaction as the
# action, so what they write (e.g. a notification outbox row) commits or rolls back with it.
AuditSubscriber = Callable[[AuditEntry], None]
_subscribers: list[AuditSubscriber] = []


def subscribe(subscriber: AuditSubscriber) -> AuditSubscriber:
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)
    return subscriber


def audit_log(
    *,
    action: str,
    at: datetime,
    actor: Any = None,
    tenant: Any = None,
    target: Model | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    if at.tzinfo is None:
        raise ValueError("audit_log needs an aware datetime")
    entry = AuditEntry.objects.create(
        action=action,
        at=at,
        actor=actor if getattr(actor, "pk", None) else None,
        tenant=tenant,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        data=data or {},
    )
    for subscriber in _subscribers:
        subscriber(entry)
    return entry


def audit_log_bulk(entries: list[AuditEntry]) -> list[AuditEntry]:
    """Write many prepared (unsaved) entries in one INSERT, then hand each to the
    subscribers in order, as `audit_log` would: for set-based writers such as the SLA sweep."""
    for entry in entries:
        if entry.at.tzinfo is None:
            raise ValueError("audit_log_bulk needs aware datetimes")
    ids = insert_rows(
        AuditEntry,
        [
            {
                "action": e.action,
                "at": e.at,
                "actor_id": e.actor_id,
                "tenant_id": e.tenant_id,
                "target_type": e.target_type,
                "target_id": e.target_id,
                "data": e.data,
            }
            for e in entries
        ],
    )
    for entry, pk in zip(entries, ids, strict=True):
        entry.pk = pk
        entry._state.adding = False
    created = entries
    for subscriber in _subscribers:
        # A subscriber with a `bulk` attribute takes the whole list at once (one INSERT of
        # its own rows instead of one per entry); the others get each entry in order.
        bulk = getattr(subscriber, "bulk", None)
        if bulk is not None:
            bulk(created)
            continue
        for entry in created:
            subscriber(entry)
    return created


def audit_trail(target: Model) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            target_type=target._meta.label_lower, target_id=str(target.pk)
        ).order_by("at", "id")
    )
