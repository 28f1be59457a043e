"""Staff console: queues by SLA due time, the case view with the customer's entitlements
beside the thread, hotline call logging, the TAM's tenants, the manager dashboard."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportplan.accounts import permissions as perms
from supportplan.accounts import selectors as account_selectors
from supportplan.accounts.models import HandlerTier, Tenant, User
from supportplan.cases import domain as case_domain
from supportplan.cases import selectors as case_selectors
from supportplan.cases import services as case_services
from supportplan.cases.models import Case, CaseState
from supportplan.catalog.selectors import CatalogNotLoaded, catalog_for_version
from supportplan.web import selectors as web_selectors
from supportplan.web import services as web_services
from supportplan.web.forms import (
    AssignForm,
    HotlineForm,
    MessageForm,
    QueueFilterForm,
    ReasonForm,
    ResolveForm,
    SeverityForm,
    StaffReplyForm,
)
from supportplan.web.navigation import may_see_dashboard

from .cases import case_context, quote_context
from .common import call_service, paginate, request_now, staff_view, user_of


def _sla_counts(qs: Any, now: Any) -> dict[str, int]:
    """Running / warning / breached over every case the filters match (not only this page),
    with the same rule as the badges (templatetags.web.sla_status) expressed in SQL; `total`
    is the pager's count. One pass over the matching cases, each put in one bucket by a
    single CASE (three COUNT … FILTERs evaluated the rule three times a row), read from the
    index case_queue_due alone on PostgreSQL, which covers these columns."""
    from django.db.models import Case as CaseWhen
    from django.db.models import CharField, Count, Q, Value, When

    bucket = CaseWhen(
        When(Q(sla_state__in=["met", "paused", "stopped"]), then=Value("")),
        When(
            Q(sla_state="breached") | Q(sla_breached=True) | Q(first_response_due__lte=now),
            then=Value("breached"),
        ),
        When(first_response_due__isnull=True, then=Value("")),
        When(Q(sla_warned=True) | Q(warn_at__lte=now), then=Value("warning")),
        default=Value("running"),
        output_field=CharField(),
    )
    rows = (
        qs.order_by()
        .annotate(sla_bucket=bucket)
        .values_list("sla_bucket")
        .annotate(n=Count("id"))
        .values_list("sla_bucket", "n")
    )
    counts = {"breached": 0, "warning": 0, "running": 0, "total": 0}
    for name, n in rows:
        if name:
            counts[name] = n
        counts["total"] += n
    return counts


class _QuickSelect(forms.Select):
    """The same `<select>` markup as Django's template widget, written in Python: the queue's
    filter selects list every tenant, and the template engine took ~13 ms a select for the
    `<option>`s (most of the page's time at 200 tenants)."""

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"', widget["name"]), _attrs(widget["attrs"]), ">"]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('\n  <optgroup label="{}">', group_name))
            for option in options:
                parts.append(
                    format_html(
                        '\n  <option value="{}"{}>{}</option>',
                        str(option["value"]),
                        _attrs(option["attrs"]),
                        option["label"],
                    )
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # every part escaped by format_html


def _attrs(attrs: dict[str, Any]) -> SafeString:
    """django/forms/widgets/attrs.html: `True` writes the bare name, `False` leaves it out."""
    return mark_safe(  # escaped by format_html
        "".join(
            format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
            for name, value in attrs.items()
            if value is not False
        )
    )


def _filter_form(request: HttpRequest) -> QueueFilterForm:
    lang = get_language()
    catalogs = web_selectors.catalogs()
    form = QueueFilterForm(request.GET or None)
    any_ = [("", _("Any"))]
    form.choice_field("provider").choices = any_ + [
        (c, cat.provider.name.get(lang)) for c, cat in catalogs.items()
    ]
    form.choice_field("plan").choices = any_ + [
        (p.code, f"{cat.provider.name.get(lang)} · {p.name.get(lang)}")
        for cat in catalogs.values()
        for p in cat.plans
    ]
    form.choice_field("tier").choices = any_ + list(HandlerTier.choices)
    seen: dict[str, str] = {}
    for cat in catalogs.values():
        for sev in cat.severities:
            seen.setdefault(sev.code, sev.name.get(lang))
    form.choice_field("severity").choices = any_ + list(seen.items())
    form.choice_field("tenant").choices = any_ + [
        (str(pk), name)
        for pk, name in perms.visible_tenants(request.user).values_list(  # type: ignore[arg-type]
            "pk", "name"
        )
    ]
    form.choice_field("state").choices = [("", pgettext("web", "Active"))] + list(CaseState.choices)
    for field in form.fields.values():
        quick = _QuickSelect()
        quick.choices = field.widget.choices  # type: ignore[attr-defined]
        quick.is_required = field.widget.is_required
        quick.attrs = field.widget.attrs  # shared: full_clean marks invalid fields on it
        field.widget = quick
    return form


@staff_view
def queue(request: HttpRequest) -> HttpResponse:
    """Active cases ordered by first-response due time (most urgent first, none last)."""
    user = request.user
    scope = request.GET.get("scope", "team")
    form = _filter_form(request)
    f: dict[str, Any] = form.cleaned_data if form.is_bound and form.is_valid() else {}
    state = f.get("state") or ""
    flt = case_selectors.CaseFilters(
        state=[state] if state else None,
        active=None if state else True,
        severity=[f["severity"]] if f.get("severity") else None,
        provider=f.get("provider") or None,
        tenant_id=int(f["tenant"]) if f.get("tenant") else None,
        assignee_id=user.pk if scope == "mine" else None,
        queue=f.get("tier") or None,
    )
    # The rows show the tenant and the assignee only: no requester or system joins.
    qs = case_selectors.case_list(user, flt)  # type: ignore[arg-type]
    qs = qs.select_related(None).select_related("tenant", "assignee")
    if f.get("plan"):
        qs = qs.filter(plan_code=f["plan"])
    now = request_now(request)
    counts = _sla_counts(qs, now)
    cases = paginate(
        request,
        qs.order_by(F("first_response_due").asc(nulls_last=True), "id"),
        per_page=50,
        count=counts["total"],
    )
    return render(
        request,
        "web/console/queue.html",
        {
            "nav": "queue",
            "cases": cases,
            "form": form,
            "scope": scope,
            "now": now,
            "counts": counts,
        },
    )


def _entitlements(case: Any) -> tuple[Any, Any]:
    try:
        catalog = catalog_for_version(case.catalog_version_id)
        return catalog, catalog.plan(case.plan_code)
    except (CatalogNotLoaded, LookupError):
        return None, None


def _assign_form(case: Any, data: Any = None) -> AssignForm:
    """Only people whose tier covers the case's queue are offered (the service refuses the
    others anyway, e.g. a forged POST)."""
    from supportplan.web.templatetags.web import tier_label

    choices = [
        (str(u.pk), f"{u.get_full_name() or u.username} · {tier_label(u.handler_tier)}")
        for u in web_selectors.assignable_staff(case)
    ]
    return AssignForm(
        data,
        choices=choices,
        prefix="assign",
        initial={"assignee": str(case.assignee_id or "")},
    )


def _severity_choices(plan: Any) -> list[tuple[str, str]]:
    lang = get_language()
    return (
        [(st.severity.code, st.severity.name.get(lang)) for st in plan.severity_targets]
        if plan
        else []
    )


# Transitions whose form carries one text field for one service argument:
# action -> (form class, prefix, context name, service, form field = service argument).
_ONE_FIELD_ACTIONS: dict[str, tuple[Any, str, str, Any, str]] = {
    "escalate": (ReasonForm, "esc", "escalate_form", case_services.case_escalate, "reason"),
    "wait": (MessageForm, "wait", "wait_form", case_services.case_wait_on_customer, "message"),
    "resolve": (ResolveForm, "res", "resolve_form", case_services.case_resolve, "summary"),
}


# What each console action did, said back to the person (never one "Saved." for all);
# lazy: rendered in the language of the request, not the one active at import.
_CASE_ACTION_DONE = {
    "reply": gettext_lazy("Your reply was posted."),
    "severity": gettext_lazy("The severity was changed."),
    "escalate": gettext_lazy("The case was escalated."),
    "wait": gettext_lazy("The case now waits on the customer."),
    "resolve": gettext_lazy("The case was resolved."),
    "assign": gettext_lazy("The case was assigned."),
    "resume": gettext_lazy("Work on the case was resumed."),
    "take": gettext_lazy("You took the case."),
    "reopen": gettext_lazy("The case was reopened."),
}


def _console_context(request: HttpRequest, case: Any, **forms: Any) -> dict[str, Any]:
    catalog, plan = _entitlements(case)
    choices = _severity_choices(plan)
    ctx = case_context(request, case, nav="queue", catalog=catalog, plan=plan)
    if perms.may_assign_cases(request.user) and case.state != CaseState.CLOSED:
        ctx["assign_form"] = forms.get("assign_form") or _assign_form(case)
    for form_class, prefix, name, _service, _field in _ONE_FIELD_ACTIONS.values():
        ctx[name] = forms.get(name) or form_class(prefix=prefix)
    ctx.update(
        {
            "reply_form": forms.get("reply_form") or StaffReplyForm(),
            "severity_form": forms.get("severity_form")
            or SeverityForm(choices=choices, initial={"severity": case.severity}),
            "may_work": perms.may_work_case(request.user, case),
            "may_take": perms.may_take_case(request.user, case)
            and case.assignee_id != request.user.pk,
            "balances": web_selectors.my_plan(case.tenant, case.provider, request_now(request)),
        }
    )
    return ctx


@staff_view
def case_view(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_selectors.case_for(request.user, case_id)  # type: ignore[arg-type]
    return render(request, "web/console/case.html", _console_context(request, case))


@require_POST
@staff_view
def case_action(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    user, now = request.user, request_now(request)
    case = case_selectors.case_for(user, case_id)  # type: ignore[arg-type]
    forms: dict[str, Any] = {}
    ok = False
    if action == "reply":
        reply_form = StaffReplyForm(request.POST, request.FILES)
        forms["reply_form"] = reply_form
        if reply_form.is_valid():
            write = (
                case_services.case_add_note
                if reply_form.cleaned_data["kind"] == "note"
                else case_services.case_reply
            )
            ok, _comm = call_service(
                request,
                reply_form,
                web_services.case_reply_with_file,
                write=write,
                actor=user,
                case=case,
                body=reply_form.cleaned_data["body"],
                upload=reply_form.cleaned_data.get("file"),
                now=now,
            )
    elif action == "severity":
        severity_form = SeverityForm(
            request.POST, choices=_severity_choices(_entitlements(case)[1])
        )
        forms["severity_form"] = severity_form
        if severity_form.is_valid():
            ok, _r = call_service(
                request,
                severity_form,
                case_services.case_change_severity,
                actor=user,
                case=case,
                severity=severity_form.cleaned_data["severity"],
                reason=severity_form.cleaned_data["reason"],
                now=now,
            )
    elif action in _ONE_FIELD_ACTIONS:
        form_class, prefix, name, service, field = _ONE_FIELD_ACTIONS[action]
        form = form_class(request.POST, prefix=prefix)
        forms[name] = form
        if form.is_valid():
            ok, _r = call_service(
                request,
                form,
                service,
                actor=user,
                case=case,
                now=now,
                **{field: form.cleaned_data[field]},
            )
    elif action == "assign":
        assign_form = _assign_form(case, request.POST)
        forms["assign_form"] = assign_form
        if assign_form.is_valid():
            # Only eligible people are choices; case_assign checks the rule again.
            assignee = next(
                u
                for u in web_selectors.assignable_staff(case)
                if str(u.pk) == assign_form.cleaned_data["assignee"]
            )
            ok, _r = call_service(
                request,
                assign_form,
                case_services.case_assign,
                actor=user,
                case=case,
                assignee=assignee,
                now=now,
            )
    elif action in ("resume", "take", "reopen"):
        transition = {
            "resume": case_services.case_resume,
            "take": case_services.case_take,
            "reopen": case_services.case_reopen,
        }[action]
        ok, _r = call_service(request, None, transition, actor=user, case=case, now=now)
        if not ok:
            return redirect("web:console_case", case.pk)
    else:
        raise Http404()
    if ok:
        moved = _moved_out_of_sight(user, case.pk)
        if moved:
            # The action succeeded but took the case past what this person may see (an
            # escalation to a higher tier): their queue, and where the case went.
            sep = "" if (get_language() or "").startswith("zh") else " "
            messages.success(request, f"{_CASE_ACTION_DONE[action]}{sep}{moved}")
            return redirect("web:queue")
        messages.success(request, _CASE_ACTION_DONE[action])
        return redirect("web:console_case", case.pk)
    case = case_selectors.case_for(user, case_id)  # type: ignore[arg-type]
    return render(
        request, "web/console/case.html", _console_context(request, case, **forms), status=400
    )


def _moved_out_of_sight(user: Any, case_id: int) -> str | None:
    """Where the case went, when `user` may no longer see it; None while they still may."""
    if case_selectors.cases_visible_to(user).filter(pk=case_id).exists():
        return None
    moved = Case.objects.select_related("assignee").get(pk=case_id)
    assignee = moved.assignee
    name = (assignee.get_full_name() or assignee.username) if assignee else None
    return str(case_domain.moved_out_of_sight(moved.pk, str(HandlerTier(moved.queue).label), name))


def _staff_channels(plan: Any, lang: str) -> list[tuple[str, str]]:
    return [(pc.code, pc.name.get(lang)) for pc in plan.channels if pc.channel.staff_logged]


@staff_view
def hotline(request: HttpRequest) -> HttpResponse:
    """Record a hotline or phone-line call for a customer in one short form."""
    user, now = request.user, request_now(request)
    lang = get_language()
    tenants = list(perms.visible_tenants(user))  # type: ignore[arg-type]
    tenant_id = request.POST.get("tenant") or request.GET.get("tenant") or ""
    tenant = next((t for t in tenants if str(t.pk) == tenant_id), None)
    plans = web_selectors.my_plans(tenant, now) if tenant else []
    provider = request.POST.get("provider") or request.GET.get("provider") or ""
    chosen = next((p for p in plans if p.provider_code == provider), None) or next(
        (p for p in plans if p.plan.severity_targets), None
    )
    form = None
    if tenant and chosen:
        form = HotlineForm(request.POST if request.method == "POST" else None)
        form.choice_field("requester").choices = [
            (str(u.pk), f"{u.get_full_name() or u.username} ({u.username})")
            for u in account_selectors.users_of(tenant)
        ]
        form.choice_field("channel").choices = _staff_channels(chosen.plan, lang)
        form.choice_field("severity").choices = [
            (
                st.severity.code,
                f"{st.severity.name.get(lang)} (< {_fmt(st.targets.first_response)})",
            )
            for st in chosen.plan.severity_targets
        ]
        systems = list(account_selectors.systems_of(tenant))
        form.choice_field("system").choices = [("", "—")] + [
            (str(s.pk), f"{s.name} · {s.get_classification_display()}") for s in systems
        ]
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            requester = User.objects.filter(tenant=tenant, pk=d["requester"]).first()
            system = next((s for s in systems if str(s.pk) == d["system"]), None)
            ok, case = call_service(
                request,
                form,
                case_services.case_log_call,
                actor=user,
                tenant=tenant,
                requester=requester,
                channel=d["channel"],
                now=now,
                provider=chosen.provider_code,
                severity=d["severity"],
                subject=d["subject"],
                description=d["description"],
                system=system,
            )
            if ok:
                messages.success(request, _("Call recorded as case #%(id)s.") % {"id": case.pk})
                return redirect("web:console_case", case.pk)
    return render(
        request,
        "web/console/hotline.html",
        {
            "nav": "hotline",
            "tenants": tenants,
            "tenant": tenant,
            "plans": plans,
            "chosen": chosen,
            "form": form,
            **(
                quote_context(user, tenant, chosen.provider_code, request.POST, now)
                if chosen and request.method == "POST"
                else {}
            ),
        },
        status=400 if form is not None and form.errors else 200,
    )


def _fmt(value: Any) -> str:
    from supportplan.web.templatetags.web import duration

    return duration(value)


@staff_view
def tam(request: HttpRequest) -> HttpResponse:
    """The TAM's tenants: plan, open cases with countdowns."""
    user, now = user_of(request), request_now(request)
    rows = []
    for tenant in web_selectors.tenants_of_tam(user):
        flt = case_selectors.CaseFilters(active=True, tenant_id=tenant.pk)
        cases = list(
            case_selectors.case_list(user, flt).order_by(
                F("first_response_due").asc(nulls_last=True), "id"
            )[:20]
        )
        rows.append(
            {"tenant": tenant, "plans": web_selectors.my_plans(tenant, now), "cases": cases}
        )
    from supportplan.insights.access import may_see_plan_advice

    return render(
        request,
        "web/console/tam.html",
        {"nav": "tam", "rows": rows, "now": now, "may_advise": may_see_plan_advice(user)},
    )


@staff_view
def dashboard(request: HttpRequest) -> HttpResponse:
    if not may_see_dashboard(request.user):
        return render(request, "web/console/forbidden.html", {"nav": "dashboard"}, status=403)
    try:
        days = max(1, min(int(request.GET.get("days", "30")), 366))
    except ValueError:
        days = 30
    now = request_now(request)
    stats = web_selectors.dashboard(now, days)
    return render(
        request,
        "web/console/dashboard.html",
        {"nav": "dashboard", "stats": stats, "days": days, "now": now},
    )


__all__ = ["Tenant"]
