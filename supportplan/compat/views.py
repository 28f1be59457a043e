"""Cloud ticket API access keys: a person creates a pair for their scripts (the secret is
shown once, on the page that created it), sees when each was last used, revokes it."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from supportplan.core import clock
from supportplan.web.views.common import call_service, signed_in_view, user_of

from .keys import access_key_create, access_key_revoke
from .models import AccessKey


class NewKeyForm(forms.Form):
    description = forms.CharField(
        label=gettext_lazy("What the key is for"), max_length=200, required=False,
        help_text=gettext_lazy("For example: the monitoring script on ops-01."),
    )  # fmt: skip
    days = forms.IntegerField(
        label=gettext_lazy("Valid for (days)"), min_value=1, max_value=3650, initial=365
    )


def _page(request: HttpRequest, form: NewKeyForm, created: object = None) -> HttpResponse:
    keys = AccessKey.objects.filter(user=user_of(request)).order_by("-created_at", "-pk")
    now = clock.now()
    rows = [
        {
            "key": k,
            "state": _("Revoked")
            if k.revoked_at
            else (_("Active") if k.usable_at(now) else _("Expired")),
        }
        for k in keys
    ]
    response = render(
        request,
        "compat/access_keys.html",
        {
            "nav": "access_keys",
            "form": form,
            "rows": rows,
            "created": created,
            "endpoint": request.build_absolute_uri("/compat/aws-support"),
            "huawei_endpoint": request.build_absolute_uri("/").rstrip("/"),
        },
    )
    add_never_cache_headers(response)  # the page may hold a secret shown once
    return response


@signed_in_view
def access_keys(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request, NewKeyForm())
    form = NewKeyForm(request.POST)
    if not form.is_valid():
        return _page(request, form)
    ok, made = call_service(
        request, form, access_key_create,
        actor=request.user, user=request.user, now=clock.now(),
        lifetime=timedelta(days=form.cleaned_data["days"]),
        description=form.cleaned_data["description"],
    )  # fmt: skip
    if not ok:
        return _page(request, form)
    return _page(request, NewKeyForm(), created=made)


@require_POST
@signed_in_view
def access_key_revoke_view(request: HttpRequest, key_id: int) -> HttpResponse:
    key = AccessKey.objects.filter(user=user_of(request), pk=key_id).first()
    if key is None:  # another person's key is "not found", never confirmed
        raise Http404(_("That access key was not found."))
    access_key_revoke(actor=request.user, key=key, now=clock.now())  # type: ignore[arg-type]
    messages.success(
        request,
        _("Access key %(key)s is revoked: scripts using it are refused from now on.")
        % {"key": key.access_key_id},
    )
    return redirect(reverse("web:access_keys"))
