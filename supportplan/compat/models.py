"""Access-key pairs for the cloud ticket APIs, attachment sets, and seen signatures."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AccessKey(models.Model):
    """An access-key pair a person hands to a script (AWS SigV4 and Huawei SDK-HMAC-SHA256).

    Signatures are verified by computing them again, so the secret is stored encrypted (not
    hashed) and shown once, when the pair is created."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_keys"
    )
    access_key_id = models.CharField(_("access key id"), max_length=40, unique=True)
    secret_encrypted = models.TextField(_("secret (encrypted)"))
    description = models.CharField(_("description"), max_length=200, blank=True)
    provider = models.CharField(
        _("provider"),
        max_length=40,
        blank=True,
        help_text=_(
            "Whose plan the key's cases are filed under, when the organisation has several."
        ),
    )
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("access key")
        verbose_name_plural = _("access keys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.access_key_id

    def usable_at(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


class AttachmentSet(models.Model):
    """Files uploaded with AddAttachmentsToSet, waiting to go onto a case (1 hour, as AWS)."""

    set_id = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.set_id


class AttachmentSetFile(models.Model):
    attachment_set = models.ForeignKey(
        AttachmentSet, on_delete=models.CASCADE, related_name="files"
    )
    name = models.CharField(max_length=200)
    data = models.BinaryField()

    def __str__(self) -> str:
        return self.name


class SeenSignature(models.Model):
    """Signatures already accepted, kept as long as a signature could still be replayed
    (the clock-skew window on either side)."""

    signature = models.CharField(max_length=128, unique=True)
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.signature[:12]
