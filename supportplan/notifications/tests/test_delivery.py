"""Delivery through real parts: an SMTP server and robot webhooks on 127.0.0.1, including
ones that fail for a while and then recover. Every message arrives exactly once."""

import base64
import hashlib
import hmac
from datetime import timedelta

import pytest
from django.db import transaction

from supportplan.accounts.models import Role
from supportplan.core.models import AuditEntry
from supportplan.core.testing import T0, make_user
from supportplan.notifications import services
from supportplan.notifications.models import (
    DeliveryAttempt,
    Dispatch,
    DispatchStatus,
    InAppNotification,
    Outbox,
    OutboxStatus,
)

from .factories import case_entry, platform_admin, team_robot, tenant_on, tenant_robot

pytestmark = pytest.mark.django_db


def run_until_quiet(start, *, step=timedelta(minutes=1), limit=200):
    """Drive the retry sweep forward in time until nothing is due or pending."""
    now = start
    for _ in range(limit):
        services.deliver_due(now=now)
        if (
            not Outbox.objects.filter(
                status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING]
            ).exists()
            and not Dispatch.objects.filter(status=DispatchStatus.PENDING).exists()
        ):
            return now
        now += step
    raise AssertionError("deliveries never settled")


def test_case_opened_goes_to_requester_tenant_group_and_expert_team_once_each(
    catalogs, smtp, robot_receiver
):
    tenant = tenant_on("partner", "vip", language="en")
    requester = make_user(
        Role.CUSTOMER_MEMBER, tenant=tenant, language="zh-hans", email="li@jinhai.example"
    )
    wecom = robot_receiver("wecom")
    ding = robot_receiver("dingtalk")
    tenant_robot(tenant, "wecom", wecom.url())
    team_robot(["senior_expert"], "dingtalk", ding.url(), secret="SECteam")

    entry = case_entry(
        "case.opened", tenant, requester_id=requester.pk, due="2026-11-23T02:10:00+00:00"
    )
    assert Outbox.objects.filter(entry=entry).count() == 3  # e-mail, tenant group, team group
    services.deliver_due(now=T0)
    services.deliver_due(now=T0 + timedelta(hours=1))  # nothing left: nothing sent again

    [mail] = smtp.messages
    assert mail["To"] == "li@jinhai.example"
    assert mail["Subject"] == "[工单 #101] 已创建：Database connection refused"
    assert mail["Message-ID"].startswith("<notification-")
    plain = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "首次响应截止" in plain and "2026-11-23 10:10 (UTC+8)" in plain
    assert '<html lang="zh-hans">' in html and "https://support.example/cases/101/" in html

    [group] = wecom.received
    assert group.body["msgtype"] == "markdown"
    # the tenant's IM group reads the tenant's language
    assert group.body["markdown"]["content"].startswith(
        "**[Case #101] Opened: Database connection refused**"
    )

    [team] = ding.received
    ts = team.query["timestamp"][0]
    expected = base64.b64encode(
        hmac.new(b"SECteam", f"{ts}\nSECteam".encode(), hashlib.sha256).digest()
    ).decode()
    assert team.query["sign"] == [expected]
    assert team.query["access_token"] == ["test-token"]
    assert team.body["markdown"]["title"] == "[工单 #101] 已创建：Database connection refused"

    assert set(Outbox.objects.values_list("status", flat=True)) == {"sent"}
    assert DeliveryAttempt.objects.count() == 3
    assert InAppNotification.objects.get(user=requester).content_in("en")["subject"] == (
        "[Case #101] Opened: Database connection refused"
    )


