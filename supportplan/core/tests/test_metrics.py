"""`/metrics`: disabled without a token, 401 without the right bearer, Prometheus text with it."""

import pytest
from django.test import override_settings


def test_metrics_are_disabled_without_a_token(client, settings):
    settings.SUPPORTPLAN_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404


@override_settings(SUPPORTPLAN_METRICS_TOKEN="s3cret")
def test_metrics_need_the_bearer_token(client):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401


@pytest.mark.django_db
@override_settings(SUPPORTPLAN_METRICS_TOKEN="s3cret")
def test_metrics_count_requests_by_route_not_path(client):
    client.get("/healthz")
    response = client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert response.status_code == 200
    text = response.content.decode()
    assert 'supportplan_http_requests_total{method="GET",route="healthz",status="200"}' in text
    assert "supportplan_scheduler_heartbeat_age_seconds +Inf" in text
    for family in (
        "supportplan_cases_opened_total counter",
        "supportplan_outbox_backlog gauge",
        "supportplan_outbox_oldest_seconds gauge",
        "supportplan_task_queue_depth gauge",
        "supportplan_task_queue_oldest_seconds gauge",
        "supportplan_delivery_failures_total counter",
    ):
        assert f"# TYPE {family}" in text
