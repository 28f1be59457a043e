"""Reads for the plan advisor and the staffing planner: a few queries of plain values (no
per-case query), handed to the pure functions of domain.py."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

from supportplan.core.clock import BUSINESS_TZ
from supportplan.core.errors import DomainError

from . import domain

DEFAULT_DAYS = 90
MAX_DAYS = 366

LABELS: dict[str, Any] = {
    "from": _("Start date"),
    "until": _("End date"),
    "aht_minutes": _("Handling time (minutes)"),
    "patience_minutes": _("Caller patience (minutes)"),
    "goal": _("Attainment goal (%)"),
}


# --------------------------------------------------------------------------- ranges


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=BUSINESS_TZ)


def parse_range(start: str | None, end: str | None, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) from YYYY-MM-DD texts (end inclusive as typed), default the last 90 days;
    a clear error for anything else."""

    def day(text: str, name: str) -> date:
        try:
            return date.fromisoformat(text.strip())
        except ValueError:
            raise DomainError(
                "insights.bad_date",
                _("%(name)s must be a date written YYYY-MM-DD (got “%(value)s”)."),
                field=name,
                name=LABELS[name],
                value=text[:40],
            ) from None

    today = now.astimezone(BUSINESS_TZ).date()
    last = day(end, "until") if end else today
    first = day(start, "from") if start else last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise DomainError(
            "insights.range_reversed",
            _("The range starts after it ends: choose a start on or before the end."),
            field="from",
        )
    if (last - first).days + 1 > MAX_DAYS:
        raise DomainError(
            "insights.range_too_long",
            _("Choose at most %(days)s days."),
            field="from",
            days=MAX_DAYS,
        )
    return _midnight(first), min(_midnight(last + timedelta(days=1)), max(now, _midnight(first)))


# --------------------------------------------------------------------------- plan advisor


def _provider_and_plan(
    tenant: Any, now: datetime, catalogs: dict[str, Any], provider: str | None
) -> tuple[str, str | None]:
    """The provider to replay (asked for, else the tenant's plan's, else the one it opened
    cases with, else the first) and the tenant's plan code with it now."""
    from supportplan.cases.models import Case
    from supportplan.subscriptions.selectors import plan_in_force, plans_in_force

    if provider:
        pif = plan_in_force(tenant, provider, now)
        return provider, pif.plan_code if pif is not None else None
    for pif in plans_in_force(tenant, now):
        if pif.provider_code in catalogs:
            return pif.provider_code, pif.plan_code
    used = Case.objects.for_tenant(tenant).values_list("provider", flat=True).distinct()
    known = sorted(p for p in set(used) if p in catalogs) or sorted(catalogs)
    return known[0], None


def _calendars() -> Any:
    """calendar_for, asked once per code within one answer."""
    from supportplan.calendars.selectors import calendar_for

    seen: dict[str, Any] = {}

    def get(code: str) -> Any:
        if code not in seen:
            seen[code] = calendar_for(code)
        return seen[code]

    return get


def tenant_history(tenant: Any, provider: str, start: datetime, end: datetime) -> Any:
    """The tenant's cases, escort days and value-added services with `provider` in range:
    three queries."""
    from supportplan.bookings.models import Booking, BookingStatus
    from supportplan.bookings.selectors import escort_intervals
    from supportplan.cases.models import Case

    rows = (
        Case.objects.for_tenant(tenant)
        .filter(provider=provider, created_at__gte=start, created_at__lt=end)
        .order_by("created_at", "id")
        .values_list("created_at", "severity", "channel", "system_class", "first_responded_at")
    )
    cases = tuple(domain.CaseFact(*row) for row in rows)
    cover = escort_intervals(tenant, start, end)
    uses = (
        Booking.objects.for_tenant(tenant)
        .filter(
            provider_code=provider,
            start_date__gte=start.astimezone(BUSINESS_TZ).date(),
            start_date__lt=end.astimezone(BUSINESS_TZ).date() + timedelta(days=1),
        )
        .exclude(status__in=[BookingStatus.CANCELLED, BookingStatus.AWAITING_PAYMENT])
        .values_list("service_code", "quantity")
    )
    return domain.TenantHistory(
        start=start,
        end=end,
        cases=cases,
        escorts=tuple(cover.intervals),
        services=tuple(domain.ServiceUse(code, qty) for code, qty in uses),
    )


@dataclass(frozen=True)
class PlanAdvice:
    tenant: Any
    provider: str
    start: datetime
    end: datetime
    advice: domain.Advice


def plan_advice(
    tenant: Any, now: datetime, *, provider: str | None = None, start: Any = None, end: Any = None
) -> PlanAdvice:
    from supportplan.catalog.selectors import current_catalogs

    catalogs = current_catalogs()
    if provider and provider not in catalogs:
        raise DomainError(
            "insights.unknown_provider",
            _("Unknown provider %(provider)s. Choose one of: %(known)s."),
            field="provider",
            provider=provider[:40],
            known=", ".join(sorted(catalogs)),
        )
    provider, plan_code = _provider_and_plan(tenant, now, catalogs, provider)
    if isinstance(start, datetime) and isinstance(end, datetime):
        first, last = start, end
    else:
        first, last = parse_range(start, end, now)
    catalog = catalogs[provider]
    current = None
    if plan_code is not None:
        try:
            current = catalog.plan(plan_code)
        except LookupError:  # a plan the current catalog version no longer sells
            current = None
    history = tenant_history(tenant, provider, first, last)
    calendars = _calendars()
    advice = domain.advise(
        catalog,
        current,
        history,
        calendars=calendars,
        business_hours=calendars("5x8"),
        as_of=now,
    )
    return PlanAdvice(tenant, provider, first, last, advice)


