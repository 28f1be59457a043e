"""The one place that decides, from an audit entry, what is sent, to whom, through which
channel. Every audit code that tells somebody something has a row in RULES (or a prefix
rule); everything else is silent.

Per rule:
- people: user ids (e-mail + in-app, each subject to the person's preferences per topic);
- addresses: raw addresses (the tenant's registered/report e-mails) with no person behind;
- tenant_im: post to the tenant's IM group robots, only if a plan in force includes the
  ``im_group`` channel (and the robot's platform is one that channel allows);
- team_im: post to the robots of staff teams covering the case's queue;
- attachments: files every e-mail of the rule carries (stored files named by the context).

The content is rendered here, in each recipient's language, and stored on the outbox row:
retries send exactly what the event said at the time.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from supportplan.accounts.models import Role, Tenant, User
from supportplan.core import clock
from supportplan.core.models import AuditEntry

from .domain import Content
from .models import Channel, Topic

logger = logging.getLogger(__name__)

LANGUAGES = ("zh-hans", "en")

Audience = Callable[[AuditEntry], Iterable[Any]]


# --------------------------------------------------------------------------- audiences


def notify(entry: AuditEntry) -> list[int]:
    """The people the acting context named in `data["notify"]` (cases, bookings...)."""
    return [pk for pk in entry.data.get("notify") or [] if isinstance(pk, int)]


def data_user(key: str) -> Audience:
    def audience(entry: AuditEntry) -> list[int]:
        value = entry.data.get(key)
        return [value] if isinstance(value, int) else []

    return audience


def tenant_role(*roles: str) -> Audience:
    def audience(entry: AuditEntry) -> list[int]:
        if entry.tenant_id is None:
            return []
        return list(
            User.objects.filter(tenant_id=entry.tenant_id, role__in=roles, is_active=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )

    return audience


customer_admins = tenant_role(Role.CUSTOMER_ADMIN)
customer_users = tenant_role(Role.CUSTOMER_ADMIN, Role.CUSTOMER_MEMBER)


def tenant_staff(field: str) -> Audience:
    """The tenant's named staff member (tam, business_manager, architect)."""

    def audience(entry: AuditEntry) -> list[int]:
        if entry.tenant_id is None:
            return []
        value = Tenant.objects.filter(pk=entry.tenant_id).values_list(f"{field}_id", flat=True)
        return [v for v in value if v]

    return audience


tenant_tam = tenant_staff("tam")
business_manager = tenant_staff("business_manager")


