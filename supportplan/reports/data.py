"""What a monthly report is built from: plain, frozen input data (no ORM, no clock).

Two sources fill it, both in memory and only for the duration of one tenant's run
(SPEC §2: collected data is not stored in between; only the finished report is):

- a cloud connector (`connectors/`) -> `CloudData`: resources, load metrics, security
  configuration and events, monthly spend; a section it could not collect is listed in
  `incomplete` with the reason instead of failing the run;
- the platform collector (`collector.py`) -> `PlatformData`: plan, entitlements used,
  value-added services delivered, advisories, tickets and their first-response SLA.

`ReportData` joins the two for one tenant and one natural month; `builder.build_report`
turns it into the figures every section shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")

# Metric codes, in the order the report shows them (seed 000 table 1 "资源负载监控数据").
METRICS: tuple[str, ...] = (
    "cpu_util",  # %
    "mem_util",  # %
    "disk_util",  # %
    "disk_read",  # MB/s
    "disk_write",  # MB/s
    "bandwidth_in",  # Mbit/s
    "bandwidth_out",  # Mbit/s
    "connections",  # concurrent connections
    "new_connections",  # new connections per second
    "latency",  # ms
    "packet_loss",  # %
    "disk_iops",  # operations per second (read + write)
)
METRIC_UNITS: dict[str, str] = {
    "cpu_util": "%",
    "mem_util": "%",
    "disk_util": "%",
    "disk_read": "MB/s",
    "disk_write": "MB/s",
    "bandwidth_in": "Mbit/s",
    "bandwidth_out": "Mbit/s",
    "connections": "",
    "new_connections": "/s",
    "latency": "ms",
    "packet_loss": "%",
    "disk_iops": "IOPS",
}

# Report sections (SPEC §2), in order.
SECTIONS: tuple[str, ...] = (
    "summary",
    "service",
    "resources",
    "tickets",
    "security",
    "spend",
    "advice",
)

Texts = dict[str, str]  # {"zh-hans": ..., "en": ...} as the catalog gives names


@dataclass(frozen=True, slots=True)
class Resource:
    """One cloud resource instance (seed: id, name, status, spec, created, IP, usage)."""

    cloud: str  # huawei | tencent | alibaba | other
    product: str  # e.g. "CVM", "ECS", "RDS"
    id: str
    name: str
    status: str  # normalised: running | stopped | other
    spec: str = ""  # e.g. "S5.LARGE8 (4 vCPU, 8 GiB)"
    region: str = ""
    zone: str = ""
    created_at: datetime | None = None
    ip: str = ""
    ha_group: str = ""  # cluster / availability-set name; "" = stands alone
    system: str = ""  # the customer's registered system it serves, if known


@dataclass(frozen=True, slots=True)
class MetricSeries:
    """One metric of one resource over the month: epoch seconds and values."""

    resource_id: str
    metric: str  # one of METRICS
    timestamps: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class SecurityGroup:
    id: str
    name: str
    # port specs reachable from 0.0.0.0/0 or ::/0: "tcp/22", "tcp/20-30", "udp/8000-9000",
    # "all", "icmp", "template/<id>" (grammar and the advice rule in ports.py)
    open_to_world: tuple[str, ...] = ()
    region: str = ""  # "" = the source did not say


@dataclass(frozen=True, slots=True)
class SecurityEvent:
    """One DDoS or WAF event as the source listed it. `count` is how many attacks the entry
    stands for (a source that aggregates, e.g. "1,000 SQL injections on this domain that
    day", gives one entry with count=1000); figures and charts sum counts, not entries."""

    kind: str  # ddos | waf
    at: datetime
    target: str
    detail: str = ""
    blocked: bool = True
    count: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            raise ValueError(
                f"SecurityEvent.count must be a whole number of at least 1, not {self.count!r}"
            )


@dataclass(frozen=True, slots=True)
class SecurityData:
    iam_users: int | None = None
    iam_users_without_mfa: int | None = None
    security_groups: tuple[SecurityGroup, ...] = ()
    audit_logging_enabled: bool | None = None  # None = unknown
    public_buckets: tuple[str, ...] = ()
    waf_enabled: bool | None = None
    events: tuple[SecurityEvent, ...] = ()


@dataclass(frozen=True, slots=True)
class SpendLine:
    month: str  # "YYYY-MM"
    product: str
    amount: Decimal  # CNY


@dataclass(frozen=True, slots=True)
class Incomplete:
    """A part a source could not collect; the section shows it instead of a number."""

    section: str  # one of SECTIONS
    source: str  # e.g. "tencent:monitor"
    reason: str  # plain text from the source (error code and message)


@dataclass(frozen=True, slots=True)
class CloudData:
    resources: tuple[Resource, ...] = ()
    metrics: tuple[MetricSeries, ...] = ()
    security: SecurityData = field(default_factory=SecurityData)
    spend: tuple[SpendLine, ...] = ()
    incomplete: tuple[Incomplete, ...] = ()
    sources: tuple[str, ...] = ()  # e.g. ("tencent 100012345",)

    def merged(self, other: CloudData) -> CloudData:
        s, o = self.security, other.security
        return CloudData(
            resources=self.resources + other.resources,
            metrics=self.metrics + other.metrics,
            security=SecurityData(
                iam_users=_sum_opt(s.iam_users, o.iam_users),
                iam_users_without_mfa=_sum_opt(s.iam_users_without_mfa, o.iam_users_without_mfa),
                security_groups=s.security_groups + o.security_groups,
                audit_logging_enabled=_and_opt(s.audit_logging_enabled, o.audit_logging_enabled),
                public_buckets=s.public_buckets + o.public_buckets,
                waf_enabled=_and_opt(s.waf_enabled, o.waf_enabled),
                events=s.events + o.events,
            ),
            spend=self.spend + other.spend,
            incomplete=self.incomplete + other.incomplete,
            sources=self.sources + other.sources,
        )


def _sum_opt(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _and_opt(a: bool | None, b: bool | None) -> bool | None:
    if a is None:
        return b
    if b is None:
        return a
    return a and b


@dataclass(frozen=True, slots=True)
class Ticket:
    """A support case as the report sees it (seed: id, description, severity, created, resolved)."""

    id: str
    subject: str
    severity: str
    channel: str
    status: str  # open | in_progress | waiting_on_customer | resolved | closed
    created_at: datetime
    resolved_at: datetime | None = None
    system: str = ""
    first_response_due: datetime | None = None
    first_responded_at: datetime | None = None
    # True met / False missed / None no target or still running at the month's end
    first_response_met: bool | None = None


@dataclass(frozen=True, slots=True)
class Entitlement:
    name: Texts
    used: int
    total: int | None  # None = unlimited / not quota-limited
    unit: Texts = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DeliveredService:
    name: Texts
    starts_on: date
    ends_on: date | None = None
    status: str = "delivered"


@dataclass(frozen=True, slots=True)
class Advisory:
    title: Texts | str  # {zh-hans, en} from the advisories context
    published_at: datetime | None
    severity: str = ""  # critical | high | medium | low | info
    notified_at: datetime | None = None  # when it reached the tenant
    kind: str = ""


@dataclass(frozen=True, slots=True)
class PlatformData:
    provider: str = ""
    plan_code: str = ""
    plan_name: Texts = field(default_factory=dict)
    term: str = ""  # monthly | annual
    period_start: date | None = None
    period_end: date | None = None
    entitlements: tuple[Entitlement, ...] = ()
    services: tuple[DeliveredService, ...] = ()
    advisories: tuple[Advisory, ...] = ()
    tickets: tuple[Ticket, ...] = ()  # created in the report month
    # cases opened per month over the trend window, oldest first: (YYYY-MM, {severity: n})
    ticket_history: tuple[tuple[str, dict[str, int]], ...] = ()
    severity_names: dict[str, Texts] = field(default_factory=dict)
    severity_order: tuple[str, ...] = ()
    channel_names: dict[str, Texts] = field(default_factory=dict)
    production_down_severities: tuple[str, ...] = ("core_production_down", "production_down")
    # The plan advisor's recommendation over the 90 days to the month's end, already in the
    # tenant's language (supportplan.insights): verdict, plan, plan_name, headline, reason.
    plan_advice: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class ReportData:
    tenant_name: str
    year: int
    month: int
    start: datetime  # first instant of the month (Asia/Shanghai), aware
    end: datetime  # first instant of the next month, aware
    platform: PlatformData
    cloud: CloudData
    tam_name: str = ""

    @property
    def period(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True, slots=True)
class Month:
    """One natural month in Asia/Shanghai, with its bounds as aware instants."""

    year: int
    month: int

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=BUSINESS_TZ)

    @property
    def end(self) -> datetime:
        return self.next().start

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def back(self, n: int) -> list[Month]:
        """The n months ending with this one, oldest first."""
        out = [self]
        for _ in range(n - 1):
            out.append(out[-1].previous())
        return out[::-1]

    @classmethod
    def parse(cls, text: str) -> Month:
        from supportplan.calendars.deadlines import parse_year_month

        return cls(*parse_year_month(text))

    @classmethod
    def containing(cls, instant: datetime) -> Month:
        local = instant.astimezone(BUSINESS_TZ)
        return cls(local.year, local.month)


class CollectionFailed(Exception):
    """Nothing usable could be collected (bad credentials, unreachable API...): the month
    gets a "not generated, because ..." record instead of a report."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason
