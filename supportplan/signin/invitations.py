"""Invitations: staff invite a new organisation's administrator, a customer administrator
invites colleagues; the person follows the e-mailed link, chooses a user name and password,
and is in that organisation with that role. Links expire, can be re-sent (a new link; the old
one stops working) or withdrawn. Every step is audited; the link lives only in the e-mail."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from supportplan.accounts import permissions as perms
from supportplan.accounts import services as accounts
from supportplan.accounts.models import CUSTOMER_ROLES, Role, Tenant, User
from supportplan.core import clock
from supportplan.core.audit import audit_log
from supportplan.core.errors import DomainError

from . import mail
from .models import Invitation


def lifetime() -> timedelta:
    return timedelta(days=int(getattr(settings, "SUPPORTPLAN_INVITATION_DAYS", 7)))


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _new_key(invitation: Invitation, now: datetime) -> str:
    key = secrets.token_urlsafe(32)
    invitation.key_hash = _digest(key)
    invitation.sent_at = now
    invitation.expires_at = now + lifetime()
    return key


def _send(invitation: Invitation, key: str, now: datetime) -> None:
    tenant = invitation.tenant
    link = f"{settings.SUPPORTPLAN_SITE_URL.rstrip('/')}/invitations/{key}/"
    inviter = invitation.invited_by
    with translation.override(invitation.language):
        subject = gettext("You are invited to %(org)s on supportplan") % {"org": tenant.name}
        body = gettext(
            "%(who)s invites you to join %(org)s on supportplan as %(role)s.\n\n"
            "Open this link to choose your user name and password:\n%(link)s\n\n"
            "The link works until %(until)s (Beijing time). If you did not expect this "
            "e-mail, ignore it."
        ) % {
            "who": (inviter.get_full_name() or inviter.username)
            if inviter
            else gettext("Your provider"),
            "org": tenant.name,
            "role": Role(invitation.role).label,
            "link": link,
            "until": date_format(invitation.expires_at.astimezone(clock.BUSINESS_TZ), "Y-m-d H:i"),
        }
    mail.signin_email_send(
        kind="invitation",
        address=invitation.email,
        user=None,
        tenant=tenant,
        language=invitation.language,
        subject=subject,
        body=body,
        now=now,
    )


@transaction.atomic
def invitation_send(
    *,
    actor: User | None,
    tenant: Tenant,
    email: str,
    role: str,
    now: datetime,
    language: str = "",
) -> Invitation:
    """Invite `email` into `tenant` as `role` (a customer role). `actor`: the organisation's
    administrator or account-management staff; None is an operator command."""
    if actor is not None:
        perms.require_tenant_admin(actor, tenant)
    email = email.strip().lower()
    if role not in CUSTOMER_ROLES:
        raise DomainError("invitation.bad_role", _("Choose a customer role."), field="role")
    if User.objects.filter(email__iexact=email, is_active=True).exists():
        raise DomainError(
            "invitation.email_taken",
            _("A person with the e-mail address %(email)s already has an account."),
            email=email,
            field="email",
        )
    if Invitation.objects.filter(
        tenant=tenant, email=email, accepted_at__isnull=True, revoked_at__isnull=True,
        expires_at__gt=now,
    ).exists():  # fmt: skip
        raise DomainError(
            "invitation.pending",
            _("%(email)s already has an invitation waiting; send it again from the list."),
            email=email,
            field="email",
        )
    invitation = Invitation(
        tenant=tenant,
        email=email,
        role=role,
        language=language or tenant.language,
        invited_by=actor if getattr(actor, "pk", None) else None,
        created_at=now,
    )
    key = _new_key(invitation, now)
    invitation.save()
    audit_log(
        action="invitation.sent",
        at=now,
        actor=actor,
        tenant=tenant,
        target=invitation,
        data={"email": email, "role": role, "expires_at": invitation.expires_at.isoformat()},
    )
    _send(invitation, key, now)
    return invitation


def _open(actor: User | None, invitation: Invitation, now: datetime) -> Invitation:
    if actor is not None:
        perms.require_tenant_admin(actor, invitation.tenant)
    invitation = (
        Invitation.objects.select_for_update().select_related("tenant").get(pk=invitation.pk)
    )
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise DomainError(
            "invitation.closed", _("This invitation was already accepted or withdrawn.")
        )
    return invitation


@transaction.atomic
def invitation_resend(*, actor: User | None, invitation: Invitation, now: datetime) -> Invitation:
    invitation = _open(actor, invitation, now)
    key = _new_key(invitation, now)
    invitation.save(update_fields=["key_hash", "sent_at", "expires_at"])
    audit_log(
        action="invitation.resent",
        at=now,
        actor=actor,
        tenant=invitation.tenant,
        target=invitation,
        data={"email": invitation.email, "expires_at": invitation.expires_at.isoformat()},
    )
    _send(invitation, key, now)
    return invitation


@transaction.atomic
def invitation_withdraw(*, actor: User | None, invitation: Invitation, now: datetime) -> Invitation:
    invitation = _open(actor, invitation, now)
    invitation.revoked_at = now
    invitation.save(update_fields=["revoked_at"])
    audit_log(
        action="invitation.withdrawn",
        at=now,
        actor=actor,
        tenant=invitation.tenant,
        target=invitation,
        data={"email": invitation.email},
    )
    return invitation


def invitation_for_key(key: str, *, now: datetime) -> Invitation:
    """The open invitation a link's key names, or a clear refusal."""
    invitation = (
        Invitation.objects.select_related("tenant", "invited_by")
        .filter(key_hash=_digest(key or ""))
        .first()
    )
    if invitation is None or invitation.state_at(now) in ("accepted", "withdrawn"):
        raise DomainError(
            "invitation.invalid",
            _("This invitation link is not valid (any more). Ask for a new invitation."),
            status=404,
        )
    if invitation.state_at(now) == "expired":
        raise DomainError(
            "invitation.expired",
            _("This invitation has expired. Ask whoever invited you to send it again."),
            status=410,
        )
    return invitation


