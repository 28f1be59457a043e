"""Fixtures for the portal and console: shipped catalogs, customers on real plans (bought
through the subscriptions services), staff of each role. Pages read `clock.now()`, so plans
start a little before the real current instant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from supportplan.accounts import services as accounts
from supportplan.accounts.models import Role
from supportplan.core import clock
from supportplan.core.testing import make_tenant, make_user
from supportplan.subscriptions.selectors import current_agreement_version

PASSWORD = "pw-for-tests-123"


@dataclass
class Customer:
    tenant: Any
    admin: Any
    member: Any
    systems: dict[str, Any]


def load_catalogs() -> None:
    from django.conf import settings

    from supportplan.calendars import services as calendars
    from supportplan.catalog.services import catalog_load

    start = clock.now() - timedelta(days=30)
    # Browser tests use transactional databases, flushed between tests: the calendars the
    # data migration wrote are gone, so put them back through their services.
    calendars.calendars_ensure_builtin(at=start)
    calendars.holidays_import_library(at=start)
    for name in ("partner.yaml", "tencent.yaml"):
        catalog_load(source=settings.CATALOG_DIR / name, actor=None, now=start)


def entitle(
    tenant: Any, provider: str, plan: str, term: str = "annual", since: timedelta | None = None
) -> None:
    """Buy `plan` for a year from a day ago (or `since` ago), through the real order/payment
    services."""
    from supportplan.subscriptions import services as subs

    start = clock.now() - (since or timedelta(days=1))
    if provider == "tencent" and plan == "s4":
        accounts.cloud_account_add(
            tenant=tenant, cloud="tencent", account_id=f"9{tenant.pk:08d}", now=start
        )
        return
    order = subs.order_place(
        tenant=tenant,
        actor=None,
        provider_code=provider,
        plan_code=plan,
        term=term,
        count=1,
        now=start,
    )
    subs.order_accept_agreement(
        order=order, actor=None, version=current_agreement_version(order.provider_code), now=start
    )
    payment = subs.order_pay(order=order, actor=None, method="bank_transfer", now=start)
    subs.payment_succeed(
        payment=payment,
        idempotency_key=f"web-{order.pk}",
        amount=payment.amount,
        actor=None,
        now=start,
    )


def make_customer(
    provider: str | None,
    plan: str | None,
    *,
    name: str | None = None,
    tam: Any = None,
    term: str = "annual",
    since: timedelta | None = None,
) -> Customer:
    start = clock.now() - max(since or timedelta(0), timedelta(days=2))
    tenant = make_tenant(name, now=start)
    if tam is not None:
        accounts.tenant_update(tenant=tenant, actor=None, now=start, tam=tam)
    admin = make_user(
        Role.CUSTOMER_ADMIN,
        tenant=tenant,
        now=start,
        first_name="Ada",
        last_name="Admin",
        language="en",
    )
    member = make_user(Role.CUSTOMER_MEMBER, tenant=tenant, now=start, language="en")
    systems = {
        cls: accounts.system_register(
            tenant=tenant, name=f"{cls} system", classification=cls, now=start
        )
        for cls in ("core_production", "production", "non_production")
    }
    if provider and plan:
        entitle(tenant, provider, plan, term=term, since=since)
    return Customer(tenant, admin, member, systems)


@pytest.fixture(autouse=True)
def _payment_providers(settings, tmp_path):
    settings.SUPPORTPLAN_PAYMENT_PROVIDERS = ["bank_transfer", "test"]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def catalogs(db):
    load_catalogs()


@pytest.fixture
def staff(db):
    start = clock.now() - timedelta(days=2)
    return {
        "engineer": make_user(
            Role.ENGINEER,
            username="eng",
            now=start,
            first_name="Wei",
            last_name="Zhang",
            language="en",
        ),
        "expert": make_user(Role.EXPERT, username="exp", now=start, language="en"),
        "senior": make_user(Role.SENIOR_EXPERT, username="sen", now=start, language="en"),
        "tam": make_user(
            Role.TAM, username="tam", now=start, first_name="Ling", last_name="Zhao", language="en"
        ),
        "manager": make_user(
            Role.SUPPORT_MANAGER,
            username="mgr",
            now=start,
            handler_tier="senior_expert",
            language="en",
        ),
    }


@pytest.fixture
def basic(catalogs):
    return make_customer("partner", "basic", name="Qingyun Retail")


@pytest.fixture
def vip(catalogs, staff):
    return make_customer("partner", "vip", name="Jinhai Bank", tam=staff["tam"])


def client_for(user: Any, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    client.cookies["django_language"] = language
    return client
