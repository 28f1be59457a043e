"""The plan catalog as pure, frozen values (no ORM, no clock).

A `Catalog` is parsed from one provider's catalog document (catalogs/*.yaml, stored per
version in the database) by `parse_catalog`, which refuses a broken document as a whole
with `CatalogInvalid(problems)`. Other apps ask the catalog questions through the methods
here; they never read the YAML or the JSON themselves.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .validation import CatalogInvalid, parse_duration, validate
from .versions import Specifier, any_matches, parse_specifiers

LANGUAGES = ("zh-hans", "en")
HANDLER_TIERS = ("engineer", "expert", "senior_expert")  # ascending; a higher tier may take lower
SYSTEM_CLASSES = ("core_production", "production", "non_production")
PLATFORMS = ("linux", "windows")


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Text:
    """A text a person reads, in both product languages."""

    zh_hans: str
    en: str

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Text:
        return cls(zh_hans=data["zh-hans"], en=data["en"])

    @classmethod
    def maybe(cls, data: dict[str, str] | None) -> Text | None:
        return cls.from_dict(data) if data else None

    def get(self, lang: str | None) -> str:
        """The text in `lang` (``zh-hans``, ``zh-Hans``, ``zh-cn``, ``zh`` → Chinese; else English)."""
        if lang and lang.lower().replace("_", "-").startswith("zh"):
            return self.zh_hans
        return self.en

    def as_dict(self) -> dict[str, str]:
        return {"zh-hans": self.zh_hans, "en": self.en}

    def __str__(self) -> str:
        return self.en


class NotInCatalog(LookupError):
    """A code the catalog does not define (`kind` is severity/channel/plan/…)."""

    def __init__(self, kind: str, code: str, known: list[str]) -> None:
        self.kind, self.code, self.known = kind, code, known
        super().__init__(f"unknown {kind} '{code}' (known: {', '.join(known)})")


class NotInPlan(LookupError):
    """The plan does not include this severity/channel/service. Callers turn this into a
    DomainError naming `catalog.plans_including_<kind>(code)`."""

    def __init__(self, kind: str, code: str, plan_code: str) -> None:
        self.kind, self.code, self.plan_code = kind, code, plan_code
        super().__init__(f"plan '{plan_code}' does not include {kind} '{code}'")


@dataclass(frozen=True)
class Provider:
    code: str
    name: Text
    description: Text | None
    currency: str
    clouds: tuple[tuple[str, Text], ...] = ()  # (cloud code, name) of accounts it serves

    def cloud_name(self, code: str) -> Text | None:
        return next((name for c, name in self.clouds if c == code), None)


@dataclass(frozen=True)
class Severity:
    code: str
    order: int  # 1 is the most severe
    urgent: bool
    name: Text
    definition: Text
    system_classes: tuple[str, ...]
    api_code: str | None = None  # the AWS Support API code it answers to (low … critical)

    def fits(self, system_class: str) -> bool:
        """May a case about a system of this class (core_production/production/non_production)
        be filed with this severity?"""
        return system_class in self.system_classes


@dataclass(frozen=True)
class ImPlatform:
    code: str
    name: Text


@dataclass(frozen=True)
class Channel:
    code: str
    name: Text
    description: Text | None
    calendar: str  # "7x24" | "5x8": the service hours the first-response clock runs on
    contact: Text | None
    platforms: tuple[ImPlatform, ...]
    staff_logged: bool  # staff record the case on the customer's behalf (hotline calls)
    dedicated_name: Text | None


@dataclass(frozen=True)
class PlanChannel:
    channel: Channel
    dedicated: bool

    @property
    def code(self) -> str:
        return self.channel.code

    @property
    def name(self) -> Text:
        if self.dedicated and self.channel.dedicated_name:
            return self.channel.dedicated_name
        return self.channel.name


@dataclass(frozen=True)
class Feature:
    code: str
    category: str
    name: Text
    description: Text | None
    calendar: str | None
    staff_role: str | None
    url: str | None = None  # https address of a self-service item (help center, community …)


@dataclass(frozen=True)
class Agreement:
    """One version of a provider's service agreement (accepted before paying an order)."""

    version: str
    effective: date
    title: Text
    text: Text

    def paragraphs(self, lang: str | None) -> list[str]:
        return [p.strip() for p in self.text.get(lang).split("\n\n") if p.strip()]


