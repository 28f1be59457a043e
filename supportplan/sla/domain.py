"""SLA policies and timers. Pure: catalog values, calendars and the event log come in.

Policy: the plan's targets for a severity (first response, and where the catalog defines
them resolution and next response) run on the calendar of the channel the case came
through (SPEC §2). Rules may then adjust the policy, in order:
- `escort_rule` (default): an urgent case opened during a booked escort gets the escort's
  urgent first-response target (< 10 min) on the escort's calendar (7x24). It never
  makes a promise weaker: the shorter target wins and 7x24 contains every calendar.
- `uniform_first_response_rule` (hook, not default): one first-response target whatever
  the severity, e.g. Tencent S4 "accepted within 2 h". The seed catalog already writes
  2 h on every S4 severity; the hook keeps the rule expressible if a catalog does not.

Timers are replayed from the case's event log, the only input; the same log and `as_of`
always give the same answer. The current severity's policy applies from the creation
time (a severity change recomputes from creation). Waiting on the customer pauses every
clock; so does the time a case spends resolved before it is reopened.

A target is met when the clock stops strictly before the due time, the first instant at
which the consumed business time reaches the target ("< 10 min": a reply at exactly
10:00 is late).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from supportplan.calendars.domain import (
    BulkComputed,
    Computed,
    WorkCalendar,
    add_business_time,
    add_business_us,
    bulk_add_seconds,
    business_us_between,
    from_us,
    to_us,
)
from supportplan.catalog.texts import plan_list
from supportplan.core.errors import DomainError

StrOrPromise = str | Promise


def _err(code: str, message: StrOrPromise, **params: Any) -> DomainError:
    return DomainError(code, message, **params)


class Metric(StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"


# --------------------------------------------------------------------------- policy


@dataclass(frozen=True, slots=True)
class Target:
    duration: timedelta
    calendar: WorkCalendar
    source: str  # "plan" | "escort" | a rule's name: shown as "the facts used"


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    severity: str
    first_response: Target
    resolution: Target | None = None
    next_response: Target | None = None

    def target(self, metric: Metric) -> Target | None:
        if metric is Metric.FIRST_RESPONSE:
            return self.first_response
        return self.resolution if metric is Metric.RESOLUTION else self.next_response


@dataclass(frozen=True, slots=True)
class Escort:
    """A booked escort: [start, end) and what it promises for urgent events."""

    start: datetime
    end: datetime
    urgent_first_response: timedelta
    calendar: WorkCalendar

    def covers(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


@dataclass(frozen=True, slots=True)
class PolicyContext:
    provider: str
    plan: str
    severity: str
    urgent: bool
    channel: str
    opened_at: datetime
    escorts: tuple[Escort, ...] = ()


PolicyRule = Callable[[PolicyContext, SlaPolicy], SlaPolicy]


def escort_rule(ctx: PolicyContext, policy: SlaPolicy) -> SlaPolicy:
    if not ctx.urgent:
        return policy
    for escort in ctx.escorts:
        if escort.covers(ctx.opened_at):
            current = policy.first_response
            duration = min(current.duration, escort.urgent_first_response)
            return replace(policy, first_response=Target(duration, escort.calendar, "escort"))
    return policy


def uniform_first_response_rule(
    provider: str, plan: str, duration: timedelta, source: str = "uniform"
) -> PolicyRule:
    """Every severity of (`provider`, `plan`) gets the same first-response target."""

    def rule(ctx: PolicyContext, policy: SlaPolicy) -> SlaPolicy:
        if ctx.provider != provider or ctx.plan != plan:
            return policy
        target = Target(duration, policy.first_response.calendar, source)
        return replace(policy, first_response=target)

    return rule


DEFAULT_RULES: tuple[PolicyRule, ...] = (escort_rule,)


def resolve_policy(
    ctx: PolicyContext,
    *,
    first_response: timedelta,
    channel_calendar: WorkCalendar,
    resolution: timedelta | None = None,
    next_response: timedelta | None = None,
    rules: Sequence[PolicyRule] = DEFAULT_RULES,
) -> SlaPolicy:
    """The policy for one case: the plan's targets on the channel's calendar, then rules."""
    for name, value in (
        ("first_response", first_response),
        ("resolution", resolution),
        ("next_response", next_response),
    ):
        if value is not None and value <= timedelta(0):
            raise _err(
                "sla.target_invalid",
                _("The %(metric)s target must be longer than zero (got %(value)s)."),
                metric=name,
                value=str(value),
            )
    policy = SlaPolicy(
        severity=ctx.severity,
        first_response=Target(first_response, channel_calendar, "plan"),
        resolution=Target(resolution, channel_calendar, "plan") if resolution else None,
        next_response=Target(next_response, channel_calendar, "plan") if next_response else None,
    )
    for rule in rules:
        policy = rule(ctx, policy)
    return policy


def first_response_due(policy: SlaPolicy, opened_at: datetime) -> Computed[datetime]:
    """The due time of a case nobody has touched yet (no pauses)."""
    t = policy.first_response
    return add_business_time(t.calendar, opened_at, t.duration)


# --------------------------------------------------------------------------- event log


class EventKind(StrEnum):
    CREATED = "created"
    SEVERITY_CHANGED = "severity_changed"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    CUSTOMER_REPLIED = "customer_replied"
    # Staff take the case back from waiting without a customer reply.
    RESUMED = "resumed"
    # A public reply by support staff; the first one is the first response.
    FIRST_STAFF_RESPONSE = "first_staff_response"
    STAFF_REPLIED = "staff_replied"
    RESOLVED = "resolved"
    REOPENED = "reopened"


_STAFF_REPLIES = {EventKind.FIRST_STAFF_RESPONSE, EventKind.STAFF_REPLIED}


@dataclass(frozen=True, slots=True)
class CaseEvent:
    kind: EventKind | str
    at: datetime
    severity: str | None = None  # for created and severity_changed


class TimerState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"
    # The case was resolved before the clock stopped and before it was due:
    # the target no longer applies (it runs again if the case is reopened).
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class WarningConfig:
    """Warning points: percentages of the target and absolute times before the due time."""

    percentages: tuple[int, ...] = (75,)
    before: tuple[timedelta, ...] = (timedelta(minutes=5),)

    def __post_init__(self) -> None:
        for p in self.percentages:
            if not 0 < p < 100:
                raise _err(
                    "sla.warning_invalid",
                    _("A warning percentage must be between 1 and 99 (got %(value)s)."),
                    value=p,
                )
        for b in self.before:
            if b <= timedelta(0):
                raise _err(
                    "sla.warning_invalid",
                    _("A 'warn before' time must be longer than zero (got %(value)s)."),
                    value=str(b),
                )


@dataclass(frozen=True, slots=True)
class WarningPoint:
    code: str  # "75%" or "before:300s"
    at: datetime | None  # None: not yet known (the clock is paused before reaching it)
    reached: bool


@dataclass(frozen=True, slots=True)
class Pause:
    start: datetime
    end: datetime | None  # None: still paused at as_of
    reason: str  # waiting_on_customer | resolved


@dataclass(frozen=True, slots=True)
class Timer:
    metric: Metric
    state: TimerState
    target: timedelta
    calendar: str
    source: str
    started_at: datetime
    due_at: datetime | None  # None while paused and not yet breached
    consumed: timedelta  # business time counted as of as_of (or at the stop)
    remaining: timedelta  # never negative
    paused: tuple[Pause, ...]
    stopped_at: datetime | None
    breached_at: datetime | None
    warnings: tuple[WarningPoint, ...]
    missing_years: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class CaseSla:
    as_of: datetime
    severity: str
    policy: SlaPolicy
    first_response: Timer
    resolution: Timer | None
    next_response: Timer | None  # the latest cycle
    next_response_cycles: tuple[Timer, ...] = field(default=())

    @property
    def missing_years(self) -> tuple[int, ...]:
        years: set[int] = set()
        for t in (self.first_response, self.resolution, *self.next_response_cycles):
            if t is not None:
                years.update(t.missing_years)
        return tuple(sorted(years))


def _order(events: Iterable[CaseEvent]) -> list[CaseEvent]:
    indexed = list(enumerate(events))
    for _i, e in indexed:
        if e.at.tzinfo is None:
            raise _err(
                "sla.log_invalid",
                _("Event %(kind)s at %(at)s has no time zone."),
                kind=str(e.kind),
                at=e.at.isoformat(),
            )
        try:
            EventKind(e.kind)
        except ValueError:
            raise _err(
                "sla.log_invalid",
                _("Unknown case event %(kind)s; known: %(known)s."),
                kind=str(e.kind),
                known=", ".join(k.value for k in EventKind),
            ) from None
    indexed.sort(key=lambda p: (p[1].at, p[0]))
    return [e for _i, e in indexed]


@dataclass(slots=True)
class _Run:
    """Where a clock runs: closed segments plus maybe an open one, in epoch µs."""

    segments: list[tuple[int, int]]
    open_from: int | None
    pauses: list[tuple[int, int | None, str]]
    stop: int | None
    stop_meets: bool  # the stop meets the target (a reply / the resolution), or only ends it


def _trace(
    events: list[CaseEvent],
    start: int,
    as_of: int,
    stop_on: Callable[[CaseEvent, int], bool],
) -> _Run:
    """Walk the log from `start`: running unless waiting on the customer or resolved;
    stop at the first event for which `stop_on` is true. Events after as_of are ignored."""
    running_since: int | None = start
    waiting = False
    resolved = False
    pause_start: int | None = None
    pause_reason = ""
    segments: list[tuple[int, int]] = []
    pauses: list[tuple[int, int | None, str]] = []
    for e in events:
        t = to_us(e.at)
        if t < start:
            continue
        if t > as_of:
            break
        kind = EventKind(e.kind)
        if stop_on(e, t):
            if running_since is not None:
                segments.append((running_since, t))
            if pause_start is not None:
                pauses.append((pause_start, t, pause_reason))
            return _Run(segments, None, pauses, t, True)
        if kind is EventKind.WAITING_ON_CUSTOMER and not resolved:
            waiting = True
        elif kind in (EventKind.CUSTOMER_REPLIED, EventKind.RESUMED):
            waiting = False
        elif kind is EventKind.RESOLVED:
            resolved = True
        elif kind is EventKind.REOPENED:
            resolved = False
            waiting = False
        else:
            continue
        should_run = not waiting and not resolved
        if should_run and running_since is None:
            running_since = t
            if pause_start is not None:
                pauses.append((pause_start, t, pause_reason))
                pause_start = None
        elif not should_run and running_since is not None:
            segments.append((running_since, t))
            running_since = None
            pause_start = t
            pause_reason = "resolved" if resolved else "waiting_on_customer"
        elif not should_run and pause_start is not None:
            # still paused, maybe for another reason now (resolved while waiting)
            new_reason = "resolved" if resolved else "waiting_on_customer"
            if new_reason != pause_reason:
                pauses.append((pause_start, t, pause_reason))
                pause_start, pause_reason = t, new_reason
    if pause_start is not None:
        pauses.append((pause_start, None, pause_reason))
    return _Run(segments, running_since, pauses, None, False)


def _reach(cal: WorkCalendar, run: _Run, as_of: int, amount: int) -> tuple[int | None, set[int]]:
    """The instant at which `amount` µs of business time has been consumed, or None if
    not determined yet (paused, or stopped before reaching it)."""
    years: set[int] = set()
    consumed = 0
    for a, b in run.segments:
        seg, missing = business_us_between(cal, a, b)
        if consumed + seg >= amount:
            r, missing = add_business_us(cal, a, amount - consumed)
            years.update(missing)
            return r, years
        consumed += seg
        years.update(missing)
    if run.open_from is not None:
        r, missing = add_business_us(cal, run.open_from, amount - consumed)
        years.update(missing)
        if as_of > r:
            years.update(business_us_between(cal, run.open_from, as_of)[1])
        return r, years
    return None, years


def _consumed(cal: WorkCalendar, run: _Run, as_of: int) -> int:
    spans = list(run.segments)
    if run.open_from is not None:
        spans.append((run.open_from, as_of))
    return sum(business_us_between(cal, a, b)[0] for a, b in spans)


def _timer(
    metric: Metric,
    target: Target,
    run: _Run,
    start: int,
    as_of: int,
    warnings: WarningConfig,
) -> Timer:
    cal = target.calendar
    amount = target.duration // timedelta(microseconds=1)
    due, years = _reach(cal, run, as_of, amount)
    consumed = _consumed(cal, run, as_of)
    end = run.stop if run.stop is not None else as_of
    breached_at = due if due is not None and due <= end else None
    if breached_at is not None:
        state = TimerState.BREACHED
    elif run.stop is not None:
        state = TimerState.MET if run.stop_meets else TimerState.STOPPED
        # The due time the stop was measured against: where the clock would have
        # reached the target had it kept running from the stop.
        due = add_business_us(cal, run.stop, amount - consumed)[0]
    elif run.open_from is not None:
        state = TimerState.RUNNING
    else:
        state = TimerState.PAUSED  # due unknown until the clock runs again
    points: list[WarningPoint] = []
    thresholds = [(f"{p}%", amount * p // 100) for p in warnings.percentages]
    thresholds += [
        (f"before:{int(b.total_seconds())}s", amount - b // timedelta(microseconds=1))
        for b in warnings.before
    ]
    for code, threshold in thresholds:
        if threshold <= 0:
            continue
        at, more = _reach(cal, run, as_of, threshold)
        years |= more
        points.append(
            WarningPoint(
                code, from_us(at) if at is not None else None, at is not None and at <= end
            )
        )
    return Timer(
        metric=metric,
        state=state,
        target=target.duration,
        calendar=cal.code,
        source=target.source,
        started_at=from_us(start),
        due_at=from_us(due) if due is not None else None,
        consumed=timedelta(microseconds=consumed),
        remaining=timedelta(microseconds=max(0, amount - consumed)),
        paused=tuple(
            Pause(from_us(a), from_us(b) if b is not None else None, reason)
            for a, b, reason in run.pauses
        ),
        stopped_at=from_us(run.stop) if run.stop is not None else None,
        breached_at=from_us(breached_at) if breached_at is not None else None,
        warnings=tuple(points),
        missing_years=tuple(sorted(years)),
    )


def replay(
    events: Iterable[CaseEvent],
    policy_for: Callable[[str], SlaPolicy],
    *,
    as_of: datetime,
    warnings: WarningConfig = WarningConfig(),
) -> CaseSla:
    """SLA timers of one case at `as_of`, from its event log alone.

    `policy_for(severity)` resolves the policy for a severity (the caller closes over the
    plan, channel, escorts and opening time); the severity in force at `as_of` applies
    from the creation time.
    """
    ordered = _order(events)
    created = [e for e in ordered if e.kind == EventKind.CREATED]
    if len(created) != 1 or ordered[0].kind != EventKind.CREATED:
        raise _err(
            "sla.log_invalid",
            _("A case's event log must start with exactly one 'created' event (found %(n)s)."),
            n=len(created),
        )
    start_event = created[0]
    if not start_event.severity:
        raise _err("sla.log_invalid", _("The 'created' event must name the severity."))
    t_as_of = to_us(as_of)
    start = to_us(start_event.at)
    if t_as_of < start:
        raise _err(
            "sla.as_of_before_creation",
            _(
                "Cannot compute SLA timers at %(as_of)s: the case was created later, at %(created)s."
            ),
            as_of=as_of.isoformat(),
            created=start_event.at.isoformat(),
        )
    severity = start_event.severity
    for e in ordered:
        if e.kind == EventKind.SEVERITY_CHANGED and to_us(e.at) <= t_as_of:
            if not e.severity:
                raise _err(
                    "sla.log_invalid", _("A 'severity_changed' event must name the severity.")
                )
            severity = e.severity
    policy = policy_for(severity)

    def staff_reply(e: CaseEvent, _t: int) -> bool:
        return e.kind in _STAFF_REPLIES

    def never(_e: CaseEvent, _t: int) -> bool:
        return False

    final = _final_resolution(ordered, t_as_of)

    def traced(begin: int, stop_on: Callable[[CaseEvent, int], bool], meets: bool) -> _Run:
        run = _trace(ordered, begin, t_as_of, stop_on)
        if run.stop is None and final is not None and final >= begin:
            run = _stop_at_resolution(run, final, meets=meets)
        return run

    # Resolved without any staff reply: the first-response clock just stops.
    fr_run = traced(start, staff_reply, False)
    first = _timer(Metric.FIRST_RESPONSE, policy.first_response, fr_run, start, t_as_of, warnings)

    resolution = None
    if policy.resolution is not None:
        res_run = traced(start, never, True)
        resolution = _timer(Metric.RESOLUTION, policy.resolution, res_run, start, t_as_of, warnings)

    cycles: list[Timer] = []
    replied = fr_run.stop if fr_run.stop_meets else None
    if policy.next_response is not None and replied is not None:
        busy_until: int | None = replied
        for e in ordered:
            t = to_us(e.at)
            if t > t_as_of:
                break
            if e.kind != EventKind.CUSTOMER_REPLIED or t <= replied:
                continue
            if busy_until is None or t < busy_until:
                continue  # a cycle is already waiting for a staff reply
            run = traced(t, staff_reply, False)
            cycles.append(
                _timer(Metric.NEXT_RESPONSE, policy.next_response, run, t, t_as_of, warnings)
            )
            busy_until = run.stop
    return CaseSla(
        as_of=as_of,
        severity=severity,
        policy=policy,
        first_response=first,
        resolution=resolution,
        next_response=cycles[-1] if cycles else None,
        next_response_cycles=tuple(cycles),
    )


def _final_resolution(events: list[CaseEvent], as_of: int) -> int | None:
    """When the case was last resolved, if it is still resolved at as_of."""
    last: int | None = None
    for e in events:
        t = to_us(e.at)
        if t > as_of:
            break
        if e.kind == EventKind.RESOLVED:
            last = t
        elif e.kind == EventKind.REOPENED:
            last = None
    return last


def _stop_at_resolution(run: _Run, at: int, *, meets: bool) -> _Run:
    """Turn the trailing 'resolved' pause into a stop."""
    pauses = [p for p in run.pauses if not (p[0] == at and p[1] is None and p[2] == "resolved")]
    # A case resolved while waiting on the customer: the waiting pause ends at resolution.
    pauses = [(a, at if b is None else b, r) for a, b, r in pauses]
    return _Run(run.segments, None, pauses, at, meets)


# --------------------------------------------------------------------------- bulk


def bulk_due(
    calendars: Sequence[WorkCalendar],
    calendar_index: npt.NDArray[np.integer[Any]],
    opened: npt.NDArray[np.int64],
    target_seconds: npt.NDArray[np.int64],
) -> BulkComputed:
    """First-response due times for many cases at once (epoch seconds in and out).

    Each row names its calendar by index into `calendars`; rows are grouped per
    calendar and each group is one vectorised search.
    """
    opened = np.asarray(opened, dtype=np.int64)
    target_seconds = np.asarray(target_seconds, dtype=np.int64)
    due = np.empty_like(opened)
    missing = np.zeros(opened.shape, dtype=np.bool_)
    years: set[int] = set()
    for k, cal in enumerate(calendars):
        mask = calendar_index == k
        if not mask.any():
            continue
        if not cal.observes_holidays and _always_open(cal):
            due[mask] = opened[mask] + target_seconds[mask]
            continue
        r = bulk_add_seconds(cal, opened[mask], target_seconds[mask])
        due[mask] = r.due
        missing[mask] = r.missing
        years.update(r.missing_years)
    return BulkComputed(due, missing, tuple(sorted(years)))


def _always_open(cal: WorkCalendar) -> bool:
    return all(len(day) == 1 and day[0].start == 0 and day[0].end == 86_400 for day in cal.weekly)


# --------------------------------------------------------------------------- from the catalog


def policy_from_catalog(
    catalog: Any,
    *,
    plan: str,
    severity: str,
    channel: str,
    opened_at: datetime,
    calendars: Callable[[str], WorkCalendar],
    escorts: Sequence[Escort] = (),
    rules: Sequence[PolicyRule] = DEFAULT_RULES,
) -> SlaPolicy:
    """Resolve the policy from a `supportplan.catalog.domain.Catalog`.

    `calendars(code)` returns the calendar for a channel's calendar code ('7x24', '5x8').
    A severity or channel the plan does not include is refused, naming the plans that do.
    """
    p = _catalog_lookup(catalog, "plan", plan)
    sev = _catalog_lookup(catalog, "severity", severity)
    ch = _catalog_lookup(catalog, "channel", channel)
    if not p.includes_severity(severity):
        raise _err(
            "case.severity_not_in_plan",
            _(
                "The %(plan)s plan does not include severity %(severity)s; plans that do: %(plans)s."
            ),
            plan=_text(p.name),
            severity=_text(sev.name),
            plans=plan_list(catalog, catalog.plans_including_severity(severity)),
        )
    if not p.includes_channel(channel):
        raise _err(
            "case.channel_not_in_plan",
            _("The %(plan)s plan does not include channel %(channel)s; plans that do: %(plans)s."),
            plan=_text(p.name),
            channel=_text(ch.name),
            plans=plan_list(catalog, catalog.plans_including_channel(channel)),
        )
    targets = p.target_for(severity)
    ctx = PolicyContext(
        provider=catalog.provider.code,
        plan=plan,
        severity=severity,
        urgent=bool(sev.urgent),
        channel=channel,
        opened_at=opened_at,
        escorts=tuple(escorts),
    )
    return resolve_policy(
        ctx,
        first_response=targets.first_response,
        resolution=targets.resolution,
        next_response=targets.next_response,
        channel_calendar=calendars(ch.calendar),
        rules=rules,
    )


def _text(text: Any) -> str:
    """A catalog text in the active language."""
    from django.utils.translation import get_language

    return str(text.get(get_language()))


def _join(names: Iterable[str]) -> str:
    from django.utils.translation import get_language

    zh = (get_language() or "").lower().startswith("zh")
    return ("、" if zh else ", ").join(names)


def escort_from_service(
    service: Any, start: datetime, end: datetime, calendars: Callable[[str], WorkCalendar]
) -> Escort | None:
    """An `Escort` for a booked catalog service that promises an urgent first response
    while it runs (partner escort: 10 min on 7x24); None for services that promise none."""
    if service.urgent_first_response is None:
        return None
    return Escort(
        start=start,
        end=end,
        urgent_first_response=service.urgent_first_response,
        calendar=calendars(service.during_calendar or "7x24"),
    )


def _catalog_lookup(catalog: Any, kind: str, code: str) -> Any:
    try:
        return getattr(catalog, kind)(code)
    except LookupError:
        plural = {"plan": "plans", "severity": "severities", "channel": "channels"}[kind]
        known = ", ".join(x.code for x in getattr(catalog, plural))
        raise _err(
            f"sla.unknown_{kind}",
            _("Unknown %(kind)s %(value)s for provider %(provider)s; known: %(known)s."),
            kind=kind,
            value=code,
            provider=catalog.provider.code,
            known=known,
        ) from None
