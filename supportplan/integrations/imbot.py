"""The support bot in a tenant's IM enterprise group (IM企业群), both ways.

Someone mentions the bot: a case opens on the `im_group` channel with the plan's rules as on
every channel; when the severity or the system is missing the bot asks, listing the choices
the plan allows; "#123 text" adds to case 123, and later messages of the same person go to
the case they opened; "status" (状态) lists the group's open cases with their state and due
time. Answers are posted to the group through its robot (notifications.senders.call_robot)."""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from supportplan.cases import selectors as case_selectors
from supportplan.cases import services as case_services
from supportplan.cases import upstream
from supportplan.cases.models import ACTIVE_STATE_VALUES, Case, CaseState
from supportplan.core import clock
from supportplan.core.errors import DomainError
from supportplan.notifications import secrets as stored_secrets
from supportplan.notifications.domain import Content
from supportplan.notifications.senders import DeliveryFailed, call_robot

from .im_files import FileRef
from .models import ImConversation, ImGroup, ImMessageSeen

CHANNEL = "im_group"
STATUS_WORDS = {"status", "状态", "进度"}
FOLLOW_UP_FOR = timedelta(hours=24)


@dataclass(frozen=True)
class Inbound:
    message_id: str
    sender_id: str
    sender_name: str
    text: str  # without the mention of the bot
    chat_id: str = ""
    timestamp: str = ""  # the platform's, where its answer must echo it (WeLink)
    # files or images posted (im_files); a WeCom mixed message also has text, a quote the
    # quoted message's files; WeLink's are only noticed (its files can't be fetched)
    files: tuple[FileRef, ...] = ()


def group_secrets(group: ImGroup) -> dict[str, str]:
    return json.loads(stored_secrets.decrypt(group.secrets_encrypted) or "{}")  # type: ignore[no-any-return]


def _say(group: ImGroup, text: str) -> None:
    """Post the bot's answer to the group (failures are logged by the robot's own code)."""
    if group.robot is None:
        return
    lines = text.split("\n")
    # A failed answer is the robot's to report (its delivery log); the case is not affected.
    with contextlib.suppress(DeliveryFailed):
        call_robot(
            group.robot, Content(subject=lines[0], intro="\n".join(lines[1:])),
            now=clock.now(), call_id=uuid.uuid4(),
        )  # fmt: skip


def say(group: ImGroup, text: str) -> None:
    _say(group, text)


def _due(case: Case) -> str:
    if case.first_response_due is None:
        return "—"
    return clock.to_business(case.first_response_due).strftime("%Y-%m-%d %H:%M")


def im_message_receive(*, group: ImGroup, message: Inbound, now: datetime) -> list[str]:
    """Handle one message; returns the answers posted (also when the robot is unset)."""
    try:
        with transaction.atomic():
            ImMessageSeen.objects.create(group=group, message_id=message.message_id, seen_at=now)
    except IntegrityError:
        return []  # the platform retried, or a replay
    with translation.override(group.tenant.language or "zh-hans"):
        answers = _handle(group, message, now)
    for answer in answers:
        _say(group, answer)
    return answers


def _handle(group: ImGroup, message: Inbound, now: datetime) -> list[str]:
    text = message.text.strip()
    conversation, _created = ImConversation.objects.get_or_create(
        group=group, sender_id=message.sender_id,
        defaults={"sender_name": message.sender_name, "updated_at": now},
    )  # fmt: skip
    if message.files:
        answers, case = _file(group, conversation, message, now)
        if case is not None and text:  # the words posted with the files go in too
            answers += _add(group, case, message, text, now)
        return answers
    if text.lower() in STATUS_WORDS:
        return [_status(group)]
    numbered = re.match(r"^#(\d+)\s*(.*)$", text, re.S)
    if numbered:
        case = _group_case(group, int(numbered.group(1)))
        if case is None:
            return [_("Case #%(n)s is not one of this group's cases.") % {"n": numbered.group(1)}]
        return _add(group, case, message, numbered.group(2), now)
    if conversation.waiting_for:
        return _answer(group, conversation, message, text, now)
    recent = conversation.case
    if (
        recent is not None
        and recent.state in ACTIVE_STATE_VALUES
        and now - conversation.updated_at < FOLLOW_UP_FOR
    ):
        return _add(group, recent, message, text, now)
    if not text:
        return [_("Tell me what is wrong, e.g. “@support the database is down”.")]
    conversation.draft = {"description": text, "sender": message.sender_name}
    return _next_question(group, conversation, now)


