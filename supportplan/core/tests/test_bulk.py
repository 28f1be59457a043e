"""insert_rows writes the rows bulk_create would (PostgreSQL: one INSERT from a JSON document;
elsewhere bulk_create itself), constants once, keys returned in row order."""

from datetime import timedelta

import pytest
from django.forms.models import model_to_dict
from django_tasks_db.models import DBTaskResult

from supportplan.core import clock
from supportplan.core.bulk import insert_rows
from supportplan.core.models import AuditEntry
from supportplan.core.testing import make_tenant

pytestmark = pytest.mark.django_db


def test_insert_rows_writes_what_bulk_create_writes_in_row_order():
    now = clock.now()
    tenant = make_tenant()
    rows = [
        {
            "action": f"case.sla.warning.{i}",
            "at": now + timedelta(microseconds=i),
            "tenant_id": tenant.pk if i % 2 else None,
            "target_id": str(i),
            "data": {"n": i, "ids": [i, None], "text": '工单 "quoted" \\ ok'},
        }
        for i in range(5)
    ]
    ids = insert_rows(AuditEntry, rows, constant={"target_type": "cases.case"})
    reference = AuditEntry.objects.bulk_create(
        AuditEntry(target_type="cases.case", **r) for r in rows
    )
    got = {e.pk: e for e in AuditEntry.objects.filter(pk__in=ids)}
    want = {e.pk: e for e in AuditEntry.objects.filter(pk__in=[r.pk for r in reference])}
    assert [got[pk].action for pk in ids] == [r["action"] for r in rows]
    for pk, ref in zip(ids, reference, strict=True):
        a, b = model_to_dict(got[pk]), model_to_dict(want[ref.pk])
        a.pop("id"), b.pop("id")
        assert a == b
    assert got[ids[3]].at == now + timedelta(microseconds=3)


def test_insert_rows_takes_the_models_defaults_and_given_constants():
    now = clock.now()
    pk = insert_rows(
        DBTaskResult,
        [{"id": "0b6c9f0e-9a38-4c59-9d7c-5a3f1d2b8e11", "args_kwargs": {"args": [], "kwargs": {}}}],
        constant={
            "task_path": "a.b",
            "queue_name": "default",
            "backend_name": "default",
            "run_after": now,
            "enqueued_at": now,
        },
    )
    job = DBTaskResult.objects.get()
    assert str(pk[0]) == str(job.pk) == "0b6c9f0e-9a38-4c59-9d7c-5a3f1d2b8e11"
    assert (job.status, job.priority, job.worker_ids, job.return_value, job.traceback) == (
        "READY",
        0,
        [],
        None,
        "",
    )
    assert (job.enqueued_at, job.run_after, job.started_at) == (now, now, None)


def test_insert_rows_refuses_rows_of_different_shapes_and_unknown_fields():
    now = clock.now()
    with pytest.raises(ValueError, match="same attributes"):
        insert_rows(AuditEntry, [{"action": "a", "at": now}, {"action": "b"}])
    with pytest.raises(ValueError):
        insert_rows(AuditEntry, [{"action": "a", "at": now, "colour": "red"}])
