"""Writes to calendar data. Every change: one transaction, an audit entry
`calendar.changed`, a new data revision (every process rebuilds its cached calendars), and
after commit a job recomputing open cases' due times on the affected calendars."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from supportplan.core.audit import audit_log
from supportplan.core.errors import DomainError

from . import seed
from .domain import Window, WorkCalendar
from .models import (
    Calendar,
    CalendarRevision,
    DayKind,
    HolidayDay,
    HolidaySource,
    HolidayYear,
    WorkingWindow,
)
from .notice import Notice, NoticeInvalid, load_notice_text


def _bump_revision(at: datetime) -> None:
    token = uuid.uuid4().hex
    updated = CalendarRevision.objects.filter(pk=1).update(token=token, changed_at=at)
    if not updated:
        CalendarRevision.objects.create(pk=1, token=token, changed_at=at)


def _codes_for_region(region: str) -> list[str]:
    return sorted(Calendar.objects.filter(holiday_region=region).values_list("code", flat=True))


def calendar_data_changed(
    *,
    codes: Iterable[str],
    reason: str,
    actor: Any,
    at: datetime,
    target: Any = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Record a change to calendar data and schedule the recalculation (call inside the
    transaction that made the change)."""
    codes = sorted(set(codes))
    _bump_revision(at)
    audit_log(
        action="calendar.changed",
        actor=actor,
        target=target,
        at=at,
        data={"reason": reason, "calendars": codes, **(data or {})},
    )
    if codes:
        from .tasks import recalculate_due_times

        as_of = at.isoformat()
        transaction.on_commit(lambda: recalculate_due_times.enqueue(codes, as_of))


# --------------------------------------------------------------------------- built-ins and library


def calendars_ensure_builtin(*, at: datetime, actor: Any = None) -> list[str]:
    with transaction.atomic():
        created = seed.ensure_builtins(Calendar, WorkingWindow)
        if created:
            calendar_data_changed(
                codes=created, reason="builtin_created", actor=actor, at=at, data={}
            )
    return created


@dataclass(frozen=True)
class ImportReport:
    years_created: tuple[int, ...]
    years_updated: tuple[int, ...]
    years_unchanged: tuple[int, ...]
    years_skipped: tuple[int, ...]
    added: int
    changed: int
    removed: int

    @property
    def touched(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.years_created)

    def as_dict(self) -> dict[str, Any]:
        return {
            "years_created": list(self.years_created),
            "years_updated": list(self.years_updated),
            "years_unchanged": list(self.years_unchanged),
            "years_skipped": list(self.years_skipped),
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
        }


def _report(r: seed.SyncResult) -> ImportReport:
    return ImportReport(
        tuple(r.years_created),
        tuple(r.years_updated),
        tuple(r.years_unchanged),
        tuple(r.years_skipped),
        r.added,
        r.changed,
        r.removed,
    )


def holidays_import_library(
    *,
    at: datetime,
    actor: Any = None,
    years: list[int] | None = None,
    force: bool = False,
    region: str = seed.REGION_CN,
) -> ImportReport:
    """Copy chinesecalendar's holidays and adjusted working days into the tables.

    Idempotent. Years an administrator edited or imported from a notice are skipped
    unless `force`.
    """
    known = set(seed.library_days())
    if years:
        missing = sorted(set(years) - known)
        if missing:
            raise DomainError(
                "calendar.library_has_no_year",
                _(
                    "chinesecalendar %(version)s has no data for %(years)s. Import the "
                    "official notice instead: supportplan calendar import-notice FILE."
                ),
                version=seed.library_version(),
                years=", ".join(map(str, missing)),
            )
    with transaction.atomic():
        result = seed.import_library(
            HolidayYear, HolidayDay, at=at, years=years, force=force, region=region
        )
        report = _report(result)
        if report.touched:
            calendar_data_changed(
                codes=_codes_for_region(region),
                reason="library_import",
                actor=actor,
                at=at,
                data={"region": region, "library": seed.library_version(), **report.as_dict()},
            )
    return report


