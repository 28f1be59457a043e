"""Every write on a support case: one function per transition.

Each runs in a transaction, locks the case row, appends to the case's event log (what the
SLA timers replay), writes the thread, refreshes the denormalised SLA columns from the
replayed timer, and writes an audit entry with a dotted code:

    case.opened  case.replied  case.customer_replied  case.note_added  case.severity_changed
    case.waiting_on_customer  case.resumed  case.resolved  case.reopened  case.closed
    case.rated  case.assigned  case.escalated  case.scope_flagged  case.best_effort_decided
    case.attachment_added  case.sla.warning  case.sla.breached

Audit `data` always carries case_id, tenant_id, severity, queue, assignee_id and tam_id, and
`notify` (user ids) where people must be told: notifications turn entries into messages.
All times come in as `now` / `as_of`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from supportplan.accounts import permissions as perms
from supportplan.accounts.models import RegisteredSystem, Tenant, User
from supportplan.catalog.domain import Catalog, Plan
from supportplan.core.audit import audit_log
from supportplan.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from supportplan.core.locking import lock_rows
from supportplan.sla import domain as sla

from . import domain, routing, upstream
from .models import (
    ACTIVE_STATE_VALUES,
    Case,
    CaseEvent,
    CaseState,
    Communication,
    CommunicationKind,
    EventKind,
    Rating,
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


def _system_note(case: Case, actor: Any, now: datetime, text: str, **data: Any) -> None:
    Communication.objects.create(
        case=case,
        kind=CommunicationKind.SYSTEM,
        author=actor if getattr(actor, "pk", None) else None,
        by_staff=perms.is_staff(actor),
        body=text,
        data=data,
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


@transaction.atomic
def case_open(
    *,
    actor: User,
    tenant: Tenant,
    provider: str,
    channel: str,
    severity: str,
    subject: str,
    description: str,
    now: datetime,
    requester: User | None = None,
    system: RegisteredSystem | None = None,
    cloud: str = "",
    product: str = "",
    im_platform: str = "",
    software_name: str = "",
    software_version: str = "",
    software_platform: str = "",
    out_of_scope_code: str = "",
) -> Case:
    """Open a case after checking every entitlement (SPEC §2, issue 4).

    A customer opens for their own organisation; staff record a call on a customer's behalf
    (then `requester` is the caller and `logged_by` the staff member).
    """
    staff = perms.is_staff(actor)
    if staff:
        if not perms.has_role(actor, perms.HANDLE_CASES):
            raise PermissionDenied(
                "case.open_forbidden", _("Only support staff can record cases for customers.")
            )
        if requester is None:
            raise DomainError(
                "case.requester_required",
                _("Choose the customer person who called."),
                field="requester",
            )
        if requester.tenant_id != tenant.pk or not requester.is_customer:
            raise DomainError(
                "case.requester_not_in_tenant",
                _("The requester must be a person of the customer's organisation."),
                field="requester",
            )
    else:
        if actor.tenant_id != tenant.pk:
            raise NotFound(domain.WHAT_TENANT)
        requester = actor
    if system is not None and system.tenant_id != tenant.pk:
        raise NotFound(domain.WHAT_SYSTEM)
    subject = _require_text(
        subject, "case.subject_required", _("Give the case a short subject."), "subject", 200
    )
    description = _require_text(
        description,
        "case.description_required",
        _("Describe the problem: what happens, since when, and what you expected."),
        "description",
        20_000,
    )

    entitlement = upstream.plan_in_force(tenant, provider, now)
    if entitlement is None:
        catalog_now = upstream.current_catalog(provider)
        if catalog_now is None:
            raise DomainError(
                "case.unknown_provider",
                _("Unknown provider %(provider)s."),
                field="provider",
                provider=provider,
            )
        raise domain.no_plan_error(catalog_now)
    catalog = upstream.catalog_for_version(entitlement.catalog_version_id)
    plan = catalog.plan(entitlement.plan_code)
    domain.check_technical_contact(plan, tenant.has_technical_contact)
    domain.check_severity(catalog, plan, severity, system.classification if system else None)
    domain.check_channel(catalog, plan, channel, logged_by_staff=staff, im_platform=im_platform)
    if out_of_scope_code and not staff:
        # Customers say what they need; staff judge whether it is out of scope.
        out_of_scope_code = ""
    scope = domain.assess_scope(
        catalog, software_name, software_version, software_platform, out_of_scope_code
    )

    # One query answers both the SLA question (escort intervals, for plans whose escort
    # service sets an urgent first-response target) and which escort teams to tell (the
    # bookings app reads `escort_bookings` from the audit entry instead of asking again).
    escorts, escort_bookings = upstream.escorts_at(tenant, now)
    if not any(g.service.urgent_first_response is not None for g in plan.services):
        escorts = []
    tam_id = tenant.tam_id if "tam" in plan.staff_roles() else None
    assignee = routing.route_to(plan.handler_tier)
    assignee_id = assignee.pk if assignee is not None else None

    case = Case(
        tenant=tenant,
        requester=requester,
        logged_by=actor if staff else None,
        system=system,
        system_class=system.classification if system else "",
        cloud=cloud or (system.cloud if system else ""),
        product=product,
        provider=provider,
        channel=channel,
        im_platform=im_platform,
        severity=severity,
        subject=subject,
        description=description,
        plan_code=plan.code,
        catalog_version_id=entitlement.catalog_version_id,
        subscription_id=entitlement.subscription_id,
        handler_tier=plan.handler_tier,
        queue=plan.handler_tier,
        assignee=assignee,
        tam_id=tam_id,
        state=CaseState.OPEN,
        out_of_scope=scope.out_of_scope,
        out_of_scope_code=scope.code,
        out_of_scope_reason=scope.reason.as_dict() if scope.out_of_scope and scope.reason else {},
        out_of_scope_where=scope.where_to_go.as_dict() if scope.where_to_go else {},
        software_code=scope.software_code,
        software_name=software_name.strip(),
        software_version=software_version.strip(),
        software_platform=scope.platform or software_platform.strip(),
        created_at=now,
        updated_at=now,
    )
    escort_data = [[a.isoformat(), b.isoformat()] for a, b in escorts]
    created = CaseEvent(
        kind=EventKind.CREATED,
        at=now,
        data={"severity": severity, "channel": channel, "escorts": escort_data},
    )
    policy_for = upstream.policy_builder(
        catalog, plan, channel=channel, opened_at=now, escorts=escorts
    )
    result = upstream.replay(_sla_events([created]), policy_for, now)
    _set_sla_columns(case, result)
    case.save(force_insert=True)
    created.case = case
    created.actor = actor
    created.save(force_insert=True)

    sev = catalog.severity(severity)
    # One entry for opening and automatic assignment (each audit entry is dispatched to
    # notifications inside this transaction): the assignee is in `assignee_id` and `notify`.
    notify = [assignee_id] if assignee_id else []
    if tam_id and sev.urgent:
        notify.append(tam_id)
    _audit(
        "case.opened",
        case,
        actor,
        now,
        channel=channel,
        logged_by_id=actor.pk if staff else None,
        urgent=sev.urgent,
        due=case.first_response_due.isoformat() if case.first_response_due else None,
        target_seconds=int(result.first_response.target.total_seconds()),
        calendar=case.sla_calendar,
        escort=case.sla_escort,
        escort_bookings=escort_bookings,
        out_of_scope=case.out_of_scope,
        out_of_scope_code=case.out_of_scope_code,
        assigned_automatically=bool(assignee_id),
        notify=notify,
    )
    _schedule_sla_check(case)
    return case


@transaction.atomic
def case_log_call(
    *,
    actor: User,
    tenant: Tenant,
    requester: User,
    channel: str,
    now: datetime,
    **fields: Any,
) -> Case:
    """A call to the hotline (or the enterprise phone line), recorded by staff."""
    if not perms.is_staff(actor):
        raise PermissionDenied(
            "case.open_forbidden", _("Only support staff can record cases for customers.")
        )
    return case_open(
        actor=actor, tenant=tenant, requester=requester, channel=channel, now=now, **fields
    )


def _schedule_sla_check(case: Case) -> None:
    """Check this case's SLA exactly when its warning is due (the sweep is the safety net).

    With the database task backend the job row is written in the case's own transaction
    (it commits or rolls back with the case, and costs no second commit); other backends
    get it after commit so a worker never looks for a case that is not there yet.
    """
    from . import tasks

    # The task's own backend: `django.tasks.default_task_backend` is a proxy object whose type
    # says nothing about the backend behind it.
    backend = tasks.sla_check_case.get_backend()
    if case.warn_at is None or not backend.supports_defer:
        return
    job = tasks.sla_check_case.using(run_after=case.warn_at)
    case_id = case.pk
    if type(backend).__module__.startswith("django_tasks_db"):
        job.enqueue(case_id=case_id)
    else:
        transaction.on_commit(lambda: job.enqueue(case_id=case_id))


# --------------------------------------------------------------------------- thread


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


@transaction.atomic
def case_reply(*, actor: User, case: Case, body: str, now: datetime) -> Communication:
    """A public reply. From staff, the first one is the first response (stops the clock);
    from the customer, it answers a request for information (resumes the clock) and reopens
    a resolved case."""
    case = _locked(case)
    _check_now(case, now)
    staff = _require_customer_or_worker(actor, case)
    if not staff:
        return _customer_reply(actor, case, body, now)
    _require_not_closed(case)
    body = _require_text(body, "case.body_required", _("Write a reply."), "body", 50_000)
    first = case.first_responded_at is None
    fields = ["first_responded_at", "state"]
    if case.state in (CaseState.RESOLVED,):
        raise Conflict("case.resolved", _("This case is resolved; reopen it to reply."))
    _event(
        case,
        EventKind.FIRST_STAFF_RESPONSE if first else EventKind.STAFF_REPLIED,
        now,
        actor,
    )
    if first:
        case.first_responded_at = now
    if case.state == CaseState.OPEN:
        case.state = CaseState.IN_PROGRESS
    if case.assignee_id is None and perms.may_take_case(actor, case):
        case.assignee = actor
        fields.append("assignee")
    comm = Communication.objects.create(
        case=case,
        kind=CommunicationKind.PUBLIC_REPLY,
        author=actor,
        by_staff=True,
        body=body,
        created_at=now,
    )
    _refresh_sla(case, now, actor)
    _save(case, now, fields)
    _audit(
        "case.replied",
        case,
        actor,
        now,
        communication_id=comm.pk,
        first_response=first,
        sla_state=case.sla_state,
        notify=[case.requester_id],
    )
    return comm


def _customer_reply(actor: User, case: Case, body: str, now: datetime) -> Communication:
    _require_not_closed(case)
    body = _require_text(body, "case.body_required", _("Write a reply."), "body", 50_000)
    fields = ["state"]
    if case.state == CaseState.RESOLVED:
        _reopen(case, actor, now, reason="customer replied")
        fields += ["resolved_at"]
    elif case.state == CaseState.WAITING_ON_CUSTOMER:
        _event(case, EventKind.CUSTOMER_REPLIED, now, actor)
        case.state = CaseState.IN_PROGRESS
    comm = Communication.objects.create(
        case=case,
        kind=CommunicationKind.PUBLIC_REPLY,
        author=actor,
        by_staff=False,
        body=body,
        created_at=now,
    )
    _refresh_sla(case, now, actor)
    _save(case, now, fields)
    _audit(
        "case.customer_replied",
        case,
        actor,
        now,
        communication_id=comm.pk,
        notify=[pk for pk in (case.assignee_id,) if pk],
    )
    return comm


@transaction.atomic
def case_customer_reply(*, actor: User, case: Case, body: str, now: datetime) -> Communication:
    """A reply by a person of the case's organisation (`case_reply` routes here too)."""
    case = _locked(case)
    _check_now(case, now)
    if _require_customer_or_worker(actor, case):
        raise PermissionDenied("case.customer_only", _("Only the customer's people can do this."))
    return _customer_reply(actor, case, body, now)


