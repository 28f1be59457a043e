"""A deterministic demo generator: plausible cloud data for `make run`, tests and benchmarks.

The same (seed, month) always gives the same data (numpy's PCG64 seeded from a stable
hash), so a demo report can be regenerated and compared.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, timedelta
from decimal import Decimal

import numpy as np

from ..data import (
    METRICS,
    CloudData,
    DeliveredService,
    Entitlement,
    MetricSeries,
    Month,
    PlatformData,
    Resource,
    SecurityData,
    SecurityEvent,
    SecurityGroup,
    SpendLine,
    Ticket,
)
from .base import TREND_MONTHS, Connector, register

PRODUCTS = {
    "tencent": (("CVM", "S5.LARGE8", 0.70), ("CDB", "MySQL 8C32G", 0.15), ("CLB", "clb.s2", 0.15)),
    "huawei": (("ECS", "s6.xlarge.2", 0.70), ("RDS", "rds.mysql.x1", 0.15), ("ELB", "L7", 0.15)),
}
REGIONS = {"tencent": ("ap-guangzhou", "ap-shanghai"), "huawei": ("cn-north-4", "cn-east-3")}
BASELINES = {  # metric: (typical mean, spread, upper bound)
    "cpu_util": (35.0, 20.0, 100.0),
    "mem_util": (55.0, 15.0, 100.0),
    "disk_util": (50.0, 15.0, 100.0),
    "disk_read": (8.0, 5.0, 500.0),
    "disk_write": (6.0, 4.0, 500.0),
    "bandwidth_in": (20.0, 15.0, 1000.0),
    "bandwidth_out": (35.0, 25.0, 1000.0),
    "connections": (800.0, 500.0, 1e6),
    "new_connections": (40.0, 25.0, 1e5),
    "latency": (12.0, 6.0, 1000.0),
    "packet_loss": (0.1, 0.1, 100.0),
    "disk_iops": (900.0, 500.0, 1e5),
}


def stable_seed(*parts: object) -> int:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


@register("demo")
@dataclass
class DemoConnector(Connector):
    seed: str = "demo"
    cloud: str = "tencent"
    instances: int = 12
    points_per_day: int = 24
    systems: tuple[str, ...] = ()
    metrics: tuple[str, ...] = METRICS

    def collect(self, month: Month) -> CloudData:
        rng = np.random.Generator(np.random.PCG64(stable_seed(self.seed, self.cloud, month.label)))
        resources = self._resources(rng, month)
        return CloudData(
            resources=resources,
            metrics=self._metrics(rng, month, resources),
            security=self._security(rng, month, resources),
            spend=self._spend(month),
            sources=(f"demo:{self.cloud}",),
        )

    def _resources(self, rng: np.random.Generator, month: Month) -> tuple[Resource, ...]:
        products = PRODUCTS.get(self.cloud, PRODUCTS["tencent"])
        weights = np.array([p[2] for p in products])
        picks = rng.choice(len(products), size=self.instances, p=weights / weights.sum())
        out = []
        prefix = "ins" if self.cloud == "tencent" else "ecs"
        for i in range(self.instances):
            product, spec, _ = products[int(picks[i])]
            status = "running" if rng.random() > 0.08 else "stopped"
            region = REGIONS.get(self.cloud, ("region-1",))[i % 2]
            system = self.systems[i % len(self.systems)] if self.systems else ""
            # the first system keeps a single instance so the HA rule has something to say
            if self.systems and i >= len(self.systems) and system == self.systems[0]:
                system = self.systems[-1] if len(self.systems) > 1 else system
            out.append(
                Resource(
                    cloud=self.cloud,
                    product=product,
                    id=f"{prefix}-{stable_seed(self.seed, i) % 16**8:08x}",
                    name=f"{product.lower()}-{system.split()[0].lower() if system else 'app'}-{i + 1:02d}",
                    status=status,
                    spec=spec,
                    region=region,
                    zone=f"{region}-{1 + i % 3}",
                    created_at=month.start - timedelta(days=int(30 + rng.integers(0, 700))),
                    ip=f"10.{i // 250}.{i % 250}.{10 + i % 200}",
                    ha_group="" if i % 4 == 0 else f"group-{i % 3}",
                    system=system,
                )
            )
        return tuple(out)

    def _metrics(
        self, rng: np.random.Generator, month: Month, resources: tuple[Resource, ...]
    ) -> tuple[MetricSeries, ...]:
        days = (month.end - month.start).days
        n = days * self.points_per_day
        step = 86_400 // self.points_per_day
        ts = int(month.start.timestamp()) + step * np.arange(n, dtype=np.int64)
        phase = 2 * np.pi * (np.arange(n) % self.points_per_day) / self.points_per_day
        daily = 0.5 - 0.5 * np.cos(phase)  # low at night, high in the afternoon
        growth = np.linspace(0.9, 1.1, n)
        out = []
        for k, r in enumerate(resources):
            if r.status != "running":
                continue
            profile = 0.1 if k % 7 == 3 else (1.9 if k % 11 == 5 else 1.0)  # idle / hot ones
            for metric in self.metrics:
                mean, spread, hi = BASELINES[metric]
                level = max(0.0, mean * profile + rng.normal(0, spread / 3))
                noise = rng.normal(0, spread / 4, n)
                values = np.clip(level * growth * (0.6 + 0.8 * daily) + noise, 0, hi)
                out.append(MetricSeries(r.id, metric, ts, np.round(values, 2)))
        return tuple(out)

    def _security(
        self, rng: np.random.Generator, month: Month, resources: tuple[Resource, ...]
    ) -> SecurityData:
        groups = (
            SecurityGroup("sg-web", "web-public", ("tcp/80", "tcp/443")),
            SecurityGroup("sg-ops", "ops-ssh", ("tcp/22",)),
            SecurityGroup("sg-db", "db-internal", ()),
            SecurityGroup("sg-app", "app-internal", ()),
        )
        events = []
        days = (month.end - month.start).days
        for _ in range(int(rng.integers(1, 4))):
            at = month.start + timedelta(
                days=int(rng.integers(0, days)), hours=int(rng.integers(0, 24))
            )
            events.append(
                SecurityEvent(
                    "ddos", at.astimezone(UTC), "203.0.113.10", "SYN flood, 12 Gbps", True
                )
            )
        for _ in range(int(rng.integers(20, 60))):
            at = month.start + timedelta(
                days=int(rng.integers(0, days)), minutes=int(rng.integers(0, 1440))
            )
            kind = ("SQL injection", "XSS", "path traversal", "scanner")[int(rng.integers(0, 4))]
            events.append(
                SecurityEvent(
                    "waf", at.astimezone(UTC), "shop.example.com", kind, rng.random() > 0.05
                )
            )
        return SecurityData(
            iam_users=12,
            iam_users_without_mfa=2,
            security_groups=groups,
            audit_logging_enabled=True,
            public_buckets=("static-assets-public",),
            waf_enabled=True,
            events=tuple(sorted(events, key=lambda e: e.at)),
        )

    def _spend(self, month: Month) -> tuple[SpendLine, ...]:
        out = []
        products = PRODUCTS.get(self.cloud, PRODUCTS["tencent"])
        for i, m in enumerate(month.back(TREND_MONTHS)):
            rng = np.random.Generator(np.random.PCG64(stable_seed(self.seed, "spend", m.label)))
            for product, _spec, share in products:
                base = 1800 * self.instances * share * (1 + 0.03 * i)
                amount = Decimal(str(round(base * (0.9 + 0.2 * rng.random()), 2)))
                out.append(SpendLine(m.label, product, amount))
        return tuple(out)


SEVERITIES = {
    "partner": (
        "core_production_down",
        "production_down",
        "production_abnormal",
        "system_abnormal",
        "general_guidance",
    ),
    "tencent": ("business_down", "business_abnormal", "usage_question"),
}
SEVERITY_NAMES = {
    "core_production_down": {"zh-hans": "核心生产系统不可用", "en": "Core production down"},
    "production_down": {"zh-hans": "生产系统不可用", "en": "Production down"},
    "production_abnormal": {"zh-hans": "生产系统异常", "en": "Production abnormal"},
    "system_abnormal": {"zh-hans": "系统异常", "en": "System abnormal"},
    "general_guidance": {"zh-hans": "一般性指导", "en": "General guidance"},
    "business_down": {"zh-hans": "业务中断", "en": "Business down"},
    "business_abnormal": {"zh-hans": "业务异常", "en": "Business abnormal"},
    "usage_question": {"zh-hans": "使用咨询", "en": "Usage question"},
}
CHANNEL_NAMES = {
    "ticket": {"zh-hans": "工单", "en": "Ticket"},
    "hotline": {"zh-hans": "热线电话", "en": "Hotline"},
    "im_group": {"zh-hans": "IM 企业群", "en": "IM group"},
    "phone_line": {"zh-hans": "企业电话专线", "en": "Enterprise phone line"},
}
TARGET_MINUTES = {
    "core_production_down": 10,
    "production_down": 30,
    "production_abnormal": 180,
    "system_abnormal": 480,
    "general_guidance": 960,
    "business_down": 15,
    "business_abnormal": 30,
    "usage_question": 60,
}


def demo_platform_data(
    seed: str,
    month: Month,
    *,
    provider: str = "partner",
    tickets: int = 40,
    systems: tuple[str, ...] = ("Core banking", "Mobile app API", "UAT"),
) -> PlatformData:
    """Synthetic plan, services and tickets (benchmarks and previews without cases)."""
    rng = np.random.Generator(np.random.PCG64(stable_seed(seed, "tickets", month.label)))
    sev = SEVERITIES[provider]
    weights = np.array([1, 3, 6, 8, 12][: len(sev)], dtype=float)
    days = (month.end - month.start).days
    out = []
    for i in range(tickets):
        severity = sev[int(rng.choice(len(sev), p=weights / weights.sum()))]
        created = (
            month.start
            + timedelta(days=int(rng.integers(0, days)), minutes=int(rng.integers(0, 1440)))
        ).astimezone(UTC)
        target = timedelta(minutes=TARGET_MINUTES[severity])
        late = rng.random() < 0.08
        responded = created + (target * (1.3 if late else float(rng.uniform(0.1, 0.9))))
        resolved = (
            created + timedelta(hours=float(rng.uniform(1, 72))) if rng.random() < 0.9 else None
        )
        resolved = resolved if resolved is None or resolved < month.end else None
        out.append(
            Ticket(
                id=f"C{month.year % 100:02d}{month.month:02d}-{i + 1:04d}",
                subject=f"Case {i + 1}",
                severity=severity,
                channel=("ticket", "hotline", "im_group")[int(rng.integers(0, 3))],
                status="resolved"
                if resolved
                else ("in_progress" if rng.random() < 0.7 else "open"),
                created_at=created,
                resolved_at=resolved,
                system=systems[int(rng.integers(0, len(systems)))] if systems else "",
                first_response_due=created + target,
                first_responded_at=responded,
                first_response_met=not late,
            )
        )
    history = []
    for m in month.back(TREND_MONTHS)[:-1]:
        r = np.random.Generator(np.random.PCG64(stable_seed(seed, "history", m.label)))
        history.append((m.label, {s: int(r.integers(0, tickets // len(sev) + 3)) for s in sev}))
    return PlatformData(
        provider=provider,
        plan_code="vip" if provider == "partner" else "s1",
        plan_name={"zh-hans": "VIP级", "en": "VIP"}
        if provider == "partner"
        else {"zh-hans": "旗舰版", "en": "S1 Flagship"},
        term="annual",
        period_start=month.start.date().replace(month=1),
        period_end=month.start.date().replace(month=12, day=31),
        entitlements=(
            Entitlement({"zh-hans": "可用性检查", "en": "Availability check"}, 1, 1),
            Entitlement(
                {"zh-hans": "资源监控与优化", "en": "Resource monitoring & optimisation"}, 0, 1
            ),
            Entitlement(
                {"zh-hans": "云上保障护航（基础版）", "en": "Escort (basic)"},
                2,
                3,
                {"zh-hans": "天", "en": "days"},
            ),
        ),
        services=(
            DeliveredService(
                {"zh-hans": "云上保障护航（基础版）", "en": "Escort (basic)"},
                (month.start + timedelta(days=10)).date(),
                (month.start + timedelta(days=11)).date(),
            ),
        ),
        tickets=tuple(out),
        ticket_history=tuple(history),
        severity_names={k: SEVERITY_NAMES[k] for k in sev},
        severity_order=sev,
        channel_names=CHANNEL_NAMES,
    )


def demo_report_data(
    seed: str,
    month: Month,
    *,
    tenant_name: str = "Demo tenant",
    cloud: str = "tencent",
    instances: int = 12,
    tickets: int = 40,
    provider: str = "partner",
    points_per_day: int = 24,
) -> object:
    """A whole `ReportData` from the generators (benchmarks, previews)."""
    from ..data import ReportData

    systems = ("Core banking", "Mobile app API", "UAT")
    cloud_data = DemoConnector(
        seed=seed, cloud=cloud, instances=instances, systems=systems, points_per_day=points_per_day
    ).collect(month)
    return ReportData(
        tenant_name=tenant_name,
        year=month.year,
        month=month.month,
        start=month.start,
        end=month.end,
        platform=demo_platform_data(
            seed, month, provider=provider, tickets=tickets, systems=systems
        ),
        cloud=cloud_data,
    )
