"""Why a first response is due when it is. Pure: the replayed timers, the calendar and the
case's event log come in; nothing is stored.

- `promise_of(result)`: the promise of a case that is about to be opened (or was just
  opened): the due time, the calendar it runs on, the holidays and adjusted working days
  it used, the escort override, "provisional" when a year without holiday data was crossed.
- `channel_suggestion(...)`: an urgent case on a channel that is closed right now (the
  partner IM group at 20:00) keeps that channel's calendar (SPEC §2), but the person is told
  and offered the channel that answers sooner (the 7x24 ticket).
- `clock_timeline(events, result)`: the first-response clock as a list of steps (started,
  running, calendar closed overnight / on a holiday, paused waiting on the customer,
  severity changed, escort in force, due, met / breached), each with the business time it
  used; the running steps add up to the timer's consumed time.

Texts are rendered in the active language (dates as "10月1日" in Chinese, "1 Oct" in English).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils.translation import get_language, gettext, ngettext

from supportplan.calendars.domain import DayFact, WorkCalendar, is_open, special_days_between

from .domain import CaseEvent, CaseSla, EventKind, Timer, TimerState

MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _zh() -> bool:
    return (get_language() or "").lower().startswith("zh")


def weekday_name(day: date) -> str:
    names = (
        gettext("Monday"),
        gettext("Tuesday"),
        gettext("Wednesday"),
        gettext("Thursday"),
        gettext("Friday"),
        gettext("Saturday"),
        gettext("Sunday"),
    )
    return names[day.weekday()]


def day_text(day: date) -> str:
    """'10月1日' in Chinese, '1 Oct' in English."""
    if _zh():
        return f"{day.month}月{day.day}日"
    return f"{day.day} {MONTHS_EN[day.month - 1]}"


def day_range_text(first: date, last: date) -> str:
    """'10月1日–7日' / '1–7 Oct'; across months '9月30日–10月2日' / '30 Sep–2 Oct'."""
    if first == last:
        return day_text(first)
    if _zh():
        if first.month == last.month:
            return f"{first.month}月{first.day}日–{last.day}日"
        return f"{day_text(first)}–{day_text(last)}"
    if first.month == last.month:
        return f"{first.day}–{last.day} {MONTHS_EN[last.month - 1]}"
    return f"{day_text(first)}–{day_text(last)}"


def duration_words(d: timedelta) -> str:
    """'1 h 30 min' / '1小时30分钟', for a person (whole minutes; seconds under a minute)."""
    secs = int(d.total_seconds())
    if secs < 60:
        return ngettext("%(n)s second", "%(n)s seconds", secs) % {"n": secs}
    days, rest = divmod(secs // 60, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)s day", "%(n)s days", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)s h", "%(n)s h", hours) % {"n": hours})
    if mins:
        parts.append(ngettext("%(n)s min", "%(n)s min", mins) % {"n": mins})
    return " ".join(parts)


def local_text(instant: datetime, tz: Any) -> str:
    """'2026-10-08 09:10' in the reader's time zone."""
    return instant.astimezone(tz).strftime("%Y-%m-%d %H:%M")


# --------------------------------------------------------------------------- the promise


@dataclass(frozen=True, slots=True)
class FirstResponsePromise:
    opened_at: datetime
    due_at: datetime
    target: timedelta
    calendar: WorkCalendar
    source: str  # plan | escort | a rule's name
    missing_years: tuple[int, ...]
    special_days: tuple[DayFact, ...]
    open_at_opening: bool

    @property
    def provisional(self) -> bool:
        return bool(self.missing_years)

    @property
    def escort(self) -> bool:
        return self.source == "escort"


def promise_of(result: CaseSla) -> FirstResponsePromise:
    """The promise a creation-only replay makes (the case just opened, nobody touched it)."""
    timer = result.first_response
    if timer.due_at is None:
        raise ValueError("a first-response promise needs a running clock")
    cal = result.policy.first_response.calendar
    a = timer.started_at.astimezone(cal.zone).date()
    b = timer.due_at.astimezone(cal.zone).date()
    return FirstResponsePromise(
        opened_at=timer.started_at,
        due_at=timer.due_at,
        target=timer.target,
        calendar=cal,
        source=timer.source,
        missing_years=timer.missing_years,
        special_days=tuple(special_days_between(cal, a, b)),
        open_at_opening=is_open(cal, timer.started_at).value,
    )


