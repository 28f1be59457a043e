"""The SLA sweep (warnings and breaches, each exactly once) and the bulk recompute of SLA
columns after calendar changes. Called by tasks; safe on several workers at once."""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Q
from django.db.models.functions import Greatest

from supportplan.accounts.models import User
from supportplan.core.audit import audit_log_bulk
from supportplan.core.locking import lock_rows
from supportplan.core.models import AuditEntry

from . import routing
from .models import ACTIVE_STATE_VALUES, Case, CaseEvent, SlaState
from .services.common import _base_data, _move_up, _set_sla_columns, compute_sla


@dataclass
class SweepResult:
    warned: list[int] = field(default_factory=list)
    breached: list[int] = field(default_factory=list)


def _claim(filters: Q, order: str, batch: int) -> list[Case]:
    """Lock and load up to `batch` due cases in one query (SKIP LOCKED on PostgreSQL: rows
    another sweep holds are left to it; the locked re-check of `filters` means a claimed row
    is still unfired)."""
    qs = Case.objects.filter(filters).select_related("tenant", "assignee").order_by(order, "pk")
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return list(qs[:batch])


def case_sla_sweep(*, as_of: datetime, batch: int = 200) -> SweepResult:
    """Find every running timer due to warn or breach at `as_of` and fire each exactly once.

    Safe on several workers at once: rows are claimed with SKIP LOCKED (PostgreSQL), so two
    sweeps never hold the same case, and each claimed batch is handled as set operations
    (one UPDATE of the cases, one INSERT of the audit entries, routing once per batch, the
    open-case counters moved once per batch with their rows locked in id order, so
    concurrent sweeps cannot deadlock on them).
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
                cases = _claim(filters, order, batch)
                fired = _fire_batch(cases, kind, as_of)
            (result.warned if kind == "warn" else result.breached).extend(fired)
            if len(cases) < batch:
                break
    return result


class _BatchRouting:
    """Who leads each queue, the support managers, and the least-loaded handler of a tier,
    each read once per batch; assignments made in the batch count towards the loads."""

    def __init__(self) -> None:
        self._leads: dict[str, list[int]] = {}
        self._managers: list[int] | None = None
        self._loads: dict[str, list[tuple[int, int]]] = {}

    def leads(self, queue: str) -> list[int]:
        if queue not in self._leads:
            self._leads[queue] = routing.queue_leads(queue)
        return self._leads[queue]

    def managers(self) -> list[int]:
        if self._managers is None:
            self._managers = routing.support_managers()
        return self._managers

    def route(self, tier: str) -> int | None:
        if tier not in self._loads:
            heap = [(u.open_cases, u.pk) for u in routing.handlers_of(tier)]
            heapq.heapify(heap)
            self._loads[tier] = heap
        heap = self._loads[tier]
        if not heap:
            return None
        load, pk = heapq.heappop(heap)
        heapq.heappush(heap, (load + 1, pk))
        return pk


def _entry(action: str, case: Case, now: datetime, **extra: Any) -> AuditEntry:
    return AuditEntry(
        action=action,
        at=now,
        tenant=case.tenant,
        target_type=Case._meta.label_lower,
        target_id=str(case.pk),
        data=_base_data(case, **extra),
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _fire_batch(cases: list[Case], kind: str, as_of: datetime) -> list[int]:
    """Fire the claimed (locked, unfired) cases: the flags and escalations in one UPDATE, the
    audit entries (hence notifications) in one INSERT, counters moved after the batch."""
    if not cases:
        return []
    plan = _BatchRouting()
    entries: list[AuditEntry] = []
    moves: Counter[int] = Counter()
    for case in cases:
        leads = plan.leads(case.queue)
        notify = sorted({*leads, *([case.assignee_id] if case.assignee_id else [])})
        if kind == "warn":
            case.sla_warned = True
            entries.append(
                _entry(
                    "case.sla.warning",
                    case,
                    as_of,
                    due=_iso(case.first_response_due),
                    warn_at=_iso(case.warn_at),
                    queue_lead_ids=leads,
                    notify=notify,
                )
            )
            continue
        case.sla_breached = True
        case.sla_state = SlaState.BREACHED
        case.updated_at = as_of
        entries.append(
            _entry(
                "case.sla.breached",
                case,
                as_of,
                due=_iso(case.first_response_due),
                breached_at=_iso(case.first_response_due),
                queue_lead_ids=leads,
                notify=notify,
            )
        )
        if case.state in ACTIVE_STATE_VALUES and case.first_responded_at is None:
            entries.append(_escalation(case, as_of, plan, moves))
    if kind == "warn":
        Case.objects.filter(pk__in=[c.pk for c in cases]).update(sla_warned=True)
    else:
        _update_breached(cases, as_of)
    _move_counts(moves)
    audit_log_bulk(entries)
    return [c.pk for c in cases]


def _update_breached(cases: list[Case], as_of: datetime) -> None:
    """The breach flags and each case's escalation (queue, level, assignee) in one UPDATE.
    On PostgreSQL one UPDATE … FROM unnest(arrays): bulk_update's CASE WHEN per row and
    column cost more to build and plan than the rest of the batch."""
    if connection.vendor != "postgresql":
        Case.objects.bulk_update(
            cases,
            ["sla_state", "sla_breached", "queue", "escalation_level", "assignee", "updated_at"],
        )
        return
    table = Case._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{table}" AS c SET sla_state = %s, sla_breached = TRUE, updated_at = %s, '
            "queue = v.queue, escalation_level = v.level, assignee_id = v.assignee "
            "FROM unnest(%s::bigint[], %s::varchar[], %s::integer[], %s::bigint[]) "
            "AS v(id, queue, level, assignee) WHERE c.id = v.id",
            [
                SlaState.BREACHED,
                as_of,
                [c.pk for c in cases],
                [c.queue for c in cases],
                [c.escalation_level for c in cases],
                [c.assignee_id for c in cases],
            ],
        )


def _escalation(case: Case, now: datetime, plan: _BatchRouting, moves: Counter[int]) -> AuditEntry:
    """The sweep's `_escalate`: one tier up, a handler of that tier if the assignee cannot
    take it (counted in `moves`, applied after the batch), the support managers told."""
    before = case.assignee_id
    old_queue, new_queue = _move_up(case, plan.route)
    if case.assignee_id != before:
        if before is not None:
            moves[before] -= 1
        if case.assignee_id is not None:
            moves[case.assignee_id] += 1
    managers = plan.managers()
    notify = sorted({*managers, *([case.assignee_id] if case.assignee_id else [])})
    return _entry(
        "case.escalated",
        case,
        now,
        reason="sla_breached",
        from_queue=old_queue,
        to_queue=new_queue,
        level=case.escalation_level,
        notify=notify,
        support_manager_ids=managers,
    )


def _move_counts(moves: Counter[int]) -> None:
    """Apply the batch's counter moves in one UPDATE, the user rows locked in id order first
    (every sweep takes them in the same order, so none waits on another in a cycle)."""
    deltas = {pk: d for pk, d in moves.items() if d}
    if not deltas:
        return
    ids = sorted(deltas)
    users = User.objects.filter(pk__in=ids)
    list(users.order_by("pk").select_for_update().values_list("pk", flat=True))
    delta = models.Case(
        *(models.When(pk=pk, then=models.Value(deltas[pk])) for pk in ids),
        default=models.Value(0),
    )
    users.update(open_cases=Greatest(models.F("open_cases") + delta, models.Value(0)))


def case_sla_check(*, case_id: int, as_of: datetime) -> SweepResult:
    """The sweep for one case (scheduled at its warning time)."""
    result = SweepResult()
    for flag, col, kind in (
        ("sla_warned", "warn_at", "warn"),
        ("sla_breached", "first_response_due", "breach"),
    ):
        filters = Q(pk=case_id, sla_state=SlaState.RUNNING, **{flag: False, f"{col}__lte": as_of})
        with transaction.atomic():
            fired = _fire_batch(_claim(filters, col, 1), kind, as_of)
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
