"""Formatting filters for the report template (numbers are computed in builder.py)."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from supportplan.core.clock import BUSINESS_TZ

register = template.Library()


@register.filter
def local(value: datetime | None) -> datetime | None:
    """Show instants on the Asia/Shanghai wall clock."""
    return value.astimezone(BUSINESS_TZ) if value is not None else None


@register.filter
def prevday(value: datetime | date) -> datetime | date:
    if isinstance(value, datetime):
        return value.astimezone(BUSINESS_TZ) - timedelta(days=1)
    return value - timedelta(days=1)


@register.filter
def money(value: Decimal | float | None) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value):,.2f}"


@register.filter
def signed(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:+.1f}"


@register.filter
def get(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key, "") if mapping else ""


@register.filter
def badge(ok: bool | None) -> str:
    if ok is None:
        return format_html('<span class="badge info">{}</span>', _("unknown"))
    if ok:
        return format_html('<span class="badge ok">{}</span>', _("OK"))
    return format_html('<span class="badge high">{}</span>', _("Action needed"))
