"""Orders, payments, subscriptions and their periods, statements, the quota ledger.

Fields and single-row invariants only; every state change is a service in services.py.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from supportplan.core.tenancy import TenantManager


class Term(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    ANNUAL = "annual", _("Annual")


class SubscriptionStatus(models.TextChoices):
    PENDING_CONTACT = "pending_contact", _("Paid, waiting for a technical contact")
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")


class Subscription(models.Model):
    """A tenant's plan with one provider. One row per tenant and provider, ever: renewals,
    upgrades and a purchase after expiry all continue the same subscription, so "at most one
    active plan per provider" holds by construction (and by the unique constraint).

    The plan in force at an instant comes from the `Period` rows, not from these fields;
    `plan` / `status` describe the latest state for lists and the admin.
    """

    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.PROTECT, related_name="subscriptions"
    )
    provider_code = models.CharField(_("provider"), max_length=40)
    plan = models.ForeignKey(
        "catalog.Plan", verbose_name=_("plan"), on_delete=models.PROTECT, related_name="+"
    )
    plan_code = models.CharField(_("plan code"), max_length=40)
    term = models.CharField(_("billing term"), max_length=10, choices=Term.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=SubscriptionStatus.choices, db_index=True
    )
    auto_renew = models.BooleanField(_("renew automatically"), default=False)
    # A downgrade waits for the end of the period: the next renewal uses this plan.
    next_plan_code = models.CharField(_("plan from the next period"), max_length=40, blank=True)
    cancel_at_period_end = models.BooleanField(
        _("unsubscribed (ends with the period)"), default=False
    )
    change_requested_at = models.DateTimeField(_("change requested at"), null=True, blank=True)
    current_order = models.ForeignKey(
        "Order",
        verbose_name=_("current order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("paid until"), null=True, blank=True)
    expired_at = models.DateTimeField(_("expired at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    objects = TenantManager()

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["tenant", "provider_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "provider_code"], name="one_subscription_per_provider"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tenant} · {self.provider_code}/{self.plan_code} ({self.status})"


class OrderKind(models.TextChoices):
    PURCHASE = "purchase", _("Purchase")
    RENEWAL = "renewal", _("Renewal")
    UPGRADE = "upgrade", _("Upgrade")
    ADDON = "addon", _("Paid add-on service")


class OrderStatus(models.TextChoices):
    PLACED = "placed", _("Placed, agreement not yet accepted")
    AGREEMENT_ACCEPTED = "agreement_accepted", _("Agreement accepted, not yet paid")
    AWAITING_PAYMENT = "awaiting_payment", _("Waiting for the payment to be confirmed")
    PAID = "paid", _("Paid")
    FULFILLED = "fulfilled", _("Fulfilled")
    CANCELLED = "cancelled", _("Cancelled")


class Order(models.Model):
    """One purchase: a plan for N months / N years, a renewal, an upgrade or a paid add-on.

    Prices are copied from the catalog version at placement and never recomputed.
    """

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="orders")
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=OrderKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, db_index=True
    )
    provider_code = models.CharField(_("provider"), max_length=40)
    plan = models.ForeignKey(
        "catalog.Plan", verbose_name=_("plan"), on_delete=models.PROTECT, related_name="+"
    )
    plan_code = models.CharField(_("plan code"), max_length=40)
    term = models.CharField(_("billing term"), max_length=10, choices=Term.choices)
    count = models.PositiveSmallIntegerField(_("number of months or years"))
    months = models.PositiveSmallIntegerField(_("months"))
    monthly_price = models.DecimalField(_("monthly price"), max_digits=14, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    # add-on orders: which service, how many units (days), from which date
    service_code = models.CharField(_("service"), max_length=40, blank=True)
    quantity = models.PositiveSmallIntegerField(_("quantity"), null=True, blank=True)
    # upgrades change the period paid by this order
    base_order = models.ForeignKey(
        "self",
        verbose_name=_("order whose period is changed"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="changes",
    )
    # the paid period, local dates [start, end); set when the order is fulfilled
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end (exclusive)"), null=True, blank=True)
    auto_renew = models.BooleanField(_("renew automatically"), default=False)
    agreement_version = models.CharField(_("agreement version"), max_length=20, blank=True)
    # The catalog version the accepted agreement text was read from: stored catalog documents
    # never change, so the exact text accepted can be shown again after newer versions load.
    agreement_catalog_version = models.ForeignKey(
        "catalog.CatalogVersion",
        verbose_name=_("agreement from catalog version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    agreement_accepted_at = models.DateTimeField(_("agreement accepted at"), null=True, blank=True)
    agreement_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # LOCK (SPEC §1.1): set when a quota-limited service is first applied for under this order
    locked_at = models.DateTimeField(_("locked since"), null=True, blank=True)
    locked_by_service = models.CharField(_("locked by service"), max_length=40, blank=True)
    placed_at = models.DateTimeField(_("placed at"))
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.CheckConstraint(name="order_amount_not_negative", condition=Q(amount__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.provider_code}/{self.plan_code} {self.amount} {self.currency}"

    @property
    def number(self) -> str:
        return f"SP{self.pk:08d}" if self.pk else "SP(new)"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class Payment(models.Model):
    """An attempt to pay an order through one payment provider.

    `idempotency_key` is the key of the callback (or staff confirmation) that settled it: the
    same key again returns the same result, and the partial unique constraint allows one
    succeeded payment per order, so no order is ever paid twice.
    """

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(_("payment method"), max_length=30)
    status = models.CharField(_("status"), max_length=10, choices=PaymentStatus.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    instructions = models.JSONField(_("instructions"), default=dict, blank=True)
    idempotency_key = models.CharField(
        _("idempotency key"), max_length=100, null=True, blank=True, unique=True
    )
    created_at = models.DateTimeField(_("created at"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    failure_reason = models.TextField(_("why it failed"), blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status="succeeded"),
                name="one_successful_payment_per_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.amount} ({self.status})"


class Period(models.Model):
    """A window during which one plan is in force for a subscription: [starts_at, ends_at).

    A purchase or renewal adds one; an upgrade ends the current one at the moment of the
    upgrade and adds one for the rest of the paid period. plan_in_force reads these.
    """

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="+")
    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="periods")
    order = models.ForeignKey(
        Order,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The order that set the plan."),
    )
    base_order = models.ForeignKey(
        Order,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The purchase or renewal that paid for the period."),
    )
    plan = models.ForeignKey("catalog.Plan", on_delete=models.PROTECT, related_name="+")
    plan_code = models.CharField(_("plan code"), max_length=40)
    term = models.CharField(_("billing term"), max_length=10, choices=Term.choices)
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"), db_index=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("plan period")
        verbose_name_plural = _("plan periods")
        ordering = ["subscription", "starts_at"]
        constraints = [
            models.CheckConstraint(
                name="period_not_empty", condition=Q(ends_at__gt=models.F("starts_at"))
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan_code} {self.starts_at:%Y-%m-%d} – {self.ends_at:%Y-%m-%d}"


class StatementKind(models.TextChoices):
    PURCHASE = "purchase", _("Purchase")
    RENEWAL = "renewal", _("Renewal")
    UPGRADE = "upgrade", _("Upgrade")
    ADDON = "addon", _("Paid add-on service")
    DOWNGRADE = "downgrade", _("Downgrade scheduled")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribed")
    EXPIRY = "expiry", _("Expired")


class StatementLine(models.Model):
    """One line of the tenant's billing statement (append-only)."""

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="+")
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"), db_index=True)
    kind = models.CharField(_("kind"), max_length=12, choices=StatementKind.choices)
    provider_code = models.CharField(_("provider"), max_length=40)
    plan_code = models.CharField(_("plan code"), max_length=40)
    description = models.JSONField(_("description"), help_text=_("{zh-hans: …, en: …}"))
    period_start = models.DateField(_("from"), null=True, blank=True)
    period_end = models.DateField(_("until (exclusive)"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")

    objects = TenantManager()

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.kind} {self.amount} {self.currency}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise RuntimeError("statement lines are append-only")
        super().save(*args, **kwargs)


class QuotaBucket(models.Model):
    """What one annual order grants for one service in one quota year. Holds no balance
    (that is the ledger); it is the row locked while a booking reserves from it."""

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="+")
    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="buckets")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="buckets")
    service_code = models.CharField(_("service"), max_length=40)
    unit = models.CharField(_("unit"), max_length=20)
    max_requests = models.PositiveSmallIntegerField(_("most requests"), null=True, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until (exclusive)"))

    objects = TenantManager()

    class Meta:
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        ordering = ["valid_from", "service_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "service_code", "valid_from"], name="one_bucket_per_order_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_code} {self.valid_from} – {self.valid_until}"


class LedgerKind(models.TextChoices):
    GRANT = "grant", _("Granted")
    RESERVE = "reserve", _("Reserved")
    CONSUME = "consume", _("Used")
    RELEASE = "release", _("Released")
    EXPIRE = "expire", _("Expired")


class QuotaEntry(models.Model):
    """The quota ledger: append-only; balances are sums over these rows."""

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.PROTECT, related_name="+")
    bucket = models.ForeignKey(QuotaBucket, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=10, choices=LedgerKind.choices)
    quantity = models.PositiveIntegerField(_("quantity"))
    booking_id = models.BigIntegerField(_("booking"), null=True, blank=True, db_index=True)
    at = models.DateTimeField(_("at"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("quota ledger entry")
        verbose_name_plural = _("quota ledger")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise RuntimeError("the quota ledger is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the quota ledger is append-only")
