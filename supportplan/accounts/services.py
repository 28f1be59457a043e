"""Write use cases for tenants and people."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from supportplan.core.audit import audit_log
from supportplan.core.errors import DomainError, PermissionDenied

from .models import (
    CUSTOMER_ROLES,
    STAFF_ROLES,
    CloudAccount,
    HandlerTier,
    RegisteredSystem,
    Role,
    SystemClass,
    Tenant,
    User,
)


@transaction.atomic
def tenant_create(
    *,
    name: str,
    registered_email: str,
    now: datetime,
    actor: User | None = None,
    slug: str = "",
    language: str = "zh-hans",
    report_emails: list[str] | None = None,
    awaiting_approval: bool = False,
) -> Tenant:
    name = name.strip()
    if not name:
        raise DomainError("tenant.name_required", _("Give the organisation a name."), field="name")
    if Tenant.objects.filter(name=name).exists():
        raise DomainError(
            "tenant.name_taken",
            _("A tenant named %(name)s already exists."),
            name=name,
            field="name",
        )
    tenant = Tenant.objects.create(
        name=name,
        slug=slug or slugify(name, allow_unicode=False) or f"tenant-{Tenant.objects.count() + 1}",
        registered_email=registered_email,
        report_emails=list(report_emails or []),
        language=language,
        created_at=now,
        awaiting_approval=awaiting_approval,
    )
    audit_log(
        action="tenant.registered" if awaiting_approval else "tenant.created",
        at=now,
        actor=actor,
        tenant=tenant,
        target=tenant,
        data={"name": name},
    )
    return tenant


@transaction.atomic
def tenant_approve(*, actor: User, tenant: Tenant, now: datetime) -> Tenant:
    """Staff accept an organisation that registered itself, once its administrator's e-mail
    address is verified; from then on its people may open cases."""
    from allauth.account.models import EmailAddress

    from . import permissions as perms

    perms.require_role(actor, perms.ONBOARD_ORGANISATIONS)
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if not tenant.awaiting_approval:
        return tenant
    if not EmailAddress.objects.filter(
        user__tenant=tenant, user__role=Role.CUSTOMER_ADMIN, verified=True
    ).exists():
        raise DomainError(
            "tenant.email_unverified",
            _("The organisation's administrator has not verified their e-mail address yet."),
        )
    tenant.awaiting_approval = False
    tenant.save(update_fields=["awaiting_approval"])
    audit_log(action="tenant.approved", at=now, actor=actor, tenant=tenant, target=tenant, data={})
    return tenant


# What tenant_update may change (the admin's change form hands exactly these to it).
TENANT_UPDATABLE = frozenset(
    {
        "registered_email",
        "report_emails",
        "language",
        "technical_contact_name",
        "technical_contact_email",
        "technical_contact_phone",
        "in_proof_of_concept",
        "tam",
        "business_manager",
        "architect",
    }
)


@transaction.atomic
def tenant_update(*, tenant: Tenant, actor: User | None, now: datetime, **fields: Any) -> Tenant:
    unknown = set(fields) - TENANT_UPDATABLE
    if unknown:
        raise DomainError(
            "tenant.unknown_fields",
            _("These fields cannot be changed: %(fields)s."),
            fields=", ".join(sorted(unknown)),
        )
    assigned = {k: fields[k] for k in STAFF_ASSIGNMENTS if k in fields}
    if any(getattr(tenant, f"{k}_id") != getattr(v, "pk", v) for k, v in assigned.items()):
        from . import permissions as perms

        if actor is not None and not perms.has_role(actor, perms.MANAGE_TENANTS):
            raise PermissionDenied(
                "tenant.assign_forbidden",
                _(
                    "Only account-management staff assign an organisation's TAM, business manager or architect."
                ),
            )
    changed = {}
    for key, value in fields.items():
        if key in STAFF_ASSIGNMENTS:
            before_id = getattr(tenant, f"{key}_id")
            if before_id != getattr(value, "pk", value):
                _check_assignee(key, value)
                setattr(tenant, key, value)
                tenant.save(update_fields=[key])
                audit_log(
                    action=f"tenant.{key}.changed",
                    at=now,
                    actor=actor,
                    tenant=tenant,
                    target=tenant,
                    data={"before": before_id, "after": getattr(value, "pk", None)},
                )
            continue
        if getattr(tenant, key) != value:
            setattr(tenant, key, value)
            changed[key] = value.pk if hasattr(value, "pk") else value
    if changed:
        tenant.save(update_fields=list(changed))
        audit_log(
            action="tenant.updated", at=now, actor=actor, tenant=tenant, target=tenant, data=changed
        )
    return tenant


# Who may hold each of an organisation's staff assignments (as Tenant's limit_choices_to).
STAFF_ASSIGNMENTS = {
    "tam": {Role.TAM, Role.SENIOR_EXPERT},
    "business_manager": {Role.BUSINESS_MANAGER},
    "architect": {Role.ARCHITECT},
}


def _check_assignee(key: str, person: User | None) -> None:
    if person is None:
        return
    if person.role not in STAFF_ASSIGNMENTS[key] or not person.is_active:
        raise DomainError(
            "tenant.bad_assignee",
            _("%(user)s cannot be this organisation's %(what)s."),
            user=person.get_username(),
            what=getattr(Tenant._meta.get_field(key), "verbose_name", key),
            field=key,
        )


@transaction.atomic
def user_create(
    *,
    username: str,
    role: str,
    now: datetime,
    password: str | None = None,
    tenant: Tenant | None = None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    handler_tier: str = "",
    language: str = "zh-hans",
    actor: User | None = None,
) -> User:
    if role in CUSTOMER_ROLES and tenant is None:
        raise DomainError("user.tenant_required", _("A customer user must belong to a tenant."))
    if role in STAFF_ROLES and tenant is not None:
        raise DomainError(
            "user.staff_without_tenant", _("Provider staff do not belong to a tenant.")
        )
    if role not in CUSTOMER_ROLES | STAFF_ROLES:
        raise DomainError("user.unknown_role", _("Unknown role %(role)s."), role=role)
    if User.objects.filter(username=username).exists():
        raise DomainError(
            "user.username_taken", _("The user name %(username)s is taken."), username=username
        )
    user = User(
        username=username,
        role=role,
        tenant=tenant,
        email=email,
        first_name=first_name,
        last_name=last_name,
        handler_tier=handler_tier,
        language=language,
        date_joined=now,
        is_staff=role == "platform_admin",
        is_superuser=role == "platform_admin",
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit_log(
        action="user.created", at=now, actor=actor, tenant=tenant, target=user, data={"role": role}
    )
    return user


@transaction.atomic
def system_register(
    *,
    tenant: Tenant,
    name: str,
    classification: str,
    now: datetime,
    actor: User | None = None,
    description: str = "",
    cloud: str = "",
) -> RegisteredSystem:
    if classification not in SystemClass.values:
        raise DomainError(
            "system.bad_classification",
            _("Classification must be one of: %(choices)s."),
            choices=", ".join(SystemClass.values),
            field="classification",
        )
    if RegisteredSystem.objects.for_tenant(tenant).filter(name=name).exists():
        raise DomainError(
            "system.name_taken",
            _("A system named %(name)s is already registered."),
            name=name,
            field="name",
        )
    system = RegisteredSystem.objects.create(
        tenant=tenant,
        name=name,
        classification=classification,
        description=description,
        cloud=cloud,
    )
    audit_log(
        action="tenant.system.registered",
        at=now,
        actor=actor,
        tenant=tenant,
        target=system,
        data={"name": name, "classification": classification},
    )
    return system


@transaction.atomic
def cloud_account_add(
    *,
    tenant: Tenant,
    cloud: str,
    account_id: str,
    now: datetime,
    actor: User | None = None,
    display_name: str = "",
    regions: list[str] | None = None,
) -> CloudAccount:
    if CloudAccount.objects.filter(cloud=cloud, account_id=account_id).exists():
        raise DomainError(
            "cloud_account.taken",
            _("This cloud account is already registered."),
            field="account_id",
        )
    account = CloudAccount.objects.create(
        tenant=tenant,
        cloud=cloud,
        account_id=account_id,
        display_name=display_name,
        regions=regions or [],
    )
    audit_log(
        action="tenant.cloud_account.added",
        at=now,
        actor=actor,
        tenant=tenant,
        target=account,
        data={"cloud": cloud, "account_id": account_id},
    )
    return account


# --------------------------------------------------------------------------- who may do what
# Every change of a person's rights goes through `user_access_change` (web, API and the
# Django admin alike) and writes one audit entry per aspect, with the value before and after.

ACCESS_FIELDS = ("role", "handler_tier", "is_active", "is_staff", "is_superuser")
ACCESS_ACTIONS = {
    "role": "user.role.changed",
    "handler_tier": "user.handler_tier.changed",
    "is_staff": "user.admin_site.changed",
    "is_superuser": "user.superuser.changed",
}


def access_change_problem(
    *, actor: User | None, user: User, changes: dict[str, Any]
) -> DomainError | None:
    """Why `actor` may not make `changes` to `user` (None: allowed). Shared by the service and
    the admin form (which shows it beside the form instead of failing on save)."""
    from . import permissions as perms

    unknown = set(changes) - set(ACCESS_FIELDS)
    if unknown:
        return DomainError(
            "user.unknown_fields",
            _("These fields cannot be changed: %(fields)s."),
            fields=", ".join(sorted(unknown)),
        )
    role = changes.get("role", user.role)
    if role not in CUSTOMER_ROLES | STAFF_ROLES:
        return DomainError(
            "user.unknown_role", _("Unknown role %(role)s."), role=role, field="role"
        )
    if (role in CUSTOMER_ROLES) != (user.role in CUSTOMER_ROLES):
        return DomainError(
            "user.role_side",
            _("A customer's person keeps a customer role and provider staff a staff role."),
            field="role",
        )
    tier = changes.get("handler_tier", user.handler_tier)
    if tier and role in CUSTOMER_ROLES:
        return DomainError(
            "user.tier_for_customer",
            _("Only provider staff have a handler tier."),
            field="handler_tier",
        )
    if tier and tier not in HandlerTier.values:
        return DomainError(
            "user.unknown_tier",
            _("Unknown handler tier %(tier)s."),
            tier=tier,
            field="handler_tier",
        )
    if actor is not None:
        try:
            perms.require_may_manage_person(actor, user, set(changes))
        except DomainError as exc:
            return exc
        if actor.pk == user.pk and (
            changes.get("is_active") is False or changes.get("role", user.role) != user.role
        ):
            return DomainError(
                "user.change_self",
                _(
                    "You cannot change your own role or deactivate yourself; ask another administrator."
                ),
            )
    demoted = role != Role.CUSTOMER_ADMIN or changes.get("is_active", user.is_active) is False
    if user.role == Role.CUSTOMER_ADMIN and user.is_active and demoted:
        others = (
            User.objects.filter(tenant=user.tenant, role=Role.CUSTOMER_ADMIN, is_active=True)
            .exclude(pk=user.pk)
            .exists()
        )
        if not others:
            return DomainError(
                "user.last_admin",
                _(
                    "%(user)s is the organisation's only administrator: make someone else administrator first."
                ),
                user=user.get_username(),
            )
    return None


@transaction.atomic
def user_access_change(*, actor: User | None, user: User, now: datetime, **changes: Any) -> User:
    """Change a person's role, handler tier, active state or admin-site flags. `actor` None is
    an operator command. A platform administrator's role brings the admin site with it."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if "role" in changes and "is_staff" not in changes and "is_superuser" not in changes:
        admin = changes["role"] == Role.PLATFORM_ADMIN
        if user.role != changes["role"] and (admin or user.role == Role.PLATFORM_ADMIN):
            changes.update(is_staff=admin, is_superuser=admin)
    changes = {k: v for k, v in changes.items() if getattr(user, k, object()) != v}
    if not changes:
        return user
    problem = access_change_problem(actor=actor, user=user, changes=changes)
    if problem is not None:
        raise problem
    before = {k: getattr(user, k) for k in changes}
    for key, value in changes.items():
        setattr(user, key, value)
    user.save(update_fields=list(changes))
    for key in ACCESS_FIELDS:
        if key not in changes:
            continue
        if key == "is_active":
            action = "user.reactivated" if changes[key] else "user.deactivated"
        else:
            action = ACCESS_ACTIONS[key]
        audit_log(
            action=action,
            at=now,
            actor=actor,
            tenant=user.tenant,
            target=user,
            data={"username": user.username, "before": before[key], "after": changes[key]},
        )
    return user