@dataclass(frozen=True)
class Acceptance:
    username: str
    password: str
    first_name: str = ""
    last_name: str = ""


@transaction.atomic
def invitation_accept(*, key: str, answer: Acceptance, now: datetime) -> User:
    """The invited person joins: a new person in the invitation's organisation with its
    role; the address is verified (the e-mail reached them). Audited with the new person."""
    invitation = invitation_for_key(key, now=now)
    invitation = (
        Invitation.objects.select_for_update().select_related("tenant").get(pk=invitation.pk)
    )
    if invitation.accepted_at is not None:
        raise DomainError("invitation.invalid", _("This invitation was already accepted."))
    try:
        validate_password(answer.password, User(username=answer.username, email=invitation.email))
    except ValidationError as exc:
        raise DomainError(
            "invitation.weak_password", " ".join(exc.messages), field="password"
        ) from None
    user = accounts.user_create(
        username=answer.username.strip(),
        role=invitation.role,
        tenant=invitation.tenant,
        email=invitation.email,
        first_name=answer.first_name.strip(),
        last_name=answer.last_name.strip(),
        language=invitation.language,
        password=answer.password,
        actor=invitation.invited_by,
        now=now,
    )
    EmailAddress.objects.create(user=user, email=invitation.email, verified=True, primary=True)
    invitation.accepted_at = now
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_log(
        action="invitation.accepted",
        at=now,
        actor=user,
        tenant=invitation.tenant,
        target=invitation,
        data={"email": invitation.email, "role": invitation.role, "user_id": user.pk},
    )
    return user


@dataclass(frozen=True)
class Onboarding:
    name: str
    registered_email: str
    language: str
    admin_email: str
    technical_contact_name: str = ""
    technical_contact_email: str = ""
    technical_contact_phone: str = ""
    cloud_accounts: tuple[tuple[str, str], ...] = ()  # (cloud, account id)
    tam: User | None = None
    business_manager: User | None = None


@transaction.atomic
def organisation_onboard(*, actor: User, plan: Onboarding, now: datetime) -> Invitation:
    """A business or support manager (or platform administrator) creates a customer
    organisation with its contacts, cloud accounts and account team, and invites its
    administrator, in one step: all of it, or nothing."""
    perms.require_role(actor, perms.ONBOARD_ORGANISATIONS)
    tenant = accounts.tenant_create(
        name=plan.name,
        registered_email=plan.registered_email,
        language=plan.language,
        actor=actor,
        now=now,
    )
    fields: dict[str, Any] = {
        "technical_contact_name": plan.technical_contact_name,
        "technical_contact_email": plan.technical_contact_email,
        "technical_contact_phone": plan.technical_contact_phone,
        "tam": plan.tam,
        "business_manager": plan.business_manager,
    }
    accounts.tenant_update(tenant=tenant, actor=actor, now=now, **fields)
    for cloud, account_id in plan.cloud_accounts:
        accounts.cloud_account_add(
            tenant=tenant, cloud=cloud, account_id=account_id, actor=actor, now=now
        )
    return invitation_send(
        actor=actor,
        tenant=tenant,
        email=plan.admin_email,
        role=Role.CUSTOMER_ADMIN,
        language=plan.language,
        now=now,
    )
