"""Reads for notifications: plan entitlements for IM groups, preferences, inbox, delivery log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet

from supportplan.core.tenancy import for_tenant

from .models import DeliveryAttempt, InAppNotification, Outbox, Preference, Robot, Team, Topic


@dataclass(frozen=True)
class ImEntitlement:
    """Whether the tenant's plans include an IM group, and on which platforms.

    `platforms` None means any platform (the catalog lists none, e.g. Tencent chooses it).
    """

    included: bool
    platforms: frozenset[str] | None
    plans_with_im: tuple[str, ...] = ()  # names of plans that include it (for refusals)

    def allows(self, platform: str) -> bool:
        return self.included and (self.platforms is None or platform in self.platforms)


def im_entitlement(tenant: Any, as_of: datetime, language: str = "en") -> ImEntitlement:
    from supportplan.catalog.selectors import catalog_for_version, current_catalogs
    from supportplan.subscriptions.selectors import plans_in_force

    included = False
    any_platform = False
    platforms: set[str] = set()
    for pif in plans_in_force(tenant, as_of):
        plan = catalog_for_version(pif.catalog_version_id).plan(pif.plan_code)
        if not plan.includes_channel("im_group"):
            continue
        included = True
        channel = plan.channel("im_group").channel
        if channel.platforms:
            platforms.update(p.code for p in channel.platforms)
        else:
            any_platform = True
    names: list[str] = []
    for catalog in current_catalogs().values():
        names.extend(p.name.get(language) for p in catalog.plans_including_channel("im_group"))
    return ImEntitlement(
        included=included,
        platforms=None if any_platform else frozenset(platforms),
        plans_with_im=tuple(names),
    )


def robots_of_tenant(tenant: Any) -> QuerySet[Robot]:
    return for_tenant(Robot.objects, tenant).order_by("name", "pk")


def robots_of_team(team: Team) -> QuerySet[Robot]:
    return Robot.objects.filter(team=team).order_by("name", "pk")


def team_robots_for_queue(queue: str) -> list[Robot]:
    if not queue:
        return []
    robots = Robot.objects.filter(team__isnull=False, active=True).select_related("team")
    return [r for r in robots.order_by("pk") if r.team and queue in (r.team.queues or [])]


def preferences_of(user: Any) -> dict[tuple[str, str], bool]:
    """Every (topic, channel) with its effective value (default on)."""
    from .models import Channel

    chosen = {(p.topic, p.channel): p.enabled for p in Preference.objects.filter(user=user)}
    return {
        (topic, channel): chosen.get((topic, channel), True)
        for topic in Topic.values
        for channel in (Channel.EMAIL, Channel.IN_APP)
    }


def inbox_of(user: Any, *, unread_only: bool = False) -> QuerySet[InAppNotification]:
    qs = InAppNotification.objects.filter(user=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def unread_count(user: Any) -> int:
    return InAppNotification.objects.filter(user=user, read_at__isnull=True).count()


def delivery_log(*, status: str | None = None, tenant: Any = None) -> QuerySet[Outbox]:
    """Staff only (the API checks): every outgoing message with its attempts."""
    qs: QuerySet[Outbox] = Outbox.objects.select_related(
        "robot", "user", "tenant"
    ).prefetch_related(Prefetch("attempt_log", queryset=DeliveryAttempt.objects.order_by("number")))
    if status:
        qs = qs.filter(status=status)
    if tenant is not None:
        qs = for_tenant(qs, tenant)
    return qs.order_by("-created_at", "-id")


def teams() -> QuerySet[Team]:
    """Staff teams with their members, by code."""
    return Team.objects.prefetch_related("members").order_by("code")
