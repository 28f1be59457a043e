"""Sign-in state the product owns beside django-allauth's: wrong-password counts (the lock
shared by every app server), who must use a second factor, and per-tenant single sign-on."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from supportplan.notifications import secrets


class SignInFailure(models.Model):
    """One wrong password for one account (as typed, normalised) from one address.

    Rows older than the lock window are deleted on the next failure for the same pair.
    """

    login_key = models.CharField(_("account"), max_length=64, db_index=True)  # sha256 hex
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")
        indexes = [models.Index(fields=["login_key", "ip", "at"], name="signin_failure_pair")]

    def __str__(self) -> str:
        return f"{self.ip or '-'} {self.at:%Y-%m-%d %H:%M}"


class MfaRequirement(models.Model):
    """Whether everyone in an organisation must use a second factor.

    `tenant` empty: the provider's own staff (set by a platform administrator).
    """

    tenant = models.OneToOneField(
        "accounts.Tenant",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    required = models.BooleanField(_("require two-factor sign-in"), default=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("two-factor requirement")
        verbose_name_plural = _("two-factor requirements")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant"],
                name="signin_one_staff_mfa_requirement",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return str(self.tenant or _("Provider staff"))


class SsoProtocol(models.TextChoices):
    OIDC = "oidc", "OpenID Connect"
    SAML = "saml", "SAML 2.0"


class SsoConfig(models.Model):
    """An OpenID Connect or SAML 2.0 identity provider for one organisation (or, without a
    tenant, for the provider's staff). People it signs in land in that organisation and no
    other. OIDC uses issuer/client id/secret; SAML the IdP's entity id, sign-in URL and
    signing certificate (the product is the service provider)."""

    tenant = models.OneToOneField(
        "accounts.Tenant",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    protocol = models.CharField(
        _("protocol"), max_length=10, choices=SsoProtocol.choices, default=SsoProtocol.OIDC
    )
    provider_id = models.SlugField(
        _("provider id"),
        max_length=60,
        unique=True,
        help_text=_(
            "Part of the product's addresses: OIDC /accounts/oidc/sso-<provider id>/login/"
            "callback/, SAML /accounts/saml/<provider id>/acs/ and …/metadata/"
        ),
    )
    name = models.CharField(_("button label"), max_length=100)
    issuer = models.URLField(_("issuer URL"), blank=True, help_text=_("OpenID Connect only."))
    client_id = models.CharField(
        _("client ID"), max_length=255, blank=True, help_text=_("OpenID Connect only.")
    )
    client_secret_encrypted = models.TextField(_("client secret (encrypted)"), blank=True)
    saml_entity_id = models.CharField(
        _("IdP entity ID"), max_length=255, blank=True, help_text=_("SAML only.")
    )
    saml_sso_url = models.URLField(
        _("IdP sign-in URL"),
        blank=True,
        help_text=_("SAML only: the IdP's single sign-on service (HTTP-Redirect binding)."),
    )
    saml_x509cert = models.TextField(
        _("IdP signing certificate"),
        blank=True,
        help_text=_("SAML only: the IdP's X.509 certificate (PEM) that signs its assertions."),
    )
    email_domains = models.JSONField(
        _("allowed e-mail domains"),
        default=list,
        blank=True,
        help_text=_("Only people whose verified e-mail ends in one of these domains."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("single sign-on")
        verbose_name_plural = _("single sign-on")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant"], name="signin_one_staff_sso", nulls_distinct=False
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def client_secret(self) -> str:
        return secrets.decrypt(self.client_secret_encrypted)

    @client_secret.setter
    def client_secret(self, value: str) -> None:
        self.client_secret_encrypted = secrets.encrypt(value)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.protocol == SsoProtocol.SAML:
            needed = {"saml_entity_id": self.saml_entity_id, "saml_sso_url": self.saml_sso_url}
            needed["saml_x509cert"] = self.saml_x509cert
        else:
            needed = {"issuer": self.issuer, "client_id": self.client_id}
        missing = {name: _("Required for this protocol.") for name, v in needed.items() if not v}
        if missing:
            raise ValidationError(missing)
        if self.protocol == SsoProtocol.SAML and not _looks_like_certificate(self.saml_x509cert):
            raise ValidationError(
                {"saml_x509cert": _("Not an X.509 certificate in PEM (or base64 DER) form.")}
            )

    @property
    def is_saml(self) -> bool:
        return self.protocol == SsoProtocol.SAML

    def allows(self, email: str) -> bool:
        domain = email.rpartition("@")[2].lower()
        return bool(domain) and domain in {d.lower().lstrip("@") for d in self.email_domains}


def _looks_like_certificate(text: str) -> bool:
    import base64
    import binascii

    from cryptography import x509

    body = "".join(
        line for line in text.strip().splitlines() if line.strip() and "CERTIFICATE" not in line
    )
    try:
        x509.load_der_x509_certificate(base64.b64decode(body, validate=True))
    except (ValueError, binascii.Error):
        return False
    return True


class Invitation(models.Model):
    """An e-mail invitation to join an organisation with a role. Only a SHA-256 of the link's
    key is stored; re-sending makes a new key (the old link stops working) and a new expiry."""

    tenant = models.ForeignKey(
        "accounts.Tenant",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role"), max_length=30)
    language = models.CharField(_("language"), max_length=10)
    key_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"))
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.email

    def state_at(self, now) -> str:  # type: ignore[no-untyped-def]
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "withdrawn"
        return "pending" if now < self.expires_at else "expired"
