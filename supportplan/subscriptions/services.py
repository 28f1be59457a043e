"""Every write of orders, payments, subscriptions, plan changes, statements and the quota ledger.

Purchase flow (seed 000 "购买支持计划"): choose plan + duration → `order_quote` (nothing
written) → `order_place` → `order_accept_agreement` → `order_pay` → the provider settles
(`payment_succeed`, idempotent per key) → the order is fulfilled: the subscription is
activated or renewed, an upgrade applied, or a paid add-on booking requested.

Audit codes (data carries what the notifications and reports need):
order.placed, order.agreement_accepted, order.payment_started, order.paid, order.cancelled,
payment.failed, subscription.waiting_for_contact, subscription.activated, subscription.renewed,
subscription.changed, subscription.change_scheduled, subscription.unsubscribed,
subscription.auto_renew_set, subscription.auto_renewal_placed, subscription.expired,
quota.granted, quota.expired.

Locks: Subscription rows, then QuotaBucket rows, then Order rows, each by primary key,
once per transaction (core.locking.lock_rows). Bookings take the same order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.functional import lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from supportplan.catalog import selectors as catalog_selectors
from supportplan.catalog.domain import Catalog, NotInCatalog, Plan, Text
from supportplan.core.audit import audit_log
from supportplan.core.errors import Conflict, DomainError, NotFound
from supportplan.core.locking import lock_rows

from . import domain, payments, selectors
from .models import (
    LedgerKind,
    Order,
    OrderKind,
    OrderStatus,
    Payment,
    PaymentStatus,
    Period,
    QuotaBucket,
    QuotaEntry,
    StatementKind,
    StatementLine,
    Subscription,
    SubscriptionStatus,
)

OPEN_ORDER = (OrderStatus.PLACED, OrderStatus.AGREEMENT_ACCEPTED, OrderStatus.AWAITING_PAYMENT)
# Automatic renewal places the next order this long before the period ends.
AUTO_RENEW_AHEAD = timedelta(days=7)


# --------------------------------------------------------------------------- helpers


def _catalog_plan(provider_code: str, plan_code: str) -> tuple[Catalog, Plan, Any]:
    """(catalog, plan, catalog.Plan row) of the provider's current catalog version."""
    version = catalog_selectors.current_version(provider_code)
    catalog = catalog_selectors.catalog_for_version(version.pk)
    try:
        plan = catalog.plan(plan_code)
    except NotInCatalog as exc:
        raise DomainError(
            "order.plan_unknown",
            _("There is no plan “%(plan)s” for %(provider)s. Choose one of: %(known)s."),
            plan=plan_code,
            provider=localized(catalog.provider.name),
            known=", ".join(exc.known),
            field="plan",
        ) from None
    return catalog, plan, catalog_selectors.plan_row(version.pk, plan_code)


def _pick(text: Text) -> str:
    return text.get(get_language())


_lazy_pick = lazy(_pick, str)


def _join(texts: tuple[Text, ...]) -> str:
    sep = "、" if (get_language() or "").lower().startswith("zh") else ", "
    return sep.join(t.get(get_language()) for t in texts)


_lazy_join = lazy(_join, str)


def localized(*texts: Text) -> Any:
    """A catalog name (or a list of them) rendered in the reader's language when the error
    is shown, not when it is raised."""
    return _lazy_pick(texts[0]) if len(texts) == 1 else _lazy_join(texts)


def plan_of_order(order: Order) -> tuple[Catalog, Plan]:
    catalog = catalog_selectors.catalog_for_version(order.plan.catalog_version_id)
    return catalog, catalog.plan(order.plan_code)


def _text(zh: str, en: str) -> dict[str, str]:
    return {"zh-hans": zh, "en": en}


def _statement(
    *,
    order: Order | None,
    subscription: Subscription | None,
    tenant: Any,
    kind: str,
    at: datetime,
    amount: Decimal,
    description: dict[str, str],
    provider_code: str,
    plan_code: str,
    period_start: date | None = None,
    period_end: date | None = None,
) -> StatementLine:
    return StatementLine.objects.create(
        tenant=tenant,
        order=order,
        subscription=subscription,
        kind=kind,
        at=at,
        amount=domain.money(amount),
        description=description,
        provider_code=provider_code,
        plan_code=plan_code,
        period_start=period_start,
        period_end=period_end,
    )


