"""Background jobs of cases: the SLA sweep, the per-case SLA check, auto-close.

Tasks take ids and an `as_of` (ISO text, so they serialise) and call one service; each is
idempotent and safe on several workers at once (the services claim their rows).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.tasks import task

from supportplan.core.schedule import periodic

from . import routing, services, sweep


def _instant(as_of: str) -> datetime:
    value = datetime.fromisoformat(as_of)
    if value.tzinfo is None:
        raise ValueError("as_of must carry a time zone")
    return value


@task()
def sla_sweep(as_of: str) -> dict[str, Any]:
    result = sweep.case_sla_sweep(as_of=_instant(as_of))
    return {"warned": result.warned, "breached": result.breached}


@task()
def sla_check_case(case_id: int, as_of: str | None = None) -> dict[str, Any]:
    """Scheduled at a case's warning time (run_after); `as_of` defaults to the run time."""
    from supportplan.core import clock

    when = _instant(as_of) if as_of else clock.now()
    result = sweep.case_sla_check(case_id=case_id, as_of=when)
    return {"warned": result.warned, "breached": result.breached}


@task()
def close_quiet_cases(as_of: str) -> list[int]:
    return services.close_quiet_cases(as_of=_instant(as_of))


@task()
def recompute_sla(as_of: str, calendar_code: str | None = None) -> int:
    return sweep.recompute_sla(as_of=_instant(as_of), calendar_code=calendar_code)


@periodic("cases.sla_sweep", every=timedelta(minutes=1))
def enqueue_sla_sweep(now: datetime) -> None:
    sla_sweep.enqueue(as_of=now.isoformat())


@periodic("cases.close_quiet", every=timedelta(minutes=30))
def enqueue_close_quiet(now: datetime) -> None:
    close_quiet_cases.enqueue(as_of=now.isoformat())


@task()
def recount_open_cases() -> int:
    return routing.recount_open_cases()


@periodic("cases.recount_open_cases", every=timedelta(hours=1))
def enqueue_recount_open_cases(now: datetime) -> None:
    recount_open_cases.enqueue()


@task()
def sweep_orphan_attachments(as_of: str) -> int:
    from . import attachments

    return len(attachments.sweep_orphan_files(as_of=_instant(as_of)))


@periodic("cases.sweep_orphan_attachments", every=timedelta(hours=6))
def enqueue_sweep_orphan_attachments(now: datetime) -> None:
    sweep_orphan_attachments.enqueue(as_of=now.isoformat())
