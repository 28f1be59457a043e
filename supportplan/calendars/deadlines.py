"""Every date rule of the product in one place (SPEC §2). Pure: calendars are passed in.

- earliest start of a value-added service: the N-th working day after the application;
- the monthly-report deadline: end of the 10th, one day later per statutory-holiday
  rest day on the 1st-10th, and later still while the deadline is itself a holiday;
- subscription periods: N months / N years from a start date, clamped to month ends.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from supportplan.core.errors import DomainError

from .domain import Computed, WorkCalendar, nth_working_day_after

StrOrPromise = str | Promise

REPORT_BASE_DAY = 10


def _err(code: str, message: StrOrPromise, **params: Any) -> DomainError:
    return DomainError(code, message, **params)


# --------------------------------------------------------------------------- lead time


@dataclass(frozen=True, slots=True)
class LeadTimeCheck:
    earliest: date  # the N-th working day after the application date
    ok: bool  # the requested start is on or after `earliest`
    working_days: int


def earliest_service_start(
    cal: WorkCalendar, applied_on: date, working_days: int
) -> Computed[date]:
    """Applied Monday 2026-11-23 with N = 3 -> Thursday 2026-11-26."""
    return nth_working_day_after(cal, applied_on, working_days)


def check_lead_time(
    cal: WorkCalendar, applied_on: date, start_on: date, working_days: int
) -> Computed[LeadTimeCheck]:
    """Is `start_on` at least N working days after `applied_on`? (Blocking or only a
    warning is the caller's choice: the catalog says required or recommended.)"""
    earliest = earliest_service_start(cal, applied_on, working_days)
    return Computed(
        LeadTimeCheck(earliest.value, start_on >= earliest.value, working_days),
        earliest.missing_years,
    )


# --------------------------------------------------------------------------- monthly report


@dataclass(frozen=True, slots=True)
class ReportDeadline:
    year: int
    month: int
    day: date  # deliver by the end of this local day
    due_at: datetime  # the first instant that is late: local midnight after `day`, in UTC
    holiday_rest_days: tuple[date, ...]  # statutory-holiday rest days on the 1st-10th
    pushed_over: tuple[date, ...]  # holidays the deadline itself landed on and moved past


def monthly_report_deadline(cal: WorkCalendar, year: int, month: int) -> Computed[ReportDeadline]:
    """The delivery deadline for the report about month (`year`, `month`) - 1, delivered
    in `month` (SPEC §2: Jan 2026 -> Jan 13, May -> May 15, Oct -> Oct 17, Feb -> Feb 10).

    Only statutory holidays count (not ordinary weekends, not adjusted working days).
    A year without holiday data counts none and is reported in missing_years.
    """
    if not (1 <= month <= 12):
        raise _err(
            "report.month_invalid",
            _("Month %(month)s does not exist: use 1-12 (e.g. 2026-10)."),
            month=month,
        )
    rest = tuple(
        d
        for d in (date(year, month, k) for k in range(1, REPORT_BASE_DAY + 1))
        if d in cal.holidays
    )
    day = date(year, month, REPORT_BASE_DAY) + timedelta(days=len(rest))
    pushed: list[date] = []
    while day in cal.holidays:
        pushed.append(day)
        day += timedelta(days=1)
    missing = tuple(y for y in sorted({year, day.year}) if cal.year_missing(y))
    due_local = datetime.combine(day + timedelta(days=1), time(0), tzinfo=cal.zone)
    return Computed(
        ReportDeadline(year, month, day, due_local.astimezone(UTC), rest, tuple(pushed)),
        missing,
    )


def parse_year_month(text: str) -> tuple[int, int]:
    """'2026-10' -> (2026, 10), with a clear error otherwise."""
    try:
        y, m = text.strip().split("-")
        year, month = int(y), int(m)
        if not (1 <= month <= 12) or len(y) != 4:
            raise ValueError
    except ValueError:
        raise _err(
            "report.month_unreadable",
            _("Cannot read the month %(value)s: write it as YYYY-MM, e.g. 2026-10."),
            value=text,
        ) from None
    return year, month


# --------------------------------------------------------------------------- subscriptions


def add_months(start: date, months: int) -> date:
    """Calendar months later, clamped to the end of a shorter month (Jan 31 + 1 -> Feb 28)."""
    index = start.year * 12 + (start.month - 1) + months
    year, month0 = divmod(index, 12)
    last = _stdlib_calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(start.day, last))


@dataclass(frozen=True, slots=True)
class Period:
    starts_on: date
    ends_on: date  # exclusive: the first day no longer covered
    ends_at: datetime  # local midnight at the start of `ends_on`, in UTC

    @property
    def last_day(self) -> date:
        return self.ends_on - timedelta(days=1)


def subscription_period(
    start: date, *, months: int = 0, years: int = 0, tz: str = "Asia/Shanghai", index: int = 0
) -> Period:
    """The `index`-th period (0 = first) of `months`+`years` each, anchored on `start`.

    Periods are computed from the anchor, not chained, so a subscription started on the
    31st keeps ending on month ends: Jan 31 -> Feb 28 -> Mar 31 (not Mar 28).
    """
    length = months + 12 * years
    if length <= 0:
        raise _err(
            "subscription.period_invalid",
            _("A subscription period must be at least one month (got %(months)s months)."),
            months=length,
        )
    from zoneinfo import ZoneInfo

    first = add_months(start, length * index)
    end = add_months(start, length * (index + 1))
    ends_at = datetime.combine(end, time(0), tzinfo=ZoneInfo(tz)).astimezone(UTC)
    return Period(first, end, ends_at)
