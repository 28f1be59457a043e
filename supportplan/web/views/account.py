"""A person's REST API keys (/account/api-keys/), beside the cloud ticket API's access-key
pairs (/account/access-keys/): create one per script with a scope and an expiry (the key is
shown once, on the page that created it), see when each was last used, revoke it. An
organisation administrator also sees and revokes the keys of the organisation's people and
can make one for a colleague."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST

from supportplan.accounts import api_keys
from supportplan.accounts.models import ApiKeyScope, Role, User
from supportplan.api.keys import manageable_keys

from .common import call_service, request_now, signed_in_view, user_of


class NewApiKeyForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("What the key is for"), max_length=200, required=False,
        help_text=gettext_lazy("For example: the nightly case export on ops-01."),
    )  # fmt: skip
    scope = forms.ChoiceField(
        label=gettext_lazy("What the key may do"),
        choices=ApiKeyScope.choices,
        initial=ApiKeyScope.READ_ONLY,
        help_text=gettext_lazy(
            "Read only: look, never change. Cases only: open and work cases. "
            "Everything: all that its person may do."
        ),
    )
    days = forms.IntegerField(
        label=gettext_lazy("Valid for (days)"),
        min_value=1,
        max_value=api_keys.MAX_DAYS,
        initial=90,
    )
    owner = forms.TypedChoiceField(
        label=gettext_lazy("For whom"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if actor.role == Role.CUSTOMER_ADMIN and actor.tenant_id:
            people = User.objects.filter(tenant_id=actor.tenant_id, is_active=True)
            self.fields["owner"].choices = [  # type: ignore[attr-defined]
                (p.pk, p.get_full_name() or p.username) for p in people.order_by("username")
            ]
            self.fields["owner"].initial = actor.pk
        else:
            del self.fields["owner"]


def _page(request: HttpRequest, form: NewApiKeyForm, created: Any = None) -> HttpResponse:
    actor, now = user_of(request), request_now(request)
    keys = manageable_keys(actor).order_by("-created_at", "-pk")
    rows = [
        {"key": k, "state": k.state_at(now), "state_label": _state_label(k.state_at(now))}
        for k in keys
    ]
    response = render(
        request,
        "web/account/api_keys.html",
        {
            "nav": "access_keys",
            "form": form,
            "rows": rows,
            "created": created,
            "show_owner": actor.role == Role.CUSTOMER_ADMIN,
            "api_root": request.build_absolute_uri("/api/"),
        },
    )
    add_never_cache_headers(response)  # the page may hold a key shown once
    return response


def _state_label(state: str) -> str:
    return {
        "active": pgettext("state", "Active"),
        "expired": pgettext("state", "Expired"),
        "revoked": pgettext("state", "Revoked"),
    }[state]


@signed_in_view
def api_keys_page(request: HttpRequest) -> HttpResponse:
    actor = user_of(request)
    if request.method != "POST":
        return _page(request, NewApiKeyForm(actor=actor))
    form = NewApiKeyForm(request.POST, actor=actor)
    if not form.is_valid():
        return _page(request, form)
    owner = actor
    chosen = form.cleaned_data.get("owner")
    if chosen and chosen != actor.pk:
        owner = User.objects.get(pk=chosen, tenant=actor.tenant)  # among the choices
    ok, made = call_service(
        request, form, api_keys.api_key_create,
        actor=actor, user=owner, now=request_now(request),
        scope=form.cleaned_data["scope"], days=form.cleaned_data["days"],
        name=form.cleaned_data["name"],
    )  # fmt: skip
    if not ok:
        return _page(request, form)
    return _page(request, NewApiKeyForm(actor=actor), created=made)


@require_POST
@signed_in_view
def api_key_revoke_view(request: HttpRequest, key_id: int) -> HttpResponse:
    actor = user_of(request)
    key = manageable_keys(actor).filter(pk=key_id).first()
    if key is None:  # another person's key is "not found", never confirmed
        raise Http404()
    ok, _r = call_service(
        request, None, api_keys.api_key_revoke, actor=actor, key=key, now=request_now(request)
    )
    if ok:
        messages.success(
            request,
            _("API key %(key)s is revoked: scripts using it are refused from now on.")
            % {"key": key.prefix},
        )
    return redirect(reverse("web:api_keys"))
