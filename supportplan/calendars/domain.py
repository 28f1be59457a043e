"""Working-time arithmetic on business calendars. Pure: no ORM, no clock.

A `WorkCalendar` says, for every local date, which windows of the day are open:
weekly windows per weekday (lunch breaks are simply two windows), statutory
holidays (closed all day), adjusted working days (调休: open with the
`adjusted_windows`, usually a weekend day), and the years for which holiday data
is known. A year the data does not know falls back to the weekly windows alone
(weekends-only) and every answer that touched it carries that year in
`missing_years`, so callers can show "holiday data missing for 2027" instead of
silently pretending.

Speed: each calendar compiles (once, cached on the instance) a sorted list of its
open intervals as epoch microseconds with the cumulative business time before each
interval. A single question is then two `bisect` calls; the bulk API does the same
with numpy `searchsorted` over whole arrays.

Conventions (documented in docs/calendars.md):
- Intervals are half-open: a 09:00-18:00 window is open at 17:59:59.999999 and
  closed at 18:00:00.
- `add_business_time(cal, t, d)` is the earliest instant at which `d` of business
  time has elapsed since `t`; with d > 0 that may be exactly a window's end
  (09:00 + 9 h on 5x8 is 18:00 the same day, not 09:00 the next working day).
- The N-th working day after a date never counts the date itself.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from supportplan.core.errors import DomainError

StrOrPromise = str | Promise

DAY_SECONDS = 86_400
US = 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)

# Calendars are compiled year by year; beyond these bounds a question is a mistake.
MIN_YEAR = 1971
MAX_YEAR = 2200
# Years compiled around the first question; extended on demand.
_SPAN_BEFORE = 1
_SPAN_AFTER = 2

HOLIDAY_DATA_MISSING = "calendar.holiday_data_missing"

WEEKDAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _err(code: str, message: StrOrPromise, **params: Any) -> DomainError:
    return DomainError(code, message, **params)


# --------------------------------------------------------------------------- windows


@dataclass(frozen=True, slots=True, order=True)
class Window:
    """An open window of a day, in seconds after local midnight; end may be 86400 (24:00)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not (0 <= self.start < self.end <= DAY_SECONDS):
            raise _err(
                "calendar.window_invalid",
                _(
                    "A working window must start before it ends, between 00:00 and 24:00 "
                    "(got %(window)s)."
                ),
                window=f"{_fmt_sod(self.start)}-{_fmt_sod(self.end)}",
            )

    @classmethod
    def parse(cls, text: str) -> Window:
        """'09:00-18:00' or '00:00-24:00' (seconds optional: '09:00:30-18:00')."""
        try:
            a, b = (part.strip() for part in text.split("-"))
            return cls(_parse_sod(a), _parse_sod(b))
        except DomainError:
            raise
        except ValueError:
            raise _err(
                "calendar.window_unreadable",
                _(
                    "Cannot read working window %(window)s: write it as HH:MM-HH:MM, "
                    "for example 09:00-18:00."
                ),
                window=text,
            ) from None

    @classmethod
    def of(cls, start: time, end: time | None) -> Window:
        """`end=None` (or 00:00) means midnight at the end of the day."""
        s = start.hour * 3600 + start.minute * 60 + start.second
        e = DAY_SECONDS if end is None else end.hour * 3600 + end.minute * 60 + end.second
        if e == 0:
            e = DAY_SECONDS
        return cls(s, e)

    @property
    def start_time(self) -> time:
        return _sod_time(self.start)

    @property
    def end_time(self) -> time | None:
        """None for 24:00."""
        return None if self.end == DAY_SECONDS else _sod_time(self.end)

    def __str__(self) -> str:
        return f"{_fmt_sod(self.start)}-{_fmt_sod(self.end)}"


def _parse_sod(text: str) -> int:
    parts = [int(p) for p in text.split(":")]
    if len(parts) == 2:
        parts.append(0)
    if len(parts) != 3:
        raise ValueError(text)
    h, m, s = parts
    if not (0 <= m < 60 and 0 <= s < 60 and 0 <= h <= 24):
        raise ValueError(text)
    return h * 3600 + m * 60 + s


