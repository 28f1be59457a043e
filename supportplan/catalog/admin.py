"""Catalogs in the admin: browse every version, change nothing (a catalog changes only by
loading a file with `supportplan catalog load FILE`, which validates it and keeps history)."""

import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import CatalogVersion, Plan, Provider


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PlanInline(admin.TabularInline):
    model = Plan
    extra = 0
    can_delete = False
    fields = (
        "code",
        "rank",
        "name_zh_hans",
        "name_en",
        "monthly_price",
        "purchasable",
        "is_default",
        "handler_tier",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Provider)
class ProviderAdmin(ReadOnlyAdmin):
    list_display = ["code", "name_zh_hans", "name_en", "currency"]


@admin.register(CatalogVersion)
class CatalogVersionAdmin(ReadOnlyAdmin):
    list_display = ["provider", "number", "loaded_at", "loaded_by", "source_name", "short_sha"]
    list_filter = ["provider"]
    fields = (
        "provider",
        "number",
        "loaded_at",
        "loaded_by",
        "source_name",
        "sha256",
        "pretty_document",
    )
    readonly_fields = fields
    inlines = [PlanInline]

    @admin.display(description=_("SHA-256"))
    def short_sha(self, obj: CatalogVersion) -> str:
        return obj.sha256[:12]

    @admin.display(description=_("validated document"))
    def pretty_document(self, obj: CatalogVersion) -> str:
        text = json.dumps(obj.document, ensure_ascii=False, indent=2)
        return format_html('<pre style="max-height:40em;overflow:auto">{}</pre>', text)


@admin.register(Plan)
class PlanAdmin(ReadOnlyAdmin):
    list_display = [
        "code",
        "catalog_version",
        "name_zh_hans",
        "name_en",
        "monthly_price",
        "purchasable",
        "is_default",
        "handler_tier",
    ]
    list_filter = ["catalog_version__provider", "purchasable", "is_default"]
    search_fields = ["code", "name_zh_hans", "name_en"]