def _order_data(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.pk,
        "order": order.number,
        "kind": order.kind,
        "provider": order.provider_code,
        "plan": order.plan_code,
        "term": order.term,
        "count": order.count,
        "amount": str(order.amount),
        "currency": order.currency,
        "service": order.service_code or None,
        "quantity": order.quantity,
    }


def _duration(term: str, count: Any) -> domain.Duration:
    try:
        return domain.duration(term, count)
    except domain.DurationInvalid as exc:
        if exc.maximum is None:
            raise DomainError(
                "order.term_invalid",
                _("Choose monthly or annual billing (got “%(term)s”)."),
                term=term,
                field="term",
            ) from None
        raise DomainError(
            "order.duration_invalid",
            _("Choose between 1 and %(maximum)s for a %(term)s order (got %(count)s)."),
            maximum=exc.maximum,
            term=term,
            count=count,
            field="count",
        ) from None


# --------------------------------------------------------------------------- quote & place


@dataclass(frozen=True)
class QuoteResult:
    kind: str  # purchase | renewal
    provider_code: str
    plan_code: str
    plan_name: dict[str, str]
    term: str
    count: int
    months: int
    monthly_price: Decimal
    amount: Decimal
    currency: str
    period_start: date
    period_end: date
    agreement_version: str
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "provider": self.provider_code,
            "plan": self.plan_code,
            "plan_name": self.plan_name,
            "term": self.term,
            "count": self.count,
            "months": self.months,
            "monthly_price": str(self.monthly_price),
            "amount": str(self.amount),
            "currency": self.currency,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "agreement_version": self.agreement_version,
            "warnings": self.warnings,
        }


def _renewal_start(subscription: Subscription | None, now: datetime) -> datetime | None:
    """When a renewal of `subscription` would start: the end of its last period, if that
    is still ahead (or now, if the subscription has lapsed)."""
    if subscription is None:
        return None
    last = Period.objects.filter(subscription=subscription).order_by("-ends_at").first()
    if last is None:
        return None
    return last.ends_at if last.ends_at > now else None


def order_quote(
    *, tenant: Any, provider_code: str, plan_code: str, term: str, count: Any, now: datetime
) -> QuoteResult:
    """The price and period of a purchase or renewal. Writes nothing."""
    catalog, plan, _row = _catalog_plan(provider_code, plan_code)
    kind = _check_purchase(tenant, catalog, plan, term)
    chosen = _duration(term, count)
    q = domain.quote(plan, chosen)
    subscription = selectors.subscription_of(tenant, provider_code)
    start_at = _renewal_start(subscription, now) if kind == OrderKind.RENEWAL else None
    start = domain.local_date(start_at or now)
    warnings: list[dict[str, Any]] = []
    if plan.requires_technical_contact and not tenant.has_technical_contact:
        warnings.append(
            {
                "code": "order.technical_contact_missing",
                "message": str(
                    _(
                        "Name a technical contact for your organisation: the plan's service "
                        "starts only once one is named."
                    )
                ),
            }
        )
    return QuoteResult(
        kind=kind,
        provider_code=provider_code,
        plan_code=plan.code,
        plan_name=plan.name.as_dict(),
        term=chosen.term,
        count=chosen.count,
        months=chosen.months,
        monthly_price=plan.monthly_price,
        amount=q.amount,
        currency=catalog.provider.currency,
        period_start=start,
        period_end=domain.period_end(start, chosen),
        agreement_version=domain.AGREEMENT_VERSION,
        warnings=warnings,
    )


def _check_purchase(tenant: Any, catalog: Catalog, plan: Plan, term: str) -> str:
    """Purchase or renewal? Refuses what cannot be bought this way."""
    if not plan.purchasable:
        raise DomainError(
            "order.plan_not_purchasable",
            _("%(plan)s cannot be bought: every customer of %(provider)s has it already."),
            plan=localized(plan.name),
            provider=localized(catalog.provider.name),
            field="plan",
        )
    if term not in plan.billing_terms:
        raise DomainError(
            "order.term_not_offered",
            _("%(plan)s is sold %(terms)s only."),
            plan=localized(plan.name),
            terms=" / ".join(plan.billing_terms),
            field="term",
        )
    subscription = selectors.subscription_of(tenant, catalog.provider.code)
    if subscription is None or subscription.status == SubscriptionStatus.EXPIRED:
        # After expiry any plan may be bought again; it continues the same subscription.
        return OrderKind.PURCHASE
    allowed = {subscription.plan_code, subscription.next_plan_code} - {""}
    if plan.code not in allowed:
        raise Conflict(
            "order.change_plan_instead",
            _(
                "You already have %(current)s with %(provider)s. To move to %(plan)s, change "
                "the plan of your subscription instead of placing a new order."
            ),
            current=subscription.plan_code,
            plan=plan.code,
            provider=localized(catalog.provider.name),
        )
    return OrderKind.RENEWAL