def hours_text(cal: WorkCalendar) -> str:
    """'09:00–18:00 on working days' / 'around the clock (7x24)'."""
    if not cal.observes_holidays and all(
        len(d) == 1 and d[0].start == 0 and d[0].end == 86_400 for d in cal.weekly
    ):
        return gettext("around the clock (7x24)")
    windows = ", ".join(str(w).replace("-", "–") for w in cal.weekly[0]) or "—"
    if cal.observes_holidays:
        return gettext("%(windows)s on working days") % {"windows": windows}
    return gettext("%(windows)s Monday to Friday") % {"windows": windows}


def _blocks(facts: Iterable[DayFact], kind: str) -> list[tuple[date, date, str]]:
    out: list[tuple[date, date, str]] = []
    for f in facts:
        if f.kind != kind:
            continue
        if out and out[-1][1] + timedelta(days=1) == f.day and out[-1][2] == f.label:
            out[-1] = (out[-1][0], f.day, f.label)
        else:
            out.append((f.day, f.day, f.label))
    return out


def promise_reasons(promise: FirstResponsePromise, channel_name: str) -> list[str]:
    """Why the promise is what it is, one sentence each, in the active language."""
    cal = promise.calendar
    out = []
    if promise.escort:
        out.append(
            gettext(
                "An escort is in force: urgent events get a first response within %(target)s, "
                "around the clock."
            )
            % {"target": duration_words(promise.target)}
        )
    else:
        out.append(
            gettext("%(channel)s runs %(hours)s; the first-response target is %(target)s.")
            % {
                "channel": channel_name,
                "hours": hours_text(cal),
                "target": duration_words(promise.target),
            }
        )
    for first, last, label in _blocks(promise.special_days, "holiday"):
        params = {
            "days": day_range_text(first, last),
            # holiday names come from the calendar tables in English
            "label": f" ({label})" if label and not _zh() else "",
        }
        if first == last:
            out.append(gettext("%(days)s is a holiday%(label)s.") % params)
        else:
            out.append(gettext("%(days)s are holidays%(label)s.") % params)
    for f in promise.special_days:
        if f.kind == "adjusted_workday":
            out.append(
                gettext("%(day)s (%(weekday)s) is a working day.")
                % {"day": day_text(f.day), "weekday": weekday_name(f.day)}
            )
    if promise.provisional:
        out.append(
            gettext(
                "Provisional: there is no holiday data for %(years)s yet, so only weekends "
                "were counted as closed."
            )
            % {"years": ", ".join(str(y) for y in promise.missing_years)}
        )
    return out


@dataclass(frozen=True, slots=True)
class ChannelSuggestion:
    channel: str
    due_at: datetime
    promise: FirstResponsePromise


def channel_suggestion(
    *,
    urgent: bool,
    promise: FirstResponsePromise,
    alternatives: Sequence[tuple[str, FirstResponsePromise]],
) -> ChannelSuggestion | None:
    """An urgent case on a channel closed at opening: the alternative answering soonest, if
    it answers sooner (SPEC §2 "channel hours and urgency")."""
    if not urgent or promise.open_at_opening:
        return None
    best = min(alternatives, key=lambda a: a[1].due_at, default=None)
    if best is None or best[1].due_at >= promise.due_at:
        return None
    return ChannelSuggestion(best[0], best[1].due_at, best[1])


# --------------------------------------------------------------------------- the clock


class StepKind:
    STARTED = "started"
    ESCORT = "escort"
    RUNNING = "running"
    CLOSED = "closed"
    PAUSED = "paused"
    SEVERITY_CHANGED = "severity_changed"
    DUE = "due"
    BREACHED = "breached"
    MET = "met"
    REPLIED_LATE = "replied_late"
    STOPPED = "stopped"
    NOW = "now"


@dataclass(frozen=True, slots=True)
class ClockStep:
    kind: str
    start: datetime
    end: datetime | None  # None: an instant (a marker), or a pause still going on
    business: timedelta = timedelta(0)
    detail: dict[str, Any] = field(default_factory=dict)


