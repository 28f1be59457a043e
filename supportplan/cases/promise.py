"""The first-response promise before a case is filed, and the clock of a filed case explained.

`opening_terms` (every entitlement check at opening) and `opening_sla` (the replay of a
creation-only log) are the functions `case_open` itself calls: the quote is the same code
path, so the promise on the form is the due time of the case it then opens, and a severity or
channel the plan refuses gets the same refusal (code and message) as opening would.

`sla_quote` and `case_clock` are reads (selectors): nothing is written or stored; the clock
is derived from the case's event log each time it is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from supportplan.accounts import permissions as perms
from supportplan.accounts.models import RegisteredSystem, Tenant, User
from supportplan.catalog.domain import Catalog, Plan
from supportplan.core.errors import DomainError, NotFound, PermissionDenied
from supportplan.sla import domain as sla
from supportplan.sla import explain

from . import domain, upstream

DEFAULT_TZ = "Asia/Shanghai"


def person_timezone(user: Any) -> ZoneInfo:
    """The person's time zone (a `timezone` attribute where the account has one), else
    Asia/Shanghai, the business time zone."""
    name = getattr(user, "timezone", "") or DEFAULT_TZ
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):
        return ZoneInfo(DEFAULT_TZ)


# --------------------------------------------------------------------------- shared with case_open


def check_opener(actor: User, tenant: Tenant) -> bool:
    """Who may open a case for `tenant`: its own people, or staff who handle cases.
    Returns True for staff."""
    if perms.is_staff(actor):
        if not perms.has_role(actor, perms.HANDLE_CASES):
            raise PermissionDenied(
                "case.open_forbidden", _("Only support staff can record cases for customers.")
            )
        return True
    if actor.tenant_id != tenant.pk:
        raise NotFound(domain.WHAT_TENANT)
    return False


def check_system(system: RegisteredSystem | None, tenant: Tenant) -> None:
    if system is not None and system.tenant_id != tenant.pk:
        raise NotFound(domain.WHAT_SYSTEM)
    if tenant.awaiting_approval:  # self-registered, not yet approved by staff (accounts)
        raise DomainError(
            "case.organisation_pending",
            _(
                "Your organisation is waiting for the provider's approval; cases can be "
                "opened once it is approved."
            ),
        )


@dataclass(frozen=True)
class OpeningTerms:
    entitlement: upstream.Entitlement
    catalog: Catalog
    plan: Plan
    escorts: list[tuple[datetime, datetime]]
    escort_bookings: list[int]


def opening_terms(
    *,
    tenant: Tenant,
    provider: str,
    severity: str,
    channel: str,
    system: RegisteredSystem | None,
    im_platform: str,
    staff: bool,
    now: datetime,
    require_platform: bool = True,
) -> OpeningTerms:
    """The plan in force and every entitlement check of opening, plus the escorts in force."""
    entitlement = upstream.plan_in_force(tenant, provider, now)
    if entitlement is None:
        catalog_now = upstream.current_catalog(provider)
        if catalog_now is None:
            raise DomainError(
                "case.unknown_provider",
                _("Unknown provider %(provider)s."),
                field="provider",
                provider=provider,
            )
        raise domain.no_plan_error(catalog_now)
    catalog = upstream.catalog_for_version(entitlement.catalog_version_id)
    plan = catalog.plan(entitlement.plan_code)
    domain.check_technical_contact(plan, tenant.has_technical_contact)
    reader = tenant.name if staff else None  # staff read "Acme's Basic plan", not "Your"
    domain.check_severity(
        catalog, plan, severity, system.classification if system else None, customer=reader
    )
    domain.check_channel(
        catalog,
        plan,
        channel,
        logged_by_staff=staff,
        im_platform=im_platform,
        customer=reader,
        require_platform=require_platform,
    )
    # One query answers both the SLA question (escort intervals, for plans whose escort
    # service sets an urgent first-response target) and which escort teams to tell (the
    # bookings app reads `escort_bookings` from the audit entry instead of asking again).
    escorts, escort_bookings = upstream.escorts_at(tenant, now)
    if not any(g.service.urgent_first_response is not None for g in plan.services):
        escorts = []
    return OpeningTerms(entitlement, catalog, plan, escorts, escort_bookings)


def opening_sla(terms: OpeningTerms, *, severity: str, channel: str, now: datetime) -> sla.CaseSla:
    """The SLA of a case created at `now` that nobody has touched yet."""
    policy_for = upstream.policy_builder(
        terms.catalog, terms.plan, channel=channel, opened_at=now, escorts=terms.escorts
    )
    created = sla.CaseEvent(kind=sla.EventKind.CREATED, at=now, severity=severity)
    return upstream.replay([created], policy_for, now)


# --------------------------------------------------------------------------- the quote


def _lang() -> str:
    return get_language() or "en"


@dataclass(frozen=True)
class QuoteWarning:
    code: str
    message: str
    suggested_channel: str | None = None
    suggested_channel_name: str | None = None
    suggested_due_at: datetime | None = None


@dataclass(frozen=True)
class Quote:
    provider: str
    plan: str
    plan_name: str
    severity: str
    severity_name: str
    channel: str
    channel_name: str
    timezone: ZoneInfo
    promise: explain.FirstResponsePromise
    reasons: list[str]
    warnings: list[QuoteWarning]

    @property
    def due_local(self) -> str:
        return explain.local_text(self.promise.due_at, self.timezone)

    @property
    def opened_local(self) -> str:
        return explain.local_text(self.promise.opened_at, self.timezone)


def sla_quote(
    *,
    actor: User,
    tenant: Tenant,
    provider: str,
    severity: str,
    channel: str,
    now: datetime,
    system: RegisteredSystem | None = None,
    im_platform: str = "",
) -> Quote:
    """The first-response promise of the case `actor` would open now (a read: nothing is
    written). Refusals are those of `case_open`."""
    staff = check_opener(actor, tenant)
    check_system(system, tenant)
    terms = opening_terms(
        tenant=tenant,
        provider=provider,
        severity=severity,
        channel=channel,
        system=system,
        im_platform=im_platform,
        staff=staff,
        now=now,
        require_platform=False,
    )
    catalog, plan = terms.catalog, terms.plan
    lang = _lang()
    result = opening_sla(terms, severity=severity, channel=channel, now=now)
    promise = explain.promise_of(result)
    channel_name = plan.channel(channel).name.get(lang)
    tz = person_timezone(actor)
    warnings: list[QuoteWarning] = []
    sev = catalog.severity(severity)
    alternatives = [
        (
            pc.code,
            explain.promise_of(opening_sla(terms, severity=severity, channel=pc.code, now=now)),
        )
        for pc in plan.channels
        if pc.code != channel and (staff or not pc.channel.staff_logged)
    ]
    suggestion = explain.channel_suggestion(
        urgent=sev.urgent, promise=promise, alternatives=alternatives
    )
    if suggestion is not None:
        other = plan.channel(suggestion.channel).name.get(lang)
        warnings.append(
            QuoteWarning(
                code="sla.channel_closed",
                message=gettext(
                    "%(channel)s is closed now (%(hours)s): this urgent case would get its "
                    "first response by %(due)s. %(other)s answers by %(other_due)s."
                )
                % {
                    "channel": channel_name,
                    "hours": explain.hours_text(promise.calendar),
                    "due": explain.local_text(promise.due_at, tz),
                    "other": other,
                    "other_due": explain.local_text(suggestion.due_at, tz),
                },
                suggested_channel=suggestion.channel,
                suggested_channel_name=other,
                suggested_due_at=suggestion.due_at,
            )
        )
    if promise.provisional:
        warnings.append(
            QuoteWarning(
                code="calendar.holiday_data_missing",
                message=gettext(
                    "Provisional: holiday data for %(years)s is missing; the due time may move "
                    "when it is loaded."
                )
                % {"years": ", ".join(str(y) for y in promise.missing_years)},
            )
        )
    return Quote(
        provider=provider,
        plan=plan.code,
        plan_name=plan.name.get(lang),
        severity=severity,
        severity_name=sev.name.get(lang),
        channel=channel,
        channel_name=channel_name,
        timezone=tz,
        promise=promise,
        reasons=explain.promise_reasons(promise, channel_name),
        warnings=warnings,
    )


# --------------------------------------------------------------------------- the clock


@dataclass(frozen=True)
class ClockLine:
    step: explain.ClockStep
    text: str
    start_local: str
    end_local: str | None


@dataclass(frozen=True)
class CaseClock:
    result: sla.CaseSla
    timezone: ZoneInfo
    lines: list[ClockLine]

    @property
    def timer(self) -> sla.Timer:
        return self.result.first_response

    @property
    def due_local(self) -> str | None:
        due = self.timer.due_at
        return explain.local_text(due, self.timezone) if due else None


def case_clock(case: Any, reader: User, as_of: datetime) -> CaseClock:
    """The first-response clock of `case` step by step, for `reader` (who may see the case:
    callers fetch it through `selectors.case_for`)."""
    from .services.common import _sla_events, compute_sla

    rows = list(case.events.order_by("at", "id"))
    result = compute_sla(case, max(as_of, case.created_at), rows)
    steps = explain.clock_timeline(_sla_events(rows), result)
    catalog = upstream.catalog_for_version(case.catalog_version_id)
    lang = _lang()

    def severity_name(code: str) -> str:
        try:
            return catalog.severity(code).name.get(lang)
        except LookupError:
            return code

    tz = person_timezone(reader)
    lines = [
        ClockLine(
            step=s,
            text=explain.step_text(s, severity_name, tz),
            start_local=explain.local_text(s.start, tz),
            end_local=explain.local_text(s.end, tz) if s.end else None,
        )
        for s in steps
    ]
    return CaseClock(result=result, timezone=tz, lines=lines)
