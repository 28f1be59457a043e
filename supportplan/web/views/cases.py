"""Customer cases: list, open (with the plan's choices and a scope answer before submitting),
thread, reply, attach, rate, close/reopen. Writes go through supportplan.cases.services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportplan.accounts import selectors as account_selectors
from supportplan.cases import attachments as case_files
from supportplan.cases import promise as case_promise
from supportplan.cases import selectors as case_selectors
from supportplan.cases import services as case_services
from supportplan.cases.models import CaseState
from supportplan.catalog.domain import detect_software, scope_check
from supportplan.core.errors import DomainError
from supportplan.web import selectors as web_selectors
from supportplan.web import services as web_services
from supportplan.web.forms import CaseOpenForm, RateForm, ReplyForm

from .common import call_service, customer_view, paginate, request_now, signed_in_view

STATE_FILTERS = {"active": True, "done": False}


@customer_view
def case_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "active")
    flt = case_selectors.CaseFilters(
        active=STATE_FILTERS.get(show), search=request.GET.get("q", "")[:100]
    )
    cases = paginate(request, case_selectors.case_list(request.user, flt))  # type: ignore[arg-type]
    return render(
        request,
        "web/cases/list.html",
        {
            "nav": "cases",
            "cases": cases,
            "show": show,
            "q": request.GET.get("q", ""),
            "now": request_now(request),
        },
    )


def _plan_choice(request: HttpRequest) -> tuple[list[Any], Any]:
    plans = web_selectors.my_plans(request.tenant, request_now(request))  # type: ignore[attr-defined]
    wanted = request.POST.get("provider") or request.GET.get("provider")
    chosen = next((p for p in plans if p.provider_code == wanted), None)
    if chosen is None:
        # Prefer a plan that includes cases (severities); the first otherwise.
        chosen = next((p for p in plans if p.plan.severity_targets), plans[0] if plans else None)
    return plans, chosen


def _scope_answer(catalog: Any, name: str, version: str, platform: str) -> dict[str, Any] | None:
    if not name.strip():
        return None
    lang = get_language()
    result = scope_check(catalog, name, version or None, platform or None)
    return {
        "in_scope": result.in_scope,
        "code": result.reason_code,
        "reason": result.reason.get(lang),
        "where_to_go": result.where_to_go.get(lang) if result.where_to_go else "",
    }


def _detect(catalog: Any, description: str) -> dict[str, Any] | None:
    found = detect_software(catalog, description or "")
    if not found:
        return None
    first = found[0]
    return {
        "name": first.software.name.get(get_language()),
        "code": first.software.code,
        "version": first.version or "",
        "platform": first.platform or "",
    }


@customer_view
def case_new(request: HttpRequest) -> HttpResponse:
    tenant, now, user = request.tenant, request_now(request), request.user  # type: ignore[attr-defined]
    plans, chosen = _plan_choice(request)
    if chosen is None or not chosen.plan.severity_targets:
        return render(
            request,
            "web/cases/no_plan.html",
            {"nav": "cases", "plans": plans, "catalogs": web_selectors.catalogs()},
        )
    systems = list(account_selectors.systems_of(tenant))
    lang = get_language()
    data = request.POST if request.method == "POST" else None
    form = CaseOpenForm(data, catalog=chosen.catalog, plan=chosen.plan, systems=systems, lang=lang)
    scope = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if "preview" not in request.POST:
            system = next((s for s in systems if str(s.pk) == d["system"]), None)
            ok, case = call_service(
                request,
                form,
                case_services.case_open,
                actor=user,
                tenant=tenant,
                provider=chosen.provider_code,
                channel=d["channel"],
                severity=d["severity"],
                subject=d["subject"],
                description=d["description"],
                now=now,
                system=system,
                product=d["product"],
                im_platform=d["im_platform"],
                software_name=d["software_name"],
                software_version=d["software_version"],
                software_platform=d["software_platform"],
            )
            if ok:
                messages.success(
                    request,
                    _("Case #%(id)s is open. Our first response is due by the time shown.")
                    % {"id": case.pk},
                )
                return redirect("web:case", case.pk)
    if request.method == "POST" and "preview" in request.POST:
        # Without JavaScript: "Check scope" fills the software fields from the description.
        detected = _detect(chosen.catalog, request.POST.get("description", ""))
        values = request.POST.copy()
        if detected and not values.get("software_name"):
            values["software_name"] = detected["name"]
            values["software_version"] = values.get("software_version") or detected["version"]
            values["software_platform"] = values.get("software_platform") or detected["platform"]
            form = CaseOpenForm(
                values, catalog=chosen.catalog, plan=chosen.plan, systems=systems, lang=lang
            )
            form.is_valid()
        scope = _scope_answer(
            chosen.catalog,
            values.get("software_name", ""),
            values.get("software_version", ""),
            values.get("software_platform", ""),
        )
    context = {
        "nav": "cases",
        "form": form,
        "plans": plans,
        "chosen": chosen,
        "systems": systems,
        "scope": scope,
        "selected_severity": form["severity"].value(),
        **(quote_context(user, tenant, chosen.provider_code, request.POST, now) if data else {}),
    }
    return render(request, "web/cases/new.html", context, status=400 if form.errors else 200)


@signed_in_view
def scope_preview(request: HttpRequest) -> HttpResponse:
    """JSON for the case form: software detected in the description and the scope answer."""
    from supportplan.catalog.selectors import CatalogNotLoaded, current_catalog

    try:
        catalog = current_catalog(request.GET.get("provider", ""))
    except CatalogNotLoaded:
        return JsonResponse({"detected": None, "scope": None})
    detected = _detect(catalog, request.GET.get("description", "")[:20000])
    name = request.GET.get("software_name", "")[:100]
    version = request.GET.get("software_version", "")[:60]
    platform = request.GET.get("software_platform", "")[:20]
    if not name and detected:
        name, version, platform = (
            detected["name"],
            version or detected["version"],
            platform or detected["platform"],
        )
    return JsonResponse(
        {"detected": detected, "scope": _scope_answer(catalog, name, version, platform)}
    )


def quote_context(user: Any, tenant: Any, provider: str, data: Any, now: Any) -> dict[str, Any]:
    """The first-response promise for the severity/channel/system in `data` (a form's
    values): {"quote": …} or {"quote_error": the refusal opening would give}; {} while the
    form does not say enough yet."""
    severity = (data.get("severity") or "").strip()[:60]
    channel = (data.get("channel") or "").strip()[:60]
    if tenant is None or not provider or not severity or not channel:
        return {}
    from supportplan.accounts.models import RegisteredSystem

    system_id = (data.get("system") or "").strip()
    system = None
    if system_id:
        system = (
            RegisteredSystem.objects.for_tenant(tenant).filter(pk=int(system_id)).first()
            if system_id.isdigit()
            else None
        )
        if system is None:
            return {}
    try:
        quote = case_promise.sla_quote(
            actor=user,
            tenant=tenant,
            provider=provider[:60],
            severity=severity,
            channel=channel,
            system=system,
            im_platform=(data.get("im_platform") or "").strip()[:30],
            now=now,
        )
    except DomainError as exc:
        return {"quote_error": exc.message}
    return {"quote": quote}


@signed_in_view
def case_quote(request: HttpRequest) -> HttpResponse:
    """HTML fragment for the case forms: the promise as severity, channel and system change.
    Customers get their own organisation's; staff name a tenant they may see."""
    from supportplan.accounts import permissions as perms

    user = request.user
    if perms.is_staff(user):
        tenant_id = request.GET.get("tenant", "")
        tenant = (
            perms.visible_tenants(user).filter(pk=int(tenant_id)).first()  # type: ignore[arg-type]
            if tenant_id.isdigit()
            else None
        )
    else:
        tenant = user.tenant  # type: ignore[union-attr]
    ctx = quote_context(
        user, tenant, request.GET.get("provider", ""), request.GET, request_now(request)
    )
    return render(request, "web/cases/_promise.html", ctx)


