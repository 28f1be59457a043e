"""Reads for advisories. Customers see an advisory only once their organisation was notified
(TAM first for enterprise care), and only their own organisation's target row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from supportplan.accounts.selectors import cloud_accounts_of, systems_of
from supportplan.core.tenancy import for_tenant

from . import domain
from .models import Advisory, AdvisoryTarget, SoftwareItem, State


def enterprise_care_in_force(tenant: Any, as_of: datetime) -> bool:
    """Does a plan the tenant has at `as_of` include the enterprise care feature?"""
    from supportplan.catalog.selectors import catalog_for_version
    from supportplan.subscriptions.selectors import plans_in_force

    for pif in plans_in_force(tenant, as_of):
        plan = catalog_for_version(pif.catalog_version_id).plan(pif.plan_code)
        if plan.includes_feature("enterprise_care"):
            return True
    return False


def profile_of(tenant: Any) -> domain.Profile:
    return domain.Profile(
        accounts=tuple(
            domain.CloudAccount(a.cloud, frozenset(a.regions or []))
            for a in cloud_accounts_of(tenant)
        ),
        system_clouds=frozenset(s.cloud for s in systems_of(tenant) if s.cloud),
        software=tuple((i.name, i.version) for i in software_of(tenant)),
    )


def scope_of(advisory: Advisory) -> domain.Scope:
    return domain.Scope(
        clouds=frozenset(advisory.clouds or []),
        regions=frozenset(advisory.regions or []),
        software=tuple(
            domain.SoftwareRange(str(s.get("name", "")), str(s.get("versions", "") or ""))
            for s in advisory.software or []
        ),
    )


def software_of(tenant: Any) -> QuerySet[SoftwareItem]:
    return (
        for_tenant(SoftwareItem.objects, tenant)
        .select_related("system")
        .order_by("name", "version")
    )


def advisories_for_staff() -> QuerySet[Advisory]:
    return Advisory.objects.all().order_by("-created_at", "-id")


def advisories_for_tenant(tenant: Any) -> QuerySet[Advisory]:
    """Published advisories this tenant has been notified of."""
    ids = for_tenant(AdvisoryTarget.objects, tenant).filter(notified_at__isnull=False)
    return Advisory.objects.filter(
        state=State.PUBLISHED, pk__in=ids.values("advisory_id")
    ).order_by("-published_at", "-id")


def target_of(advisory: Advisory, tenant: Any) -> AdvisoryTarget | None:
    return for_tenant(AdvisoryTarget.objects, tenant).filter(advisory=advisory).first()


def targets_of(advisory: Advisory) -> QuerySet[AdvisoryTarget]:
    return advisory.targets.select_related(
        "tenant", "tam", "contacted_by", "acknowledged_by"
    ).order_by("tenant__name")


def tasks_of(user: Any, *, open_only: bool = True) -> QuerySet[AdvisoryTarget]:
    """The TAM's contact tasks (care targets of tenants they manage)."""
    qs = AdvisoryTarget.objects.filter(care=True, tam=user).select_related("advisory", "tenant")
    if open_only:
        qs = qs.filter(contacted_at__isnull=True)
    return qs.order_by("contact_due", "pk")
