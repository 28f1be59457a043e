"""The platform-data collector: plan, entitlements, delivered services, advisories and
tickets of one tenant's month, read from the other contexts' selectors and models.

Read-only and in memory (SPEC §2). Each context is read through its public selectors;
where a context has not landed in a deployment yet its part is simply empty.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Min
from django.utils import translation
from django.utils.translation import pgettext_lazy

from .data import (
    Advisory,
    DeliveredService,
    Entitlement,
    Month,
    PlatformData,
    Ticket,
)

log = logging.getLogger(__name__)

FEATURE = "monthly_report"
LANGUAGES = ("zh-hans", "en")
TREND_MONTHS = 6


def report_plan(tenant: Any, month: Month) -> Any | None:
    """The plan in force at the end of `month` that includes the monthly report, or None.

    Our rule: the plan in force on the month's last instant decides (a tenant that
    upgraded to Dedicated during October gets October's report).
    """
    from supportplan.catalog.selectors import catalog_for_version
    from supportplan.subscriptions.selectors import plans_in_force

    as_of = month.end - timedelta(microseconds=1)
    for pif in plans_in_force(tenant, as_of):
        try:
            plan = catalog_for_version(pif.catalog_version_id).plan(pif.plan_code)
        except LookupError:
            continue
        if plan.includes_feature(FEATURE):
            return pif
    return None


def plans_with_report() -> list[str]:
    """Names of the plans that include the report (for the refusal message)."""
    from supportplan.catalog.selectors import current_catalogs

    out = []
    for catalog in current_catalogs().values():
        out += [str(p.name) for p in catalog.plans if p.includes_feature(FEATURE)]
    return out


def collect_platform(tenant: Any, month: Month, plan: Any | None) -> PlatformData:
    start, end = month.start, month.end
    catalog = None
    plan_obj = None
    if plan is not None:
        from supportplan.catalog.selectors import catalog_for_version

        catalog = catalog_for_version(plan.catalog_version_id)
        plan_obj = catalog.plan(plan.plan_code)
    tickets, history = _tickets(tenant, month)
    severity_names: dict[str, dict[str, str]] = {}
    severity_order: tuple[str, ...] = ()
    channel_names: dict[str, dict[str, str]] = {}
    prod_down: tuple[str, ...] = ("core_production_down", "production_down")
    if catalog is not None:
        severity_order = tuple(s.code for s in catalog.severities)
        severity_names = {s.code: s.name.as_dict() for s in catalog.severities}
        channel_names = {c.code: c.name.as_dict() for c in catalog.channels}
        prod_down = tuple(c for c in severity_order if c.endswith("_down")) or prod_down
    return PlatformData(
        provider=plan.provider_code if plan else "",
        plan_code=plan.plan_code if plan else "",
        plan_name=plan_obj.name.as_dict() if plan_obj is not None else {},
        term=(plan.term or "") if plan else "",
        period_start=_date(plan.period_start) if plan else None,
        period_end=_date(plan.period_end, last=True) if plan else None,
        # as of the month's last instant, however late the report is (re)generated
        entitlements=_entitlements(tenant, plan, catalog, end - timedelta(microseconds=1)),
        services=_services(tenant, catalog, start, end),
        advisories=_advisories(tenant, start, end),
        tickets=tickets,
        ticket_history=history,
        severity_names=severity_names,
        severity_order=severity_order,
        channel_names=channel_names,
        production_down_severities=prod_down,
        plan_advice=_plan_advice(tenant, start, end),
    )


def _plan_advice(tenant: Any, start: Any, end: Any) -> dict[str, str] | None:
    """The plan advisor's upgrade or downgrade advice as of the month's last instant."""
    from supportplan.insights.selectors import report_plan_advice

    return report_plan_advice(tenant, start, end, end - timedelta(microseconds=1))


def _date(value: datetime | None, last: bool = False) -> Any:
    if value is None:
        return None
    from .data import BUSINESS_TZ

    local = value.astimezone(BUSINESS_TZ)
    return (local - timedelta(microseconds=1)).date() if last else local.date()


def _tickets(
    tenant: Any, month: Month
) -> tuple[tuple[Ticket, ...], tuple[tuple[str, dict[str, int]], ...]]:
    from supportplan.cases.models import Case

    start, end = month.start, month.end
    qs = (
        Case.objects.for_tenant(tenant)
        .filter(created_at__gte=start, created_at__lt=end)
        .select_related("system")
        .order_by("created_at", "id")
    )
    tickets = []
    # The cases app clears `first_response_due` once the case is answered and keeps the
    # outcome in `sla_state`/`sla_breached`; the due time of a miss is on its
    # `case.sla.breached` audit entry (`breached_at`).
    breached_due = _breach_times(tenant, start, end)
    for c in qs.iterator(chunk_size=500):
        due = c.first_response_due or breached_due.get(str(c.pk))
        tickets.append(
            Ticket(
                id=f"#{c.pk}",
                subject=c.subject,
                severity=c.severity,
                channel=c.channel,
                status=c.state,
                created_at=c.created_at,
                resolved_at=c.resolved_at if c.resolved_at and c.resolved_at < end else None,
                system=c.system.name if c.system is not None else "",
                first_response_due=due,
                first_responded_at=c.first_responded_at,
                first_response_met=first_response_met(
                    due, c.first_responded_at, c.sla_breached, end, c.sla_state
                ),
            )
        )
    first = month.back(TREND_MONTHS)[0]
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for created, severity in (
        Case.objects.for_tenant(tenant)
        .filter(created_at__gte=first.start, created_at__lt=start)
        .values_list("created_at", "severity")
    ):
        counts[Month.containing(created).label][severity] += 1
    history = tuple((m.label, dict(counts.get(m.label, {}))) for m in month.back(TREND_MONTHS)[:-1])
    return tuple(tickets), history


def _breach_times(tenant: Any, start: datetime, end: datetime) -> dict[str, datetime]:
    """Case id -> first-response due time, from the breaches of cases opened in the month."""
    from supportplan.core.models import AuditEntry

    out: dict[str, datetime] = {}
    for target_id, data in (
        AuditEntry.objects.filter(tenant=tenant, action="case.sla.breached", at__gte=start)
        .order_by("at", "id")
        .values_list("target_id", "data")
    ):
        value = (data or {}).get("breached_at") or (data or {}).get("due")
        if value and target_id not in out:
            with suppress(ValueError):
                out[target_id] = datetime.fromisoformat(value)
    return out


def first_response_met(
    due: datetime | None,
    responded: datetime | None,
    breached: bool,
    month_end: datetime,
    sla_state: str = "",
) -> bool | None:
    """Met / missed / undecided at the month's end.

    The cases app decides the outcome (`sla_state` met/breached, `sla_breached` when the
    sweep or a late reply fires) and keeps `first_response_due` only while the clock runs;
    a reply after the due time is a miss even if the sweep has not run yet.
    """
    if responded is not None and responded < month_end:
        if breached or sla_state == "breached":
            return False
        if due is not None:
            return responded <= due
        return True if sla_state == "met" else None
    if breached and (due is None or due < month_end):
        return False
    if due is None:
        return None
    if due < month_end:
        return False
    return None


# Quota units as the catalogs spell them -> what a reader sees (both languages from the
# app's catalog, so a unit is never shown as a code).
UNITS: dict[str, Any] = {
    "times": pgettext_lazy("quota unit", "times"),
    "time": pgettext_lazy("quota unit", "times"),
    "natural_days": pgettext_lazy("quota unit", "days"),
    "days": pgettext_lazy("quota unit", "days"),
    "day": pgettext_lazy("quota unit", "days"),
}


def texts(message: Any) -> dict[str, str]:
    """A translatable message as the report's {language: text} pair."""
    out = {}
    for lang in LANGUAGES:
        with translation.override(lang):
            out[lang] = str(message)
    return out


