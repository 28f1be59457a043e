"""Onboarding without the admin site: staff create a customer organisation and invite its
administrator (console); organisations that registered themselves wait for approval here;
customer administrators invite colleagues (organisation page); the invited person accepts
(a public page reached from the e-mailed link)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from supportplan.accounts import permissions as perms
from supportplan.accounts import services as account_services
from supportplan.accounts.models import Language, Role, Tenant, User, cloud_choices
from supportplan.core import clock
from supportplan.core.errors import DomainError
from supportplan.signin import invitations
from supportplan.signin.models import Invitation
from supportplan.web.forms import BaseForm

from .common import call_service, customer_view, request_now, staff_view, user_of

SESSION_KEY = "supportplan_invitation_key"


class OnboardForm(BaseForm):
    name = forms.CharField(label=gettext_lazy("Organisation name"), max_length=200)
    registered_email = forms.EmailField(label=gettext_lazy("Registered e-mail"))
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=Language.choices)
    technical_contact_name = forms.CharField(
        label=gettext_lazy("Technical contact"), max_length=100, required=False
    )
    technical_contact_email = forms.EmailField(
        label=gettext_lazy("Technical contact e-mail"), required=False
    )
    technical_contact_phone = forms.CharField(
        label=gettext_lazy("Technical contact phone"), max_length=40, required=False
    )
    cloud_accounts = forms.CharField(
        label=gettext_lazy("Cloud accounts"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One per line: the cloud and the account ID, e.g. “huawei 0a1b2c”."),
    )
    tam = forms.ModelChoiceField(
        label=pgettext_lazy("web", "Technical account manager"),
        queryset=User.objects.none(),
        required=False,
    )
    business_manager = forms.ModelChoiceField(
        label=pgettext_lazy("web", "Business manager"), queryset=User.objects.none(), required=False
    )
    admin_email = forms.EmailField(
        label=gettext_lazy("Administrator's e-mail"),
        help_text=gettext_lazy(
            "The organisation's administrator gets an invitation at this address."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        active = User.objects.filter(is_active=True, tenant__isnull=True).order_by("username")
        for name, roles in (
            ("tam", [Role.TAM, Role.SENIOR_EXPERT]),
            ("business_manager", [Role.BUSINESS_MANAGER]),
        ):
            field = self.fields[name]
            field.queryset = active.filter(role__in=[str(r) for r in roles])  # type: ignore[attr-defined]
            field.label_from_instance = lambda u: u.get_full_name() or u.username  # type: ignore[attr-defined]

    def clean_cloud_accounts(self) -> tuple[tuple[str, str], ...]:
        known = {code for code, _name in cloud_choices()}
        rows = []
        for n, line in enumerate(self.cleaned_data["cloud_accounts"].splitlines(), start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2 or parts[0].lower() not in known:
                raise forms.ValidationError(
                    _("Line %(n)d: write the cloud (one of %(known)s) and the account ID.")
                    % {"n": n, "known": ", ".join(sorted(known))}
                )
            rows.append((parts[0].lower(), parts[1]))
        return tuple(rows)


class InviteForm(BaseForm):
    email = forms.EmailField(label=pgettext_lazy("web", "E-mail"))
    role = forms.ChoiceField(
        label=gettext_lazy("Role"),
        choices=[
            (Role.CUSTOMER_MEMBER.value, Role.CUSTOMER_MEMBER.label),
            (Role.CUSTOMER_ADMIN.value, Role.CUSTOMER_ADMIN.label),
        ],
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language of the invitation"), choices=Language.choices
    )


class AcceptForm(BaseForm):
    username = forms.RegexField(
        label=gettext_lazy("User name"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        error_messages={"invalid": gettext_lazy("Use letters, digits and @ . + - _ only.")},
    )
    first_name = forms.CharField(label=gettext_lazy("Given name"), max_length=150, required=False)
    last_name = forms.CharField(label=gettext_lazy("Family name"), max_length=150, required=False)
    password1 = forms.CharField(label=gettext_lazy("Password"), widget=forms.PasswordInput)
    password2 = forms.CharField(label=gettext_lazy("Password again"), widget=forms.PasswordInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


# --------------------------------------------------------------------------- console


def _console_page(request: HttpRequest, form: OnboardForm, status: int = 200) -> HttpResponse:
    pending = Tenant.objects.filter(awaiting_approval=True).order_by("created_at")
    return render(
        request,
        "web/console/onboarding.html",
        {
            "nav": "onboarding",
            "form": form,
            "pending": [
                {"tenant": t, "admins": list(t.users.filter(role=Role.CUSTOMER_ADMIN))}
                for t in pending
            ],
        },
        status=status,
    )


@staff_view
def console_onboarding(request: HttpRequest) -> HttpResponse:
    actor = user_of(request)
    if not perms.has_role(actor, perms.ONBOARD_ORGANISATIONS):
        return render(request, "web/console/forbidden.html", status=403)
    if request.method != "POST":
        return _console_page(request, OnboardForm())
    form = OnboardForm(request.POST)
    if not form.is_valid():
        return _console_page(request, form, status=400)
    d = form.cleaned_data
    plan = invitations.Onboarding(
        name=d["name"],
        registered_email=d["registered_email"],
        language=d["language"],
        admin_email=d["admin_email"],
        technical_contact_name=d["technical_contact_name"],
        technical_contact_email=d["technical_contact_email"],
        technical_contact_phone=d["technical_contact_phone"],
        cloud_accounts=d["cloud_accounts"],
        tam=d["tam"],
        business_manager=d["business_manager"],
    )
    ok, made = call_service(
        request, form, invitations.organisation_onboard,
        actor=actor, plan=plan, now=request_now(request),
    )  # fmt: skip
    if not ok:
        return _console_page(request, form, status=400)
    messages.success(
        request,
        _("%(org)s was created and its administrator invited at %(email)s.")
        % {"org": made.tenant.name, "email": made.email},
    )
    return redirect("web:console_onboarding")


@require_POST
@staff_view
def console_tenant_approve(request: HttpRequest, tenant_id: int) -> HttpResponse:
    tenant = Tenant.objects.filter(pk=tenant_id, awaiting_approval=True).first()
    if tenant is None:
        raise Http404()
    ok, _r = call_service(
        request, None, account_services.tenant_approve,
        actor=user_of(request), tenant=tenant, now=request_now(request),
    )  # fmt: skip
    if ok:
        messages.success(request, _("%(org)s is approved.") % {"org": tenant.name})
    return redirect("web:console_onboarding")


# --------------------------------------------------------------------------- organisation page


@require_POST
@customer_view
def org_invite(request: HttpRequest) -> HttpResponse:
    from .org import _forms, _page

    tenant = request.tenant  # type: ignore[attr-defined]
    form = InviteForm(request.POST, prefix="invite")
    forms_ = {**_forms(tenant), "invite_form": form}
    if not form.is_valid():
        return _page(request, forms_, status=400)
    ok, made = call_service(
        request, form, invitations.invitation_send,
        actor=user_of(request), tenant=tenant, now=request_now(request), **form.cleaned_data,
    )  # fmt: skip
    if not ok:
        return _page(request, forms_, status=400)
    messages.success(request, _("An invitation was sent to %(email)s.") % {"email": made.email})
    return redirect(reverse("web:org") + "#invitations")


@require_POST
@customer_view
def org_invitation_action(request: HttpRequest, invitation_id: int, action: str) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    invitation = Invitation.objects.filter(tenant=tenant, pk=invitation_id).first()
    service = {"resend": invitations.invitation_resend, "withdraw": invitations.invitation_withdraw}
    if invitation is None or action not in service:
        raise Http404()
    ok, _r = call_service(
        request, None, service[action],
        actor=user_of(request), invitation=invitation, now=request_now(request),
    )  # fmt: skip
    if ok:
        messages.success(
            request,
            (_("The invitation to %(email)s was sent again.") if action == "resend"
             else _("The invitation to %(email)s was withdrawn."))
            % {"email": invitation.email},
        )  # fmt: skip
    return redirect(reverse("web:org") + "#invitations")


# --------------------------------------------------------------------------- the invited person


def invitation_open(request: HttpRequest, key: str) -> HttpResponse:
    """The e-mailed link: the key moves into the session and the address bar loses it, so it
    is not in the next page's Referer or the browser's history."""
    request.session[SESSION_KEY] = key
    return redirect("web:invitation_accept")


def invitation_accept(request: HttpRequest) -> HttpResponse:
    key = request.session.get(SESSION_KEY, "")
    now = clock.now()
    try:
        invitation = invitations.invitation_for_key(key, now=now)
    except DomainError as exc:
        return render(request, "web/invitation.html", {"refusal": exc.message}, status=exc.status)
    form = AcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        answer = invitations.Acceptance(
            username=d["username"], password=d["password1"],
            first_name=d["first_name"], last_name=d["last_name"],
        )  # fmt: skip
        ok, user = call_service(
            request, form, invitations.invitation_accept, key=key, answer=answer, now=now
        )
        if ok:
            request.session.pop(SESSION_KEY, None)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to %(org)s.") % {"org": invitation.tenant.name})
            return redirect("home")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "web/invitation.html", {"invitation": invitation, "form": form}, status=status
    )