def _plan(group: ImGroup, now: datetime) -> upstream.PlanResolved | str:
    """The plan the group's cases file under, or the refusal to post in the group."""
    try:
        return upstream.sole_plan(group.tenant, now, group.provider)
    except upstream.NoPlanInForce:
        return _("Your organisation has no support plan in force.")
    except upstream.SeveralPlansInForce:
        return _(
            "Your organisation has plans of several providers: its administrator chooses, on "
            "the IM group's page, which one this group's cases are filed under."
        )


def _systems(group: ImGroup) -> list:  # type: ignore[type-arg]
    from supportplan.accounts.models import RegisteredSystem

    return list(RegisteredSystem.objects.for_tenant(group.tenant).order_by("name"))


def _next_question(group: ImGroup, conversation: ImConversation, now: datetime) -> list[str]:
    found = _plan(group, now)
    if isinstance(found, str):
        return [found]
    catalog, plan = found.catalog, found.plan
    lang = translation.get_language()
    draft = conversation.draft
    if "severity" not in draft:
        conversation.waiting_for = "severity"
        conversation.updated_at = now
        conversation.save()
        choices = [f"{i}. {st.severity.name.get(lang)}" for i, st in
                   enumerate(plan.severity_targets, 1)]  # fmt: skip
        return ["\n".join([_("How severe is it? Answer with the number:"), *choices])]
    severity = catalog.severity(draft["severity"])
    generic = set(severity.system_classes) == {"core_production", "production", "non_production"}
    systems = [s for s in _systems(group) if severity.fits(s.classification)]
    if "system" not in draft and systems and not generic:
        conversation.waiting_for = "system"
        conversation.updated_at = now
        conversation.save()
        choices = [f"{i}. {s.name} ({s.get_classification_display()})" for i, s in
                   enumerate(systems, 1)]  # fmt: skip
        return ["\n".join([_("Which system is affected? Answer with the number:"), *choices])]
    return _open(group, conversation, now)


def _answer(
    group: ImGroup, conversation: ImConversation, message: Inbound, text: str, now: datetime
) -> list[str]:
    found = _plan(group, now)
    if isinstance(found, str):
        return [found]
    catalog, plan = found.catalog, found.plan
    pick = int(text) if text.isdigit() else 0
    if conversation.waiting_for == "severity":
        options = [st.severity.code for st in plan.severity_targets]
        if not 1 <= pick <= len(options):
            return [_("Answer with one of the numbers 1 to %(n)s.") % {"n": len(options)}]
        conversation.draft = {**conversation.draft, "severity": options[pick - 1]}
    else:
        severity = catalog.severity(conversation.draft["severity"])
        systems = [s for s in _systems(group) if severity.fits(s.classification)]
        if not 1 <= pick <= len(systems):
            return [_("Answer with one of the numbers 1 to %(n)s.") % {"n": len(systems)}]
        conversation.draft = {**conversation.draft, "system": systems[pick - 1].pk}
    conversation.waiting_for = ""
    return _next_question(group, conversation, now)