def case_context(request: HttpRequest, case: Any, **extra: Any) -> dict[str, Any]:
    user = request.user
    return {
        "case": case,
        "thread": list(case_selectors.thread_of(case, user)),  # type: ignore[arg-type]
        "attachments": list(case_selectors.attachments_of(case, user)),  # type: ignore[arg-type]
        "now": request_now(request),
        "is_requester": case.requester_id == user.pk,
        "rating": getattr(case, "rating", None) if _has_rating(case) else None,
        "clock": _clock(case, user, request_now(request)),
        **extra,
    }


def _clock(case: Any, user: Any, now: Any) -> Any:
    """The first-response clock explained (derived from the event log, never stored)."""
    try:
        return case_promise.case_clock(case, user, now)
    except DomainError:
        return None  # e.g. the case's catalog version is gone: the page still shows


def _has_rating(case: Any) -> bool:
    try:
        return case.rating is not None
    except Exception:  # RelatedObjectDoesNotExist
        return False


@customer_view
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_selectors.case_for(request.user, case_id)  # type: ignore[arg-type]
    ctx = case_context(
        request,
        case,
        nav="cases",
        reply_form=ReplyForm(),
        rate_form=RateForm(),
    )
    return render(request, "web/cases/detail.html", ctx)


def _case_or_404(request: HttpRequest, case_id: int) -> Any:
    return case_selectors.case_for(request.user, case_id)  # type: ignore[arg-type]


