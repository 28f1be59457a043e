"""Advisory use cases: draft, publish (targeting, TAM first), the TAM's contact and handling
plan, the customer's acknowledgement, the overdue-contact sweep, and the software inventory.

Every step writes an audit entry; the notifications dispatch table turns
`advisory.tam_task`, `advisory.notice`, `advisory.contact_overdue` and
`advisory.acknowledged` into messages.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from supportplan.accounts import permissions as perms
from supportplan.accounts.models import RegisteredSystem, Role, Tenant, User
from supportplan.catalog.selectors import known_clouds
from supportplan.core.audit import audit_log
from supportplan.core.errors import Conflict, DomainError, PermissionDenied
from supportplan.core.locking import lock_rows

from . import domain, selectors
from .models import (
    PLANNED_EVENT,
    Advisory,
    AdvisoryTarget,
    Kind,
    NoticeReason,
    Severity,
    SoftwareItem,
    State,
    TargetStatus,
)

LANGUAGES = ("zh-hans", "en")
PUBLISH_ROLES = frozenset({Role.PLATFORM_ADMIN, Role.SUPPORT_MANAGER, Role.TAM, Role.SENIOR_EXPERT})
DEFAULT_CONTACT_WITHIN = timedelta(hours=2)
MDR_URL = "https://support.huaweicloud.com/mdr/index.html"


def default_contact_within() -> timedelta:
    value = getattr(settings, "ADVISORY_TAM_CONTACT_WITHIN", DEFAULT_CONTACT_WITHIN)
    return value if isinstance(value, timedelta) else timedelta(seconds=float(value))


# --------------------------------------------------------------------------- validation


def _require_publisher(actor: Any) -> None:
    if not perms.has_role(actor, PUBLISH_ROLES):
        raise PermissionDenied(
            "advisory.publish_forbidden",
            _("Only support managers, TAMs and senior experts can write advisories."),
        )


def _pair(value: Any, field: str, label: Any, *, required: bool) -> dict[str, str]:
    data = value if isinstance(value, dict) else {}
    cleaned = {lang: str(data.get(lang) or "").strip() for lang in LANGUAGES}
    missing = [lang for lang in LANGUAGES if not cleaned[lang]]
    if (required and missing) or (not required and missing and len(missing) < len(LANGUAGES)):
        raise DomainError(
            "advisory.text_missing_language",
            _("Write the %(what)s in both Chinese and English (missing: %(languages)s)."),
            what=label,
            languages=", ".join(missing),
            field=field,
        )
    return cleaned if not missing else {}


def _check_kind(kind: str) -> None:
    if kind == PLANNED_EVENT:
        raise DomainError(
            "advisory.planned_event_out_of_scope",
            _(
                "Planned events such as an annual security drill are not covered by the "
                "enterprise care plan, so they cannot be published as advisories. For "
                "protection during such an event, a managed detection and response (MDR) "
                "product can be bought, e.g. %(url)s"
            ),
            url=MDR_URL,
            field="kind",
        )
    if kind not in Kind.values:
        raise DomainError(
            "advisory.kind_unknown",
            _("Choose the kind of advisory: %(kinds)s."),
            kinds=", ".join(Kind.values),
            field="kind",
        )


def _check_severity(severity: str) -> None:
    if severity not in Severity.values:
        raise DomainError(
            "advisory.severity_unknown",
            _("Choose a severity: %(levels)s."),
            levels=", ".join(Severity.values),
            field="severity",
        )


def _clean_list(value: Any, field: str) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DomainError(
            "advisory.list_expected",
            _("%(what)s must be a list of texts."),
            what=field,
            field=field,
        )
    return sorted({v.strip() for v in value if v.strip()})


def _clean_clouds(value: Any) -> list[str]:
    clouds = _clean_list(value, "clouds")
    known = known_clouds()
    unknown = [c for c in clouds if c not in known]
    if unknown:
        raise DomainError(
            "advisory.cloud_unknown",
            _("Unknown cloud %(clouds)s. Use: %(known)s."),
            clouds=", ".join(unknown),
            known=", ".join(known),
            field="clouds",
        )
    return clouds


def _clean_software(value: Any) -> list[dict[str, str]]:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise DomainError(
            "advisory.software_invalid",
            _('List the software as [{"name": "OpenSSH", "versions": "<9.8"}, …].'),
            field="software",
        )
    cleaned = []
    for item in value:
        name = str(item.get("name", "")).strip() if isinstance(item, dict) else ""
        versions = str(item.get("versions", "") or "").strip() if isinstance(item, dict) else ""
        if not name:
            raise DomainError(
                "advisory.software_invalid",
                _('List the software as [{"name": "OpenSSH", "versions": "<9.8"}, …].'),
                field="software",
            )
        if domain.spec_problem(versions):
            raise DomainError(
                "advisory.software_versions_invalid",
                _(
                    "“%(versions)s” is not a version range. Write it like <9.8, >=2.4,<2.6 "
                    "or ==5.7.*; leave it empty for every version."
                ),
                versions=versions,
                field="software",
            )
        cleaned.append({"name": name, "versions": versions})
    return cleaned


# --------------------------------------------------------------------------- drafting


@transaction.atomic
def advisory_create(
    *,
    actor: User,
    kind: str,
    severity: str,
    title: dict[str, str],
    body: dict[str, str],
    now: datetime,
    actions: dict[str, str] | None = None,
    clouds: list[str] | None = None,
    products: list[str] | None = None,
    regions: list[str] | None = None,
    software: list[dict[str, str]] | None = None,
    contact_within: timedelta | None = None,
) -> Advisory:
    _require_publisher(actor)
    _check_kind(kind)
    _check_severity(severity)
    if contact_within is not None and contact_within <= timedelta(0):
        raise DomainError(
            "advisory.contact_within_invalid",
            _("The TAM contact time must be longer than zero."),
            field="contact_within",
        )
    advisory = Advisory.objects.create(
        kind=kind,
        severity=severity,
        title=_pair(title, "title", _("title"), required=True),
        body=_pair(body, "body", _("description"), required=True),
        actions=_pair(actions, "actions", _("recommended actions"), required=False),
        clouds=_clean_clouds(clouds),
        products=_clean_list(products, "products"),
        regions=_clean_list(regions, "regions"),
        software=_clean_software(software),
        contact_within=contact_within,
        created_by=actor,
        created_at=now,
    )
    audit_log(
        action="advisory.drafted",
        at=now,
        actor=actor,
        target=advisory,
        data={"advisory_id": advisory.pk, "kind": kind, "severity": severity},
    )
    return advisory


# --------------------------------------------------------------------------- publishing


def _labels(advisory: Advisory) -> dict[str, Any]:
    """Bilingual texts the notifications render in each recipient's language."""
    kind_label, severity_label = {}, {}
    for lang in LANGUAGES:
        with translation.override(lang):
            kind_label[lang] = str(Kind(advisory.kind).label)
            severity_label[lang] = str(Severity(advisory.severity).label)
    return {
        "advisory_id": advisory.pk,
        "title": advisory.title,
        "kind": advisory.kind,
        "kind_label": kind_label,
        "severity": advisory.severity,
        "severity_label": severity_label,
        "actions": advisory.actions,
    }


