"""Value-added service bookings (availability check, monitoring & optimisation, escort, the
Tencent expert escort). Fields only; the lifecycle is in services.py."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from supportplan.core.tenancy import TenantManager


class BookingStatus(models.TextChoices):
    AWAITING_PAYMENT = "awaiting_payment", _("Waiting for payment")
    REQUESTED = "requested", _("Requested")
    CONFIRMED = "confirmed", _("Confirmed")
    DELIVERED = "delivered", _("Delivered")
    ACCEPTED = "accepted", _("Accepted by the customer")
    RATED = "rated", _("Rated")
    CANCELLED = "cancelled", _("Cancelled")


# Statuses in which the booked dates are (or were) staffed: escort intervals come from these.
STAFFED = (
    BookingStatus.CONFIRMED,
    BookingStatus.DELIVERED,
    BookingStatus.ACCEPTED,
    BookingStatus.RATED,
)


class EventKind(models.TextChoices):
    LAUNCH = "launch", _("Product launch")
    PROMOTION = "promotion", _("Promotion or sales event")
    HOLIDAY_PEAK = "holiday_peak", _("Holiday business peak")
    MIGRATION = "migration", _("Data migration")
    UPGRADE = "upgrade", _("Application upgrade")
    OTHER = "other", _("Other event")


class Booking(models.Model):
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="bookings")
    subscription = models.ForeignKey(
        "subscriptions.Subscription", on_delete=models.PROTECT, related_name="bookings"
    )
    # The purchase/renewal order whose period (and quota) the booking belongs to.
    base_order = models.ForeignKey(
        "subscriptions.Order", on_delete=models.PROTECT, related_name="bookings"
    )
    # Quota-limited services reserve from a bucket; paid add-ons are paid by an add-on order.
    bucket = models.ForeignKey(
        "subscriptions.QuotaBucket",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bookings",
    )
    addon_order = models.OneToOneField(
        "subscriptions.Order",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="addon_booking",
    )
    provider_code = models.CharField(_("provider"), max_length=40)
    plan_code = models.CharField(_("plan"), max_length=40)
    catalog_version_id = models.PositiveIntegerField(_("catalog version"))
    service_code = models.CharField(_("service"), max_length=40)
    unit = models.CharField(_("unit"), max_length=20)
    # An escort (whole natural days, staffed around the clock): its team hears of every case.
    is_escort = models.BooleanField(_("escort"), default=False)
    # The catalog gives urgent cases a shorter first response while it runs (partner escort).
    sla_override = models.BooleanField(_("urgent first-response override"), default=False)
    quantity = models.PositiveSmallIntegerField(_("quantity (times or days)"))
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date (exclusive)"))
    event_kind = models.CharField(_("event"), max_length=20, choices=EventKind.choices, blank=True)
    event_description = models.TextField(_("event description"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=BookingStatus.choices, db_index=True
    )
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned people"),
        blank=True,
        related_name="escort_bookings",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    delivery_notes = models.TextField(_("delivery notes"), blank=True)
    report = models.FileField(_("report"), upload_to="bookings/%Y/%m/", blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating (1-5)"), null=True, blank=True)
    rating_comment = models.TextField(_("rating comment"), blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=200, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(name="booking_quantity_positive", condition=Q(quantity__gte=1)),
            models.CheckConstraint(
                name="booking_rating_1_to_5",
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.service_code} {self.start_date} ×{self.quantity} ({self.status})"
