"""The SLA sweep (warnings and breaches, each exactly once) and the bulk recompute of SLA
columns after calendar changes. Called by tasks; safe on several workers at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Q

from supportplan.core.locking import lock_rows

from .models import ACTIVE_STATE_VALUES, Case, CaseEvent, SlaState
from .services import _fire_breach, _fire_warning, _set_sla_columns, compute_sla


@dataclass
class SweepResult:
    warned: list[int] = field(default_factory=list)
    breached: list[int] = field(default_factory=list)


def _claim(filters: Q, order: str, batch: int) -> list[int]:
    qs = Case.objects.filter(filters).order_by(order, "pk")
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return list(qs.values_list("pk", flat=True)[:batch])


def case_sla_sweep(*, as_of: datetime, batch: int = 200) -> SweepResult:
    """Find every running timer due to warn or breach at `as_of` and fire each exactly once.

    Safe on several workers at once: rows are claimed with SKIP LOCKED (PostgreSQL) and the
    flag is set by a conditional UPDATE, so a second sweep finds nothing left to fire.
    """
    result = SweepResult()
    warn_q = Q(sla_state=SlaState.RUNNING, sla_warned=False, warn_at__lte=as_of)
    breach_q = Q(sla_state=SlaState.RUNNING, sla_breached=False, first_response_due__lte=as_of)
    for filters, order, kind in (
        (warn_q, "warn_at", "warn"),
        (breach_q, "first_response_due", "breach"),
    ):
        while True:
            with transaction.atomic():
                ids = _claim(filters, order, batch)
                fired = _fire_batch(ids, kind, as_of)
            (result.warned if kind == "warn" else result.breached).extend(fired)
            if len(ids) < batch:
                break
    return result


def _fire_batch(ids: list[int], kind: str, as_of: datetime) -> list[int]:
    fired = []
    flag = "sla_warned" if kind == "warn" else "sla_breached"
    cases = Case.objects.select_related("tenant", "assignee").filter(pk__in=ids).order_by("pk")
    for case in cases:
        if not Case.objects.filter(pk=case.pk, **{flag: False}).update(**{flag: True}):
            continue  # another sweep fired it first
        if kind == "warn":
            case.sla_warned = True
            _fire_warning(case, as_of)
        else:
            _fire_breach(case, as_of, breached_at=case.first_response_due)
            case.updated_at = as_of
            case.save(
                update_fields=[
                    "sla_state",
                    "sla_breached",
                    "queue",
                    "escalation_level",
                    "assignee",
                    "updated_at",
                ]
            )
        fired.append(case.pk)
    return fired


def case_sla_check(*, case_id: int, as_of: datetime) -> SweepResult:
    """The sweep for one case (scheduled at its warning time)."""
    result = SweepResult()
    for flag, col, kind in (
        ("sla_warned", "warn_at", "warn"),
        ("sla_breached", "first_response_due", "breach"),
    ):
        filters = Q(pk=case_id, sla_state=SlaState.RUNNING, **{flag: False, f"{col}__lte": as_of})
        with transaction.atomic():
            ids = _claim(filters, col, 1)
            fired = _fire_batch(ids, kind, as_of)
        (result.warned if kind == "warn" else result.breached).extend(fired)
    return result


# --------------------------------------------------------------------------- recalculation


def recompute_sla(*, as_of: datetime, calendar_code: str | None = None, batch: int = 500) -> int:
    """Recompute the SLA columns of active cases (all, or those on one calendar) after the
    calendar data changed. Returns the number of cases whose columns changed."""
    qs = Case.objects.filter(state__in=ACTIVE_STATE_VALUES)
    if calendar_code:
        qs = qs.filter(sla_calendar=calendar_code)
    ids = list(qs.order_by("pk").values_list("pk", flat=True))
    changed = 0
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        with transaction.atomic():
            cases = lock_rows(Case, chunk)
            events: dict[int, list[CaseEvent]] = {}
            for ev in CaseEvent.objects.filter(case_id__in=chunk).order_by("at", "id"):
                events.setdefault(ev.case_id, []).append(ev)
            dirty = []
            for case in cases:
                before = (case.first_response_due, case.warn_at, case.sla_state)
                _set_sla_columns(
                    case, compute_sla(case, max(as_of, case.created_at), events.get(case.pk, []))
                )
                if case.sla_state == SlaState.BREACHED and not case.sla_breached:
                    # Not recorded yet: leave it to the sweep, which fires it exactly once.
                    case.sla_state = SlaState.RUNNING
                if (case.first_response_due, case.warn_at, case.sla_state) != before:
                    dirty.append(case)
            Case.objects.bulk_update(
                dirty, ["first_response_due", "warn_at", "sla_state", "sla_calendar"]
            )
            changed += len(dirty)
    return changed
