"""Turn one tenant's `ReportData` into the figures of every section. Pure: no ORM, no clock.

Every number a report shows is computed here (the renderers only format), so tests can
assert each figure against the input it came from. Rounding: percentages and metric
values to one decimal, money to the cent (Decimal), counts exact.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from .advice import Advice, derive_advice
from .data import (
    METRICS,
    SECTIONS,
    Incomplete,
    MetricSeries,
    ReportData,
    Resource,
    SecurityGroup,
    Ticket,
)

SHANGHAI_OFFSET = 8 * 3600  # Asia/Shanghai has no DST: day boundaries are fixed offsets
TOP_N = 5
TREND_MONTHS = 6


def r1(x: float) -> float:
    return float(Decimal(repr(float(x))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def pct(part: int, whole: int) -> float | None:
    return r1(100.0 * part / whole) if whole else None


def money(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------- content


@dataclass(frozen=True)
class Count:
    key: str
    count: int


@dataclass(frozen=True)
class ResourceRow:
    cloud: str
    product: str
    status: str
    count: int


@dataclass(frozen=True)
class Peak:
    value: float
    resource_id: str
    resource_name: str
    at: datetime


@dataclass(frozen=True)
class MetricSummary:
    metric: str
    resources: int  # resources with data
    average: float
    p95: float
    peak: Peak
    days: tuple[str, ...]  # "MM-DD" local
    daily_average: tuple[float, ...]
    daily_peak: tuple[float, ...]
    top: tuple[tuple[str, str, float], ...]  # (resource id, name, average) highest first
    trend: float  # last week's average minus first week's, same unit


@dataclass(frozen=True)
class ResourceStats:
    """Per-resource figures the advice rules use (CPU, memory, disk, packet loss)."""

    average: dict[str, float]
    peak: dict[str, float]
    p95: dict[str, float]


@dataclass(frozen=True)
class SlaRow:
    severity: str
    with_target: int
    met: int
    missed: int
    running: int  # no response yet and not yet due at the month's end
    attainment: float | None  # % of decided (met + missed)


@dataclass(frozen=True)
class TicketSection:
    total: int
    resolved: int
    open_at_end: int
    by_severity: tuple[Count, ...]
    by_channel: tuple[Count, ...]
    by_status: tuple[Count, ...]
    sla: tuple[SlaRow, ...]
    sla_overall: float | None
    missed: tuple[Ticket, ...]
    trend: tuple[tuple[str, int], ...]  # (YYYY-MM, cases) oldest first, this month last
    trend_by_severity: tuple[tuple[str, dict[str, int]], ...]
    mean_resolution_hours: float | None


@dataclass(frozen=True)
class SecuritySection:
    iam_users: int | None
    iam_users_without_mfa: int | None
    groups_total: int
    groups_open: tuple[SecurityGroup, ...]
    audit_logging_enabled: bool | None
    public_buckets: tuple[str, ...]
    waf_enabled: bool | None
    ddos_events: int
    waf_attacks: int
    waf_blocked: int
    events_by_day: tuple[tuple[str, int, int], ...]  # (MM-DD, ddos, waf) attacks, counts summed
    findings: int


@dataclass(frozen=True)
class SpendSection:
    months: tuple[tuple[str, Decimal], ...]  # oldest first, this month last
    this_month: Decimal | None
    previous_month: Decimal | None
    change_pct: float | None
    by_product: tuple[tuple[str, Decimal, float], ...]  # this month: product, amount, share %


@dataclass(frozen=True)
class ResourceSection:
    total: int
    running: int
    stopped: int
    other: int
    rows: tuple[ResourceRow, ...]
    by_cloud: tuple[Count, ...]
    by_product: tuple[Count, ...]
    metrics: tuple[MetricSummary, ...]
    missing_metrics: tuple[str, ...]
    stats: dict[str, ResourceStats] = field(repr=False, default_factory=dict)


@dataclass(frozen=True)
class ReportContent:
    data: ReportData
    resources: ResourceSection
    tickets: TicketSection
    security: SecuritySection
    spend: SpendSection
    advice: tuple[Advice, ...]
    incomplete: dict[str, tuple[Incomplete, ...]]

    @property
    def headline(self) -> dict[str, object]:
        """The summary section's figures (also stored on the Report row)."""
        return {
            "resources": self.resources.total,
            "running": self.resources.running,
            "tickets": self.tickets.total,
            "sla_attainment": self.tickets.sla_overall,
            "sla_missed": len(self.tickets.missed),
            "security_findings": self.security.findings,
            "spend": str(self.spend.this_month) if self.spend.this_month is not None else None,
            "spend_change_pct": self.spend.change_pct,
            "advice": len(self.advice),
            "advice_high": sum(1 for a in self.advice if a.level == "high"),
            # Each piece of advice as data: the Trusted Advisor API answers from it.
            "advice_items": [
                {"code": a.code, "level": a.level, "subject": a.subject, "evidence": a.evidence}
                for a in self.advice
            ],
            "incomplete_sections": sorted(self.incomplete),
        }