def _service_name(catalog: Any, code: str) -> dict[str, str]:
    """The service's name in both languages from the plan's catalog version, else from the
    provider's current catalog (a service renamed or dropped later), else the code."""
    from supportplan.catalog.selectors import current_catalogs

    if catalog is not None:
        with suppress(LookupError):
            return dict(catalog.service(code).name.as_dict())
    for source in current_catalogs().values():
        with suppress(LookupError):
            return dict(source.service(code).name.as_dict())
    return {lang: code for lang in LANGUAGES}


def _entitlements(tenant: Any, plan: Any, catalog: Any, as_of: datetime) -> tuple[Entitlement, ...]:
    """Quota used (delivered or booked) by the instant `as_of`, from the quota ledger as it
    stood then: a report about a past month does not count bookings made since."""
    if plan is None or catalog is None:
        return ()
    try:
        from supportplan.subscriptions.selectors import quota_balances_as_of

        balances = quota_balances_as_of(tenant, plan.provider_code, as_of)
    except Exception:  # a deployment without quotas yet: the section shows none
        log.exception("quota balances unavailable for %s", tenant)
        return ()
    out = []
    for b in balances:
        unit = UNITS.get(b.unit)
        out.append(
            Entitlement(
                _service_name(catalog, b.service_code),
                b.used + b.reserved,
                b.granted,
                texts(unit) if unit is not None else {},
            )
        )
    return tuple(out)


def _services(
    tenant: Any, catalog: Any, start: datetime, end: datetime
) -> tuple[DeliveredService, ...]:
    """Value-added services whose delivery was recorded within the month."""
    from supportplan.bookings.selectors import delivered_between

    return tuple(
        DeliveredService(
            _service_name(catalog, b.service_code),
            b.start_date,
            b.end_date - timedelta(days=1),
            "delivered",
        )
        for b in delivered_between(tenant, start, end)
    )


def _advisories(tenant: Any, start: datetime, end: datetime) -> tuple[Advisory, ...]:
    """Advisories that reached the tenant in the month: published ones its organisation was
    notified of (TAM first for enterprise care, so the notice time, not the publish time)."""
    from supportplan.advisories.selectors import advisories_for_tenant

    rows = (
        advisories_for_tenant(tenant)
        .filter(
            targets__tenant=tenant,
            targets__notified_at__gte=start,
            targets__notified_at__lt=end,
        )
        .annotate(reached_at=Min("targets__notified_at"))
        .order_by("reached_at", "pk")
    )
    return tuple(
        Advisory(
            title=dict(a.title or {}),
            published_at=a.published_at,
            severity=a.severity,
            notified_at=a.reached_at,
            kind=a.kind,
        )
        for a in rows
    )
