"""Monthly service reports (customers: their own; staff: batch status and deadlines at risk)."""

from __future__ import annotations

from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from supportplan.reports import selectors as report_selectors
from supportplan.reports.models import ReportStatus

from .common import paginate, signed_in_view, staff_view


@signed_in_view
def reports(request: HttpRequest) -> HttpResponse:
    if request.user.is_provider_staff:  # type: ignore[union-attr]
        return staff_reports(request)
    items = paginate(request, report_selectors.reports_visible_to(request.user))
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
    visible = report_selectors.reports_visible_to(request.user)
    recent = paginate(request, visible)
    at_risk = report_selectors.deadlines_at_risk(now)
    by_status = dict(visible.order_by().values_list("status").annotate(n=Count("id")))
    counts = {s: by_status.get(s, 0) for s in ReportStatus.values}
    return render(
        request,
        "web/reports/staff.html",
        {"nav": "reports", "reports": recent, "at_risk": at_risk, "counts": counts, "now": now},
    )
