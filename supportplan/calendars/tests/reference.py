"""Brute-force reference for the calendar engine: walks minute by minute.

Written from the rules (local date -> windows of that day), not from the compiled
intervals, so the property tests compare two independent implementations. Valid for
calendars whose windows start and end on whole minutes and zones whose offsets are
whole minutes (every real zone today).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from supportplan.calendars.domain import WorkCalendar

MINUTE = timedelta(minutes=1)


def ref_open(cal: WorkCalendar, t: datetime) -> bool:
    local = t.astimezone(cal.zone)
    sod = local.hour * 3600 + local.minute * 60 + local.second
    return any(w.start <= sod < w.end for w in cal.day_windows(local.date()))


def _next_minute(t: datetime) -> datetime:
    return t.replace(second=0, microsecond=0) + MINUTE


def ref_add(
    cal: WorkCalendar, start: datetime, duration: timedelta, *, limit_days: int = 60
) -> datetime:
    cur = start.astimezone(UTC)
    remaining = duration
    if remaining <= timedelta(0):
        return cur
    stop = cur + timedelta(days=limit_days)
    while cur < stop:
        nxt = _next_minute(cur)
        step = nxt - cur
        if ref_open(cal, cur):
            if remaining <= step:
                return cur + remaining
            remaining -= step
        cur = nxt
    raise AssertionError("reference walked past its limit")


def ref_between(cal: WorkCalendar, a: datetime, b: datetime) -> timedelta:
    cur = a.astimezone(UTC)
    end = b.astimezone(UTC)
    total = timedelta(0)
    while cur < end:
        nxt = min(_next_minute(cur), end)
        if ref_open(cal, cur):
            total += nxt - cur
        cur = nxt
    return total


def ref_next_opening(cal: WorkCalendar, t: datetime, *, limit_days: int = 60) -> datetime:
    cur = t.astimezone(UTC)
    stop = cur + timedelta(days=limit_days)
    while cur < stop:
        if ref_open(cal, cur):
            return cur
        cur = _next_minute(cur)
    raise AssertionError("reference walked past its limit")


def ref_nth_working_day(cal: WorkCalendar, day: date, n: int) -> date:
    d = day
    while n:
        d += timedelta(days=1)
        if cal.day_windows(d):
            n -= 1
    return d