@transaction.atomic
def order_place(
    *,
    tenant: Any,
    actor: Any,
    provider_code: str,
    plan_code: str,
    term: str,
    count: Any,
    now: datetime,
    auto_renew: bool = False,
) -> Order:
    quoted = order_quote(
        tenant=tenant,
        provider_code=provider_code,
        plan_code=plan_code,
        term=term,
        count=count,
        now=now,
    )
    _catalog, plan, row = _catalog_plan(provider_code, plan_code)
    subscription = selectors.subscription_of(tenant, provider_code)
    if subscription is not None:
        lock_rows(Subscription, [subscription.pk])
    _refuse_second_open_order(tenant, provider_code)
    order = Order.objects.create(
        tenant=tenant,
        subscription=subscription,
        kind=quoted.kind,
        status=OrderStatus.PLACED,
        provider_code=provider_code,
        plan=row,
        plan_code=plan.code,
        term=quoted.term,
        count=quoted.count,
        months=quoted.months,
        monthly_price=quoted.monthly_price,
        amount=quoted.amount,
        currency=quoted.currency,
        auto_renew=auto_renew,
        placed_at=now,
        placed_by=actor,
    )
    audit_log(
        action="order.placed",
        at=now,
        actor=actor,
        tenant=tenant,
        target=order,
        data={**_order_data(order), "warnings": [w["code"] for w in quoted.warnings]},
    )
    return order


def _refuse_second_open_order(tenant: Any, provider_code: str, kinds: tuple[str, ...] = ()) -> None:
    open_orders = selectors.orders_of(tenant).filter(
        provider_code=provider_code, status__in=OPEN_ORDER
    )
    if kinds:
        open_orders = open_orders.filter(kind__in=kinds)
    existing = open_orders.exclude(kind=OrderKind.ADDON).first()
    if existing is not None:
        raise Conflict(
            "order.open_order_exists",
            _(
                "Order %(order)s for %(provider)s is not finished yet: pay or cancel it before "
                "placing another."
            ),
            order=existing.number,
            provider=provider_code,
        )


@transaction.atomic
def order_accept_agreement(*, order: Order, actor: Any, version: str, now: datetime) -> Order:
    (order,) = lock_rows(Order, [order.pk])
    if order.status != OrderStatus.PLACED:
        raise Conflict(
            "order.agreement_already_accepted" if order.agreement_accepted_at else "order.not_open",
            _("Order %(order)s is %(state)s; the agreement cannot be accepted now."),
            order=order.number,
            state=order.get_status_display(),
        )
    if version != domain.AGREEMENT_VERSION:
        raise DomainError(
            "order.agreement_outdated",
            _(
                "You accepted agreement version %(given)s, but the current version is "
                "%(current)s. Read the current agreement and accept it."
            ),
            given=version or "-",
            current=domain.AGREEMENT_VERSION,
            field="agreement_version",
        )
    order.agreement_version = version
    order.agreement_accepted_at = now
    order.agreement_accepted_by = actor if getattr(actor, "pk", None) else None
    order.status = OrderStatus.AGREEMENT_ACCEPTED
    order.save(
        update_fields=[
            "agreement_version",
            "agreement_accepted_at",
            "agreement_accepted_by",
            "status",
        ]
    )
    audit_log(
        action="order.agreement_accepted",
        at=now,
        actor=actor,
        tenant=order.tenant,
        target=order,
        data={**_order_data(order), "agreement_version": version, "accepted_at": now.isoformat()},
    )
    return order


@transaction.atomic
def order_cancel(*, order: Order, actor: Any, now: datetime) -> Order:
    (order,) = lock_rows(Order, [order.pk])
    if order.status not in OPEN_ORDER:
        raise Conflict(
            "order.not_cancellable",
            _("Order %(order)s is %(state)s and can no longer be cancelled."),
            order=order.number,
            state=order.get_status_display(),
        )
    order.status = OrderStatus.CANCELLED
    order.cancelled_at = now
    order.save(update_fields=["status", "cancelled_at"])
    Payment.objects.filter(order=order, status=PaymentStatus.PENDING).update(
        status=PaymentStatus.FAILED, completed_at=now
    )
    audit_log(
        action="order.cancelled", at=now, actor=actor, tenant=order.tenant, target=order,
        data=_order_data(order),
    )  # fmt: skip
    if order.kind == OrderKind.ADDON:
        from supportplan.bookings.services import booking_addon_order_cancelled

        booking_addon_order_cancelled(order=order, actor=actor, now=now)
    return order


