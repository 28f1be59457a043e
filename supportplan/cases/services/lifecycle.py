"""Severity changes and the lifecycle: waiting on the customer, resume, resolve, reopen,
close (also automatically after the quiet period), rate."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from supportplan.accounts import permissions as perms
from supportplan.accounts.models import Tenant, User
from supportplan.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from supportplan.core.locking import lock_rows

from .. import domain, texts
from ..models import (
    ACTIVE_STATE_VALUES,
    Case,
    CaseState,
    EventKind,
    Rating,
)
from .common import (
    _audit,
    _check_now,
    _event,
    _locked,
    _plan_of,
    _refresh_sla,
    _reopen,
    _require_customer_or_worker,
    _require_not_closed,
    _require_plan_still_in_force,
    _require_text,
    _require_worker,
    _save,
    _system_note,
    _visible,
    quiet_period,
)
from .opening import _schedule_sla_check
from .thread import case_reply


@transaction.atomic
def case_change_severity(
    *, actor: User, case: Case, severity: str, reason: str, now: datetime
) -> Case:
    """Change the severity (with a reason). The plan the case was opened under must include
    it and it must fit the system; the target is recomputed from the creation time."""
    case = _locked(case)
    _check_now(case, now)
    staff = _require_customer_or_worker(actor, case)
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
    domain.check_severity(
        catalog,
        plan,
        severity,
        case.system_class or None,
        customer=case.tenant.name if staff else None,
    )
    old = case.severity
    old_due = case.first_response_due
    case.severity = severity
    _event(case, EventKind.SEVERITY_CHANGED, now, actor, severity=severity, reason=reason)
    _system_note(case, actor, now, texts.SEVERITY_CHANGED, old=old, new=severity, reason=reason)
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
    _system_note(case, actor, now, texts.WAITING_ON_CUSTOMER, state=case.state)
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
    _system_note(case, actor, now, texts.RESOLVED, summary=summary.strip(), state=case.state)
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
    _system_note(case, actor, now, texts.CLOSED, state=case.state, automatic=automatic)
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
