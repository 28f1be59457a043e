"""Service-level intelligence, pure: the plan advisor and the staffing planner.

Plan advisor: a tenant's own cases (creation time, severity, channel, system class, first
response) are replayed through every plan of the provider with the SLA engine's own pure
functions (`sla.domain.resolve_policy` for the plan's target and the escort rule,
`sla.domain.bulk_due` for the due times on the channel's calendar), never a second SLA
calculation. Replay limits, stated to readers: the clock is measured from creation to the
first reply; time spent waiting on the customer before the first reply is not deducted (so
the replay is never kinder than the case's own timer), and cases a plan refuses keep no
target under it.

Staffing planner: arrivals per handler tier and hour of the week, their first-response
targets and a handling time give the agents needed per hour (Erlang C; Erlang A for the
staff-logged telephone channels, where callers hang up), compared with the roster.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from supportplan.calendars.domain import WorkCalendar, bulk_add_seconds
from supportplan.catalog.domain import Catalog, Plan, Text
from supportplan.sla import domain as sla

from . import erlang

BUSINESS_TZ_NAME = "Asia/Shanghai"
UPGRADE_MIN_CASES = 3  # cases that needed a severity the plan lacks before we advise upgrading


# --------------------------------------------------------------------------- facts


@dataclass(frozen=True, slots=True)
class CaseFact:
    created_at: datetime
    severity: str
    channel: str
    system_class: str  # "" when no registered system was named
    first_response_at: datetime | None


@dataclass(frozen=True, slots=True)
class ServiceUse:
    service: str
    quantity: int  # times, or natural days for escorts


@dataclass(frozen=True)
class TenantHistory:
    """What the advisor replays: one tenant, one provider, a range [start, end)."""

    start: datetime
    end: datetime
    cases: tuple[CaseFact, ...]
    escorts: tuple[tuple[datetime, datetime], ...] = ()  # booked escort days (SLA override)
    services: tuple[ServiceUse, ...] = ()

    @property
    def months(self) -> Decimal:
        days = Decimal((self.end - self.start).total_seconds()) / Decimal(86_400)
        return max(Decimal("0.01"), days / Decimal("30"))


# --------------------------------------------------------------------------- replay


@dataclass(frozen=True)
class Refusal:
    code: str  # severity or channel code
    name: Text
    cases: int
    outside_hours: int  # of them, opened outside 09:00–18:00 on working days


@dataclass(frozen=True)
class ServiceLine:
    service: str
    name: Text
    unit: str
    quota: int | None  # per annual order; None: not included (or a paid add-on)
    paid: bool
    used: int


@dataclass(frozen=True)
class PlanReplay:
    plan: Plan
    current: bool
    cases: int
    offered: int  # cases whose severity and channel the plan includes
    answered: int  # of those, with a first response
    met: int  # answered strictly before the due time the plan would have set
    missed: int  # answered late, or unanswered past the due time
    targets: tuple[tuple[str, Text, timedelta], ...]  # severity code, name, first response
    refused_severities: tuple[Refusal, ...]
    refused_channels: tuple[Refusal, ...]
    services: tuple[ServiceLine, ...]
    monthly_price: Decimal
    price_difference: Decimal  # per month, against the current plan (0 without one)
    missing_holiday_years: tuple[int, ...] = ()

    @property
    def refused(self) -> int:
        return sum(r.cases for r in self.refused_severities) + sum(
            r.cases for r in self.refused_channels
        )

    @property
    def attainment(self) -> float | None:
        judged = self.met + self.missed
        return round(self.met / judged, 4) if judged else None

    @property
    def services_short(self) -> tuple[ServiceLine, ...]:
        """Services used in the range that this plan's quota would not have covered."""
        return tuple(s for s in self.services if s.used and (s.quota or 0) < s.used and not s.paid)


def _escort_index(
    instants: Sequence[datetime], escorts: Sequence[tuple[datetime, datetime]]
) -> list[int]:
    """For each instant, the index of the escort interval covering it, or -1."""
    if not escorts:
        return [-1] * len(instants)
    ordered = sorted(escorts)
    starts = [a for a, _b in ordered]
    out = []
    for t in instants:
        i = bisect.bisect_right(starts, t) - 1
        out.append(i if i >= 0 and ordered[i][0] <= t < ordered[i][1] else -1)
    return out


