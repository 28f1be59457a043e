"""The few writes the web layer owns (everything else calls the contexts' services)."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from supportplan.accounts.models import User
from supportplan.core.audit import audit_log
from supportplan.core.errors import DomainError


@transaction.atomic
def user_set_language(*, user: User, language: str, now: datetime) -> User:
    """Remember the language a signed-in person chose with the switcher (User.language).

    accounts has no service for it yet; this is the smallest write path: one field, audited.
    """
    if language not in dict(settings.LANGUAGES):
        raise DomainError(
            "user.unknown_language",
            _("Unknown language %(language)s. Choose one of: %(known)s."),
            field="language",
            language=language,
            known=", ".join(code for code, _name in settings.LANGUAGES),
        )
    if user.language != language:
        old = user.language
        user.language = language
        user.save(update_fields=["language"])
        audit_log(
            action="user.language_changed",
            at=now,
            actor=user,
            tenant=user.tenant,
            target=user,
            data={"from": old, "to": language},
        )
    return user


def case_reply_with_file(
    *, write: Any, actor: User, case: Any, body: str, upload: Any, now: datetime
) -> Any:
    """A reply (or staff note) and its attachment are one write: a refused file (type, size,
    empty) refuses the whole reply, so the text is never posted with the file dropped. The
    reply's notices are sent on commit, so a refused reply notifies no one."""
    from supportplan.cases import attachments as case_files

    with transaction.atomic():
        comm = write(actor=actor, case=case, body=body, now=now)
        if upload:
            case_files.case_attach(
                actor=actor, case=case, upload=upload, now=now, communication=comm
            )
    return comm
