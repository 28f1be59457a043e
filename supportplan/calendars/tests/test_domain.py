"""Working-time arithmetic: named cases from the 2026 calendar (SPEC §2) and properties
checked against a minute-by-minute reference."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportplan.calendars.builtins import builtin_5x8, builtin_7x24
from supportplan.calendars.domain import (
    Window,
    WorkCalendar,
    add_business_time,
    bulk_add_seconds,
    business_time_between,
    is_open,
    is_working_day,
    make_weekly,
    next_closing,
    next_opening,
    nth_working_day_after,
    special_days_between,
    windows,
    working_days_between,
)
from supportplan.core.errors import DomainError

from .reference import ref_add, ref_between, ref_next_opening, ref_nth_working_day, ref_open

SH = ZoneInfo("Asia/Shanghai")
CAL = builtin_5x8()
ALWAYS = builtin_7x24()
LUNCH = make_weekly(
    "lunch",
    "Asia/Shanghai",
    windows("09:00-12:00", "13:30-18:00"),
    holidays=CAL.holidays,
    workdays=CAL.workdays,
    known_years=CAL.known_years,
)


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def td(**kw: float) -> timedelta:
    return timedelta(**kw)


# --------------------------------------------------------------------------- 2026 data


def test_2026_holiday_data_matches_spec():
    spec_holidays = set()
    for a, b in [
        ((1, 1), (1, 3)),
        ((2, 15), (2, 23)),
        ((4, 4), (4, 6)),
        ((5, 1), (5, 5)),
        ((6, 19), (6, 21)),
        ((9, 25), (9, 27)),
        ((10, 1), (10, 7)),
    ]:
        d = date(2026, *a)
        while d <= date(2026, *b):
            spec_holidays.add(d)
            d += timedelta(days=1)
    assert {d for d in CAL.holidays if d.year == 2026} == spec_holidays
    assert {d for d in CAL.workdays if d.year == 2026} == {
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    }
    assert 2026 in CAL.known_years
    assert 2027 not in CAL.known_years


# --------------------------------------------------------------------------- add


ADD_CASES = [
    # (id, calendar, start (Asia/Shanghai), duration, expected (Asia/Shanghai), missing years)
    ("inside-window", CAL, sh(2026, 11, 25, 10, 0), td(minutes=30), sh(2026, 11, 25, 10, 30), ()),
    ("before-opening", CAL, sh(2026, 11, 25, 8, 0), td(minutes=10), sh(2026, 11, 25, 9, 10), ()),
    (
        "17:59:59+1s-is-18:00",
        CAL,
        sh(2026, 11, 26, 17, 59, 59),
        td(seconds=1),
        sh(2026, 11, 26, 18, 0),
        (),
    ),
    (
        "17:59:59+2s-next-morning",
        CAL,
        sh(2026, 11, 26, 17, 59, 59),
        td(seconds=2),
        sh(2026, 11, 27, 9, 0, 1),
        (),
    ),
    (
        "18:00:00-is-closed",
        CAL,
        sh(2026, 11, 26, 18, 0, 0),
        td(seconds=1),
        sh(2026, 11, 27, 9, 0, 1),
        (),
    ),
    (
        "full-day-ends-at-18:00",
        CAL,
        sh(2026, 11, 23, 9, 0),
        td(hours=9),
        sh(2026, 11, 23, 18, 0),
        (),
    ),
    (
        "full-day-minus-1s",
        CAL,
        sh(2026, 11, 23, 9, 0),
        td(hours=8, minutes=59, seconds=59),
        sh(2026, 11, 23, 17, 59, 59),
        (),
    ),
    (
        "full-day-plus-1s",
        CAL,
        sh(2026, 11, 23, 9, 0),
        td(hours=9, seconds=1),
        sh(2026, 11, 24, 9, 0, 1),
        (),
    ),
    ("friday-to-monday", CAL, sh(2026, 11, 27, 17, 30), td(hours=1), sh(2026, 11, 30, 9, 30), ()),
    ("saturday-start", CAL, sh(2026, 11, 28, 12, 0), td(hours=3), sh(2026, 11, 30, 12, 0), ()),
    (
        "16h-general-guidance",
        CAL,
        sh(2026, 11, 23, 14, 0),
        td(hours=16),
        sh(2026, 11, 25, 12, 0),
        (),
    ),
    (
        "zero-duration-is-start",
        CAL,
        sh(2026, 11, 28, 12, 0),
        timedelta(0),
        sh(2026, 11, 28, 12, 0),
        (),
    ),
    # holiday blocks and 调休 (adjusted working days)
    (
        "new-year-to-adjusted-sunday",
        CAL,
        sh(2025, 12, 31, 17, 0),
        td(hours=2),
        sh(2026, 1, 4, 10, 0),
        (),
    ),
    (
        "friday-to-adjusted-sat-feb14",
        CAL,
        sh(2026, 2, 13, 17, 0),
        td(hours=2),
        sh(2026, 2, 14, 10, 0),
        (),
    ),
    ("spring-festival-block", CAL, sh(2026, 2, 14, 17, 0), td(hours=2), sh(2026, 2, 24, 10, 0), ()),
    ("adjusted-sat-feb28", CAL, sh(2026, 2, 27, 17, 0), td(hours=2), sh(2026, 2, 28, 10, 0), ()),
    ("qingming-block", CAL, sh(2026, 4, 3, 17, 0), td(hours=2), sh(2026, 4, 7, 10, 0), ()),
    ("labour-day-block", CAL, sh(2026, 4, 30, 17, 0), td(hours=2), sh(2026, 5, 6, 10, 0), ()),
    ("adjusted-sat-may9", CAL, sh(2026, 5, 8, 17, 0), td(hours=2), sh(2026, 5, 9, 10, 0), ()),
    ("dragon-boat-block", CAL, sh(2026, 6, 18, 17, 0), td(hours=2), sh(2026, 6, 22, 10, 0), ()),
    ("adjusted-sun-sep20", CAL, sh(2026, 9, 18, 17, 0), td(hours=2), sh(2026, 9, 20, 10, 0), ()),
    ("mid-autumn-block", CAL, sh(2026, 9, 24, 17, 0), td(hours=2), sh(2026, 9, 28, 10, 0), ()),
    ("national-day-block", CAL, sh(2026, 9, 30, 17, 0), td(hours=2), sh(2026, 10, 8, 10, 0), ()),
    (
        "opened-on-national-day",
        CAL,
        sh(2026, 10, 1, 9, 0),
        td(minutes=30),
        sh(2026, 10, 8, 9, 30),
        (),
    ),
    ("adjusted-sat-oct10", CAL, sh(2026, 10, 9, 17, 0), td(hours=2), sh(2026, 10, 10, 10, 0), ()),
    (
        "ordinary-sat-oct17-closed",
        CAL,
        sh(2026, 10, 16, 17, 0),
        td(hours=2),
        sh(2026, 10, 19, 10, 0),
        (),
    ),
    # a year without holiday data: weekends-only, flagged
    (
        "into-2027-no-data",
        CAL,
        sh(2026, 12, 31, 17, 0),
        td(hours=2),
        sh(2027, 1, 1, 10, 0),
        (2027,),
    ),
    (
        "inside-2027-weekend",
        CAL,
        sh(2027, 1, 8, 17, 0),
        td(hours=2),
        sh(2027, 1, 11, 10, 0),
        (2027,),
    ),
    ("2026-only-no-flag", CAL, sh(2026, 12, 30, 17, 0), td(hours=2), sh(2026, 12, 31, 10, 0), ()),
    # 7x24 ignores holidays and never flags
    ("7x24-on-holiday", ALWAYS, sh(2026, 10, 1, 9, 0), td(minutes=10), sh(2026, 10, 1, 9, 10), ()),
    (
        "7x24-across-midnight",
        ALWAYS,
        sh(2026, 12, 31, 23, 50),
        td(minutes=30),
        sh(2027, 1, 1, 0, 20),
        (),
    ),
    ("7x24-2h", ALWAYS, sh(2027, 2, 6, 23, 0), td(hours=2), sh(2027, 2, 7, 1, 0), ()),
    # lunch break
    (
        "lunch-break-skipped",
        LUNCH,
        sh(2026, 11, 23, 11, 50),
        td(minutes=20),
        sh(2026, 11, 23, 13, 40),
        (),
    ),
    ("lunch-end-edge", LUNCH, sh(2026, 11, 23, 11, 0), td(hours=1), sh(2026, 11, 23, 12, 0), ()),
    (
        "start-in-lunch",
        LUNCH,
        sh(2026, 11, 23, 12, 30),
        td(minutes=1),
        sh(2026, 11, 23, 13, 31),
        (),
    ),
    (
        "microseconds-kept",
        CAL,
        sh(2026, 11, 23, 17, 59, 59).replace(microsecond=250_000),
        td(seconds=1),
        sh(2026, 11, 24, 9, 0, 0).replace(microsecond=250_000),
        (),
    ),
]


@pytest.mark.parametrize(
    "cal,start,duration,expected,missing",
    [c[1:] for c in ADD_CASES],
    ids=[c[0] for c in ADD_CASES],
)
def test_add_business_time(cal, start, duration, expected, missing):
    r = add_business_time(cal, start, duration)
    assert r.value == expected
    assert r.value.tzinfo is UTC
    assert r.missing_years == missing
    assert r.holiday_data_missing is bool(missing)


def test_missing_flag_text():
    r = add_business_time(CAL, sh(2026, 12, 31, 17, 0), td(hours=2))
    assert r.warning() == "holiday data missing for 2027"
    assert add_business_time(CAL, sh(2026, 11, 23, 9), td(hours=1)).warning() is None


def test_add_rejects_naive_and_negative():
    with pytest.raises(DomainError) as e:
        add_business_time(CAL, datetime(2026, 1, 5, 9), td(hours=1))
    assert e.value.code == "calendar.naive_datetime"
    with pytest.raises(DomainError) as e:
        add_business_time(CAL, sh(2026, 1, 5, 9), td(hours=-1))
    assert e.value.code == "calendar.negative_duration"


def test_long_duration_extends_compiled_range():
    # 3,000 business hours on 5x8 = 333 working days and a bit: walks into 2027.
    r = add_business_time(CAL, sh(2026, 1, 5, 9), td(hours=3000))
    assert r.value == ref_add(CAL, sh(2026, 1, 5, 9), td(hours=3000), limit_days=500)
    assert r.missing_years == (2027,)
    # 20,000 hours (about nine years) forces the compiled range to grow several times.
    far = add_business_time(CAL, sh(2026, 1, 5, 9), td(hours=20000))
    assert business_time_between(CAL, sh(2026, 1, 5, 9), far.value).value == td(hours=20000)
    last_year = far.value.astimezone(SH).year
    assert last_year > 2033
    assert far.missing_years == tuple(range(2027, last_year + 1))


# --------------------------------------------------------------------------- between


BETWEEN_CASES = [
    ("same-window", CAL, sh(2026, 11, 23, 9), sh(2026, 11, 23, 18), td(hours=9), ()),
    ("over-night", CAL, sh(2026, 11, 23, 17), sh(2026, 11, 24, 10), td(hours=2), ()),
    ("over-weekend", CAL, sh(2026, 11, 27, 17), sh(2026, 11, 30, 10), td(hours=2), ()),
    ("over-national-day", CAL, sh(2026, 9, 30, 17), sh(2026, 10, 8, 10), td(hours=2), ()),
    ("including-adjusted-sat", CAL, sh(2026, 10, 9, 9), sh(2026, 10, 12, 9), td(hours=18), ()),
    ("both-closed", CAL, sh(2026, 10, 3, 9), sh(2026, 10, 4, 20), timedelta(0), ()),
    (
        "edge-second",
        CAL,
        sh(2026, 11, 23, 17, 59, 59),
        sh(2026, 11, 23, 18, 0, 1),
        td(seconds=1),
        (),
    ),
    ("into-2027", CAL, sh(2026, 12, 31, 9), sh(2027, 1, 4, 9), td(hours=18), (2027,)),
    ("7x24", ALWAYS, sh(2026, 9, 30, 17), sh(2026, 10, 8, 10), td(days=7, hours=17), ()),
    ("lunch", LUNCH, sh(2026, 11, 23, 9), sh(2026, 11, 23, 18), td(hours=7, minutes=30), ()),
    ("reversed-is-negative", CAL, sh(2026, 11, 23, 11), sh(2026, 11, 23, 10), td(hours=-1), ()),
]


@pytest.mark.parametrize(
    "cal,a,b,expected,missing",
    [c[1:] for c in BETWEEN_CASES],
    ids=[c[0] for c in BETWEEN_CASES],
)
def test_business_time_between(cal, a, b, expected, missing):
    r = business_time_between(cal, a, b)
    assert r.value == expected
    assert r.missing_years == missing


# --------------------------------------------------------------------------- open / next opening


OPEN_CASES = [
    ("09:00:00-open", CAL, sh(2026, 11, 23, 9, 0, 0), True, ()),
    ("08:59:59-closed", CAL, sh(2026, 11, 23, 8, 59, 59), False, ()),
    ("17:59:59-open", CAL, sh(2026, 11, 23, 17, 59, 59), True, ()),
    ("18:00:00-closed", CAL, sh(2026, 11, 23, 18, 0, 0), False, ()),
    ("national-day-closed", CAL, sh(2026, 10, 1, 10), False, ()),
    ("adjusted-sat-open", CAL, sh(2026, 10, 10, 10), True, ()),
    ("ordinary-sat-closed", CAL, sh(2026, 10, 17, 10), False, ()),
    ("2027-new-year-fallback-open", CAL, sh(2027, 1, 1, 10), True, (2027,)),
    ("7x24-holiday-night", ALWAYS, sh(2026, 10, 1, 3), True, ()),
    ("lunch-closed", LUNCH, sh(2026, 11, 23, 12, 0), False, ()),
    ("lunch-reopens", LUNCH, sh(2026, 11, 23, 13, 30), True, ()),
]


@pytest.mark.parametrize(
    "cal,at,expected,missing", [c[1:] for c in OPEN_CASES], ids=[c[0] for c in OPEN_CASES]
)
def test_is_open(cal, at, expected, missing):
    r = is_open(cal, at)
    assert r.value is expected
    assert r.missing_years == missing


NEXT_OPENING_CASES = [
    ("open-now-is-itself", CAL, sh(2026, 11, 23, 10, 0, 5), sh(2026, 11, 23, 10, 0, 5)),
    ("after-hours-friday", CAL, sh(2026, 11, 27, 18, 0), sh(2026, 11, 30, 9, 0)),
    ("national-day", CAL, sh(2026, 10, 1, 10), sh(2026, 10, 8, 9, 0)),
    ("before-adjusted-sat", CAL, sh(2026, 10, 9, 19), sh(2026, 10, 10, 9, 0)),
    ("lunch", LUNCH, sh(2026, 11, 23, 12, 10), sh(2026, 11, 23, 13, 30)),
]


@pytest.mark.parametrize(
    "cal,at,expected", [c[1:] for c in NEXT_OPENING_CASES], ids=[c[0] for c in NEXT_OPENING_CASES]
)
def test_next_opening(cal, at, expected):
    assert next_opening(cal, at).value == expected


def test_next_closing():
    assert next_closing(CAL, sh(2026, 11, 23, 10)).value == sh(2026, 11, 23, 18)
    assert next_closing(CAL, sh(2026, 11, 23, 19)).value is None
    assert next_closing(CAL, sh(2026, 9, 30, 17, 30)).value == sh(2026, 9, 30, 18)
    assert next_closing(ALWAYS, sh(2026, 11, 23, 10)).value is None  # never closes


# --------------------------------------------------------------------------- working days


NTH_CASES = [
    ("spec-example", date(2026, 11, 23), 3, date(2026, 11, 26), ()),
    ("from-saturday", date(2026, 11, 28), 1, date(2026, 11, 30), ()),
    ("over-national-day", date(2026, 9, 30), 1, date(2026, 10, 8), ()),
    ("adjusted-saturday-counts", date(2026, 9, 30), 3, date(2026, 10, 10), ()),
    ("adjusted-feb14", date(2026, 2, 13), 1, date(2026, 2, 14), ()),
    ("spring-festival", date(2026, 2, 13), 2, date(2026, 2, 24), ()),
    ("ten-working-days-escort", date(2026, 9, 21), 10, date(2026, 10, 12), ()),
    ("into-2027", date(2026, 12, 30), 3, date(2027, 1, 4), (2027,)),
]


@pytest.mark.parametrize(
    "day,n,expected,missing", [c[1:] for c in NTH_CASES], ids=[c[0] for c in NTH_CASES]
)
def test_nth_working_day_after(day, n, expected, missing):
    r = nth_working_day_after(CAL, day, n)
    assert r.value == expected
    assert r.missing_years == missing
    assert r.value == ref_nth_working_day(CAL, day, n)


def test_nth_working_day_rejects_zero():
    with pytest.raises(DomainError) as e:
        nth_working_day_after(CAL, date(2026, 11, 23), 0)
    assert e.value.code == "calendar.n_invalid"


def test_working_day_facts():
    assert is_working_day(CAL, date(2026, 10, 10)).value is True
    assert is_working_day(CAL, date(2026, 10, 1)).value is False
    assert is_working_day(CAL, date(2027, 1, 1)).missing_years == (2027,)
    assert working_days_between(CAL, date(2026, 9, 30), date(2026, 10, 10)).value == 3
    assert CAL.day_kind(date(2026, 10, 10)) == "adjusted_workday"
    assert CAL.day_kind(date(2026, 10, 1)) == "holiday"
    assert CAL.day_kind(date(2026, 10, 17)) == "rest"
    assert CAL.day_kind(date(2026, 10, 16)) == "workday"
    facts = special_days_between(CAL, date(2026, 10, 6), date(2026, 10, 10))
    assert [(f.day, f.kind) for f in facts] == [
        (date(2026, 10, 6), "holiday"),
        (date(2026, 10, 7), "holiday"),
        (date(2026, 10, 10), "adjusted_workday"),
    ]
    assert facts[0].label == "National Day"


# --------------------------------------------------------------------------- validation


def test_calendar_validation_errors():
    with pytest.raises(DomainError) as e:
        Window.parse("18:00-09:00")
    assert e.value.code == "calendar.window_invalid"
    with pytest.raises(DomainError) as e:
        Window.parse("nine to six")
    assert e.value.code == "calendar.window_unreadable"
    with pytest.raises(DomainError) as e:
        make_weekly("x", "Asia/Shanghai", windows("09:00-12:00", "11:00-18:00"))
    assert e.value.code == "calendar.windows_overlap"
    with pytest.raises(DomainError) as e:
        make_weekly("x", "Mars/Olympus", windows("09:00-18:00"))
    assert e.value.code == "calendar.tz_unknown"
    with pytest.raises(DomainError) as e:
        make_weekly(
            "x",
            "Asia/Shanghai",
            windows("09:00-18:00"),
            holidays=[date(2026, 10, 10)],
            workdays=[date(2026, 10, 10)],
        )
    assert e.value.code == "calendar.day_both_holiday_and_workday"
    assert str(Window.parse("00:00-24:00")) == "00:00-24:00"


# --------------------------------------------------------------------------- bulk


def test_bulk_matches_single_path():
    starts = [
        sh(2026, 9, 30, 17),
        sh(2026, 11, 26, 17, 59, 59),
        sh(2026, 12, 31, 17),
        sh(2026, 10, 1, 9),
        sh(2026, 2, 14, 17),
    ]
    durations = [td(hours=2), td(seconds=2), td(hours=2), td(minutes=30), td(hours=2)]
    s = np.array([int(x.timestamp()) for x in starts], dtype=np.int64)
    d = np.array([int(x.total_seconds()) for x in durations], dtype=np.int64)
    r = bulk_add_seconds(CAL, s, d)
    expected = [add_business_time(CAL, a, b) for a, b in zip(starts, durations, strict=True)]
    assert [datetime.fromtimestamp(int(x), UTC) for x in r.due] == [e.value for e in expected]
    assert r.missing.tolist() == [bool(e.missing_years) for e in expected]
    assert r.missing_years == (2027,)
    r24 = bulk_add_seconds(ALWAYS, s, d)
    assert (r24.due == s + d).all()
    assert r24.missing_years == ()


# --------------------------------------------------------------------------- properties

# Instants between 2025-12-20 and 2027-01-20 cover every 2026 block and the 2027 fallback.
LO = int(sh(2025, 12, 20).timestamp())
HI = int(sh(2027, 1, 20).timestamp())
instants = st.integers(LO, HI).map(lambda s: datetime.fromtimestamp(s, UTC))
durations = st.integers(0, 20 * 3600).map(lambda s: timedelta(seconds=s))
PROP = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROP
@given(start=instants, duration=durations)
def test_property_add_matches_reference_5x8(start, duration):
    r = add_business_time(CAL, start, duration)
    assert r.value == ref_add(CAL, start, duration)


@PROP
@given(start=instants, duration=durations)
def test_property_add_matches_reference_lunch(start, duration):
    assert add_business_time(LUNCH, start, duration).value == ref_add(LUNCH, start, duration)


@PROP
@given(a=instants, span=st.integers(0, 4 * 86400))
def test_property_between_matches_reference(a, span):
    b = a + timedelta(seconds=span)
    assert business_time_between(CAL, a, b).value == ref_between(CAL, a, b)


@PROP
@given(start=instants, duration=durations)
def test_property_add_then_between_roundtrip(start, duration):
    due = add_business_time(CAL, start, duration).value
    assert business_time_between(CAL, start, due).value == duration
    assert due >= start


@PROP
@given(at=instants)
def test_property_open_and_next_opening(at):
    assert is_open(CAL, at).value is ref_open(CAL, at)
    assert next_opening(CAL, at).value == ref_next_opening(CAL, at)


@PROP
@given(day=st.dates(date(2025, 12, 20), date(2027, 1, 20)), n=st.integers(1, 15))
def test_property_nth_working_day(day, n):
    r = nth_working_day_after(CAL, day, n)
    assert r.value == ref_nth_working_day(CAL, day, n)
    assert r.missing_years == ((2027,) if r.value.year == 2027 else ())


minute_of_day = st.integers(0, 24 * 60)


@st.composite
def random_calendars(draw):
    """Random weekly windows (minute precision, lunch breaks), holidays, adjusted days,
    a zone with DST, and a random set of known years."""
    tz = draw(st.sampled_from(["Asia/Shanghai", "Europe/Berlin", "America/New_York"]))
    weekly = []
    for _ in range(7):
        cuts = sorted(set(draw(st.lists(minute_of_day, max_size=4))))
        if len(cuts) % 2:
            cuts = cuts[:-1]
        weekly.append(
            tuple(Window(a * 60, b * 60) for a, b in zip(cuts[::2], cuts[1::2], strict=True))
        )
    days = st.dates(date(2026, 1, 1), date(2027, 2, 28))
    holidays = frozenset(draw(st.lists(days, max_size=25)))
    workdays = frozenset(draw(st.lists(days, max_size=8))) - holidays
    known = frozenset(draw(st.sets(st.sampled_from([2025, 2026, 2027]))))
    if not any(weekly):
        weekly[0] = (Window(9 * 3600, 10 * 3600),)
    return WorkCalendar(
        code="rnd",
        tz=tz,
        weekly=tuple(weekly),
        holidays=holidays,
        workdays=workdays,
        known_years=known,
        adjusted_windows=(Window(10 * 3600, 16 * 3600),),
    )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cal=random_calendars(), start=instants, data=st.data())
def test_property_random_calendars(cal, start, data):
    # Bound the duration by eight weeks of open time so the reference walk stays short.
    weekly_open = sum(w.end - w.start for day in cal.weekly for w in day)
    d = timedelta(seconds=data.draw(st.integers(0, min(8 * 3600, 8 * weekly_open))))
    r = add_business_time(cal, start, d)
    assert r.value == ref_add(cal, start, d, limit_days=120)
    expected_missing = tuple(
        y
        for y in range(start.astimezone(cal.zone).year, r.value.astimezone(cal.zone).year + 1)
        if y not in cal.known_years
    )
    assert r.missing_years == expected_missing
    assert is_open(cal, start).value is ref_open(cal, start)
    assert business_time_between(cal, start, r.value).value == d


def test_answer_at_the_first_instant_of_an_unknown_year_is_flagged():
    # A calendar open around the clock that still observes holidays: the due time is
    # exactly 2027-01-01 00:00, which lies in the year without data.
    full = make_weekly(
        "full", "Asia/Shanghai", windows("00:00-24:00"), weekdays=range(7), known_years={2026}
    )
    r = add_business_time(full, sh(2026, 12, 31, 23), td(hours=1))
    assert (r.value, r.missing_years) == (sh(2027, 1, 1, 0), (2027,))
    # and across a fresh, narrow compiled range the answer is the same
    fresh = make_weekly(
        "full", "Asia/Shanghai", windows("00:00-24:00"), weekdays=range(7), known_years={2026}
    )
    far = add_business_time(fresh, sh(2026, 1, 1, 0), td(days=365 * 3))
    assert far.value == sh(2028, 12, 31, 0)  # 2028 is a leap year
    assert far.missing_years == (2027, 2028)


# DST edges found by the property test: a window ending inside the spring-forward gap closes
# at the transition, and a repeated (fall-back) hour is open in both occurrences.
NY_SUNDAY_NIGHT = WorkCalendar(
    code="ny",
    tz="America/New_York",
    weekly=((), (), (), (), (), (), (Window(0, 2 * 3600 + 60),)),
    holidays=frozenset(),
    workdays=frozenset(),
    known_years=frozenset(),
    adjusted_windows=(Window(10 * 3600, 16 * 3600),),
)


@pytest.mark.parametrize(
    "start,seconds",
    [
        (datetime(2026, 2, 15, 7, 0, 58, tzinfo=UTC), 21723),  # the shrunk failing example
        (datetime(2026, 3, 8, 5, 0, tzinfo=UTC), 2 * 3600 + 30),  # across the spring gap
        (datetime(2026, 11, 1, 4, 0, tzinfo=UTC), 3 * 3600),  # across the repeated hour
    ],
)
def test_dst_gap_and_overlap_match_the_reference(start, seconds):
    d = timedelta(seconds=seconds)
    assert add_business_time(NY_SUNDAY_NIGHT, start, d).value == ref_add(
        NY_SUNDAY_NIGHT, start, d, limit_days=120
    )
    end = start + timedelta(days=30)
    assert business_time_between(NY_SUNDAY_NIGHT, start, end).value == ref_between(
        NY_SUNDAY_NIGHT, start, end
    )
