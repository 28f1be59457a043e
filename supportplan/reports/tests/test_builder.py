"""Every figure of a report, asserted against the input it came from (no database)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.utils import translation

from supportplan.reports.builder import build_report
from supportplan.reports.data import (
    CloudData,
    Incomplete,
    MetricSeries,
    Month,
    PlatformData,
    ReportData,
    Resource,
    SecurityData,
    SecurityEvent,
    SecurityGroup,
    SpendLine,
    Ticket,
)
from supportplan.reports.render import render_html

OCT = Month(2026, 10)
T0 = int(OCT.start.timestamp())  # 2026-10-01 00:00 Asia/Shanghai
H = 3600
D = 86_400


def utc(day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Asia/Shanghai wall clock in October 2026, as UTC."""
    return (OCT.start + timedelta(days=day - 1, hours=hour, minutes=minute)).astimezone(UTC)


def series(rid: str, metric: str, points: list[tuple[int, float]]) -> MetricSeries:
    return MetricSeries(
        rid,
        metric,
        np.asarray([T0 + t for t, _ in points], dtype=np.int64),
        np.asarray([v for _, v in points], dtype=np.float64),
    )


def ticket(
    n: int,
    severity: str,
    day: int,
    *,
    met: bool | None,
    channel: str = "ticket",
    system: str = "",
    resolved_h: float | None = None,
    status: str = "resolved",
) -> Ticket:
    created = utc(day, 10)
    due = created + timedelta(minutes=30)
    responded = created + timedelta(minutes=20 if met else 45) if met is not None else None
    return Ticket(
        id=f"#{n}",
        subject=f"case {n}",
        severity=severity,
        channel=channel,
        status=status,
        created_at=created,
        resolved_at=created + timedelta(hours=resolved_h) if resolved_h is not None else None,
        system=system,
        first_response_due=due,
        first_responded_at=responded,
        first_response_met=met,
    )


@pytest.fixture
def data() -> ReportData:
    resources = (
        Resource("tencent", "CVM", "ins-a", "web-a", "running", system="Shop", ha_group=""),
        Resource("tencent", "CVM", "ins-b", "web-b", "running", system="Core", ha_group="g1"),
        Resource("tencent", "CVM", "ins-c", "web-c", "running", system="Core", ha_group="g1"),
        Resource("tencent", "CDB", "cdb-1", "db-1", "stopped"),
        Resource("huawei", "ECS", "ecs-1", "batch", "running"),
    )
    metrics = (
        # ins-a idle: avg 2, peak 3
        series("ins-a", "cpu_util", [(0, 1.0), (H, 2.0), (D, 3.0), (D + H, 2.0)]),
        # ins-b saturated: p95 over 85
        series("ins-b", "cpu_util", [(0, 90.0), (H, 95.0), (D, 88.0), (D + H, 97.0)]),
        series("ins-b", "mem_util", [(0, 50.0), (D, 70.0)]),
        series("ins-c", "cpu_util", [(0, 40.0), (D, 60.0)]),
        series("ins-c", "disk_util", [(0, 80.0), (D, 95.0)]),  # disk nearly full
        series("ecs-1", "packet_loss", [(0, 2.0), (D, 1.0)]),  # avg 1.5 > 1
        # a point outside the month is ignored
        series("ecs-1", "latency", [(-H, 500.0), (0, 10.0), (2 * D, 20.0)]),
    )
    security = SecurityData(
        iam_users=10,
        iam_users_without_mfa=3,
        security_groups=(
            SecurityGroup("sg-1", "ops", ("tcp/22", "tcp/8080")),
            SecurityGroup("sg-2", "web", ("tcp/443",)),
            SecurityGroup("sg-3", "db", ()),
        ),
        audit_logging_enabled=False,
        public_buckets=("assets",),
        waf_enabled=True,
        events=(
            SecurityEvent("ddos", utc(3, 1), "1.2.3.4"),
            SecurityEvent("waf", utc(3, 2), "shop", blocked=True),
            SecurityEvent("waf", utc(4, 2), "shop", blocked=False),
        ),
    )
    spend = (
        SpendLine("2026-09", "CVM", Decimal("1000.00")),
        SpendLine("2026-10", "CVM", Decimal("900.00")),
        SpendLine("2026-10", "CDB", Decimal("300.00")),
        SpendLine("2026-08", "CVM", Decimal("800.10")),
        SpendLine("2026-11", "CVM", Decimal("5.00")),  # after the report month: ignored
    )
    tickets = (
        ticket(1, "production_down", 2, met=True, system="Core", resolved_h=2),
        ticket(2, "production_down", 3, met=False, system="Core", resolved_h=4, channel="hotline"),
        ticket(3, "production_down", 5, met=True, system="Core", status="in_progress"),
        ticket(4, "general_guidance", 6, met=True, channel="im_group", resolved_h=6),
        ticket(5, "general_guidance", 30, met=None, status="open"),
    )
    platform = PlatformData(
        provider="partner",
        plan_code="vip",
        plan_name={"zh-hans": "VIP级", "en": "VIP"},
        term="annual",
        tickets=tickets,
        ticket_history=(
            ("2026-08", {"production_down": 1}),
            ("2026-09", {"general_guidance": 2, "production_down": 1}),
        ),
        severity_names={
            "production_down": {"zh-hans": "生产系统不可用", "en": "Production down"},
            "general_guidance": {"zh-hans": "一般性指导", "en": "General guidance"},
        },
        severity_order=("core_production_down", "production_down", "general_guidance"),
        channel_names={"ticket": {"zh-hans": "工单", "en": "Ticket"}},
    )
    cloud = CloudData(
        resources=resources,
        metrics=metrics,
        security=security,
        spend=spend,
        incomplete=(Incomplete("spend", "tencent:billing:2026-07", "InternalError: down"),),
        sources=("test",),
    )
    return ReportData("Acme", 2026, 10, OCT.start, OCT.end, platform, cloud)


