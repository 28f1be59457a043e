"""Notifications: IM robots (per tenant and per staff team), people's preferences, the outbox
(one row per message to send), every delivery attempt, and in-app notifications.

Fields and single-row invariants only; writes go through services.py.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from supportplan.core.compiled import CompiledInsertModel
from supportplan.core.tenancy import TenantManager


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    IM = "im", _("IM group robot")
    IN_APP = "in_app", _("In-app")


class Platform(models.TextChoices):
    WECOM = "wecom", _("WeCom (企业微信) group robot")
    WELINK = "welink", _("Huawei WeLink robot")
    DINGTALK = "dingtalk", _("DingTalk custom robot")
    FEISHU = "feishu", _("Feishu / Lark custom robot")


class Topic(models.TextChoices):
    """What a message is about; people choose per topic and channel what they receive."""

    CASES = "cases", _("Support cases")
    SLA = "sla", _("Response-time alerts")
    BOOKINGS = "bookings", _("Value-added service bookings")
    SUBSCRIPTIONS = "subscriptions", _("Orders and subscriptions")
    ADVISORIES = "advisories", _("Advisories")
    REPORTS = "reports", _("Monthly reports")
    SYSTEM = "system", _("System")


class Team(models.Model):
    """A staff team with its own IM group (e.g. the senior experts' WeCom group).

    Case events of the queues listed in `queues` (handler tiers) go to the team's robots.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    queues = models.JSONField(
        _("case queues"),
        default=list,
        blank=True,
        help_text=_(
            "Handler tiers whose case events go to this team: engineer, expert, senior_expert."
        ),
    )
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), blank=True, related_name="teams"
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Robot(models.Model):
    """An IM group robot: the tenant's IM group or a staff team's group.

    The webhook URL (it carries the robot's key/token) and the signing secret are stored
    encrypted; only a masked hint is ever shown.
    """

    tenant = models.ForeignKey(
        "accounts.Tenant",
        verbose_name=_("tenant"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="robots",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="robots",
    )
    platform = models.CharField(_("platform"), max_length=20, choices=Platform.choices)
    name = models.CharField(_("name"), max_length=100)
    webhook_encrypted = models.TextField(_("webhook (encrypted)"))
    webhook_hint = models.CharField(_("webhook"), max_length=120)
    secret_encrypted = models.TextField(_("signing secret (encrypted)"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    objects = TenantManager()

    class Meta:
        verbose_name = _("IM robot")
        verbose_name_plural = _("IM robots")
        ordering = ["tenant", "team", "name"]
        constraints = [
            models.CheckConstraint(
                name="robot_belongs_to_tenant_or_team",
                condition=(
                    models.Q(tenant__isnull=False, team__isnull=True)
                    | models.Q(tenant__isnull=True, team__isnull=False)
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} {self.name}"

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_encrypted)


class Preference(models.Model):
    """A person's choice for one topic and channel. No row means the default: on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "topic", "channel"], name="one_preference_per_topic_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.topic}/{self.channel}: {'on' if self.enabled else 'off'}"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Outbox(models.Model):
    """One message to deliver (e-mail to one address, or one robot post).

    Written by the dispatch task once the event that causes it has committed (see `Dispatch`,
    which the event's own transaction writes); `dedupe_key` makes a second
    write for the same event and recipient impossible, and delivery claims the row with a
    conditional UPDATE so two workers never both send it.
    """

    entry = models.ForeignKey(
        "core.AuditEntry",
        verbose_name=_("event"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rule = models.CharField(_("rule"), max_length=100)
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    tenant = models.ForeignKey(
        "accounts.Tenant",
        verbose_name=_("tenant"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    address = models.CharField(_("address"), max_length=254, blank=True)
    robot = models.ForeignKey(
        Robot,
        verbose_name=_("robot"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outbox",
    )
    language = models.CharField(_("language"), max_length=10)
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, unique=True)
    content = models.JSONField(_("content"), default=dict)
    html = models.TextField(_("HTML body"), blank=True)
    # Files attached to an e-mail: [{"name", "path" (a default_storage name), "mimetype"}].
    # Read at each attempt, so every retry sends the same bytes.
    attachments = models.JSONField(_("attachments"), default=list, blank=True)

    status = models.CharField(
        _("status"), max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    give_up_at = models.DateTimeField(_("give up at"))
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="outbox_due",
            ),
            models.Index(
                fields=["lease_until"],
                condition=models.Q(status="sending"),
                name="outbox_stale_claims",
            ),
            models.Index(fields=["status", "-created_at"], name="outbox_status_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} → {self.address or self.robot or '-'} ({self.status})"

    @property
    def subject(self) -> str:
        return str(self.content.get("subject", ""))


class DeliveryAttempt(models.Model):
    """Every try to deliver an outbox row, successful or not (append-only)."""

    outbox = models.ForeignKey(Outbox, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField(_("attempt"))
    at = models.DateTimeField(_("at"))
    ok = models.BooleanField(_("delivered"))
    permanent = models.BooleanField(_("permanent failure"), default=False)
    detail = models.TextField(_("detail"), blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["outbox", "number"]
        constraints = [
            models.UniqueConstraint(fields=["outbox", "number"], name="one_row_per_attempt")
        ]

    def __str__(self) -> str:
        return f"#{self.number} {'ok' if self.ok else 'failed'}"


class InAppNotification(models.Model):
    """The message centre: a notice for one person, in both languages."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="in_app_notifications"
    )
    tenant = models.ForeignKey(
        "accounts.Tenant", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    entry = models.ForeignKey(
        "core.AuditEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rule = models.CharField(_("rule"), max_length=100)
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, unique=True)
    content = models.JSONField(_("content"), default=dict)  # {language: Content.as_dict()}
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("in-app notification")
        verbose_name_plural = _("in-app notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["user"], condition=models.Q(read_at__isnull=True), name="inapp_unread"
            ),
            models.Index(fields=["user", "-created_at", "-id"], name="inapp_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} → {self.user_id}"

    def content_in(self, language: str) -> dict:
        return self.content.get(language) or next(iter(self.content.values()), {})


class DispatchStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be dispatched")
    DONE = "done", _("Dispatched")
    FAILED = "failed", _("Dispatch failed")


class Dispatch(CompiledInsertModel, models.Model):
    """The notification intent of one audit entry: what the event's transaction commits.

    Written by the audit subscriber (one small row, no rendering); the fan-out (recipients,
    preferences, entitlements, rendering, outbox rows and in-app notices) runs after commit
    in `tasks.dispatch`, which locks this row and marks it done in the same transaction as
    the rows it writes. A lost task or a worker that died mid-way leaves the row pending:
    the periodic retry sweep runs it again (the outbox and notice dedupe keys make a second
    run write nothing twice).
    """

    entry = models.OneToOneField(
        "core.AuditEntry", verbose_name=_("event"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=DispatchStatus.choices, default=DispatchStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("retry from"))
    created_at = models.DateTimeField(_("created at"))
    done_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("notification dispatch")
        verbose_name_plural = _("notification dispatches")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="dispatch_due",
            ),
        ]

    def __str__(self) -> str:
        return f"dispatch of entry {self.entry_id} ({self.status})"