@transaction.atomic
def case_add_note(*, actor: User, case: Case, body: str, now: datetime) -> Communication:
    """An internal note: staff only; customers never see it (nor its audit text)."""
    case = _locked(case)
    _check_now(case, now)
    _require_worker(actor, case)
    body = _require_text(body, "case.body_required", _("Write the note."), "body", 50_000)
    comm = Communication.objects.create(
        case=case,
        kind=CommunicationKind.INTERNAL_NOTE,
        author=actor,
        by_staff=True,
        body=body,
        created_at=now,
    )
    case.updated_at = now
    case.save(update_fields=["updated_at"])
    _audit("case.note_added", case, actor, now, communication_id=comm.pk, internal=True)
    return comm


# --------------------------------------------------------------------------- changes


def _require_plan_still_in_force(case: Case, now: datetime) -> None:
    if upstream.plan_in_force(case.tenant, case.provider, now) is None:
        catalog = upstream.current_catalog(case.provider) or _plan_of(case)[0]
        raise domain.no_plan_error(catalog)


@transaction.atomic
def case_change_severity(
    *, actor: User, case: Case, severity: str, reason: str, now: datetime
) -> Case:
    """Change the severity (with a reason). The plan the case was opened under must include
    it and it must fit the system; the target is recomputed from the creation time."""
    case = _locked(case)
    _check_now(case, now)
    _require_customer_or_worker(actor, case)
    _require_not_closed(case)
    reason = _require_text(
        reason, "case.reason_required", _("Say why the severity changes."), "reason", 2_000
    )
    if severity == case.severity:
        raise DomainError(
            "case.severity_unchanged",
            _("The case already has this severity."),
            field="severity",
        )
    _require_plan_still_in_force(case, now)
    catalog, plan = _plan_of(case)
    domain.check_severity(catalog, plan, severity, case.system_class or None)
    old = case.severity
    old_due = case.first_response_due
    case.severity = severity
    _event(case, EventKind.SEVERITY_CHANGED, now, actor, severity=severity, reason=reason)
    _system_note(case, actor, now, f"Severity {old} → {severity}: {reason}", old=old, new=severity)
    _refresh_sla(case, now, actor)
    _save(case, now, ["severity"])
    notify = []
    if case.tam_id and catalog.severity(severity).urgent:
        notify.append(case.tam_id)
    if case.assignee_id:
        notify.append(case.assignee_id)
    _audit(
        "case.severity_changed",
        case,
        actor,
        now,
        old=old,
        new=severity,
        reason=reason,
        urgent=catalog.severity(severity).urgent,
        old_due=old_due.isoformat() if old_due else None,
        due=case.first_response_due.isoformat() if case.first_response_due else None,
        notify=notify,
    )
    _schedule_sla_check(case)
    return case


