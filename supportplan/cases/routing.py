"""Who gets a case: load-balanced assignment within a tier, queue leads, support managers.

Reads only, plus the row lock `route_to` takes inside the opening transaction (the writes
that use them are in services.py; the counters move in `Case.save`).
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from supportplan.accounts.models import Role, User
from supportplan.core.compiled import CompiledRead

from .models import ACTIVE_STATE_VALUES, Case


def handlers_of(tier: str) -> QuerySet[User]:
    """On-shift handlers of exactly `tier`, least open load first, then the lowest id (stable,
    so ties spread predictably)."""
    return User.objects.filter(
        role__in=[Role.ENGINEER, Role.EXPERT, Role.SENIOR_EXPERT],
        handler_tier=tier,
        on_shift=True,
        is_active=True,
    ).order_by("open_cases", "pk")


def route_to(tier: str) -> User | None:
    """The person a new case of `tier` goes to: the least-loaded on-shift handler.

    Inside a transaction on PostgreSQL the chosen row is locked until commit and rows other
    openings hold are skipped (FOR UPDATE SKIP LOCKED), so concurrent openings spread over
    different people instead of all reading the same counts and queueing on one row. If
    every candidate is held, the least-loaded one is taken anyway (its counter update then
    waits its turn). One indexed query on the users table: loads are the stored
    `User.open_cases` counters, never a count over the cases.
    """
    if connection.features.has_select_for_update_skip_locked and connection.in_atomic_block:
        free = _first(_FREE_HANDLER.rows(tier=tier))
        if free is not None:
            return free
    return _first(_HANDLER.rows(tier=tier))


_USER_COLUMNS = [f.attname for f in User._meta.concrete_fields]


def _first(rows: list[tuple[object, ...]]) -> User | None:
    return User.from_db(DEFAULT_DB_ALIAS, _USER_COLUMNS, rows[0]) if rows else None


# Read on every opening of a case: compiled once (core.compiled). Whole rows, for from_db.
_HANDLER = CompiledRead(
    lambda tier: handlers_of(tier).values_list(*_USER_COLUMNS)[:1], tier="~sentinel-tier~"
)
_FREE_HANDLER = CompiledRead(
    lambda tier: (
        handlers_of(tier)
        .select_for_update(skip_locked=True, of=("self",))
        .values_list(*_USER_COLUMNS)[:1]
    ),
    tier="~sentinel-tier~",
)


def route(tier: str) -> int | None:
    user = route_to(tier)
    return user.pk if user is not None else None


def queue_leads(tier: str) -> list[int]:
    """Who leads a queue: support managers whose tier is the queue's, else every support
    manager (our rule: accounts have no separate "lead" flag)."""
    return leads_of(support_manager_tiers(), tier)


def support_manager_tiers() -> list[tuple[int, str]]:
    """(id, handler tier) of every active support manager, by id: one read for the leads
    of every queue (`leads_of`) and the managers' list."""
    managers = User.objects.filter(role=Role.SUPPORT_MANAGER, is_active=True)
    return list(managers.order_by("pk").values_list("pk", "handler_tier"))


def leads_of(managers: list[tuple[int, str]], tier: str) -> list[int]:
    return [pk for pk, t in managers if t == tier] or [pk for pk, _ in managers]


def support_managers() -> list[int]:
    return [pk for pk, _ in support_manager_tiers()]


def recount_open_cases() -> int:
    """Re-derive every `User.open_cases` counter from the cases; returns how many were off.

    `Case.save` keeps the counters exact for everything that goes through the ORM; this
    heals what does not (rows deleted with their tenant, manual SQL). Periodic; a case
    changing while it runs may leave one counter off by one until the next run.
    """
    active = (
        Case.objects.filter(state__in=ACTIVE_STATE_VALUES, assignee_id=OuterRef("pk"))
        .order_by()
        .values("assignee_id")
        .annotate(n=Count("*"))
        .values("n")
    )
    actual = Coalesce(Subquery(active, output_field=IntegerField()), Value(0))
    return User.objects.exclude(open_cases=actual).update(open_cases=actual)
