"""Reads the pages need that combine several contexts (the plan a tenant has, with the
catalog's words for it). Everything tenant-owned goes through the owning context's
tenant-scoped selectors; this module only assembles."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from supportplan.catalog import selectors as catalog_selectors
from supportplan.catalog.domain import Catalog, Plan
from supportplan.subscriptions import selectors as subscription_selectors


@dataclass
class MyPlan:
    """One provider's plan as a customer sees it on the home page."""

    provider_code: str
    catalog: Catalog
    plan: Plan
    in_force: Any  # subscriptions.selectors.PlanInForce
    balances: list[Any] = field(default_factory=list)
    people: list[tuple[str, Any]] = field(default_factory=list)  # (role label, User)

    @property
    def services_with_balance(self) -> list[tuple[Any, Any]]:
        by_code: dict[str, Any] = {}
        for bal in self.balances:
            by_code.setdefault(bal.service_code, bal)
        return [(grant, by_code.get(grant.code)) for grant in self.plan.services]


def my_plans(tenant: Any, now: datetime) -> list[MyPlan]:
    from django.utils.translation import gettext as _
    from django.utils.translation import pgettext

    result = []
    for pif in subscription_selectors.plans_in_force(tenant, now):
        try:
            catalog = catalog_selectors.catalog_for_version(pif.catalog_version_id)
            plan = catalog.plan(pif.plan_code)
        except (catalog_selectors.CatalogNotLoaded, LookupError):
            continue
        roles = plan.staff_roles()
        people: list[tuple[str, Any]] = []
        if "tam" in roles and tenant.tam_id:
            people.append((pgettext("web", "Technical account manager"), tenant.tam))
        if "business_manager" in roles and tenant.business_manager_id:
            people.append((pgettext("web", "Business manager"), tenant.business_manager))
        if "architect" in roles and tenant.architect_id:
            people.append((_("Pre-sales architect"), tenant.architect))
        result.append(
            MyPlan(
                provider_code=pif.provider_code,
                catalog=catalog,
                plan=plan,
                in_force=pif,
                balances=subscription_selectors.quota_balances(tenant, pif.provider_code, now),
                people=people,
            )
        )
    return result


def my_plan(tenant: Any, provider_code: str, now: datetime) -> MyPlan | None:
    return next((p for p in my_plans(tenant, now) if p.provider_code == provider_code), None)


def catalogs() -> dict[str, Catalog]:
    return catalog_selectors.current_catalogs()


def tenants_of_tam(user: Any) -> list[Any]:
    """Tenants whose technical account manager is `user` (accounts has no selector for it)."""
    from supportplan.accounts.models import Tenant

    return list(Tenant.objects.filter(tam=user).order_by("name"))


@dataclass
class Attainment:
    key: str
    label: str
    total: int = 0
    met: int = 0
    breached: int = 0

    @property
    def rate(self) -> float | None:
        decided = self.met + self.breached
        return round(100.0 * self.met / decided, 1) if decided else None


@dataclass
class Dashboard:
    since: datetime
    by_tier: list[Attainment]
    by_severity: list[Attainment]
    by_provider: list[Attainment]
    backlog: list[tuple[str, int]]
    active_total: int
    breached_open: list[Any]
    csat_average: float | None
    csat_count: int
    opened: int


