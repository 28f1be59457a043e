"""Staff see every outgoing message and each attempt; secrets are never shown."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from supportplan.core import clock

from . import services
from .models import DeliveryAttempt, InAppNotification, Outbox, OutboxStatus, Robot, Team

ATTEMPT_FIELDS = ("number", "at", "ok", "permanent", "detail")


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ATTEMPT_FIELDS
    readonly_fields = ATTEMPT_FIELDS

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Outbox)
class OutboxAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "created_at",
        "rule",
        "channel",
        "recipient",
        "status",
        "attempts",
        "sent_at",
        "last_error_short",
    ]
    list_filter = ["status", "channel", "topic", "rule"]
    search_fields = ["address", "rule", "dedupe_key"]
    date_hierarchy = "created_at"
    inlines = [DeliveryAttemptInline]
    actions = ["send_again"]
    readonly_fields = [f.name for f in Outbox._meta.fields]
    list_select_related = ["robot"]

    @admin.display(description=_("recipient"))
    def recipient(self, obj: Outbox) -> str:
        return obj.address or str(obj.robot or "-")

    @admin.display(description=_("last error"))
    def last_error_short(self, obj: Outbox) -> str:
        return obj.last_error[:80]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    @admin.action(description=_("Send the selected failed messages again"))
    def send_again(self, request: HttpRequest, queryset: QuerySet[Outbox]) -> None:
        count = 0
        for row in queryset.filter(status=OutboxStatus.FAILED):
            services.outbox_retry(actor=request.user, outbox=row, now=clock.now())  # type: ignore[arg-type]
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d message queued again.", "%(count)d messages queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Robot)
class RobotAdmin(admin.ModelAdmin):
    list_display = ["name", "platform", "tenant", "team", "webhook_hint", "has_secret", "active"]
    list_filter = ["platform", "active"]
    fields = [
        "name",
        "platform",
        "tenant",
        "team",
        "webhook_hint",
        "active",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["platform", "tenant", "team", "webhook_hint", "created_at", "updated_at"]

    @admin.display(boolean=True, description=_("signing secret set"))
    def has_secret(self, obj: Robot) -> bool:
        return obj.has_secret

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # robots are added through the API (validation, entitlement, encryption)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "queues", "language"]
    filter_horizontal = ["members"]


@admin.register(InAppNotification)
class InAppNotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "user", "rule", "read_at"]
    list_filter = ["topic", "rule"]
    readonly_fields = [f.name for f in InAppNotification._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