def _open_spans(cal: WorkCalendar, a: datetime, b: datetime) -> list[tuple[datetime, datetime]]:
    """The calendar's open windows within [a, b), adjacent ones merged."""
    if b <= a:
        return []
    zone = cal.zone
    day = a.astimezone(zone).date()
    last = b.astimezone(zone).date()
    spans: list[tuple[datetime, datetime]] = []
    while day <= last:
        midnight = datetime.combine(day, time(0), zone)
        for w in cal.day_windows(day):
            s = max(a, midnight + timedelta(seconds=w.start))
            e = min(b, midnight + timedelta(seconds=w.end))
            if s >= e:
                continue
            if spans and spans[-1][1] == s:
                spans[-1] = (spans[-1][0], e)
            else:
                spans.append((s, e))
        day += timedelta(days=1)
    return spans


def _closed_reason(cal: WorkCalendar, a: datetime, b: datetime) -> dict[str, Any]:
    zone = cal.zone
    first = a.astimezone(zone).date()
    last = (b - timedelta(microseconds=1)).astimezone(zone).date()
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    holidays = [d for d in days if cal.observes_holidays and d in cal.holidays]
    if holidays:
        return {
            "reason": "holiday",
            "first": holidays[0],
            "last": holidays[-1],
            "label": cal.labels.get(holidays[0], ""),
        }
    rest = [d for d in days if not cal.day_windows(d)]
    if rest:
        return {"reason": "rest_day", "first": rest[0], "last": rest[-1]}
    if first != last:
        return {"reason": "overnight"}
    return {"reason": "outside_hours"}


def _running_steps(cal: WorkCalendar, a: datetime, b: datetime) -> list[ClockStep]:
    steps = []
    cursor = a
    for s, e in _open_spans(cal, a, b):
        if s > cursor:
            steps.append(
                ClockStep(StepKind.CLOSED, cursor, s, detail=_closed_reason(cal, cursor, s))
            )
        steps.append(ClockStep(StepKind.RUNNING, s, e, e - s))
        cursor = e
    if cursor < b:
        steps.append(ClockStep(StepKind.CLOSED, cursor, b, detail=_closed_reason(cal, cursor, b)))
    return steps


def clock_timeline(events: Iterable[CaseEvent], result: CaseSla) -> tuple[ClockStep, ...]:
    """The first-response clock of `result` (a replay of `events`) step by step.

    Running and closed steps are detailed up to the due time (or the stop, or `as_of` when
    sooner); after a breach one marker says so, since the question is why it was due then.
    """
    timer: Timer = result.first_response
    cal = result.policy.first_response.calendar
    as_of = result.as_of
    end = timer.stopped_at or as_of
    detail_end = end
    if timer.breached_at is not None:
        detail_end = min(end, timer.breached_at)
    markers: list[ClockStep] = []
    created = next(e for e in events if e.kind == EventKind.CREATED)
    markers.append(
        ClockStep(
            StepKind.STARTED,
            timer.started_at,
            None,
            detail={
                "severity": created.severity or "",
                "calendar": cal.code,
                "target": timer.target,
                "hours": hours_text(cal),
            },
        )
    )
    if timer.source == "escort":
        markers.append(
            ClockStep(StepKind.ESCORT, timer.started_at, None, detail={"target": timer.target})
        )
    previous = created.severity or ""
    for e in sorted(
        (e for e in events if e.kind == EventKind.SEVERITY_CHANGED), key=lambda e: e.at
    ):
        if e.at > as_of:
            continue
        markers.append(
            ClockStep(
                StepKind.SEVERITY_CHANGED,
                e.at,
                None,
                detail={"from": previous, "to": e.severity or ""},
            )
        )
        previous = e.severity or previous
    spans: list[ClockStep] = []
    cursor = timer.started_at
    for p in timer.paused:
        p_end = p.end if p.end is not None else as_of
        if p.start > cursor:
            spans += _running_steps(cal, cursor, min(p.start, detail_end))
        if p.start < detail_end or timer.breached_at is None:
            spans.append(
                ClockStep(
                    StepKind.PAUSED,
                    p.start,
                    p.end,
                    detail={"reason": p.reason},
                )
            )
        cursor = max(cursor, p_end)
    if cursor < detail_end:
        spans += _running_steps(cal, cursor, detail_end)
    spans = [s for s in spans if s.end is None or s.end > s.start]
    state = timer.state
    if state is TimerState.BREACHED and timer.breached_at is not None:
        markers.append(ClockStep(StepKind.BREACHED, timer.breached_at, None))
        if timer.stopped_at is not None:
            markers.append(ClockStep(StepKind.REPLIED_LATE, timer.stopped_at, None))
    elif timer.due_at is not None:
        markers.append(ClockStep(StepKind.DUE, timer.due_at, None))
    if state is TimerState.MET and timer.stopped_at is not None:
        markers.append(
            ClockStep(StepKind.MET, timer.stopped_at, None, detail={"remaining": timer.remaining})
        )
    elif state is TimerState.STOPPED and timer.stopped_at is not None:
        markers.append(ClockStep(StepKind.STOPPED, timer.stopped_at, None))
    elif state in (TimerState.RUNNING, TimerState.PAUSED):
        markers.append(ClockStep(StepKind.NOW, as_of, None, detail={"remaining": timer.remaining}))
    order = {id(s): i for i, s in enumerate([*markers, *spans])}
    rank = {
        StepKind.STARTED: 0,
        StepKind.ESCORT: 1,
        StepKind.SEVERITY_CHANGED: 2,
    }
    steps = sorted(
        [*markers, *spans],
        key=lambda s: (
            s.start,
            rank.get(s.kind, 3 if s.end is not None else 4),
            order[id(s)],
        ),
    )
    return tuple(steps)


