"""Connecting a tenant's IM enterprise group (IM企业群): the secrets each platform needs, the
steps to follow in the platform's console, and the connect / disconnect services the page
and the API call (the one write path is imbot.im_group_add)."""

from __future__ import annotations

import base64
import os
import secrets as random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from supportplan.accounts.models import Role
from supportplan.cases import upstream
from supportplan.core.audit import audit_log
from supportplan.core.errors import DomainError, PermissionDenied
from supportplan.core.secrets import mask
from supportplan.notifications import services as notifications

from .imbot import group_secrets, im_group_add
from .models import ImGroup, ImPlatform

# Which secrets each platform's inbound interface is checked with (imbot.im_group_add says
# which are required); WeCom's are made here when left blank, and shown once.
# The app credentials after them are optional: files posted in the group are fetched with
# them (im_files); without them the bot says the administrator adds them here.
SECRET_FIELDS: dict[str, tuple[str, ...]] = {
    ImPlatform.WECOM: ("token", "encoding_aes_key"),
    ImPlatform.WELINK: ("app_secret",),
    ImPlatform.FEISHU: ("verification_token", "encrypt_key", "app_id", "app_secret"),
    ImPlatform.DINGTALK: ("app_secret", "app_key", "robot_code"),
}
GENERATED: dict[str, tuple[str, ...]] = {ImPlatform.WECOM: ("token", "encoding_aes_key")}
SECRET_LABELS: dict[str, Any] = {
    "token": gettext_lazy("Token"),
    "encoding_aes_key": "EncodingAESKey",
    "app_secret": gettext_lazy("App secret"),
    "verification_token": gettext_lazy("Verification token"),
    "encrypt_key": gettext_lazy("Encrypt key"),
    "app_id": gettext_lazy("App ID"),
    "app_key": gettext_lazy("AppKey"),
    "robot_code": gettext_lazy("Robot code"),
}


@dataclass(frozen=True)
class NewImGroup:
    group: ImGroup
    generated: dict[str, str]  # secrets made here, to paste into the platform: shown once


def _generate(name: str) -> str:
    if name == "encoding_aes_key":  # 43 characters, base64 of 32 bytes without "=" (WeCom)
        return (
            base64.b64encode(os.urandom(32))
            .decode()
            .rstrip("=")
            .replace("+", "A")
            .replace("/", "B")
        )
    return random.token_hex(16)


def _require_admin(actor: Any, tenant: Any) -> None:
    if actor.tenant_id != tenant.pk or actor.role != Role.CUSTOMER_ADMIN:
        raise PermissionDenied(
            "im.forbidden", _("Only your organisation's administrator can connect an IM group.")
        )


@transaction.atomic
def im_group_connect(
    *, actor: Any, tenant: Any, platform: str, name: str, secrets: dict[str, str], now: datetime,
    chat_id: str = "", robot_webhook: str = "", robot_secret: str = "", provider: str = "",
) -> NewImGroup:  # fmt: skip
    """A tenant administrator connects a group: secrets left blank that we may make are made,
    the group robot (the way back) is added when its webhook is given, cases are opened on
    the administrator's behalf."""
    _require_admin(actor, tenant)
    if platform not in SECRET_FIELDS:
        raise DomainError(
            "im.platform_unsupported",
            _("Messages can be received from WeCom, WeLink, DingTalk and Feishu groups."),
            field="platform",
        )
    name = (name or "").strip()
    if not name:
        raise DomainError("im.name_required", _("Give the group a name."), field="name")
    wanted = {k: (secrets.get(k) or "").strip() for k in SECRET_FIELDS[platform]}
    generated = {}
    for key in GENERATED.get(platform, ()):
        if not wanted[key]:
            wanted[key] = generated[key] = _generate(key)
    if platform == ImPlatform.WECOM and len(wanted["encoding_aes_key"]) != 43:
        raise DomainError(
            "im.aes_key_invalid",
            _("The EncodingAESKey has 43 letters and digits; leave it blank to have one made."),
            field="encoding_aes_key",
        )
    try:
        provider = upstream.sole_plan(tenant, now, provider).provider
    except upstream.NoPlanInForce:
        if provider:
            raise DomainError(
                "im.provider_unknown",
                _("Your organisation has no plan of that provider in force."),
                field="provider",
            ) from None
    except upstream.SeveralPlansInForce:
        raise DomainError(
            "im.provider_required",
            _(
                "Your organisation has plans of several providers: choose the one this group's "
                "cases are filed under."
            ),
            field="provider",
        ) from None
    robot = None
    if robot_webhook.strip():
        robot = notifications.robot_add(
            actor=actor, platform=platform, name=name, webhook_url=robot_webhook.strip(),
            secret=robot_secret, tenant=tenant, now=now, language=tenant.language or "zh-hans",
        )  # fmt: skip
    group = im_group_add(
        actor=actor, tenant=tenant, platform=platform, name=name, secrets=wanted,
        requester=actor, now=now, chat_id=chat_id.strip(), robot=robot, provider=provider,
    )  # fmt: skip
    return NewImGroup(group, generated)


@transaction.atomic
def im_group_disconnect(*, actor: Any, group: ImGroup, now: datetime) -> None:
    """The group's URL refuses messages from now on; its cases stay as they are."""
    _require_admin(actor, group.tenant)
    ImGroup.objects.filter(pk=group.pk).update(active=False)
    audit_log(
        action="im.group_disconnected", actor=actor, tenant=group.tenant, target=group,
        data={"platform": group.platform, "name": group.name}, at=now,
    )  # fmt: skip


def secret_hints(group: ImGroup) -> list[tuple[str, str]]:
    """The group's secrets as people may see them: label and the last characters."""
    stored = group_secrets(group)
    return [
        (str(SECRET_LABELS.get(k, k)), mask(stored.get(k, "")))
        for k in SECRET_FIELDS.get(group.platform, ())
    ]


def callback_steps(platform: str, url: str) -> list[str]:
    """What to do in the platform's console, in the reader's language."""
    steps = {
        ImPlatform.WECOM: [
            _("In the WeCom admin console, open the group's intelligent robot (or your app) and choose API mode."),
            _("Set the URL to %(url)s, and paste the Token and EncodingAESKey shown here.") % {"url": url},
            _("Save: WeCom checks the URL at once; the robot then answers when mentioned in the group."),
        ],
        ImPlatform.WELINK: [
            _("In the WeLink open platform (open.welink.huaweicloud.com), open your app that the group robot belongs to."),
            _("Under callback settings, set the callback URL to %(url)s.") % {"url": url},
            _("Copy the app's App Secret into this page: WeLink encrypts every callback with it."),
            _("Save: WeLink sends a test event, which this URL answers; then add the robot to the group."),
        ],
        ImPlatform.FEISHU: [
            _("In the Feishu developer console, open your app and enable the robot."),
            _("Under Events and callbacks, set the request URL to %(url)s and subscribe to “Receive message” (im.message.receive_v1).") % {"url": url},
            _("Copy the Verification Token and Encrypt Key into this page."),
        ],
        ImPlatform.DINGTALK: [
            _("In the DingTalk developer console, open your app's robot and choose HTTP mode."),
            _("Set the message receiving URL to %(url)s.") % {"url": url},
            _("Copy the app's AppSecret into this page: DingTalk signs every message with it."),
        ],
    }  # fmt: skip
    return steps.get(platform, [])  # type: ignore[call-overload,no-any-return]
