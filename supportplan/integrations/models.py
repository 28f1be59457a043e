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


class VendorApi(models.TextChoices):
    AWS_SUPPORT = "aws_support", _("AWS Support API")
    HUAWEI_OSM = "huawei_osm", _("Huawei Cloud OSM (ticket API)")


class VendorAccount(models.Model):
    """The provider's own account at a cloud vendor, for relaying cases (seed 000: the partner
    and the cloud vendor work a production outage together). Staff-owned, not a tenant's."""

    cloud = models.CharField(_("cloud"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    api = models.CharField(_("API"), max_length=20, choices=VendorApi.choices)
    endpoint = models.URLField(_("endpoint"), max_length=300)
    region = models.CharField(_("region"), max_length=60, blank=True, default="cn-north-4")
    access_key_id = models.CharField(_("access key id"), max_length=128)
    secret_encrypted = models.TextField(_("secret (encrypted)"))
    # the vendor's service / product category cases are filed under (AWS serviceCode,
    # Huawei product_category_id); blank: the vendor's default
    service_code = models.CharField(_("vendor service code"), max_length=100, blank=True)
    # our severity code → the vendor's severity code (AWS: low … critical; Huawei: its id)
    severity_map = models.JSONField(_("severity mapping"), default=dict, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("cloud vendor account")
        verbose_name_plural = _("cloud vendor accounts")

    def __str__(self) -> str:
        return self.name


class VendorTicket(models.Model):
    """The vendor's ticket a case was relayed to; its replies arrive as internal notes."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, related_name="vendor_ticket"
    )
    account = models.ForeignKey(VendorAccount, on_delete=models.PROTECT, related_name="tickets")
    vendor_id = models.CharField(_("vendor ticket"), max_length=200)
    vendor_state = models.CharField(_("vendor state"), max_length=60, blank=True)
    seen = models.JSONField(default=list)  # keys of vendor messages already copied or sent
    closed = models.BooleanField(_("closed at the vendor"), default=False)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened at"))
    synced_at = models.DateTimeField(_("last synchronised"), null=True, blank=True)

    class Meta:
        verbose_name = _("vendor ticket")
        verbose_name_plural = _("vendor tickets")

    def __str__(self) -> str:
        return self.vendor_id


class ImPlatform(models.TextChoices):
    WECOM = "wecom", _("WeCom")
    WELINK = "welink", _("WeLink")
    FEISHU = "feishu", _("Feishu")
    DINGTALK = "dingtalk", _("DingTalk")


class ImGroup(models.Model):
    """A tenant's IM enterprise group (IM企业群) wired both ways: the platform's bot posts what
    people write to the support bot here; answers go back through the group's robot."""

    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="im_groups",
        verbose_name=_("tenant"),
    )  # fmt: skip
    platform = models.CharField(_("platform"), max_length=20, choices=ImPlatform.choices)
    name = models.CharField(_("name"), max_length=100)
    chat_id = models.CharField(_("group id on the platform"), max_length=200, blank=True)
    # the platform's inbound secrets, encrypted as JSON (WeCom token + EncodingAESKey, Feishu
    # verification token + encrypt key, DingTalk and WeLink app secret)
    secrets_encrypted = models.TextField()
    robot = models.ForeignKey(
        "notifications.Robot", on_delete=models.SET_NULL, null=True, blank=True,
        verbose_name=_("robot that posts the answers"),
    )  # fmt: skip
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("cases opened on behalf of"),
    )  # fmt: skip
    provider = models.CharField(_("provider"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created at"))
    active = models.BooleanField(_("active"), default=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("IM enterprise group")
        verbose_name_plural = _("IM enterprise groups")

    def __str__(self) -> str:
        return self.name


class ImConversation(models.Model):
    """What one person in the group is in the middle of: a case being filed (the bot asked
    for the severity or the system) or the case their later messages go to."""

    group = models.ForeignKey(ImGroup, on_delete=models.CASCADE, related_name="conversations")
    sender_id = models.CharField(max_length=200)
    sender_name = models.CharField(max_length=200, blank=True)
    waiting_for = models.CharField(max_length=20, blank=True)  # severity | system | ""
    draft = models.JSONField(default=dict)
    case = models.ForeignKey("cases.Case", on_delete=models.SET_NULL, null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["group", "sender_id"], name="one_conversation_per_sender"
            )
        ]

    def __str__(self) -> str:
        return f"{self.group_id}:{self.sender_id}"


class ImMessageSeen(models.Model):
    """Message ids already handled: a platform's retry or a replay changes nothing."""

    group = models.ForeignKey(ImGroup, on_delete=models.CASCADE)
    message_id = models.CharField(max_length=200)
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "message_id"], name="im_message_once")
        ]

    def __str__(self) -> str:
        return self.message_id
