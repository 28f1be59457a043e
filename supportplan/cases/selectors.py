"""Reads of cases, always through what the person may see (accounts.permissions)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, QuerySet

from supportplan.accounts import permissions as perms
from supportplan.accounts.models import Role, User
from supportplan.core.errors import NotFound

from . import domain
from .models import ACTIVE_STATE_VALUES, Attachment, Case, Communication, CommunicationKind

QUEUE_SIZE = 50


def cases_visible_to(user: User) -> QuerySet[Case]:
    q = perms.case_visibility(user)
    qs = Case.objects.all()
    return qs if q is None else qs.filter(q)


def case_for(user: User, case_id: Any) -> Case:
    """The case if `user` may see it; another tenant's case is "not found" (never confirmed)."""
    try:
        pk = int(case_id)
    except (TypeError, ValueError):
        raise NotFound(domain.WHAT_CASE) from None
    case = (
        cases_visible_to(user)
        .select_related("tenant", "requester", "assignee", "system", "tam", "rating")
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise NotFound(domain.WHAT_CASE)
    return case


@dataclass(frozen=True)
class CaseFilters:
    state: list[str] | None = None
    severity: list[str] | None = None
    provider: str | None = None
    tenant_id: int | None = None
    assignee_id: int | None = None
    queue: str | None = None
    active: bool | None = None
    out_of_scope: bool | None = None
    search: str = ""


def case_list(user: User, filters: CaseFilters) -> QuerySet[Case]:
    qs = cases_visible_to(user).select_related("tenant", "requester", "assignee", "system")
    if filters.state:
        qs = qs.filter(state__in=filters.state)
    if filters.active is not None:
        qs = (
            qs.filter(state__in=ACTIVE_STATE_VALUES)
            if filters.active
            else qs.exclude(state__in=ACTIVE_STATE_VALUES)
        )
    if filters.severity:
        qs = qs.filter(severity__in=filters.severity)
    if filters.provider:
        qs = qs.filter(provider=filters.provider)
    if filters.tenant_id is not None:
        qs = qs.filter(tenant_id=filters.tenant_id)
    if filters.assignee_id is not None:
        qs = qs.filter(assignee_id=filters.assignee_id)
    if filters.queue:
        qs = qs.filter(queue=filters.queue)
    if filters.out_of_scope is not None:
        qs = qs.filter(out_of_scope=filters.out_of_scope)
    term = filters.search.strip()
    if term:
        cond = Q(subject__icontains=term) | Q(description__icontains=term)
        if term.lstrip("#").isdigit():
            cond |= Q(pk=int(term.lstrip("#")))
        qs = qs.filter(cond)
    return qs.order_by("-created_at", "-id")


def agent_queue(user: User, *, limit: int = QUEUE_SIZE, mine: bool = False) -> QuerySet[Case]:
    """Active cases `user` may work, most urgent SLA due time first (no due time last).

    Handlers: their tier's queue and every lower one, plus their own cases; a TAM also the
    cases of their tenants; managers every queue. Walks the partial index case_queue_due.
    """
    qs = Case.objects.filter(state__in=ACTIVE_STATE_VALUES)
    if mine:
        qs = qs.filter(assignee_id=user.pk)
    elif user.role in perms.SEE_ALL_CASES:
        pass
    elif user.role in perms.CASE_HANDLER_ROLES:
        cond = Q(assignee_id=user.pk)
        tiers = domain.tiers_up_to(user.handler_tier)
        if tiers:
            cond |= Q(queue__in=list(tiers))
        if user.role == Role.TAM:
            cond |= Q(tenant__tam_id=user.pk)
        qs = qs.filter(cond)
    else:
        return Case.objects.none()
    return qs.select_related("tenant", "assignee").order_by(
        F("first_response_due").asc(nulls_last=True), "id"
    )[:limit]


def thread_of(case: Case, user: User) -> QuerySet[Communication]:
    """The case's thread; internal notes only for provider staff."""
    qs = case.communications.select_related("author").order_by("created_at", "id")
    if not perms.is_staff(user):
        qs = qs.exclude(kind=CommunicationKind.INTERNAL_NOTE)
    return qs


def attachments_of(case: Case, user: User) -> QuerySet[Attachment]:
    qs = Attachment.objects.for_tenant(case.tenant).filter(case=case).order_by("created_at", "id")
    if not perms.is_staff(user):
        qs = qs.filter(internal=False)
    return qs


def attachment_for(user: User, case: Case, attachment_id: Any) -> Attachment:
    try:
        pk = int(attachment_id)
    except (TypeError, ValueError):
        raise NotFound(domain.WHAT_ATTACHMENT) from None
    found = attachments_of(case, user).filter(pk=pk).first()
    if found is None:
        raise NotFound(domain.WHAT_ATTACHMENT)
    return found