def advice_as_dict(result: PlanAdvice, lang: str) -> dict[str, Any]:
    """The answer as the API and the console give it, texts in `lang`."""
    a = result.advice
    return {
        "tenant": result.tenant.pk,
        "provider": result.provider,
        "provider_name": a.provider.get(lang),
        "from": result.start.isoformat(),
        "until": result.end.isoformat(),
        "currency": a.currency,
        "verdict": a.verdict,
        "plan": a.plan.code if a.plan is not None else None,
        "plan_name": a.plan.name.get(lang) if a.plan is not None else None,
        "headline": a.headline(lang),
        "evidence": a.evidence(lang),
        "reasons": [{"code": r.code, "text": r.text(lang)} for r in a.reasons],
        "plans": [
            {
                "plan": r.plan.code,
                "name": r.plan.name.get(lang),
                "current": r.current,
                "cases": r.cases,
                "offered": r.offered,
                "answered": r.answered,
                "met": r.met,
                "missed": r.missed,
                "attainment": r.attainment,
                "monthly_price": _cents(r.monthly_price),
                "price_difference": _cents(r.price_difference),
                "targets": [
                    {
                        "severity": code,
                        "name": name.get(lang),
                        "first_response_seconds": int(d.total_seconds()),
                    }
                    for code, name, d in r.targets
                ],
                "refused_severities": [_refusal(x, lang) for x in r.refused_severities],
                "refused_channels": [_refusal(x, lang) for x in r.refused_channels],
                "services": [
                    {
                        "service": s.service,
                        "name": s.name.get(lang),
                        "unit": s.unit,
                        "quota": s.quota,
                        "paid": s.paid,
                        "used": s.used,
                    }
                    for s in r.services
                ],
                "holiday_data_missing": list(r.missing_holiday_years),
            }
            for r in a.replays
        ],
    }


def _cents(amount: Any) -> str:
    from decimal import Decimal

    return str(Decimal(amount).quantize(Decimal("0.01")))


def _refusal(x: domain.Refusal, lang: str) -> dict[str, Any]:
    return {
        "code": x.code,
        "name": x.name.get(lang),
        "cases": x.cases,
        "outside_hours": x.outside_hours,
    }


def report_plan_advice(tenant: Any, start: datetime, end: datetime, now: datetime) -> Any:
    """For the monthly report: the advisor over the 90 days up to the report month's end,
    rendered in the tenant's language, or None when it has nothing to say."""
    lang = tenant.language or "zh-hans"
    try:
        result = plan_advice(tenant, now, start=end - timedelta(days=DEFAULT_DAYS), end=end)
    except DomainError:
        return None
    a = result.advice
    if a.verdict not in ("downgrade", "upgrade") or a.plan is None:
        return None
    return {
        "verdict": a.verdict,
        "plan": a.plan.code,
        "plan_name": a.plan.name.get(lang),
        "headline": a.headline(lang),
        "reason": ("" if lang.startswith("zh") else " ").join(a.evidence(lang)),
    }


# --------------------------------------------------------------------------- staffing


def roster() -> dict[str, int]:
    """Active case handlers per tier. Shifts are not modelled (only a present/away switch),
    so every hour of the week is compared with the whole roster of the tier."""
    from supportplan.accounts.models import User
    from supportplan.accounts.permissions import CASE_HANDLER_ROLES

    rows = (
        User.objects.filter(is_active=True, role__in=list(CASE_HANDLER_ROLES))
        .exclude(handler_tier="")
        .values_list("handler_tier", flat=True)
    )
    return dict(Counter(rows))


def staffing_plan(
    now: datetime,
    *,
    start: Any = None,
    end: Any = None,
    aht_minutes: Any = None,
    patience_minutes: Any = None,
    goal_percent: Any = None,
) -> domain.StaffingPlan:
    from supportplan.accounts.models import HandlerTier
    from supportplan.cases.models import Case
    from supportplan.catalog.selectors import current_catalogs

    first, last = parse_range(start, end, now)
    aht = _number(aht_minutes, "aht_minutes", 30, 1, 600)
    patience = _number(patience_minutes, "patience_minutes", 3, 0.1, 120)
    goal = _number(goal_percent, "goal", 95, 1, 99.9)
    phones = frozenset(
        c.code
        for catalog in current_catalogs().values()
        for c in catalog.channels
        if c.staff_logged
    )
    rows = (
        Case.objects.filter(created_at__gte=first, created_at__lt=last)
        .exclude(first_response_target=None)
        .values_list("created_at", "handler_tier", "channel", "first_response_target")
    )
    arrivals = tuple(
        domain.Arrival(created, tier, channel, int(target.total_seconds()) if target else 0)
        for created, tier, channel, target in rows.iterator(chunk_size=5000)
    )
    return domain.plan_staffing(
        domain.StaffingInput(
            arrivals=arrivals,
            start=first,
            end=last,
            tiers=tuple(str(t) for t in HandlerTier.values),
            roster=roster(),
            telephone_channels=phones,
            aht_seconds=aht * 60,
            patience_seconds=patience * 60,
            goal=goal / 100,
        )
    )


def _number(value: Any, name: str, default: float, low: float, high: float) -> float:
    if value in (None, ""):
        return default
    try:
        number = float(str(value).strip())
    except ValueError:
        number = float("nan")
    if not low <= number <= high:  # also refuses NaN
        raise DomainError(
            "insights.bad_number",
            _("%(name)s must be a number from %(low)s to %(high)s (got “%(value)s”)."),
            field=name,
            name=LABELS[name],
            low=low,
            high=high,
            value=str(value)[:40],
        )
    return number
