from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import CloudAccount, RegisteredSystem, Tenant, User


class RegisteredSystemInline(admin.TabularInline):
    model = RegisteredSystem
    extra = 0


class CloudAccountInline(admin.TabularInline):
    model = CloudAccount
    extra = 0


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "registered_email", "tam", "in_proof_of_concept"]
    search_fields = ["name", "slug", "registered_email"]
    inlines = [RegisteredSystemInline, CloudAccountInline]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "role", "tenant", "handler_tier", "language", "on_shift"]
    list_filter = ["role", "handler_tier", "language", "tenant"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        (
            _("Support platform"),
            {"fields": ("role", "tenant", "handler_tier", "language", "phone", "on_shift")},
        ),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Support platform"), {"fields": ("role", "tenant", "handler_tier", "language")}),
    )
