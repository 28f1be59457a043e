"""Proactive advisories (enterprise care plan, seed 000 §5.6), who they target, and the
tenant software inventory used for matching. Fields and single-row invariants only."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from supportplan.core.tenancy import TenantManager


class Kind(models.TextChoices):
    SECURITY_VULNERABILITY = "security_vulnerability", _("Security vulnerability")
    VIRUS_OUTBREAK = "virus_outbreak", _("Virus outbreak")
    ATTACK = "attack", _("Hacker attack")
    NETWORK_FAILURE = "network_failure", _("Backbone network failure")
    PLATFORM_CHANGE = "platform_change", _("Platform change")
    NEW_PRODUCT = "new_product", _("New product or feature")


# Not an advisory: the seed excludes planned events (e.g. an annual security drill).
PLANNED_EVENT = "planned_event"


class Severity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")
    INFO = "info", _("Information")


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Advisory(models.Model):
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    # {zh-hans: ..., en: ...} pairs: every advisory is written in both languages.
    title = models.JSONField(_("title"))
    body = models.JSONField(_("description"))
    actions = models.JSONField(_("recommended actions"), default=dict, blank=True)
    clouds = models.JSONField(_("affected clouds"), default=list, blank=True)
    products = models.JSONField(_("affected products"), default=list, blank=True)
    regions = models.JSONField(_("affected regions"), default=list, blank=True)
    software = models.JSONField(
        _("affected software"),
        default=list,
        blank=True,
        help_text=_('A list of {"name": "OpenSSH", "versions": "<9.8"}; versions may be empty.'),
    )
    contact_within = models.DurationField(
        _("TAM contact time"),
        null=True,
        blank=True,
        help_text=_(
            "How soon the TAM must contact an enterprise-care customer; empty: the default."
        ),
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("created at"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("advisory")
        verbose_name_plural = _("advisories")
        ordering = ["-published_at", "-created_at", "-id"]

    def __str__(self) -> str:
        return str(self.title.get("en") or self.title.get("zh-hans") or self.pk)

    def text(self, field: str, language: str) -> str:
        value = getattr(self, field) or {}
        return str(value.get(language) or value.get("zh-hans") or value.get("en") or "")


class TargetStatus(models.TextChoices):
    AWAITING_TAM = "awaiting_tam", _("Waiting for the TAM to contact the customer")
    NOTIFIED = "notified", _("Customer notified")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged by the customer")


class NoticeReason(models.TextChoices):
    TAM_CONTACTED = "tam_contacted", _("after the TAM's contact")
    CONTACT_OVERDUE = "contact_overdue", _("the TAM contact time passed")
    NO_ENTERPRISE_CARE = "no_enterprise_care", _("ordinary message-centre notice")


class AdvisoryTarget(models.Model):
    """One tenant an advisory reaches, and how far it got (the TAM's task for care tenants)."""

    advisory = models.ForeignKey(Advisory, on_delete=models.CASCADE, related_name="targets")
    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.PROTECT, related_name="advisory_targets"
    )
    care = models.BooleanField(_("enterprise care"))
    matched = models.JSONField(_("why it matched"), default=list, blank=True)
    tam = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="advisory_tasks",
        verbose_name=_("technical account manager"),
    )
    status = models.CharField(_("status"), max_length=20, choices=TargetStatus.choices)
    contact_due = models.DateTimeField(_("contact due"), null=True, blank=True)
    contacted_at = models.DateTimeField(_("contacted at"), null=True, blank=True)
    contacted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    contact_note = models.TextField(_("contact note"), blank=True)
    handling_plan = models.TextField(_("agreed handling plan"), blank=True)
    plan_recorded_at = models.DateTimeField(_("plan recorded at"), null=True, blank=True)
    plan_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    overdue_at = models.DateTimeField(_("contact overdue at"), null=True, blank=True)
    notified_at = models.DateTimeField(_("customer notified at"), null=True, blank=True)
    notified_reason = models.CharField(
        _("notified because"), max_length=20, choices=NoticeReason.choices, blank=True
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = TenantManager()

    class Meta:
        verbose_name = _("advisory target")
        verbose_name_plural = _("advisory targets")
        ordering = ["advisory", "tenant__name"]
        constraints = [
            models.UniqueConstraint(fields=["advisory", "tenant"], name="one_target_per_tenant"),
            models.CheckConstraint(
                name="acknowledged_only_after_notice",
                condition=models.Q(acknowledged_at__isnull=True)
                | models.Q(notified_at__isnull=False),
            ),
        ]
        indexes = [
            models.Index(
                fields=["contact_due"],
                condition=models.Q(care=True, contacted_at__isnull=True, notified_at__isnull=True),
                name="advisory_contact_sweep",
            )
        ]

    def __str__(self) -> str:
        return f"{self.advisory} → {self.tenant}"

    @property
    def reached(self) -> bool:
        """A person got through: the TAM recorded a contact, or the customer acknowledged."""
        return self.contacted_at is not None or self.acknowledged_at is not None


class SoftwareItem(models.Model):
    """Software a tenant runs (its inventory), so advisories about it find the tenant."""

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="software")
    name = models.CharField(_("software"), max_length=100)
    version = models.CharField(_("version"), max_length=60, blank=True)
    system = models.ForeignKey(
        "accounts.RegisteredSystem",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="software",
        verbose_name=_("system"),
    )
    created_at = models.DateTimeField(_("created at"))

    objects = TenantManager()

    class Meta:
        verbose_name = _("software item")
        verbose_name_plural = _("software inventory")
        ordering = ["tenant", "name", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name", "version", "system"], name="unique_software_item"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version}".strip()