@transaction.atomic
def case_wait_on_customer(*, actor: User, case: Case, now: datetime, message: str = "") -> Case:
    """Staff need something from the customer: the clocks pause until the customer replies.
    An optional message is sent as a public reply first."""
    if message.strip():
        case_reply(actor=actor, case=case, body=message, now=now)
    case = _locked(case)
    _check_now(case, now)
    _require_worker(actor, case)
    if case.state not in (CaseState.OPEN, CaseState.IN_PROGRESS):
        raise Conflict(
            "case.bad_state",
            _("This cannot be done while the case is %(state)s."),
            state=CaseState(case.state).label,
        )
    _event(case, EventKind.WAITING_ON_CUSTOMER, now, actor)
    case.state = CaseState.WAITING_ON_CUSTOMER
    _system_note(case, actor, now, "Waiting on customer", state=case.state)
    _refresh_sla(case, now, actor)
    _save(case, now, ["state"])
    _audit("case.waiting_on_customer", case, actor, now, notify=[case.requester_id])
    return case


@transaction.atomic
def case_resume(*, actor: User, case: Case, now: datetime) -> Case:
    """Staff take a waiting case back without a customer reply (the clocks run again)."""
    case = _locked(case)
    _check_now(case, now)
    _require_worker(actor, case)
    if case.state != CaseState.WAITING_ON_CUSTOMER:
        raise Conflict(
            "case.bad_state",
            _("This cannot be done while the case is %(state)s."),
            state=CaseState(case.state).label,
        )
    _event(case, EventKind.RESUMED, now, actor)
    case.state = CaseState.IN_PROGRESS
    _refresh_sla(case, now, actor)
    _save(case, now, ["state"])
    _audit("case.resumed", case, actor, now)
    return case


