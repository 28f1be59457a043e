"""core.compiled: a new row's INSERT compiled once, sent again with new values (issue 16).

On PostgreSQL every row an opening writes must take the compiled path and be exactly the
row, the statement and the signals the ORM gives; a value that is an expression still goes
through the ORM. SQLite always uses the ORM, so both paths run in the tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.models.functions import Now
from django.db.models.signals import post_save, pre_save
from django.db.models.sql.compiler import SQLInsertCompiler
from django.test.utils import CaptureQueriesContext
from django.utils.json import normalize_json
from django_tasks_db.models import DBTaskResult

from supportplan.core import compiled
from supportplan.core.models import AuditEntry
from supportplan.core.task_backend import DatabaseBackend, is_database_backend

pytestmark = pytest.mark.django_db

ON_POSTGRES = connection.vendor == "postgresql"
AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def plan_of(model: type) -> object:
    return next((v for k, v in compiled._INSERTS.items() if k[0] is model), None)


def columns(obj) -> dict:
    return type(obj).objects.filter(pk=obj.pk).values().get()


@pytest.fixture
def compiles(monkeypatch):
    """How many times Django's insert compiler built a statement."""
    calls = []
    real = SQLInsertCompiler.as_sql

    def counted(self):
        calls.append(self.query.model)
        return real(self)

    monkeypatch.setattr(SQLInsertCompiler, "as_sql", counted)
    compiled._INSERTS.clear()
    return calls


def test_a_saved_row_is_the_orms_row_and_the_statement_is_compiled_once(compiles):
    first = AuditEntry(action="case.opened", at=AT, target_type="case", target_id="1")
    with CaptureQueriesContext(connection) as sent:
        first.save()
    second = AuditEntry(
        action="case.closed",
        at=AT,
        target_type="case",
        target_id="2",
        data={"reason": "done", "n": 3},
    )
    second.save()
    assert first.pk is not None and second.pk == first.pk + 1
    assert not first._state.adding and first._state.db == "default"
    assert columns(second) == {
        "id": second.pk,
        "action": "case.closed",
        "at": AT,
        "actor_id": None,
        "tenant_id": None,
        "target_type": "case",
        "target_id": "2",
        "data": {"reason": "done", "n": 3},
    }
    assert sent.captured_queries[0]["sql"].startswith('INSERT INTO "core_auditentry" ("action",')
    if ON_POSTGRES:
        assert compiles == [AuditEntry]  # the first save compiled; the second reused it
        assert plan_of(AuditEntry) not in (None, compiled._UNSAFE)
    else:
        assert compiles == [AuditEntry, AuditEntry]  # SQLite: the ORM every time
        assert plan_of(AuditEntry) is None


def test_the_compiled_statement_is_the_one_django_compiles():
    compiled._INSERTS.clear()
    entry = AuditEntry(action="case.opened", at=AT)
    entry.save()
    if not ON_POSTGRES:
        return
    sql, _converters = plan_of(AuditEntry)
    query_sql = (
        'INSERT INTO "core_auditentry" ("action", "at", "actor_id", "tenant_id", '
        '"target_type", "target_id", "data") VALUES (%s, %s, %s, %s, %s, %s, %s) '
        'RETURNING "core_auditentry"."id"'
    )
    assert sql == query_sql


def test_an_expression_value_goes_through_the_orm_and_the_plan_stays(compiles):
    AuditEntry(action="a", at=AT).save()
    now_entry = AuditEntry(action="b", at=Now())
    now_entry.save()
    assert isinstance(AuditEntry.objects.get(pk=now_entry.pk).at, datetime)
    after_expression = len(compiles)
    AuditEntry(action="c", at=AT).save()
    # the plain shape's statement is still the compiled one; SQLite compiles every time
    assert len(compiles) == after_expression + (0 if ON_POSTGRES else 1)
    if not ON_POSTGRES:
        assert plan_of(AuditEntry) is None
    else:  # only the plain shape was kept (the expression's statement was not)
        assert len([k for k in compiled._INSERTS if k[0] is AuditEntry]) == 1


def test_the_job_row_is_what_the_stock_backend_writes_with_the_same_signals(settings):
    from supportplan.cases import tasks

    settings.TASKS = {
        "default": {
            "BACKEND": "supportplan.core.task_backend.DatabaseBackend",
            "QUEUES": ["default", "notifications", "reports"],
        }
    }

    seen = []

    def on_pre(sender, instance, **kwargs):
        seen.append(("pre", sender, kwargs["raw"], kwargs["update_fields"]))

    def on_post(sender, instance, created, **kwargs):
        seen.append(("post", sender, created, instance._state.adding))

    pre_save.connect(on_pre, sender=DBTaskResult)
    post_save.connect(on_post, sender=DBTaskResult)
    try:
        backend = tasks.sla_check_case.get_backend()
        assert type(backend) is DatabaseBackend
        task = tasks.sla_check_case.using(run_after=AT)
        result = backend.enqueue(task, [], {"case_id": 7})
        plain = backend.enqueue(tasks.sla_check_case, [], {"case_id": 8})
    finally:
        pre_save.disconnect(on_pre, sender=DBTaskResult)
        post_save.disconnect(on_post, sender=DBTaskResult)
    assert seen == [
        ("pre", DBTaskResult, False, None),
        ("post", DBTaskResult, True, False),
        ("pre", DBTaskResult, False, None),
        ("post", DBTaskResult, True, False),
    ]
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.task_path == "supportplan.cases.tasks.sla_check_case"
    assert row.args_kwargs == normalize_json({"args": [], "kwargs": {"case_id": 7}})
    assert row.run_after == AT and row.status == "READY" and row.backend_name == "default"
    assert row.enqueued_at is not None and result.enqueued_at == row.enqueued_at
    # django-tasks-db's own pre_save hook turned "no time" into its max date
    from django_tasks_db.models import get_date_max

    assert DBTaskResult.objects.get(pk=plain.id).run_after == get_date_max()
    assert result.kwargs == {"case_id": 7} and result.status == "READY"
    if ON_POSTGRES:
        assert plan_of(DBTaskResult) not in (None, compiled._UNSAFE)
    assert is_database_backend(backend)


def test_a_model_with_its_own_save_is_saved_by_django():
    entry = AuditEntry(action="x", at=AT)
    compiled.insert_new(entry)  # AuditEntry.save() refuses updates: it must have run
    assert entry.pk is not None
    with pytest.raises(RuntimeError, match="append-only"):
        compiled.insert_new(entry)
