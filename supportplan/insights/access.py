"""Who may read the plan advisor and the staffing planner (built on accounts.permissions).

Plan advice shows prices and what a plan change would cost: the people who may buy for the
organisation (its administrators) and account-management staff. The staffing planner is
about the provider's own people: support managers and platform administrators.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from supportplan.accounts import permissions as perms
from supportplan.accounts.models import Role
from supportplan.core.errors import PermissionDenied

PLAN_ADVICE_STAFF = perms.MANAGE_TENANTS
STAFFING = perms.SEE_ALL_CASES


def may_see_plan_advice(user: Any, tenant: Any = None) -> bool:
    if perms.is_staff(user):
        return perms.has_role(user, PLAN_ADVICE_STAFF)
    return bool(
        user
        and user.is_authenticated
        and user.role == Role.CUSTOMER_ADMIN
        and (tenant is None or user.tenant_id == tenant.pk)
    )


def require_plan_advice(user: Any, tenant: Any) -> None:
    if not may_see_plan_advice(user, tenant):
        raise PermissionDenied(
            "insights.plan_advice_forbidden",
            _(
                "Plan advice compares prices: your organisation's administrators and the "
                "provider's account managers can read it."
            ),
        )


def may_plan_staffing(user: Any) -> bool:
    return perms.has_role(user, STAFFING)


def require_staffing(user: Any) -> None:
    if not may_plan_staffing(user):
        raise PermissionDenied(
            "insights.staffing_forbidden",
            _("Only support managers and platform administrators plan staffing."),
        )
