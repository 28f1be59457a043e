"""Monthly service reports (customers: their own; staff: batch status and deadlines at risk)
and the staff advisories page."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from supportplan.reports import selectors as report_selectors
from supportplan.reports.models import ReportStatus

from . import extras
from .common import signed_in_view, staff_view


@signed_in_view
def reports(request: HttpRequest) -> HttpResponse:
    if request.user.is_provider_staff:  # type: ignore[union-attr]
        return staff_reports(request)
    items = list(report_selectors.reports_visible_to(request.user)[:60])
    return render(request, "web/reports/list.html", {"nav": "reports", "reports": items})


@signed_in_view
def download(request: HttpRequest, report_id: int) -> HttpResponse:
    """The report as PDF (default) or HTML (`?format=html`, opened in the browser)."""
    report = report_selectors.report_for(request.user, report_id)
    as_html = request.GET.get("format") == "html"
    stored = report.html_file if as_html else report.pdf_file
    if not stored:
        raise Http404()
    try:
        handle = stored.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404() from None
    name = f"report-{report.tenant.slug}-{report.year}-{report.month:02d}.{'html' if as_html else 'pdf'}"
    return FileResponse(
        handle,
        as_attachment=not as_html,
        filename=name,
        content_type="text/html; charset=utf-8" if as_html else "application/pdf",
    )


@staff_view
def staff_reports(request: HttpRequest) -> HttpResponse:
    now = request.now  # type: ignore[attr-defined]
    recent = list(report_selectors.reports_visible_to(request.user)[:200])
    at_risk = report_selectors.deadlines_at_risk(now)
    counts = {s: sum(1 for r in recent if r.status == s) for s in ReportStatus.values}
    return render(
        request,
        "web/reports/staff.html",
        {"nav": "reports", "reports": recent, "at_risk": at_risk, "counts": counts, "now": now},
    )


@staff_view
def staff_advisories(request: HttpRequest) -> HttpResponse:
    items = extras.staff_advisories()
    return render(
        request, "web/console/advisories.html", {"nav": "advisories", "advisories": items}
    )
