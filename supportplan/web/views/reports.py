"""Monthly service reports (customers: their own; staff: batch status, deadlines at risk,
generate, preview and resend). Every read goes through `reports.selectors.report_for`
(another tenant's id is a 404); every write is one `reports.services` call."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from supportplan.accounts.models import Tenant
from supportplan.reports import selectors as report_selectors
from supportplan.reports import services as report_services
from supportplan.reports.data import Month
from supportplan.reports.models import ReportState, ReportStatus
from supportplan.reports.render import STORED_REPORT_CSP

from .common import call_service, paginate, request_now, signed_in_view, staff_view


@signed_in_view
def reports(request: HttpRequest) -> HttpResponse:
    if request.user.is_provider_staff:  # type: ignore[union-attr]
        return staff_reports(request)
    items = paginate(request, report_selectors.reports_visible_to(request.user))
    return render(request, "web/reports/list.html", {"nav": "reports", "reports": items})


@signed_in_view
def report(request: HttpRequest, report_id: int) -> HttpResponse:
    """`/reports/<id>/` (the link in notices): the report inside the site's header, with the
    way back, the language it was written in and why (it follows the organisation's language;
    the report is generated once, in that language)."""
    found = report_selectors.report_for(request.user, report_id)
    if not found.html_file:
        raise Http404()
    languages = dict(settings.LANGUAGES)
    shown = request.GET.get("in", "")
    if shown not in languages or not found.content_file:
        shown = found.language
    return render(
        request,
        "web/reports/detail.html",
        {
            "nav": "reports",
            "report": found,
            "report_language": languages.get(found.language, found.language),
            "differs": found.language != get_language(),
            "shown": shown,
            "shown_name": languages.get(shown, shown),
            # the other languages the reader may have it drawn in
            "switches": [
                (code, name)
                for code, name in languages.items()
                if code != shown and found.content_file
            ],
        },
    )


@xframe_options_sameorigin
@signed_in_view
def download(request: HttpRequest, report_id: int) -> HttpResponse | FileResponse:
    """The report as PDF (default) or HTML (`?format=html`, opened in the browser)."""
    found = report_selectors.report_for(request.user, report_id)
    shown = request.GET.get("in", "")
    if (
        request.GET.get("format") == "html"
        and shown in dict(settings.LANGUAGES)
        and shown != found.language
    ):
        page = report_services.report_page_in(found, shown)
        if page is None:
            raise Http404()
        response = HttpResponse(page, content_type="text/html; charset=utf-8")
        response["Content-Security-Policy"] = STORED_REPORT_CSP
        return response
    return _serve(found, as_html=request.GET.get("format") == "html")


def _serve(report: Any, *, as_html: bool) -> FileResponse:
    stored = report.html_file if as_html else report.pdf_file
    if not stored:
        raise Http404()
    try:
        handle = stored.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404() from None
    name = f"report-{report.tenant.slug}-{report.year}-{report.month:02d}.{'html' if as_html else 'pdf'}"
    response = FileResponse(
        handle,
        as_attachment=not as_html,
        filename=name,
        content_type="text/html; charset=utf-8" if as_html else "application/pdf",
    )
    if as_html:
        response["Content-Security-Policy"] = STORED_REPORT_CSP
    return response


class GenerateForm(forms.Form):
    tenant = forms.ModelChoiceField(
        queryset=Tenant.objects.order_by("name"), label=_("Customer"), empty_label=None
    )
    month = forms.CharField(
        label=_("Month"), max_length=7, help_text=_("YYYY-MM, e.g. 2026-10 for October 2026.")
    )
    force = forms.BooleanField(
        label=_("Generate again, replacing the stored report"), required=False
    )
    send = forms.BooleanField(label=_("E-mail it to the customer when ready"), required=False)


def _staff_page(request: HttpRequest, form: GenerateForm) -> HttpResponse:
    now = request_now(request)
    visible = report_selectors.reports_visible_to(request.user)
    recent = paginate(request, visible)
    at_risk = report_selectors.deadlines_at_risk(now)
    by_status = dict(visible.order_by().values_list("status").annotate(n=Count("id")))
    counts = {s: by_status.get(s, 0) for s in ReportStatus.values}
    return render(
        request,
        "web/reports/staff.html",
        {
            "nav": "reports",
            "reports": recent,
            "at_risk": at_risk,
            "counts": counts,
            "now": now,
            "form": form,
        },
    )


@staff_view
def staff_reports(request: HttpRequest) -> HttpResponse:
    now = request_now(request)
    initial: dict[str, Any] = {"month": Month.containing(now).previous().label, "send": True}
    if request.GET.get("tenant"):
        initial["tenant"] = request.GET["tenant"]
    return _staff_page(request, GenerateForm(initial=initial))


@require_POST
@staff_view
def staff_generate(request: HttpRequest) -> HttpResponse:
    now = request_now(request)
    form = GenerateForm(request.POST)
    if not form.is_valid():
        return _staff_page(request, form)
    ok, month = call_service(request, form, Month.parse, text=form.cleaned_data["month"])
    if not ok:
        return _staff_page(request, form)
    ok, queued = call_service(
        request,
        form,
        report_services.report_enqueue,
        tenant=form.cleaned_data["tenant"],
        month=month,
        now=now,
        actor=request.user,
        force=form.cleaned_data["force"],
        send=form.cleaned_data["send"],
    )
    if not ok:
        return _staff_page(request, form)
    found = queued.report
    if found.state == ReportState.FAILED:
        messages.error(
            request,
            gettext("Not generated: %(reason)s")
            % {"reason": report_services.state_reason_text(found)},
        )
    elif queued.queued and found.state != ReportState.DONE:
        messages.success(
            request,
            gettext(
                "Report %(month)s for %(customer)s is queued: a worker generates it; this page "
                "shows its progress."
            )
            % {"month": found.period, "customer": found.tenant.name},
        )
    else:
        messages.success(
            request,
            gettext("Report %(month)s for %(customer)s: %(status)s.")
            % {
                "month": found.period,
                "customer": found.tenant.name,
                "status": found.get_status_display()
                if found.state == ReportState.DONE
                else found.get_state_display(),
            },
        )
    return redirect("web:staff_reports")


@require_POST
@staff_view
def staff_send(request: HttpRequest, report_id: int) -> HttpResponse:
    found = report_selectors.report_for(request.user, report_id)
    ok, sent = call_service(
        request,
        None,
        report_services.report_send,
        report=found,
        now=request_now(request),
        actor=request.user,
        resend=True,
    )
    if ok:
        messages.success(
            request,
            gettext(
                "Report %(month)s for %(customer)s is queued for e-mail to %(to)s; it shows as "
                "sent once every mail server accepted it."
            )
            % {
                "month": sent.period,
                "customer": sent.tenant.name,
                "to": ", ".join(sent.tenant.report_recipients()),
            },
        )
    return redirect("web:staff_reports")