def test_a_robot_and_smtp_that_fail_for_a_while_lose_nothing_and_duplicate_nothing(
    catalogs, smtp, robot_receiver
):
    tenant = tenant_on("tencent", "s2", language="zh-hans")
    people = [
        make_user(Role.CUSTOMER_MEMBER, tenant=tenant, email=f"p{i}@dongfang.example")
        for i in range(3)
    ]
    welink = robot_receiver("welink", fail_next=4)
    feishu = robot_receiver(
        "feishu", fail_next=2, fail_status=200, fail_body='{"code":11232,"msg":"frequency limited"}'
    )
    tenant_robot(tenant, "welink", welink.url(), name="WeLink")
    tenant_robot(tenant, "feishu", feishu.url(), secret="fs-secret", name="Feishu")
    smtp.refuse(3)

    for n in range(5):
        case_entry(
            "case.resolved",
            tenant,
            case_id=500 + n,
            provider="tencent",
            plan="s2",
            severity="business_down",
            notify=[people[n % 3].pk],
            summary="Restarted the pool",
        )
    run_until_quiet(T0)

    assert sorted(m["Subject"] for m in smtp.messages) == sorted(
        f"[工单 #{500 + n}] 已解决：Database connection refused" for n in range(5)
    )
    assert len({m["Message-ID"] for m in smtp.messages}) == 5
    texts = [r.body["content"]["text"] for r in welink.received]
    assert sorted(t.splitlines()[0] for t in texts) == sorted(
        f"[工单 #{500 + n}] 已解决：Database connection refused" for n in range(5)
    )
    assert len(feishu.received) == 5 and feishu.refused == 2 and welink.refused == 4
    for r in feishu.received:
        ts = int(r.body["timestamp"])
        key = f"{ts}\nfs-secret".encode()
        assert (
            r.body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
        )
    assert len({r.body["uuid"] for r in welink.received}) == 5
    # every attempt is logged: 15 deliveries + 3 SMTP refusals + 4 + 2 robot failures
    assert DeliveryAttempt.objects.count() == 15 + 3 + 4 + 2
    assert DeliveryAttempt.objects.filter(ok=False).count() == 9
    assert not Outbox.objects.exclude(status="sent").exists()


def test_smtp_down_then_up_delivers_after_backoff(catalogs, smtp):
    tenant = tenant_on("partner", "basic")
    person = make_user(
        Role.CUSTOMER_MEMBER, tenant=tenant, email="a@qingyun.example", language="en"
    )
    smtp.stop()
    case_entry("case.replied", tenant, notify=[person.pk], provider="partner", plan="basic")
    [row] = Outbox.objects.all()

    assert services.outbox_deliver(outbox_id=row.pk, now=T0) == "pending"
    row.refresh_from_db()
    assert row.next_attempt_at == T0 + timedelta(seconds=30)
    assert "SMTP unavailable" in row.last_error
    assert (
        services.outbox_deliver(outbox_id=row.pk, now=T0 + timedelta(seconds=10)) == "not_claimed"
    )

    smtp.start()
    assert services.deliver_due(now=T0 + timedelta(seconds=30)) == {"sent": 1}
    [mail] = smtp.messages
    assert mail["Subject"] == "[Case #101] New reply from support: Database connection refused"
    assert list(row.attempt_log.values_list("number", "ok")) == [(1, False), (2, True)]


def test_delivery_gives_up_after_the_configured_time_and_says_so(
    catalogs, settings, robot_receiver
):
    settings.NOTIFICATIONS_GIVE_UP_AFTER = timedelta(minutes=10)
    admin = platform_admin()
    manager = make_user(Role.SUPPORT_MANAGER)
    tenant = tenant_on("partner", "dedicated")
    down = robot_receiver("wecom", fail_next=10_000)
    tenant_robot(tenant, "wecom", down.url())
    case_entry("case.resolved", tenant, provider="partner", plan="dedicated")
    [row] = Outbox.objects.filter(channel="im")

    run_until_quiet(T0, step=timedelta(seconds=30))
    row.refresh_from_db()
    assert row.status == "failed"
    # tries at 0:00, 0:30, 1:30, 3:30, 7:30; the next (15:30) would pass the 10-minute limit
    assert list(row.attempt_log.values_list("at", flat=True)) == [
        T0 + timedelta(seconds=s) for s in (0, 30, 90, 210, 450)
    ]
    assert down.refused == 5
    failed = AuditEntry.objects.get(action="notification.failed")
    assert failed.data["outbox_id"] == row.pk and failed.data["attempts"] == 5
    notices = InAppNotification.objects.filter(rule="notification.failed")
    assert set(notices.values_list("user_id", flat=True)) == {admin.pk, manager.pk}


