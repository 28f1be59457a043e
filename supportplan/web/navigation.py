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
from supportplan.insights import access as insights_access
from supportplan.insights import navigation as insights_nav


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


STAFF_NAV = (
    NavItem("web:queue", "queue", pgettext_lazy("navigation", "Queue")),
    NavItem("web:hotline", "hotline", pgettext_lazy("navigation", "Log a call")),
    NavItem("web:tam", "tam", pgettext_lazy("navigation", "My tenants")),
    NavItem("web:staff_bookings", "bookings", pgettext_lazy("navigation", "Bookings")),
    NavItem("web:staff_advisories", "advisories", pgettext_lazy("navigation", "Advisories")),
    NavItem(
        "web:staff_payments",
        "payments",
        pgettext_lazy("navigation", "Payments"),
        may_confirm_payments,
    ),
    NavItem("web:staff_reports", "reports", pgettext_lazy("navigation", "Reports")),
    NavItem("web:staff_teams", "teams", pgettext_lazy("navigation", "Teams")),
    NavItem(
        "web:console_onboarding",
        "onboarding",
        pgettext_lazy("navigation", "New customers"),
        lambda user: perms.has_role(user, perms.ONBOARD_ORGANISATIONS),
    ),
    NavItem(
        "web:dashboard", "dashboard", pgettext_lazy("navigation", "Dashboard"), may_see_dashboard
    ),
    NavItem(
        "insights:staff_plan_advisor",
        "plan_advisor_staff",
        insights_nav.PLAN_ADVISOR,
        insights_access.may_see_plan_advice,
    ),
    NavItem(
        "insights:staffing", "staffing", insights_nav.STAFFING, insights_access.may_plan_staffing
    ),
)

CUSTOMER_NAV = (
    NavItem("home", "home", pgettext_lazy("navigation", "Overview")),
    NavItem("web:cases", "cases", pgettext_lazy("navigation", "Cases")),
    NavItem("web:services", "services", pgettext_lazy("navigation", "Services")),
    NavItem("web:plans", "plans", pgettext_lazy("navigation", "Plans")),
    NavItem("web:advisories", "advisories", pgettext_lazy("navigation", "Advisories")),
    NavItem("web:reports", "reports", pgettext_lazy("navigation", "Reports")),
    NavItem("web:statements", "statements", pgettext_lazy("navigation", "Statements")),
    NavItem(
        "insights:plan_advisor",
        "plan_advisor",
        insights_nav.PLAN_ADVISOR,
        insights_access.may_see_plan_advice,
    ),
    NavItem("web:org", "org", pgettext_lazy("navigation", "Organisation")),
)


def nav_items(user: Any) -> list[NavItem]:
    items = STAFF_NAV if perms.is_staff(user) else CUSTOMER_NAV
    return [i for i in items if i.allowed is None or i.allowed(user)]
