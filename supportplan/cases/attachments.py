"""Attachments: files on disk under MEDIA_ROOT (never in the database), size- and
type-limited, readable only through the case's tenant."""

from __future__ import annotations

import hashlib
import mimetypes
from datetime import datetime, timedelta
from pathlib import PurePath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from supportplan.accounts.models import User
from supportplan.core.errors import DomainError

from .models import Attachment, Case, Communication
from .services import _audit, _check_now, _locked, _require_customer_or_worker, _require_not_closed

DEFAULT_MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
DEFAULT_ATTACHMENT_TYPES = (
    ".txt", ".log", ".csv", ".json", ".xml", ".yaml", ".yml", ".conf", ".cfg", ".ini",
    ".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf", ".zip", ".gz", ".tgz", ".7z",
    ".har", ".pcap", ".pcapng", ".docx", ".xlsx", ".pptx", ".md",
)  # fmt: skip


def max_attachment_bytes() -> int:
    return int(getattr(settings, "SUPPORTPLAN_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_ATTACHMENT_BYTES))


def attachment_types() -> tuple[str, ...]:
    return tuple(getattr(settings, "SUPPORTPLAN_ATTACHMENT_TYPES", DEFAULT_ATTACHMENT_TYPES))


@transaction.atomic
def case_attach(
    *,
    actor: User,
    case: Case,
    upload: UploadedFile,
    now: datetime,
    internal: bool = False,
    communication: Communication | None = None,
) -> Attachment:
    """Store a file on disk (never in the database), size- and type-checked."""
    case = _locked(case)
    _check_now(case, now)
    staff = _require_customer_or_worker(actor, case)
    _require_not_closed(case)
    if internal and not staff:
        internal = False
    name = PurePath(upload.name or "file").name[:200] or "file"
    suffix = PurePath(name).suffix.lower()
    allowed = attachment_types()
    if suffix not in allowed:
        raise DomainError(
            "case.attachment_type",
            _("Files of type %(type)s cannot be attached. Allowed: %(allowed)s."),
            field="file",
            type=suffix or "(none)",
            allowed=" ".join(allowed),
        )
    limit = max_attachment_bytes()
    size = upload.size or 0
    if size > limit:
        raise DomainError(
            "case.attachment_too_large",
            _("The file is %(size)s MB; attachments may be at most %(limit)s MB."),
            field="file",
            size=round(size / 1_048_576, 1),
            limit=round(limit / 1_048_576, 1),
        )
    if size == 0:
        raise DomainError("case.attachment_empty", _("The file is empty."), field="file")
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(
        tenant_id=case.tenant_id,
        case=case,
        communication=communication,
        internal=internal or bool(communication and communication.internal),
        name=name,
        content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
        size=size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
        created_at=now,
    )
    attachment.file.save(name, upload, save=False)
    stored = attachment.file.name or ""
    # The file is on disk before the row commits; remove it if the transaction rolls back.
    try:
        attachment.save(force_insert=True)
        _audit(
            "case.attachment_added",
            case,
            actor,
            now,
            attachment_id=attachment.pk,
            name=name,
            size=size,
            internal=attachment.internal,
        )
    except Exception:
        attachment.file.storage.delete(stored)
        raise
    return attachment


ORPHAN_GRACE = timedelta(hours=6)


def sweep_orphan_files(*, as_of: datetime, grace: timedelta = ORPHAN_GRACE) -> list[str]:
    """Delete attachment files that no row refers to, once they are older than `grace`.

    A file is written before its row commits; if an enclosing transaction rolls back later
    (after `case_attach` returned), the file stays behind. Files younger than `grace` may
    belong to a transaction still in flight and are left alone. Returns the deleted names.
    """
    if as_of.tzinfo is None:
        raise ValueError("sweep_orphan_files needs an aware `as_of`")
    storage = Attachment._meta.get_field("file").storage  # type: ignore[attr-defined]
    candidates: list[str] = []
    pending = ["cases"]
    while pending:
        folder = pending.pop()
        try:
            dirs, files = storage.listdir(folder)
        except FileNotFoundError:
            continue
        pending.extend(f"{folder}/{d}" for d in dirs)
        for name in files:
            path = f"{folder}/{name}"
            if storage.get_modified_time(path) <= as_of - grace:
                candidates.append(path)
    deleted: list[str] = []
    for start in range(0, len(candidates), 500):
        chunk = candidates[start : start + 500]
        known = set(Attachment.objects.filter(file__in=chunk).values_list("file", flat=True))
        for path in chunk:
            if path not in known:
                storage.delete(path)
                deleted.append(path)
    return deleted
