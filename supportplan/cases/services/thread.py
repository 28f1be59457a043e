"""The thread: public replies (a customer reply may reopen), internal notes."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from supportplan.accounts import permissions as perms
from supportplan.accounts.models import User
from supportplan.core.errors import Conflict, PermissionDenied

from ..models import (
    Case,
    CaseState,
    Communication,
    CommunicationKind,
    EventKind,
)
from .common import (
    _audit,
    _check_now,
    _event,
    _locked,
    _refresh_sla,
    _reopen,
    _require_customer_or_worker,
    _require_not_closed,
    _require_text,
    _require_worker,
    _save,
)


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
    comm = _public_reply(case, actor, body, now, fields, by_staff=True)
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
    comm = _public_reply(case, actor, body, now, fields, by_staff=False)
    _audit(
        "case.customer_replied",
        case,
        actor,
        now,
        communication_id=comm.pk,
        notify=[pk for pk in (case.assignee_id,) if pk],
    )
    return comm


def _public_reply(
    case: Case, actor: User, body: str, now: datetime, fields: list[str], *, by_staff: bool
) -> Communication:
    """The thread entry of a public reply, then the SLA timers and the case saved."""
    comm = Communication.objects.create(
        case=case,
        kind=CommunicationKind.PUBLIC_REPLY,
        author=actor,
        by_staff=by_staff,
        body=body,
        created_at=now,
    )
    _refresh_sla(case, now, actor)
    _save(case, now, fields)
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
