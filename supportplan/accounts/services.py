"""Write use cases for tenants and people."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from supportplan.core.audit import audit_log
from supportplan.core.errors import DomainError

from .models import (
    CUSTOMER_ROLES,
    STAFF_ROLES,
    CloudAccount,
    RegisteredSystem,
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
    )
    audit_log(
        action="tenant.created",
        at=now,
        actor=actor,
        tenant=tenant,
        target=tenant,
        data={"name": name},
    )
    return tenant


@transaction.atomic
def tenant_update(*, tenant: Tenant, actor: User | None, now: datetime, **fields: Any) -> Tenant:
    allowed = {
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
    unknown = set(fields) - allowed
    if unknown:
        raise DomainError(
            "tenant.unknown_fields",
            _("These fields cannot be changed: %(fields)s."),
            fields=", ".join(sorted(unknown)),
        )
    changed = {}
    for key, value in fields.items():
        if getattr(tenant, key) != value:
            setattr(tenant, key, value)
            changed[key] = value.pk if hasattr(value, "pk") else value
    if changed:
        tenant.save(update_fields=list(changed))
        audit_log(
            action="tenant.updated", at=now, actor=actor, tenant=tenant, target=tenant, data=changed
        )
    return tenant


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
