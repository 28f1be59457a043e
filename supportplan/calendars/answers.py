"""The operator questions the CLI and the API both answer, as plain dicts (JSON-ready,
instants in ISO 8601 with the Asia/Shanghai offset).

- `sla_due`: when is the first response due for (provider, plan, severity, channel, opened)?
- `workday`: the N-th working day after a date;
- `report_deadline`: the monthly-report deadline of a month.

Each answer lists the calendar facts it used, and `warnings` when a year's holiday data
was missing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from supportplan.core.errors import DomainError

from .deadlines import monthly_report_deadline, parse_year_month
from .domain import WorkCalendar, nth_working_day_after, special_days_between

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def iso(instant: datetime) -> str:
    return instant.astimezone(BUSINESS_TZ).isoformat()


def parse_instant(text: str, field: str = "opened") -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise DomainError(
            "calendar.instant_unreadable",
            _("Cannot read %(field)s=%(value)s: write it like 2026-10-01T09:00+08:00."),
            field=field,
            value=text,
        ) from None
    if value.tzinfo is None:
        raise DomainError(
            "calendar.naive_datetime",
            _("The instant %(value)s has no time zone: give an offset such as +08:00."),
            value=text,
        )
    return value


def parse_day(text: str, field: str = "after") -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise DomainError(
            "calendar.date_unreadable",
            _("Cannot read %(field)s=%(value)s: write the date as YYYY-MM-DD, e.g. 2026-11-23."),
            field=field,
            value=text,
        ) from None


def parameter_missing(name: str) -> DomainError:
    return DomainError(
        "api.parameter_missing",
        _("The query parameter %(name)s is required."),
        field=name,
        name=name,
    )


def parse_int(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise DomainError(
            "api.parameter_invalid",
            _("%(name)s must be a whole number (got %(value)s)."),
            field=name,
            name=name,
            value=text,
        ) from None


def duration_text(d: timedelta) -> str:
    secs = int(d.total_seconds())
    days, rest = divmod(secs, 86400)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    parts = [f"{days}d" if days else "", f"{h}h" if h else "", f"{m}m" if m else ""]
    parts.append(f"{s}s" if s else "")
    return "".join(parts) or "0s"


def calendar_facts(cal: WorkCalendar) -> dict[str, Any]:
    week: dict[str, list[str]] = {}
    for i, day in enumerate(cal.weekly):
        week[WEEKDAYS[i].lower()] = [str(w) for w in day]
    facts: dict[str, Any] = {
        "code": cal.code,
        "tz": cal.tz,
        "weekly": week,
        "observes_holidays": cal.observes_holidays,
    }
    if cal.observes_holidays:
        facts["adjusted_workday_windows"] = [
            str(w)
            for w in (cal.adjusted_windows if cal.adjusted_windows is not None else cal.weekly[0])
        ]
        facts["holiday_years_known"] = _year_ranges(sorted(cal.known_years))
    return facts


def _year_ranges(years: Sequence[int]) -> str:
    if not years:
        return "-"
    out, start, prev = [], years[0], years[0]
    for y in [*years[1:], None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        out.append(f"{start}" if start == prev else f"{start}-{prev}")
        if y is not None:
            start = prev = y
    return ", ".join(out)


def warnings_for(missing_years: Sequence[int]) -> list[dict[str, Any]]:
    return [
        {
            "code": "calendar.holiday_data_missing",
            "year": y,
            "message": gettext(
                "Holiday data missing for %(year)s: counted weekends only (Monday-Friday "
                "working days)."
            )
            % {"year": y},
        }
        for y in missing_years
    ]


def day_ranges(days: Sequence[dict[str, str]]) -> list[str]:
    """Consecutive days of the same kind and name as one line: '2026-10-01..2026-10-07
    holiday National Day' (for text output; JSON keeps every day)."""
    out: list[list[Any]] = []
    for d in days:
        day = date.fromisoformat(d["date"])
        if out and out[-1][1] + timedelta(days=1) == day and out[-1][2:] == [d["kind"], d["name"]]:
            out[-1][1] = day
        else:
            out.append([day, day, d["kind"], d["name"]])
    lines = []
    for first, last, kind, name in out:
        span = first.isoformat() if first == last else f"{first}..{last}"
        lines.append(f"{span} {kind} {name}".rstrip())
    return lines


