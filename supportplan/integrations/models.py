"""Alertmanager receivers of a tenant, and the alert groups they turned into cases."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from supportplan.core.tenancy import TenantManager


class AlertReceiver(models.Model):
    """Where a tenant's Alertmanager posts (`webhook_config`), and how its alerts become
    cases: label rules give the severity, the system is the registered one it watches."""

    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="alert_receivers",
        verbose_name=_("tenant"),
    )  # fmt: skip
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)  # sha256 of the secret token
    token_hint = models.CharField(_("token"), max_length=12)  # its last characters
    system = models.ForeignKey(
        "accounts.RegisteredSystem", on_delete=models.PROTECT, null=True, blank=True,
        verbose_name=_("system"),
    )  # fmt: skip
    provider = models.CharField(_("provider"), max_length=40, blank=True)
    # [{"label": "severity", "value": "critical", "severity": "core_production_down"}, ...]
    rules = models.JSONField(_("severity rules"), default=list, blank=True)
    default_severity = models.CharField(_("default severity"), max_length=40)
    resolve_on_recovery = models.BooleanField(
        _("mark resolved when the alerts recover"), default=False
    )
    max_cases = models.PositiveIntegerField(_("cases at most per window"), default=5)
    window_minutes = models.PositiveIntegerField(_("window (minutes)"), default=60)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("opened on behalf of"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"))
    active = models.BooleanField(_("active"), default=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("Alertmanager receiver")
        verbose_name_plural = _("Alertmanager receivers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AlertGroup(models.Model):
    """One Alertmanager alert group (its groupKey) and the case it opened or joined."""

    receiver = models.ForeignKey(AlertReceiver, on_delete=models.CASCADE, related_name="groups")
    group_key = models.CharField(max_length=500)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    opened_case = models.BooleanField(default=True)  # False: joined another case (a burst)
    fingerprints = models.JSONField(default=list)  # alerts seen firing
    resolved = models.JSONField(default=list)  # alerts seen resolved
    deliveries = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["receiver", "group_key"])]

    def __str__(self) -> str:
        return self.group_key
