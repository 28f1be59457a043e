"""The fan-out runs after the event commits: the event's transaction holds only the intent (one
dispatch row); the task writes the messages once however often it runs, and a worker that dies
mid-way leaves the intent for the sweep, which completes it. Every message arrives once."""

from datetime import timedelta

import pytest

from supportplan.accounts.models import Role
from supportplan.core.testing import T0, make_user
from supportplan.notifications import services, tasks
from supportplan.notifications.models import (
    Dispatch,
    DispatchStatus,
    InAppNotification,
    Outbox,
)

from .factories import case_entry, team_robot, tenant_on, tenant_robot

pytestmark = pytest.mark.django_db


class WorkerDied(BaseException):
    """What a killed worker looks like to the code it was running (not an Exception)."""


def messages() -> list[tuple[str, str, str]]:
    return sorted(Outbox.objects.values_list("dedupe_key", "channel", "status")) + sorted(
        InAppNotification.objects.values_list("dedupe_key", "rule", "topic")
    )


@pytest.fixture
def opened(catalogs, robot_receiver):
    """A case.opened entry for a VIP tenant with a requester, a tenant IM group and a team robot,
    committed but not yet dispatched."""
    tenant = tenant_on("partner", "vip", language="en")
    requester = make_user(
        Role.CUSTOMER_MEMBER, tenant=tenant, language="zh-hans", email="li@jinhai.example"
    )
    wecom = robot_receiver("wecom")
    ding = robot_receiver("dingtalk")
    tenant_robot(tenant, "wecom", wecom.url())
    team_robot(["senior_expert"], "dingtalk", ding.url(), secret="SECteam")
    entry = case_entry(
        "case.opened",
        tenant,
        requester_id=requester.pk,
        due="2026-11-23T02:10:00+00:00",
        dispatched=False,
    )
    return entry, requester, wecom, ding


def test_the_event_commits_one_dispatch_row_and_no_message(opened):
    entry, *_ = opened
    row = Dispatch.objects.get(entry=entry)
    assert (row.status, row.attempts, row.next_attempt_at) == (
        DispatchStatus.PENDING,
        0,
        T0 + timedelta(minutes=1),
    )
    assert not Outbox.objects.filter(entry=entry).exists()
    assert not InAppNotification.objects.filter(entry=entry).exists()


def test_a_silent_code_records_no_intent(catalogs):
    tenant = tenant_on("partner", "basic")
    entry = case_entry("case.note_added", tenant, dispatched=False)
    assert not Dispatch.objects.filter(entry=entry).exists()


def test_running_the_dispatch_twice_writes_each_message_once(opened):
    entry, requester, *_ = opened
    row = Dispatch.objects.get(entry=entry)
    assert tasks.dispatch.call(dispatch_id=row.pk) == "done"
    first = messages()
    # e-mail to the requester, the tenant's IM group, the team robot; the in-app notice
    assert [(k.split(":", 2)[2], c) for k, c, _s in first[:3]] == [
        ("email:li@jinhai.example", "email"),
        (f"robot:{Outbox.objects.get(channel='im', tenant=entry.tenant).robot_id}", "im"),
        (f"robot:{Outbox.objects.get(channel='im', tenant=None).robot_id}", "im"),
    ]
    assert [k for k, _r, _t in first[3:]] == [f"{entry.pk}:case.opened:user:{requester.pk}"]

    assert services.dispatch_run(dispatch_id=row.pk, now=T0) == "not_pending"
    # even the fan-out itself, forced to run again, finds every message already there
    again = services.dispatch_entry(entry)
    assert again.outbox_ids == [] and again.in_app_ids == []
    assert messages() == first
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DispatchStatus.DONE, 1)


def test_a_worker_dying_mid_dispatch_leaves_nothing_half_done_and_the_sweep_completes_it(
    opened, monkeypatch, smtp
):
    entry, _requester, wecom, ding = opened
    row = Dispatch.objects.get(entry=entry)
    real_robot = services._robot
    calls = []

    def dies_on_the_second_robot(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise WorkerDied
        return real_robot(*args, **kwargs)

    monkeypatch.setattr(services, "_robot", dies_on_the_second_robot)
    with pytest.raises(WorkerDied):
        services.dispatch_run(dispatch_id=row.pk, now=T0)
    monkeypatch.setattr(services, "_robot", real_robot)
    # the e-mail and the first robot row were written, then rolled back with the dispatch
    assert not Outbox.objects.filter(entry=entry).exists()
    row.refresh_from_db()
    assert row.status == DispatchStatus.PENDING

    # the sweep leaves it to its on-commit task for a grace period, then takes it over once
    assert services.dispatch_due(now=T0 + timedelta(seconds=59)) == []
    assert services.dispatch_due(now=T0 + timedelta(minutes=1)) == [row.pk]
    assert services.dispatch_due(now=T0 + timedelta(minutes=1, seconds=30)) == []
    assert tasks.retry_due.call(as_of=(T0 + timedelta(minutes=2)).isoformat()) == 3
    row.refresh_from_db()
    assert row.status == DispatchStatus.DONE
    assert Outbox.objects.filter(entry=entry).count() == 3

    # delivered once each, however often the sweeps run afterwards
    for minutes in (2, 3, 60):
        services.deliver_due(now=T0 + timedelta(minutes=minutes))
    assert [m["To"] for m in smtp.messages] == ["li@jinhai.example"]
    assert len(wecom.received) == 1 and len(ding.received) == 1
    assert set(Outbox.objects.filter(entry=entry).values_list("status", flat=True)) == {"sent"}


def test_a_dispatch_bug_is_recorded_once_and_not_retried(catalogs, monkeypatch):
    tenant = tenant_on("partner", "basic")
    person = make_user(Role.CUSTOMER_MEMBER, tenant=tenant, email="c@qingyun.example")
    entry = case_entry("case.replied", tenant, notify=[person.pk], dispatched=False)
    monkeypatch.setattr(services, "_dispatch", lambda rule, entry: 1 / 0)
    row = Dispatch.objects.get(entry=entry)
    assert services.dispatch_run(dispatch_id=row.pk, now=T0) == "failed"
    assert services.dispatch_run(dispatch_id=row.pk, now=T0) == "not_pending"
    assert services.dispatch_due(now=T0 + timedelta(days=1)) == []
    [failed] = Outbox.objects.filter(entry=entry)
    assert failed.status == "failed" and "ZeroDivisionError" in failed.last_error
    row.refresh_from_db()
    assert row.status == DispatchStatus.FAILED and "ZeroDivisionError" in row.last_error
