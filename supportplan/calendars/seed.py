"""Built-in calendars and the library's holiday data, written into the tables.

Shared by the data migration (historical models via `apps`) and the services (real
models), so a fresh database and `supportplan calendar import-library` agree.
Idempotent: only what differs is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from .builtins import chinese_holiday_data

REGION_CN = "cn"
SOURCE_LIBRARY = "chinesecalendar"

BUILTINS = [
    # code, zh-hans, en, holiday region, windows per weekday (7 = adjusted working day)
    (
        "7x24",
        "7x24 小时",
        "7x24 (always)",
        "",
        {wd: [(time(0), time(0))] for wd in range(7)},
    ),
    (
        "5x8",
        "5x8 工作日 09:00-18:00",
        "5x8 working days 09:00-18:00",
        REGION_CN,
        {wd: [(time(9), time(18))] for wd in (0, 1, 2, 3, 4, 7)},
    ),
]


def library_days() -> dict[int, dict[date, tuple[str, str, str]]]:
    """{year: {date: (kind, name zh-hans, name en)}} from chinesecalendar."""
    import chinese_calendar

    holidays, workdays, _years = chinese_holiday_data()
    out: dict[int, dict[date, tuple[str, str, str]]] = {}

    def zh(name: str) -> str:
        try:
            return str(chinese_calendar.Holiday(name).chinese)
        except ValueError:
            return name

    for d, name in holidays.items():
        out.setdefault(d.year, {})[d] = ("holiday", zh(name), name)
    for d, name in workdays.items():
        out.setdefault(d.year, {})[d] = ("workday", zh(name), name)
    return out


def library_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chinesecalendar")
    except PackageNotFoundError:
        return "?"


def ensure_builtins(Calendar: Any, WorkingWindow: Any) -> list[str]:
    """Create the built-in calendars that do not exist yet (existing ones, maybe edited by
    an administrator, are left alone)."""
    created = []
    for code, zh, en, region, windows in BUILTINS:
        cal, was_created = Calendar.objects.get_or_create(
            code=code,
            defaults={
                "name_zh_hans": zh,
                "name_en": en,
                "tz": "Asia/Shanghai",
                "holiday_region": region,
                "is_builtin": True,
            },
        )
        if was_created:
            created.append(code)
            for wd, spans in windows.items():
                for start, end in spans:
                    WorkingWindow.objects.create(calendar=cal, weekday=wd, start=start, end=end)
    return created


@dataclass
class SyncResult:
    years_created: list[int] = field(default_factory=list)
    years_updated: list[int] = field(default_factory=list)
    years_unchanged: list[int] = field(default_factory=list)
    years_skipped: list[int] = field(default_factory=list)  # edited by an admin or a notice
    added: int = 0
    changed: int = 0
    removed: int = 0

    @property
    def touched(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.years_created)


def sync_year(
    HolidayYear: Any,
    HolidayDay: Any,
    *,
    region: str,
    year: int,
    days: dict[date, tuple[str, str, str]],
    source: str,
    note: str,
    at: datetime,
    result: SyncResult,
) -> None:
    """Make the year's rows equal `days` (and mark the year's source)."""
    hy, created = HolidayYear.objects.get_or_create(
        region=region, year=year, defaults={"source": source, "note": note, "updated_at": at}
    )
    existing = {d.date: d for d in HolidayDay.objects.filter(region=region, holiday_year=hy)}
    # Dates of this year filed under another year (a block crossing New Year): move them.
    others = {
        d.date: d
        for d in HolidayDay.objects.filter(region=region, date__in=list(days)).exclude(
            holiday_year=hy
        )
    }
    added = changed = removed = 0
    new_rows = []
    for d, (kind, zh, en) in sorted(days.items()):
        row = existing.pop(d, None) or others.get(d)
        if row is None:
            new_rows.append(
                HolidayDay(
                    holiday_year=hy,
                    region=region,
                    date=d,
                    kind=kind,
                    name_zh_hans=zh,
                    name_en=en,
                    source=source,
                )
            )
            added += 1
        elif (row.kind, row.name_zh_hans, row.name_en, row.holiday_year_id, row.source) != (
            kind,
            zh,
            en,
            hy.pk,
            source,
        ):
            row.kind, row.name_zh_hans, row.name_en = kind, zh, en
            row.holiday_year = hy
            row.source = source
            row.save()
            changed += 1
    HolidayDay.objects.bulk_create(new_rows)
    for row in existing.values():
        row.delete()
        removed += 1
    if not created and (hy.source != source or hy.note != note):
        hy.source, hy.note = source, note
        changed += 1
    if added or changed or removed or created:
        hy.updated_at = at
        hy.save()
    result.added += added
    result.changed += changed
    result.removed += removed
    if created:
        result.years_created.append(year)
    elif added or changed or removed:
        result.years_updated.append(year)
    else:
        result.years_unchanged.append(year)


def import_library(
    HolidayYear: Any,
    HolidayDay: Any,
    *,
    at: datetime,
    years: list[int] | None = None,
    force: bool = False,
    region: str = REGION_CN,
) -> SyncResult:
    data = library_days()
    result = SyncResult()
    note = f"chinesecalendar {library_version()}"
    for year in sorted(years if years is not None else data):
        current = HolidayYear.objects.filter(region=region, year=year).first()
        if current is not None and current.source != SOURCE_LIBRARY and not force:
            result.years_skipped.append(year)
            continue
        sync_year(
            HolidayYear,
            HolidayDay,
            region=region,
            year=year,
            days=data.get(year, {}),
            source=SOURCE_LIBRARY,
            note=note,
            at=at,
            result=result,
        )
    return result