def _target_data(target: AdvisoryTarget, **extra: Any) -> dict[str, Any]:
    return {
        **_labels(target.advisory),
        "target_id": target.pk,
        "tenant_name": target.tenant.name,
        "tam_id": target.tam_id,
        "care": target.care,
        "contact_due": target.contact_due.isoformat() if target.contact_due else None,
        **extra,
    }


def _notify_customer(target: AdvisoryTarget, reason: str, now: datetime, actor: Any = None) -> None:
    target.notified_at = now
    target.notified_reason = reason
    if target.status == TargetStatus.AWAITING_TAM:
        target.status = TargetStatus.NOTIFIED
    target.save(update_fields=["notified_at", "notified_reason", "status"])
    audit_log(
        action="advisory.notice",
        at=now,
        actor=actor,
        tenant=target.tenant,
        target=target,
        data=_target_data(target, reason=reason, handling_plan=target.handling_plan or None),
    )


@transaction.atomic
def advisory_publish(*, actor: User, advisory: Advisory, now: datetime) -> list[AdvisoryTarget]:
    """Publish: find the matching tenants; TAM task first for enterprise care, the ordinary
    notice for everyone else. Publishing twice is refused."""
    _require_publisher(actor)
    [advisory] = lock_rows(Advisory, [advisory.pk])
    if advisory.state == State.PUBLISHED:
        raise Conflict("advisory.already_published", _("This advisory is already published."))
    advisory.state = State.PUBLISHED
    advisory.published_at = now
    advisory.published_by = actor
    advisory.save(update_fields=["state", "published_at", "published_by"])
    scope = selectors.scope_of(advisory)
    within = advisory.contact_within or default_contact_within()
    targets: list[AdvisoryTarget] = []
    unknown: dict[str, list[str]] = {}
    for tenant in Tenant.objects.select_related("tam").order_by("name", "pk"):
        found = domain.match(scope, selectors.profile_of(tenant))
        if found.unknown and not found.matched:
            unknown[tenant.name] = list(found.unknown)
        if not found.matched:
            continue
        care = selectors.enterprise_care_in_force(tenant, now)
        target = AdvisoryTarget.objects.create(
            advisory=advisory,
            tenant=tenant,
            care=care,
            matched=list(found.reasons),
            tam=tenant.tam if care else None,
            status=TargetStatus.AWAITING_TAM if care else TargetStatus.NOTIFIED,
            contact_due=now + within if care else None,
        )
        targets.append(target)
        if care:
            managers = [] if tenant.tam_id else _support_managers()
            audit_log(
                action="advisory.tam_task",
                at=now,
                actor=actor,
                tenant=tenant,
                target=target,
                data=_target_data(target, notify=managers),
            )
        else:
            _notify_customer(target, NoticeReason.NO_ENTERPRISE_CARE, now, actor)
    audit_log(
        action="advisory.published",
        at=now,
        actor=actor,
        target=advisory,
        data={
            **_labels(advisory),
            "tenants": len(targets),
            "care_tenants": sum(1 for t in targets if t.care),
            # tenants left out because a version could not be judged: the publisher asks them
            "version_unknown": unknown,
        },
    )
    return targets