@transaction.atomic
def case_resolve(*, actor: User, case: Case, now: datetime, summary: str = "") -> Case:
    """Resolved by staff (or by the customer: "solved, thank you"). Closes by itself after
    the quiet period unless reopened."""
    case = _locked(case)
    _check_now(case, now)
    _require_customer_or_worker(actor, case)
    if case.state not in ACTIVE_STATE_VALUES:
        raise Conflict(
            "case.bad_state",
            _("This cannot be done while the case is %(state)s."),
            state=CaseState(case.state).label,
        )
    _event(case, EventKind.RESOLVED, now, actor, summary=summary)
    case.state = CaseState.RESOLVED
    case.resolved_at = now
    _system_note(case, actor, now, f"Resolved. {summary}".strip(), state=case.state)
    _refresh_sla(case, now, actor)
    _save(case, now, ["state", "resolved_at"])
    _audit(
        "case.resolved",
        case,
        actor,
        now,
        summary=summary,
        closes_at=(now + quiet_period()).isoformat(),
        notify=[case.requester_id],
    )
    return case


def _reopen(case: Case, actor: Any, now: datetime, reason: str) -> None:
    _event(case, EventKind.REOPENED, now, actor, reason=reason)
    case.state = CaseState.IN_PROGRESS if case.first_responded_at else CaseState.OPEN
    case.resolved_at = None
    _system_note(case, actor, now, f"Reopened: {reason}".strip(), state=case.state)
    notify = [pk for pk in (case.assignee_id,) if pk]
    _audit("case.reopened", case, actor, now, reason=reason, notify=notify)


