"""The built-in calendars: 7x24 and 5x8 (09:00-18:00 Asia/Shanghai, Chinese working days).

The 5x8 built here reads holiday data straight from the chinesecalendar library; the
running product builds it from the calendar tables instead (selectors.py), which start
as a copy of the same data and can be edited by administrators.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from .domain import Window, WorkCalendar, make_7x24, make_weekly

BUSINESS_TZ = "Asia/Shanghai"
CODE_7X24 = "7x24"
CODE_5X8 = "5x8"
WINDOW_5X8 = Window.parse("09:00-18:00")


@lru_cache(maxsize=1)
def chinese_holiday_data() -> tuple[dict[date, str], dict[date, str], frozenset[int]]:
    """(holidays, adjusted working days, known years) as the library ships them."""
    import chinese_calendar

    holidays = {d: str(name) for d, name in chinese_calendar.holidays.items()}
    workdays = {d: str(name) for d, name in chinese_calendar.workdays.items()}
    # The library lists only statutory holidays and adjusted working days; a year is
    # known when it has any holiday entry.
    years = frozenset(d.year for d in holidays)
    return holidays, workdays, years


def builtin_7x24() -> WorkCalendar:
    return make_7x24(CODE_7X24, BUSINESS_TZ)


def builtin_5x8(*, known_years: frozenset[int] | None = None) -> WorkCalendar:
    """5x8 on the library's data; `known_years` can narrow the data (tests of fallback)."""
    holidays, workdays, years = chinese_holiday_data()
    keep = years if known_years is None else known_years
    hol = {d: n for d, n in holidays.items() if d.year in keep}
    wrk = {d: n for d, n in workdays.items() if d.year in keep}
    return make_weekly(
        CODE_5X8,
        BUSINESS_TZ,
        (WINDOW_5X8,),
        holidays=hol,
        workdays=wrk,
        known_years=keep,
        labels={**hol, **wrk},
    )
