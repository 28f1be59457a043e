"""Statement lines: what the customer was charged (or told) and why, in both languages."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .. import domain
from ..models import Order, OrderKind, StatementKind, StatementLine, Subscription
from ._common import plan_names, plan_of_order


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


def _subscription_line(
    subscription: Subscription,
    *,
    kind: str,
    at: datetime,
    zh: str,
    en: str,
    plan_code: str,
    period_start: date | None = None,
    period_end: date | None = None,
) -> StatementLine:
    """A no-charge line about the subscription itself, not an order: a scheduled downgrade,
    an unsubscription, an expiry."""
    return _statement(
        order=None,
        subscription=subscription,
        tenant=subscription.tenant,
        kind=kind,
        at=at,
        amount=Decimal("0"),
        description=_text(zh, en),
        provider_code=subscription.provider_code,
        plan_code=plan_code,
        period_start=period_start,
        period_end=period_end,
    )


def _statement_for_paid_order(order: Order, now: datetime) -> None:
    _catalog, plan = plan_of_order(order)
    term_zh = {"monthly": "个月", "annual": "年"}[order.term]
    term_en = {"monthly": ("month", "months"), "annual": ("year", "years")}[order.term][
        order.count != 1
    ]
    if order.kind == OrderKind.ADDON:
        service = _catalog.service(order.service_code)
        text = _text(
            f"{service.name.zh_hans} {order.quantity} 天（订单 {order.number}）",
            f"{service.name.en}, {order.quantity} {'day' if order.quantity == 1 else 'days'} "
            f"(order {order.number})",
        )
        kind = StatementKind.ADDON
    elif order.kind == OrderKind.UPGRADE:
        base = order.base_order
        old_zh, old_en = (
            plan_names(base.plan.catalog_version_id, base.plan_code) if base else ("", "")
        )
        text = _text(
            f"升级 {old_zh} → {plan.name.zh_hans}，剩余期间差价（订单 {order.number}）",
            f"Upgrade {old_en} → {plan.name.en}, daily difference for the rest of the period "
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
