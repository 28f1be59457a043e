"""Relay a case to the cloud vendor (转云厂商) and keep both sides in step.

A handler opens the vendor's ticket from the case (subject, mapped severity, description,
chosen attachments); the vendor's replies arrive as internal notes (polled every minute,
each copied once, also after restarts: the copied keys are stored with the notes in one
transaction); a staff reply "to vendor" is sent to the vendor's ticket; a case resolved or
closed here resolves the vendor's ticket, and a ticket the vendor closes is noted on the case.
Customers see none of it unless staff publish it in a public reply."""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from supportplan.accounts import permissions as perms
from supportplan.accounts.models import User
from supportplan.cases import services as case_services
from supportplan.cases import upstream
from supportplan.cases.models import Attachment, Case, CaseState
from supportplan.core.audit import audit_log
from supportplan.core.errors import Conflict, DomainError, PermissionDenied
from supportplan.notifications import secrets as stored_secrets

from .models import VendorAccount, VendorApi, VendorTicket
from .vendors import VendorUnavailable, adapter_for


def _sent(body: str) -> str:
    return "sent:" + hashlib.sha256(body.strip().encode()).hexdigest()[:32]


def _require_admin(actor: User) -> None:
    perms.require_role(actor, frozenset({"platform_admin", "support_manager"}))


@transaction.atomic
def vendor_account_add(
    *, actor: User, cloud: str, name: str, api: str, endpoint: str, access_key_id: str,
    secret: str, now: datetime, region: str = "", severity_map: dict[str, str] | None = None,
    service_code: str = "",
) -> VendorAccount:  # fmt: skip
    _require_admin(actor)
    if api not in VendorApi.values:
        raise DomainError(
            "vendor.api_unknown", _("Unknown vendor API %(api)s."), field="api", api=api
        )
    account = VendorAccount.objects.create(
        cloud=cloud, name=name, api=api, endpoint=endpoint, region=region,
        access_key_id=access_key_id, secret_encrypted=stored_secrets.encrypt(secret),
        severity_map=severity_map or {}, service_code=service_code, created_at=now,
    )  # fmt: skip
    audit_log(
        action="vendor.account_added", actor=actor, tenant=None, target=account,
        data={"cloud": cloud, "api": api}, at=now,
    )  # fmt: skip
    return account


def _severity(account: VendorAccount, case: Case) -> str:
    if case.severity in account.severity_map:
        return account.severity_map[case.severity]
    if account.api == VendorApi.AWS_SUPPORT:
        catalog = upstream.catalog_for_version(case.catalog_version_id)
        return catalog.severity(case.severity).api_code or "low"
    return ""


def _in_language_of(user: User):  # type: ignore[no-untyped-def]
    """Notes are written in the language of the staff member they are written for."""
    return translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE)


def vendor_ticket_open(
    *, actor: User, case: Case, account: VendorAccount, now: datetime,
    attachment_ids: list[int] | None = None,
) -> VendorTicket:  # fmt: skip
    """Open the vendor's ticket (outside a transaction: the vendor call may take seconds),
    then record it; a second attempt for the same case is refused."""
    if not perms.may_work_case(actor, case):
        raise PermissionDenied(
            "vendor.forbidden", _("Only the case's handlers can relay it to the cloud vendor.")
        )
    if VendorTicket.objects.filter(case=case).exists():
        raise Conflict("vendor.already_open", _("This case already has a vendor ticket."))
    if case.state not in (CaseState.OPEN, CaseState.IN_PROGRESS, CaseState.WAITING_ON_CUSTOMER):
        raise Conflict("vendor.case_not_active", _("Only an active case can be relayed."))
    files = [
        (a.name, a.file.open("rb").read())
        for a in Attachment.objects.filter(case=case, pk__in=attachment_ids or [])
    ]
    body = case.description
    try:
        vendor_id = adapter_for(account).open(
            subject=case.subject,
            body=body,
            severity=_severity(account, case),
            service=account.service_code,
            files=files,
        )
    except VendorUnavailable as exc:
        raise DomainError(
            "vendor.unavailable",
            _("The cloud vendor refused the ticket: %(reason)s"),
            reason=str(exc),
        ) from None
    with transaction.atomic():
        ticket = VendorTicket.objects.create(
            case=case, account=account, vendor_id=vendor_id, vendor_state="opened",
            seen=[_sent(f"{case.subject}\n{body}"), _sent(body)], opened_by=actor, opened_at=now,
        )  # fmt: skip
        with _in_language_of(actor):
            note = _("Relayed to %(vendor)s: vendor ticket %(id)s.") % {
                "vendor": account.name, "id": vendor_id,
            }  # fmt: skip
        case_services.case_add_note(actor=actor, case=case, now=now, body=note)
        audit_log(
            action="vendor.ticket_opened", actor=actor, tenant=case.tenant, target=case,
            data={"vendor_ticket": vendor_id, "account_id": account.pk}, at=now,
        )  # fmt: skip
    return ticket


