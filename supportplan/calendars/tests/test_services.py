"""Calendar tables, imports, administrator edits, cache invalidation, recalculation hooks
and the missing-holiday-data warning (database tests)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from supportplan.calendars import recalc, selectors, services
from supportplan.calendars.builtins import builtin_5x8
from supportplan.calendars.domain import add_business_time
from supportplan.calendars.models import (
    Calendar,
    DayKind,
    HolidayDay,
    HolidaySource,
    HolidayYear,
)
from supportplan.calendars.notice import NoticeInvalid, load_notice_text
from supportplan.core.errors import DomainError
from supportplan.core.models import AuditEntry
from supportplan.core.testing import T0

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")

# Test data shaped like an official notice. The dates are invented for the test (2027's
# real notice is not published at the time of writing) — only their shape matters.
NOTICE_2027 = """
year: 2027
title: TEST notice for 2027 (invented dates)
holidays:
  - name: {zh-hans: 元旦, en: New Year's Day}
    from: 2027-01-01
    to: 2027-01-03
  - name: {zh-hans: 春节, en: Spring Festival}
    from: 2027-02-05
    to: 2027-02-12
workdays:
  - date: 2027-02-13
    name: {zh-hans: 春节调休, en: Spring Festival}
"""


def sh(*a: int) -> datetime:
    return datetime(*a, tzinfo=SH)


@pytest.fixture
def hooked():
    calls: list[tuple[str, datetime]] = []

    def hook(*, as_of: datetime, calendar_code: str) -> int:
        calls.append((calendar_code, as_of))
        return 1

    recalc.register(hook)
    yield calls
    recalc.unregister(hook)


def test_fresh_database_has_builtins_and_library_data():
    five = selectors.calendar_for("5x8")
    lib = builtin_5x8()
    assert five.holidays == lib.holidays
    assert five.workdays == lib.workdays
    assert five.known_years == lib.known_years
    assert five.adjusted_windows is not None and str(five.adjusted_windows[0]) == "09:00-18:00"
    always = selectors.calendar_for("7x24")
    assert always.observes_holidays is False
    assert HolidayDay.objects.get(date=date(2026, 10, 1)).name_zh_hans == "国庆节"
    assert HolidayDay.objects.get(date=date(2026, 10, 10)).kind == DayKind.WORKDAY
    # the table-built calendar answers exactly like the library-built one
    r = add_business_time(five, sh(2026, 9, 30, 17), timedelta(hours=2))
    assert r.value == sh(2026, 10, 8, 10)


def test_library_import_is_idempotent(hooked, django_capture_on_commit_callbacks):
    before = AuditEntry.objects.filter(action="calendar.changed").count()
    with django_capture_on_commit_callbacks(execute=True):
        report = services.holidays_import_library(at=T0)
    assert report.touched is False
    assert 2026 in report.years_unchanged
    assert AuditEntry.objects.filter(action="calendar.changed").count() == before
    assert hooked == []


def test_library_import_restores_deleted_rows_and_skips_admin_years(
    hooked, django_capture_on_commit_callbacks
):
    HolidayDay.objects.filter(date=date(2026, 10, 7)).delete()  # simulate drift
    with django_capture_on_commit_callbacks(execute=True):
        report = services.holidays_import_library(at=T0, years=[2026])
    assert (report.added, report.years_updated) == (1, (2026,))
    assert hooked == [("5x8", T0)]
    entry = AuditEntry.objects.filter(action="calendar.changed").latest("id")
    assert entry.data["reason"] == "library_import"
    assert entry.data["calendars"] == ["5x8"]

    day = HolidayDay(
        holiday_year=HolidayYear.objects.get(year=2026),
        date=date(2026, 11, 24),
        kind=DayKind.HOLIDAY,
        name_en="Company day",
    )
    services.holiday_day_save(day=day, actor=None, at=T0)
    skipped = services.holidays_import_library(at=T0, years=[2026])
    assert skipped.years_skipped == (2026,)
    assert HolidayDay.objects.filter(date=date(2026, 11, 24)).exists()
    forced = services.holidays_import_library(at=T0, years=[2026], force=True)
    assert forced.removed == 1
    assert HolidayYear.objects.get(year=2026).source == HolidaySource.LIBRARY


def test_library_import_of_unknown_year_is_refused():
    with pytest.raises(DomainError) as e:
        services.holidays_import_library(at=T0, years=[2027])
    assert e.value.code == "calendar.library_has_no_year"
    assert "import-notice" in e.value.message
    assert not HolidayYear.objects.filter(year=2027).exists()


def test_notice_import_makes_2027_known_and_recalculates(
    hooked, django_capture_on_commit_callbacks
):
    cal = selectors.calendar_for("5x8")
    before = add_business_time(cal, sh(2026, 12, 31, 17), timedelta(hours=2))
    assert (before.value, before.missing_years) == (sh(2027, 1, 1, 10), (2027,))
    token = selectors.revision()
    with django_capture_on_commit_callbacks(execute=True):
        report = services.holidays_import_notice(
            notice=load_notice_text(NOTICE_2027, "2027.yaml"), at=T0, filename="2027.yaml"
        )
    assert (report.years_created, report.added) == ((2027,), 12)
    assert selectors.revision() != token
    cal = selectors.calendar_for("5x8")
    after = add_business_time(cal, sh(2026, 12, 31, 17), timedelta(hours=2))
    # Jan 1-3 2027 are holidays now; Jan 4 2027 is a Monday
    assert (after.value, after.missing_years) == (sh(2027, 1, 4, 10), ())
    # adjusted working Saturday Feb 13 2027
    sat = add_business_time(cal, sh(2027, 2, 4, 17), timedelta(hours=2))
    assert sat.value == sh(2027, 2, 13, 10)
    hy = HolidayYear.objects.get(year=2027)
    assert (hy.source, hy.note) == (HolidaySource.NOTICE, "TEST notice for 2027 (invented dates)")
    entry = AuditEntry.objects.filter(action="calendar.changed").latest("id")
    assert entry.data["reason"] == "notice_import"
    assert entry.data["year"] == 2027
    assert hooked == [("5x8", T0)]
    rec = AuditEntry.objects.filter(action="calendar.recalculated").latest("id")
    assert rec.data == {"calendars": ["5x8"], "changed": {"5x8": 1}}
    # the same file again changes nothing
    again = services.holidays_import_notice(notice=load_notice_text(NOTICE_2027), at=T0)
    assert again.touched is False


NOTICE_PROBLEMS = [
    ("year: twenty\nholidays: []", ["year: write the year as a number"]),
    (
        "year: 2027\nholidays:\n  - {name: X, from: 2027-10-07, to: 2027-10-01}",
        ["holidays[0]: 'to' 2027-10-01 is before 'from' 2027-10-07"],
    ),
    (
        "year: 2027\nworkdays:\n  - {date: 2027-02-10}",
        ["workdays[0]: 2027-02-10 is a weekday"],
    ),
    (
        "year: 2027\nholidays:\n  - {name: X, from: 2027-10-01}\nworkdays: [2027-10-01]",
        ["2027-10-01 is a weekday"],
    ),
    (
        "year: 2027\nholidays:\n  - {name: X, from: 2027-10-02}\nworkdays: [2027-10-02]",
        ["workdays[0]: 2027-10-02 is listed twice"],
    ),
    (
        "year: 2027\nholiday: []\nholidays:\n  - {name: X, from: 2028-10-01}",
        ["unknown keys holiday", "2028-10-01 is not in 2027"],
    ),
    ("year: 2027\nholidays: [{name: X, from: 2027-13-01}]", ["must be dates like 2027-10-01"]),
    ("year: 2027\n", ["lists no holidays and no adjusted working days"]),
    ("year: [2027\n", ["not valid YAML or JSON (line"]),
]


@pytest.mark.parametrize("text,fragments", NOTICE_PROBLEMS)
def test_bad_notice_lists_every_problem_and_writes_nothing(text, fragments):
    with pytest.raises(NoticeInvalid) as e:
        load_notice_text(text, "bad.yaml")
    assert e.value.code == "calendar.notice_invalid"
    for fragment in fragments:
        assert any(fragment in p for p in e.value.problems), (fragment, e.value.problems)
    assert "bad.yaml" in e.value.message
    assert not HolidayYear.objects.filter(year=2027).exists()


def test_notice_file_missing(tmp_path):
    with pytest.raises(NoticeInvalid) as e:
        services.holidays_import_notice_file(tmp_path / "nope.yaml", at=T0)
    assert "no such file" in e.value.message


def test_admin_holiday_edit_invalidates_the_cache(django_capture_on_commit_callbacks, hooked):
    cal = selectors.calendar_for("5x8")
    assert selectors.calendar_for("5x8") is cal  # cached
    day = HolidayDay(
        holiday_year=HolidayYear.objects.get(year=2026),
        date=date(2026, 11, 24),
        kind=DayKind.HOLIDAY,
        name_zh_hans="公司日",
        name_en="Company day",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.holiday_day_save(day=day, actor=None, at=T0)
    new = selectors.calendar_for("5x8")
    assert new is not cal
    r = add_business_time(new, sh(2026, 11, 23, 17), timedelta(hours=2))
    assert r.value == sh(2026, 11, 25, 10)
    assert HolidayYear.objects.get(year=2026).source == HolidaySource.ADMIN
    assert hooked == [("5x8", T0)]
    with django_capture_on_commit_callbacks(execute=True):
        services.holiday_day_delete(day=day, actor=None, at=T0)
    r = add_business_time(selectors.calendar_for("5x8"), sh(2026, 11, 23, 17), timedelta(hours=2))
    assert r.value == sh(2026, 11, 24, 10)


def test_admin_workday_on_a_weekday_is_refused():
    day = HolidayDay(
        holiday_year=HolidayYear.objects.get(year=2026),
        date=date(2026, 11, 25),
        kind=DayKind.WORKDAY,
    )
    with pytest.raises(DomainError) as e:
        services.holiday_day_save(day=day, actor=None, at=T0)
    assert e.value.code == "calendar.workday_on_weekday"
    assert not HolidayDay.objects.filter(date=date(2026, 11, 25)).exists()


def test_deleting_a_year_falls_back_to_weekends_and_flags():
    services.holiday_year_delete(holiday_year=HolidayYear.objects.get(year=2026), actor=None, at=T0)
    r = add_business_time(selectors.calendar_for("5x8"), sh(2026, 9, 30, 17), timedelta(hours=2))
    assert (r.value, r.missing_years) == (sh(2026, 10, 1, 10), (2026,))


def test_windows_replace_lunch_break_and_overlap_refused(django_capture_on_commit_callbacks):
    cal_row = Calendar.objects.create(code="lunch", name_zh_hans="午休", name_en="Lunch")
    with pytest.raises(DomainError) as e:
        services.working_windows_replace(
            calendar=cal_row,
            windows={0: [(time(9), time(12)), (time(11), time(18))]},
            actor=None,
            at=T0,
        )
    assert e.value.code == "calendar.windows_overlap"
    spans = [(time(9), time(12)), (time(13, 30), time(18))]
    services.working_windows_replace(
        calendar=cal_row, windows={d: spans for d in (0, 1, 2, 3, 4, 7)}, actor=None, at=T0
    )
    lunch = selectors.calendar_for("lunch")
    r = add_business_time(lunch, sh(2026, 11, 23, 11, 50), timedelta(minutes=20))
    assert r.value == sh(2026, 11, 23, 13, 40)
    assert lunch.known_years == builtin_5x8().known_years


def test_builtin_calendar_cannot_be_deleted_or_renamed():
    five = Calendar.objects.get(code="5x8")
    with pytest.raises(DomainError) as e:
        services.calendar_delete(calendar=five, actor=None, at=T0)
    assert e.value.code == "calendar.builtin_delete"
    five.code = "five"
    with pytest.raises(DomainError) as e:
        services.calendar_save(calendar=five, actor=None, at=T0)
    assert e.value.code == "calendar.builtin_code"


def test_unknown_calendar_lists_known_codes():
    with pytest.raises(DomainError) as e:
        selectors.calendar_for("6x9")
    assert e.value.code == "calendar.unknown"
    assert e.value.params["known"] == "5x8, 7x24"
    assert e.value.status == 404


@pytest.mark.parametrize(
    "as_of,expected",
    [
        (sh(2026, 10, 31, 23, 59, 59), []),
        (sh(2026, 11, 1, 0, 0), [(2027, "warning")]),
        (sh(2026, 12, 31, 12), [(2027, "warning")]),
        (sh(2027, 1, 5, 9), [(2027, "error")]),
        (sh(2027, 11, 2, 9), [(2027, "error"), (2028, "warning")]),
    ],
)
def test_holiday_data_warnings_from_first_of_november(as_of, expected):
    warnings = selectors.holiday_data_warnings(as_of)
    assert [(w.year, w.level) for w in warnings] == expected
    for w in warnings:
        assert w.calendars == ("5x8",)
        assert "import-notice" in w.message


def test_warning_disappears_once_next_year_is_imported():
    services.holidays_import_notice(notice=load_notice_text(NOTICE_2027), at=T0)
    assert selectors.holiday_data_warnings(sh(2026, 11, 23, 9)) == []


def test_holiday_data_check_audits_once():
    out = services.holiday_data_check(as_of=sh(2026, 11, 23, 9))
    assert [(w["year"], w["level"]) for w in out] == [(2027, "warning")]
    services.holiday_data_check(as_of=sh(2026, 11, 24, 9))
    entries = AuditEntry.objects.filter(action="calendar.holiday_data_missing")
    assert entries.count() == 1
    assert entries.get().data == {
        "region": "cn",
        "year": 2027,
        "level": "warning",
        "calendars": ["5x8"],
    }


def test_recalculation_task_runs_every_hook_per_calendar(hooked):
    from supportplan.calendars.tasks import recalculate_due_times

    result = recalculate_due_times.enqueue(["5x8", "lunch"], T0.isoformat())
    assert result.return_value == {"calendars": ["5x8", "lunch"], "changed": {"5x8": 1, "lunch": 1}}
    assert hooked == [("5x8", T0), ("lunch", T0)]
