"""Relaying a case to the cloud vendor, end to end with a second supportplan on 127.0.0.1
acting as the vendor (it speaks the AWS Support and Huawei OSM APIs), through the official
clients (boto3, huaweicloudsdkosm) on our side."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from supportplan.accounts.models import Role
from supportplan.cases import services as case_services
from supportplan.cases.models import Case, CommunicationKind
from supportplan.cases.tests.factories import customer, entitle, load_catalogs
from supportplan.core import clock
from supportplan.core.errors import Conflict
from supportplan.core.testing import make_user
from supportplan.integrations import relay
from supportplan.integrations.models import VendorApi, VendorTicket

ROOT = Path(__file__).resolve().parents[3]
SETUP = """
from datetime import timedelta
from supportplan.core import clock
from supportplan.cases.tests.factories import customer, entitle, load_catalogs
from supportplan.core.testing import make_user
from supportplan.accounts.models import Role
start = clock.now() - timedelta(days=30)
load_catalogs(start)
tenant, admin, systems = customer(None, None)
entitle(tenant, "partner", "vip", start=start)
admin.username = "partner-at-vendor"; admin.save()
make_user(Role.ENGINEER, handler_tier="engineer", username="vendor-engineer")
make_user(Role.SENIOR_EXPERT, handler_tier="senior_expert", username="vendor-senior")
"""


class Vendor:
    """A second supportplan (its own SQLite file) served by runserver on 127.0.0.1."""

    def __init__(self, tmp: Path) -> None:
        self.env = dict(
            os.environ,
            DJANGO_SETTINGS_MODULE="supportplan.config.settings.dev",
            SUPPORTPLAN_SQLITE_PATH=str(tmp / "vendor.sqlite3"),
            SUPPORTPLAN_DATA_DIR=str(tmp / "vendor-data"),
            SUPPORTPLAN_TASK_BACKEND="django.tasks.backends.immediate.ImmediateBackend",
            PYTHONPATH=str(ROOT),
        )
        self.env.pop("DATABASE_URL", None)
        self.manage("migrate", "--noinput", "-v", "0")
        self.python(SETUP)
        pair = json.loads(self.manage("access-keys", "create", "--user", "partner-at-vendor",
                                      "--json"))  # fmt: skip
        self.ak, self.sk = pair["access_key_id"], pair["secret_access_key"]
        self.system = int(self.python(
            "from supportplan.accounts.models import RegisteredSystem as R; "
            "print(R.objects.get(tenant__users__username='partner-at-vendor', "
            "classification='production').pk)"
        ))  # fmt: skip
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{self.port}"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(150):
            try:
                httpx.get(f"{self.url}/login/", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("the vendor instance did not start")

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env,
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    def python(self, code: str) -> str:
        return self.manage("shell", "--no-imports", "-c", code)

    def stop(self) -> None:
        self.server.terminate()
        self.server.wait(10)


@pytest.fixture(scope="module")
def vendor(tmp_path_factory):
    instance = Vendor(tmp_path_factory.mktemp("vendor"))
    yield instance
    instance.stop()


@pytest.fixture
def world(db):
    start = clock.now() - timedelta(days=30)
    load_catalogs(start)
    tenant, user, systems = customer(None, None)
    entitle(tenant, "partner", "vip", start=start)
    engineer = make_user(Role.SENIOR_EXPERT, handler_tier="senior_expert")
    admin = make_user(Role.PLATFORM_ADMIN)
    case = case_services.case_open(
        actor=user, tenant=tenant, provider="partner", channel="ticket",
        severity="production_down", subject="RDS failover stuck",
        description="The primary is down and the standby does not take over.",
        system=systems["production"], now=clock.now(),
    )  # fmt: skip
    case_services.case_assign(actor=admin, case=case, assignee=engineer, now=clock.now())
    return {"user": user, "engineer": engineer, "admin": admin, "case": Case.objects.get()}


def notes(case):
    return list(
        case.communications.filter(kind=CommunicationKind.INTERNAL_NOTE)
        .order_by("pk")
        .values_list("body", flat=True)
    )


@pytest.mark.parametrize("api", [VendorApi.AWS_SUPPORT, VendorApi.HUAWEI_OSM])
def test_relay_both_ways_and_close(vendor, world, api):
    endpoint = f"{vendor.url}/compat/aws-support" if api == VendorApi.AWS_SUPPORT else vendor.url
    account = relay.vendor_account_add(
        actor=world["admin"], cloud="huawei", name="Vendor cloud", api=api, endpoint=endpoint,
        access_key_id=vendor.ak, secret=vendor.sk, now=clock.now(),
        service_code=f"system-{vendor.system}",
        # AWS: the catalog's api_code; Huawei: the vendor's own severity ids, mapped as data
        severity_map={} if api == VendorApi.AWS_SUPPORT else {"production_down": "production_down"},
    )  # fmt: skip
    case, engineer = world["case"], world["engineer"]
    ticket = relay.vendor_ticket_open(actor=engineer, case=case, account=account, now=clock.now())
    assert notes(case)[-1] == f"已转Vendor cloud：云厂商工单 {ticket.vendor_id}。"
    with pytest.raises(Conflict):
        relay.vendor_ticket_open(actor=engineer, case=case, account=account, now=clock.now())

    pk = ticket.vendor_id.split("-")[2]
    at_vendor = json.loads(vendor.python(
        "import json; from supportplan.cases.models import Case; "
        f"c = Case.objects.get(pk={pk}); print(json.dumps([c.subject, c.severity, c.channel]))"
    ))  # fmt: skip
    assert at_vendor == ["RDS failover stuck", "production_down", "ticket"]

    # The vendor's engineer answers; the reply arrives once, as an internal note.
    vendor.python(
        "from supportplan.cases import services as s; from supportplan.cases.models import Case; "
        "from supportplan.accounts.models import User; from supportplan.core import clock; "
        f"c = Case.objects.get(pk={pk}); u = User.objects.get(username='vendor-senior'); "
        "s.case_assign(actor=u, case=c, assignee=u, now=clock.now()) if c.assignee_id != u.pk else None; "
        "c = Case.objects.get(pk=c.pk); "
        "s.case_reply(actor=u, case=c, body='Promote the standby manually: see runbook 7.', now=clock.now())"
    )  # fmt: skip
    assert relay.vendor_sync(ticket_id=ticket.pk, now=clock.now()) == 1
    assert relay.vendor_sync(ticket_id=ticket.pk, now=clock.now()) == 0  # nothing twice
    last = notes(case)[-1]
    assert last.startswith("Vendor cloud的回复（") and "runbook 7" in last
    public = case.communications.filter(kind=CommunicationKind.PUBLIC_REPLY)
    assert not public.filter(body__contains="runbook").exists()  # customers see none of it

    relay.vendor_reply(
        actor=engineer, ticket=ticket, body="Done; replication lag?", now=clock.now()
    )
    assert relay.vendor_sync(ticket_id=ticket.pk, now=clock.now()) == 0  # ours is not copied back
    vendor_bodies = vendor.python(
        "from supportplan.cases.models import Case; "
        f"print([m.body for m in Case.objects.get(pk={pk}).communications.all()])"
    )
    assert "Done; replication lag?" in vendor_bodies

    # Resolving here resolves the vendor's ticket.
    case_services.case_resolve(actor=engineer, case=Case.objects.get(pk=case.pk), now=clock.now())
    relay.vendor_sync(ticket_id=ticket.pk, now=clock.now())
    assert VendorTicket.objects.get(pk=ticket.pk).closed
    state = vendor.python(
        f"from supportplan.cases.models import Case; print(Case.objects.get(pk={pk}).state)"
    )
    assert state.strip() == "resolved"
    assert "secret" not in account.secret_encrypted and vendor.sk not in account.secret_encrypted


def test_only_handlers_relay(vendor, world):
    account = relay.vendor_account_add(
        actor=world["admin"], cloud="aws", name="AWS", api=VendorApi.AWS_SUPPORT,
        endpoint=f"{vendor.url}/compat/aws-support", access_key_id=vendor.ak, secret=vendor.sk,
        now=clock.now(),
    )  # fmt: skip
    from supportplan.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        relay.vendor_ticket_open(
            actor=world["user"], case=world["case"], account=account, now=clock.now()
        )
    assert not VendorTicket.objects.exists()


def test_the_console_page_relays_and_writes_to_the_vendor(vendor, world, client):
    account = relay.vendor_account_add(
        actor=world["admin"], cloud="aws", name="AWS", api=VendorApi.AWS_SUPPORT,
        endpoint=f"{vendor.url}/compat/aws-support", access_key_id=vendor.ak, secret=vendor.sk,
        now=clock.now(), service_code=f"system-{vendor.system}",
    )  # fmt: skip
    case = world["case"]
    url = f"/console/cases/{case.pk}/vendor/"
    client.force_login(world["user"])
    assert client.get(url).status_code == 404  # customers never see vendor internals
    client.force_login(world["engineer"])
    page = client.get(url)
    assert page.status_code == 200 and "转云厂商" in page.content.decode()
    done = client.post(url, {"do": "open", "account": account.pk}, follow=True)
    ticket = VendorTicket.objects.get()
    assert ticket.vendor_id in done.content.decode()
    client.post(url, {"do": "reply", "body": "Console says hello"}, follow=True)
    assert "Console says hello" in notes(Case.objects.get(pk=case.pk))[-1]
