"""What a paid order does: activate or renew the subscription, apply an upgrade, or
hand a paid add-on to bookings; and starting service that waited for a technical contact."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from supportplan.core.audit import audit_log
from supportplan.core.errors import Conflict
from supportplan.core.locking import lock_rows

from .. import domain, selectors
from ..models import Order, OrderKind, OrderStatus, Period, Subscription, SubscriptionStatus
from ._common import _order_data, _renewal_start, plan_of_order
from .quotas import _grant_quotas


def _fulfil(order: Order, now: datetime) -> None:
    if order.kind in (OrderKind.PURCHASE, OrderKind.RENEWAL):
        _activate(order, now)
    elif order.kind == OrderKind.UPGRADE:
        _apply_upgrade(order, now)
    elif order.kind == OrderKind.ADDON:
        from supportplan.bookings.services import booking_addon_paid

        booking_addon_paid(order=order, now=now)
        order.status = OrderStatus.FULFILLED
        order.fulfilled_at = now
        order.save(update_fields=["status", "fulfilled_at"])


def _subscription_for(order: Order, now: datetime) -> Subscription:
    subscription = order.subscription or selectors.subscription_of(
        order.tenant, order.provider_code
    )
    if subscription is None:
        try:
            with transaction.atomic():
                subscription = Subscription.objects.create(
                    tenant=order.tenant,
                    provider_code=order.provider_code,
                    plan=order.plan,
                    plan_code=order.plan_code,
                    term=order.term,
                    status=SubscriptionStatus.PENDING_CONTACT,
                    auto_renew=order.auto_renew,
                    created_at=now,
                )
        except IntegrityError:
            subscription = Subscription.objects.get(
                tenant=order.tenant, provider_code=order.provider_code
            )
    (subscription,) = lock_rows(Subscription, [subscription.pk])
    if order.subscription_id != subscription.pk:
        order.subscription = subscription
        order.save(update_fields=["subscription"])
    return subscription


def _activate(order: Order, now: datetime) -> None:
    subscription = _subscription_for(order, now)
    _catalog, plan = plan_of_order(order)
    if plan.requires_technical_contact and not order.tenant.has_technical_contact:
        if subscription.status == SubscriptionStatus.EXPIRED or not subscription.periods.exists():
            subscription.status = SubscriptionStatus.PENDING_CONTACT
            subscription.save(update_fields=["status"])
        audit_log(
            action="subscription.waiting_for_contact",
            at=now,
            actor=None,
            tenant=order.tenant,
            target=subscription,
            data={**_order_data(order), "subscription_id": subscription.pk},
        )
        return
    start_at = _renewal_start(subscription, now) or now
    start = domain.local_date(start_at)
    end = domain.add_months(start, order.months)
    period = Period.objects.create(
        tenant=order.tenant,
        subscription=subscription,
        order=order,
        base_order=order,
        plan=order.plan,
        plan_code=order.plan_code,
        term=order.term,
        starts_at=start_at,
        ends_at=domain.local_midnight(end),
    )
    order.period_start, order.period_end = start, end
    order.status = OrderStatus.FULFILLED
    order.fulfilled_at = now
    order.save(update_fields=["period_start", "period_end", "status", "fulfilled_at"])
    renewal = subscription.periods.exclude(pk=period.pk).exists()
    was_expired = subscription.status == SubscriptionStatus.EXPIRED
    if start_at <= now:
        subscription.plan = order.plan
        subscription.plan_code = order.plan_code
        subscription.term = order.term
        subscription.current_order = order
    subscription.status = SubscriptionStatus.ACTIVE
    subscription.ends_at = period.ends_at
    subscription.auto_renew = order.auto_renew or (renewal and subscription.auto_renew)
    subscription.next_plan_code = ""
    subscription.cancel_at_period_end = False
    subscription.started_at = subscription.started_at or now
    subscription.expired_at = None
    subscription.save()
    _grant_quotas(order, subscription, plan, start, end, now)
    audit_log(
        action="subscription.renewed" if renewal and not was_expired else "subscription.activated",
        at=now,
        actor=None,
        tenant=order.tenant,
        target=subscription,
        data={
            **_order_data(order),
            "subscription_id": subscription.pk,
            "period_start": start.isoformat(),
            "period_end": end.isoformat(),
            "starts_at": start_at.isoformat(),
            "ends_at": period.ends_at.isoformat(),
        },
    )


def _apply_upgrade(order: Order, now: datetime) -> None:
    subscription = _subscription_for(order, now)
    period = selectors.current_period(subscription, now)
    base = order.base_order
    if period is None or base is None or period.base_order_id != base.pk:
        # The period the upgrade was priced for is over: the money is kept on the
        # statement and staff settle it; the plan does not change retroactively.
        raise Conflict(
            "order.upgrade_period_over",
            _("The period this upgrade was priced for has ended; contact support to settle it."),
        )
    catalog, target = plan_of_order(order)
    _c, old = plan_of_order(period.order)
    old_end = period.ends_at
    if period.starts_at >= now:
        period.delete()
    else:
        Period.objects.filter(pk=period.pk).update(ends_at=now)
    Period.objects.create(
        tenant=order.tenant,
        subscription=subscription,
        order=order,
        base_order=base,
        plan=order.plan,
        plan_code=order.plan_code,
        term=base.term,
        starts_at=now,
        ends_at=old_end,
    )
    subscription.plan = order.plan
    subscription.plan_code = order.plan_code
    if subscription.next_plan_code and subscription.next_plan_code == order.plan_code:
        subscription.next_plan_code = ""
    subscription.save(update_fields=["plan", "plan_code", "next_plan_code"])
    order.status = OrderStatus.FULFILLED
    order.fulfilled_at = now
    order.save(update_fields=["status", "fulfilled_at"])
    if base.period_start and base.period_end:
        _grant_quotas(
            base,
            subscription,
            target,
            base.period_start,
            base.period_end,
            now,
            top_up_from=domain.local_date(now),
        )
    audit_log(
        action="subscription.changed",
        at=now,
        actor=None,
        tenant=order.tenant,
        target=subscription,
        data={
            **_order_data(order),
            "kind": "upgrade",
            "from_plan": old.code,
            "to_plan": target.code,
            "effective_at": now.isoformat(),
            "subscription_id": subscription.pk,
        },
    )


def subscription_start_waiting(*, tenant: Any, now: datetime) -> list[Subscription]:
    """Start the service of paid orders that were waiting for a technical contact.
    Called after the tenant names one (API) and by the periodic sweep; idempotent."""
    started: list[Subscription] = []
    if not tenant.has_technical_contact:
        return started
    waiting = selectors.orders_of(tenant).filter(
        status=OrderStatus.PAID, kind__in=(OrderKind.PURCHASE, OrderKind.RENEWAL)
    )
    for order in waiting.order_by("paid_at", "pk"):
        with transaction.atomic():
            (locked,) = lock_rows(Order, [order.pk])
            if locked.status != OrderStatus.PAID:
                continue
            _activate(locked, now)
            if locked.subscription is not None:
                started.append(locked.subscription)
    return started
