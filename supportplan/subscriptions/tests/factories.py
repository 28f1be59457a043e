"""Test helpers: load the shipped catalogs and walk a tenant through a purchase, all through
the real services (the one write path)."""

from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from supportplan.catalog.services import catalog_load
from supportplan.core.testing import T0
from supportplan.subscriptions import domain, selectors, services
from supportplan.subscriptions.models import Order

CATALOG_DIR = settings.CATALOG_DIR


def shanghai(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """An instant given on the Asia/Shanghai wall clock, as UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=domain.BUSINESS_TZ).astimezone(UTC)


def load_catalogs(now: datetime = T0) -> None:
    for name in ("partner", "tencent"):
        catalog_load(source=CATALOG_DIR / f"{name}.yaml", actor=None, now=now)


def buy(
    tenant: Any,
    provider: str,
    plan: str,
    *,
    term: str = "annual",
    count: int = 1,
    now: datetime = T0,
    actor: Any = None,
    method: str = "test",
    auto_renew: bool = False,
) -> Order:
    """Place, accept the agreement, pay. With the test gateway the order is fulfilled."""
    order = services.order_place(
        tenant=tenant,
        actor=actor,
        provider_code=provider,
        plan_code=plan,
        term=term,
        count=count,
        now=now,
        auto_renew=auto_renew,
    )
    services.order_accept_agreement(
        order=order,
        actor=actor,
        version=selectors.current_agreement_version(order.provider_code),
        now=now,
    )
    services.order_pay(order=order, actor=actor, method=method, now=now)
    order.refresh_from_db()
    return order


def upgrade(subscription: Any, plan: str, *, now: datetime, actor: Any = None) -> Order:
    order = services.subscription_change(
        subscription=subscription, actor=actor, plan_code=plan, now=now
    )
    assert isinstance(order, Order)
    services.order_accept_agreement(
        order=order,
        actor=actor,
        version=selectors.current_agreement_version(order.provider_code),
        now=now,
    )
    services.order_pay(order=order, actor=actor, method="test", now=now)
    order.refresh_from_db()
    return order