# --------------------------------------------------------------------------- payment


def order_pay(*, order: Order, actor: Any, method: str, now: datetime) -> Payment:
    gateway = payments.provider(method)
    if gateway is None:
        raise DomainError(
            "payment.method_unknown",
            _("“%(method)s” is not a payment method here. Choose one of: %(known)s."),
            method=method,
            known=", ".join(payments.enabled_codes()),
            field="method",
        )
    with transaction.atomic():
        (locked,) = lock_rows(Order, [order.pk])
        if locked.status == OrderStatus.PLACED:
            raise DomainError(
                "order.agreement_not_accepted",
                _("Accept the service agreement before paying order %(order)s."),
                order=locked.number,
            )
        if locked.status != OrderStatus.AGREEMENT_ACCEPTED:
            raise Conflict(
                "order.not_payable",
                _("Order %(order)s is %(state)s and cannot be paid now."),
                order=locked.number,
                state=locked.get_status_display(),
            )
        payment = Payment.objects.create(
            tenant=locked.tenant,
            order=locked,
            provider=gateway.code,
            status=PaymentStatus.PENDING,
            amount=locked.amount,
            instructions=gateway.instructions(order=locked),
            reference=locked.number,
            created_at=now,
        )
        locked.status = OrderStatus.AWAITING_PAYMENT
        locked.save(update_fields=["status"])
        audit_log(
            action="order.payment_started",
            at=now,
            actor=actor,
            tenant=locked.tenant,
            target=locked,
            data={**_order_data(locked), "payment_id": payment.pk, "method": gateway.code},
        )
    if gateway.settles_at_once:
        payment = payment_succeed(
            payment=payment,
            idempotency_key=f"{gateway.code}:{payment.pk}",
            amount=payment.amount,
            actor=None,
            now=now,
        )
    order.refresh_from_db()
    return payment


@transaction.atomic
def payment_succeed(
    *,
    payment: Payment,
    idempotency_key: str,
    amount: Decimal,
    actor: Any,
    now: datetime,
    reference: str = "",
) -> Payment:
    """The provider (or staff, for a bank transfer) reports money received.

    Idempotent: the same key again returns the payment it settled and changes nothing.
    A different key for an order that is already paid is refused, so no order is paid twice.
    """
    key = (idempotency_key or "").strip()
    if not key:
        raise DomainError(
            "payment.idempotency_key_required",
            _("Send an idempotency key with every payment confirmation."),
            field="idempotency_key",
        )
    seen = Payment.objects.filter(idempotency_key=key).first()
    if seen is not None:
        if seen.pk != payment.pk:
            raise Conflict(
                "payment.idempotency_key_reused",
                _("Idempotency key %(key)s was already used for another payment."),
                key=key,
            )
        return seen
    (order,) = lock_rows(Order, [payment.order_id])
    # Again under the lock: a concurrent replay of the same callback waited here.
    seen = Payment.objects.filter(idempotency_key=key).first()
    if seen is not None and seen.pk == payment.pk:
        return seen
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if order.paid_at is not None or payment.status != PaymentStatus.PENDING:
        raise Conflict(
            "payment.order_already_paid" if order.paid_at is not None else "payment.not_pending",
            _("Order %(order)s is already paid (or this payment is closed); nothing was charged."),
            order=order.number,
        )
    if domain.money(Decimal(amount)) != order.amount:
        raise DomainError(
            "payment.amount_mismatch",
            _("The amount received (%(received)s) is not the order's amount (%(expected)s)."),
            received=str(amount),
            expected=str(order.amount),
            field="amount",
        )
    payment.status = PaymentStatus.SUCCEEDED
    payment.idempotency_key = key
    payment.completed_at = now
    payment.confirmed_by = actor if getattr(actor, "pk", None) else None
    if reference:
        payment.reference = reference[:100]
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:
        raise Conflict(
            "payment.order_already_paid",
            _("Order %(order)s is already paid (or this payment is closed); nothing was charged."),
            order=order.number,
        ) from None
    order.status = OrderStatus.PAID
    order.paid_at = now
    order.save(update_fields=["status", "paid_at"])
    audit_log(
        action="order.paid",
        at=now,
        actor=actor,
        tenant=order.tenant,
        target=order,
        data={**_order_data(order), "payment_id": payment.pk, "method": payment.provider},
    )
    _fulfil(order, now)
    _statement_for_paid_order(order, now)
    return payment


