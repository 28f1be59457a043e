"""Pure case rules: entitlements at opening and on change, scope, routing choices.

No ORM and no clock: callers pass the catalog, the plan in force and the facts. Every
refusal is a `DomainError` with a stable code (documented in docs/cases.md) and a message
rendered in the caller's language; lists of plans are rendered lazily in that language too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.functional import lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from supportplan.catalog.domain import (
    Catalog,
    NotInCatalog,
    Plan,
    ScopeResult,
    Severity,
    Text,
    scope_check,
)
from supportplan.catalog.texts import plan_list
from supportplan.core.errors import DomainError

HANDLER_TIERS = ("engineer", "expert", "senior_expert")  # ascending

# The longest text a person may write into a case, the same for the web forms, the API (its
# schema states them as maxLength) and the services.
SUBJECT_MAX = 200
DESCRIPTION_MAX = 20_000
BODY_MAX = 50_000  # replies and internal notes
REASON_MAX = 2_000  # severity changes, escalations, reopening
NOTE_MAX = 5_000  # what staff need from the customer, resolution summaries, other short notes


def _join_texts(texts: tuple[Text, ...]) -> str:
    lang = get_language() or "en"
    sep = "、" if lang.lower().startswith("zh") else ", "
    return sep.join(t.get(lang) for t in texts)


_lazy_join = lazy(_join_texts, str)


def names(items: Iterable[Plan | Severity | Text]) -> str:
    """A list of catalog names rendered in the caller's language when the message is."""
    texts = tuple(i if isinstance(i, Text) else i.name for i in items)
    return _lazy_join(texts)  # type: ignore[no-any-return]


def text(value: Text) -> str:
    return _lazy_join((value,))  # type: ignore[no-any-return]


def plans_with_cases(catalog: Catalog) -> tuple[Plan, ...]:
    return tuple(p for p in catalog.plans if p.severity_targets)


# --------------------------------------------------------------------------- entitlements


def no_plan_error(catalog: Catalog) -> DomainError:
    return DomainError(
        "case.no_plan",
        _(
            "Your organisation has no %(provider)s support plan, so support cases are not "
            "included; self-service (documentation, community, help center) stays open to you. "
            "Plans that include cases: %(plans)s."
        ),
        status=403,
        provider=text(catalog.provider.name),
        plans=plan_list(catalog, plans_with_cases(catalog)),
    )


def check_technical_contact(plan: Plan, has_technical_contact: bool) -> None:
    if plan.requires_technical_contact and not has_technical_contact:
        raise DomainError(
            "case.technical_contact_required",
            _(
                "The %(plan)s plan starts once your organisation names a technical contact. "
                "An administrator can add one in the organisation settings."
            ),
            status=403,
            plan=text(plan.name),
        )


def _not_in_plan_message(customer: str | None, kind: str) -> Any:
    """Who reads the refusal: the customer ("Your Basic plan") or staff acting for them
    ("Acme's Basic plan", never "Your ...")."""
    if customer is None:
        return {
            "severity": _(
                "Your %(plan)s plan does not include the severity “%(severity)s”. "
                "Plans that include it: %(plans)s."
            ),
            "channel": _(
                "Your %(plan)s plan does not include the channel “%(channel)s”. "
                "Plans that include it: %(plans)s."
            ),
        }[kind]
    return {
        "severity": _(
            "%(customer)s's %(plan)s plan does not include the severity “%(severity)s”. "
            "Plans that include it: %(plans)s."
        ),
        "channel": _(
            "%(customer)s's %(plan)s plan does not include the channel “%(channel)s”. "
            "Plans that include it: %(plans)s."
        ),
    }[kind]


