"""Erlang C staffing arithmetic. Pure functions, no Django.

Traffic A = arrivals per hour × average handling time (hours), in Erlangs. With N agents
(N > A) the probability that a contact waits is Erlang C, computed through the Erlang B
recursion (numerically stable for large N); the share answered within T seconds is
1 − C·e^(−(N−A)·T/AHT); occupancy is A/N. `agents_needed` is the smallest N that meets the
chosen service level (and, if given, stays under a maximum occupancy).

A small pure module rather than a library: pyworkforce pulls in pandas and numpy-heavy
optimisers for what is twenty lines; these are table-tested against published values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Staffing:
    agents: int
    service_level: float  # share of contacts answered within the target, 0..1
    occupancy: float  # share of agents' time busy, 0..1
    probability_wait: float  # Erlang C


def traffic(calls_per_hour: float, aht_seconds: float) -> float:
    if calls_per_hour < 0 or aht_seconds <= 0:
        raise ValueError("calls per hour must be ≥ 0 and the handling time > 0")
    return calls_per_hour * aht_seconds / 3600


def erlang_c(a: float, n: int) -> float:
    """The probability of waiting with `n` agents for `a` Erlangs (1 when n ≤ a)."""
    if n <= a:
        return 1.0
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return n * b / (n - a * (1 - b))


def service_level(a: float, n: int, aht_seconds: float, target_seconds: float) -> float:
    if n <= a:
        return 0.0
    return 1 - erlang_c(a, n) * math.exp(-(n - a) * target_seconds / aht_seconds)


def staffing_for(a: float, n: int, aht_seconds: float, target_seconds: float) -> Staffing:
    return Staffing(
        agents=n,
        service_level=service_level(a, n, aht_seconds, target_seconds),
        occupancy=a / n if n else 0.0,
        probability_wait=erlang_c(a, n),
    )


def agents_needed(
    *,
    calls_per_hour: float,
    aht_seconds: float,
    target_seconds: float,
    service_level_goal: float,
    max_occupancy: float | None = None,
    limit: int = 10_000,
) -> Staffing:
    if not 0 < service_level_goal < 1:
        raise ValueError("the service level is a share between 0 and 1 (e.g. 0.8)")
    if target_seconds < 0:
        raise ValueError("the answer target must be ≥ 0 seconds")
    a = traffic(calls_per_hour, aht_seconds)
    if a == 0:
        return Staffing(agents=0, service_level=1.0, occupancy=0.0, probability_wait=0.0)
    n = max(1, math.floor(a) + 1)
    while n <= limit:
        result = staffing_for(a, n, aht_seconds, target_seconds)
        if result.service_level >= service_level_goal and (
            max_occupancy is None or result.occupancy <= max_occupancy
        ):
            return result
        n += 1
    raise ValueError(f"more than {limit} agents would be needed")
