"""Admin for orders, payments, subscriptions, statements and the quota ledger.

Read-only views of the data; every change goes through a service (admin actions call them),
so the audit log and the statements stay complete.
"""

from typing import Any

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from supportplan.core import clock
from supportplan.core.errors import DomainError

from . import services
from .models import (
    Order,
    Payment,
    PaymentStatus,
    Period,
    QuotaBucket,
    QuotaEntry,
    StatementLine,
    Subscription,
)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "provider",
        "status",
        "amount",
        "reference",
        "idempotency_key",
        "completed_at",
    )

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(ReadOnly):
    list_display = ["number", "tenant", "kind", "provider_code", "plan_code", "term", "count",
                    "amount", "status", "agreement_version", "placed_at", "paid_at"]  # fmt: skip
    list_filter = ["status", "kind", "provider_code", "plan_code", "term", "agreement_version"]
    search_fields = ["tenant__name", "plan_code"]
    inlines = [PaymentInline]
    actions = ["cancel_orders"]

    @admin.action(description=_("Cancel the selected unpaid orders"))
    def cancel_orders(self, request: Any, queryset: Any) -> None:
        for order in queryset:
            try:
                services.order_cancel(order=order, actor=request.user, now=clock.now())
            except DomainError as exc:
                self.message_user(request, f"{order.number}: {exc.message}", messages.ERROR)


@admin.register(Payment)
class PaymentAdmin(ReadOnly):
    list_display = ["id", "order", "tenant", "provider", "status", "amount", "created_at",
                    "completed_at", "confirmed_by"]  # fmt: skip
    list_filter = ["status", "provider"]
    actions = ["confirm_received"]

    @admin.action(description=_("Confirm the bank transfer arrived (full amount)"))
    def confirm_received(self, request: Any, queryset: Any) -> None:
        for payment in queryset.filter(status=PaymentStatus.PENDING):
            try:
                services.payment_succeed(
                    payment=payment,
                    idempotency_key=f"admin:{payment.pk}",
                    amount=payment.amount,
                    actor=request.user,
                    now=clock.now(),
                )
            except DomainError as exc:
                self.message_user(request, f"{payment.order.number}: {exc.message}", messages.ERROR)


class PeriodInline(admin.TabularInline):
    model = Period
    fk_name = "subscription"
    extra = 0
    can_delete = False
    fields = readonly_fields = ("plan_code", "term", "starts_at", "ends_at", "base_order", "order")

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnly):
    list_display = ["tenant", "provider_code", "plan_code", "term", "status", "auto_renew",
                    "next_plan_code", "cancel_at_period_end", "ends_at"]  # fmt: skip
    list_filter = ["status", "provider_code", "plan_code", "auto_renew"]
    search_fields = ["tenant__name"]
    inlines = [PeriodInline]


@admin.register(StatementLine)
class StatementLineAdmin(ReadOnly):
    list_display = ["at", "tenant", "kind", "provider_code", "plan_code", "amount", "currency"]
    list_filter = ["kind", "provider_code"]
    search_fields = ["tenant__name"]


class QuotaEntryInline(admin.TabularInline):
    model = QuotaEntry
    extra = 0
    can_delete = False
    fields = readonly_fields = ("at", "kind", "quantity", "booking_id", "note")

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(QuotaBucket)
class QuotaBucketAdmin(ReadOnly):
    list_display = ["tenant", "service_code", "valid_from", "valid_until", "order"]
    list_filter = ["service_code"]
    inlines = [QuotaEntryInline]