@transaction.atomic
def payment_fail(
    *, payment: Payment, idempotency_key: str, actor: Any, now: datetime, reason: str = ""
) -> Payment:
    if Payment.objects.filter(idempotency_key=idempotency_key).exists():
        return Payment.objects.get(idempotency_key=idempotency_key)
    (order,) = lock_rows(Order, [payment.order_id])
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status != PaymentStatus.PENDING:
        raise Conflict(
            "payment.not_pending",
            _("Order %(order)s is already paid (or this payment is closed); nothing was charged."),
            order=order.number,
        )
    payment.status = PaymentStatus.FAILED
    payment.idempotency_key = idempotency_key
    payment.completed_at = now
    payment.save()
    order.status = OrderStatus.AGREEMENT_ACCEPTED
    order.save(update_fields=["status"])
    audit_log(
        action="payment.failed", at=now, actor=actor, tenant=order.tenant, target=order,
        data={**_order_data(order), "payment_id": payment.pk, "reason": reason},
    )  # fmt: skip
    return payment


def _statement_for_paid_order(order: Order, now: datetime) -> None:
    _catalog, plan = plan_of_order(order)
    term_zh = {"monthly": "个月", "annual": "年"}[order.term]
    term_en = {"monthly": "month(s)", "annual": "year(s)"}[order.term]
    if order.kind == OrderKind.ADDON:
        service = _catalog.service(order.service_code)
        text = _text(
            f"{service.name.zh_hans} {order.quantity} 天（订单 {order.number}）",
            f"{service.name.en}, {order.quantity} day(s) (order {order.number})",
        )
        kind = StatementKind.ADDON
    elif order.kind == OrderKind.UPGRADE:
        base = order.base_order
        old = base.plan_code if base else ""
        text = _text(
            f"升级 {old} → {plan.name.zh_hans}，剩余期间差价（订单 {order.number}）",
            f"Upgrade {old} → {plan.name.en}, daily difference for the rest of the period "
            f"(order {order.number})",
        )
        kind = StatementKind.UPGRADE
    else:
        verb_zh, verb_en = (
            ("续费", "Renewal") if order.kind == OrderKind.RENEWAL else ("购买", "Purchase")
        )
        text = _text(
            f"{verb_zh} {plan.name.zh_hans} {order.count} {term_zh}（订单 {order.number}）",
            f"{verb_en} {plan.name.en}, {order.count} {term_en} (order {order.number})",
        )
        kind = StatementKind.RENEWAL if order.kind == OrderKind.RENEWAL else StatementKind.PURCHASE
    _statement(
        order=order,
        subscription=order.subscription,
        tenant=order.tenant,
        kind=kind,
        at=now,
        amount=order.amount,
        description=text,
        provider_code=order.provider_code,
        plan_code=order.plan_code,
        period_start=order.period_start,
        period_end=order.period_end,
    )


# --------------------------------------------------------------------------- fulfilment


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


