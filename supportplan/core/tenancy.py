"""Tenant scoping by construction.

Tenant-owned querysets are reached through `for_tenant(qs, tenant)` or a model manager's
`.for_tenant(tenant)`; both refuse a missing tenant instead of returning everything.
"""

from typing import Any, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


class TenantRequired(Exception):
    pass


def for_tenant(
    qs: "models.QuerySet[M, M] | models.Manager[M]", tenant: Any
) -> "models.QuerySet[M, M]":
    tenant_pk(tenant)
    return qs.filter(tenant=tenant)


def tenant_pk(tenant: Any) -> Any:
    """The tenant's id, or TenantRequired: the guard of for_tenant for reads that filter by
    the id themselves (core.compiled)."""
    if tenant is None or getattr(tenant, "pk", None) is None:
        raise TenantRequired("a tenant-scoped query was made without a tenant")
    return tenant.pk


class TenantQuerySet(models.QuerySet[M]):
    def for_tenant(self, tenant: Any) -> "TenantQuerySet[M]":
        return for_tenant(self, tenant)  # type: ignore[return-value]


TenantManager = models.Manager.from_queryset(TenantQuerySet)