@dataclass(frozen=True)
class PlanScope:
    """What every plan covers and does not (seed 000 服务范围)."""

    covers: tuple[Text, ...]
    excludes: tuple[Text, ...]


@dataclass(frozen=True)
class Faq:
    question: Text
    answer: Text


@dataclass(frozen=True)
class LeadTime:
    working_days: int
    enforcement: str  # "required" refuses a later start; "recommended" only warns

    @property
    def required(self) -> bool:
        return self.enforcement == "required"


@dataclass(frozen=True)
class Service:
    code: str
    name: Text
    description: Text | None
    unit: str  # "times" | "natural_days"
    whole_days: bool
    lead_time: LeadTime | None
    locks_order: bool  # applying for it stops unsubscribe/downgrade of the current order
    price: Decimal | None  # per unit, for paid add-ons
    during_calendar: str | None
    urgent_first_response: timedelta | None  # overrides the plan's target while it runs


@dataclass(frozen=True)
class ServiceGrant:
    service: Service
    quota: int | None  # per annual order, in service.unit; None for paid add-ons
    max_requests: int | None
    paid: bool
    terms: tuple[str, ...]  # billing terms of the order under which the grant applies

    @property
    def code(self) -> str:
        return self.service.code

    @property
    def annual_only(self) -> bool:
        return self.terms == ("annual",)

    @property
    def quota_limited(self) -> bool:
        return self.quota is not None

    def available_on(self, term: str) -> bool:
        return term in self.terms


@dataclass(frozen=True)
class Targets:
    first_response: timedelta
    resolution: timedelta | None = None
    next_response: timedelta | None = None


@dataclass(frozen=True)
class SeverityTarget:
    severity: Severity
    targets: Targets


@dataclass(frozen=True)
class Plan:
    provider_code: str
    code: str
    rank: int  # upgrades go to a higher rank
    name: Text
    summary: Text | None
    suitable_for: Text | None
    monthly_price: Decimal
    purchasable: bool
    default: bool
    billing_terms: tuple[str, ...]
    requires_technical_contact: bool
    handler_tier: str
    channels: tuple[PlanChannel, ...]
    response_note: Text | None
    severity_targets: tuple[SeverityTarget, ...]  # most severe first
    features: tuple[Feature, ...]
    services: tuple[ServiceGrant, ...]
    # default plan only: the clouds whose accounts grant it (a tenant registers one)
    granted_by_clouds: tuple[str, ...] = ()

    @property
    def severities(self) -> tuple[Severity, ...]:
        return tuple(st.severity for st in self.severity_targets)

    @property
    def annual_price(self) -> Decimal:
        return self.monthly_price * 12  # SPEC §2: annual = 12 months

    def price_for(self, term: str) -> Decimal:
        if term not in self.billing_terms:
            raise NotInPlan("billing term", term, self.code)
        return self.annual_price if term == "annual" else self.monthly_price

    def includes_severity(self, code: str) -> bool:
        return any(st.severity.code == code for st in self.severity_targets)

    def includes_channel(self, code: str) -> bool:
        return any(pc.code == code for pc in self.channels)

    def includes_feature(self, code: str) -> bool:
        return any(f.code == code for f in self.features)

    def includes_service(self, code: str) -> bool:
        return any(g.code == code for g in self.services)

    def target_for(self, severity: str | Severity) -> Targets:
        code = severity if isinstance(severity, str) else severity.code
        for st in self.severity_targets:
            if st.severity.code == code:
                return st.targets
        raise NotInPlan("severity", code, self.code)

    def channel(self, code: str) -> PlanChannel:
        for pc in self.channels:
            if pc.code == code:
                return pc
        raise NotInPlan("channel", code, self.code)

    def grant_for(self, service: str) -> ServiceGrant:
        for grant in self.services:
            if grant.code == service:
                return grant
        raise NotInPlan("service", service, self.code)

    def staff_roles(self) -> tuple[str, ...]:
        """Named people the plan assigns (tam, business_manager, architect)."""
        return tuple(f.staff_role for f in self.features if f.staff_role)


@dataclass(frozen=True)
class Category:
    code: str
    name: Text


@dataclass(frozen=True)
class PlatformVersions:
    platform: str
    specifiers: tuple[Specifier, ...]

    @property
    def text(self) -> str:
        return ", ".join(s.text for s in self.specifiers)


