"""Helpers several of the subscriptions services share: the catalog plan an order is for,
catalog names rendered in the reader's language, the audit data of an order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.functional import lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from supportplan.catalog import selectors as catalog_selectors
from supportplan.catalog.domain import Catalog, NotInCatalog, Plan, Text
from supportplan.core.errors import DomainError

from .. import domain
from ..models import Order, OrderStatus, Period, Subscription

OPEN_ORDER = (OrderStatus.PLACED, OrderStatus.AGREEMENT_ACCEPTED, OrderStatus.AWAITING_PAYMENT)


def _catalog_plan(provider_code: str, plan_code: str) -> tuple[Catalog, Plan, Any]:
    """(catalog, plan, catalog.Plan row) of the provider's current catalog version."""
    version = catalog_selectors.current_version(provider_code)
    catalog = catalog_selectors.catalog_for_version(version.pk)
    try:
        plan = catalog.plan(plan_code)
    except NotInCatalog as exc:
        raise DomainError(
            "order.plan_unknown",
            _("There is no plan “%(plan)s” for %(provider)s. Choose one of: %(known)s."),
            plan=plan_code,
            provider=localized(catalog.provider.name),
            known=", ".join(exc.known),
            field="plan",
        ) from None
    return catalog, plan, catalog_selectors.plan_row(version.pk, plan_code)


def _pick(text: Text) -> str:
    return text.get(get_language())


_lazy_pick = lazy(_pick, str)


def _join(texts: tuple[Text, ...]) -> str:
    sep = "、" if (get_language() or "").lower().startswith("zh") else ", "
    return sep.join(t.get(get_language()) for t in texts)


_lazy_join = lazy(_join, str)


def localized(*texts: Text) -> Any:
    """A catalog name (or a list of them) rendered in the reader's language when the error
    is shown, not when it is raised."""
    return _lazy_pick(texts[0]) if len(texts) == 1 else _lazy_join(texts)


def plan_of_order(order: Order) -> tuple[Catalog, Plan]:
    catalog = catalog_selectors.catalog_for_version(order.plan.catalog_version_id)
    return catalog, catalog.plan(order.plan_code)


def plan_names(catalog_version_id: int, plan_code: str) -> tuple[str, str]:
    """A plan's (Chinese, English) names for the sentences of statement lines, from the
    catalog version it belongs to; its code if that version has no such plan."""
    try:
        plan = catalog_selectors.catalog_for_version(catalog_version_id).plan(plan_code)
    except LookupError:
        return plan_code, plan_code
    return plan.name.zh_hans, plan.name.en


def _order_data(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.pk,
        "order": order.number,
        "kind": order.kind,
        "provider": order.provider_code,
        "plan": order.plan_code,
        "term": order.term,
        "count": order.count,
        "amount": str(order.amount),
        "currency": order.currency,
        "service": order.service_code or None,
        "quantity": order.quantity,
    }


def _duration(term: str, count: Any) -> domain.Duration:
    try:
        return domain.duration(term, count)
    except domain.DurationInvalid as exc:
        if exc.maximum is None:
            raise DomainError(
                "order.term_invalid",
                _("Choose monthly or annual billing (got “%(term)s”)."),
                term=term,
                field="term",
            ) from None
        raise DomainError(
            "order.duration_invalid",
            _("Choose between 1 and %(maximum)s for a %(term)s order (got %(count)s)."),
            maximum=exc.maximum,
            term=term,
            count=count,
            field="count",
        ) from None


def _renewal_start(subscription: Subscription | None, now: datetime) -> datetime | None:
    """When a renewal of `subscription` would start: the end of its last period, if that
    is still ahead (or now, if the subscription has lapsed)."""
    if subscription is None:
        return None
    last = Period.objects.filter(subscription=subscription).order_by("-ends_at").first()
    if last is None:
        return None
    return last.ends_at if last.ends_at > now else None
