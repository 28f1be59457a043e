"""Small reads of other contexts used by several pages (kept in one place so the pages stay
thin and empty states are handled once)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from supportplan.cases import selectors as case_selectors


def open_cases(user: Any, limit: int = 10) -> list[Any]:
    flt = case_selectors.CaseFilters(active=True)
    return list(case_selectors.case_list(user, flt).order_by("first_response_due", "-id")[:limit])


def recent_advisories(tenant: Any, now: datetime, limit: int = 5) -> list[Any]:
    try:
        from supportplan.advisories import selectors as adv
    except ImportError:
        return []
    fn = getattr(adv, "advisories_for_tenant", None) or getattr(adv, "advisories_of", None)
    if fn is None:
        return []
    try:
        return list(fn(tenant))[:limit]
    except TypeError:
        return list(fn(tenant, now))[:limit]


def latest_report(tenant: Any) -> Any:
    try:
        from supportplan.reports import selectors as rep
    except ImportError:
        return None
    fn = getattr(rep, "reports_of", None)
    if fn is None:
        return None
    return fn(tenant).first()


def subscription(tenant: Any, provider_code: str | None) -> Any:
    if not provider_code:
        return None
    from supportplan.subscriptions import selectors as subs

    return subs.subscription_of(tenant, provider_code)


def im_robots(tenant: Any) -> list[Any]:
    try:
        from supportplan.notifications import selectors as notif
    except ImportError:
        return []
    fn = getattr(notif, "robots_of_tenant", None) or getattr(notif, "robots_of", None)
    return list(fn(tenant)) if fn else []