def check_severity(
    catalog: Catalog,
    plan: Plan,
    severity: str,
    system_class: str | None,
    *,
    customer: str | None = None,
) -> None:
    """The severity exists, the plan includes it, and it fits the affected system.
    `customer`: the organisation's name when staff read the refusal."""
    try:
        sev = catalog.severity(severity)
    except NotInCatalog as exc:
        raise DomainError(
            "case.unknown_severity",
            _("Unknown severity %(severity)s. Choose one of: %(known)s."),
            field="severity",
            severity=severity,
            known=", ".join(exc.known),
        ) from None
    if not plan.includes_severity(severity):
        raise DomainError(
            "case.severity_not_in_plan",
            _not_in_plan_message(customer, "severity"),
            status=403,
            customer=customer or "",
            field="severity",
            plan=text(plan.name),
            severity=text(sev.name),
            plans=plan_list(catalog, catalog.plans_including_severity(severity)),
        )
    if system_class is None:
        if set(sev.system_classes) != {"core_production", "production", "non_production"}:
            raise DomainError(
                "case.system_required",
                _(
                    "The severity “%(severity)s” is about a specific system: choose the "
                    "affected system (register it first if it is missing)."
                ),
                field="system",
                severity=text(sev.name),
            )
        return
    if not sev.fits(system_class):
        fitting = tuple(s.severity for s in plan.severity_targets if s.severity.fits(system_class))
        raise DomainError(
            "case.severity_not_for_system",
            _(
                "The severity “%(severity)s” does not fit a %(system_class)s system. "
                "For this system choose one of: %(severities)s."
            ),
            field="severity",
            severity=text(sev.name),
            system_class=_SYSTEM_CLASS_NAMES.get(system_class, system_class),
            severities=names(fitting),
        )


_SYSTEM_CLASS_NAMES = {
    "core_production": _("core production"),
    "production": _("production"),
    "non_production": _("non-production"),
}


def check_channel(
    catalog: Catalog,
    plan: Plan,
    channel: str,
    *,
    logged_by_staff: bool,
    im_platform: str = "",
    customer: str | None = None,
    require_platform: bool = True,
) -> None:
    """The channel exists, the plan includes it, and the right person uses it.

    Staff-logged channels (the hotline, the enterprise phone line) are recorded by staff
    on the customer's behalf: a customer cannot open a case "through the hotline" online.
    `require_platform=False` (the promise shown before the form is complete) accepts a
    missing IM platform, never a wrong one.
    """
    try:
        chan = catalog.channel(channel)
    except NotInCatalog as exc:
        raise DomainError(
            "case.unknown_channel",
            _("Unknown channel %(channel)s. Choose one of: %(known)s."),
            field="channel",
            channel=channel,
            known=", ".join(exc.known),
        ) from None
    if not plan.includes_channel(channel):
        raise DomainError(
            "case.channel_not_in_plan",
            _not_in_plan_message(customer, "channel"),
            status=403,
            customer=customer or "",
            field="channel",
            plan=text(plan.name),
            channel=text(chan.name),
            plans=plan_list(catalog, catalog.plans_including_channel(channel)),
        )
    if chan.staff_logged and not logged_by_staff:
        contact = chan.contact or chan.name
        raise DomainError(
            "case.channel_staff_logged",
            _(
                "Cases through “%(channel)s” are recorded by our staff during your call "
                "(%(contact)s). To open a case yourself, use a ticket."
            ),
            field="channel",
            channel=text(chan.name),
            contact=text(contact),
        )
    if chan.platforms:
        codes = [p.code for p in chan.platforms]
        if im_platform not in codes and (im_platform or require_platform):
            raise DomainError(
                "case.im_platform_invalid",
                _("Choose the IM platform of your group: %(platforms)s."),
                field="im_platform",
                platforms=names(p.name for p in chan.platforms),
            )
    elif im_platform:
        raise DomainError(
            "case.im_platform_invalid",
            _("The channel “%(channel)s” has no IM platform; leave it empty."),
            field="im_platform",
            channel=text(chan.name),
        )


# --------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class ScopeDecision:
    """What the case records about scope at opening."""

    out_of_scope: bool
    code: str  # "" | software_not_in_catalog | code_development | routine_operations
    reason: Text | None
    where_to_go: Text | None
    software_code: str
    platform: str


OUT_OF_SCOPE_RESULTS = ("not_in_catalog", "platform_not_supported", "version_not_supported")


