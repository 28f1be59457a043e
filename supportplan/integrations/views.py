"""The Alertmanager webhook receiver: POST /integrations/alertmanager/<id>/.

Authenticated the ways Alertmanager's `webhook_config` can: `http_config.authorization`
(Bearer), `http_config.basic_auth` (the token as password), or `?token=` in the URL.
Answers JSON in the API's envelope; a refused delivery changes nothing."""

from __future__ import annotations

import base64
import binascii
import json

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from supportplan.accounts.models import RegisteredSystem, Role
from supportplan.core import clock
from supportplan.core.errors import DomainError
from supportplan.web.views.common import call_service, signed_in_view, user_of

from . import relay
from .models import AlertReceiver, VendorAccount, VendorTicket
from .services import (
    alert_notification_receive,
    alert_receiver_create,
    alert_receiver_deactivate,
    receiver_for_token,
    webhook_snippet,
)

MAX_BODY = 5 * 1024 * 1024


def _token(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[2]
    return request.GET.get("token", "")


def _refuse(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=status)


@csrf_exempt
@require_POST
def alertmanager(request: HttpRequest, receiver_id: int) -> JsonResponse:
    receiver = receiver_for_token(receiver_id, _token(request))
    if receiver is None:
        return _refuse(
            "alerts.unauthorized",
            _("Unknown receiver or wrong token: copy the receiver's URL and token again."),
            401,
        )
    if int(request.headers.get("Content-Length") or 0) > MAX_BODY:
        return _refuse("alerts.too_large", _("The notification is larger than 5 MB."), 413)
    try:
        payload = json.loads(request.read(MAX_BODY + 1) or b"null")
    except (ValueError, RecursionError):
        payload = None
    if not isinstance(payload, dict) or not isinstance(payload.get("alerts"), list):
        return _refuse(
            "alerts.not_alertmanager",
            _("This is not an Alertmanager webhook notification (JSON with groupKey and alerts)."),
            400,
        )
    try:
        outcome = alert_notification_receive(receiver=receiver, payload=payload, now=clock.now())
    except DomainError as exc:
        return JsonResponse(exc.as_dict(), status=exc.status if exc.status < 500 else 400)
    return JsonResponse({"action": outcome.action, "case": outcome.case_id})


# --------------------------------------------------------------------------- the web page
class ReceiverForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Receiver name"), max_length=100)
    system = forms.ModelChoiceField(
        label=gettext_lazy("System the alerts are about"), queryset=RegisteredSystem.objects.none(),
        required=False, empty_label=gettext_lazy("No specific system"),
    )  # fmt: skip
    critical_label = forms.CharField(
        label=gettext_lazy("Alert label and value for the most severe cases"),
        initial="severity=critical", max_length=300,
        help_text=gettext_lazy("An alert with this label opens at the severity chosen next."),
    )  # fmt: skip
    critical_severity = forms.ChoiceField(label=gettext_lazy("Severity for those alerts"))
    default_severity = forms.ChoiceField(label=gettext_lazy("Severity for every other alert"))
    resolve_on_recovery = forms.BooleanField(
        label=gettext_lazy("Mark the case resolved when every alert recovers"), required=False
    )
    max_cases = forms.IntegerField(
        label=gettext_lazy("At most this many cases per hour"), min_value=1, max_value=1000,
        initial=5,
        help_text=gettext_lazy("Further alert groups are added to the newest open case."),
    )  # fmt: skip

    def __init__(self, *args, tenant, severities, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["system"].queryset = RegisteredSystem.objects.for_tenant(tenant)  # type: ignore[attr-defined]
        self.fields["critical_severity"].choices = severities  # type: ignore[attr-defined]
        self.fields["default_severity"].choices = severities  # type: ignore[attr-defined]
        if severities:  # most severe for the labelled alerts, least severe for the rest
            self.fields["critical_severity"].initial = severities[0][0]
            self.fields["default_severity"].initial = severities[-1][0]

    def clean_critical_label(self) -> str:
        value = self.cleaned_data["critical_label"].strip()
        if "=" not in value or not value.split("=", 1)[0].strip():
            raise forms.ValidationError(_("Write it as label=value, e.g. severity=critical."))
        return value


def _severities(tenant) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    from django.utils.translation import get_language

    from supportplan.cases import upstream

    out: list[tuple[str, str]] = []
    for ent in upstream.plans_in_force(tenant, clock.now())[:1]:
        catalog = upstream.catalog_for_version(ent.catalog_version_id)
        plan = catalog.plan(ent.plan_code)
        out = [
            (st.severity.code, st.severity.name.get(get_language())) for st in plan.severity_targets
        ]
    return out


@signed_in_view
def receivers_page(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if user.tenant is None:
        raise Http404(_("Only an administrator of your organisation can set up alert receivers."))
    if user.role != Role.CUSTOMER_ADMIN:  # colleagues see the receivers, admins change them
        return render(
            request,
            "integrations/receivers.html",
            {"nav": "org", "form": None, "created": None,
             "receivers": AlertReceiver.objects.filter(tenant=user.tenant, active=True)},
        )  # fmt: skip
    tenant = user.tenant
    severities = _severities(tenant)
    form = ReceiverForm(request.POST or None, tenant=tenant, severities=severities)
    created = None
    if request.method == "POST" and form.is_valid():
        label, value = (p.strip() for p in form.cleaned_data["critical_label"].split("=", 1))
        ok, made = call_service(
            request, form, alert_receiver_create,
            actor=user, tenant=tenant, now=clock.now(), name=form.cleaned_data["name"],
            system=form.cleaned_data["system"],
            rules=[{"label": label, "value": value, "severity": form.cleaned_data["critical_severity"]}],
            default_severity=form.cleaned_data["default_severity"],
            resolve_on_recovery=form.cleaned_data["resolve_on_recovery"],
            max_cases=form.cleaned_data["max_cases"], window_minutes=60,
        )  # fmt: skip
        if ok:
            url = request.build_absolute_uri(f"/integrations/alertmanager/{made.receiver.pk}/")
            created = {"receiver": made.receiver, "snippet": webhook_snippet(url, made.token)}
            form = ReceiverForm(tenant=tenant, severities=severities)
    response = render(
        request,
        "integrations/receivers.html",
        {
            "nav": "org",
            "form": form,
            "created": created,
            "receivers": AlertReceiver.objects.filter(tenant=tenant, active=True),
        },
    )
    add_never_cache_headers(response)
    return response


@require_POST
@signed_in_view
def receiver_remove(request: HttpRequest, receiver_id: int) -> HttpResponse:
    user = user_of(request)
    found = AlertReceiver.objects.filter(
        pk=receiver_id, tenant_id=user.tenant_id or 0, active=True
    ).first()
    if found is None:
        raise Http404(_("That alert receiver was not found."))
    ok, _result = call_service(
        request, None, alert_receiver_deactivate, actor=user, receiver=found, now=clock.now()
    )
    if ok:
        messages.success(
            request, _("%(name)s no longer opens cases: its URL now refuses notifications.")
            % {"name": found.name},
        )  # fmt: skip
    return redirect(reverse("web:alert_receivers"))


# --------------------------------------------------------------------------- relay (console)


class RelayForm(forms.Form):
    account = forms.ModelChoiceField(
        label=gettext_lazy("Cloud vendor"), queryset=VendorAccount.objects.filter(active=True)
    )
    attachments = forms.MultipleChoiceField(
        label=gettext_lazy("Attachments to send"), required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip


class VendorReplyForm(forms.Form):
    body = forms.CharField(label=gettext_lazy("Reply to the vendor"), widget=forms.Textarea,
                           max_length=20_000)  # fmt: skip


@signed_in_view
def case_vendor(request: HttpRequest, case_id: int) -> HttpResponse:
    """转云厂商: open the vendor's ticket for a case, see its state, write to the vendor."""
    from supportplan.accounts import permissions as perms
    from supportplan.cases import selectors as case_selectors

    user = user_of(request)
    if not perms.is_staff(user):
        raise Http404(_("Page not found."))
    case = case_selectors.case_for(user, case_id)
    ticket = VendorTicket.objects.filter(case=case).select_related("account").first()
    relay_form = RelayForm(request.POST if request.POST.get("do") == "open" else None)
    relay_form.fields["attachments"].choices = [  # type: ignore[attr-defined]
        (a.pk, a.name) for a in case.attachments.filter(internal=False)
    ]
    reply_form = VendorReplyForm(request.POST if request.POST.get("do") == "reply" else None)
    if request.method == "POST" and request.POST.get("do") == "open" and relay_form.is_valid():
        ok, made = call_service(
            request, relay_form, relay.vendor_ticket_open,
            actor=user, case=case, account=relay_form.cleaned_data["account"], now=clock.now(),
            attachment_ids=[int(i) for i in relay_form.cleaned_data["attachments"]],
        )  # fmt: skip
        if ok:
            messages.success(
                request, _("Vendor ticket %(id)s opened; its replies arrive as internal notes.")
                % {"id": made.vendor_id},
            )  # fmt: skip
            return redirect(reverse("web:case_vendor", args=[case.pk]))
    if (
        request.method == "POST"
        and request.POST.get("do") == "reply"
        and ticket
        and reply_form.is_valid()
    ):
        ok, _made = call_service(
            request, reply_form, relay.vendor_reply,
            actor=user, ticket=ticket, body=reply_form.cleaned_data["body"], now=clock.now(),
        )  # fmt: skip
        if ok:
            messages.success(
                request, _("Sent to the vendor's ticket %(id)s.") % {"id": ticket.vendor_id}
            )
            return redirect(reverse("web:case_vendor", args=[case.pk]))
    return render(
        request,
        "integrations/case_vendor.html",
        {"nav": "queue", "case": case, "ticket": ticket, "relay_form": relay_form,
         "reply_form": reply_form, "accounts": VendorAccount.objects.filter(active=True).exists()},
    )  # fmt: skip