def dashboard(now: datetime, days: int) -> Dashboard:
    """SLA attainment of cases opened in the last `days` days, backlog, breaches, CSAT.

    Met/breached come from the denormalised SLA columns the cases context keeps; a case
    still running counts in the total but in neither rate term. Managers only (the view
    checks); counts are cross-tenant by design.
    """
    from datetime import timedelta

    from django.db.models import Avg, Count, Q
    from django.utils.translation import get_language

    from supportplan.accounts.models import HandlerTier
    from supportplan.cases.models import ACTIVE_STATE_VALUES, Case, Rating

    since = now - timedelta(days=days)
    lang = get_language()
    recent = Case.objects.filter(created_at__gte=since, created_at__lte=now)
    met_q = Q(sla_state="met") & Q(sla_breached=False)
    breached_q = Q(sla_breached=True) | Q(sla_state="breached")

    def group(field: str, labels: dict[str, str]) -> list[Attainment]:
        rows = (
            recent.values(field)
            .annotate(
                total=Count("id"),
                met=Count("id", filter=met_q),
                breached=Count("id", filter=breached_q),
            )
            .order_by(field)
        )
        return [
            Attainment(
                r[field], labels.get(r[field], r[field]), r["total"], r["met"], r["breached"]
            )
            for r in rows
        ]

    cats = catalogs()
    sev_labels: dict[str, str] = {}
    for cat in cats.values():
        for sev in cat.severities:
            sev_labels.setdefault(sev.code, sev.name.get(lang))
    prov_labels = {code: cat.provider.name.get(lang) for code, cat in cats.items()}
    tier_labels = {str(k): str(v) for k, v in HandlerTier.choices}
    active = Case.objects.filter(state__in=ACTIVE_STATE_VALUES)
    backlog = [
        (tier_labels.get(r["queue"], r["queue"]), r["n"])
        for r in active.values("queue").annotate(n=Count("id")).order_by("queue")
    ]
    breached_open = list(
        active.filter(breached_q)
        .select_related("tenant", "assignee")
        .order_by("first_response_due")[:20]
    )
    csat = Rating.objects.filter(created_at__gte=since, created_at__lte=now).aggregate(
        avg=Avg("score"), n=Count("id")
    )
    return Dashboard(
        since=since,
        by_tier=group("handler_tier", tier_labels),
        by_severity=group("severity", sev_labels),
        by_provider=group("provider", prov_labels),
        backlog=backlog,
        active_total=active.count(),
        breached_open=breached_open,
        csat_average=round(csat["avg"], 2) if csat["avg"] is not None else None,
        csat_count=csat["n"],
        opened=recent.count(),
    )


def order_label(order: Any, lang: str) -> str:
    """“Provider · Plan” (or the add-on service) of an order in the reader's language, from
    the catalog version the order was priced from; the codes if that catalog is gone."""
    try:
        catalog = catalog_selectors.catalog_for_version(order.plan.catalog_version_id)
        provider = catalog.provider.name.get(lang)
        if order.service_code:
            service = next((s for s in catalog.services if s.code == order.service_code), None)
            if service is not None:
                return f"{provider} · {service.name.get(lang)}"
        return f"{provider} · {catalog.plan(order.plan_code).name.get(lang)}"
    except (catalog_selectors.CatalogNotLoaded, LookupError):
        return f"{order.provider_code} · {order.service_code or order.plan_code}"


def pending_payments() -> Any:
    """Payments waiting for staff to see the money arrive (bank transfers), oldest first.
    Staff only (the view checks the role); cross-tenant by design."""
    from supportplan.subscriptions.models import Payment, PaymentStatus

    return (
        Payment.objects.filter(status=PaymentStatus.PENDING)
        .select_related("order", "order__plan", "tenant")
        .order_by("created_at", "id")
    )


def settled_payments() -> Any:
    from supportplan.subscriptions.models import Payment, PaymentStatus

    return (
        Payment.objects.exclude(status=PaymentStatus.PENDING)
        .select_related("order", "order__plan", "tenant", "confirmed_by")
        .order_by("-completed_at", "-id")
    )


def payment_by_id(payment_id: int) -> Any:
    from supportplan.subscriptions.models import Payment

    return Payment.objects.select_related("order", "tenant").filter(pk=payment_id).first()


def assignable_staff(case: Any) -> list[Any]:
    """Active staff who may hold this case: handler roles (or managers) whose tier covers the
    case's queue (accounts.permissions.may_take_case, the rule cases.services.case_assign
    applies), by tier then name."""
    from supportplan.accounts import permissions as perms
    from supportplan.accounts.models import TIER_RANK, User

    tiers = [str(t) for t in TIER_RANK if perms.tier_may_handle(t, case.queue)]
    people = User.objects.filter(
        is_active=True,
        role__in=[str(r) for r in perms.CASE_HANDLER_ROLES | perms.SEE_ALL_CASES],
        handler_tier__in=tiers,
    ).order_by("handler_tier", "last_name", "first_name", "username")
    return [u for u in people if perms.may_take_case(u, case)]


def open_order(tenant: Any, provider_code: str | None) -> Any:
    """The tenant's unfinished plan order with this provider (it blocks placing another),
    or None."""
    from supportplan.subscriptions.models import OrderKind
    from supportplan.subscriptions.services import OPEN_ORDER

    if not provider_code:
        return None
    return (
        subscription_selectors.orders_of(tenant)
        .filter(provider_code=provider_code, status__in=OPEN_ORDER)
        .exclude(kind=OrderKind.ADDON)
        .order_by("placed_at", "pk")
        .first()
    )