def _open(group: ImGroup, conversation: ImConversation, now: datetime) -> list[str]:
    from supportplan.accounts.models import RegisteredSystem

    found = _plan(group, now)
    if isinstance(found, str):
        return [found]
    provider, catalog = found.provider, found.catalog
    draft = conversation.draft
    # The platform is named only where the catalog's channel lists platforms (the partner's
    # WeLink / WeCom); Tencent's IM group leaves the software to Tencent.
    platform = group.platform if catalog.channel(CHANNEL).platforms else ""
    system = (
        RegisteredSystem.objects.for_tenant(group.tenant).filter(pk=draft["system"]).first()
        if draft.get("system")
        else None
    )
    description = draft["description"]
    subject = description.splitlines()[0][:100]
    body = _("Reported in the IM group by %(who)s:") % {"who": draft.get("sender") or "—"}
    try:
        case = case_services.case_open(
            actor=group.requester, tenant=group.tenant, provider=provider, channel=CHANNEL,
            im_platform=platform, severity=draft["severity"], subject=subject,
            description=f"{body}\n{description}", system=system, now=now,
        )  # fmt: skip
    except DomainError as exc:
        conversation.draft, conversation.waiting_for = {}, ""
        conversation.updated_at = now
        conversation.save()
        return [exc.message]
    conversation.case, conversation.draft, conversation.waiting_for = case, {}, ""
    conversation.updated_at = now
    conversation.save()
    return [
        _("Case #%(n)s is open: %(subject)s. First response due %(due)s (Beijing time).")
        % {"n": case.pk, "subject": case.subject, "due": _due(case)}
    ]


def _group_case(group: ImGroup, number: int) -> Case | None:
    return (
        case_selectors.cases_visible_to(group.requester)
        .filter(pk=number, tenant=group.tenant, channel=CHANNEL)
        .first()
    )


def _add(group: ImGroup, case: Case, message: Inbound, text: str, now: datetime) -> list[str]:
    if not text.strip():
        return []
    body = f"{message.sender_name}: {text}" if message.sender_name else text
    try:
        case_services.case_customer_reply(actor=group.requester, case=case, body=body, now=now)
    except DomainError as exc:
        return [exc.message]
    ImConversation.objects.filter(group=group, sender_id=message.sender_id).update(
        case=case, updated_at=now
    )
    return [_("Added to case #%(n)s.") % {"n": case.pk}]


def _file(
    group: ImGroup, conversation: ImConversation, message: Inbound, now: datetime
) -> tuple[list[str], Case | None]:
    """Files go to the case the sender is talking about; each is fetched by a task, which
    answers in the group once it is attached (or why not). Returns the answers now and the
    case the files went to (None when they did not)."""
    from supportplan.notifications.dispatch import site_url

    from . import im_files

    recent = conversation.case
    if (
        recent is None
        or recent.state not in ACTIVE_STATE_VALUES
        or now - conversation.updated_at >= FOLLOW_UP_FOR
        or _group_case(group, recent.pk) is None
    ):
        return [_("Open a case first (mention me with what is wrong), then post the file.")], None
    if group.platform not in im_files.FETCHABLE:
        # WeLink documents no way for a bot to fetch a file posted in a group
        # (docs/integrations.md): the person is sent to the case's page instead.
        link = f"{site_url()}{reverse('web:case', args=[recent.pk])}"
        return [
            _(
                "Files posted in this group can't be added to case #%(n)s from here; "
                "attach them on the case's page: %(link)s"
            )
            % {"n": recent.pk, "link": link}
        ], None
    if im_files.credentials_missing(group.platform, group_secrets(group)):
        return [
            _(
                "Files can't be fetched: the administrator adds the app credentials on the IM "
                "group page."
            )
        ], None
    for index, ref in enumerate(message.files):
        im_files.enqueue(group, recent, message.message_id, ref, index)
    ImConversation.objects.filter(pk=conversation.pk).update(updated_at=now)
    return [], recent


