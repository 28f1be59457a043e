"""The SLA sweep (warnings and breaches, each exactly once) and the bulk recompute of SLA
columns after calendar changes. Called by tasks; safe on several workers at once."""

from __future__ import annotations

import heapq
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models, transaction
from django.db.models.functions import Greatest
from django.utils.dateparse import parse_datetime

from supportplan.accounts import permissions as perms
from supportplan.accounts.models import User
from supportplan.core.audit import audit_log_bulk
from supportplan.core.locking import lock_rows
from supportplan.core.models import AuditEntry

from . import domain, routing
from .models import ACTIVE_STATE_VALUES, Case, CaseEvent, SlaState
from .services.common import _base_data, _set_sla_columns, compute_sla


@dataclass
class SweepResult:
    warned: list[int] = field(default_factory=list)
    breached: list[int] = field(default_factory=list)


@dataclass(slots=True)
class _Due:
    """A claimed case as the claiming UPDATE returned it: the columns the audit entries and
    the escalation read (no model instance, no tenant or assignee rows)."""

    pk: int
    tenant_id: int
    subject: str
    severity: str
    provider: str
    plan_code: str
    queue: str
    state: str
    assignee_id: int | None
    tam_id: int | None
    requester_id: int | None
    first_response_due: datetime | None
    warn_at: datetime | None
    escalation_level: int
    first_responded_at: datetime | None
    assignee_tier: str  # read by the breach claim only ("" otherwise)


_DUE_TIMES = frozenset({"first_response_due", "warn_at", "first_responded_at"})


_FIELDS = [n for n in _Due.__slots__ if n != "assignee_tier"]  # type: ignore[attr-defined]
_COLUMNS = [
    str(Case._meta.pk.column if n == "pk" else Case._meta.get_field(n).column)  # type: ignore[union-attr]
    for n in _FIELDS
]
_DATETIMES = [i for i, n in enumerate(_FIELDS) if n in _DUE_TIMES]


