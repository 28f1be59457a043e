"""The main navigation, derived from the same checks the pages use: a link is shown only to
someone the page would serve (an engineer sees no Payments or Dashboard, which answer 403)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from supportplan.accounts import permissions as perms
from supportplan.core.errors import DomainError


def may_confirm_payments(user: Any) -> bool:
    """The console's Payments page and its confirm action."""
    try:
        perms.require_may_confirm_payments(user)
    except DomainError:
        return False
    return True


def may_see_dashboard(user: Any) -> bool:
    """The console's Dashboard: figures over every customer's cases."""
    return perms.has_role(user, perms.SEE_ALL_CASES)


@dataclass(frozen=True)
class NavItem:
    url_name: str
    key: str  # the `nav` a page sets to mark its link current
    label: Promise
    allowed: Callable[[Any], bool] | None = None


def _nav(text: str) -> Promise:
    return pgettext_lazy("navigation", text)


STAFF_NAV = (
    NavItem("web:queue", "queue", _nav("Queue")),
    NavItem("web:hotline", "hotline", _nav("Log a call")),
    NavItem("web:tam", "tam", _nav("My tenants")),
    NavItem("web:staff_bookings", "bookings", _nav("Bookings")),
    NavItem("web:staff_advisories", "advisories", _nav("Advisories")),
    NavItem("web:staff_payments", "payments", _nav("Payments"), may_confirm_payments),
    NavItem("web:staff_reports", "reports", _nav("Reports")),
    NavItem("web:staff_teams", "teams", _nav("Teams")),
    NavItem("web:dashboard", "dashboard", _nav("Dashboard"), may_see_dashboard),
)

CUSTOMER_NAV = (
    NavItem("home", "home", _nav("Overview")),
    NavItem("web:cases", "cases", _nav("Cases")),
    NavItem("web:services", "services", _nav("Services")),
    NavItem("web:plans", "plans", _nav("Plans")),
    NavItem("web:advisories", "advisories", _nav("Advisories")),
    NavItem("web:reports", "reports", _nav("Reports")),
    NavItem("web:statements", "statements", _nav("Statements")),
    NavItem("web:org", "org", _nav("Organisation")),
)


def nav_items(user: Any) -> list[NavItem]:
    items = STAFF_NAV if perms.is_staff(user) else CUSTOMER_NAV
    return [i for i in items if i.allowed is None or i.allowed(user)]
