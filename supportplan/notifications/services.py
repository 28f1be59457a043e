"""Writes of notifications.

- `on_audit_entry` is the audit subscriber: inside the event's transaction it writes one
  `Dispatch` row (the notification intent) and enqueues `tasks.dispatch` with the event.
- `dispatch_run` (that task) fans the committed event out: recipients, preferences,
  entitlements, rendering, outbox rows and in-app notices, in one transaction that also marks
  the dispatch done; it enqueues delivery on commit. Running it twice writes nothing twice.
- `dispatch_due` finds dispatches whose task was lost or whose worker died (the sweep).
- `outbox_deliver` claims one row with a conditional UPDATE, sends it outside any
  transaction, logs the attempt, and schedules the retry or gives up (visibly).
- `outbox_due` is the periodic sweep's half: due retries and claims of crashed workers.
- Robots, preferences and the inbox have one service per change.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from supportplan.accounts import permissions as perms
from supportplan.accounts.models import Role, Tenant, User
from supportplan.core.audit import audit_log
from supportplan.core.bulk import insert_rows
from supportplan.core.errors import Conflict, DomainError, PermissionDenied
from supportplan.core.models import AuditEntry
from supportplan.core.task_backend import enqueue_rows, is_database_backend

from . import dispatch, domain, secrets, selectors, senders
from .models import (
    Channel,
    DeliveryAttempt,
    Dispatch,
    DispatchStatus,
    InAppNotification,
    Outbox,
    OutboxStatus,
    Platform,
    Preference,
    Robot,
    Team,
    Topic,
)

logger = logging.getLogger(__name__)

DEFAULT_GIVE_UP_AFTER = timedelta(hours=24)
DEFAULT_LEASE = timedelta(minutes=5)
DEFAULT_DISPATCH_GRACE = timedelta(minutes=1)


def give_up_after() -> timedelta:
    value = getattr(settings, "NOTIFICATIONS_GIVE_UP_AFTER", DEFAULT_GIVE_UP_AFTER)
    return value if isinstance(value, timedelta) else timedelta(seconds=float(value))


def lease() -> timedelta:
    value = getattr(settings, "NOTIFICATIONS_LEASE", DEFAULT_LEASE)
    return value if isinstance(value, timedelta) else timedelta(seconds=float(value))


# --------------------------------------------------------------------------- dispatch


@dataclass
class Dispatched:
    outbox_ids: list[int] = field(default_factory=list)
    in_app_ids: list[int] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # why something was not sent
    error: str = ""  # the fan-out itself failed (a bug): nothing but a failed row was written


def dispatch_grace() -> timedelta:
    """How long a pending dispatch waits for its on-commit task before the sweep runs it."""
    value = getattr(settings, "NOTIFICATIONS_DISPATCH_GRACE", DEFAULT_DISPATCH_GRACE)
    return value if isinstance(value, timedelta) else timedelta(seconds=float(value))


def on_audit_entry(entry: AuditEntry) -> None:
    """The audit subscriber (registered in apps.ready), inside the event's transaction.

    It only records the intent: one `Dispatch` row for an entry the dispatch table has a
    rule for (nothing at all for a silent one). Recipients, rendering and the outbox rows
    are written after commit by `tasks.dispatch`, off the business transaction."""
    if dispatch.rule_for(entry.action) is None:
        return
    row = Dispatch.objects.create(
        entry=entry, next_attempt_at=entry.at + dispatch_grace(), created_at=entry.at
    )
    _enqueue_dispatch(row.pk)


def on_audit_entries(entries: list[AuditEntry]) -> None:
    """`on_audit_entry` for a list written at once (`audit_log_bulk`, e.g. the SLA sweep):
    the dispatch rows in one INSERT and, with the database task backend, their jobs in
    another, instead of two INSERTs per entry."""
    wanted = [e for e in entries if dispatch.rule_for(e.action) is not None]
    if not wanted:
        return
    grace = dispatch_grace()
    rows = insert_rows(
        Dispatch,
        [{"entry_id": e.pk, "next_attempt_at": e.at + grace, "created_at": e.at} for e in wanted],
    )
    from . import tasks

    if all(rows) and enqueue_rows(tasks.dispatch, [{"dispatch_id": pk} for pk in rows]):
        return
    for pk in rows:
        _enqueue_dispatch(pk)


on_audit_entry.bulk = on_audit_entries  # type: ignore[attr-defined]


def _enqueue_dispatch(dispatch_id: int) -> None:
    """With the database task backend the job row joins the event's transaction (atomic with
    it, and no second commit); other backends get it on commit, so a worker never looks for
    a dispatch that is not committed. Either way the sweep is the safety net."""
    from . import tasks

    if is_database_backend(tasks.dispatch.get_backend()):
        tasks.dispatch.enqueue(dispatch_id=dispatch_id)
        return

    def enqueue() -> None:
        try:
            tasks.dispatch.enqueue(dispatch_id=dispatch_id)
        except Exception:  # the periodic sweep picks the row up anyway
            logger.exception("could not enqueue notification dispatch %s", dispatch_id)

    transaction.on_commit(enqueue)


def dispatch_run(*, dispatch_id: int, now: datetime) -> str:
    """Fan one committed event out to its recipients; idempotent and safe to run concurrently.

    The dispatch row is locked and marked done in the transaction that writes the outbox rows
    and in-app notices, so a crash leaves nothing half-done (the row stays pending for the
    sweep), and a second run, concurrent or later, finds it done and writes nothing."""
    if now.tzinfo is None:
        raise ValueError("dispatch_run needs an aware `now`")
    with transaction.atomic():
        row = (
            Dispatch.objects.select_for_update(of=("self",))
            .select_related("entry")
            .filter(pk=dispatch_id)
            .first()
        )
        if row is None or row.status != DispatchStatus.PENDING:
            return "not_pending"
        result = dispatch_entry(row.entry)
        row.attempts += 1
        row.done_at = now
        row.status = DispatchStatus.FAILED if result.error else DispatchStatus.DONE
        row.last_error = result.error
        row.save(update_fields=["attempts", "done_at", "status", "last_error"])
        if result.outbox_ids:
            ids = list(result.outbox_ids)
            transaction.on_commit(lambda: enqueue_delivery(ids))
    return str(row.status)


def dispatch_due(*, now: datetime, limit: int = 500) -> list[int]:
    """Pending dispatches whose on-commit task is overdue (lost, or its worker died): moved
    one grace period on (so the next sweep does not pile up copies) and returned to run."""
    ids = list(
        Dispatch.objects.filter(status=DispatchStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    if ids:
        Dispatch.objects.filter(pk__in=ids, status=DispatchStatus.PENDING).update(
            next_attempt_at=now + dispatch_grace()
        )
    return ids


def dispatch_pending(*, now: datetime) -> int:
    """Run, in this process, every dispatch of an event up to `now` that has not run yet (its
    task may still be queued: running it here is harmless). Returns how many ran."""
    pending = Dispatch.objects.filter(status=DispatchStatus.PENDING, created_at__lte=now)
    ids = list(pending.order_by("created_at", "pk").values_list("pk", flat=True))
    for pk in ids:
        dispatch_run(dispatch_id=pk, now=now)
    return len(ids)


def dispatch_entry(entry: AuditEntry) -> Dispatched:
    """Write the outbox rows and in-app notices for one entry (the fan-out itself)."""
    rule = dispatch.rule_for(entry.action)
    if rule is None:
        return Dispatched()
    try:
        with transaction.atomic():
            return _dispatch(rule, entry)
    except Exception as exc:
        # Never let a notification bug go unnoticed or block the rest; leave a visible failure.
        logger.exception("notification dispatch failed for audit entry %s", entry.pk)
        Outbox.objects.get_or_create(
            dedupe_key=f"{entry.pk}:dispatch-error",
            defaults={
                "entry": entry,
                "rule": entry.action,
                "topic": rule.topic,
                "channel": Channel.EMAIL,
                "tenant_id": entry.tenant_id,
                "language": "en",
                "content": {"subject": f"dispatch of {entry.action} failed"},
                "status": OutboxStatus.FAILED,
                "next_attempt_at": entry.at,
                "give_up_at": entry.at,
                "created_at": entry.at,
                "failed_at": entry.at,
                "last_error": f"dispatch failed: {exc!r}",
            },
        )
        return Dispatched(error=f"dispatch failed: {exc!r}")


def enqueue_delivery(ids: list[int], *, first: bool = True) -> None:
    from . import tasks

    for pk in ids:
        try:
            tasks.deliver.enqueue(outbox_id=pk, first=first)
        except Exception:  # the periodic sweep picks the row up anyway
            logger.exception("could not enqueue delivery of outbox %s", pk)


def _dispatch(rule: dispatch.Rule, entry: AuditEntry) -> Dispatched:
    result = Dispatched()
    rendered: dict[str, domain.Content] = {}

    def content(language: str) -> domain.Content:
        if language not in rendered:
            rendered[language] = dispatch.render(rule, entry, language)
        return rendered[language]

    tenant = Tenant.objects.filter(pk=entry.tenant_id).first() if entry.tenant_id else None
    emailed: set[str] = set()
    people = [pk for pk in rule.people(entry)]
    users = {u.pk: u for u in User.objects.filter(pk__in=people, is_active=True)}
    off = set(
        Preference.objects.filter(user_id__in=people, topic=rule.topic, enabled=False).values_list(
            "user_id", "channel"
        )
    )
    for pk in people:
        user = users.get(pk)
        if user is None:
            continue
        if user.tenant_id is not None and user.tenant_id != entry.tenant_id:
            # Defence in depth: a customer never hears of another tenant's events.
            result.skipped.append(f"user {pk}: other tenant")
            continue
        language = user.language or settings.LANGUAGE_CODE
        if rule.in_app and (pk, Channel.IN_APP) not in off:
            notice, created = InAppNotification.objects.get_or_create(
                dedupe_key=f"{entry.pk}:{rule_key(entry)}:user:{pk}",
                defaults={
                    "user": user,
                    "tenant_id": entry.tenant_id,
                    "entry": entry,
                    "rule": entry.action,
                    "topic": rule.topic,
                    "content": {lang: content(lang).as_dict() for lang in dispatch.LANGUAGES},
                    "created_at": entry.at,
                },
            )
            if created:
                result.in_app_ids.append(notice.pk)
        if rule.email and user.email and (pk, Channel.EMAIL) not in off:
            address = user.email.strip()
            if address.lower() not in emailed:
                emailed.add(address.lower())
                _email(result, rule, entry, address, language, content(language), user=user)
    if rule.addresses is not None:
        language = tenant.language if tenant else settings.LANGUAGE_CODE
        for address in rule.addresses(entry):
            if address and address.lower() not in emailed:
                emailed.add(address.lower())
                _email(result, rule, entry, address, language, content(language))
    if rule.tenant_im and tenant is not None:
        robots = list(selectors.robots_of_tenant(tenant).filter(active=True))
        if robots:
            entitlement = selectors.im_entitlement(tenant, entry.at)
            for robot in robots:
                if entitlement.allows(robot.platform):
                    _robot(result, rule, entry, robot, tenant.language, content(tenant.language))
                else:
                    result.skipped.append(f"robot {robot.pk}: IM group not in plan")
    if rule.team_im:
        queue = str(entry.data.get("to_queue") or entry.data.get("queue") or "")
        for robot in selectors.team_robots_for_queue(queue):
            language = robot.team.language if robot.team else settings.LANGUAGE_CODE
            _robot(result, rule, entry, robot, language, content(language))
    return result


def rule_key(entry: AuditEntry) -> str:
    return entry.action


def _email(
    result: Dispatched,
    rule: dispatch.Rule,
    entry: AuditEntry,
    address: str,
    language: str,
    content: domain.Content,
    user: User | None = None,
) -> None:
    row, created = Outbox.objects.get_or_create(
        dedupe_key=f"{entry.pk}:{entry.action}:email:{address.lower()}",
        defaults={
            "entry": entry,
            "rule": entry.action,
            "topic": rule.topic,
            "channel": Channel.EMAIL,
            "tenant_id": entry.tenant_id,
            "user": user,
            "address": address,
            "language": language,
            "content": content.as_dict(),
            "html": senders.render_html(content, language),
            "attachments": rule.attachments(entry) if rule.attachments else [],
            "next_attempt_at": entry.at,
            "give_up_at": entry.at + give_up_after(),
            "created_at": entry.at,
        },
    )
    if created:
        result.outbox_ids.append(row.pk)


def _robot(
    result: Dispatched,
    rule: dispatch.Rule,
    entry: AuditEntry,
    robot: Robot,
    language: str,
    content: domain.Content,
) -> None:
    row, created = Outbox.objects.get_or_create(
        dedupe_key=f"{entry.pk}:{entry.action}:robot:{robot.pk}",
        defaults={
            "entry": entry,
            "rule": entry.action,
            "topic": rule.topic,
            "channel": Channel.IM,
            "tenant_id": robot.tenant_id,
            "robot": robot,
            "language": language,
            "content": content.as_dict(),
            "next_attempt_at": entry.at,
            "give_up_at": entry.at + give_up_after(),
            "created_at": entry.at,
        },
    )
    if created:
        result.outbox_ids.append(row.pk)


# --------------------------------------------------------------------------- delivery


def outbox_deliver(*, outbox_id: int, now: datetime, first: bool = False) -> str:
    """Deliver one row if it is due and nobody else holds it. Returns what happened.

    `first` (the task enqueued on commit) tries a never-attempted row at once, whatever
    its planned time; retries are only taken when due.
    """
    if now.tzinfo is None:
        raise ValueError("outbox_deliver needs an aware `now`")
    claim = Outbox.objects.filter(pk=outbox_id, status=OutboxStatus.PENDING)
    claim = claim.filter(attempts=0) if first else claim.filter(next_attempt_at__lte=now)
    if not claim.update(
        status=OutboxStatus.SENDING, lease_until=now + lease(), attempts=F("attempts") + 1
    ):
        return "not_claimed"
    row = Outbox.objects.select_related("robot").get(pk=outbox_id)
    ok, permanent = True, False
    try:
        detail = senders.send(row, now)
    except senders.DeliveryFailed as exc:
        ok, permanent, detail = False, exc.permanent, exc.detail
    except Exception as exc:  # a bug must not leave the row claimed forever
        logger.exception("delivery of outbox %s crashed", outbox_id)
        ok, permanent, detail = False, False, f"internal error: {exc!r}"
    outcome = domain.after_attempt(
        ok=ok, permanent=permanent, attempts=row.attempts, now=now, give_up_at=row.give_up_at
    )
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            outbox=row, number=row.attempts, at=now, ok=ok, permanent=permanent, detail=detail
        )
        changes: dict[str, Any] = {"status": outcome.status, "lease_until": None}
        if outcome.status == OutboxStatus.SENT:
            changes.update(sent_at=now, last_error="")
        elif outcome.status == OutboxStatus.PENDING:
            changes.update(next_attempt_at=outcome.next_attempt_at, last_error=detail)
        else:
            changes.update(failed_at=now, last_error=detail)
        updated = Outbox.objects.filter(
            pk=row.pk, status=OutboxStatus.SENDING, attempts=row.attempts
        ).update(**changes)
        if updated and outcome.status == OutboxStatus.FAILED:
            audit_log(
                action="notification.failed",
                at=now,
                tenant=row.tenant,
                target=row,
                data={
                    "outbox_id": row.pk,
                    "rule": row.rule,
                    "channel": row.channel,
                    "recipient": row.address or (str(row.robot) if row.robot else ""),
                    "subject": row.subject,
                    "attempts": row.attempts,
                    "error": detail[:500],
                },
            )
    return outcome.status


def outbox_due(*, now: datetime, limit: int = 500) -> list[int]:
    """Rows to (re)try now. Claims older than their lease (a worker died mid-send) are
    released first, with an attempt logged saying the outcome is unknown."""
    stale = list(
        Outbox.objects.filter(status=OutboxStatus.SENDING, lease_until__lt=now).values_list(
            "pk", "attempts"
        )
    )
    for pk, attempts in stale:
        with transaction.atomic():
            if Outbox.objects.filter(pk=pk, status=OutboxStatus.SENDING, attempts=attempts).update(
                status=OutboxStatus.PENDING, lease_until=None, next_attempt_at=now
            ):
                DeliveryAttempt.objects.get_or_create(
                    outbox_id=pk,
                    number=attempts,
                    defaults={
                        "at": now,
                        "ok": False,
                        "detail": "the worker stopped during delivery; trying again",
                    },
                )
    return list(
        Outbox.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def deliver_due(*, now: datetime) -> dict[str, int]:
    """Dispatch and deliver everything due now in this process (tests, the
    `notifications_deliver` command): every dispatch of an event up to `now` that has not run
    yet (its task may still be queued: running it here is harmless), then due deliveries."""
    dispatch_pending(now=now)
    counts: dict[str, int] = {}
    for pk in outbox_due(now=now):
        status = outbox_deliver(outbox_id=pk, now=now)
        counts[status] = counts.get(status, 0) + 1
    return counts


@transaction.atomic
def outbox_retry(*, actor: User, outbox: Outbox, now: datetime) -> Outbox:
    """Staff send a given-up message again (after fixing the mail server or the robot)."""
    if not perms.has_role(actor, {Role.PLATFORM_ADMIN, Role.SUPPORT_MANAGER}):
        raise PermissionDenied()
    if outbox.status != OutboxStatus.FAILED:
        raise Conflict(
            "notification.not_failed",
            _("Only a message whose delivery failed can be sent again (this one is %(state)s)."),
            state=outbox.get_status_display(),
        )
    Outbox.objects.filter(pk=outbox.pk, status=OutboxStatus.FAILED).update(
        status=OutboxStatus.PENDING,
        next_attempt_at=now,
        give_up_at=now + give_up_after(),
        failed_at=None,
    )
    audit_log(
        action="notification.retried",
        at=now,
        actor=actor,
        tenant=outbox.tenant,
        target=outbox,
        data={"outbox_id": outbox.pk},
    )
    pk = outbox.pk
    transaction.on_commit(lambda: enqueue_delivery([pk], first=False))
    outbox.refresh_from_db()
    return outbox


# --------------------------------------------------------------------------- robots

MANAGE_TEAMS = frozenset({Role.PLATFORM_ADMIN, Role.SUPPORT_MANAGER})


def _check_robot_owner(actor: User, tenant: Tenant | None, team: Team | None) -> None:
    if (tenant is None) == (team is None):
        raise DomainError(
            "notification.robot_owner",
            _("A robot belongs either to a tenant's IM group or to a staff team."),
        )
    if tenant is not None:
        perms.require_tenant_admin(actor, tenant)
    elif not perms.has_role(actor, MANAGE_TEAMS):
        raise PermissionDenied(
            "notification.team_robot_forbidden",
            _("Only a support manager or platform administrator can set up team robots."),
        )


def _check_webhook(platform: str, webhook_url: str) -> None:
    if platform not in Platform.values:
        raise DomainError(
            "notification.robot_platform_unknown",
            _("Choose one of these robot platforms: %(platforms)s."),
            platforms=", ".join(Platform.values),
            field="platform",
        )
    extra = tuple(getattr(settings, "NOTIFICATIONS_ROBOT_EXTRA_HOSTS", ()))
    problem = domain.webhook_problem(platform, webhook_url, extra)
    if problem:
        raise DomainError(
            "notification.robot_webhook_invalid",
            _(
                "This is not a %(platform)s webhook address. Copy it from the robot's settings; "
                "it starts with https://%(host)s/."
            ),
            platform=Platform(platform).label,
            host=domain.PLATFORM_HOSTS[platform][0],
            field="webhook_url",
        )


def _check_entitlement(tenant: Tenant, platform: str, now: datetime, language: str) -> None:
    entitlement = selectors.im_entitlement(tenant, now, language)
    if not entitlement.included:
        raise DomainError(
            "notification.im_group_not_in_plan",
            _(
                "Your support plan does not include an IM group, so no group robot can be set "
                "up. Plans that include it: %(plans)s."
            ),
            plans=", ".join(entitlement.plans_with_im) or "-",
            status=403,
        )
    if not entitlement.allows(platform):
        allowed = sorted(entitlement.platforms or ())
        raise DomainError(
            "notification.im_platform_not_in_plan",
            _("Your plan's IM group runs on %(allowed)s only, not on %(platform)s."),
            allowed=", ".join(str(Platform(p).label) for p in allowed if p in Platform.values),
            platform=Platform(platform).label,
            field="platform",
        )


@transaction.atomic
def robot_add(
    *,
    actor: User,
    platform: str,
    name: str,
    webhook_url: str,
    now: datetime,
    secret: str = "",
    tenant: Tenant | None = None,
    team: Team | None = None,
    language: str = "en",
) -> Robot:
    _check_robot_owner(actor, tenant, team)
    _check_webhook(platform, webhook_url)
    if tenant is not None:
        _check_entitlement(tenant, platform, now, language)
    name = (name or "").strip()
    if not name:
        raise DomainError(
            "notification.robot_name_required", _("Give the robot a name."), field="name"
        )
    webhook_url = webhook_url.strip()
    robot = Robot.objects.create(
        tenant=tenant,
        team=team,
        platform=platform,
        name=name[:100],
        webhook_encrypted=secrets.encrypt(webhook_url),
        webhook_hint=_hint(webhook_url),
        secret_encrypted=secrets.encrypt(secret.strip()),
        created_at=now,
        updated_at=now,
    )
    audit_log(
        action="notification.robot.added",
        at=now,
        actor=actor,
        tenant=tenant,
        target=robot,
        data={"platform": platform, "name": robot.name, "team_id": team.pk if team else None},
    )
    return robot


def _hint(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{'/…' if parts.path else ''} {secrets.mask(url)}"


@transaction.atomic
def robot_update(
    *,
    actor: User,
    robot: Robot,
    now: datetime,
    name: str | None = None,
    webhook_url: str | None = None,
    secret: str | None = None,
    active: bool | None = None,
    language: str = "en",
) -> Robot:
    _check_robot_owner(actor, robot.tenant, robot.team)
    changed: list[str] = []
    if name is not None and name.strip() and name.strip() != robot.name:
        robot.name = name.strip()[:100]
        changed.append("name")
    if webhook_url:
        _check_webhook(robot.platform, webhook_url)
        robot.webhook_encrypted = secrets.encrypt(webhook_url.strip())
        robot.webhook_hint = _hint(webhook_url.strip())
        changed += ["webhook_encrypted", "webhook_hint"]
    if secret is not None:
        robot.secret_encrypted = secrets.encrypt(secret.strip())
        changed.append("secret_encrypted")
    if active is not None and active != robot.active:
        if active and robot.tenant is not None:
            _check_entitlement(robot.tenant, robot.platform, now, language)
        robot.active = active
        changed.append("active")
    if changed:
        robot.updated_at = now
        robot.save(update_fields=[*changed, "updated_at"])
        audit_log(
            action="notification.robot.changed",
            at=now,
            actor=actor,
            tenant=robot.tenant,
            target=robot,
            # never the secret values, only which fields changed
            data={"fields": sorted({f.replace("_encrypted", "") for f in changed})},
        )
    return robot


@transaction.atomic
def robot_remove(*, actor: User, robot: Robot, now: datetime) -> None:
    _check_robot_owner(actor, robot.tenant, robot.team)
    audit_log(
        action="notification.robot.removed",
        at=now,
        actor=actor,
        tenant=robot.tenant,
        target=robot,
        data={"platform": robot.platform, "name": robot.name},
    )
    robot.delete()


@dataclass(frozen=True)
class RobotTest:
    """What a test message to a robot came to: delivered or not, the platform's answer as
    it gave it, and the sentence to show the person who asked (in their language)."""

    ok: bool
    detail: str
    message: str


def robot_test(*, actor: User, robot: Robot, now: datetime, language: str = "en") -> RobotTest:
    """Send a test message to the robot at once and report what its platform answered, so
    whoever set it up sees whether the webhook address and the signing secret are right.

    Called in the request (the answer is the point), outside any transaction; the attempt is
    audited (`notification.robot.tested`, silent). Nothing is queued or retried."""
    _check_robot_owner(actor, robot.tenant, robot.team)
    with translation.override(language):
        platform = robot.get_platform_display()
        content = domain.Content(
            subject=str(_("supportplan test message")),
            intro=str(_("If your group sees this message, the robot is set up correctly.")),
            facts=(
                (str(_("Robot")), robot.name),
                (str(_("Sent by")), actor.get_full_name() or actor.get_username()),
                (str(_("Time")), dispatch.local_time(now.isoformat())),
            ),
        )
        try:
            detail = senders.call_robot(robot, content, now=now, call_id=uuid.uuid4())
        except senders.DeliveryFailed as exc:
            ok, detail = False, exc.detail
            message = _(
                "%(platform)s did not accept the test message: %(detail)s. Check the webhook "
                "address and the signing secret."
            ) % {"platform": platform, "detail": detail}
        else:
            ok = True
            message = _(
                "%(platform)s accepted the test message; it should now be in the group."
            ) % {"platform": platform}
        message = str(message)
    audit_log(
        action="notification.robot.tested",
        at=now,
        actor=actor,
        tenant=robot.tenant,
        target=robot,
        data={"platform": robot.platform, "ok": ok, "detail": detail[:500]},
    )
    return RobotTest(ok=ok, detail=detail, message=message)


# --------------------------------------------------------------------------- preferences & inbox


@transaction.atomic
def preference_set(
    *, user: User, topic: str, channel: str, enabled: bool, now: datetime
) -> Preference:
    if topic not in Topic.values:
        raise DomainError(
            "notification.topic_unknown",
            _("Unknown topic %(topic)s. Choose one of: %(topics)s."),
            topic=topic,
            topics=", ".join(Topic.values),
            field="topic",
        )
    if channel not in (Channel.EMAIL, Channel.IN_APP):
        raise DomainError(
            "notification.channel_not_personal",
            _("You can choose e-mail or in-app per topic; IM groups are set up per organisation."),
            field="channel",
        )
    preference, _created = Preference.objects.update_or_create(
        user=user, topic=topic, channel=channel, defaults={"enabled": bool(enabled)}
    )
    audit_log(
        action="notification.preference.set",
        at=now,
        actor=user,
        tenant=user.tenant,
        target=preference,
        data={"topic": topic, "channel": channel, "enabled": bool(enabled)},
    )
    return preference


def in_app_mark_read(*, user: User, now: datetime, ids: list[int] | None = None) -> int:
    """Mark the user's own notices read (all unread ones when `ids` is None)."""
    qs = InAppNotification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=now)
