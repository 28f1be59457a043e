"""What every case service shares: locking, audit entries, the event log, SLA columns, the
permission guards, and escalation (by hand or when the sweep fires a breach)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from supportplan.accounts import permissions as perms
from supportplan.accounts.models import Tenant
from supportplan.catalog.domain import Catalog, Plan
from supportplan.core.audit import audit_log
from supportplan.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from supportplan.core.locking import lock_rows
from supportplan.sla import domain as sla

from .. import domain, routing, texts, upstream
from ..models import (
    ACTIVE_STATE_VALUES,
    Case,
    CaseEvent,
    CaseState,
    Communication,
    CommunicationKind,
    EventKind,
    SlaState,
)

# --------------------------------------------------------------------------- settings

DEFAULT_QUIET_PERIOD = timedelta(days=7)


def quiet_period() -> timedelta:
    """How long a resolved case stays reopenable before it closes by itself."""
    hours = getattr(settings, "SUPPORTPLAN_CASE_QUIET_HOURS", None)
    return timedelta(hours=float(hours)) if hours else DEFAULT_QUIET_PERIOD


# --------------------------------------------------------------------------- helpers


def _plan_of(case: Case) -> tuple[Catalog, Plan]:
    catalog = upstream.catalog_for_version(case.catalog_version_id)
    return catalog, catalog.plan(case.plan_code)


def _locked(case: Case | int) -> Case:
    pk = case if isinstance(case, int) else case.pk
    rows = lock_rows(Case, [pk])
    if not rows:
        raise NotFound(domain.WHAT_CASE)
    locked = rows[0]
    # lock_rows selects without joins; the tenant is needed for permissions and audit.
    locked.tenant = Tenant.objects.get(pk=locked.tenant_id)
    return locked


def _check_now(case: Case, now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("case services need an aware `now`")
    if now < case.created_at:
        raise DomainError(
            "case.time_before_creation",
            _("This change is dated %(now)s, before the case was opened (%(created)s)."),
            now=now.isoformat(),
            created=case.created_at.isoformat(),
        )


def _base_data(case: Case, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "case_id": case.pk,
        "tenant_id": case.tenant_id,
        "subject": case.subject,
        "severity": case.severity,
        "provider": case.provider,
        "plan": case.plan_code,
        "queue": case.queue,
        "state": case.state,
        "assignee_id": case.assignee_id,
        "tam_id": case.tam_id,
        "requester_id": case.requester_id,
    }
    data.update(extra)
    return data


def _audit(action: str, case: Case, actor: Any, now: datetime, **extra: Any) -> None:
    audit_log(
        action=action,
        at=now,
        actor=actor,
        tenant=case.tenant,
        target=case,
        data=_base_data(case, **extra),
    )


def _event(case: Case, kind: str, now: datetime, actor: Any = None, **data: Any) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case, kind=kind, at=now, actor=actor if getattr(actor, "pk", None) else None, data=data
    )


def _system_note(case: Case, actor: Any, now: datetime, event: str, **data: Any) -> None:
    """A system note stores its event code and parameters (rendered in the reader's language
    by cases.texts); the body is the English rendering."""
    Communication.objects.create(
        case=case,
        kind=CommunicationKind.SYSTEM,
        author=actor if getattr(actor, "pk", None) else None,
        by_staff=perms.is_staff(actor),
        body=texts.english(event, data),
        data={"event": event, **data},
        created_at=now,
    )


def _sla_events(rows: Iterable[CaseEvent]) -> list[sla.CaseEvent]:
    return [sla.CaseEvent(kind=r.kind, at=r.at, severity=r.data.get("severity")) for r in rows]


def _escorts_of(created: CaseEvent | None) -> list[tuple[datetime, datetime]]:
    if created is None:
        return []
    return [
        (datetime.fromisoformat(a), datetime.fromisoformat(b))
        for a, b in created.data.get("escorts", [])
    ]


def compute_sla(case: Case, as_of: datetime, events: list[CaseEvent] | None = None) -> sla.CaseSla:
    """Replay the case's event log at `as_of` (pure given the rows)."""
    rows = events if events is not None else list(case.events.order_by("at", "id"))
    catalog, plan = _plan_of(case)
    created = next((r for r in rows if r.kind == EventKind.CREATED), None)
    policy_for = upstream.policy_builder(
        catalog,
        plan,
        channel=case.channel,
        opened_at=case.created_at,
        escorts=_escorts_of(created),
    )
    return upstream.replay(_sla_events(rows), policy_for, as_of)


def _set_sla_columns(case: Case, result: sla.CaseSla) -> None:
    timer = result.first_response
    case.sla_calendar = timer.calendar
    case.first_response_target = timer.target
    case.sla_escort = timer.source == "escort"
    case.sla_state = str(timer.state)
    unanswered = timer.stopped_at is None
    if timer.state == sla.TimerState.RUNNING or (
        timer.state == sla.TimerState.BREACHED and unanswered
    ):
        case.first_response_due = timer.due_at
    else:
        case.first_response_due = None
    points = [p.at for p in timer.warnings if p.at is not None]
    case.warn_at = min(points) if points and timer.state == sla.TimerState.RUNNING else None


SLA_FIELDS = [
    "sla_calendar",
    "first_response_target",
    "sla_escort",
    "sla_state",
    "first_response_due",
    "warn_at",
    "sla_breached",
    # a breach found on refresh escalates: queue and assignee may move with it
    "queue",
    "escalation_level",
    "assignee",
]


