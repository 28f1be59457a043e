"""Who gets a case: load-balanced assignment within a tier, queue leads, support managers.

Reads only (the writes that use them are in services.py).
"""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from supportplan.accounts.models import Role, User

from . import domain
from .models import ACTIVE_STATE_VALUES, Case


def available_staff_loads(tier: str) -> list[tuple[int, int]]:
    """(user id, open cases) of the on-shift handlers of exactly `tier`.

    Two small queries: the candidates, then their open load counted on the partial index
    case_active_assignee (a join with a filtered COUNT would read every case they ever had).
    """
    candidates = list(
        User.objects.filter(
            role__in=[Role.ENGINEER, Role.EXPERT, Role.SENIOR_EXPERT],
            handler_tier=tier,
            on_shift=True,
            is_active=True,
        ).values_list("pk", flat=True)
    )
    if not candidates:
        return []
    loads = dict(
        Case.objects.filter(state__in=ACTIVE_STATE_VALUES, assignee_id__in=candidates)
        .order_by()
        .values_list("assignee_id")
        .annotate(n=Count("*"))
        .values_list("assignee_id", "n")
    )
    return [(pk, loads.get(pk, 0)) for pk in candidates]


def route(tier: str) -> int | None:
    return domain.pick_assignee(available_staff_loads(tier))


def route_to(tier: str) -> User | None:
    """The person a new case of `tier` goes to (as `route`), in one query: each on-shift
    handler's open load is a correlated count on the partial index case_active_assignee
    (one index range per candidate, never the cases they closed)."""
    load = (
        Case.objects.filter(state__in=ACTIVE_STATE_VALUES, assignee_id=OuterRef("pk"))
        .order_by()
        .values("assignee_id")
        .annotate(n=Count("*"))
        .values("n")
    )
    candidates = {
        user.pk: user
        for user in User.objects.filter(
            role__in=[Role.ENGINEER, Role.EXPERT, Role.SENIOR_EXPERT],
            handler_tier=tier,
            on_shift=True,
            is_active=True,
        ).annotate(open_load=Coalesce(Subquery(load, output_field=IntegerField()), Value(0)))
    }
    pk = domain.pick_assignee([(pk, user.open_load) for pk, user in candidates.items()])
    return candidates[pk] if pk is not None else None


def queue_leads(tier: str) -> list[int]:
    """Who leads a queue: support managers whose tier is the queue's, else every support
    manager (our rule: accounts have no separate "lead" flag)."""
    managers = User.objects.filter(role=Role.SUPPORT_MANAGER, is_active=True)
    leads = [pk for pk in managers.filter(handler_tier=tier).values_list("pk", flat=True)]
    return leads or list(managers.values_list("pk", flat=True))


def support_managers() -> list[int]:
    return list(
        User.objects.filter(role=Role.SUPPORT_MANAGER, is_active=True).values_list("pk", flat=True)
    )
