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


def service_level_mix(
    a: float, n: int, aht_seconds: float, targets: list[tuple[float, float]]
) -> float:
    """Erlang C share answered on time when contacts carry different targets: `targets` is
    [(target seconds, share of contacts)] (shares sum to 1). One FCFS queue, so every contact
    has the same waiting-time distribution; each is measured against its own target."""
    if n <= a:
        return 0.0
    c = erlang_c(a, n)
    return sum(w * (1 - c * math.exp(-(n - a) * t / aht_seconds)) for t, w in targets)


# --------------------------------------------------------------------------- Erlang A
#
# Erlang A (Palm's M/M/n+M; Garnett, Mandelbaum & Reiman 2002): Poisson arrivals λ, n agents
# with exponential handling (rate μ = 1/AHT) and callers who hang up after an exponential
# patience (rate θ = 1/average patience) while they wait. The state is the number of callers
# in the system: a birth–death chain with birth λ and death min(k, n)·μ + max(k − n, 0)·θ,
# stable for every n when θ > 0. Its stationary distribution is summed until the terms
# vanish. The share answered within T follows a caller through the queue ahead of it (each
# caller ahead is served or abandons; the caller itself may abandon) by uniformisation.
# Callers who hang up count as not answered on time.


@dataclass(frozen=True)
class ErlangA:
    agents: int
    service_level: float  # share of all callers answered within the target, 0..1
    probability_wait: float
    probability_abandon: float
    occupancy: float


def _stationary(lam: float, mu: float, theta: float, n: int) -> tuple[list[float], float]:
    """Weights r_k = π_k / π_n for k = 0 … K and their sum (K where the tail vanishes)."""
    below = [1.0]
    for k in range(n, 0, -1):  # r_{k-1} = r_k · kμ/λ
        below.append(below[-1] * k * mu / lam)
        if below[-1] < 1e-300:
            break
    weights = [0.0] * (n + 1 - len(below)) + below[::-1]
    r, k = 1.0, 0
    while True:
        k += 1
        r *= lam / (n * mu + k * theta)
        weights.append(r)
        if r < 1e-15 * sum(weights[-50:]) and k > 5 or k > 100_000:
            break
    return weights, math.fsum(weights)


def erlang_a(
    *,
    calls_per_hour: float,
    aht_seconds: float,
    patience_seconds: float,
    agents: int,
    target_seconds: float,
) -> ErlangA:
    if calls_per_hour < 0 or aht_seconds <= 0 or patience_seconds <= 0:
        raise ValueError("calls per hour must be ≥ 0, the handling time and patience > 0")
    if target_seconds < 0:
        raise ValueError("the answer target must be ≥ 0 seconds")
    n = agents
    if calls_per_hour == 0:
        return ErlangA(n, 1.0, 0.0, 0.0, 0.0)
    if n <= 0:
        return ErlangA(0, 0.0, 1.0, 1.0, 0.0)
    lam = calls_per_hour / 3600
    mu, theta = 1 / aht_seconds, 1 / patience_seconds
    weights, total = _stationary(lam, mu, theta, n)
    p = [w / total for w in weights]
    waiting = p[n:]  # an arrival finds k = n + j callers: j ahead of it in the queue
    p_wait = math.fsum(waiting)
    queue = math.fsum(j * q for j, q in enumerate(waiting))
    p_abandon = theta * queue / lam
    busy = math.fsum(min(k, n) * q for k, q in enumerate(p))
    answered = (1 - p_wait) + _answered_within(waiting, n * mu, theta, target_seconds)
    return ErlangA(
        agents=n,
        service_level=min(1.0, max(0.0, answered)),
        probability_wait=p_wait,
        probability_abandon=p_abandon,
        occupancy=busy / n,
    )


def _answered_within(start: list[float], served: float, theta: float, t: float) -> float:
    """Mass (from `start[j]`: j callers ahead) that reaches an agent by time t without hanging
    up. Phase j moves to j − 1 at rate served + jθ (from 0: answered at `served`); the caller
    hangs up at rate θ in every phase. Uniformised at rate Λ: the chain after N(t) jumps,
    N(t) ~ Poisson(Λt), so P(answered by t) = Σ_m P(N = m) · P(answered within m jumps)."""
    if t <= 0 or not start:
        return 0.0
    size = len(start)
    out = [served + j * theta for j in range(size)]
    rate = max(o + theta for o in out)
    mean = rate * t
    stay = [1 - (o + theta) / rate for o in out]
    move = [o / rate for o in out]
    vec = list(start)
    answered = 0.0  # P(answered within m jumps)
    log_p = -mean
    seen = 0.0  # Σ P(N = k) for k ≤ m
    result = 0.0
    m = 0
    limit = int(mean + 12 * math.sqrt(mean) + 30)
    while True:
        p = math.exp(log_p)
        result += p * answered
        seen += p
        if m >= limit or math.fsum(vec) < 1e-13:
            break
        answered += vec[0] * move[0]
        nxt = [v * s for v, s in zip(vec, stay, strict=True)]
        for j in range(1, size):
            nxt[j - 1] += vec[j] * move[j]
        vec = nxt
        m += 1
        log_p += math.log(mean) - math.log(m)
    # the remaining Poisson mass sees at least what has been answered so far
    return result + max(0.0, 1 - seen) * answered


def agents_needed_a(
    *,
    calls_per_hour: float,
    aht_seconds: float,
    patience_seconds: float,
    target_seconds: float,
    service_level_goal: float,
    limit: int = 2_000,
) -> ErlangA:
    if not 0 < service_level_goal < 1:
        raise ValueError("the service level is a share between 0 and 1 (e.g. 0.8)")
    args = {
        "calls_per_hour": calls_per_hour,
        "aht_seconds": aht_seconds,
        "patience_seconds": patience_seconds,
        "target_seconds": target_seconds,
    }
    if calls_per_hour == 0:
        return erlang_a(agents=0, **args)
    n = 1
    while n <= limit:
        result = erlang_a(agents=n, **args)
        if result.service_level >= service_level_goal:
            return result
        n += 1
    raise ValueError(f"more than {limit} agents would be needed")
