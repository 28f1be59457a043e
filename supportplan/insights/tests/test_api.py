"""The plan-advice and staffing API: exact answers, the error envelope in both languages,
who may read what, and a query-count guard."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse

from supportplan.accounts.models import Role
from supportplan.core import clock
from supportplan.core.testing import api_client, make_user

from .conftest import add_cases, local, night_history

pytestmark = pytest.mark.django_db


def advice_url(customer) -> str:
    return reverse("tenant-plan-advice", kwargs={"pk": customer.tenant.pk})


def test_a_dedicated_tenant_with_night_outages_is_told_to_keep_its_plan(dedicated):
    night_history(dedicated)
    response = api_client(dedicated.admin).get(advice_url(dedicated))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["verdict"], body["plan"], body["provider"], body["currency"]) == (
        "stay",
        "dedicated",
        "partner",
        "CNY",
    )
    assert body["evidence"] == [
        "Your plan Dedicated fits how you used support.",
        "2 of your 4 cases were “Core production system down” (2 of them outside business "
        "hours); Basic does not offer that severity.",
        "1 of your 4 cases came through “IM enterprise group”; Basic does not include that "
        "channel.",
        "Basic costs 25,520 CNY less per month.",
        "Under Dedicated, 3 of 4 first responses would have met the target.",
    ]
    basic = next(p for p in body["plans"] if p["plan"] == "basic")
    assert (basic["offered"], basic["met"], basic["missed"], basic["price_difference"]) == (
        1,
        0,
        1,
        "-25520.00",
    )
    assert basic["refused_severities"] == [
        {
            "code": "core_production_down",
            "name": "Core production system down",
            "cases": 2,
            "outside_hours": 2,
        }
    ]
    zh = api_client(dedicated.admin, language="zh-hans").get(advice_url(dedicated)).json()
    assert zh["headline"] == "保留专属级。"
    assert zh["evidence"][1] == (
        "您的 4 个工单中有 2 个是“核心生产系统不可用”（其中 2 个在工作时间以外）；"
        "基础级不提供该严重性。"
    )


def test_the_range_is_chosen_and_checked(dedicated):
    night_history(dedicated)
    day = local(8, 0).date().isoformat()
    body = api_client(dedicated.admin).get(advice_url(dedicated), {"from": day}).json()
    assert [p["cases"] for p in body["plans"]] == [2, 2, 2]  # the last two of the four
    for params, code in [
        ({"from": "2026-13-01"}, "insights.bad_date"),
        ({"from": "2026-11-10", "until": "2026-11-01"}, "insights.range_reversed"),
        ({"from": "2024-01-01", "until": "2026-01-01"}, "insights.range_too_long"),
        ({"provider": "nimbus"}, "insights.unknown_provider"),
    ]:
        en = api_client(dedicated.admin).get(advice_url(dedicated), params)
        zh = api_client(dedicated.admin, language="zh-hans").get(advice_url(dedicated), params)
        assert (en.status_code, en.json()["code"], zh.json()["code"]) == (400, code, code)
        assert en.json()["message"] != zh.json()["message"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh.json()["message"])
    bad = api_client(dedicated.admin).get(advice_url(dedicated), {"from": "soon"}).json()
    assert bad["message"] == "Start date must be a date written YYYY-MM-DD (got “soon”)."


def test_who_may_read_plan_advice(dedicated, people):
    member = api_client(dedicated.member).get(advice_url(dedicated))
    assert (member.status_code, member.json()["code"]) == (403, "insights.plan_advice_forbidden")
    assert api_client(people["business"]).get(advice_url(dedicated)).status_code == 200
    assert api_client(people["manager"]).get(advice_url(dedicated)).status_code == 200
    engineer = api_client(people["engineer"]).get(advice_url(dedicated))
    assert (engineer.status_code, engineer.json()["code"]) == (
        403,
        "insights.plan_advice_forbidden",
    )
    missing = api_client(people["business"]).get(
        reverse("tenant-plan-advice", kwargs={"pk": 999_999})
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


def test_a_case_opened_and_answered_through_the_services_is_replayed(dedicated, people):
    from supportplan.cases import services as cases

    opened = clock.now() - timedelta(hours=2)
    case = cases.case_open(
        actor=dedicated.admin,
        tenant=dedicated.tenant,
        provider="partner",
        channel="ticket",
        severity="core_production_down",
        subject="Core down",
        description="Payments are down since 10:00.",
        system=dedicated.systems["core_production"],
        now=opened,
    )
    cases.case_reply(
        actor=people["manager"], case=case, body="Looking", now=opened + timedelta(minutes=4)
    )
    body = api_client(dedicated.admin).get(advice_url(dedicated)).json()
    mine = next(p for p in body["plans"] if p["plan"] == "dedicated")
    assert (mine["cases"], mine["met"], mine["missed"]) == (1, 1, 0)
    assert body["plans"][0]["refused_severities"][0]["cases"] == 1  # Basic refuses it


def test_plan_advice_reads_in_a_few_queries(dedicated, django_assert_max_num_queries):
    add_cases(
        dedicated,
        [
            (local(1 + i % 80, i % 24), "production_down", "ticket", "production", 20)
            for i in range(300)
        ],  # fmt: skip
    )
    client = api_client(dedicated.admin)
    client.get(advice_url(dedicated))  # warm the catalog and calendar caches
    # catalogs, the plans in force (every provider's default plan is checked), cases,
    # escorts, bookings, two calendars: a fixed number, the same for one case as for 300
    with django_assert_max_num_queries(14):
        response = client.get(advice_url(dedicated))
    assert response.json()["plans"][1]["cases"] == 300


# --------------------------------------------------------------------------- staffing


def burst(customer, n, channel="ticket", days_ago=3, hour=10, tier="engineer"):
    add_cases(
        customer,
        [
            (
                local(days_ago, hour) + timedelta(seconds=i * 3600 // n),
                "production_down",
                channel,
                "production",
                5,
            )
            for i in range(n)
        ],  # fmt: skip
        tier=tier,
        target=timedelta(seconds=20),
    )


def test_the_staffing_plan_compares_needs_with_the_roster(dedicated, people):
    burst(dedicated, 200)
    start = local(7, 0).date().isoformat()
    until = local(1, 0).date().isoformat()  # 7 days, both included: one week
    params = {"from": start, "until": until, "aht_minutes": "3", "goal": "80"}
    response = api_client(people["manager"]).get(reverse("staffing-plan"), params)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["weeks"], body["arrivals"], body["goal"], body["aht_seconds"]) == (
        1.0,
        200,
        0.8,
        180.0,
    )
    assert body["roster"] == {"engineer": 2, "expert": 1}
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[local(3, 10).weekday()]
    busy = [c for c in body["cells"] if c["needed"]]
    # 200 contacts an hour of 180 s, 80 % within 20 s: 14 people (the Erlang C table)
    assert busy == [
        {
            "tier": "engineer",
            "day": day,
            "hour": 10,
            "arrivals_per_hour": 200.0,
            "needed": 14,
            "rostered": 2,
            "gap": -12,
            "method": "erlang_c",
        }
    ]
    assert len(body["cells"]) == 3 * 7 * 24
    assert body["roster_assumption"].startswith("Shifts are not recorded")

    download = api_client(people["manager"]).get(reverse("staffing-plan-csv"), params)
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert len(rows) == 3 * 7 * 24
    assert [r for r in rows if r["needed"] != "0"] == [
        {"tier": "engineer", "day": day, "hour": "10", "arrivals_per_hour": "200.0",
         "needed": "14", "rostered": "2", "gap": "-12", "method": "erlang_c"}
    ]  # fmt: skip


def test_staffing_is_for_support_managers_and_checks_its_numbers(dedicated, people):
    for who in (dedicated.admin, people["engineer"], people["business"]):
        response = api_client(who).get(reverse("staffing-plan"))
        assert (response.status_code, response.json()["code"]) == (
            403,
            "insights.staffing_forbidden",
        )
    for params in ({"goal": "100"}, {"aht_minutes": "abc"}, {"patience_minutes": "0"},
                   {"goal": "nan"}):  # fmt: skip
        response = api_client(people["manager"]).get(reverse("staffing-plan"), params)
        assert (response.status_code, response.json()["code"]) == (400, "insights.bad_number")
    zh = api_client(people["manager"], language="zh-hans").get(
        reverse("staffing-plan"), {"goal": "100"}
    )
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh.json()["message"])


def test_the_tam_page_links_each_tenant_to_its_plan_advice(catalogs, client):
    from supportplan.web.tests.conftest import make_customer

    tam = make_user(Role.TAM, username="tam1", language="en")
    customer = make_customer("partner", "dedicated", name="Jinhai Bank", tam=tam)
    client.force_login(tam)
    page = client.get("/console/tam/").content.decode()
    assert f'href="/console/plan-advisor/?tenant={customer.tenant.pk}">Plan advice</a>' in page
    advice = client.get(f"/console/plan-advisor/?tenant={customer.tenant.pk}")
    assert advice.status_code == 200
