from datetime import datetime

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from supportplan.core.tenancy import TenantManager


class Role(models.TextChoices):
    """Everyone's role. Staff roles belong to the provider; customer roles to a tenant."""

    PLATFORM_ADMIN = "platform_admin", _("Platform administrator")
    SUPPORT_MANAGER = "support_manager", _("Support manager")
    TAM = "tam", _("Technical account manager")
    BUSINESS_MANAGER = "business_manager", _("Business manager")
    ARCHITECT = "architect", _("Pre-sales architect")
    SENIOR_EXPERT = "senior_expert", _("Senior technical expert")
    EXPERT = "expert", _("Technical expert")
    ENGINEER = "engineer", _("Technical engineer")
    CUSTOMER_ADMIN = "customer_admin", _("Customer administrator")
    CUSTOMER_MEMBER = "customer_member", _("Customer member")


STAFF_ROLES = frozenset(
    {
        Role.PLATFORM_ADMIN,
        Role.SUPPORT_MANAGER,
        Role.TAM,
        Role.BUSINESS_MANAGER,
        Role.ARCHITECT,
        Role.SENIOR_EXPERT,
        Role.EXPERT,
        Role.ENGINEER,
    }
)
CUSTOMER_ROLES = frozenset({Role.CUSTOMER_ADMIN, Role.CUSTOMER_MEMBER})


class HandlerTier(models.TextChoices):
    """Who handles a case (案例处理人员). Ordered: a higher tier may take lower-tier cases."""

    ENGINEER = "engineer", _("Technical engineer")
    EXPERT = "expert", _("Technical expert")
    SENIOR_EXPERT = "senior_expert", _("Senior technical expert")


TIER_RANK = {HandlerTier.ENGINEER: 1, HandlerTier.EXPERT: 2, HandlerTier.SENIOR_EXPERT: 3}


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class Tenant(models.Model):
    """A customer organisation."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    registered_email = models.EmailField(_("registered e-mail"))
    report_emails = models.JSONField(
        _("extra report e-mails"),
        default=list,
        blank=True,
        help_text=_("Other addresses that receive the monthly service report."),
    )
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    technical_contact_name = models.CharField(_("technical contact"), max_length=100, blank=True)
    technical_contact_email = models.EmailField(_("technical contact e-mail"), blank=True)
    technical_contact_phone = models.CharField(
        _("technical contact phone"), max_length=40, blank=True
    )
    in_proof_of_concept = models.BooleanField(
        _("in proof of concept"),
        default=False,
        help_text=_(
            "Deployments still in a POC get no monthly report (the architecture changes too often)."
        ),
    )
    tam = models.ForeignKey(
        "User",
        verbose_name=_("technical account manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tam_tenants",
        limit_choices_to={"role__in": ["tam", "senior_expert"]},
    )
    business_manager = models.ForeignKey(
        "User",
        verbose_name=_("business manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="business_tenants",
        limit_choices_to={"role": "business_manager"},
    )
    architect = models.ForeignKey(
        "User",
        verbose_name=_("architect"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="architect_tenants",
        limit_choices_to={"role": "architect"},
    )
    created_at = models.DateTimeField(_("created at"))
    awaiting_approval = models.BooleanField(
        _("awaiting approval"),
        default=False,
        help_text=_(
            "Registered by itself on the sign-up page: no case can be opened until staff approve it."
        ),
    )

    class Meta:
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def has_technical_contact(self) -> bool:
        return bool(
            self.technical_contact_name
            and (self.technical_contact_email or self.technical_contact_phone)
        )

    def report_recipients(self) -> list[str]:
        seen: list[str] = []
        for address in [self.registered_email, *self.report_emails]:
            if address and address not in seen:
                seen.append(address)
        return seen


class User(AbstractUser):
    """A person: provider staff (tenant empty) or a customer user (exactly one tenant)."""

    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    tenant = models.ForeignKey(
        Tenant,
        verbose_name=_("tenant"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    handler_tier = models.CharField(
        _("handler tier"),
        max_length=20,
        choices=HandlerTier.choices,
        blank=True,
        help_text=_("The highest case tier this staff member may handle."),
    )
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    on_shift = models.BooleanField(_("on shift"), default=True)
    open_cases = models.PositiveIntegerField(
        _("open cases"),
        default=0,
        editable=False,
        help_text=_("Active cases assigned to this person (kept by case routing)."),
    )

    objects = UserManager()  # type: ignore[misc,assignment]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                name="customer_users_have_a_tenant",
                condition=(
                    models.Q(role__in=["customer_admin", "customer_member"], tenant__isnull=False)
                    | (
                        ~models.Q(role__in=["customer_admin", "customer_member"])
                        & models.Q(tenant__isnull=True)
                    )
                ),
            )
        ]

    @property
    def is_customer(self) -> bool:
        return self.role in CUSTOMER_ROLES

    @property
    def is_provider_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def clean(self) -> None:
        super().clean()
        if self.role in CUSTOMER_ROLES and self.tenant_id is None:
            raise ValidationError({"tenant": _("A customer user must belong to a tenant.")})
        if self.role in STAFF_ROLES and self.tenant_id is not None:
            raise ValidationError({"tenant": _("Provider staff do not belong to a tenant.")})


class SystemClass(models.TextChoices):
    CORE_PRODUCTION = "core_production", _("Core production")
    PRODUCTION = "production", _("Production")
    NON_PRODUCTION = "non_production", _("Non-production")


class RegisteredSystem(models.Model):
    """A customer system, classified so that severities can be checked against it."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="systems")
    name = models.CharField(_("name"), max_length=200)
    classification = models.CharField(
        _("classification"), max_length=20, choices=SystemClass.choices
    )
    description = models.TextField(_("description"), blank=True)
    cloud = models.CharField(_("cloud"), max_length=40, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("registered system")
        verbose_name_plural = _("registered systems")
        ordering = ["tenant", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="unique_system_name_per_tenant")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_classification_display()})"