def _grant_quotas(
    order: Order,
    subscription: Subscription,
    plan: Plan,
    start: date,
    end: date,
    now: datetime,
    *,
    top_up_from: date | None = None,
) -> None:
    """Annual orders grant each quota-limited service once per quota year; monthly orders
    grant nothing. An upgrade tops the base order's buckets up to the new plan's quota
    (years from `top_up_from` on)."""
    if order.term != domain.ANNUAL:
        return
    for grant in plan.services:
        if grant.quota is None or not grant.available_on(order.term):
            continue
        for year_start, year_end in domain.quota_years(start, end):
            if top_up_from is not None and year_end <= top_up_from:
                continue
            bucket, _created = QuotaBucket.objects.get_or_create(
                order=order,
                service_code=grant.code,
                valid_from=year_start,
                defaults={
                    "tenant": order.tenant,
                    "subscription": subscription,
                    "unit": grant.service.unit,
                    "max_requests": grant.max_requests,
                    "valid_until": year_end,
                },
            )
            (bucket,) = lock_rows(QuotaBucket, [bucket.pk])
            if bucket.max_requests != grant.max_requests:
                QuotaBucket.objects.filter(pk=bucket.pk).update(max_requests=grant.max_requests)
            granted = sum(
                QuotaEntry.objects.filter(bucket=bucket, kind=LedgerKind.GRANT).values_list(
                    "quantity", flat=True
                )
            )
            missing = grant.quota - granted
            if missing <= 0:
                continue
            QuotaEntry.objects.create(
                tenant=order.tenant,
                bucket=bucket,
                kind=LedgerKind.GRANT,
                quantity=missing,
                at=now,
                note=f"{order.number} {plan.code}",
            )
            audit_log(
                action="quota.granted",
                at=now,
                tenant=order.tenant,
                target=bucket,
                data={
                    "service": grant.code,
                    "quantity": missing,
                    "unit": grant.service.unit,
                    "valid_from": year_start.isoformat(),
                    "valid_until": year_end.isoformat(),
                    "order": order.number,
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


# --------------------------------------------------------------------------- plan changes


@dataclass(frozen=True)
class ChangePreview:
    kind: str  # upgrade | downgrade | unsubscribe
    current_plan: str
    target_plan: str | None
    effective_at: datetime
    effective_date: date
    amount: Decimal
    currency: str
    charge: domain.UpgradeCharge | None
    refused: DomainError | None

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": self.kind,
            "current_plan": self.current_plan,
            "target_plan": self.target_plan,
            "effective_at": self.effective_at.isoformat(),
            "effective_date": self.effective_date.isoformat(),
            "amount": str(self.amount),
            "currency": self.currency,
            "allowed": self.refused is None,
        }
        if self.charge is not None:
            body["calculation"] = {
                "old_period_price": str(self.charge.old_period_price),
                "new_period_price": str(self.charge.new_period_price),
                "period_days": self.charge.period_days,
                "remaining_days": self.charge.remaining_days,
            }
        if self.refused is not None:
            body["refusal"] = self.refused.as_dict()
        return body


def _current(subscription: Subscription, now: datetime) -> Period:
    period = selectors.current_period(subscription, now)
    if period is None:
        raise Conflict(
            "subscription.not_active",
            _("This subscription has no plan in force now; buy a plan instead."),
        )
    return period


def _lock_refusal(period: Period, what: Any) -> DomainError | None:
    base = period.base_order
    if base.locked_at is None:
        return None
    catalog, _plan = plan_of_order(base)
    try:
        service: Any = localized(catalog.service(base.locked_by_service).name)
    except NotInCatalog:
        service = base.locked_by_service
    return Conflict(
        "subscription.locked",
        _(
            "The current order %(order)s can no longer be %(what)s: %(service)s was applied "
            "for under it on %(since)s, and a quota-limited value-added service locks the "
            "order until the period ends on %(period_end)s. Upgrades are still possible."
        ),
        order=base.number,
        what=what,
        service=service,
        since=domain.local_date(base.locked_at).isoformat(),
        locked_at=base.locked_at.isoformat(),
        period_end=(base.period_end or domain.local_date(period.ends_at)).isoformat(),
    )


def subscription_change_preview(
    *, subscription: Subscription, plan_code: str | None, now: datetime
) -> ChangePreview:
    """What a change to `plan_code` (None: unsubscribe) would cost and when it would apply."""
    period = _current(subscription, now)
    catalog, current = plan_of_order(period.order)
    base = period.base_order
    end_date = base.period_end or domain.local_date(period.ends_at)
    if plan_code is None:
        return ChangePreview(
            kind="unsubscribe",
            current_plan=current.code,
            target_plan=None,
            effective_at=period.ends_at,
            effective_date=end_date,
            amount=Decimal("0.00"),
            currency=catalog.provider.currency,
            charge=None,
            refused=_lock_refusal(period, _("unsubscribed")),
        )
    _cat, target, _row = _catalog_plan(subscription.provider_code, plan_code)
    kind = domain.change_kind(current, target)
    if kind == domain.SAME:
        raise DomainError(
            "subscription.same_plan",
            _("You already have %(plan)s."),
            plan=localized(target.name),
            field="plan",
        )
    if kind == domain.DOWNGRADE:
        refused = _lock_refusal(period, _("downgraded"))
        if refused is None and not target.purchasable:
            refused = DomainError(
                "subscription.downgrade_to_default",
                _("%(plan)s is free for every customer: unsubscribe to fall back to it."),
                plan=localized(target.name),
            )
        return ChangePreview(
            kind=kind,
            current_plan=current.code,
            target_plan=target.code,
            effective_at=period.ends_at,
            effective_date=end_date,
            amount=Decimal("0.00"),
            currency=catalog.provider.currency,
            charge=None,
            refused=refused,
        )
    today = domain.local_date(now)
    charge = domain.upgrade_charge(
        current=current,
        target=target,
        months=base.months,
        period_start=base.period_start or domain.local_date(period.starts_at),
        period_end=end_date,
        change_date=today,
    )
    return ChangePreview(
        kind=kind,
        current_plan=current.code,
        target_plan=target.code,
        effective_at=now,
        effective_date=today,
        amount=charge.amount,
        currency=catalog.provider.currency,
        charge=charge,
        refused=None,
    )


@transaction.atomic
def subscription_change(
    *, subscription: Subscription, actor: Any, plan_code: str, now: datetime
) -> Order | Subscription:
    """Upgrade: an upgrade order (accept the agreement and pay it; the new plan applies when
    it is paid). Downgrade: scheduled for the end of the period, unless the order is locked."""
    (subscription,) = lock_rows(Subscription, [subscription.pk])
    preview = subscription_change_preview(subscription=subscription, plan_code=plan_code, now=now)
    if preview.refused is not None:
        raise preview.refused
    period = _current(subscription, now)
    if preview.kind == domain.DOWNGRADE:
        subscription.next_plan_code = plan_code
        subscription.change_requested_at = now
        subscription.save(update_fields=["next_plan_code", "change_requested_at"])
        _statement(
            order=None,
            subscription=subscription,
            tenant=subscription.tenant,
            kind=StatementKind.DOWNGRADE,
            at=now,
            amount=Decimal("0"),
            description=_text(
                f"降级 {preview.current_plan} → {plan_code}，自 {preview.effective_date} 起生效（续费时）",
                f"Downgrade {preview.current_plan} → {plan_code}, from {preview.effective_date} "
                "(at renewal)",
            ),
            provider_code=subscription.provider_code,
            plan_code=plan_code,
            period_start=preview.effective_date,
        )
        audit_log(
            action="subscription.change_scheduled",
            at=now,
            actor=actor,
            tenant=subscription.tenant,
            target=subscription,
            data={
                "kind": "downgrade",
                "from_plan": preview.current_plan,
                "to_plan": plan_code,
                "effective_date": preview.effective_date.isoformat(),
                "subscription_id": subscription.pk,
                "provider": subscription.provider_code,
            },
        )
        return subscription
    _refuse_second_open_order(subscription.tenant, subscription.provider_code)
    _cat, target, row = _catalog_plan(subscription.provider_code, plan_code)
    base = period.base_order
    assert preview.charge is not None
    order = Order.objects.create(
        tenant=subscription.tenant,
        subscription=subscription,
        kind=OrderKind.UPGRADE,
        status=OrderStatus.PLACED,
        provider_code=subscription.provider_code,
        plan=row,
        plan_code=target.code,
        term=base.term,
        count=base.count,
        months=base.months,
        monthly_price=target.monthly_price,
        amount=preview.amount,
        currency=preview.currency,
        base_order=base,
        period_start=base.period_start,
        period_end=base.period_end,
        placed_at=now,
        placed_by=actor,
    )
    audit_log(
        action="order.placed",
        at=now,
        actor=actor,
        tenant=subscription.tenant,
        target=order,
        data={
            **_order_data(order),
            "from_plan": preview.current_plan,
            "remaining_days": preview.charge.remaining_days,
            "period_days": preview.charge.period_days,
        },
    )
    return order


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


@transaction.atomic
def subscription_unsubscribe(
    *, subscription: Subscription, actor: Any, now: datetime
) -> Subscription:
    (subscription,) = lock_rows(Subscription, [subscription.pk])
    preview = subscription_change_preview(subscription=subscription, plan_code=None, now=now)
    if preview.refused is not None:
        raise preview.refused
    if subscription.cancel_at_period_end:
        return subscription
    subscription.cancel_at_period_end = True
    subscription.auto_renew = False
    subscription.next_plan_code = ""
    subscription.change_requested_at = now
    subscription.save(
        update_fields=[
            "cancel_at_period_end",
            "auto_renew",
            "next_plan_code",
            "change_requested_at",
        ]
    )
    _statement(
        order=None,
        subscription=subscription,
        tenant=subscription.tenant,
        kind=StatementKind.UNSUBSCRIBE,
        at=now,
        amount=Decimal("0"),
        description=_text(
            f"退订 {preview.current_plan}，服务至 {domain.last_paid_day(preview.effective_date)}",
            f"Unsubscribed from {preview.current_plan}; service until "
            f"{domain.last_paid_day(preview.effective_date)}",
        ),
        provider_code=subscription.provider_code,
        plan_code=preview.current_plan,
        period_end=preview.effective_date,
    )
    audit_log(
        action="subscription.unsubscribed",
        at=now,
        actor=actor,
        tenant=subscription.tenant,
        target=subscription,
        data={
            "plan": preview.current_plan,
            "provider": subscription.provider_code,
            "effective_date": preview.effective_date.isoformat(),
            "subscription_id": subscription.pk,
        },
    )
    return subscription


@transaction.atomic
def subscription_set_auto_renew(
    *, subscription: Subscription, actor: Any, auto_renew: bool, now: datetime
) -> Subscription:
    (subscription,) = lock_rows(Subscription, [subscription.pk])
    if auto_renew and subscription.cancel_at_period_end:
        raise Conflict(
            "subscription.unsubscribed",
            _("You unsubscribed from this plan; place a renewal order to continue instead."),
        )
    subscription.auto_renew = auto_renew
    subscription.save(update_fields=["auto_renew"])
    audit_log(
        action="subscription.auto_renew_set", at=now, actor=actor, tenant=subscription.tenant,
        target=subscription, data={"auto_renew": auto_renew, "subscription_id": subscription.pk},
    )  # fmt: skip
    return subscription


# --------------------------------------------------------------------------- sweeps


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
        order_accept_agreement(order=order, actor=None, version=domain.AGREEMENT_VERSION, now=now)
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
        _statement(
            order=None,
            subscription=subscription,
            tenant=subscription.tenant,
            kind=StatementKind.EXPIRY,
            at=now,
            amount=Decimal("0"),
            description=_text(
                f"{subscription.plan_code} 已到期"
                + (f"，回退到 {fallback.plan_code}" if fallback else ""),
                f"{subscription.plan_code} expired"
                + (f"; back to {fallback.plan_code}" if fallback else ""),
            ),
            provider_code=subscription.provider_code,
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


def quota_expire_lapsed(*, now: datetime) -> int:
    """Write an `expire` entry for what is left in buckets whose quota year is over."""
    today = domain.local_date(now)
    done = 0
    lapsed = QuotaBucket.objects.filter(valid_until__lte=today).exclude(
        entries__kind=LedgerKind.EXPIRE
    )
    for bucket_id in lapsed.values_list("pk", flat=True).distinct():
        with transaction.atomic():
            (bucket,) = lock_rows(QuotaBucket, [bucket_id])
            if bucket.entries.filter(kind=LedgerKind.EXPIRE).exists():
                continue
            (balance,) = selectors.balances([bucket])
            left = balance.available
            if left <= 0:
                continue
            QuotaEntry.objects.create(
                tenant_id=bucket.tenant_id, bucket=bucket, kind=LedgerKind.EXPIRE,
                quantity=left, at=now, note="quota year over",
            )  # fmt: skip
            audit_log(
                action="quota.expired", at=now, tenant=bucket.tenant, target=bucket,
                data={"service": bucket.service_code, "quantity": left,
                      "valid_until": bucket.valid_until.isoformat()},
            )  # fmt: skip
            done += 1
    return done


def refuse_unaccepted(order: Order) -> None:
    raise DomainError(
        "order.agreement_not_accepted",
        _("Accept the service agreement before paying order %(order)s."),
        order=order.number,
        field="accept",
    )


def not_found(model: Any) -> NotFound:
    """404 for a row the caller may not see (another tenant's answers the same)."""
    return NotFound(model._meta.verbose_name)


def require_technical_contact(tenant: Any) -> None:
    if not tenant.has_technical_contact:
        raise DomainError(
            "subscription.technical_contact_missing",
            _(
                "Name a technical contact for your organisation first: the plan's service "
                "starts only once one is named."
            ),
        )


def parse_statement_date(name: str, value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError(
            "statement.date_invalid",
            _("Cannot read %(name)s=%(value)s: write dates as YYYY-MM-DD."),
            name=name,
            value=value,
            field=name,
        ) from None