def staff_role(*roles: str) -> Audience:
    def audience(entry: AuditEntry) -> list[int]:
        return list(
            User.objects.filter(role__in=roles, is_active=True, tenant__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )

    return audience


support_managers = staff_role(Role.SUPPORT_MANAGER)
operators = staff_role(Role.PLATFORM_ADMIN, Role.SUPPORT_MANAGER)


def everyone(*audiences: Audience) -> Audience:
    def audience(entry: AuditEntry) -> list[int]:
        seen: list[int] = []
        for part in audiences:
            for pk in part(entry):
                if pk not in seen:
                    seen.append(pk)
        return seen

    return audience


def data_user_list(key: str) -> Audience:
    def audience(entry: AuditEntry) -> list[int]:
        return [pk for pk in entry.data.get(key) or [] if isinstance(pk, int)]

    return audience


def report_recipients(entry: AuditEntry) -> list[str]:
    explicit = entry.data.get("recipients")
    if isinstance(explicit, list) and explicit:
        return [str(a) for a in explicit]
    if entry.tenant_id is None:
        return []
    return Tenant.objects.get(pk=entry.tenant_id).report_recipients()


def registered_email(entry: AuditEntry) -> list[str]:
    if entry.tenant_id is None:
        return []
    return [
        e
        for e in Tenant.objects.filter(pk=entry.tenant_id).values_list(
            "registered_email", flat=True
        )
        if e
    ]


def nobody(entry: AuditEntry) -> list[int]:
    return []


def data_attachments(entry: AuditEntry) -> list[dict[str, str]]:
    """Files the acting context names in `data["attachments"]`: name, storage path, type."""
    out = []
    for item in entry.data.get("attachments") or []:
        if isinstance(item, dict) and item.get("name") and item.get("path"):
            out.append(
                {
                    "name": str(item["name"]),
                    "path": str(item["path"]),
                    "mimetype": str(item.get("mimetype") or "application/octet-stream"),
                }
            )
    return out


# --------------------------------------------------------------------------- facts & links


def site_url() -> str:
    return str(getattr(settings, "SUPPORTPLAN_SITE_URL", "http://127.0.0.1:8000")).rstrip("/")


def local_time(value: Any) -> str:
    """An ISO instant as Asia/Shanghai wall time (what every reader of the product sees)."""
    if not value:
        return ""
    try:
        instant = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if instant.tzinfo is None:
        return str(value)
    return clock.to_business(instant).strftime("%Y-%m-%d %H:%M") + " (UTC+8)"


def severity_name(provider: str, code: str, language: str) -> str:
    if not code:
        return ""
    try:
        from supportplan.catalog.selectors import current_catalog

        return current_catalog(provider).severity(code).name.get(language)
    except Exception:  # an unknown provider/severity still gets its code shown
        return code


def catalog_name(kind: str, provider: str, code: str, language: str) -> str:
    """A plan's or service's name from the provider's catalog, in `language`."""
    if not code:
        return ""
    try:
        from supportplan.catalog.selectors import current_catalog

        catalog = current_catalog(provider)
        item = catalog.plan(code) if kind == "plan" else catalog.service(code)
        return item.name.get(language)
    except Exception:  # unknown provider or code: show the code
        return code


_TERMS: dict[str, Promise] = {"annual": _("annual"), "monthly": _("monthly")}


def readable(entry: AuditEntry, language: str) -> dict[str, Any]:
    """The entry's data with codes replaced by names in `language` (plans, services, terms)."""
    data = {k: _flat(v, language) for k, v in entry.data.items()}
    provider = str(data.get("provider") or "")
    for key in ("plan", "to_plan", "from_plan", "fallback_plan"):
        if isinstance(data.get(key), str):
            data[key] = catalog_name("plan", provider, data[key], language)
    if isinstance(data.get("service"), str):
        data["service"] = catalog_name("service", provider, data["service"], language)
    if data.get("term") in _TERMS:
        data["term"] = str(_TERMS[data["term"]])
    return data


_FACT_LABELS: dict[str, Promise] = {
    "case": _("Case"),
    "subject": _("Subject"),
    "severity": _("Severity"),
    "queue": _("Queue"),
    "due": _("First response due"),
    "reason": _("Reason"),
    "summary": _("Summary"),
    "plan": _("Plan"),
    "service": _("Service"),
    "start_date": _("Start"),
    "end_date": _("End"),
    "month": _("Month"),
    "amount": _("Amount"),
    "term": _("Term"),
    "provider": _("Provider"),
    "status": _("Status"),
    "error": _("Error"),
    "kind": _("Kind"),
    "actions": _("Recommended actions"),
    "contact_due": _("Contact the customer by"),
    "handling_plan": _("Agreed handling plan"),
    "tenant": _("Customer"),
    "period": _("Month"),
    "detail": _("Detail"),
    "to_plan": _("New plan"),
    "effective_date": _("Effective on"),
    "order": _("Order"),
    "tickets": _("Cases opened"),
    "sla_attainment": _("First-response SLA met"),
    "advice": _("Recommendations"),
}

_TIER_NAMES: dict[str, Promise] = {
    "engineer": _("Technical engineer"),
    "expert": _("Technical expert"),
    "senior_expert": _("Senior technical expert"),
}


def case_facts(entry: AuditEntry, language: str) -> list[tuple[str, str]]:
    d = entry.data
    facts = [
        ("case", f"#{d.get('case_id', '')}"),
        ("subject", str(d.get("subject", ""))),
        (
            "severity",
            severity_name(str(d.get("provider", "")), str(d.get("severity", "")), language),
        ),
    ]
    queue = d.get("to_queue") or d.get("queue")
    if queue:
        facts.append(("queue", str(_TIER_NAMES.get(queue, queue))))
    if d.get("due") and entry.action in ("case.opened", "case.sla.warning", "case.sla.breached"):
        facts.append(("due", local_time(d["due"])))
    for key in ("reason", "summary"):
        if d.get(key):
            facts.append((key, str(d[key])))
    return facts


_GENERIC_KEYS = (
    "order",
    "plan",
    "to_plan",
    "service",
    "start_date",
    "end_date",
    "effective_date",
    "term",
    "amount",
    "status",
)


def generic_facts(entry: AuditEntry, language: str) -> list[tuple[str, str]]:
    facts = []
    data = readable(entry, language)
    for key in _GENERIC_KEYS:
        value = data.get(key)
        if value not in (None, "", []):
            facts.append((key, str(value)))
    if entry.data.get("reason"):
        facts.append(("reason", str(entry.data["reason"])))
    return facts


def advisory_facts(entry: AuditEntry, language: str) -> list[tuple[str, str]]:
    d = entry.data
    facts = []
    if d.get("tenant_name"):
        facts.append(("tenant", str(d["tenant_name"])))
    if d.get("severity"):
        facts.append(("severity", str(d.get("severity_label", {}).get(language) or d["severity"])))
    if d.get("kind"):
        facts.append(("kind", str(d.get("kind_label", {}).get(language) or d["kind"])))
    if d.get("contact_due") and entry.action in ("advisory.tam_task", "advisory.contact_overdue"):
        facts.append(("contact_due", local_time(d["contact_due"])))
    actions = (d.get("actions") or {}).get(language)
    if actions:
        facts.append(("actions", str(actions)))
    plan = d.get("handling_plan")
    if plan:
        facts.append(("handling_plan", str(plan)))
    return facts


def report_facts(entry: AuditEntry, language: str) -> list[tuple[str, str]]:
    d = entry.data
    return [(k, str(d[k])) for k in ("period", "reason", "detail") if d.get(k)]


def report_mail_facts(entry: AuditEntry, language: str) -> list[tuple[str, str]]:
    d = entry.data
    sla = d.get("sla_attainment")
    return [
        ("period", str(d.get("period", ""))),
        ("tickets", str(d.get("tickets", 0))),
        ("sla_attainment", f"{sla}%" if sla is not None else "—"),
        ("advice", str(d.get("advice", 0))),
    ]


def failure_facts(entry: AuditEntry, language: str) -> list[tuple[str, str]]:
    d = entry.data
    return [
        ("subject", str(d.get("subject", ""))),
        ("status", f"{d.get('channel', '')} → {d.get('recipient', '')}"),
        ("error", str(d.get("error", ""))[:300]),
    ]


def case_link(entry: AuditEntry) -> str:
    return f"{site_url()}/cases/{entry.data.get('case_id', '')}/"


def target_link(path: str, key: str) -> Callable[[AuditEntry], str]:
    def link(entry: AuditEntry) -> str:
        value = entry.data.get(key) or entry.target_id
        return f"{site_url()}/{path}/{value}/" if value else f"{site_url()}/"

    return link


def no_link(entry: AuditEntry) -> str:
    return ""


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Rule:
    topic: str
    subject: Promise  # "%(case_id)s", "%(subject)s" etc. from the entry's data
    intro: Promise
    people: Audience = notify
    email: bool = True
    in_app: bool = True
    tenant_im: bool = False
    team_im: bool = False
    addresses: Callable[[AuditEntry], list[str]] | None = None
    attachments: Callable[[AuditEntry], list[dict[str, str]]] | None = None
    facts: Callable[[AuditEntry, str], list[tuple[str, str]]] = generic_facts
    link: Callable[[AuditEntry], str] = no_link


def _case(subject: Promise, intro: Promise, **kw: Any) -> Rule:
    topic = kw.pop("topic", Topic.CASES)
    return Rule(topic=topic, subject=subject, intro=intro, facts=case_facts, link=case_link, **kw)


_booking_link = target_link("bookings", "booking_id")
_report_link = target_link("reports", "report_id")
_advisory_link = target_link("advisories", "advisory_id")
_sub_people = everyone(notify, customer_admins, business_manager)
_booking_people = everyone(notify, customer_admins, tenant_tam)


def _booking(subject: Promise, intro: Promise, tenant_im: bool = False) -> Rule:
    return Rule(
        Topic.BOOKINGS, subject, intro, _booking_people, tenant_im=tenant_im, link=_booking_link
    )


def _sub(subject: Promise, intro: Promise) -> Rule:
    return Rule(Topic.SUBSCRIPTIONS, subject, intro, _sub_people)


RULES: dict[str, Rule] = {
    # ---- support cases (supportplan.cases.services; data carries notify, case_id, subject…)
    "case.opened": _case(
        _("[Case #%(case_id)s] Opened: %(subject)s"),
        _("A support case was opened. We will respond within the time the plan promises."),
        people=everyone(data_user("requester_id"), notify),
        tenant_im=True,
        team_im=True,
    ),
    "case.assigned": _case(
        _("[Case #%(case_id)s] Assigned to you: %(subject)s"),
        _("This case is now yours to handle."),
        email=False,
    ),
    "case.replied": _case(
        _("[Case #%(case_id)s] New reply from support: %(subject)s"),
        _("Support replied to your case. Read and answer it in the portal."),
    ),
    "case.customer_replied": _case(
        _("[Case #%(case_id)s] The customer replied: %(subject)s"),
        _("The customer added a reply to the case."),
    ),
    "case.waiting_on_customer": _case(
        _("[Case #%(case_id)s] Waiting for your answer: %(subject)s"),
        _("Support needs information from you to continue."),
    ),
    "case.escalated": _case(
        _("[Case #%(case_id)s] Escalated: %(subject)s"),
        _("The case was escalated to a higher tier."),
        team_im=True,
    ),
    "case.sla.warning": _case(
        _("[Case #%(case_id)s] First response due soon: %(subject)s"),
        _("The first-response time for this case is about to run out."),
        topic=Topic.SLA,
        team_im=True,
    ),
    "case.sla.breached": _case(
        _("[Case #%(case_id)s] First-response time missed: %(subject)s"),
        _("The first-response target for this case was missed."),
        topic=Topic.SLA,
        people=everyone(notify, data_user("tam_id")),
        team_im=True,
    ),
    "case.resolved": _case(
        _("[Case #%(case_id)s] Resolved: %(subject)s"),
        _("Support marked your case as resolved. Reply if the problem is still there."),
        tenant_im=True,
    ),
    "case.reopened": _case(
        _("[Case #%(case_id)s] Reopened: %(subject)s"),
        _("The case was reopened."),
    ),
    "case.closed": _case(
        _("[Case #%(case_id)s] Closed: %(subject)s"),
        _("The case is closed. Open a new case if you need more help."),
        email=False,
    ),
    "case.scope_flagged": _case(
        _("[Case #%(case_id)s] Outside the support scope: %(subject)s"),
        _(
            "Part of this request is outside what the plan covers; the case explains where to go instead."
        ),
    ),
    # ---- value-added service bookings (supportplan.bookings)
    "booking.requested": _booking(
        _("Service request received: %(service)s"),
        _("Your request for a value-added service was received."),
    ),
    "booking.confirmed": _booking(
        _("Service confirmed: %(service)s"),
        _("The value-added service is confirmed for the dates below."),
        tenant_im=True,
    ),
    "booking.rescheduled": _booking(
        _("Service rescheduled: %(service)s"),
        _("The dates of the value-added service changed."),
        tenant_im=True,
    ),
    "booking.cancelled": _booking(
        _("Service cancelled: %(service)s"),
        _("The value-added service was cancelled."),
        tenant_im=True,
    ),
    "booking.rejected": _booking(
        _("Service request declined: %(service)s"),
        _("The value-added service request was declined; the reason is below."),
    ),
    "booking.delivered": _booking(
        _("Service delivered: %(service)s"),
        _("The value-added service was delivered. Please confirm and rate it."),
    ),
    "booking.awaiting_payment": _booking(
        _("Pay to confirm the service: %(service)s"),
        _("The service is booked; it is confirmed once the add-on order is paid."),
    ),
    "booking.escort_case": Rule(
        Topic.BOOKINGS,
        _("[Escort] A case was opened during the escort: #%(case_id)s"),
        _(
            "A case of the escorted customer was opened while the escort runs; the escort team takes it at once."
        ),
        people=data_user_list("team_user_ids"),
        facts=generic_facts,
        link=case_link,
    ),
    # ---- orders and subscriptions (supportplan.subscriptions)
    "order.placed": _sub(_("Order placed: %(plan)s"), _("Your order was placed.")),
    "order.paid": _sub(_("Payment received: %(plan)s"), _("Thank you, the payment was received.")),
    "payment.failed": _sub(
        _("Payment failed: %(plan)s"), _("The payment did not go through; please try again.")
    ),
    "subscription.waiting_for_contact": _sub(
        _("Name a technical contact to start your plan: %(plan)s"),
        _("The plan is paid. Its service starts once your organisation names a technical contact."),
    ),
    "subscription.activated": _sub(
        _("Support plan active: %(plan)s"), _("Your support plan is now in force.")
    ),
    "subscription.renewed": _sub(
        _("Support plan renewed: %(plan)s"), _("Your support plan was renewed.")
    ),
    "subscription.changed": _sub(
        _("Support plan upgraded to %(to_plan)s"), _("The upgrade takes effect at once.")
    ),
    "subscription.change_scheduled": _sub(
        _("Plan change to %(to_plan)s scheduled"),
        _("The change takes effect at the end of the current period."),
    ),
    "subscription.unsubscribed": _sub(
        _("Support plan ends: %(plan)s"),
        _("The plan ends at the end of the current period."),
    ),
    "subscription.auto_renewal_failed": _sub(
        _("Automatic renewal failed: %(plan)s"),
        _(
            "The plan could not be renewed automatically. Renew it by hand to keep your entitlements."
        ),
    ),
    "subscription.expired": _sub(_("Support plan ended: %(plan)s"), _("Your support plan ended.")),
    # ---- monthly reports (supportplan.reports): ready -> message centre; mailed -> the PDF
    # to the registered and extra report addresses in the tenant's language
    "report.ready": Rule(
        Topic.REPORTS,
        _("Monthly service report %(period)s is ready"),
        _("Your monthly service report is ready to read and download in the portal."),
        people=customer_admins,
        email=False,
        link=_report_link,
    ),
    "report.mailed": Rule(
        Topic.REPORTS,
        _("Monthly service report %(period)s · %(tenant_name)s"),
        _(
            "Your monthly service report is attached as a PDF. You can also read it in the support portal."
        ),
        people=nobody,
        in_app=False,
        addresses=report_recipients,
        attachments=data_attachments,
        facts=report_mail_facts,
        link=_report_link,
    ),
    "report.not_generated": Rule(
        Topic.REPORTS,
        _("Monthly service report %(period)s was not generated"),
        _("This month's report could not be generated; the reason is below."),
        people=everyone(customer_admins, tenant_tam),
        facts=report_facts,
    ),
    # ---- advisories (supportplan.advisories; TAM first for enterprise care)
    "advisory.tam_task": Rule(
        Topic.ADVISORIES,
        _("[Advisory] Contact %(tenant_name)s first: %(title)s"),
        _(
            "An advisory affects a customer of yours on the enterprise care plan. Contact them and agree on a handling plan before they are notified."
        ),
        people=everyone(data_user("tam_id"), notify),
        facts=advisory_facts,
        link=_advisory_link,
    ),
    "advisory.contact_overdue": Rule(
        Topic.ADVISORIES,
        _("[Advisory] Customer not yet contacted: %(tenant_name)s"),
        _(
            "The contact time for this advisory passed without a recorded contact; the customer is being notified now."
        ),
        people=everyone(data_user("tam_id"), support_managers),
        facts=advisory_facts,
        link=_advisory_link,
    ),
    "advisory.notice": Rule(
        Topic.ADVISORIES,
        _("[Advisory] %(title)s"),
        _(
            "An advisory affects your cloud resources. Please read the recommended actions and acknowledge it."
        ),
        people=customer_users,
        addresses=registered_email,
        tenant_im=True,
        facts=advisory_facts,
        link=_advisory_link,
    ),
    "advisory.plan_recorded": Rule(
        Topic.ADVISORIES,
        _("[Advisory] Handling plan agreed: %(title)s"),
        _("Your technical account manager recorded the handling plan agreed with you."),
        people=customer_admins,
        email=False,
        facts=advisory_facts,
        link=_advisory_link,
    ),
    "advisory.acknowledged": Rule(
        Topic.ADVISORIES,
        _("[Advisory] %(tenant_name)s acknowledged: %(title)s"),
        _("The customer acknowledged the advisory."),
        people=data_user("tam_id"),
        email=False,
        facts=advisory_facts,
        link=_advisory_link,
    ),
    # ---- delivery itself
    "notification.failed": Rule(
        Topic.SYSTEM,
        _("A notification could not be delivered"),
        _("Delivery was given up. See the delivery log for every attempt."),
        people=operators,
        email=False,  # the failing channel may be e-mail itself
        facts=failure_facts,
    ),
}

# Codes a context may add later still reach people: the prefix rule sends a generic notice
# to the people it names in `notify` (and customer admins for subscriptions).
PREFIX_RULES: dict[str, Rule] = {
    "booking.": _booking(
        _("Service booking update: %(service)s"), _("A value-added service booking changed.")
    ),
    "order.": _sub(_("Order update: %(plan)s"), _("Your order changed.")),
    "subscription.": _sub(_("Subscription update: %(plan)s"), _("Your subscription changed.")),
}


# Steps of a flow that tell nobody anything new (the next step does).
SILENT = frozenset(
    {
        "order.agreement_accepted",
        "order.payment_started",
        "subscription.auto_renew_set",
        "subscription.auto_renewal_placed",
        "booking.rated",
        "booking.accepted",
    }
)


def rule_for(action: str) -> Rule | None:
    rule = RULES.get(action)
    if rule is not None:
        return rule
    if action in SILENT:
        return None
    for prefix, prefix_rule in PREFIX_RULES.items():
        if action.startswith(prefix):
            return prefix_rule
    return None


class _Defaulting(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return ""


def render(rule: Rule, entry: AuditEntry, language: str) -> Content:
    """The message for `entry` in `language`."""
    with translation.override(language):
        params = _Defaulting(readable(entry, language))
        subject = str(rule.subject)
        with contextlib.suppress(TypeError, ValueError):
            subject = subject % params
        facts = tuple(
            (str(_FACT_LABELS.get(key, key)), value) for key, value in rule.facts(entry, language)
        )
        return Content(
            subject=subject.strip(),
            intro=str(rule.intro),
            facts=facts,
            link=rule.link(entry),
            footer=gettext(
                "You receive this because of your support plan. Change what you receive under Notifications in the portal."
            ),
        )


def _flat(value: Any, language: str) -> Any:
    if isinstance(value, dict) and language in value:
        return value[language]
    return value


@dataclass(frozen=True)
class Planned:
    """One message the dispatcher wants sent (before preferences and entitlements)."""

    channel: str
    user_id: int | None = None
    address: str = ""
    robot_id: int | None = None


def channels_for_person(rule: Rule) -> tuple[str, ...]:
    chans = []
    if rule.email:
        chans.append(Channel.EMAIL.value)
    if rule.in_app:
        chans.append(Channel.IN_APP.value)
    return tuple(chans)