@dataclass(frozen=True)
class Prepared:
    """The history as arrays, computed once and shared by every plan's replay: the cases
    grouped by (severity, channel, escort interval), since a plan decides per group."""

    keys: tuple[tuple[str, str, int], ...]
    key_of: npt.NDArray[np.int64]  # per case: index into keys
    opened: npt.NDArray[np.int64]  # epoch seconds
    replied: npt.NDArray[np.float64]  # epoch seconds, NaN when unanswered
    outside: npt.NDArray[np.bool_]  # opened outside business hours
    escorts: tuple[tuple[datetime, datetime], ...]


def prepare(history: TenantHistory, business_hours: WorkCalendar) -> Prepared:
    cases = history.cases
    escorts = tuple(sorted(history.escorts))
    esc = _escort_index([c.created_at for c in cases], escorts)
    index: dict[tuple[str, str, int], int] = {}
    key_of = np.fromiter(
        (
            index.setdefault((c.severity, c.channel, e), len(index))
            for c, e in zip(cases, esc, strict=True)
        ),
        dtype=np.int64,
        count=len(cases),
    )
    opened = np.fromiter(
        (math.floor(c.created_at.timestamp()) for c in cases), dtype=np.int64, count=len(cases)
    )
    replied = np.fromiter(
        (c.first_response_at.timestamp() if c.first_response_at else np.nan for c in cases),
        dtype=np.float64,
        count=len(cases),
    )
    # Open at t exactly when one business second from t ends at t + 1.
    if len(cases):
        one = bulk_add_seconds(business_hours, opened, np.ones_like(opened)).due
        outside = one != opened + 1
    else:
        outside = np.zeros(0, dtype=np.bool_)
    return Prepared(tuple(index), key_of, opened, replied, outside, escorts)


def replay_plan(
    catalog: Catalog,
    plan: Plan,
    history: TenantHistory,
    *,
    calendars: Callable[[str], WorkCalendar],
    business_hours: WorkCalendar,
    as_of: datetime,
    current: Plan | None,
    prepared: Prepared | None = None,
) -> PlanReplay:
    """How `history` would have fared under `plan`."""
    prep = prepared if prepared is not None else prepare(history, business_hours)
    escort_service = next(
        (g.service for g in plan.services if g.service.urgent_first_response is not None), None
    )
    escort_objs: tuple[sla.Escort, ...] = ()
    if escort_service is not None and escort_service.urgent_first_response is not None:
        cal = calendars(escort_service.during_calendar or "7x24")
        escort_objs = tuple(
            sla.Escort(a, b, escort_service.urgent_first_response, cal) for a, b in prep.escorts
        )
    nkeys = len(prep.keys)
    # per group: 0 offered, 1 severity refused, 2 channel refused
    verdict = np.zeros(nkeys, dtype=np.int8)
    cal_of = np.zeros(nkeys, dtype=np.int64)
    seconds_of = np.zeros(nkeys, dtype=np.int64)
    cal_list: list[WorkCalendar] = []
    cal_pos: dict[str, int] = {}
    policies: dict[tuple[str, str, bool], sla.SlaPolicy] = {}
    for k, (severity, channel, esc) in enumerate(prep.keys):
        if not plan.includes_severity(severity):
            verdict[k] = 1
            continue
        if not plan.includes_channel(channel):
            verdict[k] = 2
            continue
        in_escort = esc >= 0 and bool(escort_objs)
        policy = policies.get((severity, channel, in_escort))
        if policy is None:
            ctx = sla.PolicyContext(
                provider=catalog.provider.code,
                plan=plan.code,
                severity=severity,
                urgent=catalog.severity(severity).urgent,
                channel=channel,
                opened_at=prep.escorts[esc][0] if in_escort else history.start,
                escorts=escort_objs if in_escort else (),
            )
            policy = sla.resolve_policy(
                ctx,
                first_response=plan.target_for(severity).first_response,
                channel_calendar=calendars(catalog.channel(channel).calendar),
            )
            policies[(severity, channel, in_escort)] = policy
        target = policy.first_response
        pos = cal_pos.get(target.calendar.code)
        if pos is None:
            pos = cal_pos[target.calendar.code] = len(cal_list)
            cal_list.append(target.calendar)
        cal_of[k] = pos
        seconds_of[k] = int(target.duration.total_seconds())

    case_verdict = verdict[prep.key_of] if nkeys else np.zeros(0, dtype=np.int8)
    offered = case_verdict == 0
    met = missed = answered = 0
    years: tuple[int, ...] = ()
    if offered.any():
        keys = prep.key_of[offered]
        due = sla.bulk_due(cal_list, cal_of[keys], prep.opened[offered], seconds_of[keys])
        years = due.missing_years
        replied = prep.replied[offered]
        has_reply = ~np.isnan(replied)
        answered = int(has_reply.sum())
        on_time = has_reply & (replied < due.due)
        met = int(on_time.sum())
        overdue = ~has_reply & (due.due <= as_of.timestamp())
        missed = int((has_reply & ~on_time).sum() + overdue.sum())

    def refusals(kind: int) -> tuple[Refusal, ...]:
        mask = case_verdict == kind
        if not mask.any():
            return ()
        pick = 0 if kind == 1 else 1  # the severity or the channel of the group
        codes = np.array([prep.keys[k][pick] for k in range(nkeys)], dtype=object)[
            prep.key_of[mask]
        ]
        outside = prep.outside[mask]
        out = []
        for code in sorted(set(codes)):
            rows = codes == code
            name = catalog.severity(code).name if kind == 1 else catalog.channel(code).name
            out.append(Refusal(code, name, int(rows.sum()), int(outside[rows].sum())))
        return tuple(sorted(out, key=lambda r: (-r.cases, r.code)))

    used = Counter[str]()
    for use in history.services:
        used[use.service] += use.quantity
    lines = []
    for service in catalog.services:
        grant = next((g for g in plan.services if g.code == service.code), None)
        if grant is None and not used[service.code]:
            continue
        lines.append(
            ServiceLine(
                service=service.code,
                name=service.name,
                unit=service.unit,
                quota=grant.quota if grant is not None else None,
                paid=bool(grant and grant.paid),
                used=used[service.code],
            )
        )
    price = plan.monthly_price
    return PlanReplay(
        plan=plan,
        current=current is not None and current.code == plan.code,
        cases=len(history.cases),
        offered=int(offered.sum()),
        answered=answered,
        met=met,
        missed=missed,
        targets=tuple(
            (st.severity.code, st.severity.name, st.targets.first_response)
            for st in plan.severity_targets
        ),
        refused_severities=refusals(1),
        refused_channels=refusals(2),
        services=tuple(lines),
        monthly_price=price,
        price_difference=price - current.monthly_price if current is not None else Decimal(0),
        missing_holiday_years=years,
    )