def _fmt_sod(sod: int) -> str:
    h, rest = divmod(sod, 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}" + (f":{s:02d}" if s else "")


def _sod_time(sod: int) -> time:
    h, rest = divmod(sod, 3600)
    m, s = divmod(rest, 60)
    return time(h, m, s)


def windows(*texts: str) -> tuple[Window, ...]:
    return tuple(Window.parse(t) for t in texts)


# --------------------------------------------------------------------------- calendar


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """A business calendar. Immutable; build a new one to change it.

    weekly: 7 tuples of windows, Monday first.
    holidays: dates closed all day (statutory holidays, including the weekend days of
        a holiday block).
    workdays: adjusted working days (调休), open with `adjusted_windows`
        (default: Monday's windows).
    known_years: years whose holiday data is complete; other years fall back to the
        weekly windows and are reported in `missing_years`.
    observes_holidays: False for calendars such as 7x24 that never close; they
        never report missing years.
    """

    code: str
    tz: str
    weekly: tuple[tuple[Window, ...], ...]
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    known_years: frozenset[int] = frozenset()
    observes_holidays: bool = True
    adjusted_windows: tuple[Window, ...] | None = None
    labels: Mapping[date, str] = field(default_factory=dict, compare=False, hash=False)
    _engine: _Engine | None = field(default=None, init=False, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        try:
            _zone(self.tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise _err(
                "calendar.tz_unknown",
                _("Unknown time zone %(tz)s: use an IANA name such as Asia/Shanghai."),
                tz=self.tz,
            ) from None
        if len(self.weekly) != 7:
            raise _err(
                "calendar.weekly_invalid",
                _("A calendar needs windows for exactly 7 weekdays, Monday first (got %(n)s)."),
                n=len(self.weekly),
            )
        for day_windows in (*self.weekly, self.adjusted_windows or ()):
            check_windows(day_windows)
        clash = sorted(self.holidays & self.workdays)
        if clash:
            raise _err(
                "calendar.day_both_holiday_and_workday",
                _("%(dates)s cannot be both a holiday and an adjusted working day: keep one."),
                dates=", ".join(d.isoformat() for d in clash),
            )

    # ---- facts per local date (the reference rules; the engine compiles these)

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.tz)

    def day_windows(self, day: date) -> tuple[Window, ...]:
        if not self.observes_holidays:
            return self.weekly[day.weekday()]
        if day in self.workdays:
            return self.adjusted_windows if self.adjusted_windows is not None else self.weekly[0]
        if day in self.holidays:
            return ()
        return self.weekly[day.weekday()]

    def day_kind(self, day: date) -> str:
        """workday | rest | holiday | adjusted_workday (for facts shown to people)."""
        if self.observes_holidays:
            if day in self.workdays:
                return "adjusted_workday"
            if day in self.holidays:
                return "holiday"
        return "workday" if self.weekly[day.weekday()] else "rest"

    def year_missing(self, year: int) -> bool:
        return self.observes_holidays and year not in self.known_years

    def engine(self) -> _Engine:
        eng = self._engine
        if eng is None:
            eng = _Engine(self)
            object.__setattr__(self, "_engine", eng)
        return eng


def check_windows(day_windows: Sequence[Window]) -> None:
    """Refuse overlapping windows of one day (DomainError calendar.windows_overlap)."""
    ordered = sorted(day_windows)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if b.start < a.end:
            raise _err(
                "calendar.windows_overlap",
                _(
                    "Working windows %(a)s and %(b)s overlap: make them separate, e.g. "
                    "09:00-12:00 and 13:30-18:00."
                ),
                a=str(a),
                b=str(b),
            )


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Computed[T]:
    """An answer plus the years it touched whose holiday data is missing."""

    value: T
    missing_years: tuple[int, ...] = ()

    @property
    def holiday_data_missing(self) -> bool:
        return bool(self.missing_years)

    def warning(self) -> str | None:
        """English text for logs/CLI; UIs translate via code HOLIDAY_DATA_MISSING."""
        if not self.missing_years:
            return None
        return "holiday data missing for " + ", ".join(map(str, self.missing_years))


@dataclass(frozen=True, slots=True)
class BulkComputed:
    """Bulk answer: epoch seconds (int64), a per-row missing-data mask, the years."""

    due: npt.NDArray[np.int64]
    missing: npt.NDArray[np.bool_]
    missing_years: tuple[int, ...]


# --------------------------------------------------------------------------- engine


def _out_of_range() -> DomainError:
    return _err(
        "calendar.out_of_range",
        _("Dates must lie between %(min)s and %(max)s."),
        min=MIN_YEAR,
        max=MAX_YEAR,
    )


class _Compiled:
    """Open intervals of one calendar over local years [lo, hi], as epoch microseconds
    with the business time before each interval. Never changed after __init__."""

    __slots__ = (
        "lo",
        "hi",
        "starts",
        "ends",
        "cum",
        "cum_end",
        "year_starts",
        "missing_prefix",
        "any_missing",
        "workday_ords",
        "np_starts",
        "np_ends",
        "np_cum",
        "np_cum_end",
        "np_year_starts",
        "np_missing_prefix",
    )

    def __init__(self, cal: WorkCalendar, lo: int, hi: int) -> None:
        lo = max(lo, MIN_YEAR)
        hi = min(hi, MAX_YEAR)
        zone = cal.zone
        first = date(lo, 1, 1)
        last = date(hi, 12, 31)
        range_start = _local_us(first, 0, zone)
        starts: list[int] = [range_start]  # zero-length sentinel: bisect never returns -1
        ends: list[int] = [range_start]
        workday_ords: list[int] = []
        d = first
        one = timedelta(days=1)
        while d <= last:
            wins = cal.day_windows(d)
            if wins:
                workday_ords.append(d.toordinal())
                for s, e in _day_intervals(d, wins, zone):
                    if s <= ends[-1]:
                        ends[-1] = max(ends[-1], e)  # merge touching windows (7x24: one interval)
                    else:
                        starts.append(s)
                        ends.append(e)
            d += one
        cum: list[int] = []
        cum_end: list[int] = []
        acc = 0
        for s, e in zip(starts, ends, strict=True):
            cum.append(acc)
            acc += e - s
            cum_end.append(acc)
        year_starts = [_local_us(date(y, 1, 1), 0, zone) for y in range(lo, hi + 2)]
        missing_prefix = [0]
        for y in range(lo, hi + 1):
            missing_prefix.append(missing_prefix[-1] + (1 if cal.year_missing(y) else 0))
        self.lo, self.hi = lo, hi
        self.starts, self.ends, self.cum, self.cum_end = starts, ends, cum, cum_end
        self.year_starts = year_starts
        self.missing_prefix = missing_prefix
        self.any_missing = missing_prefix[-1] > 0
        self.workday_ords = workday_ords
        self.np_starts = np.asarray(starts, dtype=np.int64) // US
        self.np_ends = np.asarray(ends, dtype=np.int64) // US
        self.np_cum = np.asarray(cum, dtype=np.int64) // US
        self.np_cum_end = np.asarray(cum_end, dtype=np.int64) // US
        self.np_year_starts = np.asarray(year_starts, dtype=np.int64) // US
        self.np_missing_prefix = np.asarray(missing_prefix, dtype=np.int64)

    def covers(self, t: int) -> bool:
        return self.year_starts[0] <= t < self.year_starts[-1]

    def position(self, t: int) -> int:
        """Business microseconds from the range start to t (t inside the range)."""
        i = bisect.bisect_right(self.starts, t) - 1
        e = self.ends[i]
        return self.cum[i] + (e if t > e else t) - self.starts[i]

    def missing_between(self, a: int, b: int) -> tuple[int, ...]:
        """Years without holiday data touched by [a, b] (both inside the range)."""
        if not self.any_missing:
            return ()
        ys = self.year_starts
        last = len(ys) - 2  # b may be exactly the range end: it belongs to year hi
        i = min(bisect.bisect_right(ys, a) - 1, last)
        j = min(bisect.bisect_right(ys, b) - 1, last)
        mp = self.missing_prefix
        if mp[j + 1] - mp[i] == 0:
            return ()
        return tuple(self.lo + k for k in range(i, j + 1) if mp[k + 1] - mp[k])


class _Engine:
    """Holds a calendar's current `_Compiled`. Growing the range builds a new one and
    swaps a single reference, so a concurrent reader always computes on one consistent
    state (every answer below uses one state from start to end)."""

    __slots__ = ("cal", "state")

    def __init__(self, cal: WorkCalendar) -> None:
        self.cal = cal
        self.state: _Compiled | None = None

    def covering_years(self, lo: int, hi: int) -> _Compiled:
        if lo < MIN_YEAR or hi > MAX_YEAR:
            raise _out_of_range()
        s = self.state
        if s is not None and s.lo <= lo and hi <= s.hi:
            return s
        new_lo = lo - _SPAN_BEFORE if s is None else min(lo - _SPAN_BEFORE, s.lo)
        new_hi = hi + _SPAN_AFTER if s is None else max(hi + _SPAN_AFTER, s.hi)
        s = _Compiled(self.cal, new_lo, new_hi)
        self.state = s
        return s

    def covering(self, *instants: int) -> _Compiled:
        s = self.state
        if s is not None and all(s.covers(t) for t in instants):
            return s
        years = [_year_of_us(t, self.cal.zone) for t in instants]
        return self.covering_years(min(years), max(years))

    def grown(self, s: _Compiled) -> _Compiled:
        """A state reaching further forward than `s`."""
        if s.hi >= MAX_YEAR:
            raise _out_of_range()
        cur = self.state
        if cur is not None and cur.hi > s.hi and cur.lo <= s.lo:
            return cur
        lo = s.lo if cur is None else min(s.lo, cur.lo)
        new = _Compiled(self.cal, lo, min(MAX_YEAR, s.hi + max(2, s.hi - s.lo + 1)))
        self.state = new
        return new

    def add(self, t: int, dur: int) -> tuple[int, _Compiled]:
        """(earliest instant with `dur` business µs elapsed since t, the state used)."""
        s = self.state
        if s is None or not s.covers(t):
            s = self.covering(t)
        while True:
            target = s.position(t) + dur
            if target <= s.cum_end[-1]:
                j = bisect.bisect_left(s.cum_end, target)
                r = s.starts[j] + target - s.cum[j]
                if r < s.year_starts[-1]:  # strictly inside, so its year is known too
                    return (r if r > t else t), s
            s = self.grown(s)

    def between(self, a: int, b: int) -> tuple[int, _Compiled]:
        """(business µs from a to b, a <= b, the state used)."""
        s = self.covering(a, b)
        return s.position(b) - s.position(a), s


def _local_us(d: date, sod: int, zone: ZoneInfo) -> int:
    if sod >= DAY_SECONDS:
        d = d + timedelta(days=sod // DAY_SECONDS)
        sod %= DAY_SECONDS
    h, rest = divmod(sod, 3600)
    m, s = divmod(rest, 60)
    local = datetime(d.year, d.month, d.day, h, m, s, tzinfo=zone)
    return (local - _EPOCH) // _ONE_US


def _offset_us(t: int, zone: ZoneInfo) -> int:
    offset = (_EPOCH + timedelta(microseconds=t)).astimezone(zone).utcoffset()
    return (offset or timedelta(0)) // _ONE_US


def _first_instant_of(d: date, zone: ZoneInfo) -> int:
    """The first instant whose local date is `d` (local midnight, or the end of a DST gap)."""
    wall = datetime(d.year, d.month, d.day, tzinfo=UTC)  # the wall clock, read as if UTC
    a = datetime(d.year, d.month, d.day, tzinfo=zone, fold=0)
    b = datetime(d.year, d.month, d.day, tzinfo=zone, fold=1)
    if a.utcoffset() == b.utcoffset():
        return (a - _EPOCH) // _ONE_US
    candidates = sorted(((a - _EPOCH) // _ONE_US, (b - _EPOCH) // _ONE_US))
    valid = [
        u
        for u in candidates
        if (_EPOCH + timedelta(microseconds=u)).astimezone(zone).replace(tzinfo=UTC) == wall
    ]
    if valid:
        return valid[0]  # midnight repeated by a fall-back: its first occurrence
    return _transition_after(
        candidates[0] - DAY_SECONDS * US, candidates[1] + DAY_SECONDS * US, zone
    )


def _transition_after(lo: int, hi: int, zone: ZoneInfo) -> int:
    """The first whole second in (lo, hi] whose UTC offset differs from lo's."""
    base = _offset_us(lo, zone)
    lo_s, hi_s = lo // US, -(-hi // US)
    while hi_s - lo_s > 1:
        mid = (lo_s + hi_s) // 2
        if _offset_us(mid * US, zone) == base:
            lo_s = mid
        else:
            hi_s = mid
    return hi_s * US


def _day_intervals(d: date, wins: Iterable[Window], zone: ZoneInfo) -> list[tuple[int, int]]:
    """The UTC µs intervals of the instants whose local date is `d` and whose local wall time
    falls in one of the windows: exact across DST gaps (a nonexistent wall time opens or
    closes at the transition) and overlaps (both occurrences of a repeated hour count)."""
    u0 = _first_instant_of(d, zone)
    u1 = _first_instant_of(d + timedelta(days=1), zone)
    wall0 = (datetime(d.year, d.month, d.day, tzinfo=UTC) - _EPOCH) // _ONE_US  # wall µs
    o0, o1 = _offset_us(u0, zone), _offset_us(u1 - 1, zone)
    if o0 == o1:
        segments = [(u0, u1, o0)]
    else:
        t = _transition_after(u0, u1 - 1, zone)
        segments = [(u0, t, o0), (t, u1, _offset_us(t, zone))]
    out: list[tuple[int, int]] = []
    for w in wins:
        ws, we = w.start * US, w.end * US
        for a, b, off in segments:
            lo = max(ws, a + off - wall0)
            hi = min(we, b + off - wall0)
            if lo < hi:
                out.append((lo - off + wall0, hi - off + wall0))
    out.sort()
    return out


def _year_of_us(t: int, zone: ZoneInfo) -> int:
    try:
        return (_EPOCH + timedelta(microseconds=t)).astimezone(zone).year
    except OverflowError:
        return MIN_YEAR - 1 if t < 0 else MAX_YEAR + 1


def to_us(instant: datetime) -> int:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise _err(
            "calendar.naive_datetime",
            _("The instant %(value)s has no time zone: give an offset such as +08:00."),
            value=instant.isoformat(),
        )
    return (instant - _EPOCH) // _ONE_US


def from_us(t: int) -> datetime:
    return _EPOCH + timedelta(microseconds=t)


# --------------------------------------------------------------------------- API


def add_business_time(
    cal: WorkCalendar, start: datetime, duration: timedelta
) -> Computed[datetime]:
    """The earliest instant at which `duration` of business time has elapsed since `start`.

    Returns an aware UTC datetime.
    """
    dur = duration // _ONE_US
    if dur < 0:
        raise _err(
            "calendar.negative_duration",
            _("A business duration cannot be negative (got %(value)s)."),
            value=str(duration),
        )
    eng = cal._engine or cal.engine()
    t = (start - _EPOCH) // _ONE_US if start.tzinfo is not None else to_us(start)
    r, s = eng.add(t, dur)
    return Computed(
        _EPOCH + timedelta(microseconds=r), s.missing_between(t, r) if s.any_missing else ()
    )


def business_time_between(cal: WorkCalendar, a: datetime, b: datetime) -> Computed[timedelta]:
    """Business time elapsed from a to b (negative if b is before a)."""
    ta, tb = to_us(a), to_us(b)
    if tb < ta:
        r = business_time_between(cal, b, a)
        return Computed(-r.value, r.missing_years)
    us, s = cal.engine().between(ta, tb)
    return Computed(timedelta(microseconds=us), s.missing_between(ta, tb))


def business_us_between(cal: WorkCalendar, ta: int, tb: int) -> tuple[int, tuple[int, ...]]:
    """(business µs from ta to tb, missing years) on epoch µs (ta <= tb), for loops."""
    us, s = cal.engine().between(ta, tb)
    return us, s.missing_between(ta, tb)


def add_business_us(cal: WorkCalendar, t: int, dur: int) -> tuple[int, tuple[int, ...]]:
    """(due instant, missing years) on epoch µs, for loops."""
    r, s = cal.engine().add(t, dur)
    return r, s.missing_between(t, r)


def is_open(cal: WorkCalendar, instant: datetime) -> Computed[bool]:
    """Whether the instant is inside service hours."""
    t = to_us(instant)
    s = cal.engine().covering(t)
    i = bisect.bisect_right(s.starts, t) - 1
    return Computed(s.starts[i] <= t < s.ends[i], s.missing_between(t, t))


def next_opening(cal: WorkCalendar, instant: datetime) -> Computed[datetime]:
    """The earliest instant >= `instant` at which the calendar is open (itself if open)."""
    t = to_us(instant)
    eng = cal.engine()
    s = eng.covering(t)
    while True:
        i = bisect.bisect_right(s.starts, t) - 1
        if t < s.ends[i]:
            r = t
            break
        if i + 1 < len(s.starts):
            r = s.starts[i + 1]
            break
        if s.hi >= MAX_YEAR or s.hi - _year_of_us(t, cal.zone) > 20:
            raise _err(
                "calendar.never_open",
                _("Calendar %(calendar)s has no working time after %(at)s."),
                calendar=cal.code,
                at=instant.isoformat(),
            )
        s = eng.grown(s)
    return Computed(from_us(r), s.missing_between(t, r))


def next_closing(cal: WorkCalendar, instant: datetime) -> Computed[datetime | None]:
    """When the open stretch around `instant` ends.

    None when closed at `instant`, or when the calendar stays open for more than a
    year from it (7x24 never closes).
    """
    t = to_us(instant)
    y = _year_of_us(t, cal.zone)
    s = cal.engine().covering_years(y, y + 1)
    i = bisect.bisect_right(s.starts, t) - 1
    if not (s.starts[i] <= t < s.ends[i]) or s.ends[i] >= s.year_starts[-1]:
        return Computed(None, s.missing_between(t, t))
    return Computed(from_us(s.ends[i]), s.missing_between(t, s.ends[i]))


def is_working_day(cal: WorkCalendar, day: date) -> Computed[bool]:
    missing = (day.year,) if cal.year_missing(day.year) else ()
    return Computed(bool(cal.day_windows(day)), missing)


def nth_working_day_after(cal: WorkCalendar, day: date, n: int) -> Computed[date]:
    """The N-th working day after `day`, not counting `day` (Mon 2026-11-23, 3 -> Thu 26)."""
    if n < 1:
        raise _err(
            "calendar.n_invalid",
            _("The number of working days must be 1 or more (got %(n)s)."),
            n=n,
        )
    eng = cal.engine()
    s = eng.covering_years(day.year, day.year)
    o = day.toordinal()
    while True:
        ords = s.workday_ords
        k = bisect.bisect_right(ords, o) + n - 1
        if k < len(ords):
            result = date.fromordinal(ords[k])
            break
        if s.hi - day.year > 50 or s.hi >= MAX_YEAR:
            raise _err(
                "calendar.never_open",
                _("Calendar %(calendar)s has no working time after %(at)s."),
                calendar=cal.code,
                at=day.isoformat(),
            )
        s = eng.grown(s)
    missing = tuple(y for y in range(day.year, result.year + 1) if cal.year_missing(y))
    return Computed(result, missing)


def working_days_between(cal: WorkCalendar, a: date, b: date) -> Computed[int]:
    """Working days d with a < d <= b (0 if b <= a)."""
    if b <= a:
        return Computed(0, ())
    s = cal.engine().covering_years(a.year, b.year)
    ords = s.workday_ords
    count = bisect.bisect_right(ords, b.toordinal()) - bisect.bisect_right(ords, a.toordinal())
    missing = tuple(y for y in range(a.year, b.year + 1) if cal.year_missing(y))
    return Computed(count, missing)


@dataclass(frozen=True, slots=True)
class DayFact:
    day: date
    kind: str  # holiday | adjusted_workday
    label: str


def special_days_between(cal: WorkCalendar, a: date, b: date) -> list[DayFact]:
    """Holidays and adjusted working days with a <= d <= b (the facts a due time used)."""
    if not cal.observes_holidays:
        return []
    out = [DayFact(d, "holiday", cal.labels.get(d, "")) for d in cal.holidays if a <= d <= b]
    out += [
        DayFact(d, "adjusted_workday", cal.labels.get(d, "")) for d in cal.workdays if a <= d <= b
    ]
    return sorted(out, key=lambda f: f.day)


def local_date(cal: WorkCalendar, instant: datetime) -> date:
    return instant.astimezone(cal.zone).date()


def bulk_add_seconds(
    cal: WorkCalendar,
    starts: npt.NDArray[np.int64],
    durations: npt.NDArray[np.int64],
) -> BulkComputed:
    """Vectorised `add_business_time` on epoch seconds and durations in seconds."""
    starts = np.asarray(starts, dtype=np.int64)
    durations = np.asarray(durations, dtype=np.int64)
    if starts.size == 0:
        return BulkComputed(np.empty(0, np.int64), np.zeros(0, np.bool_), ())
    if (durations < 0).any():
        raise _err(
            "calendar.negative_duration",
            _("A business duration cannot be negative (got %(value)s)."),
            value=str(int(durations.min())),
        )
    eng = cal.engine()
    s = eng.covering(int(starts.min()) * US, int(starts.max()) * US)
    while True:
        st, en, cu = s.np_starts, s.np_ends, s.np_cum
        i = np.searchsorted(st, starts, side="right") - 1
        pos = cu[i] + np.minimum(starts, en[i]) - st[i]
        target = pos + durations
        if int(target.max()) <= int(s.np_cum_end[-1]):
            j = np.searchsorted(s.np_cum_end, target, side="left")
            due = st[j] + (target - cu[j])
            if int(due.max()) < int(s.np_year_starts[-1]):
                break
        s = eng.grown(s)
    np.maximum(due, starts, out=due)
    if not s.any_missing:
        return BulkComputed(due, np.zeros(due.shape, np.bool_), ())
    ys = s.np_year_starts
    last = len(ys) - 2
    yi = np.minimum(np.searchsorted(ys, starts, side="right") - 1, last)
    yj = np.minimum(np.searchsorted(ys, due, side="right") - 1, last)
    mp = s.np_missing_prefix
    missing = (mp[yj + 1] - mp[yi]) > 0
    years: set[int] = set()
    if missing.any():
        for a, b in {(int(x), int(y)) for x, y in zip(yi[missing], yj[missing], strict=True)}:
            years.update(s.lo + k for k in range(a, b + 1) if mp[k + 1] - mp[k])
    return BulkComputed(due, missing, tuple(sorted(years)))


# --------------------------------------------------------------------------- builders


def weekly_from(mapping: Mapping[int, Iterable[Window]]) -> tuple[tuple[Window, ...], ...]:
    return tuple(tuple(sorted(mapping.get(i, ()))) for i in range(7))


def make_7x24(code: str = "7x24", tz: str = "Asia/Shanghai") -> WorkCalendar:
    full = (Window(0, DAY_SECONDS),)
    return WorkCalendar(code=code, tz=tz, weekly=(full,) * 7, observes_holidays=False)


def make_weekly(
    code: str,
    tz: str,
    day_windows: Sequence[Window],
    *,
    weekdays: Iterable[int] = range(5),
    holidays: Iterable[date] = (),
    workdays: Iterable[date] = (),
    known_years: Iterable[int] = (),
    labels: Mapping[date, str] | None = None,
) -> WorkCalendar:
    wds = set(weekdays)
    weekly = tuple(tuple(sorted(day_windows)) if i in wds else () for i in range(7))
    return WorkCalendar(
        code=code,
        tz=tz,
        weekly=weekly,
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
        known_years=frozenset(known_years),
        adjusted_windows=tuple(sorted(day_windows)),
        labels=dict(labels or {}),
    )
