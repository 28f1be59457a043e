"""A failed delivery enqueues its own retry, deferred to the planned time (`run_after`)."""

from datetime import timedelta

import pytest
from django.tasks import default_task_backend

from supportplan.accounts.models import Role
from supportplan.core import clock
from supportplan.core.testing import make_user
from supportplan.notifications import tasks
from supportplan.notifications.models import Outbox

from .factories import case_entry, tenant_on

pytestmark = pytest.mark.django_db


def test_a_failed_attempt_enqueues_the_retry_at_its_planned_time(catalogs, smtp, settings):
    tenant = tenant_on("partner", "basic")
    person = make_user(Role.CUSTOMER_MEMBER, tenant=tenant, email="a@qingyun.example")
    smtp.stop()
    case_entry("case.replied", tenant, notify=[person.pk], provider="partner", plan="basic")
    [row] = Outbox.objects.all()
    # the task reads the real clock: give up a day from now, not a day after the fixture's T0
    Outbox.objects.filter(pk=row.pk).update(give_up_at=clock.now() + timedelta(days=1))
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.dummy.DummyBackend",
            "QUEUES": ["default", "notifications", "reports"],
        }
    }

    assert tasks.deliver.call(outbox_id=row.pk) == "pending"
    row.refresh_from_db()
    [retry] = default_task_backend.results
    assert (retry.task.name, retry.task.run_after, retry.kwargs) == (
        "deliver",
        row.next_attempt_at,
        {"outbox_id": row.pk, "first": False},
    )
