"""audit_log_bulk hands the whole list to the notifications subscriber: the dispatch rows and
(with the database task backend) their jobs are one INSERT each, and they are the rows the
per-entry path writes."""

from datetime import timedelta

import pytest
from django_tasks_db.models import DBTaskResult, get_date_max

from supportplan.core import clock
from supportplan.core.audit import audit_log, audit_log_bulk
from supportplan.core.models import AuditEntry
from supportplan.notifications.models import Dispatch


@pytest.mark.django_db
def test_bulk_entries_get_the_dispatch_rows_and_jobs_one_entry_gets(
    settings, django_assert_num_queries
):
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "notifications", "reports"],
        }
    }
    now = clock.now()
    single = audit_log(action="case.sla.warning", at=now, data={"notify": []})
    entries = [
        AuditEntry(action="case.sla.warning", at=now, data={"notify": []}) for _ in range(3)
    ] + [AuditEntry(action="no.such.rule", at=now, data={})]
    with django_assert_num_queries(3):  # entries, dispatches, jobs: one INSERT each
        created = audit_log_bulk(entries)
    rows = {d.entry_id: d for d in Dispatch.objects.all()}
    assert sorted(rows) == sorted([single.pk] + [e.pk for e in created[:3]])
    for pk in rows:
        assert rows[pk].next_attempt_at == rows[single.pk].next_attempt_at
        assert rows[pk].created_at == now
    jobs = DBTaskResult.objects.filter(task_path="supportplan.notifications.tasks.dispatch")
    assert sorted(j.args_kwargs["kwargs"]["dispatch_id"] for j in jobs) == sorted(
        d.pk for d in rows.values()
    )
    assert {(j.status, j.queue_name, j.run_after, tuple(j.args_kwargs["args"])) for j in jobs} == {
        ("READY", "notifications", get_date_max(), ())
    }
    assert rows[single.pk].next_attempt_at - now > timedelta(0)
    assert len(jobs) == 4
