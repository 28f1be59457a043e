"""What both cloud ticket APIs share: whose plan a key files under, case ids, the services
(the tenant's registered systems) a case may be about, staged attachments, the thread.

The edges (aws.py, huawei.py) translate their protocol to these and to the case services;
a refusal here is an `EdgeError` with a kind each edge maps to its own error code."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from supportplan.accounts.models import RegisteredSystem, User
from supportplan.cases import selectors as case_selectors
from supportplan.cases import upstream
from supportplan.cases.attachments import case_attach
from supportplan.cases.models import Attachment, Case, CommunicationKind

from .models import AccessKey, AttachmentSet, AttachmentSetFile

GENERAL = "general-info"
SET_LIFETIME = timedelta(hours=1)
SET_MAX_FILES = 3
FILE_MAX_BYTES = 5 * 1024 * 1024


class EdgeError(Exception):
    """kind: case_not_found | no_plan | several_plans | not_customer | unknown_service |
    set_not_found | set_expired | too_many_files | file_too_large | attachment_not_found"""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind, self.message = kind, message


Entitled = upstream.PlanResolved


def tenant_of(user: User) -> Any:
    if user.tenant_id is None:
        raise EdgeError(
            "not_customer",
            _("This operation files cases for a customer organisation: use a customer's key."),
        )
    return user.tenant


def entitlement(key: AccessKey, now: datetime) -> Entitled:
    try:
        return upstream.sole_plan(tenant_of(key.user), now, key.provider)
    except upstream.NoPlanInForce:
        raise EdgeError("no_plan", _("Your organisation has no support plan in force.")) from None
    except upstream.SeveralPlansInForce:
        raise EdgeError(
            "several_plans",
            _(
                "Your organisation has plans of several providers; create an access key for "
                "one provider to use this API."
            ),
        ) from None


def case_id(case: Case) -> str:
    return f"case-{case.tenant_id}-{case.pk}"


def find_case(user: User, value: str) -> Case:
    """The case if `user` may see it; another tenant's id is "not found" (never confirmed)."""
    parts = (value or "").split("-")
    pk = int(parts[2]) if len(parts) == 3 and parts[0] == "case" and parts[2].isdigit() else None
    case = (
        case_selectors.cases_visible_to(user).select_related("requester").filter(pk=pk).first()
        if pk
        else None
    )
    if case is None or case_id(case) != value:
        raise EdgeError("case_not_found", _("Case %(case)s was not found.") % {"case": value})
    return case


def case_pks(values: Iterable[Any]) -> list[int]:
    out = []
    for value in values:
        parts = str(value).split("-")
        if len(parts) == 3 and parts[0] == "case" and parts[2].isdigit():
            out.append(int(parts[2]))
    return out


def services_of(user: User) -> list[tuple[str, str]]:
    """(code, name): a general question, then each registered system of the tenant."""
    out = [(GENERAL, _("General question (no specific system)"))]
    for system in RegisteredSystem.objects.for_tenant(tenant_of(user)).order_by("name"):
        out.append(
            (f"system-{system.pk}", f"{system.name} ({system.get_classification_display()})")
        )
    return out


def system_for(user: User, code: str) -> RegisteredSystem | None:
    if not code or code == GENERAL:
        return None
    pk = code.removeprefix("system-")
    system = (
        RegisteredSystem.objects.for_tenant(tenant_of(user)).filter(pk=int(pk)).first()
        if pk.isdigit()
        else None
    )
    if system is None:
        raise EdgeError(
            "unknown_service",
            _("Unknown service %(code)s: the service list names the ones you can use.")
            % {"code": code},
        )
    return system


# --------------------------------------------------------------------------- attachments


def stage_files(
    user: User, files: list[tuple[str, bytes]], now: datetime, set_id: str = ""
) -> AttachmentSet:
    """Files waiting to go onto a case or a reply (an hour, at most three of 5 MB)."""
    with transaction.atomic():
        if set_id:
            staged = open_set(user, set_id, now, lock=True)
        else:
            staged = AttachmentSet.objects.create(
                set_id=secrets.token_hex(16), user=user, created_at=now,
                expires_at=now + SET_LIFETIME,
            )  # fmt: skip
        if staged.files.count() + len(files) > SET_MAX_FILES:
            raise EdgeError(
                "too_many_files",
                _("At most %(n)s files can be attached at once.") % {"n": SET_MAX_FILES},
            )
        for name, data in files:
            if len(data) > FILE_MAX_BYTES:
                raise EdgeError(
                    "file_too_large", _("%(name)s is larger than 5 MB.") % {"name": name}
                )
            AttachmentSetFile.objects.create(attachment_set=staged, name=name[:200], data=data)
    return staged


def open_set(user: User, set_id: str, now: datetime, *, lock: bool = False) -> AttachmentSet:
    rows = AttachmentSet.objects.filter(set_id=set_id, user=user)
    staged = (rows.select_for_update() if lock else rows).first()
    if staged is None:
        raise EdgeError("set_not_found", _("Attachment set %(id)s was not found.") % {"id": set_id})
    if staged.expires_at <= now:
        raise EdgeError(
            "set_expired",
            _("Attachment set %(id)s expired; upload the files again.") % {"id": set_id},
        )
    return staged


def staged_files(user: User, set_ids: Iterable[str], now: datetime) -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for set_id in set_ids:
        if set_id:
            staged = open_set(user, set_id, now)
            out.extend((f.name, bytes(f.data)) for f in staged.files.order_by("pk"))
    return out


def attach_all(
    user: User, case: Case, files: list[tuple[str, bytes]], now: datetime, communication: Any = None
) -> None:
    for name, data in files:
        case_attach(
            actor=user, case=case, now=now, communication=communication,
            upload=SimpleUploadedFile(name, data),
        )  # fmt: skip


def attachment_for(user: User, value: str) -> Attachment:
    pk = value.removeprefix("attachment-")
    attachment = (
        Attachment.objects.filter(pk=int(pk), internal=False)
        .filter(case__in=case_selectors.cases_visible_to(user))
        .first()
        if pk.isdigit()
        else None
    )
    if attachment is None:
        raise EdgeError(
            "attachment_not_found", _("Attachment %(id)s was not found.") % {"id": value}
        )
    return attachment


# --------------------------------------------------------------------------- the thread


@dataclass(frozen=True)
class Entry:
    body: str
    author: Any
    at: datetime
    by_staff: bool
    first: bool
    files: list[tuple[str, str]]  # (attachment id, file name)


def thread(user: User, case: Case) -> list[Entry]:
    """The conversation as the customer sees it, newest first: public replies, then the
    description the case was opened with (internal notes and system changes are not in it)."""
    replies = (
        case_selectors.thread_of(case, user)
        .filter(kind=CommunicationKind.PUBLIC_REPLY)
        .order_by("-created_at", "-pk")
    )
    files: dict[int | None, list[tuple[str, str]]] = {}
    for a in Attachment.objects.filter(case=case, internal=False).order_by("pk"):
        files.setdefault(a.communication_id, []).append((f"attachment-{a.pk}", a.name))
    out = [
        Entry(r.body, r.author, r.created_at, r.by_staff, False, files.get(r.pk, []))
        for r in replies
    ]
    out.append(
        Entry(case.description, case.requester, case.created_at, False, True, files.get(None, []))
    )
    return out
