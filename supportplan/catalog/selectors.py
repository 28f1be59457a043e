"""Reads of the catalog. Catalogs are not tenant-owned: every signed-in person may read them.

Parsed catalogs are cached per process by (version id, sha256): a version never changes
after it is loaded, and the hash guards against a reused id (a test database, a restore).
`current_catalog` costs one small indexed query, so a newly loaded version is seen at once by
every process. `catalog_for_version` (the version a subscription or case names: the hot path
of opening a case) costs none once the process has seen that version: version rows are
immutable and never deleted, and the only writer (`services.catalog_load`) forgets the id it
creates, in case a rolled-back test reused it.
"""

from __future__ import annotations

import threading

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from supportplan.core.errors import DomainError

from . import domain
from .domain import Catalog, parse_catalog
from .models import CatalogVersion, Plan, Provider
from .schema import OTHER_CLOUD
from .texts import lazy_text

_cache: dict[tuple[int, str], Catalog] = {}
_by_version: dict[int, Catalog] = {}
_lock = threading.Lock()


class CatalogNotLoaded(DomainError):
    status = 404


def _parsed(version_id: int, sha256: str) -> Catalog:
    key = (version_id, sha256)
    catalog = _cache.get(key)
    if catalog is None:
        document = CatalogVersion.objects.values_list("document", flat=True).get(pk=version_id)
        catalog = parse_catalog(document, f"catalog version {version_id}")
        with _lock:
            if len(_cache) >= 256:  # versions are few; this only bounds test runs
                _cache.clear()
            _cache[key] = catalog
    return catalog


def current_version(provider_code: str) -> CatalogVersion:
    version = (
        CatalogVersion.objects.filter(provider__code=provider_code)
        .select_related("provider")
        .order_by("-number")
        .first()
    )
    if version is None:
        raise CatalogNotLoaded(
            "catalog.not_loaded",
            _(
                "No catalog is loaded for provider “%(provider)s”. "
                "An operator loads one with: supportplan catalog load FILE"
            ),
            provider=provider_code,
        )
    return version


def _current_row(provider_code: str) -> tuple[int, str]:
    """(id, sha256) of the provider's highest loaded catalog version."""
    row = (
        CatalogVersion.objects.filter(provider__code=provider_code)
        .order_by("-number")
        .values_list("pk", "sha256")
        .first()
    )
    if row is None:
        current_version(provider_code)  # raises CatalogNotLoaded with the explanation
    assert row is not None
    return row


def current_catalog(provider_code: str) -> Catalog:
    """The provider's catalog in force now (the highest loaded version)."""
    return _parsed(*_current_row(provider_code))


def current_agreement(provider_code: str) -> tuple[int, domain.Agreement] | None:
    """The provider's service agreement in force now, with the id of the catalog version it was
    read from (an order keeps that id, so the exact text accepted can always be shown again).
    None when the current catalog publishes no agreement."""
    version_id, sha256 = _current_row(provider_code)
    agreement = _parsed(version_id, sha256).agreement
    return (version_id, agreement) if agreement is not None else None


def catalog_for_version(version_id: int) -> Catalog:
    """The catalog a subscription or case was made under (kept after newer versions load)."""
    catalog = _by_version.get(version_id)
    if catalog is not None:
        return catalog
    sha = CatalogVersion.objects.filter(pk=version_id).values_list("sha256", flat=True).first()
    if sha is None:
        raise CatalogNotLoaded(
            "catalog.version_unknown",
            _("Catalog version %(version)s does not exist."),
            version=version_id,
        )
    catalog = _parsed(version_id, sha)
    with _lock:
        if len(_by_version) >= 256:
            _by_version.clear()
        _by_version[version_id] = catalog
    return catalog


def forget_version(version_id: int) -> None:
    """Drop what this process cached under `version_id` (the loader calls it for the id it
    just created: after a rolled-back test the same id can name another document)."""
    with _lock:
        _by_version.pop(version_id, None)


def current_catalogs() -> dict[str, Catalog]:
    """Every provider's current catalog, by provider code."""
    result: dict[str, Catalog] = {}
    for code in providers().values_list("code", flat=True):
        try:
            result[code] = current_catalog(code)
        except CatalogNotLoaded:
            continue
    return result


def providers() -> QuerySet[Provider]:
    """Providers that have at least one loaded catalog version."""
    return Provider.objects.filter(versions__isnull=False).distinct().order_by("code")


def plan_row(version_id: int, plan_code: str) -> Plan:
    """The Plan row of `plan_code` in a version: what subscriptions and cases store as FK."""
    try:
        return Plan.objects.select_related("catalog_version__provider").get(
            catalog_version_id=version_id, code=plan_code
        )
    except Plan.DoesNotExist:
        raise CatalogNotLoaded(
            "catalog.plan_unknown",
            _("Plan “%(plan)s” is not in catalog version %(version)s."),
            plan=plan_code,
            version=version_id,
        ) from None


def current_plan_row(provider_code: str, plan_code: str) -> Plan:
    return plan_row(current_version(provider_code).pk, plan_code)


def version_at(provider_code: str, number: int | str | None) -> CatalogVersion:
    """Version `number` of a provider's catalog (None or "": the current one)."""
    if number in (None, ""):
        return current_version(provider_code)
    try:
        wanted = int(number)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DomainError(
            "catalog.version_invalid",
            _("“%(value)s” is not a catalog version number."),
            field="catalog_version",
            value=number,
        ) from None
    found = (
        CatalogVersion.objects.filter(provider__code=provider_code, number=wanted)
        .select_related("provider")
        .first()
    )
    if found is None:
        raise CatalogNotLoaded(
            "catalog.version_unknown",
            _("Provider “%(provider)s” has no catalog version %(version)s."),
            provider=provider_code,
            version=wanted,
        )
    return found


def plan_in(catalog: Catalog, plan_code: str) -> domain.Plan:
    """The plan, or a refusal that names the plans there are."""
    for plan in catalog.plans:
        if plan.code == plan_code:
            return plan
    raise CatalogNotLoaded(
        "catalog.plan_unknown",
        _("Provider “%(provider)s” has no plan “%(plan)s” (plans: %(plans)s)."),
        provider=catalog.provider.code,
        plan=plan_code,
        plans=", ".join(p.code for p in catalog.plans),
    )


# --------------------------------------------------------------------------- clouds


def known_clouds() -> dict[str, domain.Text]:
    """The clouds the current catalogs name (code -> name), then the built-in "other":
    the values a cloud account's `cloud` may take. A new provider's catalog that names a
    cloud makes it available; no code change."""
    found: dict[str, domain.Text] = {}
    for catalog in current_catalogs().values():
        for code, name in catalog.provider.clouds:
            found.setdefault(code, name)
    found[OTHER_CLOUD] = domain.Text(zh_hans="其他云", en="Other cloud")
    return found


def cloud_choices() -> list[tuple[str, str]]:
    """`known_clouds` as form/serializer choices, named in the active language."""
    return [(code, lazy_text(name)) for code, name in known_clouds().items()]


def cloud_name(code: str) -> str:
    """A cloud's name in the active language; the code itself when no catalog names it."""
    name = known_clouds().get(code)
    return lazy_text(name) if name is not None else code
