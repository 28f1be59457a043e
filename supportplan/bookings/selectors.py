"""Tenant-scoped reads of bookings, and the escort intervals the SLA engine needs.

Contract for cases / SLA:

``escort_intervals(tenant, start, end) -> EscortCover``
    The tenant's confirmed escorts overlapping ``[start, end)``. ``.intervals`` is a list of
    ``(start, end)`` aware datetimes (UTC): whole natural days in Asia/Shanghai, 00:00 of the
    first day to 00:00 after the last, overlapping escorts merged — only escorts whose
    catalog service overrides the urgent first response (the partner escort: < 10 min). ``.team_user_ids`` are the
    people assigned to those escorts (notify them of every case). ``.escorts`` has the detail
    per booking, including escorts without an SLA override (the Tencent expert escort), whose
    teams are still notified of every case.

    "Confirmed" means staff confirmed it and it was not cancelled: confirmed, delivered,
    accepted and rated bookings all count, because the dates were staffed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.db.models import QuerySet, prefetch_related_objects

from supportplan.core.compiled import CompiledRead
from supportplan.core.tenancy import for_tenant, tenant_pk
from supportplan.subscriptions.domain import local_date, local_midnight

from .models import STAFFED, Booking, BookingStatus


@dataclass(frozen=True)
class Escort:
    booking_id: int
    service_code: str
    start: datetime
    end: datetime
    team_user_ids: tuple[int, ...]
    sla_override: bool

    def covers(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


@dataclass(frozen=True)
class EscortCover:
    escorts: tuple[Escort, ...] = ()
    intervals: list[tuple[datetime, datetime]] = field(default_factory=list)
    team_user_ids: frozenset[int] = frozenset()

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.intervals)

    def __bool__(self) -> bool:
        return bool(self.intervals)

    def covers(self, instant: datetime) -> bool:
        return any(a <= instant < b for a, b in self.intervals)

    def team_at(self, instant: datetime) -> frozenset[int]:
        return frozenset(u for e in self.escorts if e.covers(instant) for u in e.team_user_ids)


def booking_window(booking: Booking) -> tuple[datetime, datetime]:
    """Whole natural days in Asia/Shanghai, as UTC instants."""
    return (
        local_midnight(booking.start_date).astimezone(UTC),
        local_midnight(booking.end_date).astimezone(UTC),
    )


def escort_intervals(tenant: Any, start: datetime, end: datetime) -> EscortCover:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("escort_intervals needs aware datetimes")
    # Days overlap [start, end) when start_date <= local(end) and end_date > local(start).
    first_day = local_date(start)
    last_day = local_date(end) + timedelta(days=1)
    rows = _ESCORTS.rows(tenant_id=tenant_pk(tenant), first_day=first_day, last_day=last_day)
    bookings = [Booking.from_db(DEFAULT_DB_ALIAS, _BOOKING_COLUMNS, row) for row in rows]
    if bookings:
        prefetch_related_objects(bookings, "team")
    escorts = []
    for booking in bookings:
        a, b = booking_window(booking)
        if a < end and b > start:
            team = tuple(sorted(u.pk for u in booking.team.all()))
            escorts.append(
                Escort(booking.pk, booking.service_code, a, b, team, booking.sla_override)
            )
    merged: list[tuple[datetime, datetime]] = []
    for e in sorted((e for e in escorts if e.sla_override), key=lambda e: e.start):
        if merged and e.start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e.end))
        else:
            merged.append((e.start, e.end))
    return EscortCover(
        escorts=tuple(escorts),
        intervals=merged,
        team_user_ids=frozenset(u for e in escorts for u in e.team_user_ids),
    )


_BOOKING_COLUMNS = [f.attname for f in Booking._meta.concrete_fields]


def _escorts_between(tenant_id: int, first_day: date, last_day: date) -> QuerySet[Any]:
    """Staffed escort bookings of the tenant with days in [first_day, last_day), as whole rows
    (every concrete column, for Booking.from_db)."""
    from supportplan.accounts.models import Tenant

    return (
        for_tenant(Booking.objects, Tenant(pk=tenant_id))
        .filter(
            status__in=STAFFED,
            is_escort=True,
            start_date__lt=last_day,
            end_date__gt=first_day,
        )
        .order_by("start_date", "pk")
        .values_list(*_BOOKING_COLUMNS)
    )


# Read on every opening of a case: compiled once (core.compiled).
_ESCORTS = CompiledRead(
    _escorts_between,
    tenant_id=-987_654_321,
    first_day=date(1901, 2, 3),
    last_day=date(1901, 3, 4),
)


def bookings_of(tenant: Any) -> QuerySet[Booking]:
    return for_tenant(Booking.objects, tenant).prefetch_related("team")


# Statuses a booking reaches once delivered (a delivered booking is never cancelled).
DELIVERED = (BookingStatus.DELIVERED, BookingStatus.ACCEPTED, BookingStatus.RATED)


def delivered_between(tenant: Any, start: datetime, end: datetime) -> QuerySet[Booking]:
    """The tenant's bookings whose delivery was recorded in ``[start, end)`` (aware instants),
    oldest delivery first: what a report about that period lists as delivered, whatever
    happened to them (acceptance, rating) or was booked afterwards."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("delivered_between needs aware datetimes")
    return (
        for_tenant(Booking.objects, tenant)
        .filter(status__in=DELIVERED, delivered_at__gte=start, delivered_at__lt=end)
        .order_by("delivered_at", "pk")
    )


def warnings_of(booking: Booking) -> list[dict[str, Any]]:
    """The booking's warnings in the current language, as {code, message, params}: a known
    code is rendered again from its params with the catalog's service name in that language;
    any other keeps the message stored when the booking was requested."""
    from django.utils.translation import get_language

    from supportplan.catalog import selectors as catalog_selectors

    from . import texts

    out = []
    for warning in booking.warnings or []:
        params = dict(warning.get("params") or {})
        message = str(warning.get("message", ""))
        if warning.get("code") == "booking.lead_time_recommended" and {
            "days",
            "earliest",
        } <= set(params):
            try:
                catalog = catalog_selectors.catalog_for_version(booking.catalog_version_id)
                params["service"] = catalog.service(booking.service_code).name.get(get_language())
            except LookupError:
                params["service"] = booking.service_code
            message = str(texts.LEAD_TIME_RECOMMENDED % params)
        out.append({"code": warning.get("code", ""), "message": message, "params": params})
    return out
