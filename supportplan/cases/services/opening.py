"""Opening a case: every entitlement checked, SLA computed, routed, audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from supportplan.accounts import permissions as perms
from supportplan.accounts.models import RegisteredSystem, Tenant, User
from supportplan.core.errors import DomainError, PermissionDenied
from supportplan.core.task_backend import is_database_backend

from .. import domain, routing
from ..models import (
    Case,
    CaseEvent,
    CaseState,
    EventKind,
)
from ..promise import check_opener, check_system, opening_sla, opening_terms
from .common import _audit, _require_text, _set_sla_columns


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
    staff = check_opener(actor, tenant)
    if staff:
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
        requester = actor
    check_system(system, tenant)
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

    terms = opening_terms(
        tenant=tenant,
        provider=provider,
        severity=severity,
        channel=channel,
        system=system,
        im_platform=im_platform,
        staff=staff,
        now=now,
    )
    catalog, plan, entitlement = terms.catalog, terms.plan, terms.entitlement
    if out_of_scope_code and not staff:
        # Customers say what they need; staff judge whether it is out of scope.
        out_of_scope_code = ""
    scope = domain.assess_scope(
        catalog, software_name, software_version, software_platform, out_of_scope_code
    )

    escorts, escort_bookings = terms.escorts, terms.escort_bookings
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
    # The same function answers the quote before the case is filed (cases.promise).
    result = opening_sla(terms, severity=severity, channel=channel, now=now)
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
    from .. import tasks

    # The task's own backend: `django.tasks.default_task_backend` is a proxy object whose type
    # says nothing about the backend behind it.
    backend = tasks.sla_check_case.get_backend()
    if case.warn_at is None or not backend.supports_defer:
        return
    job = tasks.sla_check_case.using(run_after=case.warn_at)
    case_id = case.pk
    if is_database_backend(backend):
        job.enqueue(case_id=case_id)
    else:
        transaction.on_commit(lambda: job.enqueue(case_id=case_id))
