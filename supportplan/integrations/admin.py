"""Vendor accounts are configured by platform administrators in the admin; the secret is
written through the same encryption as the service uses and never shown back."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from supportplan.notifications import secrets as stored_secrets

from .models import AlertReceiver, VendorAccount, VendorTicket


class VendorAccountForm(forms.ModelForm):
    secret = forms.CharField(
        label=_("secret"), widget=forms.PasswordInput(render_value=False), required=False,
        help_text=_("Leave empty to keep the stored secret."),
    )  # fmt: skip

    class Meta:
        model = VendorAccount
        fields = [
            "cloud", "name", "api", "endpoint", "region", "access_key_id", "service_code",
            "severity_map", "active",
        ]  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.instance.pk and not data.get("secret"):
            self.add_error("secret", _("Give the secret of the vendor's access key."))
        return data


@admin.register(VendorAccount)
class VendorAccountAdmin(admin.ModelAdmin):
    form = VendorAccountForm
    list_display = ["name", "cloud", "api", "endpoint", "active"]
    readonly_fields = ["created_at"]

    def save_model(self, request: Any, obj: VendorAccount, form: Any, change: bool) -> None:
        from supportplan.core import clock

        if form.cleaned_data.get("secret"):
            obj.secret_encrypted = stored_secrets.encrypt(form.cleaned_data["secret"])
        if not obj.created_at:
            obj.created_at = clock.now()
        super().save_model(request, obj, form, change)


@admin.register(VendorTicket)
class VendorTicketAdmin(admin.ModelAdmin):
    list_display = ["vendor_id", "case", "account", "vendor_state", "closed", "synced_at"]
    readonly_fields = [f.name for f in VendorTicket._meta.fields]

    def has_add_permission(self, request: Any) -> bool:
        return False


@admin.register(AlertReceiver)
class AlertReceiverAdmin(admin.ModelAdmin):
    list_display = ["name", "tenant", "system", "active", "created_at"]
    readonly_fields = ["token_hash", "token_hint", "created_at", "created_by"]

    def has_add_permission(self, request: Any) -> bool:
        return False  # tenant admins add receivers (the token is shown to them once)
