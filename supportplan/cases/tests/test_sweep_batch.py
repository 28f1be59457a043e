"""The SLA sweep's batches as set operations (issue 16): a claimed batch is a fixed handful of
statements whatever its size, and what it writes is exact — one audit entry per warning,
breach and escalation with the data the per-case path writes, one notification dispatch
and one job per entry, the cases' flags and escalations, the handlers' counters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django_tasks_db.models import DBTaskResult

from supportplan.accounts.models import Role, User
from supportplan.cases import sweep
from supportplan.cases.models import Case
from supportplan.core.models import AuditEntry
from supportplan.notifications.models import Dispatch
from supportplan.notifications.services import dispatch_grace

from .factories import at, unanswered_backlog

pytestmark = pytest.mark.django_db

AS_OF = at("2026-11-23T11:00:00+08:00")


@pytest.fixture
def db_tasks(settings):
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "notifications", "reports"],
        }
    }


def _base(case: Case, **extra):
    return {
        "case_id": case.pk,
        "tenant_id": case.tenant_id,
        "subject": "It broke",
        "severity": "production_down",
        "provider": "partner",
        "plan": case.plan_code,
        "queue": case.queue,
        "state": "open",
        "assignee_id": case.assignee_id,
        "tam_id": case.tam_id,
        "requester_id": case.requester_id,
        **extra,
    }


def test_a_swept_backlog_writes_exactly_the_entries_dispatches_jobs_and_escalations(db_tasks):
    before = {c.pk: c for c in unanswered_backlog(5, per_tier=2)}
    manager = User.objects.get(role=Role.SUPPORT_MANAGER)
    experts = sorted(User.objects.filter(role=Role.EXPERT).values_list("pk", flat=True))
    engineers = User.objects.filter(role=Role.ENGINEER)
    by_due = sorted(before.values(), key=lambda c: (c.first_response_due, c.pk))

    result = sweep.case_sla_sweep(as_of=AS_OF, batch=2)  # batches of 2, 2 and 1

    assert result.warned == [c.pk for c in sorted(by_due, key=lambda c: (c.warn_at, c.pk))]
    assert result.breached == [c.pk for c in by_due]
    after = {c.pk: c for c in Case.objects.all()}
    # Least-loaded expert per breach, loads counted within the sweep: 3 and 2.
    assert sorted(after[pk].assignee_id for pk in before) == sorted(
        [experts[0]] * 3 + [experts[1]] * 2
    )
    entries = list(AuditEntry.objects.filter(action__startswith="case.").order_by("id"))
    entries = [e for e in entries if e.action != "case.opened"]
    expected = []
    for case in sorted(before.values(), key=lambda c: (c.warn_at, c.pk)):
        due = case.first_response_due.isoformat()
        notify = sorted({manager.pk, case.assignee_id})
        expected.append(
            (
                "case.sla.warning",
                case.pk,
                _base(
                    case,
                    due=due,
                    warn_at=case.warn_at.isoformat(),
                    queue_lead_ids=[manager.pk],
                    notify=notify,
                ),
            )
        )
    for case in by_due:
        due = case.first_response_due.isoformat()
        notify = sorted({manager.pk, case.assignee_id})
        breached = _base(case, due=due, breached_at=due, queue_lead_ids=[manager.pk], notify=notify)
        expected.append(("case.sla.breached", case.pk, breached))
        new = after[case.pk]
        escalated = _base(
            case,
            queue="expert",
            assignee_id=new.assignee_id,
            reason="sla_breached",
            from_queue="engineer",
            to_queue="expert",
            level=1,
            notify=sorted({manager.pk, new.assignee_id}),
            support_manager_ids=[manager.pk],
        )
        expected.append(("case.escalated", case.pk, escalated))
    assert [(e.action, int(e.target_id), e.data) for e in entries] == expected
    assert {(e.at, e.tenant_id, e.target_type, e.actor_id) for e in entries} == {
        (AS_OF, by_due[0].tenant_id, "cases.case", None)
    }

    for case in after.values():
        assert (case.sla_warned, case.sla_breached, case.sla_state) == (True, True, "breached")
        assert (case.queue, case.escalation_level, case.updated_at) == ("expert", 1, AS_OF)
    assert sorted(User.objects.filter(role=Role.EXPERT).values_list("open_cases", flat=True)) == [
        2,
        3,
    ]
    assert list(engineers.values_list("open_cases", flat=True)) == [0, 0]

    dispatches = {d.entry_id: d for d in Dispatch.objects.filter(entry__in=entries)}
    assert sorted(dispatches) == [e.pk for e in entries]
    assert {
        (d.status, d.attempts, d.next_attempt_at, d.created_at, d.done_at, d.last_error)
        for d in dispatches.values()
    } == {("pending", 0, AS_OF + dispatch_grace(), AS_OF, None, "")}
    jobs = DBTaskResult.objects.filter(task_path="supportplan.notifications.tasks.dispatch")
    swept = [j for j in jobs if j.args_kwargs["kwargs"]["dispatch_id"] in {
        d.pk for d in dispatches.values()
    }]  # fmt: skip
    assert sorted(j.args_kwargs["kwargs"]["dispatch_id"] for j in swept) == sorted(
        d.pk for d in dispatches.values()
    )
    assert {(j.status, j.queue_name, tuple(j.args_kwargs["args"])) for j in swept} == {
        ("READY", "notifications", ())
    }

    assert sweep.case_sla_sweep(as_of=AS_OF + timedelta(hours=1)).breached == []
    assert AuditEntry.objects.filter(action__startswith="case.sla.").count() == 10


def test_a_batch_is_the_same_statements_whatever_its_size(db_tasks, django_assert_num_queries):
    """Warnings: claim-and-mark UPDATE, the managers, entries, dispatches, jobs. Breaches:
    the locked claim, the managers, the experts' loads, the one UPDATE of flags and
    escalations, the counters (lock, update), entries, dispatches, jobs. Each batch is a
    transaction: a savepoint and its release inside the test's own transaction."""
    unanswered_backlog(6, per_tier=2)
    with django_assert_num_queries((5 + 2) + (1 + 2)):  # + the empty breach claim
        assert (
            len(sweep.case_sla_sweep(as_of=at("2026-11-23T10:29:00+08:00"), batch=10).warned) == 6
        )
    # the empty warning claim, then two batches of 4 and 2 (fewer than 4: none left)
    with django_assert_num_queries((1 + 2) + 2 * (9 + 2)):
        assert len(sweep.case_sla_sweep(as_of=AS_OF, batch=4).breached) == 6
