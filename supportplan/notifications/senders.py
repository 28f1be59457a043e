"""The two wires: SMTP through Django's mailers, and HTTP posts to IM robots.

Each raises DeliveryFailed with `permanent` telling the caller whether a retry can help.
"""

from __future__ import annotations

import smtplib
import uuid
from datetime import datetime
from email.utils import parseaddr

import httpx
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from . import domain, secrets
from .models import Channel, Outbox, Robot

ATTEMPT_NAMESPACE = uuid.UUID("6f1c2d0e-6a53-4c3e-9d8e-5b0d7a8c1e42")


class DeliveryFailed(Exception):
    def __init__(self, detail: str, *, permanent: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent


def send(row: Outbox, now: datetime) -> str:
    if row.channel == Channel.EMAIL:
        return send_email(row)
    if row.channel == Channel.IM:
        return post_robot(row, now)
    raise DeliveryFailed(f"channel {row.channel!r} is not delivered by the outbox", permanent=True)


def message_id(row: Outbox) -> str:
    """A stable Message-ID per outbox row: a receiver can drop a duplicate by it."""
    domain_part = (
        parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "supportplan.local"
    )
    return f"<notification-{row.pk}@{domain_part}>"


def render_text(row: Outbox) -> str:
    content = domain.Content.from_dict(row.content)
    with translation.override(row.language):
        return render_to_string(
            "notifications/email/message.txt", {"content": content, "text": content.as_text()}
        )


def render_html(content: domain.Content, language: str) -> str:
    with translation.override(language):
        return render_to_string(
            "notifications/email/message.html", {"content": content, "language": language}
        )


def send_email(row: Outbox) -> str:
    content = domain.Content.from_dict(row.content)
    message = EmailMultiAlternatives(
        subject=content.subject,
        body=render_text(row),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.address],
        headers={"Message-ID": message_id(row), "Content-Language": row.language},
    )
    if row.html:
        message.attach_alternative(row.html, "text/html")
    for item in row.attachments or []:
        message.attach(item["name"], read_attachment(item), item.get("mimetype") or None)
    mailer = getattr(settings, "NOTIFICATIONS_MAILER", "default")
    try:
        message.send(using=mailer)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _msg in exc.recipients.values()]
        raise DeliveryFailed(
            f"SMTP refused the recipient: {exc.recipients}", permanent=all(c >= 500 for c in codes)
        ) from exc
    except smtplib.SMTPResponseException as exc:
        text = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else exc.smtp_error
        )
        raise DeliveryFailed(
            f"SMTP {exc.smtp_code}: {text}",
            permanent=500 <= exc.smtp_code < 600 and exc.smtp_code != 554,
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"SMTP unavailable: {exc!r}") from exc
    return f"250 accepted for {row.address}"


def read_attachment(item: dict) -> bytes:
    """The stored file an e-mail carries; gone means no retry can help."""
    try:
        with default_storage.open(item["path"], "rb") as fh:
            return fh.read()  # type: ignore[no-any-return]
    except (KeyError, FileNotFoundError, OSError) as exc:
        raise DeliveryFailed(
            f"attachment {item.get('name', '?')!r} is no longer stored ({item.get('path', '')})",
            permanent=True,
        ) from exc


def post_robot(row: Outbox, now: datetime) -> str:
    return call_robot(
        row.robot,
        domain.Content.from_dict(row.content),
        now=now,
        call_id=uuid.uuid5(ATTEMPT_NAMESPACE, f"{row.pk}:{row.attempts}"),
    )


def call_robot(
    robot: Robot | None, content: domain.Content, *, now: datetime, call_id: uuid.UUID
) -> str:
    """Post `content` to the robot's webhook; what the platform answered, or DeliveryFailed
    (permanent when retrying cannot help: removed robot, bad token or signature)."""
    if robot is None or not robot.active:
        raise DeliveryFailed("the robot was removed or switched off", permanent=True)
    try:
        webhook = secrets.decrypt(robot.webhook_encrypted)
        secret = secrets.decrypt(robot.secret_encrypted)
    except secrets.SecretUnreadable as exc:
        raise DeliveryFailed(str(exc), permanent=True) from exc
    request = domain.robot_request(
        robot.platform, webhook, content, secret=secret, now=now, call_id=call_id
    )
    timeout = float(getattr(settings, "NOTIFICATIONS_HTTP_TIMEOUT", 10))
    try:
        # trust_env=False: no proxy from the environment; robots are called directly.
        with httpx.Client(timeout=timeout, trust_env=False) as client:
            response = client.post(
                request.url,
                content=request.body_bytes(),
                headers={"Content-Type": "application/json; charset=utf-8"},
            )
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{robot.get_platform_display()} unreachable: {exc!r}") from exc
    answer = domain.read_robot_answer(robot.platform, response.status_code, response.text)
    if not answer.ok:
        raise DeliveryFailed(answer.detail, permanent=answer.permanent)
    return answer.detail