# --------------------------------------------------------------------------- advice

REASONS: dict[str, Any] = {
    "no_cases": _("You opened no cases between %(start)s and %(end)s: there is nothing to replay."),
    "covers_everything": _(
        "%(plan)s includes every severity and channel your %(cases)s cases used."
    ),
    "refuses_severity": _(
        "%(count)s of your %(cases)s cases were “%(severity)s” (%(outside)s of them outside "
        "business hours); %(plan)s does not offer that severity."
    ),
    "refuses_channel": _(
        "%(count)s of your %(cases)s cases came through “%(channel)s”; %(plan)s does not "
        "include that channel."
    ),
    "attainment": _(
        "Under %(plan)s, %(met)s of %(judged)s first responses would have met the target."
    ),
    "cheaper": _("%(plan)s costs %(amount)s %(currency)s less per month."),
    "dearer": _("%(plan)s costs %(amount)s %(currency)s more per month."),
    "service_short": ngettext_lazy(
        "You used %(service)s %(used)s time; %(plan)s includes %(quota)s per year.",
        "You used %(service)s %(used)s times; %(plan)s includes %(quota)s per year.",
        "used",
    ),
    "stronger_severity": _(
        "%(count)s of your cases were production outages on core production systems; "
        "%(plan)s offers “%(severity)s” with a first response within %(target)s."
    ),
    "no_cheaper": _("No cheaper plan of %(provider)s covers what you used."),
    "current_fits": _("Your plan %(plan)s fits how you used support."),
}

VERDICTS: dict[str, Any] = {
    "downgrade": _("Consider %(plan)s: it covers what you used for less."),
    "upgrade": _("Consider %(plan)s: your cases needed more than your plan offers."),
    "stay": _("Keep %(plan)s."),
    "choose": _("%(plan)s is the most economical plan that covers what you used."),
    "nothing": _("No recommendation: no cases in this range."),
}


