"""Advisories (enterprise care plan): customers read one in their language, acknowledge it and
see the handling plan their TAM agreed with them; staff see the reach of each advisory and
record, per tenant, the contact and the agreed handling plan (supportplan.advisories)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportplan.advisories import selectors as adv_selectors
from supportplan.advisories import services as adv_services
from supportplan.advisories.models import Advisory, AdvisoryTarget, TargetStatus
from supportplan.core.tenancy import for_tenant
from supportplan.web.forms import HandlingPlanForm

from .common import call_service, customer_view, paginate, request_now, staff_view


def _advisory_for_tenant(tenant: Any, advisory_id: int) -> Advisory:
    """Only an advisory this organisation was notified of; anything else is 404."""
    advisory = adv_selectors.advisories_for_tenant(tenant).filter(pk=advisory_id).first()
    if advisory is None:
        raise Http404()
    return advisory


@customer_view
def advisory_list(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    page = paginate(request, adv_selectors.advisories_for_tenant(tenant))
    acknowledged = set(
        for_tenant(AdvisoryTarget.objects, tenant)
        .filter(advisory__in=[a.pk for a in page], acknowledged_at__isnull=False)
        .values_list("advisory_id", flat=True)
    )
    for advisory in page:
        advisory.acknowledged = advisory.pk in acknowledged
    return render(request, "web/advisories/list.html", {"nav": "advisories", "page": page})


@customer_view
def advisory_detail(request: HttpRequest, advisory_id: int) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    advisory = _advisory_for_tenant(tenant, advisory_id)
    target = adv_selectors.target_of(advisory, tenant)
    return render(
        request,
        "web/advisories/detail.html",
        {"nav": "advisories", "advisory": advisory, "target": target},
    )


@require_POST
@customer_view
def advisory_acknowledge(request: HttpRequest, advisory_id: int) -> HttpResponse:
    """Idempotent: acknowledging twice changes nothing (the service returns the first)."""
    tenant, user, now = request.tenant, request.user, request_now(request)  # type: ignore[attr-defined]
    advisory = _advisory_for_tenant(tenant, advisory_id)
    ok, _r = call_service(
        request, None, adv_services.advisory_acknowledge, actor=user, advisory=advisory, now=now
    )
    if ok:
        messages.success(request, _("Thank you: your organisation has acknowledged this advisory."))
    return redirect("web:advisory", advisory.pk)


# --------------------------------------------------------------------------- staff


def _with_reach(items: Any) -> Any:
    return items.annotate(
        reach_total=Count("targets"),
        reach_notified=Count("targets", filter=Q(targets__notified_at__isnull=False)),
        reach_acknowledged=Count("targets", filter=Q(targets__acknowledged_at__isnull=False)),
        reach_waiting=Count("targets", filter=Q(targets__status=TargetStatus.AWAITING_TAM)),
    )


@staff_view
def staff_advisories(request: HttpRequest) -> HttpResponse:
    page = paginate(request, _with_reach(adv_selectors.advisories_for_staff()))
    return render(request, "web/console/advisories.html", {"nav": "advisories", "page": page})


def _staff_page(
    request: HttpRequest, advisory: Advisory, forms: dict[int, Any] | None = None, status: int = 200
) -> HttpResponse:
    page = paginate(request, adv_selectors.targets_of(advisory))
    rows = [
        {
            "target": t,
            "form": (forms or {}).get(t.pk)
            or HandlingPlanForm(prefix=f"t{t.pk}", initial={"handling_plan": t.handling_plan}),
            "needs_contact": t.care and t.contacted_at is None,
        }
        for t in page
    ]
    reach = _with_reach(Advisory.objects.filter(pk=advisory.pk)).get()
    return render(
        request,
        "web/console/advisory.html",
        {"nav": "advisories", "advisory": advisory, "reach": reach, "page": page, "rows": rows},
        status=status,
    )


def _staff_advisory(advisory_id: int) -> Advisory:
    advisory = adv_selectors.advisories_for_staff().filter(pk=advisory_id).first()
    if advisory is None:
        raise Http404()
    return advisory


@staff_view
def staff_advisory(request: HttpRequest, advisory_id: int) -> HttpResponse:
    return _staff_page(request, _staff_advisory(advisory_id))


@require_POST
@staff_view
def staff_target_save(request: HttpRequest, advisory_id: int, target_id: int) -> HttpResponse:
    """Record the handling plan agreed with one tenant; for an enterprise-care tenant not yet
    contacted this records the TAM's contact too (which notifies the customer's people)."""
    user, now = request.user, request_now(request)
    advisory = _staff_advisory(advisory_id)
    target = adv_selectors.targets_of(advisory).filter(pk=target_id).first()
    if target is None:
        raise Http404()
    form = HandlingPlanForm(request.POST, prefix=f"t{target.pk}")
    if form.is_valid():
        d = form.cleaned_data
        if target.care and target.contacted_at is None:
            ok, _r = call_service(
                request,
                form,
                adv_services.advisory_record_contact,
                actor=user,
                target=target,
                now=now,
                note=d["note"],
                handling_plan=d["handling_plan"],
            )
        else:
            ok, _r = call_service(
                request,
                form,
                adv_services.advisory_record_plan,
                actor=user,
                target=target,
                handling_plan=d["handling_plan"],
                now=now,
            )
        if ok:
            messages.success(
                request,
                _("Handling plan recorded for %(tenant)s.") % {"tenant": target.tenant.name},
            )
            url = reverse("web:staff_advisory", args=[advisory.pk])
            page = request.GET.get("page")
            return redirect(
                f"{url}{'?page=' + page if page and page.isdigit() else ''}#t{target.pk}"
            )
    return _staff_page(request, advisory, {target.pk: form}, status=400)
