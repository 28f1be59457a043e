from django import forms
from django.contrib import admin

from .models import MfaRequirement, SsoConfig


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