def _render(template: Any, params: Mapping[str, Any], lang: str) -> str:
    with translation.override(lang):
        values = {
            k: v.get(lang)
            if isinstance(v, Text)
            else _fmt_duration(v)
            if isinstance(v, timedelta)
            else v
            for k, v in params.items()
        }
        # `template % values`, not `str(template) % ...`: a plural template picks its form
        # from the count in `values`.
        return str(template % values)


@dataclass(frozen=True)
class Reason:
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        return _render(REASONS[self.code], self.params, lang)


@dataclass(frozen=True)
class Advice:
    verdict: str  # downgrade | upgrade | stay | choose | nothing
    plan: Plan | None  # the plan the verdict names
    reasons: tuple[Reason, ...]
    replays: tuple[PlanReplay, ...]
    currency: str
    provider: Text

    def headline(self, lang: str) -> str:
        params = {"plan": self.plan.name} if self.plan is not None else {}
        return _render(VERDICTS[self.verdict], params, lang)

    def evidence(self, lang: str) -> list[str]:
        return [r.text(lang) for r in self.reasons]

    def replay_of(self, code: str) -> PlanReplay:
        return next(r for r in self.replays if r.plan.code == code)


def _fmt_duration(d: timedelta) -> str:
    minutes = int(d.total_seconds() // 60)
    if minutes % 60 == 0:
        return str(_("%(n)s h") % {"n": minutes // 60})
    return str(_("%(n)s min") % {"n": minutes})


def _attainment_reason(r: PlanReplay) -> Reason:
    return Reason("attainment", {"plan": r.plan.name, "met": r.met, "judged": r.met + r.missed})


def _refusal_reasons(r: PlanReplay) -> list[Reason]:
    out = [
        Reason(
            "refuses_severity",
            {
                "count": x.cases,
                "cases": r.cases,
                "severity": x.name,
                "outside": x.outside_hours,
                "plan": r.plan.name,
            },
        )
        for x in r.refused_severities
    ]
    out += [
        Reason(
            "refuses_channel",
            {"count": x.cases, "cases": r.cases, "channel": x.name, "plan": r.plan.name},
        )
        for x in r.refused_channels
    ]
    out += [
        Reason(
            "service_short",
            {"service": s.name, "used": s.used, "quota": s.quota or 0, "plan": r.plan.name},
        )
        for s in r.services_short
    ]
    return out


def _money(amount: Decimal) -> str:
    return f"{abs(amount):,.2f}".rstrip("0").rstrip(".")


def _price_reason(r: PlanReplay, currency: str) -> Reason:
    code = "cheaper" if r.price_difference < 0 else "dearer"
    return Reason(
        code, {"plan": r.plan.name, "amount": _money(r.price_difference), "currency": currency}
    )


def _stronger(
    catalog: Catalog, plan: Plan | None, history: TenantHistory
) -> tuple[Plan, Any, int] | None:
    """Core-production cases filed with the plan's most severe severity while a higher plan
    offers a more severe one for core production systems: (that plan, severity, count)."""
    if plan is None or not plan.severity_targets:
        return None
    top = plan.severity_targets[0].severity
    count = sum(
        1 for c in history.cases if c.system_class == "core_production" and c.severity == top.code
    )
    if count < UPGRADE_MIN_CASES:
        return None
    for higher in catalog.plans:
        if higher.rank <= plan.rank or not higher.severity_targets:
            continue
        best = higher.severity_targets[0]
        if best.severity.order < top.order and best.severity.fits("core_production"):
            return higher, best, count
    return None


def advise(
    catalog: Catalog,
    current: Plan | None,
    history: TenantHistory,
    *,
    calendars: Callable[[str], WorkCalendar],
    business_hours: WorkCalendar,
    as_of: datetime,
) -> Advice:
    """Replay `history` through every plan of `catalog` that handles cases and recommend,
    with the evidence each verdict rests on."""
    plans = [p for p in catalog.plans if p.severity_targets]
    prepared = prepare(history, business_hours)
    replays = tuple(
        replay_plan(
            catalog,
            p,
            history,
            calendars=calendars,
            business_hours=business_hours,
            as_of=as_of,
            current=current,
            prepared=prepared,
        )
        for p in plans
    )
    by_code = {r.plan.code: r for r in replays}
    currency = catalog.provider.currency

    def done(verdict: str, plan: Plan | None, reasons: Iterable[Reason]) -> Advice:
        return Advice(verdict, plan, tuple(reasons), replays, currency, catalog.provider.name)

    if not history.cases:
        start = history.start.astimezone(_tz()).date().isoformat()
        end = (history.end.astimezone(_tz()) - timedelta(microseconds=1)).date().isoformat()
        return done("nothing", current, (Reason("no_cases", {"start": start, "end": end}),))

    def fits(r: PlanReplay) -> bool:
        return r.refused == 0 and not r.services_short

    if current is None:
        choice = min((r for r in replays if fits(r)), key=lambda r: r.monthly_price, default=None)
        if choice is None:
            choice = replays[-1]
        return done(
            "choose",
            choice.plan,
            (
                Reason("covers_everything", {"plan": choice.plan.name, "cases": choice.cases}),
                _attainment_reason(choice),
            ),
        )

    mine = by_code[current.code]
    stronger = _stronger(catalog, current, history)
    short = list(mine.services_short)
    if stronger is not None or short:
        if stronger is not None:
            target_plan, best, count = stronger
        else:
            target_plan = next(
                (r.plan for r in replays if r.plan.rank > current.rank and not r.services_short),
                current,
            )
        if target_plan.code != current.code:
            reasons: list[Reason] = []
            if stronger is not None:
                reasons.append(
                    Reason(
                        "stronger_severity",
                        {
                            "count": count,
                            "plan": target_plan.name,
                            "severity": best.severity.name,
                            "target": best.targets.first_response,
                        },
                    )
                )
            reasons += [
                Reason(
                    "service_short",
                    {
                        "service": s.name,
                        "used": s.used,
                        "quota": s.quota or 0,
                        "plan": current.name,
                    },
                )
                for s in short
            ]
            reasons.append(_price_reason(by_code[target_plan.code], currency))
            return done("upgrade", target_plan, tuple(reasons))

    cheaper = sorted(
        (r for r in replays if r.monthly_price < mine.monthly_price), key=lambda r: r.monthly_price
    )
    fitting = [r for r in cheaper if fits(r)]
    if fitting:
        pick = fitting[0]
        return done(
            "downgrade",
            pick.plan,
            (
                Reason("covers_everything", {"plan": pick.plan.name, "cases": pick.cases}),
                _attainment_reason(pick),
                _attainment_reason(mine),
                _price_reason(pick, currency),
            ),
        )
    reasons = [Reason("current_fits", {"plan": current.name})]
    if cheaper:
        nearest = cheaper[-1]  # the next plan down: what a downgrade would cost you
        reasons += _refusal_reasons(nearest)
        reasons.append(_price_reason(nearest, currency))
    else:
        reasons.append(Reason("no_cheaper", {"provider": catalog.provider.name}))
    reasons.append(_attainment_reason(mine))
    return done("stay", current, tuple(reasons))


def _tz() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(BUSINESS_TZ_NAME)


# --------------------------------------------------------------------------- staffing

DAYS = 7
HOURS = 24


@dataclass(frozen=True, slots=True)
class Arrival:
    created_at: datetime
    tier: str  # handler tier of the queue the case arrived in
    channel: str
    target_seconds: int  # the first-response target the case was given


@dataclass(frozen=True)
class StaffingInput:
    arrivals: tuple[Arrival, ...]
    start: datetime
    end: datetime
    tiers: tuple[str, ...]
    roster: Mapping[str, int]  # active handlers per tier (every hour: shifts are not modelled)
    telephone_channels: frozenset[str]  # answered live: Erlang A with the callers' patience
    aht_seconds: float
    patience_seconds: float
    goal: float  # share of first responses on time, 0..1


@dataclass(frozen=True, slots=True)
class Cell:
    tier: str
    day: int  # 0 Monday … 6 Sunday (Asia/Shanghai)
    hour: int
    arrivals_per_hour: float
    needed: int
    rostered: int
    method: str  # "" (no arrivals), "erlang_c", "erlang_a", "erlang_c+a"

    @property
    def gap(self) -> int:
        return self.rostered - self.needed

    @property
    def level(self) -> str:
        """The heat-map class: short, tight (exactly enough), ok, idle (no demand)."""
        if self.needed == 0:
            return "idle"
        if self.gap < 0:
            return "short"
        return "tight" if self.gap == 0 else "ok"


@dataclass(frozen=True)
class StaffingPlan:
    cells: tuple[Cell, ...]
    weeks: float
    arrivals: int
    inputs: StaffingInput

    def grid(self, tier: str) -> list[list[Cell]]:
        rows = [[None] * HOURS for _d in range(DAYS)]
        for c in self.cells:
            if c.tier == tier:
                rows[c.day][c.hour] = c  # type: ignore[call-overload]
        return rows  # type: ignore[return-value]

    def short_hours(self, tier: str) -> int:
        return sum(1 for c in self.cells if c.tier == tier and c.gap < 0)

    def peak_needed(self, tier: str) -> int:
        return max((c.needed for c in self.cells if c.tier == tier), default=0)


def _mix(targets: Iterable[int]) -> list[tuple[float, float]]:
    counts = Counter(targets)
    total = sum(counts.values())
    return [(float(t), n / total) for t, n in sorted(counts.items())]


def needed_erlang_c(rate: float, aht: float, mix: list[tuple[float, float]], goal: float) -> int:
    if rate <= 0:
        return 0
    a = erlang.traffic(rate, aht)
    n = max(1, math.floor(a) + 1)
    while erlang.service_level_mix(a, n, aht, mix) < goal:
        n += 1
        if n > 10_000:
            raise ValueError("more than 10000 agents would be needed")
    return n


def needed_erlang_a(
    rate: float, aht: float, patience: float, mix: list[tuple[float, float]], goal: float
) -> int:
    if rate <= 0:
        return 0
    n = max(1, math.floor(erlang.traffic(rate, aht) * 0.5))
    while True:
        level = sum(
            w
            * erlang.erlang_a(
                calls_per_hour=rate,
                aht_seconds=aht,
                patience_seconds=patience,
                agents=n,
                target_seconds=t,
            ).service_level
            for t, w in mix
        )
        if level >= goal:
            return n
        n += 1
        if n > 2_000:
            raise ValueError("more than 2000 agents would be needed")


def plan_staffing(data: StaffingInput) -> StaffingPlan:
    if not 0 < data.goal < 1:
        raise ValueError("the attainment goal is a share between 0 and 1")
    if data.aht_seconds <= 0 or data.patience_seconds <= 0:
        raise ValueError("handling time and patience must be longer than zero")
    weeks = max((data.end - data.start).total_seconds() / (7 * 86_400), 1 / 7)
    tz = _tz()
    buckets: dict[tuple[str, int, int, bool], list[int]] = defaultdict(list)
    for a in data.arrivals:
        local = a.created_at.astimezone(tz)
        phone = a.channel in data.telephone_channels
        buckets[(a.tier, local.weekday(), local.hour, phone)].append(a.target_seconds)
    cells = []
    for tier in data.tiers:
        for day in range(DAYS):
            for hour in range(HOURS):
                live = buckets.get((tier, day, hour, True), [])
                queued = buckets.get((tier, day, hour, False), [])
                needed, methods = 0, []
                if queued:
                    needed += needed_erlang_c(
                        len(queued) / weeks, data.aht_seconds, _mix(queued), data.goal
                    )
                    methods.append("erlang_c")
                if live:
                    needed += needed_erlang_a(
                        len(live) / weeks,
                        data.aht_seconds,
                        data.patience_seconds,
                        _mix(live),
                        data.goal,
                    )
                    methods.append("erlang_a")
                cells.append(
                    Cell(
                        tier=tier,
                        day=day,
                        hour=hour,
                        arrivals_per_hour=round((len(live) + len(queued)) / weeks, 3),
                        needed=needed,
                        rostered=int(data.roster.get(tier, 0)),
                        method="+".join(methods),
                    )
                )
    return StaffingPlan(tuple(cells), round(weeks, 3), len(data.arrivals), data)


CSV_COLUMNS = [
    "tier",
    "day",
    "hour",
    "arrivals_per_hour",
    "needed",
    "rostered",
    "gap",
    "method",
]
DAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def staffing_rows(plan: StaffingPlan) -> list[dict[str, Any]]:
    return [
        {
            "tier": c.tier,
            "day": DAY_CODES[c.day],
            "hour": c.hour,
            "arrivals_per_hour": c.arrivals_per_hour,
            "needed": c.needed,
            "rostered": c.rostered,
            "gap": c.gap,
            "method": c.method,
        }
        for c in plan.cells
    ]
