"""Write use cases of the catalog: load a file as a new version; say what a load would change.

A catalog is never edited in place. Loading stores the validated document as version N+1
with its Plan rows; subscriptions and cases keep pointing at the version they were made
under, so a price or target change applies to new orders and new cases only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from supportplan.core.audit import audit_log
from supportplan.core.errors import DomainError

from .diff import Change, diff_catalogs
from .domain import Catalog, document_sha256, parse_catalog
from .files import read_catalog_file
from .models import CatalogVersion, Plan, Provider
from .selectors import catalog_for_version, forget_version
from .usage import PlanUsage, plan_usage
from .validation import CatalogInvalid

Source = str | Path | dict[str, Any]


class CatalogRefused(DomainError):
    """The file was refused as a whole; `problems` lists every reason (file:path: message)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "catalog.invalid",
            _("The catalog was refused (%(count)s problems); nothing was loaded."),
            count=len(problems),
            problems=problems,
        )


def _read(source: Source, filename: str | None) -> tuple[dict[str, Any], Catalog, str]:
    try:
        if isinstance(source, dict):
            name = filename or "catalog"
            return source, parse_catalog(source, name), name
        data, catalog = read_catalog_file(source)
        return data, catalog, filename or Path(source).name
    except CatalogInvalid as exc:
        raise CatalogRefused(exc.problems) from None


@dataclass(frozen=True)
class LoadResult:
    version: CatalogVersion
    created: bool  # False: the document equals the current version, nothing was stored
    catalog: Catalog


@transaction.atomic
def catalog_load(
    *, source: Source, actor: Any, now: datetime, filename: str | None = None
) -> LoadResult:
    """Validate `source` (a path or an already-read document) and store it as the provider's
    next catalog version. Loading the current document again changes nothing."""
    data, catalog, name = _read(source, filename)
    sha = document_sha256(data)
    prov = catalog.provider
    provider, _created = Provider.objects.get_or_create(
        code=prov.code,
        defaults={
            "name_zh_hans": prov.name.zh_hans,
            "name_en": prov.name.en,
            "currency": prov.currency,
        },
    )
    # One loader per provider at a time, so version numbers never collide.
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    current = provider.versions.order_by("-number").first()
    if current is not None and current.sha256 == sha:
        return LoadResult(current, False, catalog_for_version(current.pk))
    Provider.objects.filter(pk=provider.pk).update(
        name_zh_hans=prov.name.zh_hans, name_en=prov.name.en, currency=prov.currency
    )
    version = CatalogVersion.objects.create(
        provider=provider,
        number=(current.number + 1) if current else 1,
        document=data,
        sha256=sha,
        source_name=name[:255],
        loaded_at=now,
        loaded_by=actor if getattr(actor, "pk", None) else None,
    )
    forget_version(version.pk)  # an id reused after a rollback must not answer the old document
    Plan.objects.bulk_create(
        Plan(
            catalog_version=version,
            code=plan.code,
            rank=plan.rank,
            name_zh_hans=plan.name.zh_hans,
            name_en=plan.name.en,
            monthly_price=plan.monthly_price,
            purchasable=plan.purchasable,
            is_default=plan.default,
            handler_tier=plan.handler_tier,
        )
        for plan in catalog.plans
    )
    previous = catalog_for_version(current.pk) if current else None
    changes = diff_catalogs(previous, catalog)
    audit_log(
        action="catalog.loaded",
        actor=actor,
        target=version,
        at=now,
        data={
            "provider": prov.code,
            "number": version.number,
            "previous_number": current.number if current else None,
            "sha256": sha,
            "source": name,
            "plans": [p.code for p in catalog.plans],
            "changes": len(changes),
        },
    )
    return LoadResult(version, True, catalog)


@dataclass(frozen=True)
class PlanImpact:
    plan: str
    changes: tuple[Change, ...]
    usage: PlanUsage | None  # None: no subscriptions app to count with


@dataclass(frozen=True)
class DiffReport:
    provider: str
    current_number: int | None  # None: nothing loaded yet for this provider
    identical: bool
    changes: tuple[Change, ...]
    impacts: tuple[PlanImpact, ...]  # per plan touched by at least one change
    usage_known: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "current_version": self.current_number,
            "identical": self.identical,
            "usage_known": self.usage_known,
            "changes": [
                {
                    "subject": c.subject,
                    "kind": c.kind,
                    "area": c.area,
                    "old": c.old,
                    "new": c.new,
                    "plans": list(c.plans),
                }
                for c in self.changes
            ],
            "plans": [
                {
                    "plan": i.plan,
                    "changes": len(i.changes),
                    "tenants": i.usage.tenants if i.usage else None,
                    "subscriptions": i.usage.subscriptions if i.usage else None,
                }
                for i in self.impacts
            ],
        }


def catalog_diff(*, source: Source, as_of: datetime, filename: str | None = None) -> DiffReport:
    """What loading `source` would change, and how many tenants/subscriptions each affected
    plan has at `as_of`. Writes nothing."""
    data, catalog, _name = _read(source, filename)
    code = catalog.provider.code
    current = (
        CatalogVersion.objects.filter(provider__code=code)
        .order_by("-number")
        .values_list("pk", "number", "sha256")
        .first()
    )
    if current is not None and current[2] == document_sha256(data):
        return DiffReport(code, current[1], True, (), (), plan_usage(code, as_of) is not None)
    previous = catalog_for_version(current[0]) if current else None
    changes = diff_catalogs(previous, catalog)
    usage = plan_usage(code, as_of) if current else {}
    plan_order = [p.code for p in catalog.plans] + (
        [p.code for p in previous.plans if p.code not in {q.code for q in catalog.plans}]
        if previous
        else []
    )
    impacts = []
    for plan in plan_order:
        touching = tuple(c for c in changes if plan in c.plans)
        if touching:
            impacts.append(
                PlanImpact(
                    plan,
                    touching,
                    (usage.get(plan, PlanUsage(0, 0)) if usage is not None else None),
                )
            )
    return DiffReport(
        code,
        current[1] if current else None,
        False,
        tuple(changes),
        tuple(impacts),
        usage is not None,
    )
