"""Customer portal: home (my plan and what it includes), plan comparison, statements."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from supportplan.accounts.permissions import is_staff
from supportplan.web import selectors as web_selectors

from . import extras
from .common import call_service, customer_view, request_now


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    if is_staff(request.user):
        return redirect("web:queue")
    return customer_home(request)


@customer_view
def customer_home(request: HttpRequest) -> HttpResponse:
    tenant, now, user = request.tenant, request_now(request), request.user  # type: ignore[attr-defined]
    plans = web_selectors.my_plans(tenant, now)
    context: dict[str, Any] = {
        "nav": "home",
        "now": now,
        "plans": plans,
        "open_cases": extras.open_cases(user),
        "advisories": extras.recent_advisories(tenant, now),
        "latest_report": extras.latest_report(tenant),
        "catalogs": web_selectors.catalogs(),
        "tenant": tenant,
    }
    return render(request, "web/portal/home.html", context)


def _row(label: Any, cells: list[Any], kind: str = "text") -> dict[str, Any]:
    return {"label": label, "cells": cells, "kind": kind}


def comparison(catalog: Any) -> list[dict[str, Any]]:
    """The seed's service-catalog table as rows × plans (pure: from the catalog only)."""
    from django.utils.translation import gettext as _

    plans = catalog.plans
    groups: list[dict[str, Any]] = []
    price_rows = [
        _row(_("Monthly price"), [("money", p.monthly_price) for p in plans]),
        _row(
            _("Billing terms"),
            [("terms", p.billing_terms) if p.purchasable else ("free", None) for p in plans],
        ),
        _row(_("Case handler"), [("tier", p.handler_tier) for p in plans]),
    ]
    groups.append({"title": _("Price and handling"), "rows": price_rows})
    chan_rows = []
    for channel in catalog.channels:
        cells = []
        for p in plans:
            pc = next((c for c in p.channels if c.code == channel.code), None)
            cells.append(("channel", pc) if pc else ("no", None))
        label = {"name": channel.name, "calendar": channel.calendar, "contact": channel.contact}
        chan_rows.append(_row(label, cells, "channel"))
    groups.append({"title": _("Channels"), "rows": chan_rows})
    sev_rows = []
    for sev in catalog.severities:
        cells = []
        for p in plans:
            try:
                cells.append(("target", p.target_for(sev.code).first_response))
            except LookupError:
                cells.append(("no", None))
        sev_rows.append(_row({"name": sev.name, "definition": sev.definition}, cells, "severity"))
    groups.append({"title": _("First response by severity"), "rows": sev_rows})
    feat_rows = []
    for feat in catalog.features:
        cells = [("yes", None) if p.includes_feature(feat.code) else ("no", None) for p in plans]
        feat_rows.append(
            _row(
                {"name": feat.name, "definition": feat.description, "url": feat.url},
                cells,
                "feature",
            )
        )
    groups.append({"title": _("Included services"), "rows": feat_rows})
    serv_rows = []
    for service in catalog.services:
        cells = []
        for p in plans:
            grant = next((g for g in p.services if g.code == service.code), None)
            cells.append(("grant", grant) if grant else ("no", None))
        serv_rows.append(
            _row({"name": service.name, "definition": service.description}, cells, "service")
        )
    if serv_rows:
        groups.append({"title": _("Value-added services"), "rows": serv_rows})
    return groups


@customer_view
def plans(request: HttpRequest) -> HttpResponse:
    tenant, now = request.tenant, request_now(request)  # type: ignore[attr-defined]
    catalogs = web_selectors.catalogs()
    mine = {p.provider_code: p for p in web_selectors.my_plans(tenant, now)}
    provider = request.GET.get("provider") or next(iter(mine), None) or next(iter(catalogs), None)
    catalog = catalogs.get(provider or "")
    current = mine.get(provider or "")
    sub = extras.subscription(tenant, provider) if catalog else None
    context: dict[str, object] = {
        "nav": "plans",
        "catalogs": catalogs,
        "provider": provider,
        "catalog": catalog,
        "groups": comparison(catalog) if catalog else [],
        "plan_cols": min(len(catalog.plans), 4) if catalog else 1,
        "current": current,
        "current_code": current.plan.code if current else None,
        "current_rank": current.plan.rank if current else None,
        "subscription": sub,
        "now": now,
        # An unfinished order blocks buying: said here, before the customer picks a plan.
        "open_order": web_selectors.open_order(tenant, provider) if catalog else None,
    }
    if sub is not None and sub.next_plan_code and catalog is not None:
        # The plan's name in the reader's language, never its code inside a sentence.
        try:
            context["next_plan_name"] = catalog.plan(sub.next_plan_code).name.get(
                request.LANGUAGE_CODE
            )
        except LookupError:
            context["next_plan_name"] = sub.next_plan_code
    return render(request, "web/plans/compare.html", context)