def _special_days(cal: WorkCalendar, a: date, b: date) -> list[dict[str, str]]:
    return [
        {"date": f.day.isoformat(), "kind": f.kind, "name": f.label}
        for f in special_days_between(cal, a, b)
    ]


# --------------------------------------------------------------------------- questions


def sla_due(
    catalog: Any,
    *,
    plan: str,
    severity: str,
    channel: str,
    opened: datetime,
    calendars: Callable[[str], WorkCalendar],
    escort_days: Sequence[tuple[date, date]] = (),
) -> dict[str, Any]:
    """First-response due time of a new case; escort_days are inclusive local date ranges
    of booked escorts (the urgent override applies during them)."""
    from supportplan.sla.domain import escort_from_service, first_response_due, policy_from_catalog

    escorts = []
    if escort_days:
        p = catalog.plan(plan) if _has(catalog, "plan", plan) else None
        service = None
        if p is not None:
            service = next(
                (g.service for g in p.services if g.service.urgent_first_response is not None),
                None,
            )
        if service is None:
            raise DomainError(
                "sla.no_escort_in_plan",
                _("Plan %(plan)s has no escort service that overrides the first response."),
                plan=plan,
            )
        for first, last in escort_days:
            start = datetime.combine(first, time(0), BUSINESS_TZ)
            end = datetime.combine(last + timedelta(days=1), time(0), BUSINESS_TZ)
            e = escort_from_service(service, start, end, calendars)
            if e is not None:
                escorts.append(e)
    policy = policy_from_catalog(
        catalog,
        plan=plan,
        severity=severity,
        channel=channel,
        opened_at=opened,
        calendars=calendars,
        escorts=escorts,
    )
    target = policy.first_response
    due = first_response_due(policy, opened)
    cal = target.calendar
    a = opened.astimezone(cal.zone).date()
    b = due.value.astimezone(cal.zone).date()
    return {
        "provider": catalog.provider.code,
        "plan": plan,
        "severity": severity,
        "channel": channel,
        "opened": iso(opened),
        "due": iso(due.value),
        "target": duration_text(target.duration),
        "target_seconds": int(target.duration.total_seconds()),
        "rule": target.source,
        "calendar": calendar_facts(cal),
        "special_days": _special_days(cal, a, b),
        "escorts": [{"start": iso(e.start), "end": iso(e.end)} for e in escorts],
        "missing_years": list(due.missing_years),
        "warnings": warnings_for(due.missing_years),
    }


def _has(catalog: Any, kind: str, code: str) -> bool:
    try:
        getattr(catalog, kind)(code)
    except LookupError:
        return False
    return True


def workday(cal: WorkCalendar, after: date, n: int) -> dict[str, Any]:
    r = nth_working_day_after(cal, after, n)
    skipped = []
    d = after + timedelta(days=1)
    while d < r.value:
        if not cal.day_windows(d):
            skipped.append(
                {"date": d.isoformat(), "kind": cal.day_kind(d), "name": cal.labels.get(d, "")}
            )
        d += timedelta(days=1)
    counted = []
    d = after + timedelta(days=1)
    while d <= r.value:
        if cal.day_windows(d):
            counted.append({"date": d.isoformat(), "kind": cal.day_kind(d)})
        d += timedelta(days=1)
    return {
        "after": after.isoformat(),
        "n": n,
        "calendar": cal.code,
        "date": r.value.isoformat(),
        "weekday": WEEKDAYS[r.value.weekday()],
        "starts_at": datetime.combine(r.value, time(0), cal.zone).isoformat(),
        "counted": counted,
        "skipped": skipped,
        "missing_years": list(r.missing_years),
        "warnings": warnings_for(r.missing_years),
    }


def report_deadline(cal: WorkCalendar, month_text: str) -> dict[str, Any]:
    year, month = parse_year_month(month_text)
    r = monthly_report_deadline(cal, year, month)
    v = r.value
    return {
        "month": f"{year:04d}-{month:02d}",
        "calendar": cal.code,
        "deadline_date": v.day.isoformat(),
        "weekday": WEEKDAYS[v.day.weekday()],
        "due_at": iso(v.due_at),
        "base_day": date(year, month, 10).isoformat(),
        "holiday_rest_days": [d.isoformat() for d in v.holiday_rest_days],
        "pushed_over": [d.isoformat() for d in v.pushed_over],
        "missing_years": list(r.missing_years),
        "warnings": warnings_for(r.missing_years),
    }