@dataclass(frozen=True)
class Software:
    code: str
    category: Category
    name: Text
    aliases: tuple[str, ...]
    native: bool  # native on the provider's images: any version, on the right platform
    versions: tuple[PlatformVersions, ...]
    versions_note: Text | None
    scope: Text

    @property
    def platforms(self) -> tuple[str, ...]:
        return tuple(pv.platform for pv in self.versions)

    def specifiers_for(self, platform: str | None) -> tuple[Specifier, ...]:
        if platform is None:
            seen: dict[str, Specifier] = {}
            for pv in self.versions:
                for spec in pv.specifiers:
                    seen.setdefault(spec.text, spec)
            return tuple(seen.values())
        for pv in self.versions:
            if pv.platform == platform:
                return pv.specifiers
        return ()

    def versions_text(self, platform: str | None = None) -> str:
        specs = self.specifiers_for(platform)
        return ", ".join(s.text for s in specs)


@dataclass(frozen=True)
class OutOfScope:
    code: str
    name: Text
    description: Text
    where_to_go: Text


@dataclass(frozen=True)
class Catalog:
    provider: Provider
    severities: tuple[Severity, ...]
    channels: tuple[Channel, ...]
    features: tuple[Feature, ...]
    services: tuple[Service, ...]
    plans: tuple[Plan, ...]  # by rank
    categories: tuple[Category, ...]
    software: tuple[Software, ...]
    third_party_description: Text | None
    out_of_scope: tuple[OutOfScope, ...]
    agreements: tuple[Agreement, ...] = ()  # by effective date, the current one last
    plan_scope: PlanScope | None = None
    faq: tuple[Faq, ...] = ()

    # -- lookups (raise NotInCatalog with the known codes)

    def plan(self, code: str) -> Plan:
        return _find(self.plans, code, "plan")

    def severity(self, code: str) -> Severity:
        return _find(self.severities, code, "severity")

    def channel(self, code: str) -> Channel:
        return _find(self.channels, code, "channel")

    def feature(self, code: str) -> Feature:
        return _find(self.features, code, "feature")

    def service(self, code: str) -> Service:
        return _find(self.services, code, "service")

    def out_of_scope_entry(self, code: str) -> OutOfScope:
        return _find(self.out_of_scope, code, "out-of-scope entry")

    def software_entry(self, code: str) -> Software:
        return _find(self.software, code, "software")

    def find_software(self, name: str) -> Software | None:
        """By code, alias or name in either language, ignoring case and spacing."""
        key = _norm(name)
        for sw in self.software:
            keys = {sw.code, _norm(sw.name.en), _norm(sw.name.zh_hans)}
            keys.update(_norm(a) for a in sw.aliases)
            keys.add(_norm(sw.code.replace("_", " ")))
            if key in keys:
                return sw
        return None

    # -- questions other apps ask

    @property
    def agreement(self) -> Agreement | None:
        """The service agreement in force: the latest effective one (None: none published)."""
        return self.agreements[-1] if self.agreements else None

    def agreement_version(self, version: str) -> Agreement | None:
        """The agreement version an order was accepted under, if this catalog still has it."""
        return next((a for a in self.agreements if a.version == version), None)

    def self_service_links(self) -> tuple[Feature, ...]:
        return tuple(f for f in self.features if f.category == "self_service" and f.url)

    def default_plan(self) -> Plan | None:
        """The plan every customer of this provider has without buying (Tencent S4), or None."""
        return next((p for p in self.plans if p.default), None)

    def purchasable_plans(self) -> tuple[Plan, ...]:
        return tuple(p for p in self.plans if p.purchasable)

    def plans_including_severity(self, code: str) -> tuple[Plan, ...]:
        return tuple(p for p in self.plans if p.includes_severity(code))

    def plans_including_channel(self, code: str) -> tuple[Plan, ...]:
        return tuple(p for p in self.plans if p.includes_channel(code))

    def plans_including_service(self, code: str) -> tuple[Plan, ...]:
        return tuple(p for p in self.plans if p.includes_service(code))

    def plans_including_feature(self, code: str) -> tuple[Plan, ...]:
        return tuple(p for p in self.plans if p.includes_feature(code))


