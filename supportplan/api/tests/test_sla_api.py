"""GET /api/sla/quote/ and GET /api/cases/{id}/clock/: shapes, exact targets, refusals in the
API's envelope (the same as opening gives), tenancy."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from supportplan.accounts.models import Role
from supportplan.cases import services
from supportplan.cases.tests.factories import customer, load_catalogs
from supportplan.core import clock
from supportplan.core.testing import api_client, make_user

pytestmark = pytest.mark.django_db

QUOTE = "/api/sla/quote/"


@pytest.fixture(autouse=True)
def setup(db):
    load_catalogs()


@pytest.fixture
def vip():
    # The API reads the real clock: the plan starts the day before, whatever today is.
    return customer("partner", "vip", start=clock.now() - timedelta(days=1))


def parse(text: str) -> datetime:
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text)


def test_quote_on_the_7x24_ticket(vip):
    tenant, user, systems = vip
    r = api_client(user).get(
        QUOTE,
        {
            "provider": "partner",
            "severity": "core_production_down",
            "channel": "ticket",
            "system": systems["core_production"].pk,
        },
    )
    assert r.status_code == 200, r.json()
    body = r.json()
    assert parse(body["due_at"]) - parse(body["opened_at"]) == timedelta(minutes=10)
    assert (body["calendar"]["code"], body["rule"], body["target_seconds"]) == ("7x24", "plan", 600)
    assert (body["escort"], body["provisional"], body["timezone"]) == (
        False,
        False,
        "Asia/Shanghai",
    )
    local = parse(body["due_at"]).astimezone(clock.BUSINESS_TZ).strftime("%Y-%m-%d %H:%M")
    assert body["due_local"] == local
    assert body["reasons"][0] == (
        "Cloud product ticket runs around the clock (7x24); the first-response target is 10 min."
    )
    assert body["warnings"] == []


REFUSALS = [
    ({"severity": "core_production_down", "channel": "ticket"}, "case.system_required"),
    ({"severity": "general_guidance", "channel": "hotline"}, "case.channel_staff_logged"),
    ({"severity": "nope", "channel": "ticket"}, "case.unknown_severity"),
]


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
@pytest.mark.parametrize("params,code", REFUSALS)
def test_refusals_match_opening(vip, params, code, lang):
    _tenant, user, _systems = vip
    client = api_client(user, language=lang)
    quoted = client.get(QUOTE, {"provider": "partner", **params})
    opened = client.post(
        "/api/cases/",
        {"provider": "partner", "subject": "s", "description": "d", **params},
        format="json",
    )
    assert quoted.status_code == opened.status_code
    assert quoted.json() == opened.json()
    assert quoted.json()["code"] == code


def test_quote_for_a_basic_plan_names_the_plans_that_include_it():
    tenant, user, systems = customer("partner", "basic", start=clock.now() - timedelta(days=1))
    r = api_client(user, language="zh-hans").get(
        QUOTE, {"provider": "partner", "severity": "general_guidance", "channel": "im_group"}
    )
    assert r.status_code == 403
    assert r.json()["code"] == "case.channel_not_in_plan"
    assert "专属级" in r.json()["message"]


def test_missing_parameter_and_foreign_system(vip):
    _tenant, user, _systems = vip
    _other, _u, other_systems = customer("partner", "vip", start=clock.now() - timedelta(days=1))
    client = api_client(user)
    r = client.get(QUOTE, {"provider": "partner", "channel": "ticket"})
    assert (r.status_code, r.json()["code"]) == (400, "api.parameter_missing")
    r = client.get(
        QUOTE,
        {
            "provider": "partner",
            "severity": "production_down",
            "channel": "ticket",
            "system": other_systems["production"].pk,
        },
    )
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    r = client.get(
        QUOTE,
        {"provider": "partner", "severity": "production_down", "channel": "ticket", "system": "x"},
    )
    assert r.status_code == 404


def test_staff_quote_for_a_tenant_and_a_call_line(vip):
    tenant, _user, systems = vip
    engineer = make_user(Role.ENGINEER)
    r = api_client(engineer).get(
        QUOTE,
        {
            "tenant": tenant.pk,
            "provider": "partner",
            "severity": "production_down",
            "channel": "hotline",
            "system": systems["production"].pk,
        },
    )
    assert r.status_code == 200, r.json()
    assert r.json()["target_seconds"] == 1800
    r = api_client(engineer).get(
        QUOTE, {"provider": "partner", "severity": "production_down", "channel": "hotline"}
    )
    assert r.status_code == 404  # no tenant named


def test_case_clock_and_its_tenancy(vip):
    tenant, user, _systems = vip
    now = clock.now()
    case = services.case_open(
        actor=user, tenant=tenant, provider="partner", channel="ticket",
        severity="general_guidance", subject="Q", description="How?", now=now,
    )  # fmt: skip
    r = api_client(user, language="zh-hans").get(f"/api/cases/{case.pk}/clock/")
    assert r.status_code == 200, r.json()
    body = r.json()
    assert [s["kind"] for s in body["steps"]][:2] == ["started", "running"]
    assert body["steps"][-1]["kind"] == "due"
    assert parse(body["due_at"]) == case.first_response_due
    assert (body["state"], body["calendar"], body["target_seconds"]) == ("running", "7x24", 57600)
    assert "一般性指导" in body["steps"][0]["text"]
    _other, stranger, _s = customer("partner", "vip", start=now - timedelta(days=1))
    r = api_client(stranger).get(f"/api/cases/{case.pk}/clock/")
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    assert api_client(None).get(f"/api/cases/{case.pk}/clock/").status_code in (401, 403)
