"""The real Prometheus Alertmanager (Debian's prometheus-alertmanager) posts to supportplan:
firing, repeat, a new alert in the group, resolved, a flood."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from supportplan.accounts.models import Role
from supportplan.cases.models import Case
from supportplan.cases.tests.factories import customer, entitle, load_catalogs
from supportplan.core import clock
from supportplan.core.errors import PermissionDenied
from supportplan.core.testing import NEVER_CACHE, make_user
from supportplan.integrations.models import AlertGroup
from supportplan.integrations.services import alert_receiver_create

pytestmark = pytest.mark.django_db(transaction=True)
BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def world():
    start = clock.now() - timedelta(days=30)
    load_catalogs(start)
    tenant, admin, systems = customer(None, None)
    entitle(tenant, "partner", "dedicated", start=start)
    make_user(Role.ENGINEER, handler_tier="engineer")
    make_user(Role.EXPERT, handler_tier="expert")
    return {"tenant": tenant, "admin": admin, "systems": systems}


def receiver(world, **options):
    defaults = dict(
        name="Prometheus prod",
        default_severity="system_abnormal",
        rules=[
            {"label": "severity", "value": "critical", "severity": "core_production_down"},
            {"label": "severity", "value": "warning", "severity": "production_abnormal"},
        ],
        system=world["systems"]["production"],
    )
    return alert_receiver_create(
        actor=world["admin"], tenant=world["tenant"], now=clock.now(), **(defaults | options)
    )


class Alertmanager:
    def __init__(self, tmp_path, url: str, token: str) -> None:
        self.port = free_port()
        config = tmp_path / "alertmanager.yml"
        config.write_text(
            f"""
route:
  receiver: supportplan
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 2s
receivers:
  - name: supportplan
    webhook_configs:
      - url: {url}
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {token}
"""
        )
        self.process = subprocess.Popen(
            [
                BINARY, f"--config.file={config}", f"--storage.path={tmp_path / 'am-data'}",
                f"--web.listen-address=127.0.0.1:{self.port}", "--cluster.listen-address=",
            ],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(100):
            try:
                if httpx.get(f"{self.base}/-/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("Alertmanager did not start")

    def post(self, *alerts: dict) -> None:
        httpx.post(f"{self.base}/api/v2/alerts", json=list(alerts), timeout=5).raise_for_status()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture
def alertmanager(live_server, world, tmp_path):
    if BINARY is None:
        pytest.fail("prometheus-alertmanager is not installed (.ci/run installs it)")
    made = receiver(world, resolve_on_recovery=True, max_cases=3)
    url = f"{live_server.url}/integrations/alertmanager/{made.receiver.pk}/"
    am = Alertmanager(tmp_path, url, made.token)
    am.receiver = made.receiver
    yield am
    am.stop()


def alert(name: str, *, severity: str = "critical", instance: str = "db-1", ends=None) -> dict:
    body = {
        "labels": {"alertname": name, "severity": severity, "instance": instance},
        "annotations": {"summary": f"{name} on {instance}"},
        "startsAt": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
    }
    if ends is not None:
        body["endsAt"] = ends.isoformat()
    return body


def wait_for(check, seconds: float = 20.0):
    """Alertmanager delivers asynchronously: poll (bounded) until `check` holds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("Alertmanager's notification did not arrive in time")


def test_firing_repeat_new_alert_and_recovery(alertmanager, world):
    am = alertmanager
    am.post(alert("PostgresDown"))
    case = wait_for(lambda: Case.objects.first())
    # The Dedicated plan has "core production down"; the receiver watches a *production*
    # system, which that severity does not fit: opened at the most severe one that does.
    assert (case.severity, case.channel, case.system_id) == (
        "production_down",
        "ticket",
        world["systems"]["production"].pk,
    )
    assert case.subject.endswith("PostgresDown — PostgresDown on db-1")
    assert "核心生产系统不可用" in case.description and "生产系统不可用" in case.description
    group = AlertGroup.objects.get()
    # Repeats (Alertmanager re-sends the unchanged group every 2 s) add nothing.
    wait_for(lambda: AlertGroup.objects.get().deliveries >= 3)
    assert Case.objects.count() == 1
    assert case.communications.filter(kind="public_reply").count() == 0

    am.post(alert("PostgresDown", instance="db-2"))  # a new alert in the same group
    wait_for(lambda: len(AlertGroup.objects.get().fingerprints) == 2)
    wait_for(lambda: case.communications.filter(kind="public_reply").exists())
    reply = case.communications.filter(kind="public_reply").get()
    assert "PostgresDown @ db-2" in reply.body

    past = datetime.now(UTC) - timedelta(seconds=1)
    am.post(alert("PostgresDown", ends=past), alert("PostgresDown", instance="db-2", ends=past))
    wait_for(lambda: Case.objects.get(pk=case.pk).state == "resolved")
    assert Case.objects.count() == 1
    assert set(AlertGroup.objects.get(pk=group.pk).resolved) == set(group.fingerprints) | set(
        AlertGroup.objects.get(pk=group.pk).fingerprints
    )


