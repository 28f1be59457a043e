"""The product's own sign-in pages beside allauth's: finding an organisation's single
sign-on, and the two-factor requirement an administrator sets."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from supportplan.accounts.models import Role
from supportplan.core import clock

from . import policy, sso
from .models import MfaRequirement


@require_http_methods(["GET"])
def sso_lookup(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    configs = sso.configs_for(email=query, slug="" if "@" in query else query) if query else []
    buttons = [{"name": c.name, "url": sso.login_url(c)} for c in configs]
    response = render(
        request,
        "socialaccount/sso_lookup.html",
        {"query": query, "buttons": buttons, "searched": bool(query)},
    )
    # A button posts to allauth, which redirects to the IdP: browsers apply the page's
    # form-action to that redirect too, so the IdPs shown here are allowed on this page only.
    origins = sorted({_origin(sso.idp_address(c)) for c in configs} - {""})
    if origins:
        policy_ = dict(settings.SECURE_CSP)
        policy_["form-action"] = [*policy_.get("form-action", ["'self'"]), *origins]
        response._csp_config = policy_  # type: ignore[attr-defined]
    return response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else ""


@login_required
@require_http_methods(["GET", "POST"])
def mfa_policy(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.role == Role.PLATFORM_ADMIN:  # type: ignore[union-attr]
        tenant = None
    elif user.role == Role.CUSTOMER_ADMIN:  # type: ignore[union-attr]
        tenant = user.tenant  # type: ignore[union-attr]
    else:
        raise PermissionDenied
    if request.method == "POST":
        required = request.POST.get("required") == "on"
        policy.mfa_requirement_set(actor=user, tenant=tenant, required=required, now=clock.now())
        messages.success(request, _("Saved."))
        return redirect("signin_mfa_policy")
    row = MfaRequirement.objects.filter(tenant=tenant).first()
    return render(
        request,
        "mfa/policy.html",
        {"required": bool(row and row.required), "for_staff": tenant is None, "tenant": tenant},
    )
