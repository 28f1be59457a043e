"""Case test factories: catalogs loaded through the catalog service, plans through the
subscriptions services, people through the accounts services (core.testing)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from supportplan.accounts import services as accounts
from supportplan.accounts.models import Role, SystemClass
from supportplan.core.testing import make_tenant, make_user
from supportplan.subscriptions.selectors import current_agreement_version

# Plans of both providers are bought from well before the instants the tests use.
PLAN_START = datetime.fromisoformat("2026-01-01T00:00:00+08:00")


def load_catalogs(now: datetime = PLAN_START) -> None:
    from supportplan.catalog.services import catalog_load

    for name in ("partner.yaml", "tencent.yaml"):
        catalog_load(source=settings.CATALOG_DIR / name, actor=None, now=now)


def entitle(tenant: Any, provider: str, plan: str, *, start: datetime = PLAN_START) -> None:
    """Give `tenant` `plan` with `provider` from `start` for a year, through the real
    subscription write path (Tencent S4 needs only a Tencent cloud account)."""
    if provider == "tencent" and plan == "s4":
        accounts.cloud_account_add(
            tenant=tenant, cloud="tencent", account_id=f"1000{tenant.pk:06d}", now=start
        )
        return
    from supportplan.subscriptions import services as subs

    order = subs.order_place(
        tenant=tenant,
        actor=None,
        provider_code=provider,
        plan_code=plan,
        term="annual",
        count=1,
        now=start,
    )
    subs.order_accept_agreement(
        order=order, actor=None, version=current_agreement_version(order.provider_code), now=start
    )
    payment = subs.order_pay(order=order, actor=None, method="bank_transfer", now=start)
    subs.payment_succeed(
        payment=payment,
        idempotency_key=f"test-{order.pk}",
        amount=payment.amount,
        actor=None,
        now=start,
    )


def customer(
    provider: str | None,
    plan: str | None,
    *,
    tam: Any = None,
    role: str = Role.CUSTOMER_ADMIN,
    start: datetime = PLAN_START,
) -> tuple[Any, Any, dict[str, Any]]:
    """(tenant, customer user, {system class: RegisteredSystem})."""
    tenant = make_tenant(now=PLAN_START)
    if tam is not None:
        accounts.tenant_update(tenant=tenant, actor=None, now=PLAN_START, tam=tam)
    user = make_user(role, tenant=tenant, now=PLAN_START)
    systems = {
        cls: accounts.system_register(
            tenant=tenant, name=f"{cls} system", classification=cls, now=PLAN_START
        )
        for cls in SystemClass.values
    }
    if provider and plan:
        entitle(tenant, provider, plan, start=start)
    return tenant, user, systems


def at(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    assert value.tzinfo is not None
    return value


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def unanswered_backlog(n: int, *, per_tier: int) -> list[Any]:
    """`n` unanswered production-down cases opened from 2026-11-23 10:00 (Shanghai) on, routed
    over `per_tier` engineers; each breach escalates to `per_tier` experts (a support manager
    covers the top tier). Shared by the concurrent-sweep test and the worker fault test."""
    from supportplan.cases import services

    load_catalogs()
    for _ in range(per_tier):
        make_user(Role.ENGINEER)
        make_user(Role.EXPERT)
    make_user(Role.SUPPORT_MANAGER, handler_tier="senior_expert")
    tenant, user, systems = customer("partner", "basic")
    t = at("2026-11-23T10:00:00+08:00")
    return [
        services.case_open(
            actor=user,
            tenant=tenant,
            provider="partner",
            channel="ticket",
            severity="production_down",
            subject="It broke",
            description="The thing stopped working at 08:55.",
            system=systems["production"],
            now=t + minutes(i % 7),
        )
        for i in range(n)
    ]
