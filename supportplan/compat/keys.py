"""Access-key pairs: created (shown once), looked up for a signature, revoked. Audited."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from supportplan.accounts.models import User
from supportplan.accounts.permissions import may_manage_keys_of
from supportplan.core import secrets as stored_secrets
from supportplan.core.audit import audit_log
from supportplan.core.errors import DomainError, PermissionDenied

from .models import AccessKey

DEFAULT_LIFETIME = timedelta(days=365)
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


@dataclass(frozen=True)
class NewAccessKey:
    key: AccessKey
    secret_access_key: str  # shown once; never stored in clear, never logged


@transaction.atomic
def access_key_create(
    *,
    actor: User | None,
    user: User,
    now: datetime,
    lifetime: timedelta | None = DEFAULT_LIFETIME,
    description: str = "",
    provider: str = "",
) -> NewAccessKey:
    """A new pair for `user`. `actor` None is the operator command."""
    if actor is not None and not may_manage_keys_of(actor, user):
        raise PermissionDenied(
            "access_key.forbidden", _("You may create access keys only for yourself.")
        )
    if not user.is_active:
        raise DomainError(
            "access_key.user_inactive", _("%(user)s is deactivated."), user=user.get_username()
        )
    key_id = "SPAK" + "".join(secrets.choice(_ALPHABET) for _ in range(16))
    secret = secrets.token_urlsafe(30)
    key = AccessKey.objects.create(
        user=user,
        access_key_id=key_id,
        secret_encrypted=stored_secrets.encrypt(secret),
        description=description[:200],
        provider=provider,
        created_at=now,
        expires_at=now + lifetime if lifetime else None,
    )
    audit_log(
        action="access_key.created",
        actor=actor,
        tenant=user.tenant,
        target=key,
        data={"user_id": user.pk, "access_key_id": key_id, "expires_at": _iso(key.expires_at)},
        at=now,
    )
    return NewAccessKey(key=key, secret_access_key=secret)


@transaction.atomic
def access_key_revoke(*, actor: User | None, key: AccessKey, now: datetime) -> AccessKey:
    if actor is not None and not may_manage_keys_of(actor, key.user):
        raise PermissionDenied(
            "access_key.forbidden", _("You may revoke only your own access keys.")
        )
    key = AccessKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is None:
        key.revoked_at = now
        key.save(update_fields=["revoked_at"])
        audit_log(
            action="access_key.revoked",
            actor=actor,
            tenant=key.user.tenant,
            target=key,
            data={"user_id": key.user_id, "access_key_id": key.access_key_id},
            at=now,
        )
    return key


def secret_of(key: AccessKey) -> str:
    return stored_secrets.decrypt(key.secret_encrypted)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
