"""Single sign-on: SsoConfig rows become allauth OpenID Connect apps (secret decrypted only
in memory) or SAML 2.0 apps (allauth.socialaccount.providers.saml, python3-saml), and the
rules that keep a person in the configuring organisation."""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.models import SocialApp
from django.contrib.auth import get_user_model

from supportplan.accounts.models import Role

from .models import SsoConfig, SsoProtocol

PREFIX = "sso-"


def is_sso_provider_id(provider_id: str) -> bool:
    return str(provider_id).startswith(PREFIX)


def app_id(config: SsoConfig) -> str:
    return PREFIX + config.provider_id


# What a SAML IdP's assertion is read for: allauth's defaults plus the common LDAP/Azure names.
SAML_ATTRIBUTES = {
    "uid": ["urn:oasis:names:tc:SAML:attribute:subject-id"],
    "email": [
        "urn:oid:0.9.2342.19200300.100.1.3",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "email",
        "mail",
    ],
    "name": [
        "urn:oid:2.16.840.1.113730.3.1.241",
        "http://schemas.microsoft.com/identity/claims/displayname",
        "displayName",
    ],
    "first_name": ["urn:oid:2.5.4.42", "givenName"],
    "last_name": ["urn:oid:2.5.4.4", "sn"],
}


def _as_saml_app(config: SsoConfig) -> SocialApp:
    """allauth looks a SAML app up by client_id = the slug in /accounts/saml/<slug>/; the
    product's own entity id is then the metadata URL. Signed assertions are required
    (python3-saml also refuses a response with no signature at all), IdP-initiated sign-in
    is refused (no request of ours to answer), and strict mode checks the destination,
    audience, recipient and validity times."""
    return SocialApp(
        provider="saml",
        provider_id=app_id(config),
        name=config.name,
        client_id=config.provider_id,
        settings={
            "idp": {
                "entity_id": config.saml_entity_id,
                "sso_url": config.saml_sso_url,
                "x509cert": config.saml_x509cert,
            },
            "attribute_mapping": SAML_ATTRIBUTES,
            "advanced": {
                "strict": True,
                "want_assertion_signed": True,
                "reject_idp_initiated_sso": True,
                "want_attribute_statement": False,
                "reject_deprecated_algorithm": True,
            },
        },
    )


def _as_app(config: SsoConfig) -> SocialApp:
    if config.protocol == SsoProtocol.SAML:
        return _as_saml_app(config)
    return SocialApp(
        provider="openid_connect",
        provider_id=app_id(config),
        name=config.name,
        client_id=config.client_id,
        secret=config.client_secret,
        settings={"server_url": config.issuer, "oauth_pkce_enabled": True},
    )


def social_apps(*, provider: str | None = None, client_id: str | None = None) -> list[SocialApp]:
    """`provider` is allauth's provider ("openid_connect", "saml") or an app's sso-<id>;
    a SAML app's client_id is its provider id (the slug in its addresses)."""
    rows = SsoConfig.objects.filter(enabled=True)
    if provider and is_sso_provider_id(provider):
        rows = rows.filter(provider_id=provider[len(PREFIX) :])
    elif provider == "saml":
        rows = rows.filter(protocol=SsoProtocol.SAML)
    elif provider == "openid_connect":
        rows = rows.filter(protocol=SsoProtocol.OIDC)
    apps = [_as_app(row) for row in rows]
    if client_id:
        apps = [a for a in apps if a.client_id == client_id]
    return apps


def login_url(config: SsoConfig) -> str:
    from django.urls import reverse

    if config.protocol == SsoProtocol.SAML:
        return reverse("saml_login", args=[config.provider_id])
    return reverse("openid_connect_login", args=[app_id(config)])


def idp_address(config: SsoConfig) -> str:
    """Where the browser is sent to sign in: the page's form-action must allow it."""
    return config.saml_sso_url if config.protocol == SsoProtocol.SAML else config.issuer


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


def verified_email(sociallogin: Any, config: SsoConfig | None = None) -> str:
    """OIDC: an address the IdP marks verified. SAML has no such claim: the address in the
    assertion the organisation's own IdP signed (python3-saml checked the signature before
    allauth gets here) is the organisation vouching for it; the domain rule still applies."""
    if config is not None and config.protocol == SsoProtocol.SAML:
        for address in sociallogin.email_addresses:
            if address.email:
                return str(address.email).lower()
        return str(getattr(sociallogin.user, "email", "") or "").lower()
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