def test_a_permanent_refusal_is_not_retried(catalogs, smtp):
    tenant = tenant_on("partner", "basic")
    person = make_user(Role.CUSTOMER_MEMBER, tenant=tenant, email="gone@qingyun.example")
    smtp.refuse(1, "550 5.1.1 Mailbox does not exist")
    case_entry("case.replied", tenant, notify=[person.pk])
    [row] = Outbox.objects.all()
    assert services.outbox_deliver(outbox_id=row.pk, now=T0) == "failed"
    row.refresh_from_db()
    assert "550" in row.last_error
    assert services.deliver_due(now=T0 + timedelta(days=1)) == {}
    assert smtp.messages == []


def test_a_claimed_row_is_not_sent_by_a_second_worker_and_a_dead_claim_is_released(catalogs, smtp):
    tenant = tenant_on("partner", "basic")
    person = make_user(Role.CUSTOMER_MEMBER, tenant=tenant, email="x@qingyun.example")
    case_entry("case.replied", tenant, notify=[person.pk])
    [row] = Outbox.objects.all()
    # worker A claims (the conditional UPDATE) and dies before sending
    assert (
        Outbox.objects.filter(pk=row.pk, status="pending").update(
            status="sending", lease_until=T0 + timedelta(minutes=5), attempts=1
        )
        == 1
    )
    assert services.outbox_deliver(outbox_id=row.pk, now=T0) == "not_claimed"
    assert services.outbox_due(now=T0 + timedelta(minutes=4)) == []
    assert services.outbox_due(now=T0 + timedelta(minutes=6)) == [row.pk]
    assert services.outbox_deliver(outbox_id=row.pk, now=T0 + timedelta(minutes=6)) == "sent"
    assert services.outbox_deliver(outbox_id=row.pk, now=T0 + timedelta(minutes=7)) == "not_claimed"
    assert len(smtp.messages) == 1
    assert list(row.attempt_log.values_list("number", "ok")) == [(1, False), (2, True)]


def test_outbox_is_written_with_the_event_and_sent_after_commit(
    catalogs, smtp, django_capture_on_commit_callbacks
):
    tenant = tenant_on("partner", "basic")
    person = make_user(Role.CUSTOMER_MEMBER, tenant=tenant, email="c@qingyun.example")

    class Undo(Exception):
        pass

    # The event's transaction holds the notification intent (one dispatch row), nothing else.
    with pytest.raises(Undo), transaction.atomic():
        entry = case_entry("case.replied", tenant, notify=[person.pk], case_id=1, dispatched=False)
        pending = Dispatch.objects.filter(status="pending")
        assert list(pending.values_list("entry_id", flat=True)) == [entry.pk]
        assert Outbox.objects.count() == 0
        raise Undo
    assert not Dispatch.objects.filter(status="pending").exists()
    assert Outbox.objects.count() == 0 and InAppNotification.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        entry = case_entry("case.replied", tenant, notify=[person.pk], case_id=2, dispatched=False)
        assert Outbox.objects.count() == 0  # rendered and fanned out after commit
        assert smtp.messages == []  # nothing leaves before the event commits
    assert len(callbacks) == 2  # the dispatch task, then the delivery it enqueued on its commit
    assert Dispatch.objects.get(entry=entry).status == "done"
    [mail] = smtp.messages  # the ImmediateBackend ran the delivery task
    assert "#2" in mail["Subject"]
    assert Outbox.objects.get().status == "sent"


def test_staff_can_send_a_failed_message_again(catalogs, smtp, django_capture_on_commit_callbacks):
    tenant = tenant_on("partner", "basic")
    person = make_user(Role.CUSTOMER_MEMBER, tenant=tenant, email="r@qingyun.example")
    smtp.refuse(1, "550 5.7.1 Relaying denied")
    case_entry("case.replied", tenant, notify=[person.pk])
    row = Outbox.objects.get()
    services.outbox_deliver(outbox_id=row.pk, now=T0)
    row.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.outbox_retry(actor=platform_admin(), outbox=row, now=T0 + timedelta(hours=1))
    row.refresh_from_db()
    assert row.status == "sent"
    assert len(smtp.messages) == 1
