"""Single sign-on: SsoConfig rows become allauth OpenID Connect apps (secret decrypted only
in memory), and the rules that keep a person in the configuring organisation."""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.models import SocialApp
from django.contrib.auth import get_user_model

from supportplan.accounts.models import Role

from .models import SsoConfig

PREFIX = "sso-"


def is_sso_provider_id(provider_id: str) -> bool:
    return str(provider_id).startswith(PREFIX)


def app_id(config: SsoConfig) -> str:
    return PREFIX + config.provider_id


def _as_app(config: SsoConfig) -> SocialApp:
    return SocialApp(
        provider="openid_connect",
        provider_id=app_id(config),
        name=config.name,
        client_id=config.client_id,
        secret=config.client_secret,
        settings={"server_url": config.issuer, "oauth_pkce_enabled": True},
    )


def social_apps(*, provider: str | None = None, client_id: str | None = None) -> list[SocialApp]:
    rows = SsoConfig.objects.filter(enabled=True)
    if provider and is_sso_provider_id(provider):
        rows = rows.filter(provider_id=provider[len(PREFIX) :])
    if client_id:
        rows = rows.filter(client_id=client_id)
    return [_as_app(row) for row in rows]


def config_for_app(provider_id: str) -> SsoConfig | None:
    if not is_sso_provider_id(provider_id):
        return None
    return (
        SsoConfig.objects.select_related("tenant")
        .filter(provider_id=provider_id[len(PREFIX) :], enabled=True)
        .first()
    )


def configs_for(*, email: str = "", slug: str = "") -> list[SsoConfig]:
    """The sign-in page's "Sign in with ..." buttons: by e-mail domain or organisation slug."""
    rows = SsoConfig.objects.filter(enabled=True).select_related("tenant")
    if slug:
        return [r for r in rows if (r.tenant.slug if r.tenant else "staff") == slug.strip().lower()]
    if "@" in email:
        return [r for r in rows if r.allows(email)]
    return []


def verified_email(sociallogin: Any) -> str:
    for address in sociallogin.email_addresses:
        if address.verified and address.email:
            return str(address.email).lower()
    data = sociallogin.account.extra_data or {}
    userinfo = data.get("userinfo", data)
    if userinfo.get("email_verified") and userinfo.get("email"):
        return str(userinfo["email"]).lower()
    return ""


def user_fits(user: Any, config: SsoConfig) -> bool:
    if config.tenant_id is None:
        return bool(user.is_provider_staff)
    return bool(user.tenant_id == config.tenant_id and user.is_customer)


def find_user(email: str) -> Any:
    return get_user_model().objects.filter(email__iexact=email).first()


def place_new_user(user: Any, config: SsoConfig | None, data: dict) -> None:
    if config is None:
        raise ValueError("no single sign-on configuration for this provider")
    if config.tenant is None:
        user.tenant = None
        user.role = Role.ENGINEER
    else:
        user.tenant = config.tenant
        user.role = Role.CUSTOMER_MEMBER
        user.language = config.tenant.language