def test_resources(data):
    r = build_report(data).resources
    assert (r.total, r.running, r.stopped, r.other) == (5, 4, 1, 0)
    assert [(x.cloud, x.product, x.status, x.count) for x in r.rows] == [
        ("huawei", "ECS", "running", 1),
        ("tencent", "CDB", "stopped", 1),
        ("tencent", "CVM", "running", 3),
    ]
    assert [(c.key, c.count) for c in r.by_cloud] == [("tencent", 4), ("huawei", 1)]
    cpu = {m.metric: m for m in r.metrics}["cpu_util"]
    values = [1, 2, 3, 2, 90, 95, 88, 97, 40, 60]
    assert cpu.resources == 3
    assert cpu.average == round(sum(values) / len(values), 1) == 47.8
    assert cpu.p95 == round(float(np.percentile(values, 95)), 1) == 96.1
    assert (cpu.peak.value, cpu.peak.resource_id, cpu.peak.resource_name) == (
        97.0,
        "ins-b",
        "web-b",
    )
    assert cpu.peak.at == datetime.fromtimestamp(T0 + D + H, UTC)
    # day 1: 1, 2, 90, 95, 40 -> 45.6; day 2: 3, 2, 88, 97, 60 -> 50.0; peaks 95 and 97
    assert cpu.daily_average[:2] == (45.6, 50.0)
    assert cpu.daily_peak[:2] == (95.0, 97.0)
    assert np.isnan(cpu.daily_average[2])
    assert len(cpu.days) == 31 and cpu.days[0] == "10-01"
    assert cpu.top[0] == ("ins-b", "web-b", 92.5)
    latency = {m.metric: m for m in r.metrics}["latency"]
    assert (latency.average, latency.peak.value) == (15.0, 20.0)  # the September point is ignored
    assert "bandwidth_in" in r.missing_metrics


def test_tickets_and_sla(data):
    t = build_report(data).tickets
    assert (t.total, t.resolved, t.open_at_end) == (5, 3, 2)
    assert [(c.key, c.count) for c in t.by_severity] == [
        ("production_down", 3),
        ("general_guidance", 2),
    ]
    assert [(c.key, c.count) for c in t.by_channel] == [
        ("ticket", 3),
        ("hotline", 1),
        ("im_group", 1),
    ]
    assert [(c.key, c.count) for c in t.by_status] == [
        ("resolved", 3),
        ("in_progress", 1),
        ("open", 1),
    ]
    rows = {s.severity: s for s in t.sla}
    pd, gg = rows["production_down"], rows["general_guidance"]
    assert (pd.with_target, pd.met, pd.missed, pd.running, pd.attainment) == (3, 2, 1, 0, 66.7)
    assert (gg.with_target, gg.met, gg.missed, gg.running, gg.attainment) == (2, 1, 0, 1, 100.0)
    assert t.sla_overall == 75.0  # 3 met of 4 decided
    assert [m.id for m in t.missed] == ["#2"]
    assert t.trend == (("2026-08", 1), ("2026-09", 3), ("2026-10", 5))
    assert t.mean_resolution_hours == 4.0  # (2 + 4 + 6) / 3


def test_security(data):
    s = build_report(data).security
    assert (s.iam_users, s.iam_users_without_mfa, s.groups_total) == (10, 3, 3)
    assert [g.id for g in s.groups_open] == ["sg-1", "sg-2"]
    assert (s.ddos_events, s.waf_attacks, s.waf_blocked) == (1, 2, 1)
    assert s.events_by_day == (("10-03", 1, 1), ("10-04", 0, 1))
    # 2 open groups + 1 public bucket + audit off + IAM users without MFA
    assert s.findings == 5


