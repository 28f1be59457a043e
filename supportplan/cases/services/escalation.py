"""Who works a case: assignment by a manager, taking it, escalating it by hand."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from supportplan.accounts import permissions as perms
from supportplan.accounts.models import User
from supportplan.core.errors import NotFound, PermissionDenied

from .. import domain
from ..models import (
    Case,
)
from .common import (
    _audit,
    _check_now,
    _escalate,
    _locked,
    _require_not_closed,
    _require_text,
    _require_worker,
    _visible,
)


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