def vendor_reply(*, actor: User, ticket: VendorTicket, body: str, now: datetime) -> None:
    if not perms.may_work_case(actor, ticket.case):
        raise PermissionDenied(
            "vendor.forbidden", _("Only the case's handlers can write to the cloud vendor.")
        )
    text = body.strip()
    if not text:
        raise DomainError("vendor.reply_empty", _("Write the reply to the vendor."), field="body")
    try:
        adapter_for(ticket.account).reply(ticket.vendor_id, text)
    except VendorUnavailable as exc:
        raise DomainError(
            "vendor.unavailable", _("The cloud vendor refused the reply: %(reason)s"),
            reason=str(exc),
        ) from None  # fmt: skip
    with _in_language_of(actor), transaction.atomic():
        locked = VendorTicket.objects.select_for_update().get(pk=ticket.pk)
        locked.seen = [*locked.seen, _sent(text)]
        locked.save(update_fields=["seen"])
        case_services.case_add_note(
            actor=actor, case=ticket.case, now=now,
            body=_("Sent to the cloud vendor:") + "\n" + text,
        )  # fmt: skip


def vendor_sync(*, ticket_id: int, now: datetime) -> int:
    """Copy the vendor's new replies into internal notes; close the loop both ways.
    Returns how many replies were copied. Safe on several workers (the row is locked)."""
    ticket = VendorTicket.objects.select_related("account", "case").get(pk=ticket_id)
    if ticket.closed:
        return 0
    adapter = adapter_for(ticket.account)
    try:
        thread = adapter.thread(ticket.vendor_id)
    except VendorUnavailable:
        return 0  # tried again next minute
    copied = 0
    with _in_language_of(ticket.opened_by), transaction.atomic():
        ticket = (
            VendorTicket.objects.select_for_update(of=("self",))
            .select_related("case", "opened_by")
            .get(pk=ticket_id)
        )
        seen = list(ticket.seen)
        actor = ticket.opened_by
        for message in thread.messages:
            if message.key in seen:
                continue
            sent = _sent(message.body)
            seen.append(message.key)
            if sent in seen:
                continue  # what we sent, coming back in the vendor's thread
            case_services.case_add_note(
                actor=actor, case=ticket.case, now=now,
                body=_("Reply from %(vendor)s (%(who)s):")
                % {"vendor": ticket.account.name, "who": message.author} + "\n" + message.body,
            )  # fmt: skip
            copied += 1
        ticket.seen = seen
        ticket.vendor_state = thread.state
        ticket.synced_at = now
        if thread.closed:
            ticket.closed = True
            case_services.case_add_note(
                actor=actor, case=ticket.case, now=now,
                body=_("%(vendor)s closed vendor ticket %(id)s.")
                % {"vendor": ticket.account.name, "id": ticket.vendor_id},
            )  # fmt: skip
        ticket.save(update_fields=["seen", "vendor_state", "synced_at", "closed"])
    ticket.case.refresh_from_db()
    if not ticket.closed and ticket.case.state in (CaseState.RESOLVED, CaseState.CLOSED):
        try:
            adapter.resolve(ticket.vendor_id)
        except VendorUnavailable:
            return copied
        with transaction.atomic():
            VendorTicket.objects.filter(pk=ticket.pk).update(closed=True, vendor_state="resolved")
            audit_log(
                action="vendor.ticket_resolved", actor=None, tenant=ticket.case.tenant,
                target=ticket.case, data={"vendor_ticket": ticket.vendor_id}, at=now,
            )  # fmt: skip
    return copied