@pytest.mark.postgres  # concurrent deliveries: SQLite's in-memory test database is one connection
def test_a_flood_opens_at_most_n_cases(alertmanager, world):
    am = alertmanager
    am.post(*[alert(f"Disk{i}Full", severity="warning") for i in range(6)])
    wait_for(lambda: AlertGroup.objects.count() == 6, seconds=30)
    opened = AlertGroup.objects.filter(opened_case=True)
    assert opened.count() == 3
    assert Case.objects.count() == 3
    assert {c.severity for c in Case.objects.all()} == {"production_abnormal"}
    joined = AlertGroup.objects.filter(opened_case=False)
    assert joined.count() == 3
    newest = Case.objects.order_by("-created_at", "-pk").first()
    assert set(joined.values_list("case_id", flat=True)) == {newest.pk}
    assert newest.communications.filter(kind="public_reply").count() == 3


def test_wrong_token_and_other_ways_of_authenticating(live_server, world):
    made = receiver(world)
    url = f"{live_server.url}/integrations/alertmanager/{made.receiver.pk}/"
    body = {"groupKey": '{}:{alertname="X"}', "status": "firing", "alerts": []}
    wrong = httpx.post(url, json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "alerts.unauthorized"
    assert httpx.post(url, json=body).status_code == 401
    assert httpx.post(url, json=body, auth=("alertmanager", made.token)).status_code == 200
    assert httpx.post(f"{url}?token={made.token}", json=body).status_code == 200
    bad = httpx.post(url, content=b"[1, 2]", headers={"Authorization": f"Bearer {made.token}"})
    assert (bad.status_code, bad.json()["code"]) == (400, "alerts.not_alertmanager")
    # Another tenant's receiver id with this token: refused, nothing opened.
    other_tenant, other_admin, _ = customer(None, None)
    entitle(other_tenant, "partner", "basic", start=clock.now() - timedelta(days=1))
    other = alert_receiver_create(
        actor=other_admin, tenant=other_tenant, name="theirs",
        default_severity="general_guidance", now=clock.now(),
    )  # fmt: skip
    firing = {
        "groupKey": "k", "status": "firing",
        "alerts": [{"status": "firing", "fingerprint": "f1", "labels": {"alertname": "X"}}],
    }  # fmt: skip
    cross = httpx.post(
        f"{live_server.url}/integrations/alertmanager/{other.receiver.pk}/", json=firing,
        headers={"Authorization": f"Bearer {made.token}"},
    )  # fmt: skip
    assert cross.status_code == 401
    assert Case.objects.count() == 0


def test_only_a_tenant_admin_sets_up_a_receiver(world):
    member = make_user(Role.CUSTOMER_MEMBER, tenant=world["tenant"])
    with pytest.raises(PermissionDenied):
        alert_receiver_create(
            actor=member, tenant=world["tenant"], name="x", default_severity="system_abnormal",
            now=clock.now(),
        )  # fmt: skip


def test_the_admin_adds_a_receiver_on_the_web_and_gets_the_snippet_once(world, client):
    client.force_login(world["admin"])
    page = client.get("/org/alerts/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    answer = client.post(
        "/org/alerts/",
        {
            "name": "Prometheus prod",
            "system": world["systems"]["production"].pk,
            "critical_label": "severity=critical",
            "critical_severity": "production_down",
            "default_severity": "system_abnormal",
            "max_cases": 5,
        },
    )
    assert answer.status_code == 200
    text = answer.content.decode()
    from supportplan.integrations.models import AlertReceiver

    made = AlertReceiver.objects.get()
    assert made.rules == [{"label": "severity", "value": "critical", "severity": "production_down"}]
    assert f"/integrations/alertmanager/{made.pk}/" in text and "type: Bearer" in text
    assert answer["Cache-Control"] == NEVER_CACHE
    again = client.get("/org/alerts/").content.decode()
    assert "credentials:" not in again  # the token is shown once
    member = make_user(Role.CUSTOMER_MEMBER, tenant=world["tenant"])
    client.force_login(member)
    seen = client.get("/org/alerts/")
    assert seen.status_code == 200 and "Prometheus prod" in seen.content.decode()
    assert 'name="critical_label"' not in seen.content.decode()  # colleagues cannot change it