@transaction.atomic
def case_reopen(*, actor: User, case: Case, now: datetime, reason: str = "") -> Case:
    """Reopen a resolved case before it closes (the clocks run again)."""
    case = _locked(case)
    _check_now(case, now)
    _require_customer_or_worker(actor, case)
    if case.state == CaseState.CLOSED:
        raise Conflict(
            "case.closed_cannot_reopen",
            _("This case is closed and cannot be reopened; open a new case and mention #%(id)s."),
            id=case.pk,
        )
    if case.state != CaseState.RESOLVED:
        raise Conflict(
            "case.not_resolved", _("Only a resolved case can be reopened."), state=case.state
        )
    _require_plan_still_in_force(case, now)
    _reopen(case, actor, now, reason)
    _refresh_sla(case, now, actor)
    _save(case, now, ["state", "resolved_at"])
    return case


def _close(case: Case, actor: Any, now: datetime, automatic: bool) -> None:
    if case.state in ACTIVE_STATE_VALUES:
        _event(case, EventKind.RESOLVED, now, actor, summary="closed")
    case.state = CaseState.CLOSED
    case.closed_at = now
    if case.resolved_at is None:
        case.resolved_at = now
    _system_note(case, actor, now, "Closed", state=case.state, automatic=automatic)
    _refresh_sla(case, now, actor)
    _save(case, now, ["state", "closed_at", "resolved_at"])
    _audit("case.closed", case, actor, now, automatic=automatic, notify=[case.requester_id])


