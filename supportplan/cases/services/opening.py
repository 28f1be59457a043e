"""Opening a case: every entitlement checked, SLA computed, routed, audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from supportplan.accounts import permissions as perms
from supportplan.accounts.models import RegisteredSystem, Tenant, User
from supportplan.core.errors import DomainError, NotFound, PermissionDenied

from .. import domain, routing, upstream
from ..models import (
    Case,
    CaseEvent,
    CaseState,
    EventKind,
)
from .common import _audit, _require_text, _set_sla_columns, _sla_events


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
    if tenant.awaiting_approval:  # self-registered, not yet approved by staff (accounts)
        raise DomainError(
            "case.organisation_pending",
            _(
                "Your organisation is waiting for the provider's approval; cases can be opened once it is approved."
            ),
        )
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
    reader = tenant.name if staff else None  # staff read "Acme's Basic plan", not "Your"
    domain.check_severity(
        catalog, plan, severity, system.classification if system else None, customer=reader
    )
    domain.check_channel(
        catalog, plan, channel, logged_by_staff=staff, im_platform=im_platform, customer=reader
    )
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
    from .. import tasks

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
