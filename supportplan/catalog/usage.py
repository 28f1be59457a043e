"""Who is on which plan — asked by `catalog diff` to say whom a change would affect.

The catalog app does not know how subscriptions are stored, so the subscriptions app
registers a counter (in its AppConfig.ready):

    from supportplan.catalog.usage import register_usage_counter
    register_usage_counter(my_counter)   # (provider_code, as_of) -> {plan_code: PlanUsage}

With no counter registered, diffs say the counts are unknown instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PlanUsage:
    tenants: int
    subscriptions: int


UsageCounter = Callable[[str, datetime], Mapping[str, PlanUsage]]
_counters: list[UsageCounter] = []


def register_usage_counter(counter: UsageCounter) -> UsageCounter:
    if counter not in _counters:
        _counters.append(counter)
    return counter


def unregister_usage_counter(counter: UsageCounter) -> None:
    if counter in _counters:
        _counters.remove(counter)


def plan_usage(provider_code: str, as_of: datetime) -> dict[str, PlanUsage] | None:
    """Tenants and subscriptions per plan code now, or None when nobody can count them."""
    if not _counters:
        return None
    total: dict[str, PlanUsage] = {}
    for counter in _counters:
        for plan, usage in counter(provider_code, as_of).items():
            have = total.get(plan, PlanUsage(0, 0))
            total[plan] = PlanUsage(
                have.tenants + usage.tenants, have.subscriptions + usage.subscriptions
            )
    return total
