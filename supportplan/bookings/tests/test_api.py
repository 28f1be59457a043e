"""Bookings over HTTP: request with its exact refusals and warning, the lifecycle by the
right people, and another tenant's booking answering 404 on every endpoint."""

import pytest

from supportplan.accounts.models import Role
from supportplan.bookings.models import Booking
from supportplan.core.models import AuditEntry
from supportplan.core.testing import T0, api_client, make_tenant, make_user
from supportplan.subscriptions.models import QuotaEntry
from supportplan.subscriptions.tests.factories import buy

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def now(monkeypatch):
    from supportplan.core import clock

    monkeypatch.setattr(clock, "now", lambda: T0)


@pytest.fixture
def vip(catalogs):
    tenant = make_tenant("Jinhai")
    buy(tenant, "partner", "vip")
    return tenant, make_user(Role.CUSTOMER_MEMBER, tenant=tenant)


def escort(client, **extra):
    payload = {"service": "escort", "start_date": "2026-12-10", "days": "2",
               "event_kind": "launch", "event_description": "App launch", **extra}  # fmt: skip
    return client.post("/api/bookings/", payload, format="json")


def test_request_refusals_and_warning_over_http(vip):
    _tenant, member = vip
    client = api_client(member)
    r = escort(client, days="1.5")
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (
        400,
        "booking.days_not_whole",
        "days",
    )
    zh = escort(api_client(member, language="zh-hans"), days="1.5").json()
    assert zh["message"] == "护航按整数个自然日申请：1.5 不是不小于 1 的整数。"
    r = client.post(
        "/api/bookings/",
        {"service": "availability_check", "start_date": "2026-11-25"},
        format="json",
    )
    assert (r.status_code, r.json()["code"], r.json()["params"]["earliest"]) == (
        400,
        "booking.lead_time_required",
        "2026-11-26",
    )
    r = escort(client, start_date="2026-11-30", days="1")
    body = r.json()
    assert (r.status_code, body["status"], [w["code"] for w in body["warnings"]]) == (
        201,
        "requested",
        ["booking.lead_time_recommended"],
    )
    # Each reader gets the warning in their own language, with the catalog's service name.
    zh_view = api_client(member, language="zh-hans").get(f"/api/bookings/{body['id']}/").json()
    assert zh_view["warnings"] == [
        {
            "code": "booking.lead_time_recommended",
            "message": (
                "建议提前 10 个工作日申请云上保障护航服务（基础版）（即从 2026-12-07 开始）；"
                "我们已受理本次申请，并将尽力及时准备。"
            ),
            "params": {
                "service": "云上保障护航服务（基础版）",
                "days": 10,
                "earliest": "2026-12-07",
            },
        }
    ]
    r = escort(client, days="3")
    assert (r.status_code, r.json()["code"], r.json()["params"]["available"]) == (
        409,
        "booking.quota_exceeded",
        2,
    )


def test_lifecycle_by_the_right_people(vip):
    tenant, member = vip
    tam, expert = make_user(Role.TAM), make_user(Role.EXPERT)
    customer = api_client(member)
    booking = escort(customer).json()
    url = f"/api/bookings/{booking['id']}/"
    r = customer.post(url + "confirm/", {"team": [tam.pk]}, format="json")
    assert (r.status_code, r.json()["code"]) == (403, "booking.manage_forbidden")
    staff = api_client(tam)
    r = staff.post(url + "confirm/", {"team": [tam.pk, expert.pk]}, format="json")
    assert (r.json()["status"], sorted(p["id"] for p in r.json()["team"])) == (
        "confirmed",
        sorted([tam.pk, expert.pk]),
    )
    r = customer.post(url + "cancel/", {}, format="json")
    assert (r.status_code, r.json()["code"]) == (409, "booking.cancel_after_confirmation")
    r = staff.post(url + "deliver/", {"notes": ""}, format="json")
    assert r.json()["code"] == "booking.delivery_notes_required"
    assert (
        staff.post(
            url + "deliver/", {"notes": "48 h patrol, 2 alerts handled"}, format="json"
        ).json()["status"]
        == "delivered"
    )
    r = staff.post(url + "accept/", {}, format="json")
    assert (r.status_code, r.json()["code"]) == (403, "booking.customer_only")
    assert customer.post(url + "accept/", {}, format="json").json()["status"] == "accepted"
    r = customer.post(url + "rate/", {"rating": 5, "comment": "Calm launch"}, format="json").json()
    assert (r["status"], r["rating"]) == ("rated", 5)
    listed = customer.get("/api/bookings/").json()["results"]
    assert [b["id"] for b in listed] == [booking["id"]]


def test_other_tenants_bookings_answer_404_and_nothing_changes(vip):
    tenant, member = vip
    other = make_tenant("Other")
    buy(other, "partner", "vip")
    theirs = escort(api_client(make_user(Role.CUSTOMER_ADMIN, tenant=other))).json()
    client = api_client(member)
    before = (AuditEntry.objects.count(), QuotaEntry.objects.count())
    for method, suffix, payload in [
        ("get", "", None),
        ("post", "cancel/", {}),
        ("post", "accept/", {}),
        ("post", "rate/", {"rating": 1}),
    ]:
        r = getattr(client, method)(
            f"/api/bookings/{theirs['id']}/{suffix}", payload, format="json"
        )
        assert (suffix, r.status_code, r.json()["code"]) == (suffix, 404, "not_found")
    r = escort(client, tenant=other.pk)
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    assert client.get(f"/api/bookings/?tenant={other.pk}").status_code == 404
    assert (AuditEntry.objects.count(), QuotaEntry.objects.count()) == before
    assert Booking.objects.get(pk=theirs["id"]).status == "requested"


@pytest.mark.parametrize(
    ("extra", "code", "field"),
    [
        ({"days": "5000000"}, "booking.too_many_days", "days"),
        ({"days": "1e400"}, "booking.too_many_days", "days"),
        ({"start_date": "9999-12-30", "days": "5"}, "booking.start_too_late", "start_date"),
        (
            {"service": "availability_check", "start_date": "9999-12-31", "days": ""},
            "booking.start_too_late",
            "start_date",
        ),
    ],
)
def test_out_of_range_numbers_and_dates_are_a_clear_400_not_a_500(vip, extra, code, field):
    """Issue 15.12: days = 5,000,000 reached date arithmetic and was a 500 OverflowError."""
    _tenant, member = vip
    r = escort(api_client(member), **extra)
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (400, code, field)
    assert not Booking.objects.exists()
