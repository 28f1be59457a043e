"""Admin for bookings: read-only fields, lifecycle through the services (the API and the
staff console assign people and attach reports)."""

from typing import Any

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from supportplan.core import clock
from supportplan.core.errors import DomainError

from . import services
from .models import Booking


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["id", "tenant", "service_code", "start_date", "quantity", "status",
                    "requested_at", "confirmed_at"]  # fmt: skip
    list_filter = ["status", "service_code", "provider_code"]
    search_fields = ["tenant__name", "event_description"]
    actions = ["cancel_bookings"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Cancel the selected bookings (before confirmation)"))
    def cancel_bookings(self, request: Any, queryset: Any) -> None:
        for booking in queryset:
            try:
                services.booking_cancel(
                    booking=booking, actor=request.user, now=clock.now(), reason="admin"
                )
            except DomainError as exc:
                self.message_user(request, f"#{booking.pk}: {exc.message}", messages.ERROR)
