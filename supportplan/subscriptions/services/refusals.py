"""Refusals and parsers the API and the portal share."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _

from supportplan.core.errors import DomainError, NotFound

from ..models import Order


def refuse_unaccepted(order: Order) -> None:
    raise DomainError(
        "order.agreement_not_accepted",
        _("Accept the service agreement before paying order %(order)s."),
        order=order.number,
        field="accept",
    )


def not_found(model: Any) -> NotFound:
    """404 for a row the caller may not see (another tenant's answers the same)."""
    return NotFound(model._meta.verbose_name)


def require_technical_contact(tenant: Any) -> None:
    if not tenant.has_technical_contact:
        raise DomainError(
            "subscription.technical_contact_missing",
            _(
                "Name a technical contact for your organisation first: the plan's service "
                "starts only once one is named."
            ),
        )


def parse_statement_date(name: str, value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError(
            "statement.date_invalid",
            _("Cannot read %(name)s=%(value)s: write dates as YYYY-MM-DD."),
            name=name,
            value=value,
            field=name,
        ) from None
