from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from supportplan.calendars.builtins import builtin_5x8
from supportplan.calendars.deadlines import (
    add_months,
    check_lead_time,
    earliest_service_start,
    monthly_report_deadline,
    parse_year_month,
    subscription_period,
)
from supportplan.calendars.domain import make_weekly, windows
from supportplan.core.errors import DomainError

CAL = builtin_5x8()
SH = ZoneInfo("Asia/Shanghai")

# Every month of 2026, derived by the rule (holiday rest days on the 1st-10th push the
# deadline; a deadline on a holiday moves on). Jan, Feb, May and Oct are SPEC §2's own.
REPORT_2026 = [
    (1, date(2026, 1, 13), 3),  # Jan 1-3 New Year
    (2, date(2026, 2, 10), 0),  # Spring Festival is Feb 15-23: after the 10th
    (3, date(2026, 3, 10), 0),
    (4, date(2026, 4, 13), 3),  # Apr 4-6 Qingming
    (5, date(2026, 5, 15), 5),  # May 1-5 Labour Day
    (6, date(2026, 6, 10), 0),  # Jun 19-21: after the 10th
    (7, date(2026, 7, 10), 0),
    (8, date(2026, 8, 10), 0),
    (9, date(2026, 9, 10), 0),  # Sep 25-27: after the 10th
    (10, date(2026, 10, 17), 7),  # Oct 1-7 National Day; Oct 17 is a Saturday, not a holiday
    (11, date(2026, 11, 10), 0),
    (12, date(2026, 12, 10), 0),
]


@pytest.mark.parametrize(
    "month,expected,rest_days", REPORT_2026, ids=[str(m[0]) for m in REPORT_2026]
)
def test_monthly_report_deadline_2026(month, expected, rest_days):
    r = monthly_report_deadline(CAL, 2026, month)
    assert r.value.day == expected
    assert len(r.value.holiday_rest_days) == rest_days
    assert r.value.pushed_over == ()
    assert r.missing_years == ()
    # due_at is the first late instant: local midnight after the deadline day
    nxt = expected.toordinal() + 1
    assert r.value.due_at == datetime.combine(date.fromordinal(nxt), datetime.min.time(), SH)
    assert r.value.due_at.tzinfo is UTC


def test_report_deadline_moves_past_a_holiday_it_lands_on():
    hol = {date(2027, 3, d) for d in (1, 2, 12, 13, 14)}
    cal = make_weekly(
        "t", "Asia/Shanghai", windows("09:00-18:00"), holidays=hol, known_years={2027}
    )
    r = monthly_report_deadline(cal, 2027, 3)
    # 10 + 2 rest days = 12, a holiday; 13 and 14 are holidays too -> 15
    assert r.value.day == date(2027, 3, 15)
    assert r.value.holiday_rest_days == (date(2027, 3, 1), date(2027, 3, 2))
    assert r.value.pushed_over == (date(2027, 3, 12), date(2027, 3, 13), date(2027, 3, 14))


def test_report_deadline_without_holiday_data_is_flagged():
    r = monthly_report_deadline(CAL, 2027, 1)
    assert r.value.day == date(2027, 1, 10)
    assert r.missing_years == (2027,)


def test_report_month_errors():
    assert parse_year_month("2026-10") == (2026, 10)
    for bad in ("2026-13", "10-2026", "2026/10", "soon"):
        with pytest.raises(DomainError) as e:
            parse_year_month(bad)
        assert e.value.code == "report.month_unreadable"
    with pytest.raises(DomainError) as e:
        monthly_report_deadline(CAL, 2026, 0)
    assert e.value.code == "report.month_invalid"


def test_earliest_service_start_and_lead_time():
    assert earliest_service_start(CAL, date(2026, 11, 23), 3).value == date(2026, 11, 26)
    ok = check_lead_time(CAL, date(2026, 11, 23), date(2026, 11, 26), 3).value
    assert ok.ok is True and ok.earliest == date(2026, 11, 26)
    late = check_lead_time(CAL, date(2026, 11, 23), date(2026, 11, 25), 3).value
    assert late.ok is False
    # over National Day: applied Sep 30, 3 working days -> Oct 8, 9, 10 (adjusted Saturday)
    assert earliest_service_start(CAL, date(2026, 9, 30), 3).value == date(2026, 10, 10)


@pytest.mark.parametrize(
    "start,months,expected",
    [
        (date(2026, 1, 15), 1, date(2026, 2, 15)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 12, 1), 1, date(2027, 1, 1)),
        (date(2026, 5, 10), 12, date(2027, 5, 10)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
    ],
)
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected


def test_subscription_periods_anchor_on_the_start_day():
    p0 = subscription_period(date(2026, 1, 31), months=1)
    p1 = subscription_period(date(2026, 1, 31), months=1, index=1)
    p2 = subscription_period(date(2026, 1, 31), months=1, index=2)
    assert (p0.starts_on, p0.ends_on, p0.last_day) == (
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 2, 27),
    )
    assert (p1.starts_on, p1.ends_on) == (date(2026, 2, 28), date(2026, 3, 31))
    assert (p2.starts_on, p2.ends_on) == (date(2026, 3, 31), date(2026, 4, 30))
    annual = subscription_period(date(2026, 11, 23), years=1)
    assert annual.ends_on == date(2027, 11, 23)
    assert annual.ends_at == datetime(2027, 11, 22, 16, 0, tzinfo=UTC)
    with pytest.raises(DomainError) as e:
        subscription_period(date(2026, 1, 1))
    assert e.value.code == "subscription.period_invalid"
