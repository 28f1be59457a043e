"""Reads of calendar data. Calendars are not tenant-owned.

`calendar_for(code)` builds the pure `WorkCalendar` from the tables and caches it per
process by the data revision: every edit changes the revision, so each process rebuilds on
its next read (the check costs one primary-key query).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime

from django.utils.translation import gettext_lazy as _

from supportplan.core.compiled import CompiledRead
from supportplan.core.errors import DomainError

from .domain import Window, WorkCalendar
from .models import Calendar, CalendarRevision, DayKind, HolidayDay, HolidayYear

_cache: dict[tuple[str, str], WorkCalendar] = {}
_lock = threading.Lock()

BUSINESS_TZ = "Asia/Shanghai"
WARN_FROM_MONTH = 11  # warn administrators from 1 November about next year's data


class CalendarUnknown(DomainError):
    status = 404


# Read before every SLA computation: compiled once (core.compiled).
_REVISION = CompiledRead(
    lambda pk: CalendarRevision.objects.filter(pk=pk).order_by("pk").values_list("token")[:1],
    pk=-987_654_321,
)


def revision() -> str:
    rows = _REVISION.rows(pk=1)
    return (rows[0][0] if rows else "") or ""


def calendar_for(code: str) -> WorkCalendar:
    """The business calendar with this code ('5x8', '7x24', ...), from the tables."""
    key = (code, revision())
    cal = _cache.get(key)
    if cal is None:
        cal = _build(code)
        with _lock:
            for old in [k for k in _cache if k[0] == code]:
                del _cache[old]
            _cache[key] = cal
    return cal


def _build(code: str) -> WorkCalendar:
    row = Calendar.objects.filter(code=code).first()
    if row is None:
        known = ", ".join(Calendar.objects.order_by("code").values_list("code", flat=True))
        raise CalendarUnknown(
            "calendar.unknown",
            _("There is no business calendar %(calendar)s; known calendars: %(known)s."),
            calendar=code,
            known=known or "-",
        )
    by_day: dict[int, list[Window]] = {}
    for wd, start, end in row.windows.values_list("weekday", "start", "end"):
        by_day.setdefault(wd, []).append(Window.of(start, end))
    weekly = tuple(tuple(sorted(by_day.get(i, ()))) for i in range(7))
    adjusted = tuple(sorted(by_day[7])) if 7 in by_day else None
    if not row.holiday_region:
        return WorkCalendar(code=row.code, tz=row.tz, weekly=weekly, observes_holidays=False)
    holidays: set[date] = set()
    workdays: set[date] = set()
    labels: dict[date, str] = {}
    for d, kind, zh, en in HolidayDay.objects.filter(region=row.holiday_region).values_list(
        "date", "kind", "name_zh_hans", "name_en"
    ):
        (workdays if kind == DayKind.WORKDAY else holidays).add(d)
        labels[d] = en or zh
    years = frozenset(
        HolidayYear.objects.filter(region=row.holiday_region).values_list("year", flat=True)
    )
    return WorkCalendar(
        code=row.code,
        tz=row.tz,
        weekly=weekly,
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
        known_years=years,
        observes_holidays=True,
        adjusted_windows=adjusted,
        labels=labels,
    )


def calendar_row(code: str) -> Calendar:
    row = Calendar.objects.filter(code=code).first()
    if row is None:
        _build(code)  # raises CalendarUnknown with the list of known codes
    assert row is not None
    return row


def working_days_calendar() -> WorkCalendar:
    """The calendar of Chinese working days (lead times, report deadlines): 5x8."""
    return calendar_for("5x8")


# --------------------------------------------------------------------------- warnings


@dataclass(frozen=True)
class HolidayDataWarning:
    region: str
    year: int
    level: str  # "error": the current year is missing; "warning": next year, from 1 Nov
    calendars: tuple[str, ...]

    @property
    def code(self) -> str:
        return "calendar.holiday_data_missing"

    @property
    def message(self) -> str:
        if self.level == "error":
            text = _(
                "Holiday data for %(year)s is missing: calendars %(calendars)s count only "
                "weekends this year and flag their results. Import the official notice "
                "(supportplan calendar import-notice FILE) or, after updating chinesecalendar, "
                "run supportplan calendar import-library."
            )
        else:
            text = _(
                "Holiday data for %(year)s is not available yet: from 1 January calendars "
                "%(calendars)s will count only weekends. Import the official notice "
                "(supportplan calendar import-notice FILE) or, after updating chinesecalendar, "
                "run supportplan calendar import-library."
            )
        return str(text) % {"year": self.year, "calendars": ", ".join(self.calendars)}


def holiday_data_warnings(as_of: datetime) -> list[HolidayDataWarning]:
    """What administrators must be told about missing holiday data at `as_of`."""
    from zoneinfo import ZoneInfo

    today = as_of.astimezone(ZoneInfo(BUSINESS_TZ)).date()
    out: list[HolidayDataWarning] = []
    regions: dict[str, list[str]] = {}
    for code, region in Calendar.objects.exclude(holiday_region="").values_list(
        "code", "holiday_region"
    ):
        regions.setdefault(region, []).append(code)
    for region, codes in sorted(regions.items()):
        known = set(HolidayYear.objects.filter(region=region).values_list("year", flat=True))
        if today.year not in known:
            out.append(HolidayDataWarning(region, today.year, "error", tuple(sorted(codes))))
        if today.month >= WARN_FROM_MONTH and today.year + 1 not in known:
            out.append(HolidayDataWarning(region, today.year + 1, "warning", tuple(sorted(codes))))
    return out
