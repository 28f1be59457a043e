"""The sign-up form's extra field (allauth ACCOUNT_SIGNUP_FORM_CLASS): a person who registers
themselves names the organisation they register, and becomes its administrator."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class SignupForm(forms.Form):
    organisation = forms.CharField(label=_("Organisation name"), max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if getattr(self, "sociallogin", None) is not None:
            # allauth builds single sign-on's sign-up form on this class too: there the
            # organisation is the one whose identity provider signed the person in
            del self.fields["organisation"]

    def clean_organisation(self) -> str:
        from supportplan.accounts.models import Tenant

        name = self.cleaned_data["organisation"].strip()
        if Tenant.objects.filter(name__iexact=name).exists():
            raise forms.ValidationError(
                _("An organisation of this name is already registered; choose another name.")
            )
        return name

    def signup(self, request: Any, user: Any) -> None:
        """allauth's hook after the person is saved: the adapter did the work already."""
