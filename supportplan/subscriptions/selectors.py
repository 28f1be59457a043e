"""Tenant-scoped reads: the plan in force, orders, statements, quota balances.

Contract for other contexts (cases, SLA, reports, bookings):

``plan_in_force(tenant, provider_code, as_of) -> PlanInForce | None``
    The plan the tenant has with the provider at the instant `as_of`: the paid period that
    contains `as_of`, else the provider's free default plan (Tencent S4) for a customer of
    that provider, else None.

``plans_in_force(tenant, as_of) -> list[PlanInForce]``
    The same for every provider the tenant has a plan with at `as_of`.

Who counts as a customer of a provider for its free default plan (our rule,
docs/subscriptions.md): a tenant that has a cloud account on one of the clouds the default
plan's catalog entry names in `granted_by_clouds` (Tencent S4: tencent) or has ever had a subscription or placed
an order with that provider (so a lapsed S3 customer falls back to S4, not to nothing).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from django.db.models import QuerySet

from supportplan.catalog import selectors as catalog_selectors
from supportplan.catalog.domain import Agreement
from supportplan.core.compiled import CompiledRead
from supportplan.core.tenancy import for_tenant, tenant_pk

from .domain import local_date
from .models import (
    LedgerKind,
    Order,
    Period,
    QuotaBucket,
    QuotaEntry,
    StatementLine,
    Subscription,
)


@dataclass(frozen=True)
class PlanInForce:
    provider_code: str
    plan_code: str
    catalog_version_id: int
    subscription_id: int | None  # None: the provider's free default plan (Tencent S4)
    term: str | None  # monthly | annual; None for the default plan
    period_start: datetime | None  # the plan's window [start, end) containing as_of
    period_end: datetime | None
    order_id: int | None = None  # the purchase/renewal that paid the period
    plan_id: int | None = None  # catalog.Plan row

    @property
    def is_default(self) -> bool:
        return self.subscription_id is None


def _periods_at(tenant_id: int, provider_code: str, as_of: datetime) -> QuerySet[Any]:
    """The period of the tenant's subscription with the provider containing `as_of`, as the
    columns a PlanInForce needs (the latest-starting one, should two overlap)."""
    from supportplan.accounts.models import Tenant

    return (
        for_tenant(Period.objects, Tenant(pk=tenant_id))
        .filter(
            subscription__provider_code=provider_code,
            starts_at__lte=as_of,
            ends_at__gt=as_of,
        )
        .order_by("-starts_at")
        .values_list(
            "plan_code",
            "plan__catalog_version_id",
            "subscription_id",
            "term",
            "starts_at",
            "ends_at",
            "base_order_id",
            "plan_id",
        )[:1]
    )


# Read on every opening of a case: compiled once (core.compiled).
_PERIOD_AT = CompiledRead(
    _periods_at,
    tenant_id=-987_654_321,
    provider_code="~sentinel-provider~",
    as_of=datetime(1901, 2, 3, 4, 5, 6, 789_012, tzinfo=UTC),
)


def _from_period(period: Period, provider_code: str) -> PlanInForce:
    return PlanInForce(
        provider_code=provider_code,
        plan_code=period.plan_code,
        catalog_version_id=period.plan.catalog_version_id,
        subscription_id=period.subscription_id,
        term=period.term,
        period_start=period.starts_at,
        period_end=period.ends_at,
        order_id=period.base_order_id,
        plan_id=period.plan_id,
    )


def is_customer_of(tenant: Any, provider_code: str, clouds: tuple[str, ...] = ()) -> bool:
    """Does the tenant get `provider_code`'s free default plan? (our rule, see module doc)
    `clouds`: the clouds whose accounts grant it (the catalog's `granted_by_clouds`)."""
    from supportplan.accounts.selectors import cloud_accounts_of

    if clouds and cloud_accounts_of(tenant).filter(cloud__in=clouds).exists():
        return True
    if for_tenant(Subscription.objects, tenant).filter(provider_code=provider_code).exists():
        return True
    return for_tenant(Order.objects, tenant).filter(provider_code=provider_code).exists()


def _default_plan(tenant: Any, provider_code: str) -> PlanInForce | None:
    try:
        version = catalog_selectors.current_version(provider_code)
    except catalog_selectors.CatalogNotLoaded:
        return None
    catalog = catalog_selectors.catalog_for_version(version.pk)
    default = catalog.default_plan()
    if default is None or not is_customer_of(tenant, provider_code, default.granted_by_clouds):
        return None
    row = catalog_selectors.plan_row(version.pk, default.code)
    return PlanInForce(
        provider_code=provider_code,
        plan_code=default.code,
        catalog_version_id=version.pk,
        subscription_id=None,
        term=None,
        period_start=None,
        period_end=None,
        plan_id=row.pk,
    )


def paid_until(pif: PlanInForce) -> date | None:
    """The first local day after the paid period `pif` lies in, renewals included: the end
    of the last of the subscription's periods that follow one another without a gap.
    None for a free default plan (no end)."""
    if pif.subscription_id is None or pif.period_end is None:
        return None
    end = pif.period_end
    for starts_at, ends_at in (
        Period.objects.filter(subscription_id=pif.subscription_id, ends_at__gt=end)
        .order_by("starts_at")
        .values_list("starts_at", "ends_at")
    ):
        if starts_at > end:
            break
        end = max(end, ends_at)
    return local_date(end)


def plan_in_force(tenant: Any, provider_code: str, as_of: datetime) -> PlanInForce | None:
    if as_of.tzinfo is None:
        raise ValueError("plan_in_force needs an aware datetime")
    rows = _PERIOD_AT.rows(tenant_id=tenant_pk(tenant), provider_code=provider_code, as_of=as_of)
    if rows:
        plan_code, version_id, subscription_id, term, start, end, base_order_id, plan_id = rows[0]
        return PlanInForce(
            provider_code=provider_code,
            plan_code=plan_code,
            catalog_version_id=version_id,
            subscription_id=subscription_id,
            term=term,
            period_start=start,
            period_end=end,
            order_id=base_order_id,
            plan_id=plan_id,
        )
    return _default_plan(tenant, provider_code)


def plans_in_force(tenant: Any, as_of: datetime) -> list[PlanInForce]:
    if as_of.tzinfo is None:
        raise ValueError("plans_in_force needs an aware datetime")
    result: dict[str, PlanInForce] = {}
    periods = (
        for_tenant(Period.objects, tenant)
        .filter(starts_at__lte=as_of, ends_at__gt=as_of)
        .select_related("plan", "subscription")
        .order_by("starts_at")
    )
    for period in periods:
        code = period.subscription.provider_code
        result[code] = _from_period(period, code)
    for provider in catalog_selectors.providers().values_list("code", flat=True):
        if provider not in result:
            default = _default_plan(tenant, provider)
            if default is not None:
                result[provider] = default
    return [result[code] for code in sorted(result)]


# --------------------------------------------------------------------------- orders & subscriptions


def current_agreement(provider_code: str) -> Agreement | None:
    """The provider's service agreement in force now (the one a new order accepts)."""
    found = catalog_selectors.current_agreement(provider_code)
    return found[1] if found else None


def current_agreement_version(provider_code: str) -> str:
    """The version id a customer accepts now ("" when the provider publishes none)."""
    agreement = current_agreement(provider_code)
    return agreement.version if agreement else ""


def agreement_of(order: Order) -> Agreement | None:
    """The agreement text the order was accepted under (None: not accepted yet, or accepted
    before agreements were catalog data)."""
    if not order.agreement_version or order.agreement_catalog_version_id is None:
        return None
    catalog = catalog_selectors.catalog_for_version(order.agreement_catalog_version_id)
    return catalog.agreement_version(order.agreement_version)


def subscriptions_of(tenant: Any) -> QuerySet[Subscription]:
    return for_tenant(Subscription.objects, tenant).select_related("plan", "current_order")


def subscription_of(tenant: Any, provider_code: str) -> Subscription | None:
    return subscriptions_of(tenant).filter(provider_code=provider_code).first()


def orders_of(tenant: Any) -> QuerySet[Order]:
    return for_tenant(Order.objects, tenant).select_related("plan", "subscription")


def statement_of(
    tenant: Any, *, start: date | None = None, end: date | None = None
) -> QuerySet[StatementLine]:
    lines = for_tenant(StatementLine.objects, tenant).order_by("at", "id")
    if start is not None:
        lines = lines.filter(at__gte=_midnight(start))
    if end is not None:
        lines = lines.filter(at__lt=_midnight(end))
    return lines


def _midnight(day: date) -> datetime:
    from .domain import local_midnight

    return local_midnight(day)


def current_period(subscription: Subscription, as_of: datetime) -> Period | None:
    return (
        Period.objects.filter(subscription=subscription, starts_at__lte=as_of, ends_at__gt=as_of)
        .select_related("plan", "base_order", "order")
        .order_by("-starts_at")
        .first()
    )


def future_periods(subscription: Subscription, as_of: datetime) -> QuerySet[Period]:
    return Period.objects.filter(subscription=subscription, starts_at__gt=as_of).order_by(
        "starts_at"
    )


# --------------------------------------------------------------------------- quota balances


@dataclass
class QuotaBalance:
    """Balances of one bucket, derived from the ledger."""

    bucket_id: int
    service_code: str
    unit: str
    valid_from: date
    valid_until: date
    order_id: int
    max_requests: int | None
    granted: int = 0
    reserved: int = 0  # reserved and not yet used or released
    used: int = 0
    released: int = 0
    expired: int = 0
    requests: int = 0  # open or used reservations (cancelled ones do not count)
    booking_ids: list[int] = field(default_factory=list)

    @property
    def available(self) -> int:
        return self.granted - self.reserved - self.used - self.expired

    def as_dict(self) -> dict[str, Any]:
        return {
            "service": self.service_code,
            "unit": self.unit,
            "valid_from": self.valid_from.isoformat(),
            "valid_until": self.valid_until.isoformat(),
            "granted": self.granted,
            "reserved": self.reserved,
            "used": self.used,
            "expired": self.expired,
            "available": self.available,
            "requests": self.requests,
            "max_requests": self.max_requests,
        }


def balances(buckets: list[QuotaBucket], *, until: datetime | None = None) -> list[QuotaBalance]:
    """Fold the ledger of these buckets. reserve → (consume | release); expire takes the rest.

    `until`: only entries written at or before that instant (the balances as they stood then).
    """
    by_id = {
        b.pk: QuotaBalance(
            bucket_id=b.pk,
            service_code=b.service_code,
            unit=b.unit,
            valid_from=b.valid_from,
            valid_until=b.valid_until,
            order_id=b.order_id,
            max_requests=b.max_requests,
        )
        for b in buckets
    }
    per_booking: dict[tuple[int, int], int] = defaultdict(int)
    entries = QuotaEntry.objects.filter(bucket_id__in=list(by_id))
    if until is not None:
        entries = entries.filter(at__lte=until)
    for entry in entries.order_by("at", "id"):
        bal = by_id[entry.bucket_id]
        q = entry.quantity
        key = (entry.bucket_id, entry.booking_id or 0)
        if entry.kind == LedgerKind.GRANT:
            bal.granted += q
        elif entry.kind == LedgerKind.RESERVE:
            bal.reserved += q
            bal.requests += 1
            per_booking[key] += q
            if entry.booking_id:
                bal.booking_ids.append(entry.booking_id)
        elif entry.kind == LedgerKind.CONSUME:
            bal.reserved -= q
            bal.used += q
        elif entry.kind == LedgerKind.RELEASE:
            bal.reserved -= q
            bal.released += q
            bal.requests -= 1
        elif entry.kind == LedgerKind.EXPIRE:
            bal.expired += q
    return [by_id[b.pk] for b in buckets]


def buckets_at(tenant: Any, provider_code: str, on: date) -> list[QuotaBucket]:
    """The quota buckets in force on local date `on` (the current annual order's year)."""
    return list(
        for_tenant(QuotaBucket.objects, tenant)
        .filter(
            subscription__provider_code=provider_code,
            valid_from__lte=on,
            valid_until__gt=on,
        )
        .order_by("service_code", "pk")
    )


def quota_balances(tenant: Any, provider_code: str, as_of: datetime) -> list[QuotaBalance]:
    return balances(buckets_at(tenant, provider_code, local_date(as_of)))


def quota_balances_as_of(tenant: Any, provider_code: str, as_of: datetime) -> list[QuotaBalance]:
    """The balances as they stood at the instant `as_of`: the buckets in force on its local
    (Asia/Shanghai) date, folded from the ledger entries written up to `as_of` only. A report
    about a past month reads this with the month's last instant, so bookings made, delivered
    or cancelled since do not change what it shows."""
    if as_of.tzinfo is None:
        raise ValueError("quota_balances_as_of needs an aware datetime")
    return balances(buckets_at(tenant, provider_code, local_date(as_of)), until=as_of)


def plan_usage(provider_code: str, as_of: datetime) -> dict[str, Any]:
    """Tenants and subscriptions per plan code in force at `as_of` (for `catalog diff`)."""
    from supportplan.catalog.usage import PlanUsage

    tenants: dict[str, set[int]] = defaultdict(set)
    for plan_code, tenant_id in Period.objects.filter(
        subscription__provider_code=provider_code, starts_at__lte=as_of, ends_at__gt=as_of
    ).values_list("plan_code", "tenant_id"):
        tenants[plan_code].add(tenant_id)
    return {code: PlanUsage(len(ids), len(ids)) for code, ids in tenants.items()}
