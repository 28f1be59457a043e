"""Every page renders for the people it is for, in both languages, with data and empty."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supportplan.cases import services as case_services
from supportplan.core import clock

from .conftest import client_for, make_customer

CUSTOMER_PAGES = [
    "home",
    "web:cases",
    "web:case_new",
    "web:plans",
    "web:services",
    "web:reports",
    "web:statements",
    "web:org",
]
STAFF_PAGES = [
    "web:queue",
    "web:hotline",
    "web:tam",
    "web:dashboard",
    "web:staff_bookings",
    "web:staff_advisories",
    "web:staff_reports",
]


def open_case(customer, severity="core_production_down", system="core_production", **kw):
    return case_services.case_open(
        actor=customer.admin,
        tenant=customer.tenant,
        provider="partner",
        channel="ticket",
        severity=severity,
        subject=kw.pop("subject", "Core banking down"),
        description=kw.pop("description", "Payments fail since 10:00 with HTTP 502."),
        system=customer.systems[system] if system else None,
        now=clock.now(),
        **kw,
    )


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("page", CUSTOMER_PAGES)
def test_customer_pages_render(vip, page, language):
    open_case(vip)
    response = client_for(vip.admin, language).get(reverse(page))
    assert response.status_code == 200
    assert response["Content-Language"] == language


@pytest.mark.parametrize("page", CUSTOMER_PAGES)
def test_customer_pages_render_without_a_plan(catalogs, page):
    nobody = make_customer(None, None)
    response = client_for(nobody.member, "zh-hans").get(reverse(page))
    assert response.status_code == 200


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("page", STAFF_PAGES)
def test_staff_pages_render(vip, staff, page, language):
    open_case(vip)
    response = client_for(staff["manager"], language).get(reverse(page))
    assert response.status_code == 200


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_staff_pages_render_empty(catalogs, staff, page):
    response = client_for(staff["engineer"]).get(reverse(page))
    assert response.status_code in (200, 403)  # the dashboard is for managers


def test_case_pages_render_for_both_sides(vip, staff):
    case = open_case(vip)
    assert client_for(vip.admin).get(reverse("web:case", args=[case.pk])).status_code == 200
    assert (
        client_for(staff["tam"]).get(reverse("web:console_case", args=[case.pk])).status_code == 200
    )


def test_portal_and_console_are_separate(vip, staff):
    case = open_case(vip)
    assert client_for(staff["engineer"]).get(reverse("web:case", args=[case.pk])).status_code == 404
    assert client_for(vip.admin).get(reverse("web:console_case", args=[case.pk])).status_code == 404
    assert client_for(vip.admin).get(reverse("web:queue")).status_code == 404


def test_anonymous_is_sent_to_sign_in(db):
    from django.test import Client

    response = Client().get(reverse("web:cases"))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_new_case_form_names_phone_channels_without_an_empty_number(catalogs):
    from .conftest import client_for, make_customer

    vip = make_customer("partner", "vip", name="Phone Bank")
    page = client_for(vip.member).get("/cases/new/").content.decode()
    assert "call Hotline (950808 ext. 6); our staff" in page
    assert "call Enterprise phone line; our staff record the case for you." in page
    assert "()" not in page


def test_a_page_does_not_leave_its_time_zone_to_the_threads_next_request(catalogs):
    from django.utils import timezone

    from .conftest import client_for, make_customer

    vip = make_customer("partner", "vip", name="Zone Bank")
    timezone.deactivate()
    assert client_for(vip.member).get("/cases/").status_code == 200
    # no time zone left active in this thread (API answers are in UTC)
    assert getattr(timezone._active, "value", None) is None
