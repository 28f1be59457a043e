"""Who recomputes what when calendar data changes.

The calendars app does not know about cases. Apps that store due times computed on a
calendar register a hook; after every calendar change a job calls each hook once per
affected calendar code:

    from supportplan.calendars import recalc
    recalc.register(services.recompute_sla)   # called as fn(as_of=..., calendar_code=...)

A hook returns how many rows it changed and must be idempotent (the job may run twice).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

Hook = Callable[..., int]

_hooks: list[Hook] = []


def register(fn: Hook) -> Hook:
    if fn not in _hooks:
        _hooks.append(fn)
    return fn


def unregister(fn: Hook) -> None:
    if fn in _hooks:
        _hooks.remove(fn)


def hooks() -> tuple[Hook, ...]:
    return tuple(_hooks)


def run(calendar_codes: Iterable[str], as_of: datetime) -> dict[str, int]:
    """{calendar code: rows changed} over every registered hook."""
    changed: dict[str, int] = {}
    for code in sorted(set(calendar_codes)):
        changed[code] = sum(int(fn(as_of=as_of, calendar_code=code) or 0) for fn in _hooks)
    return changed
