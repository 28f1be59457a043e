"""The promise on the case forms (fragment, and server-rendered without JavaScript) and the
clock explained on the case pages, in both languages."""

from __future__ import annotations

import pytest

from supportplan.cases import promise, services
from supportplan.cases.models import Case
from supportplan.core import clock

from .conftest import client_for

pytestmark = pytest.mark.django_db

QUOTE = "/cases/quote/"


def test_fragment_for_a_vip_customer(vip):
    client = client_for(vip.admin)
    r = client.get(
        QUOTE,
        {
            "provider": "partner",
            "severity": "core_production_down",
            "channel": "ticket",
            "system": vip.systems["core_production"].pk,
        },
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert "First response due by" in html
    assert "Cloud product ticket runs around the clock (7x24)" in html
    assert "data-promise-due" in html
    zh = client_for(vip.admin, "zh-hans").get(
        QUOTE,
        {
            "provider": "partner",
            "severity": "core_production_down",
            "channel": "ticket",
            "system": vip.systems["core_production"].pk,
        },
    )
    assert "首次响应截止" in zh.content.decode()
    assert "全天候（7x24）" in zh.content.decode()


def test_fragment_shows_the_refusal_opening_gives(basic):
    r = client_for(basic.admin).get(
        QUOTE,
        {
            "provider": "partner",
            "severity": "core_production_down",
            "channel": "ticket",
            "system": basic.systems["core_production"].pk,
        },
    )
    html = r.content.decode()
    assert "data-promise-error" in html
    assert "does not include the severity" in html and "Dedicated" in html


def test_fragment_is_empty_until_the_form_says_enough_and_for_another_tenants_system(vip, basic):
    client = client_for(vip.admin)
    assert client.get(QUOTE, {"provider": "partner"}).content.decode().strip() == ""
    r = client.get(
        QUOTE,
        {
            "provider": "partner",
            "severity": "production_down",
            "channel": "ticket",
            "system": basic.systems["production"].pk,
            "tenant": basic.tenant.pk,
        },
    )
    assert r.content.decode().strip() == ""


def test_staff_fragment_names_the_tenant(vip, staff):
    client = client_for(staff["engineer"])
    params = {"provider": "partner", "severity": "production_down", "channel": "hotline"}
    assert client.get(QUOTE, params).content.decode().strip() == ""
    r = client.get(
        QUOTE, {**params, "tenant": vip.tenant.pk, "system": vip.systems["production"].pk}
    )
    assert "First response due by" in r.content.decode()


def test_without_javascript_the_form_shows_the_promise_after_check(vip):
    r = client_for(vip.admin).post(
        "/cases/new/",
        {
            "provider": "partner",
            "severity": "production_down",
            "channel": "ticket",
            "system": str(vip.systems["production"].pk),
            "subject": "",
            "description": "",
            "preview": "1",
        },
    )
    html = r.content.decode()
    assert 'id="promise"' in html
    assert "First response due by" in html
    assert not Case.objects.filter(tenant=vip.tenant).exists()


@pytest.mark.parametrize(
    "language,heading", [("en", "Why is the first response due at"), ("zh-hans", "为什么首次响应")]
)
def test_case_pages_explain_the_clock(vip, staff, language, heading):
    now = clock.now()
    case = services.case_open(
        actor=vip.admin, tenant=vip.tenant, provider="partner", channel="ticket",
        severity="general_guidance", subject="Q", description="How?", now=now,
    )  # fmt: skip
    due = promise.case_clock(case, vip.admin, now).due_local
    page = client_for(vip.admin, language).get(f"/cases/{case.pk}/").content.decode()
    assert heading in page
    assert due in page
    assert 'data-step="started"' in page and 'data-step="due"' in page
    console = client_for(staff["senior"], language).get(f"/console/cases/{case.pk}/")
    assert heading in console.content.decode()
