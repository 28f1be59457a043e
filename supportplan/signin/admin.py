"""Admin for sign-in settings and invitations. Invitations are created by the console's
onboarding and the organisation page; here staff find them and re-send or withdraw them,
through the same services (signin.invitations: permission check, audit entry, e-mail)."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from supportplan.core import clock
from supportplan.core.errors import DomainError

from . import invitations
from .models import Invitation, MfaRequirement, SsoConfig


class SsoConfigForm(forms.ModelForm):
    client_secret = forms.CharField(
        required=False, widget=forms.PasswordInput, help_text="Leave empty to keep the stored one."
    )

    class Meta:
        model = SsoConfig
        fields = [
            "tenant",
            "protocol",
            "provider_id",
            "name",
            "issuer",
            "client_id",
            "saml_entity_id",
            "saml_sso_url",
            "saml_x509cert",
            "email_domains",
            "enabled",
        ]

    def save(self, commit: bool = True) -> SsoConfig:
        if self.cleaned_data.get("client_secret"):
            self.instance.client_secret = self.cleaned_data["client_secret"]
        return super().save(commit=commit)  # type: ignore[no-any-return]


@admin.register(SsoConfig)
class SsoConfigAdmin(admin.ModelAdmin):
    form = SsoConfigForm
    list_display = ["name", "tenant", "protocol", "issuer", "saml_entity_id", "enabled"]


@admin.register(MfaRequirement)
class MfaRequirementAdmin(admin.ModelAdmin):
    list_display = ["__str__", "required", "changed_at"]
    readonly_fields = ["changed_by", "changed_at"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "tenant", "role", "state", "sent_at", "expires_at", "invited_by"]
    list_filter = ["role", "language"]
    search_fields = ["email", "tenant__name", "tenant__slug"]
    list_select_related = ["tenant", "invited_by"]
    actions = ["resend", "withdraw"]
    # Everything is set by the services: the admin only shows and acts.
    readonly_fields = [
        "tenant", "email", "role", "language", "invited_by", "created_at", "sent_at",
        "expires_at", "accepted_at", "accepted_by", "revoked_at",
    ]  # fmt: skip
    exclude = ["key_hash"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # invitations are made in the console (onboarding, organisation page)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # withdraw instead: the history stays

    @admin.display(description=_("state"))
    def state(self, obj: Invitation) -> str:
        return str(STATES[obj.state_at(clock.now())])

    @admin.action(description=_("Re-send the selected invitations (a new link and expiry)"))
    def resend(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        self._each(request, queryset, invitations.invitation_resend, _("%(count)d re-sent."))

    @admin.action(description=_("Withdraw the selected invitations"))
    def withdraw(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        self._each(request, queryset, invitations.invitation_withdraw, _("%(count)d withdrawn."))

    def _each(
        self, request: HttpRequest, queryset: QuerySet[Invitation], fn: Any, done_text: Any
    ) -> None:
        now, done = clock.now(), 0
        for invitation in queryset.order_by("pk"):
            try:
                fn(actor=request.user, invitation=invitation, now=now)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{exc.message} ({invitation.email})", messages.ERROR)
        if done:
            self.message_user(request, done_text % {"count": done}, messages.SUCCESS)


STATES = {
    "pending": _("pending"),
    "accepted": _("accepted"),
    "withdrawn": _("withdrawn"),
    "expired": _("expired"),
}