def build_report(data: ReportData) -> ReportContent:
    resources = build_resources(data)
    tickets = build_tickets(data)
    security = build_security(data)
    spend = build_spend(data)
    advice = derive_advice(data, resources.stats, tickets.missed)
    incomplete: dict[str, list[Incomplete]] = defaultdict(list)
    for item in data.cloud.incomplete:
        incomplete[item.section].append(item)
    return ReportContent(
        data=data,
        resources=resources,
        tickets=tickets,
        security=security,
        spend=spend,
        advice=advice,
        incomplete={k: tuple(v) for k, v in incomplete.items() if k in SECTIONS},
    )


# --------------------------------------------------------------------------- resources


def _local_day_index(ts: np.ndarray, start: datetime) -> np.ndarray:
    base = int(start.timestamp())
    return ((ts.astype(np.int64) - base) // 86_400).astype(np.int64)


def build_resources(data: ReportData) -> ResourceSection:
    res = data.cloud.resources
    status = Counter(r.status for r in res)
    rows = Counter((r.cloud, r.product, r.status) for r in res)
    names = {r.id: r.name for r in res}
    by_metric: dict[str, list[MetricSeries]] = defaultdict(list)
    for s in data.cloud.metrics:
        if s.values.size:
            by_metric[s.metric].append(s)
    days_in_month = (data.end - data.start).days
    labels = tuple(
        datetime.fromtimestamp(data.start.timestamp() + 86_400 * d + 1, UTC)
        .astimezone(data.start.tzinfo)
        .strftime("%m-%d")
        for d in range(days_in_month)
    )
    summaries: list[MetricSummary] = []
    stats = {r.id: ResourceStats({}, {}, {}) for r in res}
    for metric in METRICS:
        series = by_metric.get(metric)
        if not series:
            continue
        summaries.append(_metric_summary(metric, series, names, data, labels, stats))
    return ResourceSection(
        total=len(res),
        running=status.get("running", 0),
        stopped=status.get("stopped", 0),
        other=len(res) - status.get("running", 0) - status.get("stopped", 0),
        rows=tuple(
            ResourceRow(c, p, s, n) for (c, p, s), n in sorted(rows.items(), key=lambda kv: kv[0])
        ),
        by_cloud=_counts(r.cloud for r in res),
        by_product=_counts(r.product for r in res),
        metrics=tuple(summaries),
        missing_metrics=tuple(m for m in METRICS if m not in by_metric),
        stats=stats,
    )


def _metric_summary(
    metric: str,
    series: list[MetricSeries],
    names: dict[str, str],
    data: ReportData,
    labels: tuple[str, ...],
    stats: dict[str, ResourceStats],
) -> MetricSummary:
    ndays = len(labels)
    sums = np.zeros(ndays)
    counts = np.zeros(ndays)
    peaks = np.full(ndays, -np.inf)
    all_values: list[np.ndarray] = []
    best: tuple[float, str, int] = (-np.inf, "", 0)
    averages: list[tuple[str, float]] = []

    def record(rid: str, avg: float, peak: float, p95: float) -> None:
        averages.append((rid, avg))
        st = stats.get(rid)
        if st is not None:
            st.average[metric] = r1(avg)
            st.peak[metric] = r1(peak)
            st.p95[metric] = r1(p95)

    ts0 = series[0].timestamps
    aligned = len(series) > 1 and all(
        s.values.shape == ts0.shape and np.array_equal(s.timestamps, ts0) for s in series
    )
    if aligned:
        # the usual case (one sampling grid for the fleet): one 2-D pass instead of a loop
        day = _local_day_index(ts0, data.start)
        inside = (day >= 0) & (day < ndays)
        matrix = np.vstack([s.values for s in series]).astype(np.float64)[:, inside]
        day, ts = day[inside], ts0[inside]
        if matrix.size:
            all_values.append(matrix.ravel())
            sums += np.bincount(day, weights=matrix.sum(axis=0), minlength=ndays)
            counts += np.bincount(day, minlength=ndays) * matrix.shape[0]
            np.maximum.at(peaks, day, matrix.max(axis=0))
            arg = matrix.argmax(axis=1)
            row_peaks = matrix[np.arange(matrix.shape[0]), arg]
            row_avg = matrix.mean(axis=1)
            row_p95 = np.percentile(matrix, 95, axis=1)
            k = int(np.argmax(row_peaks))
            best = (float(row_peaks[k]), series[k].resource_id, int(ts[arg[k]]))
            for i, s in enumerate(series):
                record(s.resource_id, float(row_avg[i]), float(row_peaks[i]), float(row_p95[i]))
    else:
        for s in series:
            v = s.values.astype(np.float64)
            day = _local_day_index(s.timestamps, data.start)
            inside = (day >= 0) & (day < ndays)
            v, day, ts = v[inside], day[inside], s.timestamps[inside]
            if not v.size:
                continue
            all_values.append(v)
            sums += np.bincount(day, weights=v, minlength=ndays)
            counts += np.bincount(day, minlength=ndays)
            np.maximum.at(peaks, day, v)
            i = int(np.argmax(v))
            if v[i] > best[0]:
                best = (float(v[i]), s.resource_id, int(ts[i]))
            record(s.resource_id, float(v.mean()), float(v[i]), float(np.percentile(v, 95)))
    values = np.concatenate(all_values) if all_values else np.zeros(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        daily_avg = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    daily_peak = np.where(counts > 0, peaks, np.nan)
    valid = daily_avg[~np.isnan(daily_avg)]
    trend = r1(float(valid[-7:].mean() - valid[:7].mean())) if valid.size >= 14 else 0.0
    averages.sort(key=lambda kv: (-kv[1], kv[0]))
    return MetricSummary(
        metric=metric,
        resources=len(averages),
        average=r1(float(values.mean())),
        p95=r1(float(np.percentile(values, 95))),
        peak=Peak(
            r1(best[0]),
            best[1],
            names.get(best[1], best[1]),
            datetime.fromtimestamp(best[2], UTC),
        ),
        days=labels,
        daily_average=tuple(r1(x) if not np.isnan(x) else float("nan") for x in daily_avg),
        daily_peak=tuple(r1(x) if not np.isnan(x) else float("nan") for x in daily_peak),
        top=tuple((rid, names.get(rid, rid), r1(a)) for rid, a in averages[:TOP_N]),
        trend=trend,
    )


def _counts(keys: object) -> tuple[Count, ...]:
    c = Counter(keys)  # type: ignore[call-overload]
    return tuple(Count(k, n) for k, n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))


# --------------------------------------------------------------------------- tickets


def build_tickets(data: ReportData) -> TicketSection:
    p = data.platform
    tickets = sorted(p.tickets, key=lambda t: (t.created_at, t.id))
    order = {code: i for i, code in enumerate(p.severity_order)}
    sev = Counter(t.severity for t in tickets)
    by_severity = tuple(
        Count(k, sev[k]) for k in sorted(sev, key=lambda k: (order.get(k, len(order)), k))
    )
    sla_rows = []
    for code in [c.key for c in by_severity]:
        # a case with a target: its due time is known (still running) or its outcome is
        # decided (the cases app drops the due column once the case is answered)
        group = [
            t
            for t in tickets
            if t.severity == code
            and (t.first_response_due is not None or t.first_response_met is not None)
        ]
        met = sum(1 for t in group if t.first_response_met is True)
        late = sum(1 for t in group if t.first_response_met is False)
        sla_rows.append(
            SlaRow(code, len(group), met, late, len(group) - met - late, pct(met, met + late))
        )
    total_met = sum(r.met for r in sla_rows)
    total_decided = sum(r.met + r.missed for r in sla_rows)
    missed = tuple(t for t in tickets if t.first_response_met is False)
    resolved = [t for t in tickets if t.resolved_at is not None and t.resolved_at < data.end]
    hours = [(t.resolved_at - t.created_at).total_seconds() / 3600 for t in resolved]  # type: ignore[operator]
    history = [(m, dict(c)) for m, c in p.ticket_history if m < data.period]
    history = history[-(TREND_MONTHS - 1) :] + [(data.period, dict(sev))]
    return TicketSection(
        total=len(tickets),
        resolved=len(resolved),
        open_at_end=len(tickets) - len(resolved),
        by_severity=by_severity,
        by_channel=_counts(t.channel for t in tickets),
        by_status=_counts(t.status for t in tickets),
        sla=tuple(sla_rows),
        sla_overall=pct(total_met, total_decided),
        missed=missed,
        trend=tuple((m, sum(c.values())) for m, c in history),
        trend_by_severity=tuple(history),
        mean_resolution_hours=r1(sum(hours) / len(hours)) if hours else None,
    )


# --------------------------------------------------------------------------- security


def build_security(data: ReportData) -> SecuritySection:
    s = data.cloud.security
    # an event may stand for many attacks (SecurityEvent.count): every figure sums counts
    ddos = [e for e in s.events if e.kind == "ddos"]
    waf = [e for e in s.events if e.kind == "waf"]
    per_day: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for e in s.events:
        key = e.at.astimezone(data.start.tzinfo).strftime("%m-%d")
        per_day[key][0 if e.kind == "ddos" else 1] += e.count
    open_groups = tuple(g for g in s.security_groups if g.open_to_world)
    findings = (
        len(open_groups)
        + len(s.public_buckets)
        + (1 if s.audit_logging_enabled is False else 0)
        + (1 if s.waf_enabled is False else 0)
        + (1 if s.iam_users_without_mfa else 0)
    )
    return SecuritySection(
        iam_users=s.iam_users,
        iam_users_without_mfa=s.iam_users_without_mfa,
        groups_total=len(s.security_groups),
        groups_open=open_groups,
        audit_logging_enabled=s.audit_logging_enabled,
        public_buckets=s.public_buckets,
        waf_enabled=s.waf_enabled,
        ddos_events=sum(e.count for e in ddos),
        waf_attacks=sum(e.count for e in waf),
        waf_blocked=sum(e.count for e in waf if e.blocked),
        events_by_day=tuple((k, v[0], v[1]) for k, v in sorted(per_day.items())),
        findings=findings,
    )


# --------------------------------------------------------------------------- spend


def build_spend(data: ReportData) -> SpendSection:
    per_month: dict[str, Decimal] = defaultdict(Decimal)
    this: dict[str, Decimal] = defaultdict(Decimal)
    for line in data.cloud.spend:
        if line.month > data.period:
            continue
        per_month[line.month] += line.amount
        if line.month == data.period:
            this[line.product] += line.amount
    months = sorted(per_month)[-TREND_MONTHS:]
    current = per_month.get(data.period)
    prev_key = _previous_month(data.period)
    previous = per_month.get(prev_key)
    change = (
        r1(float((current - previous) / previous * 100))
        if current is not None and previous
        else None
    )
    total = sum(this.values(), Decimal(0))
    by_product = tuple(
        (p, money(a), r1(float(a / total * 100)) if total else 0.0)
        for p, a in sorted(this.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    return SpendSection(
        months=tuple((m, money(per_month[m])) for m in months),
        this_month=money(current) if current is not None else None,
        previous_month=money(previous) if previous is not None else None,
        change_pct=change,
        by_product=by_product,
    )


def _previous_month(period: str) -> str:
    y, m = (int(x) for x in period.split("-"))
    y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return f"{y:04d}-{m:02d}"


def resource_names(resources: tuple[Resource, ...]) -> dict[str, str]:
    return {r.id: r.name for r in resources}
