"""Issue 15.15: the served OpenAPI schema and the answers agree. Schemathesis (every phase,
a fixed seed, a few examples per operation) runs against the live server with the schema it
serves, once with a customer's token and once with staff's: no 5xx, no answer that breaks the
schema (body, status code, content type).

A failure prints schemathesis' report, with a `curl` line to reproduce each finding.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

from supportplan.accounts.models import Role
from supportplan.cases import services as case_services
from supportplan.cases.tests.factories import customer, load_catalogs
from supportplan.core import clock
from supportplan.core.testing import make_user

ST = Path(sys.executable).with_name("st")
SEED = "20261202"
CHECKS = ",".join(
    [
        "not_a_server_error",
        "response_schema_conformance",
        "status_code_conformance",
        "content_type_conformance",
    ]
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not ST.exists(), reason="schemathesis is not installed"),
]


def _world() -> dict[str, str]:
    load_catalogs()
    start = clock.now() - timedelta(days=1)
    manager = make_user(Role.SUPPORT_MANAGER, handler_tier="senior_expert", now=start)
    tenant, admin, systems = customer("partner", "vip", start=start)
    case_services.case_open(
        actor=admin,
        tenant=tenant,
        provider="partner",
        channel="ticket",
        severity="general_guidance",
        subject="Disk is full",
        description="The web server's disk is full.",
        system=systems["production"],
        now=clock.now(),
    )
    return {
        "customer": Token.objects.create(user=admin).key,
        "staff": Token.objects.create(user=manager).key,
    }


def _run(base: str, token: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(ST),
            "run",
            f"{base}/api/schema/",
            "--url",
            base,
            "--header",
            f"Authorization: Token {token}",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--checks",
            CHECKS,
            "--seed",
            SEED,
            "--max-examples",
            os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "2"),
            "--generation-deterministic",
            "--workers",
            "1",
            "--request-timeout",
            "30",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
    )


@pytest.mark.parametrize("who", ["customer", "staff"])
def test_schemathesis_finds_no_server_error_and_no_schema_violation(live_server, tmp_path, who):
    tokens = _world()
    result = _run(live_server.url, tokens[who], tmp_path)
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-4000:]
