"""Two workers racing for the same messages on PostgreSQL: each message is sent once."""

import pytest

from supportplan.accounts.models import Role
from supportplan.core.testing import T0, make_user, race
from supportplan.notifications import services
from supportplan.notifications.models import (
    DeliveryAttempt,
    Dispatch,
    DispatchStatus,
    InAppNotification,
    Outbox,
)

from .factories import case_entry, tenant_on


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_workers_send_each_message_exactly_once(catalogs, smtp, settings):
    # Autocommit runs on-commit hooks at once; keep the tasks queued so the workers race.
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.dummy.DummyBackend",
            "QUEUES": ["default", "notifications", "reports"],
        }
    }
    tenant = tenant_on("partner", "basic")
    people = [
        make_user(Role.CUSTOMER_MEMBER, tenant=tenant, email=f"r{i}@x.example") for i in range(8)
    ]
    for n, person in enumerate(people):
        case_entry("case.replied", tenant, case_id=900 + n, notify=[person.pk])
    ids = list(Outbox.objects.order_by("pk").values_list("pk", flat=True))
    assert len(ids) == 8
    runs = race(lambda i: [services.outbox_deliver(outbox_id=pk, now=T0) for pk in ids], 4)
    results = [status for run in runs for status in run]
    assert sorted(results).count("sent") == 8
    assert sorted(results).count("not_claimed") == 24
    assert sorted(m["To"] for m in smtp.messages) == sorted(p.email for p in people)
    assert DeliveryAttempt.objects.count() == 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_dispatchers_fan_each_event_out_exactly_once(catalogs, settings):
    # The dispatch tasks stay queued; four workers (and the sweep) race over the same events.
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.dummy.DummyBackend",
            "QUEUES": ["default", "notifications", "reports"],
        }
    }
    tenant = tenant_on("partner", "basic")
    people = [
        make_user(Role.CUSTOMER_MEMBER, tenant=tenant, email=f"d{i}@x.example") for i in range(6)
    ]
    for n, person in enumerate(people):
        case_entry("case.replied", tenant, case_id=700 + n, notify=[person.pk], dispatched=False)
    ids = list(
        Dispatch.objects.filter(status=DispatchStatus.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    assert len(ids) == 6
    runs = race(lambda i: [services.dispatch_run(dispatch_id=pk, now=T0) for pk in ids], 4)
    results = [status for run in runs for status in run]
    assert sorted(results).count("done") == 6
    assert sorted(results).count("not_pending") == 18
    rows = Outbox.objects.filter(rule="case.replied")
    assert sorted(rows.values_list("address", flat=True)) == sorted(p.email for p in people)
    assert InAppNotification.objects.filter(rule="case.replied").count() == 6