def holidays_import_notice(
    *, notice: Notice, at: datetime, actor: Any = None, filename: str = ""
) -> ImportReport:
    """Replace one year's holiday data with an official notice (validated already)."""
    days = {d.day: (d.kind, d.name_zh_hans, d.name_en) for d in notice.days}
    with transaction.atomic():
        result = seed.SyncResult()
        seed.sync_year(
            HolidayYear,
            HolidayDay,
            region=notice.region,
            year=notice.year,
            days=days,
            source=HolidaySource.NOTICE,
            note=notice.title or filename,
            at=at,
            result=result,
        )
        report = _report(result)
        if report.touched:
            hy = HolidayYear.objects.get(region=notice.region, year=notice.year)
            calendar_data_changed(
                codes=_codes_for_region(notice.region),
                reason="notice_import",
                actor=actor,
                at=at,
                target=hy,
                data={
                    "region": notice.region,
                    "year": notice.year,
                    "file": filename,
                    **report.as_dict(),
                },
            )
    return report


def holidays_import_notice_file(
    path: str | Path, *, at: datetime, actor: Any = None
) -> ImportReport:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NoticeInvalid([str(_("no such file"))], str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise NoticeInvalid([f"{exc}"], str(path)) from None
    notice = load_notice_text(text, path.name)
    return holidays_import_notice(notice=notice, at=at, actor=actor, filename=path.name)


# --------------------------------------------------------------------------- administrator edits


def _validate_calendar(calendar: Calendar, windows: list[WorkingWindow]) -> None:
    """Build the pure calendar once so a broken edit is refused with the domain's message."""
    by_day: dict[int, list[Window]] = {}
    for w in windows:
        by_day.setdefault(w.weekday, []).append(Window.of(w.start, w.end))
    WorkCalendar(
        code=calendar.code,
        tz=calendar.tz,
        weekly=tuple(tuple(sorted(by_day.get(i, ()))) for i in range(7)),
        adjusted_windows=tuple(sorted(by_day[7])) if 7 in by_day else None,
    )


def calendar_save(*, calendar: Calendar, actor: Any, at: datetime) -> Calendar:
    with transaction.atomic():
        old_code = None
        if calendar.pk:
            old = Calendar.objects.get(pk=calendar.pk)
            old_code = old.code
            if old.is_builtin and old.code != calendar.code:
                raise DomainError(
                    "calendar.builtin_code",
                    _("The code of built-in calendar %(calendar)s cannot change: catalogs use it."),
                    calendar=old.code,
                )
        calendar.full_clean()
        _validate_calendar(calendar, list(calendar.windows.all()) if calendar.pk else [])
        calendar.save()
        codes = {calendar.code} | ({old_code} if old_code else set())
        calendar_data_changed(
            codes=codes, reason="calendar_saved", actor=actor, at=at, target=calendar
        )
    return calendar


def calendar_delete(*, calendar: Calendar, actor: Any, at: datetime) -> None:
    if calendar.is_builtin:
        raise DomainError(
            "calendar.builtin_delete",
            _("Built-in calendar %(calendar)s cannot be deleted: catalogs use it."),
            calendar=calendar.code,
        )
    with transaction.atomic():
        code = calendar.code
        calendar.delete()
        calendar_data_changed(codes=[code], reason="calendar_deleted", actor=actor, at=at)


def working_windows_replace(
    *, calendar: Calendar, windows: dict[int, list[tuple[time, time]]], actor: Any, at: datetime
) -> Calendar:
    """Set the calendar's windows (weekday 0-6, 7 = adjusted working day)."""
    rows = [
        WorkingWindow(calendar=calendar, weekday=wd, start=s, end=e)
        for wd, spans in windows.items()
        for s, e in spans
    ]
    _validate_calendar(calendar, rows)
    with transaction.atomic():
        calendar.windows.all().delete()
        WorkingWindow.objects.bulk_create(rows)
        calendar_data_changed(
            codes=[calendar.code],
            reason="windows_changed",
            actor=actor,
            at=at,
            target=calendar,
            data={
                "windows": {
                    str(wd): [f"{s:%H:%M}-{e:%H:%M}" for s, e in spans]
                    for wd, spans in sorted(windows.items())
                }
            },
        )
    return calendar


def working_windows_saved(*, calendar: Calendar, actor: Any, at: datetime) -> None:
    """After the admin saved window rows: refuse overlaps, then record the change."""
    _validate_calendar(calendar, list(calendar.windows.all()))
    calendar_data_changed(
        codes=[calendar.code], reason="windows_changed", actor=actor, at=at, target=calendar
    )


def holiday_day_save(*, day: HolidayDay, actor: Any, at: datetime) -> HolidayDay:
    """An administrator adds or edits a holiday / adjusted working day."""
    with transaction.atomic():
        hy = day.holiday_year
        day.region = hy.region
        day.source = HolidaySource.ADMIN
        if day.kind == DayKind.WORKDAY and day.date.weekday() < 5:
            raise DomainError(
                "calendar.workday_on_weekday",
                _(
                    "%(date)s is a weekday and already a working day; adjusted working days "
                    "are Saturdays or Sundays."
                ),
                date=day.date.isoformat(),
            )
        day.full_clean()
        day.save()
        hy.source = HolidaySource.ADMIN
        hy.updated_at = at
        hy.save(update_fields=["source", "updated_at"])
        calendar_data_changed(
            codes=_codes_for_region(hy.region),
            reason="holiday_saved",
            actor=actor,
            at=at,
            target=hy,
            data={"date": day.date.isoformat(), "kind": day.kind},
        )
    return day


def holiday_day_delete(*, day: HolidayDay, actor: Any, at: datetime) -> None:
    with transaction.atomic():
        hy = day.holiday_year
        data = {"date": day.date.isoformat(), "kind": day.kind, "deleted": True}
        day.delete()
        hy.source = HolidaySource.ADMIN
        hy.updated_at = at
        hy.save(update_fields=["source", "updated_at"])
        calendar_data_changed(
            codes=_codes_for_region(hy.region),
            reason="holiday_deleted",
            actor=actor,
            at=at,
            target=hy,
            data=data,
        )


def holiday_year_save(*, holiday_year: HolidayYear, actor: Any, at: datetime) -> HolidayYear:
    """An administrator declares a year known (its rows follow) or edits its note."""
    with transaction.atomic():
        holiday_year.updated_at = at
        if not holiday_year.source:
            holiday_year.source = HolidaySource.ADMIN
        holiday_year.full_clean()
        holiday_year.save()
        calendar_data_changed(
            codes=_codes_for_region(holiday_year.region),
            reason="holiday_year_saved",
            actor=actor,
            at=at,
            target=holiday_year,
            data={"year": holiday_year.year},
        )
    return holiday_year


def holiday_year_delete(*, holiday_year: HolidayYear, actor: Any, at: datetime) -> None:
    """Forget a year's data: it falls back to weekends-only (and is flagged)."""
    with transaction.atomic():
        region, year = holiday_year.region, holiday_year.year
        holiday_year.delete()
        calendar_data_changed(
            codes=_codes_for_region(region),
            reason="holiday_year_deleted",
            actor=actor,
            at=at,
            data={"region": region, "year": year},
        )


# --------------------------------------------------------------------------- jobs


def due_times_recalculate(*, calendar_codes: list[str], as_of: datetime) -> dict[str, Any]:
    """Run every registered recalculation hook for these calendars and audit the result."""
    from . import recalc

    changed = recalc.run(calendar_codes, as_of)
    with transaction.atomic():
        audit_log(
            action="calendar.recalculated",
            at=as_of,
            data={"calendars": sorted(calendar_codes), "changed": changed},
        )
    return {"calendars": sorted(calendar_codes), "changed": changed}


def holiday_data_check(*, as_of: datetime) -> list[dict[str, Any]]:
    """Audit `calendar.holiday_data_missing` once per (region, year, level), so the
    notifications app can tell administrators; returns the current warnings."""
    from supportplan.core.models import AuditEntry

    from .selectors import holiday_data_warnings

    out = []
    for w in holiday_data_warnings(as_of):
        data = {"region": w.region, "year": w.year, "level": w.level}
        out.append({**data, "calendars": list(w.calendars), "message": w.message})
        with transaction.atomic():
            seen = AuditEntry.objects.filter(
                action="calendar.holiday_data_missing",
                data__region=w.region,
                data__year=w.year,
                data__level=w.level,
            ).exists()
            if not seen:
                audit_log(
                    action="calendar.holiday_data_missing",
                    at=as_of,
                    data={**data, "calendars": list(w.calendars)},
                )
    return out
