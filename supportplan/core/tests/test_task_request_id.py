"""The tasks a request enqueues carry its request id: the worker's lines while it runs such a
task (and the tasks that task enqueues) have the request's id and their own task id."""

import logging
from datetime import timedelta

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from supportplan.cases.tests.factories import customer, load_catalogs
from supportplan.core import clock
from supportplan.core.logging import ContextFilter, request_id
from supportplan.core.tasks import prune_and_recover
from supportplan.core.testing import api_client

DB_TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "notifications", "reports"],
    }
}


@pytest.fixture
def records(caplog):
    caplog.handler.addFilter(ContextFilter())
    caplog.set_level(logging.INFO)
    return caplog


def run_worker() -> None:
    call_command(
        "db_worker",
        queue_name="*",
        batch=True,
        reload=False,
        startup_delay=False,
        interval=0,
        worker_id="test-worker",
        verbosity=0,
    )


# Committed for real: the notification tasks are enqueued on commit, inside the request.
@pytest.mark.django_db(transaction=True)
def test_the_tasks_of_a_request_log_with_its_request_id(settings, records):
    settings.TASKS = DB_TASKS
    load_catalogs()
    tenant, user, _systems = customer("partner", "vip", start=clock.now() - timedelta(days=1))
    DBTaskResult.objects.all().delete()  # the set-up's own (no request id)
    client = api_client(user)
    records.clear()
    if True:
        res = client.post(
            "/api/cases/",
            {
                "provider": "partner",
                "channel": "ticket",
                "severity": "general_guidance",
                "subject": "How do I resize a disk?",
                "description": "We need more space on the web server.",
            },
            format="json",
            HTTP_X_REQUEST_ID="req-open-42",
        )
    assert res.status_code == 201, res.json()
    assert res["X-Request-ID"] == "req-open-42"
    enqueued = list(DBTaskResult.objects.values_list("task_path", "args_kwargs"))
    assert enqueued, "opening a case enqueues its notification tasks"
    assert {a["request_id"] for _p, a in enqueued} == {"req-open-42"}
    request_lines = records.records
    assert len([r for r in request_lines if r.getMessage().startswith("task enqueued")]) == len(
        enqueued
    )
    # Every line of the request (the business event written on commit too) has its id.
    assert {(r.request_id, r.task_id) for r in request_lines} == {("req-open-42", "")}

    records.clear()
    assert request_id.get() == ""  # the worker below runs outside any request
    run_worker()
    # The case's SLA check waits for its warning time (run_after); everything else ran.
    waiting = DBTaskResult.objects.filter(status="READY")
    assert [(r.task_path, r.run_after > clock.now()) for r in waiting] == [
        ("supportplan.cases.tasks.sla_check_case", True)
    ]
    rows = DBTaskResult.objects.exclude(status="READY")
    assert {r.status for r in rows} == {"SUCCESSFUL"}
    task_lines = [r for r in records.records if r.task_id]
    started = [r for r in task_lines if r.getMessage().startswith("task started")]
    # Every enqueued task ran, tasks it enqueued too (each carrying the request id).
    assert len(started) == rows.count() >= len(enqueued)
    assert {r.task_id for r in started} == {str(r.id) for r in rows}
    assert {r.request_id for r in task_lines} == {"req-open-42"}
    stamped = DBTaskResult.objects.values_list("args_kwargs", flat=True)
    assert {a["request_id"] for a in stamped} == {"req-open-42"}
    # Between tasks and after them the worker has no request id.
    assert {r.request_id for r in records.records if not r.task_id} <= {""}
    assert request_id.get() == ""


# The worker closes connections it finds in a transaction (close_old_connections): no
# test-wide transaction around it on PostgreSQL.
@pytest.mark.django_db(transaction=True)
def test_a_task_no_request_enqueued_runs_without_a_request_id(settings, records):
    settings.TASKS = DB_TASKS
    result = prune_and_recover.enqueue(as_of=clock.now().isoformat())
    assert DBTaskResult.objects.get(id=result.id).args_kwargs == {
        "args": [],
        "kwargs": {"as_of": result.kwargs["as_of"]},
    }
    run_worker()
    lines = [r for r in records.records if r.task_id == str(result.id)]
    assert [r.getMessage() for r in lines][0] == "task started prune_and_recover"
    assert {r.request_id for r in lines} == {""}


def test_a_forged_request_id_in_a_row_is_not_used():
    from supportplan.core.logging import enqueued_request_id

    class Row:
        args_kwargs = {"args": [], "kwargs": {}, "request_id": "bad id\nINFO forged line"}

    class Result:
        db_result = Row()

    assert enqueued_request_id(Result()) == ""
    Row.args_kwargs["request_id"] = "abc-1"
    assert enqueued_request_id(Result()) == "abc-1"
