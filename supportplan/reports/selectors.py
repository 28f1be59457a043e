"""Tenant-scoped reads of reports. Customers reach only their own tenant's reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from supportplan.accounts.models import Tenant
from supportplan.accounts.permissions import is_staff
from supportplan.core.errors import NotFound

from . import collector
from .data import Month
from .models import Report, ReportStatus

AT_RISK_WINDOW = timedelta(days=3)  # not sent and the deadline is this close (or passed)


def reports_of(tenant: Tenant) -> QuerySet[Report]:
    return Report.objects.for_tenant(tenant).order_by("-year", "-month")


def reports_visible_to(user: Any) -> QuerySet[Report]:
    if is_staff(user):
        return Report.objects.select_related("tenant").order_by("-year", "-month", "tenant__name")
    if getattr(user, "tenant_id", None):
        # customers see finished reports only; "not generated" records are for staff
        return (
            Report.objects.filter(tenant_id=user.tenant_id)
            .exclude(status=ReportStatus.NOT_GENERATED)
            .select_related("tenant")
            .order_by("-year", "-month")
        )
    return Report.objects.none()


def report_for(user: Any, report_id: Any) -> Report:
    """The report if `user` may see it; any other id answers "not found" (never 403, so
    ids of other tenants' reports cannot be probed)."""
    try:
        return reports_visible_to(user).get(pk=int(report_id))
    except (Report.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Report")) from None


@dataclass(frozen=True)
class AtRisk:
    tenant: Tenant
    month: str
    deadline: Any
    due_at: datetime
    state: str  # missing | not_generated | ready (not sent) | sending (not yet delivered)
    report: Report | None
    overdue: bool


def deadlines_at_risk(now: datetime, month: Month | None = None) -> list[AtRisk]:
    """Entitled tenants whose report for `month` (default: last month) is not sent and
    whose deadline is within AT_RISK_WINDOW or passed."""
    from .services import report_deadline

    month = month or Month.containing(now).previous()
    deadline = report_deadline(month)
    # before the window only failures are at risk; inside it anything not yet sent is
    candidates_only_failed = now < deadline.due_at - AT_RISK_WINDOW
    existing = {
        r.tenant_id: r
        for r in Report.objects.filter(year=month.year, month=month.month).select_related("tenant")
    }
    out = []
    for tenant in Tenant.objects.order_by("name"):
        report = existing.get(tenant.pk)
        if report is not None and (report.status == ReportStatus.SENT or report.sent_at):
            continue  # delivered (a resend in progress does not undo that)
        if report is None and collector.report_plan(tenant, month) is None:
            continue
        state = "missing" if report is None else report.status
        if candidates_only_failed and state != ReportStatus.NOT_GENERATED:
            continue
        due_at = report.due_at if report else deadline.due_at
        out.append(
            AtRisk(
                tenant,
                month.label,
                report.deadline if report else deadline.day,
                due_at,
                state,
                report,
                now >= due_at,
            )
        )
    return out