def consumed_by(steps: Iterable[ClockStep]) -> timedelta:
    return sum((s.business for s in steps), timedelta(0))


def step_text(step: ClockStep, severity_name: Callable[[str], str], tz: Any) -> str:
    """One sentence for a step, in the active language."""
    d = step.detail
    k = step.kind
    if k == StepKind.STARTED:
        return gettext(
            "Case opened with severity %(severity)s: first response within %(target)s, "
            "on a calendar open %(hours)s."
        ) % {
            "severity": severity_name(d["severity"]),
            "target": duration_words(d["target"]),
            "hours": d["hours"],
        }
    if k == StepKind.ESCORT:
        return gettext(
            "An escort was in force: the urgent first-response target of %(target)s applies, "
            "around the clock."
        ) % {"target": duration_words(d["target"])}
    if k == StepKind.RUNNING:
        return gettext("The clock ran: %(used)s counted.") % {"used": duration_words(step.business)}
    if k == StepKind.CLOSED:
        reason = d.get("reason")
        if reason == "holiday":
            days = day_range_text(d["first"], d["last"])
            label = f" ({d['label']})" if d.get("label") and not _zh() else ""
            return gettext(
                "Calendar closed for the holiday %(days)s%(label)s: nothing counted."
            ) % {
                "days": days,
                "label": label,
            }
        if reason == "rest_day":
            return gettext("Calendar closed on the rest day %(days)s: nothing counted.") % {
                "days": day_range_text(d["first"], d["last"])
            }
        if reason == "overnight":
            return gettext("Calendar closed overnight: nothing counted.")
        return gettext("Outside service hours: nothing counted.")
    if k == StepKind.PAUSED:
        if d.get("reason") == "resolved":
            return gettext("Paused while the case was resolved: nothing counted.")
        return gettext("Paused waiting on the customer: nothing counted.")
    if k == StepKind.SEVERITY_CHANGED:
        return gettext(
            "Severity changed from %(from)s to %(to)s: the target was recomputed from the "
            "creation time."
        ) % {"from": severity_name(d["from"]), "to": severity_name(d["to"])}
    if k == StepKind.DUE:
        return gettext("First response due at %(at)s.") % {"at": local_text(step.start, tz)}
    if k == StepKind.BREACHED:
        return gettext("Target breached at %(at)s: no first response by then.") % {
            "at": local_text(step.start, tz)
        }
    if k == StepKind.REPLIED_LATE:
        return gettext("First response given late, at %(at)s.") % {"at": local_text(step.start, tz)}
    if k == StepKind.MET:
        return gettext("Target met: first response at %(at)s, %(left)s to spare.") % {
            "at": local_text(step.start, tz),
            "left": duration_words(d["remaining"]),
        }
    if k == StepKind.STOPPED:
        return gettext("Resolved before any reply: the first-response target no longer applies.")
    return gettext("Now: %(left)s of business time left.") % {
        "left": duration_words(d.get("remaining", timedelta(0)))
    }
