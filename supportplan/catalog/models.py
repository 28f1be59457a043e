"""Stored catalog versions. A catalog changes only by loading a file (services.catalog_load);
rows are never edited afterwards, so a subscription or case that points at a version keeps
exactly the promises it was made under."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Provider(models.Model):
    """A support provider with its own plan catalog (partner, tencent, …)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh_hans = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    currency = models.CharField(_("currency"), max_length=3)

    class Meta:
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class CatalogVersion(models.Model):
    """One loaded catalog document. The highest number per provider is the current one."""

    provider = models.ForeignKey(
        Provider, verbose_name=_("provider"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version number"))
    document = models.JSONField(_("validated document"))
    sha256 = models.CharField(_("SHA-256 of the document"), max_length=64)
    source_name = models.CharField(_("loaded from"), max_length=255, blank=True)
    loaded_at = models.DateTimeField(_("loaded at"))
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("loaded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("catalog version")
        verbose_name_plural = _("catalog versions")
        ordering = ["provider__code", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "number"], name="catalog_version_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider.code} v{self.number}"


class Plan(models.Model):
    """A plan as defined by one catalog version: the row subscriptions and cases point at.

    Only what other tables filter or join on is copied out of the document; everything else
    (targets, channels, services…) is read from the parsed Catalog of the same version.
    """

    catalog_version = models.ForeignKey(
        CatalogVersion,
        verbose_name=_("catalog version"),
        on_delete=models.PROTECT,
        related_name="plans",
    )
    code = models.CharField(_("code"), max_length=40)
    rank = models.PositiveSmallIntegerField(_("rank"))
    name_zh_hans = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    monthly_price = models.DecimalField(_("monthly price"), max_digits=12, decimal_places=2)
    purchasable = models.BooleanField(_("purchasable"))
    is_default = models.BooleanField(_("free by default"))
    handler_tier = models.CharField(_("handler tier"), max_length=20)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["catalog_version", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["catalog_version", "code"], name="catalog_plan_unique_code"
            )
        ]

    def __str__(self) -> str:
        return f"{self.catalog_version} {self.code}"