def _status(group: ImGroup) -> str:
    cases = (
        case_selectors.cases_visible_to(group.requester)
        .filter(tenant=group.tenant, channel=CHANNEL, state__in=ACTIVE_STATE_VALUES)
        .order_by("created_at")[:10]
    )
    if not cases:
        return _("This group has no open cases.")
    lines = [_("Open cases of this group:")]
    for case in cases:
        lines.append(
            _("#%(n)s %(subject)s — %(state)s, first response due %(due)s")
            % {
                "n": case.pk,
                "subject": case.subject,
                "state": CaseState(case.state).label,
                "due": _due(case),
            }  # fmt: skip
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- set-up, way back


@transaction.atomic
def im_group_add(
    *, actor: Any, tenant: Any, platform: str, name: str, secrets: dict[str, str],
    requester: Any, now: datetime, chat_id: str = "", robot: Any = None, provider: str = "",
) -> ImGroup:  # fmt: skip
    """Wire a tenant's group (support managers, or the tenant's administrator)."""
    from supportplan.accounts import permissions as perms
    from supportplan.accounts.models import Role
    from supportplan.core.audit import audit_log
    from supportplan.core.errors import PermissionDenied

    staff_ok = perms.is_staff(actor) and perms.has_role(
        actor, frozenset({Role.PLATFORM_ADMIN, Role.SUPPORT_MANAGER})
    )
    admin_ok = actor.tenant_id == tenant.pk and actor.role == Role.CUSTOMER_ADMIN
    if not (staff_ok or admin_ok):
        raise PermissionDenied(
            "im.forbidden", _("Only your organisation's administrator can connect an IM group.")
        )
    required = {
        "wecom": ("token", "encoding_aes_key"),
        "feishu": ("verification_token", "encrypt_key"),  # signed events only
        "dingtalk": ("app_secret",),
        "welink": ("app_secret",),
    }
    if platform not in required:
        raise DomainError(
            "im.platform_unsupported",
            _("Messages can be received from WeCom, WeLink, DingTalk and Feishu groups."),
            field="platform",
        )
    missing = [k for k in required[platform] if not secrets.get(k)]
    if missing:
        raise DomainError(
            "im.secret_missing", _("Give the platform's %(names)s."), names=", ".join(missing)
        )
    if requester.tenant_id != tenant.pk:
        raise DomainError(
            "im.requester", _("Cases are opened on behalf of a person of the organisation.")
        )
    if robot is not None and robot.tenant_id != tenant.pk:
        raise DomainError("im.robot", _("Choose one of your organisation's robots."))
    group = ImGroup.objects.create(
        tenant=tenant, platform=platform, name=name[:100], chat_id=chat_id,
        secrets_encrypted=stored_secrets.encrypt(json.dumps(secrets)), robot=robot,
        requester=requester, provider=provider, created_at=now,
    )  # fmt: skip
    audit_log(
        action="im.group_connected", actor=actor, tenant=tenant, target=group,
        data={"platform": platform, "name": group.name}, at=now,
    )  # fmt: skip
    return group


def post_staff_reply(entry: Any) -> None:
    """Audit subscriber: a staff public reply on a case opened from a group goes back to it
    (after commit, so a rolled-back reply is never posted)."""
    if entry.action != "case.replied" or entry.target_type != "cases.case":
        return
    conversation = (
        ImConversation.objects.filter(case_id=int(entry.target_id))
        .select_related("group", "group__robot", "group__tenant")
        .first()
    )
    if conversation is None:
        return
    from supportplan.cases.models import Communication

    comm_id = (entry.data or {}).get("communication_id")
    comm = Communication.objects.filter(pk=int(comm_id)).first() if comm_id else None
    if comm is None:
        return
    group = conversation.group
    text = f"#{entry.target_id} {comm.body}"
    with translation.override(group.tenant.language or "zh-hans"):
        header = _("Support replied on case #%(n)s:") % {"n": entry.target_id}
    transaction.on_commit(lambda: _say(group, f"{header}\n{comm.body}" if comm.body else text))
