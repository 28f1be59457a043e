"""Personal REST API keys: created (the key is shown once), checked on every request,
revoked. Stored as a SHA-256 of the key, looked up by its public prefix. Audited."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from supportplan.core.audit import audit_log
from supportplan.core.errors import DomainError

from . import permissions as perms
from .models import ApiKey, ApiKeyScope, User

KEY_START = "spk_"
MAX_DAYS = 365
# last_used_at is written at most this often per key: one UPDATE a minute, not one a request.
LAST_USED_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class NewApiKey:
    key: ApiKey
    secret: str  # the whole key, shown once; never stored, never logged


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_key_create(
    *,
    actor: User | None,
    user: User,
    scope: str,
    days: int,
    now: datetime,
    name: str = "",
) -> NewApiKey:
    if actor is not None and not perms.may_manage_keys_of(actor, user):
        raise DomainError(
            "api_key.forbidden",
            _("You may create API keys only for yourself or your organisation's people."),
            status=403,
        )
    if scope not in ApiKeyScope.values:
        raise DomainError(
            "api_key.bad_scope",
            _("Choose a scope: read only, cases only, or everything."),
            field="scope",
        )
    if not 1 <= days <= MAX_DAYS:
        raise DomainError(
            "api_key.bad_expiry",
            _("An API key is valid for 1 to %(max)d days."),
            max=MAX_DAYS,
            field="days",
        )
    if not user.is_active:
        raise DomainError(
            "api_key.user_inactive", _("%(user)s is deactivated."), user=user.get_username()
        )
    prefix = KEY_START + secrets.token_hex(4)
    while ApiKey.objects.filter(prefix=prefix).exists():  # 1 in 4 billion
        prefix = KEY_START + secrets.token_hex(4)
    raw = f"{prefix}_{secrets.token_hex(32)}"
    key = ApiKey.objects.create(
        user=user,
        name=name.strip()[:200],
        prefix=prefix,
        secret_hash=_digest(raw),
        scope=scope,
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    audit_log(
        action="api_key.created",
        at=now,
        actor=actor,
        tenant=user.tenant,
        target=key,
        data={
            "user_id": user.pk,
            "prefix": prefix,
            "scope": scope,
            "expires_at": key.expires_at.isoformat(),
        },
    )
    return NewApiKey(key=key, secret=raw)


@transaction.atomic
def api_key_revoke(*, actor: User | None, key: ApiKey, now: datetime) -> ApiKey:
    if actor is not None and not perms.may_manage_keys_of(actor, key.user):
        raise DomainError(
            "api_key.forbidden", _("You may revoke only your own API keys."), status=403
        )
    key = ApiKey.objects.select_for_update().select_related("user").get(pk=key.pk)
    if key.revoked_at is None:
        key.revoked_at = now
        key.save(update_fields=["revoked_at"])
        audit_log(
            action="api_key.revoked",
            at=now,
            actor=actor,
            tenant=key.user.tenant,
            target=key,
            data={"user_id": key.user_id, "prefix": key.prefix},
        )
    return key


def api_key_check(raw: str, *, now: datetime) -> ApiKey | None:
    """The usable key `raw` is, with its person (and their tenant) loaded; None when it is
    unknown, wrong, revoked, expired or its person deactivated. Notes the use."""
    prefix, sep, _rest = raw.rpartition("_")
    if not sep or not prefix.startswith(KEY_START):
        return None
    key = ApiKey.objects.select_related("user", "user__tenant").filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.secret_hash, _digest(raw)):
        return None
    if not key.usable_at(now) or not key.user.is_active:
        return None
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_EVERY:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def keys_of(user: User) -> list[ApiKey]:
    return list(ApiKey.objects.filter(user=user).order_by("-created_at", "-pk"))
