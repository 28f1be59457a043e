"""Background jobs of calendars: recompute due times after a change, check holiday data."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.tasks import task

from supportplan.core.schedule import periodic


def _instant(as_of: str) -> datetime:
    value = datetime.fromisoformat(as_of)
    if value.tzinfo is None:
        raise ValueError("as_of must carry a time zone")
    return value


@task()
def recalculate_due_times(calendar_codes: list[str], as_of: str) -> dict[str, Any]:
    """Recompute open cases' due times on these calendars (idempotent)."""
    from .services import due_times_recalculate

    return due_times_recalculate(calendar_codes=calendar_codes, as_of=_instant(as_of))


@task()
def check_holiday_data(as_of: str) -> list[dict[str, Any]]:
    from .services import holiday_data_check

    return holiday_data_check(as_of=_instant(as_of))


@periodic("calendars.check_holiday_data", every=timedelta(hours=12))
def enqueue_check_holiday_data(now: datetime) -> None:
    check_holiday_data.enqueue(now.isoformat())
