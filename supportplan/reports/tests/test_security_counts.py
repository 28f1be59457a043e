"""An event may stand for many attacks (SecurityEvent.count): every DDoS/WAF figure, the
per-day chart and the WAF advice sum counts, so a heavily attacked month is not understated
by a connector that lists one aggregated entry (or caps its listing)."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import translation

from supportplan.reports import charts
from supportplan.reports.advice import derive_advice
from supportplan.reports.builder import build_report
from supportplan.reports.connectors.files import FileConnector
from supportplan.reports.data import (
    CloudData,
    CollectionFailed,
    Month,
    PlatformData,
    ReportData,
    SecurityData,
    SecurityEvent,
)
from supportplan.reports.render import render_html

OCT = Month(2026, 10)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """Asia/Shanghai wall clock in October 2026, as UTC."""
    return (OCT.start + timedelta(days=day - 1, hours=hour, minutes=minute)).astimezone(UTC)


EVENTS = (
    SecurityEvent("waf", local(3, 10), "shop.example.com", "XSS", True, count=1),
    SecurityEvent("waf", local(3, 23, 30), "shop.example.com", "SQLi", False, count=40),
    SecurityEvent("waf", local(4, 1), "api.example.com", "CC", True, count=1000),
    SecurityEvent("ddos", local(3, 12), "203.0.113.10", "SYN flood"),  # count defaults to 1
    SecurityEvent("ddos", local(31, 23, 59), "203.0.113.10", "UDP flood", count=3),
)


def report(events=EVENTS, *, waf_enabled: bool | None = True) -> ReportData:
    cloud = CloudData(security=SecurityData(waf_enabled=waf_enabled, events=events))
    return ReportData("Acme", 2026, 10, OCT.start, OCT.end, platform=PlatformData(), cloud=cloud)


def test_existing_constructors_count_one_event_each():
    event = SecurityEvent("waf", local(3, 10), "shop.example.com")
    assert (event.count, event.blocked, event.detail) == (1, True, "")
    s = build_report(report((event, event))).security
    assert (s.waf_attacks, s.waf_blocked, s.events_by_day) == (2, 2, (("10-03", 0, 2),))


def test_figures_sum_the_counts():
    s = build_report(report()).security
    assert s.waf_attacks == 1041  # 1 + 40 + 1000
    assert s.waf_blocked == 1001  # the 40 SQL injections were only observed
    assert s.ddos_events == 4  # 1 + 3
    # Beijing days; 10-31 23:59 local is 15:59 UTC and stays on the 31st
    assert s.events_by_day == (("10-03", 1, 41), ("10-04", 0, 1000), ("10-31", 3, 0))


def test_chart_data_sums_the_counts_per_day():
    s = build_report(report()).security
    days, series = charts.security_series(s.events_by_day, "DDoS", "WAF")
    assert days == ["10-03", "10-04", "10-31"]
    assert series == [("DDoS", [1.0, 0.0, 3.0]), ("WAF", [41.0, 1000.0, 0.0])]


@pytest.mark.parametrize(
    ("lang", "texts"),
    [
        (
            "en",
            [
                "1041 attacks, 1001 blocked",
                "<td>DDoS events (blocked or scrubbed)</td><td>4</td>",
                "Security events per day",
            ],
        ),
        (
            "zh-hans",
            [
                "1041 次攻击，已拦截 1001 次",
                "<td>DDoS 事件（封堵或清洗）</td><td>4</td>",
                "每日安全事件",
            ],
        ),
    ],
)
def test_report_page_shows_the_summed_figures(lang, texts):
    html = render_html(
        build_report(report()),
        language=lang,
        generated_at=datetime(2026, 11, 1, 1, tzinfo=UTC),
        deadline=date(2026, 11, 10),
    ).html
    for text in texts:
        assert text in html, text


def test_waf_off_advice_names_the_summed_attacks():
    data = report(waf_enabled=False)
    advice = [a for a in derive_advice(data, {}) if a.code == "waf_off"]
    assert [(a.level, a.evidence) for a in advice] == [("medium", {"attacks": 1041})]
    with translation.override("en"):
        assert advice[0].evidence_text == "1041 web attacks were recorded without WAF blocking."


@pytest.mark.parametrize("count", [0, -5, True, 2.5, "40"])
def test_a_count_below_one_or_not_whole_is_refused(count):
    with pytest.raises(
        ValueError, match="SecurityEvent.count must be a whole number of at least 1"
    ):
        SecurityEvent("waf", local(3, 10), "shop.example.com", count=count)


def test_merged_sources_keep_the_counts():
    a = CloudData(security=SecurityData(events=EVENTS[:2]))
    b = CloudData(security=SecurityData(events=EVENTS[2:]))
    data = ReportData(
        "Acme", 2026, 10, OCT.start, OCT.end, platform=PlatformData(), cloud=a.merged(b)
    )
    s = build_report(data).security
    assert (s.waf_attacks, s.ddos_events) == (1041, 4)


# --------------------------------------------------------------------------- file connector


def _write(tmp_path, events):
    (tmp_path / "2026-10.json").write_text(json.dumps({"security": {"events": events}}))
    return FileConnector(path=str(tmp_path / "{month}.json"))


def test_file_connector_reads_an_optional_count(tmp_path):
    conn = _write(
        tmp_path,
        [
            {"kind": "waf", "at": "2026-10-03T10:00:00+08:00", "target": "shop", "count": 1},
            {"kind": "waf", "at": "2026-10-03T23:30:00+08:00", "target": "shop", "count": 40,
             "blocked": False},
            {"kind": "waf", "at": "2026-10-04T01:00:00+08:00", "target": "api", "count": "1000"},
            {"kind": "ddos", "at": "2026-10-31T23:59:00+08:00", "target": "203.0.113.10"},
        ],
    )  # fmt: skip
    data = conn.collect(OCT)
    assert [(e.kind, e.count, e.blocked) for e in data.security.events] == [
        ("waf", 1, True),
        ("waf", 40, False),
        ("waf", 1000, True),
        ("ddos", 1, True),
    ]
    report_data = ReportData(
        "Acme", 2026, 10, OCT.start, OCT.end, platform=PlatformData(), cloud=data
    )
    s = build_report(report_data).security
    assert (s.waf_attacks, s.waf_blocked, s.ddos_events) == (1041, 1001, 1)
    assert s.events_by_day == (("10-03", 0, 41), ("10-04", 0, 1000), ("10-31", 1, 0))


def test_file_connector_names_every_bad_count(tmp_path):
    at = "2026-10-03T10:00:00+08:00"
    conn = _write(
        tmp_path,
        [
            {"kind": "waf", "at": at, "count": 0},
            {"kind": "waf", "at": at, "count": -2},
            {"kind": "waf", "at": at, "count": 1.5},
            {"kind": "waf", "at": at, "count": "many"},
            {"kind": "waf", "at": at, "count": True},
            {"kind": "waf", "at": at, "count": 7},
        ],
    )
    with pytest.raises(CollectionFailed) as exc:
        conn.collect(OCT)
    hint = " is not a whole number of at least 1 (how many attacks this entry stands for; leave it out for one)"
    assert exc.value.reason == "; ".join(
        [
            f"security.events[1].count: 0{hint}",
            f"security.events[2].count: -2{hint}",
            f"security.events[3].count: 1.5{hint}",
            f"security.events[4].count: 'many'{hint}",
            f"security.events[5].count: True{hint}",
        ]
    )
