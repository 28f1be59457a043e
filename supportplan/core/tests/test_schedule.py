"""The scheduler enqueues each job once per due time, from a row per job in the database."""

from datetime import UTC, datetime, timedelta

import pytest

from supportplan.core import schedule
from supportplan.core.models import ScheduledJob, SchedulerHeartbeat

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def job_calls(monkeypatch):
    calls: list[datetime] = []
    monkeypatch.setattr(
        schedule,
        "JOBS",
        {
            "t.every_minute": schedule.PeriodicJob(
                "t.every_minute", timedelta(minutes=1), calls.append
            )
        },
    )
    return calls


@pytest.mark.django_db
def test_a_job_is_enqueued_once_per_due_time_even_from_two_schedulers(job_calls):
    # Two schedulers (or a leader and the standby that took over) see the same row.
    assert schedule.enqueue_due(T0) == ["t.every_minute"]
    assert schedule.enqueue_due(T0 + timedelta(seconds=30)) == []
    assert schedule.enqueue_due(T0 + timedelta(seconds=59)) == []
    assert schedule.enqueue_due(T0 + timedelta(minutes=1)) == ["t.every_minute"]
    assert job_calls == [T0, T0 + timedelta(minutes=1)]
    assert ScheduledJob.objects.get(name="t.every_minute").last_enqueued_at == T0 + timedelta(
        minutes=1
    )


@pytest.mark.django_db
def test_a_failed_enqueue_leaves_the_job_due(monkeypatch):
    def broken(now):
        raise RuntimeError("queue down")

    monkeypatch.setattr(
        schedule,
        "JOBS",
        {"t.broken": schedule.PeriodicJob("t.broken", timedelta(minutes=1), broken)},
    )
    assert schedule.tick(T0, "host:1", was_leader=True) is True
    assert not ScheduledJob.objects.filter(name="t.broken").exists()


@pytest.mark.django_db
def test_the_leader_writes_a_heartbeat(job_calls):
    assert schedule.tick(T0, "host:1", was_leader=False) is True
    beat = SchedulerHeartbeat.objects.get()
    assert (beat.beat_at, beat.holder) == (T0, "host:1")
    assert schedule.last_beat() == T0
