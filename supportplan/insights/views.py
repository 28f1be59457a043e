"""Pages: the plan advisor (portal and console) and the staffing planner (console)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from supportplan.accounts import permissions as perms
from supportplan.accounts.models import HandlerTier
from supportplan.catalog.selectors import current_catalogs
from supportplan.core.errors import DomainError
from supportplan.web.views.common import customer_view, request_now, staff_view, user_of

from . import access, api, domain, selectors

DAY_NAMES = (
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
)


def _duration(seconds: int) -> str:
    minutes = seconds // 60
    if minutes % 60 == 0:
        return str(_("%(n)s h") % {"n": minutes // 60})
    return str(_("%(n)s min") % {"n": minutes})


def _advice_context(request: HttpRequest, tenant: Any) -> tuple[dict[str, Any], int]:
    """The advisor's answer for the page, or the refusal of a bad parameter (status 400)."""
    now = request_now(request)
    q = request.GET
    context: dict[str, Any] = {
        "providers": [(code, c.provider.name) for code, c in sorted(current_catalogs().items())],
        "chosen": {k: q.get(k, "") for k in ("provider", "from", "until")},
    }
    try:
        result = selectors.plan_advice(
            tenant,
            now,
            provider=q.get("provider") or None,
            start=q.get("from") or None,
            end=q.get("until") or None,
        )
    except DomainError as exc:
        context["error"] = exc.message
        return context, 400
    data = selectors.advice_as_dict(result, get_language() or "en")
    for plan in data["plans"]:
        for t in plan["targets"]:
            t["text"] = _duration(t["first_response_seconds"])
    context["advice"] = data
    context["chosen"]["provider"] = result.provider
    context["range_last"] = (
        (result.end - timedelta(microseconds=1)).astimezone(selectors.BUSINESS_TZ).date()
    )
    context["range_first"] = result.start.astimezone(selectors.BUSINESS_TZ).date()
    return context, 200


@customer_view
def plan_advisor(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    access.require_plan_advice(user_of(request), tenant)
    context, status = _advice_context(request, tenant)
    context.update(nav="plan_advisor", tenant=tenant)
    return render(request, "insights/plan_advisor.html", context, status=status)


@staff_view
def staff_plan_advisor(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if not access.may_see_plan_advice(user):
        return render(request, "insights/forbidden.html", {"nav": "plan_advisor_staff"}, status=403)
    tenants = list(perms.visible_tenants(user).order_by("name").values_list("pk", "name"))
    context: dict[str, Any] = {"nav": "plan_advisor_staff", "tenants": tenants, "staff": True}
    status = 200
    raw = request.GET.get("tenant", "")
    if raw:
        try:
            tenant = perms.tenant_for(user, raw)
        except DomainError as exc:
            context["error"] = exc.message
            return render(request, "insights/plan_advisor.html", context, status=404)
        extra, status = _advice_context(request, tenant)
        context.update(extra, tenant=tenant)
    return render(request, "insights/plan_advisor.html", context, status=status)


def _staffing_inputs(request: HttpRequest) -> dict[str, Any]:
    q = request.GET
    return {
        "start": q.get("from") or None,
        "end": q.get("until") or None,
        "aht_minutes": q.get("aht_minutes"),
        "patience_minutes": q.get("patience_minutes"),
        "goal_percent": q.get("goal"),
    }


@staff_view
def staffing(request: HttpRequest) -> HttpResponse:
    if not access.may_plan_staffing(user_of(request)):
        return render(request, "insights/forbidden.html", {"nav": "staffing"}, status=403)
    q = request.GET
    context: dict[str, Any] = {
        "nav": "staffing",
        "chosen": {
            k: q.get(k, "") for k in ("from", "until", "aht_minutes", "patience_minutes", "goal")
        },
        "query": request.GET.urlencode(),
        "assumption": api.ROSTER_ASSUMPTION,
        "hours": range(24),
    }
    try:
        plan = selectors.staffing_plan(request_now(request), **_staffing_inputs(request))
    except DomainError as exc:
        context["error"] = exc.message
        return render(request, "insights/staffing.html", context, status=400)
    labels = dict(HandlerTier.choices)
    context["plan"] = plan
    context["tiers"] = [
        {
            "code": tier,
            "name": labels.get(tier, tier),
            "rostered": plan.inputs.roster.get(tier, 0),
            "peak": plan.peak_needed(tier),
            "short": plan.short_hours(tier),
            "rows": [{"day": DAY_NAMES[d], "cells": row} for d, row in enumerate(plan.grid(tier))],
        }
        for tier in plan.inputs.tiers
    ]
    context["settings"] = {
        "aht": round(plan.inputs.aht_seconds / 60, 1),
        "patience": round(plan.inputs.patience_seconds / 60, 1),
        "goal": round(plan.inputs.goal * 100, 1),
        "first": plan.inputs.start.astimezone(selectors.BUSINESS_TZ).date(),
        "last": (plan.inputs.end - timedelta(microseconds=1))
        .astimezone(selectors.BUSINESS_TZ)
        .date(),
    }
    return render(request, "insights/staffing.html", context)


@staff_view
def staffing_csv(request: HttpRequest) -> HttpResponse:
    if not access.may_plan_staffing(user_of(request)):
        return render(request, "insights/forbidden.html", {"nav": "staffing"}, status=403)
    try:
        plan = selectors.staffing_plan(request_now(request), **_staffing_inputs(request))
    except DomainError as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    return api.staffing_csv(plan)


__all__ = ["domain"]
