"""The promise before filing and the clock explained: tables of exact due times and steps
(pure: catalogs read from the files, calendars built from the library; no database)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from supportplan.calendars.builtins import builtin_5x8, builtin_7x24
from supportplan.catalog.files import read_catalog_file
from supportplan.sla import explain
from supportplan.sla.domain import CaseEvent, Escort, policy_from_catalog, replay

SH = ZoneInfo("Asia/Shanghai")
CAL5 = builtin_5x8()
C24 = builtin_7x24()
CALS = {"5x8": CAL5, "7x24": C24}
ROOT = Path(__file__).resolve().parents[3]
PARTNER = read_catalog_file(ROOT / "catalogs" / "partner.yaml")[1]
TENCENT = read_catalog_file(ROOT / "catalogs" / "tencent.yaml")[1]
MIN = timedelta(minutes=1)


def sh(*a: int) -> datetime:
    return datetime(*a, tzinfo=SH)


def policy_for(catalog, plan, channel, opened, cals=CALS, escorts=()):
    return lambda severity: policy_from_catalog(
        catalog,
        plan=plan,
        severity=severity,
        channel=channel,
        opened_at=opened,
        calendars=cals.__getitem__,
        escorts=escorts,
    )


def quote(catalog, plan, severity, channel, opened, cals=CALS, escorts=()):
    result = replay(
        [CaseEvent("created", opened, severity)],
        policy_for(catalog, plan, channel, opened, cals, escorts),
        as_of=opened,
    )
    return explain.promise_of(result)


def escort_on(day_start: datetime) -> Escort:
    return Escort(day_start, day_start + timedelta(days=1), timedelta(minutes=10), C24)


# --------------------------------------------------------------------------- the promise

PROMISES = [
    # (id, catalog, plan, severity, channel, opened, due, calendar, source, provisional)
    (
        "issue15-vip-core-im-20h-before-national-day",
        PARTNER, "vip", "core_production_down", "im_group",
        sh(2026, 9, 30, 20), sh(2026, 10, 8, 9, 10), "5x8", "plan", False,
    ),
    (
        "same-on-ticket-7x24",
        PARTNER, "vip", "core_production_down", "ticket",
        sh(2026, 9, 30, 20), sh(2026, 9, 30, 20, 10), "7x24", "plan", False,
    ),
    (
        "adjusted-saturday-counts",
        PARTNER, "dedicated", "production_abnormal", "im_group",
        sh(2026, 10, 9, 17), sh(2026, 10, 10, 11), "5x8", "plan", False,
    ),
    (
        "17:59-one-minute-today",
        PARTNER, "vip", "system_abnormal", "im_group",
        sh(2026, 11, 24, 17, 59), sh(2026, 11, 25, 16, 59), "5x8", "plan", False,
    ),
    (
        "18:00-closed-starts-tomorrow",
        PARTNER, "vip", "system_abnormal", "im_group",
        sh(2026, 11, 24, 18), sh(2026, 11, 25, 17), "5x8", "plan", False,
    ),
    (
        "spring-festival-block",
        PARTNER, "vip", "general_guidance", "im_group",
        sh(2026, 2, 13, 17), sh(2026, 2, 24, 15), "5x8", "plan", False,
    ),
    (
        "tencent-s2-im-is-7x24",
        TENCENT, "s2", "business_down", "im_group",
        sh(2026, 10, 1, 3), sh(2026, 10, 1, 3, 15), "7x24", "plan", False,
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    "catalog,plan,severity,channel,opened,due,calendar,source,provisional",
    [p[1:] for p in PROMISES],
    ids=[p[0] for p in PROMISES],
)
def test_promise_due_calendar_and_source(
    catalog, plan, severity, channel, opened, due, calendar, source, provisional
):
    p = quote(catalog, plan, severity, channel, opened)
    assert p.due_at == due
    assert p.calendar.code == calendar
    assert p.source == source
    assert p.provisional is provisional


def test_spring_festival_facts_name_the_block_and_both_adjusted_saturdays():
    p = quote(PARTNER, "vip", "general_guidance", "im_group", sh(2026, 2, 13, 17))
    holidays = [f.day.isoformat() for f in p.special_days if f.kind == "holiday"]
    workdays = [f.day.isoformat() for f in p.special_days if f.kind == "adjusted_workday"]
    assert holidays == [f"2026-02-{d}" for d in range(15, 24)]
    assert workdays == ["2026-02-14"]


def test_reasons_in_english_and_chinese():
    p = quote(PARTNER, "vip", "core_production_down", "im_group", sh(2026, 9, 30, 20))
    with translation.override("en"):
        en = explain.promise_reasons(p, "IM group")
    assert en[0] == (
        "IM group runs 09:00–18:00 on working days; the first-response target is 10 min."
    )
    assert en[1].startswith("1–7 Oct are holidays")
    assert not p.open_at_opening
    with translation.override("zh-hans"):
        zh = explain.promise_reasons(p, "IM 企业群")
    assert zh[1].startswith("10月1日–7日")
    assert "节假日" in zh[1]


def test_adjusted_working_saturday_is_said():
    p = quote(PARTNER, "dedicated", "production_abnormal", "im_group", sh(2026, 10, 9, 17))
    with translation.override("en"):
        assert "10 Oct (Saturday) is a working day." in explain.promise_reasons(p, "IM group")
    with translation.override("zh-hans"):
        reasons = explain.promise_reasons(p, "IM 企业群")
    assert any(r.startswith("10月10日（星期六）") for r in reasons), reasons


def test_escort_day_overrides_the_im_calendar():
    opened = sh(2026, 12, 19, 20)  # Saturday night, IM group closed
    p = quote(
        PARTNER, "vip", "production_down", "im_group", opened,
        escorts=(escort_on(sh(2026, 12, 19)),),
    )  # fmt: skip
    assert (p.due_at, p.calendar.code, p.source, p.escort) == (
        sh(2026, 12, 19, 20, 10),
        "7x24",
        "escort",
        True,
    )
    with translation.override("en"):
        assert explain.promise_reasons(p, "IM group")[0].startswith("An escort is in force")


def test_escort_does_not_touch_a_non_urgent_severity():
    opened = sh(2026, 12, 19, 20)
    p = quote(
        PARTNER, "vip", "general_guidance", "im_group", opened,
        escorts=(escort_on(sh(2026, 12, 19)),),
    )  # fmt: skip
    assert (p.source, p.due_at) == ("plan", sh(2026, 12, 22, 16))


def test_year_without_holiday_data_is_provisional():
    cals = {"5x8": builtin_5x8(known_years=frozenset({2026})), "7x24": C24}
    p = quote(PARTNER, "vip", "system_abnormal", "im_group", sh(2026, 12, 31, 17), cals=cals)
    # 1 h on 31 Dec, then 1 Jan 2027 counted as a plain Friday: 09:00 + 7 h
    assert p.due_at == sh(2027, 1, 1, 16)
    assert p.missing_years == (2027,)
    assert p.provisional
    with translation.override("en"):
        assert explain.promise_reasons(p, "IM group")[-1].startswith(
            "Provisional: there is no holiday data for 2027 yet"
        )


SUGGESTIONS = [
    # (id, severity, opened, expect suggestion)
    ("urgent-closed-im", "core_production_down", sh(2026, 9, 30, 20), True),
    ("urgent-open-im", "core_production_down", sh(2026, 9, 30, 10), False),
    ("not-urgent-closed-im", "general_guidance", sh(2026, 9, 30, 20), False),
]


@pytest.mark.parametrize(
    "severity,opened,expected", [s[1:] for s in SUGGESTIONS], ids=[s[0] for s in SUGGESTIONS]
)
def test_channel_suggestion_only_for_urgent_on_a_closed_channel(severity, opened, expected):
    im = quote(PARTNER, "vip", severity, "im_group", opened)
    ticket = quote(PARTNER, "vip", severity, "ticket", opened)
    s = explain.channel_suggestion(
        urgent=PARTNER.severity(severity).urgent, promise=im, alternatives=[("ticket", ticket)]
    )
    if expected:
        assert s is not None
        assert (s.channel, s.due_at) == ("ticket", sh(2026, 9, 30, 20, 10))
    else:
        assert s is None


# --------------------------------------------------------------------------- the clock


def clock(catalog, plan, channel, events, as_of, cals=CALS, escorts=()):
    opened = events[0].at
    result = replay(events, policy_for(catalog, plan, channel, opened, cals, escorts), as_of=as_of)
    return result, explain.clock_timeline(events, result)


def kinds(steps):
    return [s.kind for s in steps]


def test_pause_across_night_and_holiday():
    events = [
        CaseEvent("created", sh(2026, 9, 30, 17), "general_guidance"),
        CaseEvent("waiting_on_customer", sh(2026, 9, 30, 17, 30)),
        CaseEvent("customer_replied", sh(2026, 10, 8, 10)),
    ]
    result, steps = clock(PARTNER, "vip", "im_group", events, sh(2026, 10, 10, 12))
    assert result.first_response.due_at == sh(2026, 10, 9, 16, 30)
    table = [(s.kind, s.start, s.end, s.business) for s in steps]
    assert table == [
        ("started", sh(2026, 9, 30, 17), None, timedelta(0)),
        ("running", sh(2026, 9, 30, 17), sh(2026, 9, 30, 17, 30), 30 * MIN),
        ("paused", sh(2026, 9, 30, 17, 30), sh(2026, 10, 8, 10), timedelta(0)),
        ("running", sh(2026, 10, 8, 10), sh(2026, 10, 8, 18), 8 * 60 * MIN),
        ("closed", sh(2026, 10, 8, 18), sh(2026, 10, 9, 9), timedelta(0)),
        ("running", sh(2026, 10, 9, 9), sh(2026, 10, 9, 16, 30), 450 * MIN),
        ("breached", sh(2026, 10, 9, 16, 30), None, timedelta(0)),
    ]
    assert steps[4].detail == {"reason": "overnight"}
    assert explain.consumed_by(steps) == result.first_response.target


def test_running_through_the_national_day_block_names_the_holiday():
    events = [CaseEvent("created", sh(2026, 9, 30, 17), "system_abnormal")]
    result, steps = clock(PARTNER, "vip", "im_group", events, sh(2026, 10, 8, 12))
    closed = [s for s in steps if s.kind == "closed"]
    assert [(s.start, s.end, s.detail["reason"]) for s in closed] == [
        (sh(2026, 9, 30, 18), sh(2026, 10, 8, 9), "holiday")
    ]
    assert (closed[0].detail["first"].isoformat(), closed[0].detail["last"].isoformat()) == (
        "2026-10-01",
        "2026-10-07",
    )
    assert result.first_response.due_at == sh(2026, 10, 8, 16)
    assert [s.kind for s in steps[-2:]] == ["now", "due"]
    assert steps[-2].detail["remaining"] == timedelta(hours=4)
    assert explain.consumed_by(steps) == result.first_response.consumed == timedelta(hours=4)
    with translation.override("zh-hans"):
        text = explain.step_text(closed[0], str, SH)
    assert "10月1日–7日" in text


def test_17_59_vs_18_00_timelines():
    ev59 = [CaseEvent("created", sh(2026, 11, 24, 17, 59), "system_abnormal")]
    _r, s59 = clock(PARTNER, "vip", "im_group", ev59, sh(2026, 11, 25, 9))
    assert [(s.kind, s.business) for s in s59 if s.kind in ("running", "closed")] == [
        ("running", MIN),
        ("closed", timedelta(0)),
    ]
    ev18 = [CaseEvent("created", sh(2026, 11, 24, 18), "system_abnormal")]
    _r, s18 = clock(PARTNER, "vip", "im_group", ev18, sh(2026, 11, 25, 9))
    assert [(s.kind, s.start, s.end) for s in s18 if s.end] == [
        ("closed", sh(2026, 11, 24, 18), sh(2026, 11, 25, 9))
    ]


def test_adjusted_saturday_runs_and_sunday_is_a_rest_day():
    events = [CaseEvent("created", sh(2026, 10, 9, 17), "general_guidance")]  # 16 h
    result, steps = clock(PARTNER, "vip", "im_group", events, sh(2026, 10, 13, 12))
    runs = [(s.start, s.end) for s in steps if s.kind == "running"]
    assert runs == [
        (sh(2026, 10, 9, 17), sh(2026, 10, 9, 18)),
        (sh(2026, 10, 10, 9), sh(2026, 10, 10, 18)),  # 调休: Saturday is a working day
        (sh(2026, 10, 12, 9), sh(2026, 10, 12, 15)),
    ]
    closed = [s.detail["reason"] for s in steps if s.kind == "closed"]
    assert closed == ["overnight", "rest_day"]
    assert result.first_response.due_at == sh(2026, 10, 12, 15)


def test_severity_change_recomputes_from_creation_and_reply_meets():
    events = [
        CaseEvent("created", sh(2026, 11, 23, 9), "general_guidance"),
        CaseEvent("severity_changed", sh(2026, 11, 23, 9, 5), "production_down"),
        CaseEvent("first_staff_response", sh(2026, 11, 23, 9, 20)),
    ]
    result, steps = clock(PARTNER, "vip", "ticket", events, sh(2026, 11, 23, 12))
    assert [(s.kind, s.start) for s in steps] == [
        ("started", sh(2026, 11, 23, 9)),
        ("running", sh(2026, 11, 23, 9)),
        ("severity_changed", sh(2026, 11, 23, 9, 5)),
        ("met", sh(2026, 11, 23, 9, 20)),
        ("due", sh(2026, 11, 23, 9, 30)),
    ]
    assert steps[2].detail == {"from": "general_guidance", "to": "production_down"}
    assert steps[3].detail["remaining"] == 10 * MIN
    with translation.override("en"):
        assert explain.step_text(steps[3], str, SH) == (
            "Target met: first response at 2026-11-23 09:20, 10 min to spare."
        )


def test_escort_in_force_on_the_timeline():
    events = [CaseEvent("created", sh(2026, 12, 19, 20), "production_down")]
    _result, steps = clock(
        PARTNER, "vip", "im_group", events, sh(2026, 12, 19, 20, 5),
        escorts=(escort_on(sh(2026, 12, 19)),),
    )  # fmt: skip
    assert kinds(steps) == ["started", "escort", "running", "now", "due"]
    assert steps[1].detail == {"target": 10 * MIN}
    assert steps[4].start == sh(2026, 12, 19, 20, 10)


def test_breached_then_replied_late():
    events = [
        CaseEvent("created", sh(2026, 11, 23, 9), "production_down"),
        CaseEvent("first_staff_response", sh(2026, 11, 23, 10)),
    ]
    _result, steps = clock(PARTNER, "vip", "ticket", events, sh(2026, 11, 23, 12))
    assert [(s.kind, s.start) for s in steps] == [
        ("started", sh(2026, 11, 23, 9)),
        ("running", sh(2026, 11, 23, 9)),
        ("breached", sh(2026, 11, 23, 9, 30)),
        ("replied_late", sh(2026, 11, 23, 10)),
    ]
    assert steps[1].business == 30 * MIN


def test_year_without_holiday_data_on_the_timeline():
    cals = {"5x8": builtin_5x8(known_years=frozenset({2026})), "7x24": C24}
    events = [CaseEvent("created", sh(2026, 12, 31, 17), "system_abnormal")]
    result, steps = clock(PARTNER, "vip", "im_group", events, sh(2027, 1, 1, 12), cals=cals)
    assert result.first_response.missing_years == (2027,)
    runs = [(s.start, s.end) for s in steps if s.kind == "running"]
    assert runs == [
        (sh(2026, 12, 31, 17), sh(2026, 12, 31, 18)),
        (sh(2027, 1, 1, 9), sh(2027, 1, 1, 12)),
    ]


DATES = [
    ("en", (2026, 10, 1), (2026, 10, 7), "1–7 Oct"),
    ("zh-hans", (2026, 10, 1), (2026, 10, 7), "10月1日–7日"),
    ("en", (2026, 9, 30), (2026, 10, 2), "30 Sep–2 Oct"),
    ("zh-hans", (2026, 9, 30), (2026, 10, 2), "9月30日–10月2日"),
    ("zh-hans", (2026, 10, 10), (2026, 10, 10), "10月10日"),
]


@pytest.mark.parametrize("lang,a,b,text", DATES)
def test_day_ranges(lang, a, b, text):
    from datetime import date

    with translation.override(lang):
        assert explain.day_range_text(date(*a), date(*b)) == text
