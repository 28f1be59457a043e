"""Bookings of value-added services: request, confirm, deliver, accept, rate, cancel.

Rules of a request (each refusal has its own code, docs/subscriptions.md):
- the plan in force includes the service (booking.service_not_in_plan names the plans that do)
  and the purchase term does too (booking.service_needs_annual);
- escorts: a whole number of days (booking.days_not_whole) and an event description
  (booking.event_required);
- the start is not in the past (booking.start_in_past) and the booked days end inside the
  paid period (booking.beyond_period);
- lead time "required" refuses a start before the N-th working day after today
  (booking.lead_time_required); "recommended" accepts with a warning
  (booking.lead_time_recommended);
- enough quota left (booking.quota_exceeded) and requests left (booking.requests_used_up).

Quota-limited services reserve from the ledger under locks (Subscription, then QuotaBucket,
by primary key); paid add-ons (Tencent expert escort) create an add-on order that is accepted
and paid like a plan, and the booking is requested once it is paid.

Audit codes: booking.requested, booking.awaiting_payment, booking.confirmed,
booking.delivered, booking.accepted, booking.rated, booking.cancelled, booking.escort_case
(a case opened during an escort: the escort team is told).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from supportplan.calendars.deadlines import check_lead_time
from supportplan.catalog import selectors as catalog_selectors
from supportplan.catalog.domain import Catalog, Plan, ServiceGrant
from supportplan.catalog.texts import plan_list
from supportplan.core.audit import audit_log
from supportplan.core.errors import Conflict, DomainError
from supportplan.core.locking import lock_rows
from supportplan.subscriptions import domain as sub_domain
from supportplan.subscriptions import selectors as sub_selectors
from supportplan.subscriptions.models import (
    LedgerKind,
    Order,
    OrderKind,
    OrderStatus,
    QuotaBucket,
    QuotaEntry,
    Subscription,
)
from supportplan.subscriptions.services import localized

from . import texts
from .models import Booking, BookingStatus

MAX_ESCORT_DAYS = 31  # our rule: one paid escort request covers at most a month


def _working_days_calendar() -> Any:
    from supportplan.calendars.selectors import working_days_calendar

    return working_days_calendar()


def _data(booking: Booking) -> dict[str, Any]:
    return {
        "booking_id": booking.pk,
        "service": booking.service_code,
        "provider": booking.provider_code,
        "plan": booking.plan_code,
        "start_date": booking.start_date.isoformat(),
        "end_date": booking.end_date.isoformat(),
        "last_day": (booking.end_date - timedelta(days=1)).isoformat(),
        "quantity": booking.quantity,
        "unit": booking.unit,
        "event_kind": booking.event_kind,
        "event_description": booking.event_description,
        "status": booking.status,
        "escort": booking.is_escort,
    }


def _includes(pif: Any, service_code: str) -> bool:
    catalog = catalog_selectors.catalog_for_version(pif.catalog_version_id)
    return catalog.plan(pif.plan_code).includes_service(service_code)


def _whole_quantity(value: Any, *, escort: bool) -> int:
    if value is None or value == "":
        if escort:
            raise DomainError(
                "booking.days_required",
                _("Say how many whole days the escort should cover."),
                field="days",
            )
        return 1
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        number = Decimal("NaN")
    if number.is_nan() or number != number.to_integral_value() or number < 1:
        raise DomainError(
            "booking.days_not_whole",
            _(
                "Escort days are booked as whole natural days: %(value)s is not a whole number of 1 or more."
            ),
            value=str(value),
            field="days",
        )
    if number > MAX_ESCORT_DAYS:
        # Before any date arithmetic: 5,000,000 days is past the last date Python knows.
        raise DomainError(
            "booking.too_many_days",
            _("One request covers at most %(max)s days; split a longer escort."),
            max=MAX_ESCORT_DAYS,
            field="days",
        )
    return int(number)


def _locate(
    tenant: Any, service_code: str, when: datetime, *, fallback: datetime
) -> tuple[Any, Catalog, Plan, ServiceGrant]:
    """The plan in force at `when` that includes the service (else the one in force at
    `fallback`, so a start beyond every paid period is refused as such), or the refusal
    naming who has it."""
    in_force = sub_selectors.plans_in_force(tenant, when)
    if when != fallback and not any(
        p.subscription_id and _includes(p, service_code) for p in in_force
    ):
        in_force = sub_selectors.plans_in_force(tenant, fallback)
    for pif in in_force:
        catalog = catalog_selectors.catalog_for_version(pif.catalog_version_id)
        plan = catalog.plan(pif.plan_code)
        if plan.includes_service(service_code):
            grant = plan.grant_for(service_code)
            if pif.subscription_id is None or not grant.available_on(pif.term or ""):
                plans = tuple(
                    p
                    for p in catalog.plans_including_service(service_code)
                    if p.grant_for(service_code).available_on(sub_domain.ANNUAL)
                )
                raise DomainError(
                    "booking.service_needs_annual",
                    _(
                        "%(service)s comes only with an annual purchase of %(plans)s; your "
                        "%(plan)s is bought %(term)s."
                    ),
                    service=localized(catalog.service(service_code).name),
                    plans=plan_list(catalog, plans),
                    plan=localized(plan.name),
                    term=pif.term or "-",
                )
            return pif, catalog, plan, grant
    catalogs = catalog_selectors.current_catalogs()
    for catalog in catalogs.values():
        if any(s.code == service_code for s in catalog.services):
            return_plans = plan_list(catalog, catalog.plans_including_service(service_code))
            raise DomainError(
                "booking.service_not_in_plan",
                _("Your plan does not include %(service)s. It comes with: %(plans)s."),
                service=localized(catalog.service(service_code).name),
                plans=return_plans,
                field="service",
            )
    known = sorted({s.code for c in catalogs.values() for s in c.services})
    raise DomainError(
        "booking.service_unknown",
        _("There is no value-added service “%(service)s”. Known services: %(known)s."),
        service=service_code,
        known=", ".join(known),
        field="service",
    )


def booking_request(
    *,
    tenant: Any,
    actor: Any,
    service_code: str,
    start_date: date,
    now: datetime,
    days: Any = None,
    event_kind: str = "",
    event_description: str = "",
) -> Booking:
    today = sub_domain.local_date(now)
    # The plan, order and quota of the paid year the booking starts in: a booking in a
    # renewal year uses the renewal (its plan, its quota), not the order in force today.
    starts = sub_domain.local_midnight(start_date) if isinstance(start_date, date) else now
    pif, catalog, plan, grant = _locate(tenant, service_code, max(now, starts), fallback=now)
    service = grant.service
    escort = service.unit == "natural_days"
    quantity = _whole_quantity(days, escort=escort) if escort else 1
    if escort and not (event_description or "").strip():
        raise DomainError(
            "booking.event_required",
            _("Describe the event the escort covers (launch, promotion, migration…)."),
            field="event_description",
        )
    if start_date < today:
        raise DomainError(
            "booking.start_in_past",
            _("The start date %(start)s is in the past; choose %(today)s or later."),
            start=start_date.isoformat(),
            today=today.isoformat(),
            field="start_date",
        )
    try:
        end_date = start_date + timedelta(days=quantity)
    except OverflowError:
        raise DomainError(
            "booking.start_too_late",
            _("The start date %(start)s is too far ahead to book."),
            start=start_date.isoformat(),
            field="start_date",
        ) from None
    base = Order.objects.get(pk=pif.order_id)
    paid_until = sub_selectors.paid_until(pif)
    if paid_until is not None and end_date > paid_until:
        raise DomainError(
            "booking.beyond_period",
            _(
                "The booked days must end inside your paid period, whose last day is "
                "%(last_day)s (the booking would end on %(booking_last)s)."
            ),
            last_day=(paid_until - timedelta(days=1)).isoformat(),
            booking_last=(end_date - timedelta(days=1)).isoformat(),
            field="start_date",
        )
    warnings: list[dict[str, Any]] = []
    if service.lead_time is not None:
        check = check_lead_time(
            _working_days_calendar(), today, start_date, service.lead_time.working_days
        ).value
        if not check.ok:
            params: dict[str, Any] = {
                "service": str(localized(service.name)),
                "days": service.lead_time.working_days,
                "earliest": check.earliest.isoformat(),
            }
            if service.lead_time.required:
                raise DomainError(
                    "booking.lead_time_required",
                    _(
                        "%(service)s must be applied for %(days)s working days ahead: the "
                        "earliest start is %(earliest)s."
                    ),
                    field="start_date",
                    **params,
                )
            warnings.append(
                {
                    "code": "booking.lead_time_recommended",
                    # as the requester read it; readers get it again in their language
                    # (selectors.warnings_of)
                    "message": str(texts.LEAD_TIME_RECOMMENDED % params),
                    "params": params,
                }
            )
    fields = {
        "tenant": tenant,
        "provider_code": pif.provider_code,
        "plan_code": plan.code,
        "catalog_version_id": pif.catalog_version_id,
        "service_code": service.code,
        "unit": service.unit,
        "quantity": quantity,
        "start_date": start_date,
        "end_date": end_date,
        "event_kind": event_kind or "",
        "event_description": (event_description or "").strip(),
        "is_escort": escort,
        "sla_override": service.urgent_first_response is not None,
        "warnings": warnings,
        "requested_at": now,
        "requested_by": actor if getattr(actor, "pk", None) else None,
    }
    if grant.paid:
        return _request_paid(pif, catalog, plan, grant, base, fields, actor, now)
    return _request_from_quota(pif, grant, base, fields, actor, now)


@transaction.atomic
def _request_from_quota(
    pif: Any, grant: ServiceGrant, base: Order, fields: dict[str, Any], actor: Any, now: datetime
) -> Booking:
    # the quota year the booking starts in (start_date is today or later)
    on = fields["start_date"]
    bucket_id = (
        QuotaBucket.objects.filter(
            order=base, service_code=grant.code, valid_from__lte=on, valid_until__gt=on
        )
        .values_list("pk", flat=True)
        .first()
    )
    if bucket_id is None:
        raise DomainError(
            "booking.no_quota",
            _("Your current order grants no %(service)s."),
            service=localized(grant.service.name),
        )
    # Fixed lock order: the subscription, then the bucket (same as subscriptions.services).
    (subscription,) = lock_rows(Subscription, [pif.subscription_id])
    (bucket,) = lock_rows(QuotaBucket, [bucket_id])
    (balance,) = sub_selectors.balances([bucket])
    quantity = fields["quantity"]
    if bucket.max_requests is not None and balance.requests >= bucket.max_requests:
        raise Conflict(
            "booking.requests_used_up",
            ngettext_lazy(
                "%(service)s may be requested %(max)s time per year; that is used up until "
                "%(until)s.",
                "%(service)s may be requested %(max)s times per year; that is used up until "
                "%(until)s.",
                bucket.max_requests,
            ),
            service=localized(grant.service.name),
            max=bucket.max_requests,
            until=bucket.valid_until.isoformat(),
        )
    if balance.available < quantity:
        raise Conflict(
            "booking.quota_exceeded",
            (
                ngettext_lazy(
                    "Only %(available)s day of %(service)s is left in this quota year "
                    "(until %(until)s); you asked for %(requested)s.",
                    "Only %(available)s days of %(service)s are left in this quota year "
                    "(until %(until)s); you asked for %(requested)s.",
                    balance.available,
                )
                if grant.service.unit == "natural_days"
                else ngettext_lazy(
                    "Only %(available)s request of %(service)s is left in this quota year "
                    "(until %(until)s); you asked for %(requested)s.",
                    "Only %(available)s requests of %(service)s are left in this quota year "
                    "(until %(until)s); you asked for %(requested)s.",
                    balance.available,
                )
            ),
            available=balance.available,
            service=localized(grant.service.name),
            until=bucket.valid_until.isoformat(),
            requested=quantity,
        )
    booking = Booking.objects.create(
        subscription=subscription,
        base_order=base,
        bucket=bucket,
        status=BookingStatus.REQUESTED,
        **fields,
    )
    QuotaEntry.objects.create(
        tenant=booking.tenant,
        bucket=bucket,
        kind=LedgerKind.RESERVE,
        quantity=quantity,
        booking_id=booking.pk,
        at=now,
        note=f"booking {booking.pk}",
    )
    locked_now = False
    if grant.service.locks_order:
        locked_now = bool(
            Order.objects.filter(pk=base.pk, locked_at__isnull=True).update(
                locked_at=now, locked_by_service=grant.code
            )
        )
    audit_log(
        action="booking.requested",
        at=now,
        actor=actor,
        tenant=booking.tenant,
        target=booking,
        data={
            **_data(booking),
            "warnings": [w["code"] for w in booking.warnings],
            "available_after": balance.available - quantity,
            "order": base.number,
            "order_locked": locked_now,
        },
    )
    return booking


@transaction.atomic
def _request_paid(
    pif: Any,
    catalog: Catalog,
    plan: Plan,
    grant: ServiceGrant,
    base: Order,
    fields: dict[str, Any],
    actor: Any,
    now: datetime,
) -> Booking:
    service = grant.service
    quantity = fields["quantity"]
    if quantity > MAX_ESCORT_DAYS:
        raise DomainError(
            "booking.too_many_days",
            _("One request covers at most %(max)s days; split a longer escort."),
            max=MAX_ESCORT_DAYS,
            field="days",
        )
    (subscription,) = lock_rows(Subscription, [pif.subscription_id])
    price = service.price or Decimal("0")
    order = Order.objects.create(
        tenant=fields["tenant"],
        subscription=subscription,
        kind=OrderKind.ADDON,
        status=OrderStatus.PLACED,
        provider_code=pif.provider_code,
        plan_id=pif.plan_id,
        plan_code=plan.code,
        term=pif.term,
        count=quantity,
        months=0,
        monthly_price=price,
        amount=sub_domain.money(price * quantity),
        currency=catalog.provider.currency,
        service_code=service.code,
        quantity=quantity,
        period_start=fields["start_date"],
        period_end=fields["end_date"],
        placed_at=now,
        placed_by=fields["requested_by"],
    )
    booking = Booking.objects.create(
        subscription=subscription,
        base_order=base,
        addon_order=order,
        status=BookingStatus.AWAITING_PAYMENT,
        **fields,
    )
    audit_log(
        action="order.placed",
        at=now,
        actor=actor,
        tenant=order.tenant,
        target=order,
        data={
            "order_id": order.pk,
            "order": order.number,
            "kind": order.kind,
            "provider": order.provider_code,
            "plan": order.plan_code,
            "service": service.code,
            "quantity": quantity,
            "unit_price": str(price),
            "amount": str(order.amount),
            "currency": order.currency,
            "booking_id": booking.pk,
        },
    )
    audit_log(
        action="booking.awaiting_payment",
        at=now,
        actor=actor,
        tenant=booking.tenant,
        target=booking,
        data={**_data(booking), "order": order.number, "amount": str(order.amount)},
    )
    return booking


def booking_addon_paid(*, order: Order, now: datetime) -> None:
    """Called by subscriptions when an add-on order is paid (inside its transaction)."""
    booking = Booking.objects.select_for_update().get(addon_order=order)
    if booking.status != BookingStatus.AWAITING_PAYMENT:
        return
    booking.status = BookingStatus.REQUESTED
    booking.save(update_fields=["status"])
    audit_log(
        action="booking.requested",
        at=now,
        tenant=booking.tenant,
        target=booking,
        data={**_data(booking), "order": order.number, "paid": True, "amount": str(order.amount)},
    )


def booking_addon_order_cancelled(*, order: Order, actor: Any, now: datetime) -> None:
    booking = Booking.objects.select_for_update().filter(addon_order=order).first()
    if booking is None or booking.status != BookingStatus.AWAITING_PAYMENT:
        return
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.cancel_reason = "order cancelled"
    booking.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    audit_log(
        action="booking.cancelled", at=now, actor=actor, tenant=booking.tenant, target=booking,
        data={**_data(booking), "reason": "order cancelled"},
    )  # fmt: skip


def _locked(booking: Booking) -> Booking:
    """Lock a booking in the fixed order: subscription, bucket, then the booking."""
    lock_rows(Subscription, [booking.subscription_id])
    if booking.bucket_id:
        lock_rows(QuotaBucket, [booking.bucket_id])
    (fresh,) = lock_rows(Booking, [booking.pk])
    return fresh


_ACTIONS = {
    "confirmed": _("confirmed"),
    "delivered": _("delivered"),
    "accepted": _("accepted"),
    "rated": _("rated"),
}


def _refuse_status(booking: Booking, action: str) -> Conflict:
    return Conflict(
        f"booking.cannot_be_{action}",
        _("Booking %(booking)s is %(state)s; it cannot be %(action)s now."),
        booking=booking.pk,
        state=booking.get_status_display(),
        action=_ACTIONS[action],
    )


@transaction.atomic
def booking_confirm(*, booking: Booking, actor: Any, team: list[Any], now: datetime) -> Booking:
    booking = _locked(booking)
    if booking.status != BookingStatus.REQUESTED:
        raise _refuse_status(booking, "confirmed")
    people = [u for u in team if u is not None]
    if not people:
        raise DomainError(
            "booking.team_required",
            _("Assign at least one person before confirming the booking."),
            field="team",
        )
    outsiders = [u.username for u in people if not getattr(u, "is_provider_staff", False)]
    if outsiders:
        raise DomainError(
            "booking.team_not_staff",
            _("Only provider staff can be assigned: %(people)s are not."),
            people=", ".join(outsiders),
            field="team",
        )
    booking.team.set(people)
    booking.status = BookingStatus.CONFIRMED
    booking.confirmed_at = now
    booking.confirmed_by = actor if getattr(actor, "pk", None) else None
    booking.save(update_fields=["status", "confirmed_at", "confirmed_by"])
    audit_log(
        action="booking.confirmed",
        at=now,
        actor=actor,
        tenant=booking.tenant,
        target=booking,
        data={
            **_data(booking),
            "team_user_ids": sorted(u.pk for u in people),
            "team": sorted(u.get_full_name() or u.username for u in people),
        },
    )
    return booking


@transaction.atomic
def booking_deliver(
    *, booking: Booking, actor: Any, notes: str, now: datetime, report: Any = None
) -> Booking:
    booking = _locked(booking)
    if booking.status != BookingStatus.CONFIRMED:
        raise _refuse_status(booking, "delivered")
    if not (notes or "").strip() and report is None:
        raise DomainError(
            "booking.delivery_notes_required",
            _("Attach the report or write delivery notes before marking the service delivered."),
            field="notes",
        )
    booking.delivery_notes = (notes or "").strip()
    if report is not None:
        booking.report = report
    booking.status = BookingStatus.DELIVERED
    booking.delivered_at = now
    booking.save(update_fields=["delivery_notes", "report", "status", "delivered_at"])
    if booking.bucket_id:
        QuotaEntry.objects.create(
            tenant=booking.tenant, bucket_id=booking.bucket_id, kind=LedgerKind.CONSUME,
            quantity=booking.quantity, booking_id=booking.pk, at=now, note=f"booking {booking.pk}",
        )  # fmt: skip
    audit_log(
        action="booking.delivered", at=now, actor=actor, tenant=booking.tenant, target=booking,
        data={**_data(booking), "has_report": bool(booking.report)},
    )  # fmt: skip
    return booking


@transaction.atomic
def booking_accept(*, booking: Booking, actor: Any, now: datetime) -> Booking:
    booking = _locked(booking)
    if booking.status != BookingStatus.DELIVERED:
        raise _refuse_status(booking, "accepted")
    booking.status = BookingStatus.ACCEPTED
    booking.accepted_at = now
    booking.save(update_fields=["status", "accepted_at"])
    audit_log(
        action="booking.accepted", at=now, actor=actor, tenant=booking.tenant, target=booking,
        data=_data(booking),
    )  # fmt: skip
    return booking


@transaction.atomic
def booking_rate(
    *, booking: Booking, actor: Any, rating: Any, comment: str, now: datetime
) -> Booking:
    booking = _locked(booking)
    if booking.status != BookingStatus.ACCEPTED:
        raise _refuse_status(booking, "rated")
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise DomainError(
            "booking.rating_invalid",
            _("Rate the service from 1 (poor) to 5 (excellent); got %(rating)s."),
            rating=str(rating),
            field="rating",
        )
    booking.rating = rating
    booking.rating_comment = (comment or "").strip()
    booking.status = BookingStatus.RATED
    booking.rated_at = now
    booking.save(update_fields=["rating", "rating_comment", "status", "rated_at"])
    audit_log(
        action="booking.rated", at=now, actor=actor, tenant=booking.tenant, target=booking,
        data={**_data(booking), "rating": rating, "comment": booking.rating_comment},
    )  # fmt: skip
    return booking


@transaction.atomic
def booking_cancel(*, booking: Booking, actor: Any, now: datetime, reason: str = "") -> Booking:
    """Before confirmation only; the reserved quota is released. The order lock stays: the
    seed says applying for the service is what locks the order (docs/subscriptions.md)."""
    booking = _locked(booking)
    if booking.status not in (BookingStatus.REQUESTED, BookingStatus.AWAITING_PAYMENT):
        raise Conflict(
            "booking.cancel_after_confirmation",
            _(
                "Booking %(booking)s is %(state)s: only a booking that is not yet confirmed "
                "can be cancelled. Contact your service manager to change a confirmed one."
            ),
            booking=booking.pk,
            state=booking.get_status_display(),
        )
    if booking.addon_order_id and booking.status == BookingStatus.AWAITING_PAYMENT:
        Order.objects.filter(pk=booking.addon_order_id, status__in=(
            OrderStatus.PLACED, OrderStatus.AGREEMENT_ACCEPTED, OrderStatus.AWAITING_PAYMENT
        )).update(status=OrderStatus.CANCELLED, cancelled_at=now)  # fmt: skip
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.cancel_reason = (reason or "")[:200]
    booking.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    if booking.bucket_id:
        QuotaEntry.objects.create(
            tenant=booking.tenant, bucket_id=booking.bucket_id, kind=LedgerKind.RELEASE,
            quantity=booking.quantity, booking_id=booking.pk, at=now, note=f"booking {booking.pk} cancelled",
        )  # fmt: skip
    audit_log(
        action="booking.cancelled", at=now, actor=actor, tenant=booking.tenant, target=booking,
        data={**_data(booking), "reason": booking.cancel_reason, "released": booking.quantity if booking.bucket_id else 0},
    )  # fmt: skip
    return booking


# --------------------------------------------------------------------------- escort team


def notify_escort_team(entry: Any) -> None:
    """Audit subscriber: a case opened during a confirmed escort is announced to its team
    (a `booking.escort_case` entry the notifications app turns into messages)."""
    if entry.action != "case.opened" or entry.tenant_id is None:
        return
    # The opening already looked the escorts up and listed the covering bookings.
    covering = (entry.data or {}).get("escort_bookings")
    if covering == []:
        return
    from .selectors import escort_intervals

    cover = escort_intervals(entry.tenant, entry.at, entry.at + timedelta(microseconds=1))
    for escort in cover.escorts:
        if not escort.covers(entry.at):
            continue
        if covering is not None and escort.booking_id not in covering:
            continue
        audit_log(
            action="booking.escort_case",
            at=entry.at,
            tenant=entry.tenant,
            target=Booking.objects.get(pk=escort.booking_id),
            data={
                "booking_id": escort.booking_id,
                "service": escort.service_code,
                "case_id": entry.target_id,
                "case_type": entry.target_type,
                "case": {
                    k: v
                    for k, v in (entry.data or {}).items()
                    if k in ("number", "title", "severity", "urgent")
                },
                "team_user_ids": list(escort.team_user_ids),
                "escort_start": escort.start.isoformat(),
                "escort_end": escort.end.isoformat(),
                "sla_override": escort.sla_override,
            },
        )