def _support_managers() -> list[int]:
    return list(
        User.objects.filter(role=Role.SUPPORT_MANAGER, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _may_work_target(actor: Any, target: AdvisoryTarget) -> bool:
    if not perms.is_staff(actor):
        return False
    if perms.has_role(actor, {Role.PLATFORM_ADMIN, Role.SUPPORT_MANAGER}):
        return True
    return target.tam_id is not None and actor.pk == target.tam_id


def _locked(target: AdvisoryTarget) -> AdvisoryTarget:
    [locked] = lock_rows(AdvisoryTarget, [target.pk])
    locked.advisory = Advisory.objects.get(pk=locked.advisory_id)
    locked.tenant = Tenant.objects.get(pk=locked.tenant_id)
    return locked


@transaction.atomic
def advisory_record_contact(
    *,
    actor: User,
    target: AdvisoryTarget,
    now: datetime,
    note: str = "",
    handling_plan: str = "",
) -> AdvisoryTarget:
    """The TAM reached the customer. The customer's people are notified now (TAM first)."""
    if not _may_work_target(actor, target):
        raise PermissionDenied(
            "advisory.not_your_customer",
            _("Only the customer's TAM or a support manager can record this contact."),
        )
    target = _locked(target)
    if not target.care:
        raise Conflict(
            "advisory.no_contact_task",
            _("This customer has no enterprise care plan; there is no contact task."),
        )
    if target.contacted_at is not None:
        raise Conflict(
            "advisory.already_contacted",
            _("The contact was already recorded on %(at)s."),
            at=target.contacted_at.isoformat(),
        )
    target.contacted_at = now
    target.contacted_by = actor
    target.contact_note = note.strip()[:5000]
    fields = ["contacted_at", "contacted_by", "contact_note"]
    if handling_plan.strip():
        target.handling_plan = handling_plan.strip()[:10000]
        target.plan_recorded_at = now
        target.plan_recorded_by = actor
        fields += ["handling_plan", "plan_recorded_at", "plan_recorded_by"]
    target.save(update_fields=fields)
    audit_log(
        action="advisory.contacted",
        at=now,
        actor=actor,
        tenant=target.tenant,
        target=target,
        data=_target_data(target, note=target.contact_note),
    )
    if target.notified_at is None:
        _notify_customer(target, NoticeReason.TAM_CONTACTED, now, actor)
    return target


@transaction.atomic
def advisory_record_plan(
    *, actor: User, target: AdvisoryTarget, handling_plan: str, now: datetime
) -> AdvisoryTarget:
    """The handling plan agreed with the customer (may follow the first contact)."""
    if not _may_work_target(actor, target):
        raise PermissionDenied(
            "advisory.not_your_customer",
            _("Only the customer's TAM or a support manager can record this contact."),
        )
    plan = (handling_plan or "").strip()
    if not plan:
        raise DomainError(
            "advisory.plan_required",
            _("Write down the handling plan agreed with the customer."),
            field="handling_plan",
        )
    target = _locked(target)
    target.handling_plan = plan[:10000]
    target.plan_recorded_at = now
    target.plan_recorded_by = actor
    target.save(update_fields=["handling_plan", "plan_recorded_at", "plan_recorded_by"])
    audit_log(
        action="advisory.plan_recorded",
        at=now,
        actor=actor,
        tenant=target.tenant,
        target=target,
        data=_target_data(target, handling_plan=target.handling_plan),
    )
    return target


@transaction.atomic
def advisory_acknowledge(*, actor: User, advisory: Advisory, now: datetime) -> AdvisoryTarget:
    """A person of a notified organisation confirms they have read the advisory."""
    if not actor.is_customer or actor.tenant is None:
        raise PermissionDenied(
            "advisory.customer_only", _("Only the customer's people acknowledge an advisory.")
        )
    target = selectors.target_of(advisory, actor.tenant)
    if target is None or target.notified_at is None:
        from supportplan.core.errors import NotFound

        raise NotFound(_("Advisory"))
    target = _locked(target)
    if target.acknowledged_at is not None:
        return target  # acknowledging twice changes nothing
    target.acknowledged_at = now
    target.acknowledged_by = actor
    target.status = TargetStatus.ACKNOWLEDGED
    target.save(update_fields=["acknowledged_at", "acknowledged_by", "status"])
    audit_log(
        action="advisory.acknowledged",
        at=now,
        actor=actor,
        tenant=target.tenant,
        target=target,
        data=_target_data(target),
    )
    return target


def advisory_contact_sweep(*, now: datetime) -> list[int]:
    """Contacts not recorded in time: tell the TAM and managers, and notify the customer
    anyway (our rule: an advisory must not wait on a busy TAM forever). Idempotent."""
    due = list(
        AdvisoryTarget.objects.filter(
            care=True, contacted_at__isnull=True, notified_at__isnull=True, contact_due__lte=now
        )
        .order_by("contact_due", "pk")
        .values_list("pk", flat=True)
    )
    done: list[int] = []
    for pk in due:
        with transaction.atomic():
            [target] = lock_rows(AdvisoryTarget, [pk])
            if target.notified_at is not None or target.contacted_at is not None:
                continue
            target.advisory = Advisory.objects.get(pk=target.advisory_id)
            target.tenant = Tenant.objects.get(pk=target.tenant_id)
            target.overdue_at = now
            target.save(update_fields=["overdue_at"])
            audit_log(
                action="advisory.contact_overdue",
                at=now,
                tenant=target.tenant,
                target=target,
                data=_target_data(target),
            )
            _notify_customer(target, NoticeReason.CONTACT_OVERDUE, now)
            done.append(pk)
    return done


# --------------------------------------------------------------------------- inventory


@transaction.atomic
def software_add(
    *,
    actor: User,
    tenant: Tenant,
    name: str,
    now: datetime,
    version: str = "",
    system: RegisteredSystem | None = None,
) -> SoftwareItem:
    perms.require_tenant_admin(actor, tenant)
    name = (name or "").strip()
    if not name:
        raise DomainError("software.name_required", _("Name the software."), field="name")
    if system is not None and system.tenant_id != tenant.pk:
        raise DomainError(
            "software.system_foreign",
            _("Choose one of your organisation's registered systems."),
            field="system",
        )
    version = (version or "").strip()
    if (
        SoftwareItem.objects.for_tenant(tenant)
        .filter(name__iexact=name, version=version, system=system)
        .exists()
    ):
        raise Conflict(
            "software.duplicate",
            _("%(name)s %(version)s is already in the inventory."),
            name=name,
            version=version,
        )
    item = SoftwareItem.objects.create(
        tenant=tenant, name=name[:100], version=version[:60], system=system, created_at=now
    )
    audit_log(
        action="tenant.software.added",
        at=now,
        actor=actor,
        tenant=tenant,
        target=item,
        data={"name": item.name, "version": item.version},
    )
    return item


@transaction.atomic
def software_remove(*, actor: User, item: SoftwareItem, now: datetime) -> None:
    perms.require_tenant_admin(actor, item.tenant)
    audit_log(
        action="tenant.software.removed",
        at=now,
        actor=actor,
        tenant=item.tenant,
        target=item,
        data={"name": item.name, "version": item.version},
    )
    item.delete()
