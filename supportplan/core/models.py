from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from supportplan.core.compiled import CompiledInsertModel


class AuditEntry(CompiledInsertModel, models.Model):
    """Append-only history of business actions (dotted codes such as ``case.sla.breached``).

    Notifications, reports and the UI read from here. Rows are never updated or deleted.
    """

    action = models.CharField(_("action"), max_length=100, db_index=True)
    at = models.DateTimeField(_("at"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    tenant = models.ForeignKey(
        "accounts.Tenant",
        verbose_name=_("tenant"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_entries",
    )
    target_type = models.CharField(_("target type"), max_length=100, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise RuntimeError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("audit entries are append-only")


class ScheduledJob(models.Model):
    """One row per periodic job: when the scheduler last enqueued it.

    The leading scheduler updates the row in the same transaction as the enqueue, so a job is
    enqueued once per due time, also when another scheduler takes over."""

    name = models.CharField(_("name"), max_length=100, primary_key=True)
    last_enqueued_at = models.DateTimeField(_("last enqueued at"))

    class Meta:
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")

    def __str__(self) -> str:
        return self.name


class SchedulerHeartbeat(models.Model):
    """A single row the leading scheduler touches every tick; `/readyz` reads its age."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    beat_at = models.DateTimeField(_("beat at"))
    holder = models.CharField(_("holder"), max_length=200)

    class Meta:
        verbose_name = _("scheduler heartbeat")
        verbose_name_plural = _("scheduler heartbeats")

    def __str__(self) -> str:
        return f"{self.holder} {self.beat_at:%Y-%m-%d %H:%M:%S}"