@transaction.atomic
def case_close(*, actor: User, case: Case, now: datetime) -> Case:
    """Close now. The customer may close (withdraw) any case of theirs; staff close resolved
    cases (resolve first, so the customer can still reopen during the quiet period)."""
    case = _locked(case)
    _check_now(case, now)
    staff = _require_customer_or_worker(actor, case)
    if case.state == CaseState.CLOSED:
        raise Conflict("case.closed", _("This case is closed; open a new case instead."))
    if (
        staff
        and case.state != CaseState.RESOLVED
        and not perms.has_role(actor, perms.SEE_ALL_CASES)
    ):
        raise Conflict(
            "case.resolve_first", _("Resolve the case first; it closes after the quiet period.")
        )
    _close(case, actor, now, automatic=False)
    return case


@transaction.atomic
def case_close_quiet(*, case_id: int, now: datetime) -> bool:
    """Close a resolved case whose quiet period has passed. Idempotent: False if nothing to do."""
    rows = lock_rows(Case, [case_id])
    if not rows:
        return False
    case = rows[0]
    if case.state != CaseState.RESOLVED or case.resolved_at is None:
        return False
    if case.resolved_at + quiet_period() > now:
        return False
    case.tenant = Tenant.objects.get(pk=case.tenant_id)
    _close(case, None, now, automatic=True)
    return True


def close_quiet_cases(*, as_of: datetime) -> list[int]:
    """Every resolved case past its quiet period, closed (each in its own transaction)."""
    cutoff = as_of - quiet_period()
    ids = list(
        Case.objects.filter(state=CaseState.RESOLVED, resolved_at__lte=cutoff)
        .order_by("resolved_at")
        .values_list("pk", flat=True)
    )
    return [pk for pk in ids if case_close_quiet(case_id=pk, now=as_of)]


@transaction.atomic
def case_rate(*, actor: User, case: Case, score: int, now: datetime, comment: str = "") -> Rating:
    """The requester rates a resolved or closed case, once (1–5 and a comment)."""
    case = _locked(case)
    _check_now(case, now)
    if not perms.may_act_as_customer(actor, case):
        if _visible(actor, case):
            raise PermissionDenied(
                "case.rating_requester_only", _("Only the person who asked can rate the case.")
            )
        raise NotFound(domain.WHAT_CASE)
    if actor.pk != case.requester_id:
        raise PermissionDenied(
            "case.rating_requester_only", _("Only the person who asked can rate the case.")
        )
    if case.state not in (CaseState.RESOLVED, CaseState.CLOSED):
        raise Conflict("case.rating_not_resolved", _("A case can be rated once it is resolved."))
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise DomainError(
            "case.rating_invalid", _("Rate from 1 (poor) to 5 (excellent)."), field="score"
        )
    if Rating.objects.filter(case=case).exists():
        raise Conflict("case.already_rated", _("This case has already been rated."))
    rating = Rating.objects.create(
        case=case, score=score, comment=comment.strip(), rated_by=actor, created_at=now
    )
    _audit("case.rated", case, actor, now, score=score, comment=comment.strip())
    return rating


# --------------------------------------------------------------------------- people


