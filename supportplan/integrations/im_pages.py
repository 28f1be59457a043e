"""Organisation → IM groups (/org/im-groups/): a tenant administrator connects the
organisation's IM enterprise groups, sees each group's callback URL with the steps for its
platform's console, and disconnects them. Colleagues see the list; secrets only masked."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from supportplan.accounts.models import Role
from supportplan.cases import upstream
from supportplan.core import clock
from supportplan.web.templatetags.web import tr
from supportplan.web.views.common import call_service, signed_in_view, user_of

from .im_setup import SECRET_LABELS, callback_steps, im_group_connect, im_group_disconnect
from .im_setup import secret_hints as _hints
from .models import ImGroup, ImPlatform


def callback_url(request: HttpRequest, group: ImGroup) -> str:
    return request.build_absolute_uri(reverse("integrations-im", args=[group.pk]))


class ImGroupForm(forms.Form):
    platform = forms.ChoiceField(label=gettext_lazy("Platform"), choices=ImPlatform.choices)
    provider = forms.ChoiceField(
        label=gettext_lazy("Cases are filed under the plan of"), required=False, choices=[],
    )  # fmt: skip
    name = forms.CharField(label=gettext_lazy("Group name"), max_length=100)
    chat_id = forms.CharField(
        label=gettext_lazy("Group id on the platform"), max_length=200, required=False,
        help_text=gettext_lazy("Messages from any other group are refused. Leave blank to accept the first group the robot is in."),
    )  # fmt: skip
    token = forms.CharField(
        label=SECRET_LABELS["token"], max_length=100, required=False,
        help_text=gettext_lazy("WeCom. Leave blank to have one made, then paste it into WeCom."),
    )  # fmt: skip
    encoding_aes_key = forms.CharField(
        label=SECRET_LABELS["encoding_aes_key"], max_length=43, required=False,
        help_text=gettext_lazy("WeCom. Leave blank to have one made, then paste it into WeCom."),
    )  # fmt: skip
    app_secret = forms.CharField(
        label=SECRET_LABELS["app_secret"], max_length=200, required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=gettext_lazy("WeLink, DingTalk and Feishu: the app's secret from their console."),
    )  # fmt: skip
    app_id = forms.CharField(
        label=SECRET_LABELS["app_id"], max_length=200, required=False,
        help_text=gettext_lazy("Feishu, optional: with the App secret, files posted in the group are added to the case."),
    )  # fmt: skip
    app_key = forms.CharField(
        label=SECRET_LABELS["app_key"], max_length=200, required=False,
        help_text=gettext_lazy("DingTalk, optional: with the robot code, files posted in the group are added to the case."),
    )  # fmt: skip
    robot_code = forms.CharField(
        label=SECRET_LABELS["robot_code"], max_length=200, required=False,
        help_text=gettext_lazy("DingTalk, optional: the robot's RobotCode from the developer console."),
    )  # fmt: skip
    verification_token = forms.CharField(
        label=SECRET_LABELS["verification_token"], max_length=200, required=False,
        help_text=gettext_lazy("Feishu."),
    )  # fmt: skip
    encrypt_key = forms.CharField(
        label=SECRET_LABELS["encrypt_key"], max_length=200, required=False,
        widget=forms.PasswordInput(render_value=False), help_text=gettext_lazy("Feishu."),
    )  # fmt: skip
    robot_webhook = forms.CharField(
        label=gettext_lazy("Group robot webhook (answers go back through it)"), max_length=500,
        required=False,
        help_text=gettext_lazy("The group robot's webhook address, from the group's robot settings."),
    )  # fmt: skip
    robot_secret = forms.CharField(
        label=gettext_lazy("Robot signing secret"), max_length=200, required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=gettext_lazy("DingTalk and Feishu robots with signing turned on."),
    )  # fmt: skip


def _form(tenant, data=None) -> ImGroupForm:  # type: ignore[no-untyped-def]
    """The provider is asked only when the organisation has plans of several providers."""
    form = ImGroupForm(data)
    plans = upstream.plans_in_force(tenant, clock.now())
    if len(plans) > 1:
        form.fields["provider"].required = True
        form.fields["provider"].choices = [  # type: ignore[attr-defined]
            (p.provider, tr(upstream.catalog_for_version(p.catalog_version_id).provider.name))
            for p in plans
        ]
    else:
        del form.fields["provider"]
    return form


def _rows(request: HttpRequest, tenant) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    groups = ImGroup.objects.filter(tenant=tenant, active=True).select_related("robot")
    return [
        {"group": g, "url": callback_url(request, g), "hints": _hints(g),
         "steps": callback_steps(g.platform, callback_url(request, g))}
        for g in groups.order_by("name", "pk")
    ]  # fmt: skip


@signed_in_view
def im_groups_page(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if user.tenant is None:
        raise Http404(_("Page not found."))
    tenant = user.tenant
    admin = user.role == Role.CUSTOMER_ADMIN
    form = _form(tenant, request.POST or None) if admin else None
    created = None
    if request.method == "POST" and not admin:
        messages.error(
            request, _("Only your organisation's administrator can connect an IM group.")
        )
        return redirect(reverse("web:im_groups"))
    if form is not None and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ok, made = call_service(
            request, form, im_group_connect,
            actor=user, tenant=tenant, platform=data["platform"], name=data["name"],
            chat_id=data["chat_id"], now=clock.now(),
            secrets={k: data[k] for k in SECRET_LABELS}, robot_webhook=data["robot_webhook"],
            robot_secret=data["robot_secret"], provider=data.get("provider", ""),
        )  # fmt: skip
        if ok:
            url = callback_url(request, made.group)
            created = {
                "group": made.group, "url": url,
                "generated": [(str(SECRET_LABELS[k]), v) for k, v in made.generated.items()],
                "steps": callback_steps(made.group.platform, url),
            }  # fmt: skip
            form = _form(tenant)
    response = render(
        request,
        "integrations/im_groups.html",
        {"nav": "org", "form": form, "created": created, "rows": _rows(request, tenant)},
    )
    add_never_cache_headers(response)
    return response


@require_POST
@signed_in_view
def im_group_remove(request: HttpRequest, group_id: int) -> HttpResponse:
    user = user_of(request)
    found = (
        ImGroup.objects.filter(pk=group_id, tenant_id=user.tenant_id or 0, active=True)
        .select_related("tenant")
        .first()
    )
    if found is None:
        raise Http404(_("That IM group was not found."))
    ok, _result = call_service(
        request, None, im_group_disconnect, actor=user, group=found, now=clock.now()
    )
    if ok:
        messages.success(
            request, _("%(name)s is disconnected: its callback URL now refuses messages.")
            % {"name": found.name},
        )  # fmt: skip
    return redirect(reverse("web:im_groups"))