def assess_scope(
    catalog: Catalog, software: str, version: str, platform: str, flagged: str = ""
) -> ScopeDecision:
    """Third-party scope for the structured fields, plus a reason the customer chose.

    Missing or unreadable input is refused so the person can fix it; software outside the
    catalog (or its versions/platforms) is accepted and flagged out of scope with the
    catalog's reason and where to go instead.
    """
    if flagged:
        try:
            entry = catalog.out_of_scope_entry(flagged)
        except NotInCatalog as exc:
            raise DomainError(
                "case.unknown_scope_reason",
                _("Unknown out-of-scope reason %(reason)s. Choose one of: %(known)s."),
                field="out_of_scope_code",
                reason=flagged,
                known=", ".join(exc.known),
            ) from None
        return ScopeDecision(True, entry.code, entry.description, entry.where_to_go, "", "")
    software = software.strip()
    if not software:
        if version.strip() or platform.strip():
            raise DomainError(
                "case.software_required",
                _("Name the third-party software the version and platform belong to."),
                field="software_name",
            )
        return ScopeDecision(False, "", None, None, "", "")
    result: ScopeResult = scope_check(catalog, software, version or None, platform or None)
    if not result.in_scope and result.where_to_go is None:
        # The input cannot be judged yet (version missing or incomplete, platform unknown):
        # ask for it instead of guessing.
        field = (
            "software_platform"
            if result.reason_code == "unknown_platform"
            else ("software_version")
        )
        raise DomainError(
            f"case.software_{result.reason_code}",
            _("Please complete the third-party software details: %(reason)s"),
            field=field,
            reason=text(result.reason),
        )
    code = result.entry.code if result.entry else ""
    plat = result.platform or ""
    if result.in_scope:
        return ScopeDecision(False, "", result.reason, None, code, plat)
    return ScopeDecision(
        True, "software_not_in_catalog", result.reason, result.where_to_go, code, plat
    )


# --------------------------------------------------------------------------- routing


def tier_rank(tier: str) -> int:
    return HANDLER_TIERS.index(tier) + 1 if tier in HANDLER_TIERS else 0


def tiers_up_to(tier: str) -> tuple[str, ...]:
    """The queues a member of `tier` may work: their own and every lower tier."""
    return HANDLER_TIERS[: tier_rank(tier)]


def next_tier(tier: str) -> str | None:
    rank = tier_rank(tier)
    return HANDLER_TIERS[rank] if 0 < rank < len(HANDLER_TIERS) else None


# --------------------------------------------------------------------------- API-facing errors
# Kept here so their translations live in the cases catalog.

WHAT_CASE = _("Case")
WHAT_TENANT = _("Tenant")
WHAT_SYSTEM = _("System")
WHAT_REQUESTER = _("Requester")
WHAT_ASSIGNEE = _("Assignee")
WHAT_PROVIDER = _("Provider")
WHAT_ATTACHMENT = _("Attachment")


def provider_required(providers: Sequence[str]) -> DomainError:
    return DomainError(
        "case.provider_required",
        _("Choose the provider the case is for: %(providers)s."),
        field="provider",
        providers=", ".join(providers) or "-",
    )


def invalid_filter(name: str) -> DomainError:
    return DomainError(
        "case.invalid_filter", _("%(name)s must be a number."), field=name, name=name
    )


def queue_staff_only() -> DomainError:
    return DomainError("case.staff_only", _("Only support staff have a queue."), status=403)


def moved_out_of_sight(case_id: int, queue_label: str, assignee_name: str | None) -> str:
    """Said to staff whose action moved a case beyond what they may see (an escalation to a
    higher tier): the action succeeded, and this is where the case went."""
    if assignee_name:
        return _(
            "Case #%(id)s moved to the %(queue)s queue and was assigned to %(assignee)s; "
            "it has left your queue."
        ) % {"id": case_id, "queue": queue_label, "assignee": assignee_name}
    return _("Case #%(id)s moved to the %(queue)s queue; it has left your queue.") % {
        "id": case_id,
        "queue": queue_label,
    }