@transaction.atomic
def case_assign(*, actor: User, case: Case, assignee: User, now: datetime) -> Case:
    """Managers assign anyone whose tier covers the queue; handlers take cases themselves
    (a higher tier may take lower-tier cases, never the reverse)."""
    case = _locked(case)
    _check_now(case, now)
    if not _visible(actor, case):
        raise NotFound(domain.WHAT_CASE)
    if assignee.pk != actor.pk and not perms.may_assign_cases(actor):
        raise PermissionDenied(
            "case.assign_forbidden", _("Only a support manager can assign cases to others.")
        )
    if not perms.may_take_case(assignee, case):
        raise PermissionDenied(
            "case.tier_too_low",
            _(
                "%(name)s (tier %(tier)s) cannot take a case in the %(queue)s queue: a higher "
                "tier may take lower-tier cases, never the reverse."
            ),
            name=assignee.get_full_name() or assignee.username,
            tier=assignee.handler_tier or "-",
            queue=case.queue,
        )
    _require_not_closed(case)
    previous = case.assignee_id
    case.assignee = assignee
    case.updated_at = now
    case.save(update_fields=["assignee", "updated_at"])
    _audit(
        "case.assigned",
        case,
        actor,
        now,
        previous_assignee_id=previous,
        automatic=False,
        notify=[assignee.pk] if assignee.pk != actor.pk else [],
    )
    return case


def case_take(*, actor: User, case: Case, now: datetime) -> Case:
    return case_assign(actor=actor, case=case, assignee=actor, now=now)


def _escalate(case: Case, actor: Any, now: datetime, reason: str) -> None:
    """Move the case up one tier (if any), rebalance the assignee, tell the support managers."""
    old_queue = case.queue
    new_queue = domain.next_tier(case.queue) or case.queue
    case.queue = new_queue
    case.escalation_level += 1
    if new_queue != old_queue:
        assignee = case.assignee
        if assignee is None or not perms.tier_may_handle(assignee.handler_tier, new_queue):
            case.assignee_id = routing.route(new_queue)
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


@transaction.atomic
def case_escalate(*, actor: User, case: Case, now: datetime, reason: str) -> Case:
    """Escalate by hand (staff working the case, or a manager)."""
    case = _locked(case)
    _check_now(case, now)
    _require_worker(actor, case)
    _require_not_closed(case)
    reason = _require_text(
        reason, "case.reason_required", _("Say why the case is escalated."), "reason", 2_000
    )
    _escalate(case, actor, now, reason)
    case.updated_at = now
    case.save(update_fields=["queue", "escalation_level", "assignee", "updated_at"])
    return case


# --------------------------------------------------------------------------- scope


@transaction.atomic
def case_flag_out_of_scope(*, actor: User, case: Case, code: str, now: datetime) -> Case:
    """Staff flag a case as outside the plan's scope (e.g. code development)."""
    case = _locked(case)
    _check_now(case, now)
    _require_worker(actor, case)
    catalog, _plan = _plan_of(case)
    decision = domain.assess_scope(catalog, "", "", "", code)
    case.out_of_scope = True
    case.out_of_scope_code = decision.code
    case.out_of_scope_reason = decision.reason.as_dict() if decision.reason else {}
    case.out_of_scope_where = decision.where_to_go.as_dict() if decision.where_to_go else {}
    case.updated_at = now
    case.save(
        update_fields=[
            "out_of_scope",
            "out_of_scope_code",
            "out_of_scope_reason",
            "out_of_scope_where",
            "updated_at",
        ]
    )
    _audit("case.scope_flagged", case, actor, now, code=decision.code, notify=[case.requester_id])
    return case


@transaction.atomic
def case_decide_best_effort(
    *, actor: User, case: Case, help: bool, now: datetime, note: str = ""
) -> Case:
    """For an out-of-scope case, staff record whether they help anyway (best effort)."""
    case = _locked(case)
    _check_now(case, now)
    _require_worker(actor, case)
    if not case.out_of_scope:
        raise Conflict("case.in_scope", _("This case is in scope; no decision is needed."))
    case.best_effort = bool(help)
    case.best_effort_by = actor
    case.best_effort_at = now
    case.updated_at = now
    case.save(update_fields=["best_effort", "best_effort_by", "best_effort_at", "updated_at"])
    _system_note(
        case, actor, now, ("Best effort: yes. " if help else "Best effort: no. ") + note.strip()
    )
    _audit("case.best_effort_decided", case, actor, now, help=bool(help), note=note.strip())
    return case


# --------------------------------------------------------------------------- SLA sweep


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
