"""allauth adapters: mail through the product's outbox, OIDC apps from SsoConfig, and a
sign-in by single sign-on that lands in the configuring organisation only."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.http import HttpRequest
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _

from supportplan.core import clock
from supportplan.core.middleware import reader_language

from . import mail, sso


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        user = context.get("user")
        language = getattr(user, "language", "") or translation.get_language() or "zh-hans"
        with translation.override(language):
            message = self.render_mail(template_prefix, email, context)
        mail.signin_email_send(
            kind=template_prefix.rpartition("/")[2],
            address=email,
            user=user if getattr(user, "pk", None) else None,
            language=language,
            subject=str(message.subject),
            body=str(message.body),
            now=clock.now(),
        )

    def add_message(
        self, request: HttpRequest, level: int, message_template: str | None = None,
        message_context: dict[str, Any] | None = None, extra_tags: str = "",
        message: str | None = None,
    ) -> None:  # fmt: skip
        """allauth writes "Successfully signed in as …" while the request still speaks the
        browser's language; the next page speaks the person's. Write it in the person's."""
        language = reader_language(request, getattr(request, "user", None))
        with translation.override(language or translation.get_language()):
            super().add_message(
                request, level, message_template, message_context, extra_tags, message
            )

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        """Self-registration only where the provider enables it (SUPPORTPLAN_ALLOW_SIGNUP):
        allauth's own default is open."""
        from django.conf import settings

        return bool(getattr(settings, "ACCOUNT_ALLOW_SIGNUPS", False))

    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        """A self-registered person registers an organisation (awaiting staff approval) and
        is its administrator; no one is ever created without an organisation or a role."""
        from django.db import transaction

        from supportplan.accounts import services as accounts
        from supportplan.accounts.models import Role

        if "organisation" not in form.cleaned_data or str(getattr(user, "role", "") or ""):
            # single sign-on's sign-up form: the IdP's organisation placed the person already
            return super().save_user(request, user, form, commit=commit)
        name = str(form.cleaned_data.get("organisation") or "").strip()
        language = (translation.get_language() or "zh-hans").lower()
        language = "en" if language.startswith("en") else "zh-hans"
        with transaction.atomic():
            tenant = accounts.tenant_create(
                name=name,
                registered_email=form.cleaned_data.get("email") or "",
                language=language,
                awaiting_approval=True,
                now=clock.now(),
            )
            user.role = Role.CUSTOMER_ADMIN
            user.tenant = tenant
            user.language = language
            user.date_joined = clock.now()
            return super().save_user(request, user, form, commit=commit)


class MfaAdapter(DefaultMFAAdapter):
    pass


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(self, request: HttpRequest, provider: Any = None, client_id: Any = None) -> list:
        apps = super().list_apps(request, provider=provider, client_id=client_id)
        if provider in (None, "openid_connect", "saml") or (
            provider and sso.is_sso_provider_id(provider)
        ):
            apps.extend(sso.social_apps(provider=provider, client_id=client_id))
        return apps

    def _refuse(self, request: HttpRequest, message: str) -> None:
        raise ImmediateHttpResponse(
            render(request, "socialaccount/refused.html", {"message": message}, status=403)
        )

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: Any = None,
        extra_context: Any = None,
    ) -> None:
        """A SAML answer python3-saml refused (its reason is in the log, never on the page):
        say in the reader's language whether the signature failed or the answer was not
        for this sign-in."""
        if getattr(provider, "id", "") != "saml":
            return super().on_authentication_error(
                request, provider, error=error, exception=exception, extra_context=extra_context
            )
        reason = str((extra_context or {}).get("saml_last_error_reason") or "")
        if "ignature" in reason or "not signed" in reason:
            message = _(
                "The identity provider's answer was not signed by this organisation's "
                "identity provider, or was changed after signing. You were not signed in."
            )
        elif reason:
            message = _(
                "The identity provider's answer was not meant for this sign-in (another "
                "organisation's address, expired or malformed). You were not signed in."
            )
        else:
            message = _(
                "This single sign-on answer does not match a sign-in started here. "
                "Start again from the sign-in page."
            )
        self._refuse(request, message)

    def pre_social_login(self, request: HttpRequest, sociallogin: Any) -> None:
        config = sso.config_for_app(sociallogin.account.provider)
        if config is None:
            self._refuse(request, _("This single sign-on is not configured."))
            return
        email = sso.verified_email(sociallogin, config)
        if not email or not config.allows(email):
            self._refuse(
                request,
                _(
                    "Your identity provider did not confirm an e-mail address in a domain "
                    "this organisation allows. Ask your administrator."
                ),
            )
        if config.is_saml:  # the organisation's IdP signed it: no confirmation e-mail
            for address in sociallogin.email_addresses:
                address.verified = address.verified or str(address.email).lower() == email
        if sociallogin.is_existing:
            if not sso.user_fits(sociallogin.user, config):
                self._refuse(request, _("This account belongs to another organisation."))
            return
        existing = sso.find_user(email)
        if existing is not None:
            if not sso.user_fits(existing, config):
                self._refuse(
                    request,
                    _(
                        "A person with this e-mail address exists in another organisation; "
                        "single sign-on cannot sign them in here."
                    ),
                )
            sociallogin.connect(request, existing)

    def is_open_for_signup(self, request: HttpRequest, sociallogin: Any) -> bool:
        return True

    def populate_user(self, request: HttpRequest, sociallogin: Any, data: dict) -> Any:
        user = super().populate_user(request, sociallogin, data)
        config = sso.config_for_app(sociallogin.account.provider)
        sso.place_new_user(user, config, data)
        return user
