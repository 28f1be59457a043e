from django.contrib import admin

from .models import Advisory, AdvisoryTarget, SoftwareItem

TARGET_FIELDS = (
    "tenant",
    "care",
    "status",
    "tam",
    "contact_due",
    "contacted_at",
    "notified_at",
    "notified_reason",
    "acknowledged_at",
)


class TargetInline(admin.TabularInline):
    model = AdvisoryTarget
    extra = 0
    can_delete = False
    fields = TARGET_FIELDS
    readonly_fields = TARGET_FIELDS

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Advisory)
class AdvisoryAdmin(admin.ModelAdmin):
    list_display = ["id", "__str__", "kind", "severity", "state", "published_at"]
    list_filter = ["kind", "severity", "state"]
    inlines = [TargetInline]
    readonly_fields = ["state", "created_by", "created_at", "published_by", "published_at"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # drafted through the API (validation, both languages, planned events refused)


@admin.register(SoftwareItem)
class SoftwareItemAdmin(admin.ModelAdmin):
    list_display = ["tenant", "name", "version", "system"]
    list_filter = ["tenant"]
    search_fields = ["name"]