def cloud_choices() -> list[tuple[str, str]]:
    """The clouds the loaded catalogs name, plus "other" (catalogs/*.yaml provider.clouds):
    a new provider's catalog makes its cloud available without a code change. Read at use
    (forms, validation), never at import or in system checks."""
    from supportplan.catalog.selectors import cloud_choices as from_catalogs

    return from_catalogs()


def validate_cloud(value: str) -> None:
    known = [code for code, _name in cloud_choices()]
    if value not in known:
        raise ValidationError(
            _("Unknown cloud “%(cloud)s”. Choose one of: %(known)s."),
            code="unknown_cloud",
            params={"cloud": value, "known": ", ".join(known)},
        )


class CloudAccount(models.Model):
    """A cloud account the tenant runs; monthly reports collect data from these."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="cloud_accounts")
    # validated against the loaded catalogs, not an enum (docs/catalog.md, provider.clouds)
    cloud = models.CharField(_("cloud"), max_length=20, validators=[validate_cloud])
    account_id = models.CharField(_("account id"), max_length=100)
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    regions = models.JSONField(_("regions"), default=list, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("cloud account")
        verbose_name_plural = _("cloud accounts")
        constraints = [
            models.UniqueConstraint(fields=["cloud", "account_id"], name="unique_cloud_account")
        ]

    def __str__(self) -> str:
        return f"{self.cloud_name} {self.account_id}"

    @property
    def cloud_name(self) -> str:
        from supportplan.catalog.selectors import cloud_name

        return str(cloud_name(self.cloud))


class ApiKeyScope(models.TextChoices):
    READ_ONLY = "read_only", _("Read only")
    CASES = "cases", _("Cases only")
    FULL = "full", _("Everything I may do")


class ApiKey(models.Model):
    """A personal key for the REST API (`Authorization: Bearer spk_…`). Only a SHA-256 of the
    key is stored: the key is 256 random bits, so a slow hash would add nothing but cost on
    every request. `prefix` is the public part it is looked up by (shown in lists)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("what the key is for"), max_length=200, blank=True)
    prefix = models.CharField(_("key prefix"), max_length=20, unique=True)
    secret_hash = models.CharField(max_length=64)
    scope = models.CharField(_("scope"), max_length=20, choices=ApiKeyScope.choices)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.prefix

    def usable_at(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at

    def state_at(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "active" if now < self.expires_at else "expired"
