"""`/healthz` and `/readyz`: JSON, no login, 200 when ready and 503 naming what is not."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command

from supportplan.core import clock, schedule


@pytest.fixture
def catalogs(db):
    call_command("catalog", "load", "--seeds", stdout=io.StringIO())


def test_healthz_answers_without_the_database(client):
    # No django_db mark: any query would raise.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.django_db
def test_readyz_is_503_naming_the_missing_catalog_and_scheduler(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["CatalogsLoaded"] == (
        "Unavailable: no catalog loaded: run `supportplan catalog load --seeds`"
    )
    assert body["checks"]["SchedulerHeartbeat"] == (
        "Unavailable: no scheduler has run: start `supportplan scheduler`"
    )
    assert body["checks"]["Database"] == "OK"
    assert body["checks"]["MigrationsApplied"] == "OK"


def test_readyz_is_200_with_catalogs_and_a_fresh_heartbeat(client, catalogs):
    schedule.beat(clock.now(), "host:1")
    response = client.get("/readyz")
    assert response.json() == {
        "status": "ok",
        "checks": {
            name: "OK"
            for name in (
                "Database",
                "Storage",
                "MigrationsApplied",
                "CatalogsLoaded",
                "SchedulerHeartbeat",
                "OutboxBacklog",
                "TaskQueue",
                "CjkFonts",
            )
        },
    }
    assert response.status_code == 200


def test_readyz_is_503_when_the_heartbeat_is_older_than_two_minutes(client, catalogs):
    schedule.beat(clock.now() - timedelta(seconds=150), "host:1")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["SchedulerHeartbeat"].startswith(
        "Unavailable: scheduler heartbeat is 150 s old (limit 120 s)"
    )
