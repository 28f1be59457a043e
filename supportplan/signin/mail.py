"""allauth's e-mails (password reset, address verification) go through the product's outbox
and SMTP path like every other message; the link lives only in the stored message."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.db import transaction

from supportplan.notifications import domain, senders
from supportplan.notifications.models import Channel, Outbox, Topic
from supportplan.notifications.services import enqueue_delivery, give_up_after


def signin_email_send(
    *,
    kind: str,
    address: str,
    user: Any,
    language: str,
    subject: str,
    body: str,
    now: datetime,
    tenant: Any = None,
) -> Outbox:
    content = domain.Content(subject=subject.strip(), intro=body.strip())
    with transaction.atomic():
        row = Outbox.objects.create(
            rule=f"signin.{kind}",
            topic=Topic.SYSTEM,
            channel=Channel.EMAIL,
            tenant=tenant or getattr(user, "tenant", None),
            user=user,
            address=address,
            language=language,
            dedupe_key=f"signin:{kind}:{uuid.uuid4()}",
            content=content.as_dict(),
            html=senders.render_html(content, language),
            next_attempt_at=now,
            give_up_at=now + give_up_after(),
            created_at=now,
        )
        transaction.on_commit(lambda: enqueue_delivery([row.pk]))
    return row
