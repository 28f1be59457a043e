"""The periodic sweep: start waiting service, place automatic renewals, expire lapsed
subscriptions and lapsed quota. Idempotent."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from supportplan.core.audit import audit_log
from supportplan.core.errors import DomainError
from supportplan.core.locking import lock_rows

from .. import payments, selectors
from ..models import (
    Order,
    OrderKind,
    OrderStatus,
    Payment,
    PaymentStatus,
    Period,
    StatementKind,
    Subscription,
    SubscriptionStatus,
)
from ._common import OPEN_ORDER, _order_data, plan_names
from .fulfilment import subscription_start_waiting
from .orders import order_accept_agreement, order_place
from .quotas import quota_expire_lapsed
from .settlement import order_pay
from .statements import _subscription_line

# Automatic renewal places the next order this long before the period ends.
AUTO_RENEW_AHEAD = timedelta(days=7)


def subscriptions_sweep(*, now: datetime) -> dict[str, int]:
    """Periodic and idempotent: start service for orders that got their technical contact,
    place automatic renewals, expire lapsed subscriptions and lapsed quota."""
    counts = {"started": 0, "renewals": 0, "expired": 0, "quota_expired": 0}
    for tenant_id in (
        Order.objects.filter(
            status=OrderStatus.PAID, kind__in=(OrderKind.PURCHASE, OrderKind.RENEWAL)
        )
        .values_list("tenant_id", flat=True)
        .distinct()
    ):
        from supportplan.accounts.models import Tenant

        counts["started"] += len(
            subscription_start_waiting(tenant=Tenant.objects.get(pk=tenant_id), now=now)
        )
    for sub_id in Subscription.objects.filter(
        status=SubscriptionStatus.ACTIVE, auto_renew=True, cancel_at_period_end=False
    ).values_list("pk", flat=True):
        if _auto_renew_one(sub_id, now):
            counts["renewals"] += 1
    for sub_id in Subscription.objects.filter(status=SubscriptionStatus.ACTIVE).values_list(
        "pk", flat=True
    ):
        if _expire_one(sub_id, now):
            counts["expired"] += 1
    counts["quota_expired"] = quota_expire_lapsed(now=now)
    return counts


def _auto_renew_one(subscription_id: int, now: datetime) -> bool:
    with transaction.atomic():
        (subscription,) = lock_rows(Subscription, [subscription_id])
        last = Period.objects.filter(subscription=subscription).order_by("-ends_at").first()
        if last is None or not (now < last.ends_at <= now + AUTO_RENEW_AHEAD):
            return False
        if Order.objects.filter(
            subscription=subscription,
            status__in=OPEN_ORDER,
            kind__in=(OrderKind.RENEWAL, OrderKind.UPGRADE),
        ).exists():
            return False
        base = last.base_order
        method = (
            Payment.objects.filter(order=base, status=PaymentStatus.SUCCEEDED)
            .values_list("provider", flat=True)
            .first()
        ) or "bank_transfer"
        plan_code = subscription.next_plan_code or subscription.plan_code
        try:
            order = order_place(
                tenant=subscription.tenant,
                actor=None,
                provider_code=subscription.provider_code,
                plan_code=plan_code,
                term=base.term,
                count=base.count,
                now=now,
                auto_renew=True,
            )
        except DomainError as exc:
            audit_log(
                action="subscription.auto_renewal_failed", at=now, tenant=subscription.tenant,
                target=subscription, data={"code": exc.code, "plan": plan_code},
            )  # fmt: skip
            return False
        # Consent to automatic renewal was given with the agreement in force then.
        order_accept_agreement(
            order=order,
            actor=None,
            version=selectors.current_agreement_version(order.provider_code),
            now=now,
        )
        audit_log(
            action="subscription.auto_renewal_placed", at=now, tenant=subscription.tenant,
            target=subscription, data={**_order_data(order), "method": method},
        )  # fmt: skip
    if payments.provider(method) is None:
        method = "bank_transfer"
    order_pay(order=order, actor=None, method=method, now=now)
    return True


def _expire_one(subscription_id: int, now: datetime) -> bool:
    with transaction.atomic():
        (subscription,) = lock_rows(Subscription, [subscription_id])
        if subscription.status != SubscriptionStatus.ACTIVE:
            return False
        in_force = selectors.current_period(subscription, now)
        if in_force is not None:
            if (
                subscription.current_order_id != in_force.base_order_id
                or subscription.plan_code != in_force.plan_code
            ):
                subscription.current_order_id = in_force.base_order_id
                subscription.plan_id = in_force.plan_id
                subscription.plan_code = in_force.plan_code
                subscription.term = in_force.term
                subscription.save(update_fields=["current_order", "plan", "plan_code", "term"])
            return False
        if selectors.future_periods(subscription, now).exists():
            return False
        subscription.status = SubscriptionStatus.EXPIRED
        subscription.expired_at = now
        subscription.auto_renew = False
        subscription.save(update_fields=["status", "expired_at", "auto_renew"])
        fallback = selectors.plan_in_force(subscription.tenant, subscription.provider_code, now)
        gone_zh, gone_en = plan_names(subscription.plan.catalog_version_id, subscription.plan_code)
        back_zh, back_en = (
            plan_names(fallback.catalog_version_id, fallback.plan_code) if fallback else ("", "")
        )
        _subscription_line(
            subscription,
            kind=StatementKind.EXPIRY,
            at=now,
            zh=f"{gone_zh}已到期" + (f"，回退到 {back_zh}" if fallback else ""),
            en=f"{gone_en} expired" + (f"; back to {back_en}" if fallback else ""),
            plan_code=subscription.plan_code,
        )
        audit_log(
            action="subscription.expired",
            at=now,
            tenant=subscription.tenant,
            target=subscription,
            data={
                "subscription_id": subscription.pk,
                "provider": subscription.provider_code,
                "plan": subscription.plan_code,
                "fallback_plan": fallback.plan_code if fallback else None,
                "ended_at": subscription.ends_at.isoformat() if subscription.ends_at else None,
            },
        )
    return True