def _claim(kind: str, as_of: datetime, batch: int, case_id: int | None = None) -> list[_Due]:
    """Lock up to `batch` due cases, ordered by due time then id (FOR UPDATE SKIP LOCKED on
    PostgreSQL: rows another sweep holds are left to it, and the lock re-checks the filter,
    so a claimed row is still unfired), and return what the batch needs.

    Warnings are claimed and marked in the same statement (an UPDATE of the rows the locked
    sub-select picked, RETURNING them). Breaches are claimed by the locked SELECT alone
    (with the assignee's tier): their escalation is decided in Python per batch, and one
    UPDATE then writes the flags and the escalation together. Every UPDATE of a case is a
    new row version with an entry in each of its 14 indexes (the sweep's flags are in
    two of them), so marking then escalating would double the cost of a breach."""
    pg = connection.vendor == "postgresql"
    table = connection.ops.quote_name(Case._meta.db_table)
    flag, due = (
        ("sla_warned", "warn_at") if kind == "warn" else ("sla_breached", "first_response_due")
    )
    one = "AND c.id = %(case_id)s " if case_id is not None else ""
    pick = (
        f"FROM {table} AS c WHERE c.sla_state = %(running)s AND NOT c.{flag} "
        f"AND c.{due} <= %(as_of)s {one}ORDER BY c.{due}, c.id LIMIT %(batch)s"
    )
    if kind == "warn":
        sql = (
            f"WITH due AS {'MATERIALIZED ' if pg else ''}(SELECT c.id {pick}"
            f"{' FOR UPDATE SKIP LOCKED' if pg else ''}) "
            f"UPDATE {table} SET sla_warned = TRUE WHERE id IN (SELECT id FROM due) "
            f"RETURNING {', '.join(_COLUMNS)}, ''"
        )
    else:
        users = connection.ops.quote_name(User._meta.db_table)
        tier = User._meta.get_field("handler_tier").column
        sql = (
            f"SELECT {', '.join(f'c.{c}' for c in _COLUMNS)}, COALESCE((SELECT u.{tier} FROM "
            f"{users} AS u WHERE u.id = c.assignee_id), '') {pick}"
            f"{' FOR UPDATE OF c SKIP LOCKED' if pg else ''}"
        )
    params = {
        "running": SlaState.RUNNING,
        "as_of": connection.ops.adapt_datetimefield_value(as_of),
        "batch": batch,
        "case_id": case_id,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not pg:  # SQLite returns its stored text for datetimes
        rows = [tuple(_aware(v) if i in _DATETIMES else v for i, v in enumerate(r)) for r in rows]
    claimed = [_Due(*row) for row in rows]
    # RETURNING has no order; the results list the cases as the claim ordered them.
    claimed.sort(key=lambda d: (getattr(d, due), d.pk))
    return claimed


def _aware(value: Any) -> datetime | None:
    """SQLite's stored UTC time (text, or a naive datetime from the driver's converter)."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else parse_datetime(value)
    assert parsed is not None, value
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def case_sla_sweep(*, as_of: datetime, batch: int = 200) -> SweepResult:
    """Find every running timer due to warn or breach at `as_of` and fire each exactly once.

    Safe on several workers at once: each batch is claimed and marked by one UPDATE of rows
    locked with SKIP LOCKED (PostgreSQL), so two sweeps never hold the same case, and the
    rest of the batch is set operations too (one INSERT of the audit entries and one of
    their notification dispatches, routing read once per batch, the escalations in one
    UPDATE, the open-case counters moved once per batch with their rows locked in id
    order, so concurrent sweeps cannot deadlock on them).
    """
    result = SweepResult()
    for kind in ("warn", "breach"):
        while True:
            with transaction.atomic():
                cases = _claim(kind, as_of, batch)
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
        self._managers: list[tuple[int, str]] | None = None
        self._loads: dict[str, list[tuple[int, int]]] = {}

    def _manager_tiers(self) -> list[tuple[int, str]]:
        if self._managers is None:
            self._managers = routing.support_manager_tiers()
        return self._managers

    def leads(self, queue: str) -> list[int]:
        if queue not in self._leads:
            self._leads[queue] = routing.leads_of(self._manager_tiers(), queue)
        return self._leads[queue]

    def managers(self) -> list[int]:
        return [pk for pk, _ in self._manager_tiers()]

    def route(self, tier: str) -> int | None:
        if tier not in self._loads:
            heap = list(routing.handlers_of(tier).values_list("open_cases", "pk"))
            heapq.heapify(heap)
            self._loads[tier] = heap
        heap = self._loads[tier]
        if not heap:
            return None
        load, pk = heapq.heappop(heap)
        heapq.heappush(heap, (load + 1, pk))
        return pk


_CASE_LABEL = Case._meta.label_lower


def _entry(action: str, case: _Due, now: datetime, **extra: Any) -> AuditEntry:
    return AuditEntry(
        action=action,
        at=now,
        tenant_id=case.tenant_id,
        target_type=_CASE_LABEL,
        target_id=str(case.pk),
        data=_base_data(case, **extra),  # type: ignore[arg-type]  # the fields it reads
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _fire_batch(cases: list[_Due], kind: str, as_of: datetime) -> list[int]:
    """Fire the claimed (already marked) cases: their audit entries (hence notifications) in
    one INSERT, the breaches' escalations in one UPDATE, counters moved after the batch."""
    if not cases:
        return []
    plan = _BatchRouting()
    entries: list[AuditEntry] = []
    moves: Counter[int] = Counter()
    for case in cases:
        leads = plan.leads(case.queue)
        notify = sorted({*leads, *([case.assignee_id] if case.assignee_id else [])})
        due = _iso(case.first_response_due)
        if kind == "warn":
            entries.append(
                _entry(
                    "case.sla.warning",
                    case,
                    as_of,
                    due=due,
                    warn_at=_iso(case.warn_at),
                    queue_lead_ids=leads,
                    notify=notify,
                )
            )
            continue
        entries.append(
            _entry(
                "case.sla.breached",
                case,
                as_of,
                due=due,
                breached_at=due,
                queue_lead_ids=leads,
                notify=notify,
            )
        )
        if case.state in ACTIVE_STATE_VALUES and case.first_responded_at is None:
            entries.append(_escalation(case, as_of, plan, moves))
    if kind == "breach":
        _mark_breached(cases, as_of)
    _move_counts(moves)
    audit_log_bulk(entries)
    return [c.pk for c in cases]


def _mark_breached(cases: list[_Due], as_of: datetime) -> None:
    """The breach flags and each case's escalation (queue, level, assignee) in one UPDATE …
    FROM a JSON list of rows (arrays of parameters cost more to adapt than the rest of the
    batch): PostgreSQL's json_array_elements, SQLite's json_each."""
    if connection.vendor == "postgresql":
        values = ["(r->>0)::bigint", "r->>1", "(r->>2)::integer", "(r->>3)::bigint"]
        source = "json_array_elements(%s::json) AS r"
    else:
        values = [f"json_extract(r.value, '$[{i}]')" for i in range(4)]
        source = "json_each(%s) AS r"
    rows = ", ".join(
        f"{v} AS {n}" for v, n in zip(values, ("id", "queue", "level", "assignee"), strict=True)
    )
    table = connection.ops.quote_name(Case._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS c SET sla_breached = TRUE, sla_state = %s, updated_at = %s, "
            "queue = v.queue, escalation_level = v.level, assignee_id = v.assignee "
            f"FROM (SELECT {rows} FROM {source}) AS v "
            "WHERE c.id = v.id",
            [
                SlaState.BREACHED,
                connection.ops.adapt_datetimefield_value(as_of),
                json.dumps([[c.pk, c.queue, c.escalation_level, c.assignee_id] for c in cases]),
            ],
        )


def _escalation(case: _Due, now: datetime, plan: _BatchRouting, moves: Counter[int]) -> AuditEntry:
    """The sweep's `_escalate` (the rule of services.common._move_up): one tier up, a
    handler of that tier if the assignee cannot take it (counted in `moves`, applied after
    the batch), the support managers told."""
    before = case.assignee_id
    old_queue = case.queue
    new_queue = domain.next_tier(old_queue) or old_queue
    case.queue = new_queue
    case.escalation_level += 1
    if new_queue != old_queue and (
        before is None or not perms.tier_may_handle(case.assignee_tier, new_queue)
    ):
        case.assignee_id = plan.route(new_queue)
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
    for kind in ("warn", "breach"):
        with transaction.atomic():
            fired = _fire_batch(_claim(kind, as_of, 1, case_id), kind, as_of)
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