@transaction.atomic
def user_mfa_reset(*, actor: User | None, user: User, now: datetime) -> list[str]:
    """Remove a person's second factors (a lost phone or key): they sign in with the password
    and set up a new one (at once, if their organisation requires it). Returns what was removed."""
    from allauth.mfa.models import Authenticator

    from . import permissions as perms

    if actor is not None:
        perms.require_may_manage_person(actor, user, {"mfa"})
    rows = Authenticator.objects.filter(user=user)
    removed = sorted({str(t) for t in rows.values_list("type", flat=True)})
    if not removed:
        raise DomainError(
            "user.no_mfa", _("%(user)s has no second factor to reset."), user=user.get_username()
        )
    rows.delete()
    audit_log(
        action="user.mfa.reset",
        at=now,
        actor=actor,
        tenant=user.tenant,
        target=user,
        data={"username": user.username, "removed": removed},
    )
    return removed


@transaction.atomic
def user_permissions_set(
    *, actor: User | None, user: User, groups: Any, permissions: Any, now: datetime
) -> User:
    """Django's groups and per-person permissions (the admin site's rights), audited as
    names before and after."""
    from . import permissions as perms

    def names(group_qs: Any, perm_qs: Any) -> dict[str, list[str]]:
        return {
            "groups": sorted(g.name for g in group_qs),
            "permissions": sorted(f"{p.content_type.app_label}.{p.codename}" for p in perm_qs),
        }

    before = names(user.groups.all(), user.user_permissions.select_related("content_type"))
    after = names(groups, permissions)
    if before == after:
        return user
    if actor is not None:
        perms.require_may_manage_person(actor, user, {"is_superuser"})
    user.groups.set(groups)
    user.user_permissions.set(permissions)
    audit_log(
        action="user.permissions.changed",
        at=now,
        actor=actor,
        tenant=user.tenant,
        target=user,
        data={"username": user.username, "before": before, "after": after},
    )
    return user
