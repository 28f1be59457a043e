"""Who must use a second factor (selectors and the one write)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from allauth.mfa.models import Authenticator
from django.db import transaction

from supportplan.core.audit import audit_log

from .models import MfaRequirement


def mfa_required_for(user: Any) -> bool:
    if user.is_provider_staff:
        return MfaRequirement.objects.filter(tenant__isnull=True, required=True).exists()
    if user.tenant_id is None:
        return False
    return MfaRequirement.objects.filter(tenant_id=user.tenant_id, required=True).exists()


def has_mfa(user: Any) -> bool:
    return (
        Authenticator.objects.filter(user=user)
        .exclude(type=Authenticator.Type.RECOVERY_CODES)
        .exists()
    )


def must_set_up_mfa(user: Any) -> bool:
    return mfa_required_for(user) and not has_mfa(user)


def mfa_requirement_set(
    *, actor: Any, tenant: Any, required: bool, now: datetime
) -> MfaRequirement:
    """A tenant administrator for the own organisation; a platform administrator for staff
    (tenant=None) or any organisation. Audited."""
    from django.core.exceptions import PermissionDenied

    from supportplan.accounts.models import Role

    platform_admin = actor.role == Role.PLATFORM_ADMIN
    if tenant is None:
        allowed = platform_admin
    else:
        allowed = platform_admin or (
            actor.role == Role.CUSTOMER_ADMIN and actor.tenant_id == tenant.pk
        )
    if not allowed:
        raise PermissionDenied
    with transaction.atomic():
        row, _created = MfaRequirement.objects.update_or_create(
            tenant=tenant, defaults={"required": required, "changed_by": actor, "changed_at": now}
        )
        audit_log(
            action="signin.mfa_requirement_set",
            at=now,
            actor=actor,
            tenant=tenant,
            target=row,
            data={"required": required, "scope": "staff" if tenant is None else "tenant"},
        )
    return row