def _find(items: tuple[Any, ...], code: str, kind: str) -> Any:
    for item in items:
        if item.code == code:
            return item
    raise NotInCatalog(kind, code, [item.code for item in items])


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-/&]+", " ", text.strip().lower())


# --------------------------------------------------------------------------- parsing


def parse_catalog(data: Any, filename: str) -> Catalog:
    """Validate and build a Catalog. Raises CatalogInvalid listing every problem."""
    problems = validate(data, filename)
    if problems:
        raise CatalogInvalid(problems)
    return _build(data)


def _build(data: dict[str, Any]) -> Catalog:
    prov = data["provider"]
    provider = Provider(
        code=prov["code"],
        name=Text.from_dict(prov["name"]),
        description=Text.maybe(prov.get("description")),
        currency=prov["currency"],
        clouds=tuple((c["code"], Text.from_dict(c["name"])) for c in prov.get("clouds", [])),
    )
    severities = tuple(
        sorted(
            (
                Severity(
                    code=s["code"],
                    order=s["order"],
                    urgent=s["urgent"],
                    name=Text.from_dict(s["name"]),
                    definition=Text.from_dict(s["definition"]),
                    system_classes=tuple(c for c in SYSTEM_CLASSES if c in s["system_classes"]),
                    api_code=s.get("api_code"),
                )
                for s in data["severities"]
            ),
            key=lambda s: s.order,
        )
    )
    channels = tuple(
        Channel(
            code=c["code"],
            name=Text.from_dict(c["name"]),
            description=Text.maybe(c.get("description")),
            calendar=c["calendar"],
            contact=Text.maybe(c.get("contact")),
            platforms=tuple(
                ImPlatform(code=p["code"], name=Text.from_dict(p["name"]))
                for p in c.get("platforms", [])
            ),
            staff_logged=c["staff_logged"],
            dedicated_name=Text.maybe(c.get("dedicated_name")),
        )
        for c in data["channels"]
    )
    features = tuple(
        Feature(
            code=f["code"],
            category=f["category"],
            name=Text.from_dict(f["name"]),
            description=Text.maybe(f.get("description")),
            calendar=f.get("calendar"),
            staff_role=f.get("staff_role"),
            url=f.get("url"),
        )
        for f in data["features"]
    )
    services = tuple(
        Service(
            code=s["code"],
            name=Text.from_dict(s["name"]),
            description=Text.maybe(s.get("description")),
            unit=s["unit"],
            whole_days=s.get("whole_days", False),
            lead_time=(
                LeadTime(s["lead_time"]["working_days"], s["lead_time"]["enforcement"])
                if s.get("lead_time")
                else None
            ),
            locks_order=s["locks_order"],
            price=Decimal(s["price"]) if "price" in s else None,
            during_calendar=s.get("during", {}).get("calendar"),
            urgent_first_response=(
                parse_duration(s["during"]["urgent_first_response"])
                if "urgent_first_response" in s.get("during", {})
                else None
            ),
        )
        for s in data["services"]
    )
    sev_by = {s.code: s for s in severities}
    chan_by = {c.code: c for c in channels}
    feat_by = {f.code: f for f in features}

    plans = []
    for p in data["plans"]:
        targets = [
            SeverityTarget(
                severity=sev_by[code],
                targets=Targets(
                    first_response=parse_duration(t["first_response"]),
                    resolution=parse_duration(t["resolution"]) if "resolution" in t else None,
                    next_response=(
                        parse_duration(t["next_response"]) if "next_response" in t else None
                    ),
                ),
            )
            for code, t in p["severities"].items()
        ]
        plan_channels = tuple(
            PlanChannel(chan_by[e], False)
            if isinstance(e, str)
            else PlanChannel(chan_by[e["code"]], bool(e.get("dedicated", False)))
            for e in p["channels"]
        )
        plans.append(
            Plan(
                provider_code=provider.code,
                code=p["code"],
                rank=p["rank"],
                name=Text.from_dict(p["name"]),
                summary=Text.maybe(p.get("summary")),
                suitable_for=Text.maybe(p.get("suitable_for")),
                monthly_price=Decimal(p["monthly_price"]),
                purchasable=p["purchasable"],
                default=p["default"],
                granted_by_clouds=tuple(p.get("granted_by_clouds", [])),
                billing_terms=tuple(t for t in ("monthly", "annual") if t in p["billing_terms"]),
                requires_technical_contact=p.get("requires_technical_contact", False),
                handler_tier=p["handler_tier"],
                channels=plan_channels,
                response_note=Text.maybe(p.get("response_note")),
                severity_targets=tuple(sorted(targets, key=lambda st: st.severity.order)),
                features=tuple(feat_by[code] for code in p["features"]),
                # In the order services are defined: PostgreSQL's jsonb does not keep the
                # order of mapping keys, and a stored version must read back the same.
                services=tuple(
                    ServiceGrant(
                        service=service,
                        quota=p["services"][service.code].get("quota"),
                        max_requests=p["services"][service.code].get("max_requests"),
                        paid=p["services"][service.code].get("paid", False),
                        terms=tuple(
                            t
                            for t in ("monthly", "annual")
                            if t in p["services"][service.code]["terms"]
                        ),
                    )
                    for service in services
                    if service.code in p["services"]
                ),
            )
        )
    tp = data["third_party"]
    categories = tuple(
        Category(code=c["code"], name=Text.from_dict(c["name"])) for c in tp["categories"]
    )
    cat_by = {c.code: c for c in categories}
    software = tuple(
        Software(
            code=s["code"],
            category=cat_by[s["category"]],
            name=Text.from_dict(s["name"]),
            aliases=tuple(s["aliases"]),
            native=s.get("native", False),
            versions=tuple(
                PlatformVersions(platform, parse_specifiers(s["versions"][platform]))
                for platform in PLATFORMS
                if platform in s["versions"]
            ),
            versions_note=Text.maybe(s.get("versions_note")),
            scope=Text.from_dict(s["scope"]),
        )
        for s in tp["software"]
    )
    out_of_scope = tuple(
        OutOfScope(
            code=o["code"],
            name=Text.from_dict(o["name"]),
            description=Text.from_dict(o["description"]),
            where_to_go=Text.from_dict(o["where_to_go"]),
        )
        for o in data["out_of_scope"]
    )
    agreements = tuple(
        sorted(
            (
                Agreement(
                    version=a["version"],
                    effective=date.fromisoformat(a["effective"]),
                    title=Text.from_dict(a["title"]),
                    text=Text.from_dict(a["text"]),
                )
                for a in data.get("agreements", [])
            ),
            key=lambda a: a.effective,
        )
    )
    scope = data.get("plan_scope")
    plan_scope = (
        PlanScope(
            covers=tuple(Text.from_dict(t) for t in scope["covers"]),
            excludes=tuple(Text.from_dict(t) for t in scope["excludes"]),
        )
        if scope
        else None
    )
    faq = tuple(
        Faq(question=Text.from_dict(f["question"]), answer=Text.from_dict(f["answer"]))
        for f in data.get("faq", [])
    )
    return Catalog(
        provider=provider,
        severities=severities,
        channels=channels,
        features=features,
        services=services,
        plans=tuple(sorted(plans, key=lambda p: p.rank)),
        categories=categories,
        software=software,
        third_party_description=Text.maybe(tp.get("description")),
        out_of_scope=out_of_scope,
        agreements=agreements,
        plan_scope=plan_scope,
        faq=faq,
    )


def canonical_json(data: Any) -> str:
    """The document as stored and hashed: key order and whitespace do not matter."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def document_sha256(data: Any) -> str:
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


# Third-party scope lives in scope.py (kept apart for size); re-exported here because other
# apps treat domain.py as the catalog's one pure entry point.
from .scope import (  # noqa: E402
    Detection,
    ScopeResult,
    detect_software,
    normalise_platform,
    scope_check,
)

__all__ = [
    "Agreement",
    "Catalog",
    "CatalogInvalid",
    "Category",
    "Channel",
    "Detection",
    "Faq",
    "Feature",
    "LeadTime",
    "NotInCatalog",
    "NotInPlan",
    "OutOfScope",
    "Plan",
    "PlanChannel",
    "PlanScope",
    "Provider",
    "ScopeResult",
    "Service",
    "ServiceGrant",
    "Severity",
    "SeverityTarget",
    "Software",
    "Targets",
    "Text",
    "any_matches",
    "canonical_json",
    "detect_software",
    "document_sha256",
    "normalise_platform",
    "parse_catalog",
    "scope_check",
]
