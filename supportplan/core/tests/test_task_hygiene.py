"""RUNNING rows of dead workers go back to the queue; live ones are left alone."""

from datetime import timedelta

import pytest
from django_tasks_db.models import DBTaskResult

from supportplan.core import clock
from supportplan.core.tasks import prune_and_recover, recover_stale_running


@pytest.mark.django_db
def test_a_task_left_running_past_the_timeout_is_ready_again(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    now = clock.now()
    dead = DBTaskResult.objects.get(id=prune_and_recover.enqueue(as_of=now.isoformat()).id)
    alive = DBTaskResult.objects.get(id=prune_and_recover.enqueue(as_of=now.isoformat()).id)
    DBTaskResult.objects.filter(id=dead.id).update(
        status="RUNNING", started_at=now - timedelta(hours=1, seconds=1), worker_ids=["w1"]
    )
    DBTaskResult.objects.filter(id=alive.id).update(
        status="RUNNING", started_at=now - timedelta(minutes=59), worker_ids=["w2"]
    )
    assert recover_stale_running(now=now) == 1
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert (dead.status, dead.started_at) == ("READY", None)
    assert alive.status == "RUNNING"
