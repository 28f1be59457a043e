"""A year's official holiday notice as a small YAML/JSON file. Pure parsing + validation.

    year: 2027
    region: cn                      # optional, default cn
    title: 国务院办公厅关于2027年部分节假日安排的通知   # optional, kept as the year's note
    holidays:
      - name: {zh-hans: 元旦, en: New Year's Day}
        from: 2027-01-01
        to: 2027-01-03              # inclusive; omit for a single day
    workdays:                       # adjusted working days (调休), weekend days only
      - date: 2027-02-07
        name: {zh-hans: 春节调休, en: Spring Festival}   # optional

Every problem is reported at once, each naming where it is and how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import yaml
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from supportplan.core.errors import DomainError

from .models import REGION_CN, DayKind

_TOP_KEYS = {"year", "region", "title", "holidays", "workdays"}
_HOLIDAY_KEYS = {"name", "from", "to", "dates"}
_WORKDAY_KEYS = {"date", "name"}
MAX_BLOCK_DAYS = 14


@dataclass(frozen=True)
class NoticeDay:
    day: date
    kind: str  # DayKind value
    name_zh_hans: str
    name_en: str


@dataclass(frozen=True)
class Notice:
    year: int
    region: str
    title: str
    days: tuple[NoticeDay, ...]


class _Loader(yaml.SafeLoader):
    """Dates stay text so a bad one (2027-13-01) is reported, not raised by YAML."""


_Loader.yaml_implicit_resolvers = {
    key: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class NoticeInvalid(DomainError):
    def __init__(self, problems: list[str], filename: str = "") -> None:
        super().__init__(
            "calendar.notice_invalid",
            _("The holiday notice %(file)s was refused, nothing was imported: %(problems)s"),
            file=filename or "-",
            problems="; ".join(problems),
        )
        self.problems = problems


def load_notice_text(text: str, filename: str = "") -> Notice:
    try:
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise NoticeInvalid(
            [gettext("the file is not valid YAML or JSON%(where)s") % {"where": where}], filename
        ) from None
    return parse_notice(data, filename)


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _name(value: Any, where: str, problems: list[str]) -> tuple[str, str]:
    if value is None:
        return "", ""
    if isinstance(value, str):
        return value, value
    if isinstance(value, dict) and set(value) <= {"zh-hans", "en"} and value:
        zh = str(value.get("zh-hans") or value.get("en") or "")
        en = str(value.get("en") or value.get("zh-hans") or "")
        return zh, en
    problems.append(
        gettext("%(where)s: name must be text or {zh-hans: ..., en: ...}") % {"where": where}
    )
    return "", ""


def parse_notice(data: Any, filename: str = "") -> Notice:
    problems: list[str] = []
    if not isinstance(data, dict):
        raise NoticeInvalid(
            [gettext("the file must be a mapping with year, holidays and workdays")], filename
        )
    unknown = sorted(set(map(str, data)) - _TOP_KEYS)
    if unknown:
        problems.append(
            gettext("unknown keys %(keys)s (allowed: %(allowed)s)")
            % {"keys": ", ".join(unknown), "allowed": ", ".join(sorted(_TOP_KEYS))}
        )
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 1971 <= year <= 2200:
        problems.append(gettext("year: write the year as a number, e.g. year: 2027"))
        year = None
    region = str(data.get("region") or REGION_CN)
    title = str(data.get("title") or "")[:300]

    days: dict[date, NoticeDay] = {}

    def add(d: date, kind: str, zh: str, en: str, where: str) -> None:
        if year is not None and not (date(year - 1, 12, 1) <= d <= date(year + 1, 1, 31)):
            problems.append(
                gettext("%(where)s: %(date)s is not in %(year)s")
                % {"where": where, "date": d, "year": year}
            )
            return
        if d in days:
            problems.append(
                gettext("%(where)s: %(date)s is listed twice")
                % {"where": where, "date": d.isoformat()}
            )
            return
        days[d] = NoticeDay(d, kind, zh, en)

    holidays = data.get("holidays", [])
    if not isinstance(holidays, list):
        problems.append(gettext("holidays: must be a list of {name, from, to}"))
        holidays = []
    for i, item in enumerate(holidays):
        where = f"holidays[{i}]"
        if not isinstance(item, dict):
            problems.append(
                gettext("%(where)s: must be a mapping {name, from, to}") % {"where": where}
            )
            continue
        extra = sorted(set(map(str, item)) - _HOLIDAY_KEYS)
        if extra:
            problems.append(
                gettext("%(where)s: unknown keys %(keys)s (allowed: name, from, to)")
                % {"where": where, "keys": ", ".join(extra)}
            )
        zh, en = _name(item.get("name"), where, problems)
        if "dates" in item:
            raw = item["dates"] if isinstance(item["dates"], list) else [item["dates"]]
            parsed = [_as_date(x) for x in raw]
            if any(p is None for p in parsed):
                problems.append(
                    gettext("%(where)s.dates: write dates as YYYY-MM-DD") % {"where": where}
                )
                continue
            for d in parsed:
                assert d is not None
                add(d, DayKind.HOLIDAY, zh, en, where)
            continue
        start = _as_date(item.get("from"))
        end = _as_date(item.get("to", item.get("from")))
        if start is None or end is None:
            problems.append(
                gettext("%(where)s: 'from' (and optional 'to') must be dates like 2027-10-01")
                % {"where": where}
            )
            continue
        if end < start:
            problems.append(
                gettext("%(where)s: 'to' %(to)s is before 'from' %(from)s")
                % {"where": where, "to": end, "from": start}
            )
            continue
        if (end - start).days + 1 > MAX_BLOCK_DAYS:
            problems.append(
                gettext("%(where)s: %(n)s days is too long for one holiday block (at most %(max)s)")
                % {"where": where, "n": (end - start).days + 1, "max": MAX_BLOCK_DAYS}
            )
            continue
        d = start
        while d <= end:
            add(d, DayKind.HOLIDAY, zh, en, where)
            d += timedelta(days=1)

    workdays = data.get("workdays", [])
    if not isinstance(workdays, list):
        problems.append(gettext("workdays: must be a list of {date, name}"))
        workdays = []
    for i, item in enumerate(workdays):
        where = f"workdays[{i}]"
        if isinstance(item, (str, date)):
            item = {"date": item}
        if not isinstance(item, dict):
            problems.append(gettext("%(where)s: must be a mapping {date, name}") % {"where": where})
            continue
        extra = sorted(set(map(str, item)) - _WORKDAY_KEYS)
        if extra:
            problems.append(
                gettext("%(where)s: unknown keys %(keys)s (allowed: date, name)")
                % {"where": where, "keys": ", ".join(extra)}
            )
        d = _as_date(item.get("date"))
        if d is None:
            problems.append(gettext("%(where)s: date must look like 2027-02-07") % {"where": where})
            continue
        if d.weekday() < 5:
            problems.append(
                gettext(
                    "%(where)s: %(date)s is a weekday, already a working day; adjusted "
                    "working days are Saturdays or Sundays"
                )
                % {"where": where, "date": d.isoformat()}
            )
            continue
        zh, en = _name(item.get("name"), where, problems)
        add(d, DayKind.WORKDAY, zh, en, where)

    if not holidays and not workdays and not problems:
        problems.append(gettext("the notice lists no holidays and no adjusted working days"))
    if problems:
        raise NoticeInvalid(problems, filename)
    assert year is not None
    return Notice(year, region, title, tuple(sorted(days.values(), key=lambda x: x.day)))
