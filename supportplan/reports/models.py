from django.db import models
from django.utils.translation import gettext_lazy as _

from supportplan.core.tenancy import TenantManager


class ReportStatus(models.TextChoices):
    READY = "ready", _("Ready")
    SENDING = "sending", _("Sending")  # e-mails queued in the notifications outbox
    SENT = "sent", _("Sent")  # every recipient's mail server accepted the e-mail
    NOT_GENERATED = "not_generated", _("Not generated")


class ReportState(models.TextChoices):
    """Where the generation of a report stands (a worker generates; pages show this)."""

    QUEUED = "queued", _("Queued")
    COLLECTING = "collecting", _("Collecting data")
    RENDERING = "rendering", _("Rendering")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Report(models.Model):
    """The finished monthly report of one tenant (the only thing a run stores)."""

    tenant = models.ForeignKey(
        "accounts.Tenant",
        verbose_name=_("tenant"),
        on_delete=models.PROTECT,
        related_name="reports",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    status = models.CharField(_("status"), max_length=20, choices=ReportStatus.choices)
    language = models.CharField(_("language"), max_length=10)
    deadline = models.DateField(_("delivery deadline"))
    due_at = models.DateTimeField(_("late from"))
    generated_at = models.DateTimeField(_("generated at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_to = models.JSONField(_("sent to"), default=list, blank=True)
    reason_code = models.CharField(_("not generated because"), max_length=60, blank=True)
    reason_detail = models.TextField(_("details"), blank=True)
    html_file = models.FileField(_("HTML"), max_length=300, blank=True)
    pdf_file = models.FileField(_("PDF"), max_length=300, blank=True)
    # The built report (figures, not pages), so a reader can have it drawn in their language.
    content_file = models.FileField(_("report content"), max_length=300, blank=True)
    headline = models.JSONField(_("headline figures"), default=dict, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    state = models.CharField(
        _("generation"), max_length=20, choices=ReportState.choices, default=ReportState.DONE
    )
    state_reason = models.TextField(_("generation failed because"), blank=True)
    state_at = models.DateTimeField(_("generation state since"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"))

    objects = TenantManager()

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        ordering = ["-year", "-month", "tenant__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "year", "month"], name="one_report_per_tenant_month"
            ),
            models.CheckConstraint(
                name="report_month_valid", condition=models.Q(month__gte=1, month__lte=12)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant} {self.period}"

    @property
    def period(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


class ConnectorKind(models.TextChoices):
    TENCENT = "tencent", _("Tencent Cloud API")
    HUAWEI = "huawei", _("Huawei Cloud API")
    FILE = "file", _("File upload (JSON/CSV)")
    DEMO = "demo", _("Demo generator")


class DataSource(models.Model):
    """Where a tenant's monthly cloud data comes from. Secrets are encrypted at rest."""

    tenant = models.ForeignKey(
        "accounts.Tenant",
        verbose_name=_("tenant"),
        on_delete=models.CASCADE,
        related_name="report_sources",
    )
    cloud_account = models.ForeignKey(
        "accounts.CloudAccount",
        verbose_name=_("cloud account"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="report_sources",
    )
    kind = models.CharField(_("connector"), max_length=20, choices=ConnectorKind.choices)
    settings = models.JSONField(
        _("settings"),
        default=dict,
        blank=True,
        help_text=_("Region, endpoint, project id, file path... (no secrets here)."),
    )
    secret_encrypted = models.TextField(_("encrypted credentials"), blank=True, editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created at"))

    objects = TenantManager()

    class Meta:
        verbose_name = _("report data source")
        verbose_name_plural = _("report data sources")
        ordering = ["tenant", "kind", "id"]

    def __str__(self) -> str:
        return f"{self.tenant} · {self.get_kind_display()}"

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_encrypted)