# --------------------------------------------------------------------------- buy / change


def _methods() -> list[tuple[str, str]]:
    from supportplan.subscriptions import payments

    return [(code, str(payments.PROVIDERS[code].name)) for code in payments.enabled_codes()]


def _settle(request: HttpRequest, form: Any, order: Any) -> bool:
    """Accept the agreement and pay an order just placed; a refusal stays on the form (the
    order remains open on the statements page, to pay later)."""
    from supportplan.subscriptions import services as sub_services

    user, now = request.user, request_now(request)
    ok, _r = call_service(
        request,
        form,
        sub_services.order_accept_agreement,
        order=order,
        actor=user,
        # the version the page showed and linked to: if a newer one was published meanwhile,
        # the service refuses and the form shows the new version to read
        version=form.cleaned_data.get("agreement_version", ""),
        now=now,
    )
    if not ok:
        return False
    ok, _r = call_service(
        request,
        form,
        sub_services.order_pay,
        order=order,
        actor=user,
        method=form.cleaned_data["method"],
        now=now,
    )
    return ok


@customer_view
def plan_change(request: HttpRequest) -> HttpResponse:
    """Buy, renew, upgrade, downgrade or unsubscribe, always with a preview of the price and
    the effective date first; a locked order is refused with the service's message."""
    from django.contrib import messages
    from django.utils.translation import gettext as _

    from supportplan.catalog.domain import NotInCatalog
    from supportplan.core.errors import DomainError
    from supportplan.subscriptions import selectors as subs
    from supportplan.subscriptions import services as sub_services
    from supportplan.subscriptions.models import SubscriptionStatus
    from supportplan.web.forms import ConfirmOrderForm, PurchaseForm

    tenant, now, user = request.tenant, request_now(request), request.user  # type: ignore[attr-defined]
    params = request.POST if request.method == "POST" else request.GET
    provider = params.get("provider", "")
    action = params.get("action", "")
    catalog = web_selectors.catalogs().get(provider)
    if catalog is None:
        return redirect("web:plans")
    pif = subs.plan_in_force(tenant, provider, now)
    sub = subs.subscription_of(tenant, provider)
    active = (
        sub is not None
        and sub.status != SubscriptionStatus.EXPIRED
        and pif is not None
        and not pif.is_default
    )
    target_code = params.get("plan", "") or (pif.plan_code if pif else "")
    try:
        target = catalog.plan(target_code) if action != "unsubscribe" else None
    except NotInCatalog:
        return redirect(f"{request.path.replace('change/', '')}?provider={provider}")
    if action == "unsubscribe":
        mode = "unsubscribe"
    elif not active or (target is not None and pif is not None and target.code == pif.plan_code):
        mode = "purchase"  # a first purchase, or a renewal of the plan in force
    else:
        mode = "change"
    ctx: dict[str, Any] = {
        "nav": "plans",
        "catalog": catalog,
        "provider": provider,
        "target": target,
        "mode": mode,
        "current": catalog.plan(pif.plan_code) if pif else None,
        "pif": pif,
        "subscription": sub,
        "action": action,
    }
    agreement = subs.current_agreement(provider)
    confirm = ConfirmOrderForm(
        request.POST if "confirm" in request.POST else None,
        methods=_methods(),
        initial={"agreement_version": agreement.version if agreement else ""},
    )
    ctx["confirm_form"] = confirm
    ctx["agreement"] = agreement
    blocking = web_selectors.open_order(tenant, provider) if mode != "unsubscribe" else None
    if blocking is not None:
        # Said once, before any step, with the way to the order (pay or cancel it there);
        # the steps below would only be refused with the same words.
        ctx["open_order"] = blocking
        ctx["refusal"] = _(
            "Order %(order)s is not finished yet: pay or cancel it before buying another plan "
            "from this provider."
        ) % {"order": blocking.number}
        return render(
            request, "web/plans/change.html", ctx, status=409 if request.method == "POST" else 200
        )
    if mode == "purchase":
        assert target is not None
        form = PurchaseForm(
            params if "term" in params else None,
            terms=target.billing_terms if target.purchasable else (),
        )
        ctx["form"] = form
        if not target.purchasable:
            ctx["refusal"] = _(
                "%(plan)s is free for every customer of this provider; nothing to buy."
            ) % {"plan": target.name.get(request.LANGUAGE_CODE)}
        elif form.is_bound and form.is_valid():
            try:
                ctx["quote"] = sub_services.order_quote(
                    tenant=tenant,
                    provider_code=provider,
                    plan_code=target.code,
                    term=form.cleaned_data["term"],
                    count=form.cleaned_data["count"],
                    now=now,
                )
            except DomainError as exc:
                ctx["refusal"] = exc.message
            if "quote" in ctx and "confirm" in request.POST and confirm.is_valid():
                ok, order = call_service(
                    request,
                    confirm,
                    sub_services.order_place,
                    tenant=tenant,
                    actor=user,
                    provider_code=provider,
                    plan_code=target.code,
                    term=form.cleaned_data["term"],
                    count=form.cleaned_data["count"],
                    now=now,
                )
                if ok and _settle(request, confirm, order):
                    messages.success(
                        request, _("Order %(order)s placed.") % {"order": order.number}
                    )
                    return redirect("web:statements")
    else:
        assert sub is not None
        try:
            preview = sub_services.subscription_change_preview(
                subscription=sub, plan_code=target.code if target else None, now=now
            )
            ctx["preview"] = preview
            if preview.refused is not None:
                ctx["refusal"] = preview.refused.message
        except DomainError as exc:
            ctx["refusal"] = exc.message
            preview = None
        if preview is not None and preview.refused is None and "confirm" in request.POST:
            if mode == "unsubscribe":
                ok, _r = call_service(
                    request,
                    None,
                    sub_services.subscription_unsubscribe,
                    subscription=sub,
                    actor=user,
                    now=now,
                )
                if ok:
                    messages.success(
                        request,
                        _("Unsubscribed. Your plan stays in force until the end of the period."),
                    )
                    return redirect("web:plans")
            elif preview.kind == "downgrade":
                assert target is not None  # mode "change": a plan was named
                ok, _r = call_service(
                    request,
                    None,
                    sub_services.subscription_change,
                    subscription=sub,
                    actor=user,
                    plan_code=target.code,
                    now=now,
                )
                if ok:
                    messages.success(request, _("Downgrade scheduled for the end of the period."))
                    return redirect("web:plans")
            elif confirm.is_valid():
                assert target is not None  # mode "change": a plan was named
                ok, order = call_service(
                    request,
                    confirm,
                    sub_services.subscription_change,
                    subscription=sub,
                    actor=user,
                    plan_code=target.code,
                    now=now,
                )
                if ok and _settle(request, confirm, order):
                    messages.success(
                        request, _("Upgrade order %(order)s placed.") % {"order": order.number}
                    )
                    return redirect("web:plans")
    status = 400 if (request.method == "POST" and (ctx.get("refusal") or confirm.errors)) else 200
    return render(request, "web/plans/change.html", ctx, status=status)


@customer_view
def statements(request: HttpRequest) -> HttpResponse:
    from django.utils.translation import get_language

    from supportplan.subscriptions import selectors as subs

    from .common import paginate

    tenant = request.tenant  # type: ignore[attr-defined]
    lang = get_language()
    lines = paginate(request, subs.statement_of(tenant).order_by("-at", "-id"), param="lines")
    orders = paginate(request, subs.orders_of(tenant).order_by("-placed_at", "-id"), param="orders")
    for order in orders:
        order.label = web_selectors.order_label(order, lang)
    return render(
        request,
        "web/plans/statements.html",
        {"nav": "statements", "lines": lines, "orders": orders},
    )