@require_POST
@customer_view
def case_reply(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_or_404(request, case_id)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        ok, _comm = call_service(
            request,
            form,
            web_services.case_reply_with_file,
            write=case_services.case_reply,
            actor=request.user,
            case=case,
            body=form.cleaned_data["body"],
            upload=form.cleaned_data.get("file"),
            now=request_now(request),
        )
        if ok:
            messages.success(request, _("Your reply was sent."))
            return redirect("web:case", case.pk)
    case = _case_or_404(request, case_id)
    ctx = case_context(request, case, nav="cases", reply_form=form, rate_form=RateForm())
    return render(request, "web/cases/detail.html", ctx, status=400)


@require_POST
@customer_view
def case_attach(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_or_404(request, case_id)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file to attach."))
    else:
        ok, _a = call_service(
            request,
            None,
            case_files.case_attach,
            actor=request.user,
            case=case,
            upload=upload,
            now=request_now(request),
        )
        if ok:
            messages.success(request, _("The file was attached."))
    return redirect("web:case", case.pk)


@require_POST
@customer_view
def case_rate(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_or_404(request, case_id)
    form = RateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose from 1 to 5 stars."))
        return redirect("web:case", case.pk)
    ok, _r = call_service(
        request,
        None,
        case_services.case_rate,
        actor=request.user,
        case=case,
        score=form.cleaned_data["score"],
        comment=form.cleaned_data["comment"],
        now=request_now(request),
    )
    if ok:
        messages.success(request, _("Thank you for rating this case."))
    return redirect("web:case", case.pk)


@require_POST
@customer_view
def case_state(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    """Close a resolved case or reopen it."""
    case = _case_or_404(request, case_id)
    fn = {"close": case_services.case_close, "reopen": case_services.case_reopen}.get(action)
    if fn is None:
        raise Http404()
    ok, _r = call_service(
        request, None, fn, actor=request.user, case=case, now=request_now(request)
    )
    if ok:
        messages.success(request, _("Done."))
    return redirect("web:case", case.pk)


@signed_in_view
def attachment_download(request: HttpRequest, case_id: int, attachment_id: int) -> FileResponse:
    """A case file, for people who may see the case (another tenant's: 404)."""
    case = case_selectors.case_for(request.user, case_id)  # type: ignore[arg-type]
    att = case_selectors.attachment_for(request.user, case, attachment_id)  # type: ignore[arg-type]
    try:
        handle = att.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404() from None
    return FileResponse(
        handle, as_attachment=True, filename=att.name, content_type=att.content_type
    )


def is_active(case: Any) -> bool:
    return case.state in (CaseState.OPEN, CaseState.IN_PROGRESS, CaseState.WAITING_ON_CUSTOMER)


__all__ = ["DomainError"]
