"""What cases read from other contexts, in one place.

Catalog versions, the plan in force, escort bookings, calendars and the SLA engine belong to
other apps; cases call them only through these functions so the contract is visible (and
adapting to a change is one edit here).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from supportplan.catalog.domain import Catalog, Plan
from supportplan.sla import domain as sla


@dataclass(frozen=True)
class Entitlement:
    """The plan a tenant has for one provider at an instant (from subscriptions)."""

    provider: str
    plan_code: str
    catalog_version_id: int
    subscription_id: int | None


def current_catalog(provider: str) -> Catalog | None:
    from supportplan.catalog import selectors

    try:
        return selectors.current_catalog(provider)
    except LookupError:
        return None


def catalog_for_version(version_id: int) -> Catalog:
    from supportplan.catalog import selectors

    return selectors.catalog_for_version(version_id)


def plan_in_force(tenant: Any, provider: str, as_of: datetime) -> Entitlement | None:
    from supportplan.subscriptions import selectors

    pif = selectors.plan_in_force(tenant, provider, as_of)
    if pif is None:
        return None
    return Entitlement(
        provider=provider,
        plan_code=pif.plan_code,
        catalog_version_id=pif.catalog_version_id,
        subscription_id=pif.subscription_id,
    )


def plans_in_force(tenant: Any, as_of: datetime) -> list[Entitlement]:
    from supportplan.subscriptions import selectors

    out = []
    for pif in selectors.plans_in_force(tenant, as_of):
        out.append(
            Entitlement(
                provider=pif.provider_code,
                plan_code=pif.plan_code,
                catalog_version_id=pif.catalog_version_id,
                subscription_id=pif.subscription_id,
            )
        )
    return out


@dataclass(frozen=True)
class PlanResolved:
    """One plan in force with its catalog loaded: what an edge (cloud ticket API, IM group,
    alert receiver) files a case under."""

    provider: str
    catalog: Catalog
    plan: Plan


class NoPlanInForce(LookupError):
    pass


class SeveralPlansInForce(LookupError):
    pass


def sole_plan(tenant: Any, as_of: datetime, provider: str = "") -> PlanResolved:
    """The tenant's only plan in force (of `provider` when given). Raises NoPlanInForce, or
    SeveralPlansInForce when the tenant has plans of several providers and none was named:
    each edge maps these to its own refusal."""
    plans = plans_in_force(tenant, as_of)
    if provider:
        plans = [p for p in plans if p.provider == provider]
    if not plans:
        raise NoPlanInForce(provider)
    if len(plans) > 1:
        raise SeveralPlansInForce(provider)
    catalog = catalog_for_version(plans[0].catalog_version_id)
    return PlanResolved(plans[0].provider, catalog, catalog.plan(plans[0].plan_code))


def escorts_at(tenant: Any, at: datetime) -> tuple[list[tuple[datetime, datetime]], list[int]]:
    """Confirmed escorts of the tenant covering `at`, in one query: the SLA-override intervals
    and the ids of every escort booking (override or not) whose window contains `at`."""
    from supportplan.bookings import selectors

    cover = selectors.escort_intervals(tenant, at, at + timedelta(microseconds=1))
    intervals = [(start, end) for start, end in cover.intervals if start <= at < end]
    return intervals, [e.booking_id for e in cover.escorts if e.covers(at)]


def calendar(code: str) -> Any:
    from supportplan.calendars import selectors

    return selectors.calendar_for(code)


def warning_config() -> sla.WarningConfig:
    percent = getattr(settings, "SUPPORTPLAN_SLA_WARN_PERCENT", None)
    if percent:
        return sla.WarningConfig(percentages=(int(percent),), before=())
    return sla.WarningConfig()


# --------------------------------------------------------------------------- SLA


def policy_builder(
    catalog: Catalog,
    plan: Plan,
    *,
    channel: str,
    opened_at: datetime,
    escorts: Iterable[tuple[datetime, datetime]],
) -> Callable[[str], sla.SlaPolicy]:
    """`policy_for(severity)` for the replay: the plan's targets on the channel's calendar,
    with the escort override when the case was opened during a booked escort."""
    channel_calendar = calendar(catalog.channel(channel).calendar)
    escort_objs: tuple[sla.Escort, ...] = ()
    intervals = list(escorts)
    if intervals:
        service = next(
            (g.service for g in plan.services if g.service.urgent_first_response is not None),
            None,
        )
        if service is not None and service.urgent_first_response is not None:
            escort_cal = calendar(service.during_calendar or "7x24")
            escort_objs = tuple(
                sla.Escort(start, end, service.urgent_first_response, escort_cal)
                for start, end in intervals
            )
    cache: dict[str, sla.SlaPolicy] = {}

    def policy_for(severity: str) -> sla.SlaPolicy:
        if severity not in cache:
            targets = plan.target_for(severity)
            ctx = sla.PolicyContext(
                provider=catalog.provider.code,
                plan=plan.code,
                severity=severity,
                urgent=catalog.severity(severity).urgent,
                channel=channel,
                opened_at=opened_at,
                escorts=escort_objs,
            )
            cache[severity] = sla.resolve_policy(
                ctx,
                first_response=targets.first_response,
                channel_calendar=channel_calendar,
                resolution=targets.resolution,
                next_response=targets.next_response,
            )
        return cache[severity]

    return policy_for


def replay(
    events: Iterable[sla.CaseEvent],
    policy_for: Callable[[str], sla.SlaPolicy],
    as_of: datetime,
) -> sla.CaseSla:
    return sla.replay(events, policy_for, as_of=as_of, warnings=warning_config())