def test_spend(data):
    s = build_report(data).spend
    assert s.months == (
        ("2026-08", Decimal("800.10")),
        ("2026-09", Decimal("1000.00")),
        ("2026-10", Decimal("1200.00")),
    )
    assert (s.this_month, s.previous_month, s.change_pct) == (
        Decimal("1200.00"),
        Decimal("1000.00"),
        20.0,
    )
    assert s.by_product == (("CVM", Decimal("900.00"), 75.0), ("CDB", Decimal("300.00"), 25.0))


def test_advice_names_its_evidence(data):
    advice = build_report(data).advice
    got = [(a.code, a.level, a.subject, a.evidence) for a in advice]
    assert got == [
        ("audit_logging_off", "high", "", {}),
        ("disk_nearly_full", "high", "web-c (ins-c)", {"disk_peak": 95.0}),
        ("open_security_group", "high", "ops (sg-1)", {"ports": ["tcp/22"]}),
        ("public_bucket", "high", "assets", {}),
        ("repeated_production_down", "high", "Core", {"count": 3, "cases": ["#1", "#2", "#3"]}),
        ("saturated_instance", "high", "web-b (ins-b)", {"cpu_p95": 96.7, "mem_p95": 69.0}),
        ("iam_without_mfa", "medium", "", {"users": 3, "total": 10}),
        ("packet_loss", "medium", "batch (ecs-1)", {"loss_avg": 1.5}),
        ("single_instance_system", "medium", "Shop", {"instances": ["ins-a"]}),
        ("idle_instance", "low", "web-a (ins-a)", {"cpu_avg": 2.0, "cpu_peak": 3.0}),
    ]
    with translation.override("en"):
        assert advice[4].evidence_text == "3 production-down cases this month: #1, #2, #3."
    with translation.override("zh-hans"):
        assert advice[4].evidence_text == "本月共 3 个生产系统不可用工单：#1, #2, #3。"


def test_headline(data):
    content = build_report(data)
    h = dict(content.headline)
    items = h.pop("advice_items")
    # every piece of advice as data, in the report's order (the Trusted Advisor API reads it)
    assert items == [
        {"code": a.code, "level": a.level, "subject": a.subject, "evidence": a.evidence}
        for a in content.advice
    ]
    assert len(items) == 10 and sum(1 for i in items if i["level"] == "high") == 6
    assert h == {
        "resources": 5,
        "running": 4,
        "tickets": 5,
        "sla_attainment": 75.0,
        "sla_missed": 1,
        "security_findings": 5,
        "spend": "1200.00",
        "spend_change_pct": 20.0,
        "advice": 10,
        "advice_high": 6,
        "incomplete_sections": ["spend"],
    }


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_html_shows_the_figures_in_the_tenant_language(data, lang):
    content = build_report(data)
    html = render_html(
        content,
        language=lang,
        generated_at=datetime(2026, 11, 1, 1, tzinfo=UTC),
        deadline=date(2026, 11, 10),
    ).html
    for figure in (
        "47.8",
        "96.1",
        "97.0",
        "66.7%",
        "75.0%",
        "1,200.00",
        "+20.0%",
        "InternalError: down",
    ):
        assert figure in html, figure
    assert ("生产系统不可用" in html) == (lang == "zh-hans")
    assert ("Production down" in html) == (lang == "en")
    heading = "资源概况" if lang == "zh-hans" else "Resource overview"
    assert heading in html
    assert "2026-10-01 – 2026-10-31" in html


def test_aligned_fleet_fast_path_gives_the_same_figures():
    """Series on one sampling grid take a 2-D fast path; the per-series loop must agree."""
    from dataclasses import replace

    from supportplan.reports.connectors.demo import demo_report_data

    data = demo_report_data("same", OCT, instances=6, tickets=5)
    fast = build_report(data)
    last = data.cloud.metrics[-1]
    shuffled = replace(
        last, timestamps=last.timestamps[::-1].copy(), values=last.values[::-1].copy()
    )
    slow_data = replace(
        data, cloud=replace(data.cloud, metrics=(*data.cloud.metrics[:-1], shuffled))
    )
    slow = build_report(slow_data)
    for a, b in zip(fast.resources.metrics, slow.resources.metrics, strict=True):
        assert (a.metric, a.average, a.p95, a.peak.value, a.top) == (
            b.metric,
            b.average,
            b.p95,
            b.peak.value,
            b.top,
        )
        assert np.allclose(a.daily_average, b.daily_average, equal_nan=True)
    assert fast.headline == slow.headline
    assert [x.evidence for x in fast.advice] == [x.evidence for x in slow.advice]
