"""Quote, place, accept the agreement of, and cancel an order (purchase or renewal)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from supportplan.catalog import selectors as catalog_selectors
from supportplan.catalog.domain import Catalog, Plan
from supportplan.core.audit import audit_log
from supportplan.core.errors import Conflict, DomainError
from supportplan.core.locking import lock_rows

from .. import domain, selectors
from ..models import (
    Order,
    OrderKind,
    OrderStatus,
    Payment,
    PaymentStatus,
    Subscription,
    SubscriptionStatus,
    Term,
)
from ._common import OPEN_ORDER, _catalog_plan, _duration, _order_data, _renewal_start, localized


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
        agreement_version=selectors.current_agreement_version(provider_code),
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
        labels = [Term(t).label if t in Term.values else t for t in plan.billing_terms]
        raise DomainError(
            "order.term_not_offered",
            _("%(plan)s is sold %(terms)s only."),
            plan=localized(plan.name),
            terms=format_lazy(" / ".join(["{}"] * len(labels)), *labels),
            field="term",
        )
    subscription = selectors.subscription_of(tenant, catalog.provider.code)
    if subscription is None or subscription.status == SubscriptionStatus.EXPIRED:
        # After expiry any plan may be bought again; it continues the same subscription.
        return OrderKind.PURCHASE
    allowed = {subscription.plan_code, subscription.next_plan_code} - {""}
    if plan.code not in allowed:
        try:
            current: Any = localized(catalog.plan(subscription.plan_code).name)
        except LookupError:  # a plan the current catalog version no longer has
            current = subscription.plan_code
        raise Conflict(
            "order.change_plan_instead",
            _(
                "You already have %(current)s with %(provider)s. To move to %(plan)s, change "
                "the plan of your subscription instead of placing a new order."
            ),
            current=current,
            plan=localized(plan.name),
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
            provider=_provider_name(provider_code),
        )


def _provider_name(provider_code: str) -> Any:
    """The provider's name in the reader's language (never its code in a sentence)."""
    return localized(catalog_selectors.current_catalog(provider_code).provider.name)


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
    in_force = catalog_selectors.current_agreement(order.provider_code)
    if in_force is None:
        raise DomainError(
            "order.agreement_unpublished",
            _(
                "%(provider)s has not published a service agreement yet, so the order cannot "
                "be accepted. Please contact your service provider."
            ),
            provider=_provider_name(order.provider_code),
        )
    catalog_version_id, agreement = in_force
    if version != agreement.version:
        raise DomainError(
            "order.agreement_outdated",
            _(
                "You accepted agreement version %(given)s, but the current version is "
                "%(current)s. Read the current agreement and accept it."
            ),
            given=version or "-",
            current=agreement.version,
            field="agreement_version",
        )
    order.agreement_version = version
    order.agreement_catalog_version_id = catalog_version_id
    order.agreement_accepted_at = now
    order.agreement_accepted_by = actor if getattr(actor, "pk", None) else None
    order.status = OrderStatus.AGREEMENT_ACCEPTED
    order.save(
        update_fields=[
            "agreement_version",
            "agreement_catalog_version",
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