def _refresh_sla(case: Case, now: datetime, actor: Any = None) -> sla.CaseSla:
    """Recompute the SLA columns; a breach the replay finds that nobody recorded yet fires here
    (e.g. the first reply came after the due time but before the sweep ran)."""
    result = compute_sla(case, now)
    _set_sla_columns(case, result)
    timer = result.first_response
    if timer.state == sla.TimerState.BREACHED and not case.sla_breached:
        _fire_breach(case, now, breached_at=timer.breached_at)
    return result


def _save(case: Case, now: datetime, fields: Iterable[str]) -> None:
    case.updated_at = now
    case.save(update_fields=sorted({*fields, *SLA_FIELDS, "updated_at"}))


# --------------------------------------------------------------------------- opening


def _require_text(value: str, code: str, message: Any, field: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(code, message, field=field)
    if len(value) > limit:
        raise DomainError(
            "case.text_too_long",
            _("%(field)s is too long: at most %(limit)s characters."),
            field=field,
            limit=limit,
        )
    return value


def _reopen(case: Case, actor: Any, now: datetime, reason: str) -> None:
    _event(case, EventKind.REOPENED, now, actor, reason=reason)
    case.state = CaseState.IN_PROGRESS if case.first_responded_at else CaseState.OPEN
    case.resolved_at = None
    _system_note(case, actor, now, texts.REOPENED, reason=reason.strip(), state=case.state)
    notify = [pk for pk in (case.assignee_id,) if pk]
    _audit("case.reopened", case, actor, now, reason=reason, notify=notify)


# --------------------------------------------------------------------------- guards


def _require_customer_or_worker(actor: Any, case: Case) -> bool:
    """True for staff who may work the case, False for the case's customer; else refuse."""
    if perms.may_act_as_customer(actor, case):
        return False
    if perms.may_work_case(actor, case):
        return True
    if perms.is_staff(actor) and _visible(actor, case):
        raise PermissionDenied(
            "case.read_only",
            _("Your role can read this case but not change it."),
        )
    raise NotFound(domain.WHAT_CASE)


def _require_worker(actor: Any, case: Case) -> None:
    if perms.may_work_case(actor, case):
        return
    if perms.may_act_as_customer(actor, case) or (perms.is_staff(actor) and _visible(actor, case)):
        raise PermissionDenied(
            "case.staff_only", _("Only support staff handling this case can do this.")
        )
    raise NotFound(domain.WHAT_CASE)


def _visible(actor: Any, case: Case) -> bool:
    q = perms.case_visibility(actor)
    return q is None or Case.objects.filter(q, pk=case.pk).exists()


def _require_not_closed(case: Case) -> None:
    if case.state == CaseState.CLOSED:
        raise Conflict("case.closed", _("This case is closed; open a new case instead."))


def _require_plan_still_in_force(case: Case, now: datetime) -> None:
    if upstream.plan_in_force(case.tenant, case.provider, now) is None:
        catalog = upstream.current_catalog(case.provider) or _plan_of(case)[0]
        raise domain.no_plan_error(catalog)


# --------------------------------------------------------------------------- escalation and the SLA sweep's firing


def _move_up(case: Case, route: Callable[[str], int | None]) -> tuple[str, str]:
    """One tier up (if any) and, if the assignee cannot take that tier, whoever `route`
    picks for it. Returns (old queue, new queue); the caller saves and audits."""
    old_queue = case.queue
    new_queue = domain.next_tier(case.queue) or case.queue
    case.queue = new_queue
    case.escalation_level += 1
    if new_queue != old_queue:
        assignee = case.assignee
        if assignee is None or not perms.tier_may_handle(assignee.handler_tier, new_queue):
            case.assignee_id = route(new_queue)
    return old_queue, new_queue


def _escalate(case: Case, actor: Any, now: datetime, reason: str) -> None:
    """Move the case up one tier (if any), rebalance the assignee, tell the support managers."""
    old_queue, new_queue = _move_up(case, routing.route)
    managers = routing.support_managers()
    notify = sorted({*managers, *([case.assignee_id] if case.assignee_id else [])})
    _audit(
        "case.escalated",
        case,
        actor,
        now,
        reason=reason,
        from_queue=old_queue,
        to_queue=new_queue,
        level=case.escalation_level,
        notify=notify,
        support_manager_ids=managers,
    )


def _fire_warning(case: Case, now: datetime) -> None:
    leads = routing.queue_leads(case.queue)
    notify = sorted({*leads, *([case.assignee_id] if case.assignee_id else [])})
    _audit(
        "case.sla.warning",
        case,
        None,
        now,
        due=case.first_response_due.isoformat() if case.first_response_due else None,
        warn_at=case.warn_at.isoformat() if case.warn_at else None,
        queue_lead_ids=leads,
        notify=notify,
    )


def _fire_breach(case: Case, now: datetime, breached_at: datetime | None) -> None:
    """Record a breach (callers guarantee once: the flag is claimed under the row lock).
    An unanswered active case escalates to the next tier and the support managers."""
    case.sla_breached = True
    case.sla_state = SlaState.BREACHED
    leads = routing.queue_leads(case.queue)
    _audit(
        "case.sla.breached",
        case,
        None,
        now,
        due=case.first_response_due.isoformat() if case.first_response_due else None,
        breached_at=breached_at.isoformat() if breached_at else None,
        queue_lead_ids=leads,
        notify=sorted({*leads, *([case.assignee_id] if case.assignee_id else [])}),
    )
    if case.state in ACTIVE_STATE_VALUES and case.first_responded_at is None:
        _escalate(case, None, now, "sla_breached")
