"""Organisation settings: contacts, technical contact, registered systems, cloud accounts,
report e-mails, IM group robot, users. Only customer administrators change them
(accounts.permissions.require_tenant_admin); members see them read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportplan.accounts import selectors as account_selectors
from supportplan.accounts import services as account_services
from supportplan.accounts.models import Role
from supportplan.accounts.permissions import require_tenant_admin
from supportplan.core.errors import DomainError
from supportplan.web.forms import (
    CloudAccountForm,
    OrganisationForm,
    SystemForm,
    TechnicalContactForm,
    UserForm,
)

from . import extras
from .common import call_service, customer_view


def _forms(tenant: Any, data: dict[str, Any] | None = None, which: str = "") -> dict[str, Any]:
    def bound(name: str) -> Any:
        return data if which == name else None

    return {
        "org_form": OrganisationForm(
            bound("org"),
            initial={
                "registered_email": tenant.registered_email,
                "report_emails": "\n".join(tenant.report_emails or []),
                "language": tenant.language,
            },
            prefix="org",
        ),
        "contact_form": TechnicalContactForm(
            bound("contact"),
            initial={
                "technical_contact_name": tenant.technical_contact_name,
                "technical_contact_email": tenant.technical_contact_email,
                "technical_contact_phone": tenant.technical_contact_phone,
            },
            prefix="contact",
        ),
        "system_form": SystemForm(bound("system"), prefix="system"),
        "cloud_form": CloudAccountForm(bound("cloud"), prefix="cloud"),
        "user_form": UserForm(bound("user"), prefix="user"),
    }


def _page(request: HttpRequest, forms: dict[str, Any], status: int = 200) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    user = request.user
    context = {
        "nav": "org",
        "tenant": tenant,
        "is_admin": user.role == Role.CUSTOMER_ADMIN,  # type: ignore[union-attr]
        "systems": account_selectors.systems_of(tenant),
        "cloud_accounts": account_selectors.cloud_accounts_of(tenant),
        "people": account_selectors.users_of(tenant),
        "robots": extras.im_robots(tenant),
        **forms,
    }
    return render(request, "web/org/settings.html", context, status=status)


@customer_view
def settings_page(request: HttpRequest) -> HttpResponse:
    return _page(request, _forms(request.tenant))  # type: ignore[attr-defined]


@require_POST
@customer_view
def settings_save(request: HttpRequest, which: str) -> HttpResponse:
    tenant, now, user = request.tenant, request.now, request.user  # type: ignore[attr-defined]
    forms = _forms(tenant, request.POST, which)
    try:
        require_tenant_admin(user, tenant)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("web:org")
    form = {
        "org": forms["org_form"],
        "contact": forms["contact_form"],
        "system": forms["system_form"],
        "cloud": forms["cloud_form"],
        "user": forms["user_form"],
    }.get(which)
    if form is None:
        return redirect("web:org")
    if not form.is_valid():
        return _page(request, forms, status=400)
    data = form.cleaned_data
    if which in ("org", "contact"):
        ok, _r = call_service(
            request,
            form,
            account_services.tenant_update,
            tenant=tenant,
            actor=user,
            now=now,
            **data,
        )
    elif which == "system":
        ok, _r = call_service(
            request,
            form,
            account_services.system_register,
            tenant=tenant,
            actor=user,
            now=now,
            **data,
        )
    elif which == "cloud":
        ok, _r = call_service(
            request,
            form,
            account_services.cloud_account_add,
            tenant=tenant,
            actor=user,
            now=now,
            **data,
        )
    else:
        ok, _r = call_service(
            request, form, account_services.user_create, tenant=tenant, actor=user, now=now, **data
        )
    if not ok:
        return _page(request, forms, status=400)
    messages.success(request, _("Saved."))
    anchor = {
        "org": "profile",
        "contact": "contact",
        "system": "systems",
        "cloud": "clouds",
        "user": "users",
    }
    return redirect(reverse("web:org") + "#" + anchor[which])
