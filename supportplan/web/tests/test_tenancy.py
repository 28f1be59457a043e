"""No page shows another tenant's data: a customer asking for another tenant's case, file,
booking or report gets 404 (never 403, so ids cannot be probed), and lists hold only
their own rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from supportplan.bookings import services as booking_services
from supportplan.cases.attachments import case_attach
from supportplan.core import clock
from supportplan.subscriptions.domain import local_date

from .conftest import client_for, make_customer
from .test_pages import open_case


@pytest.fixture
def two(catalogs, staff):
    mine = make_customer("partner", "vip", name="Mine Bank")
    theirs = make_customer("partner", "vip", name="Other Bank")
    return mine, theirs


def _report_for(customer):
    from supportplan.reports import services as report_services
    from supportplan.reports.data import Month

    now = clock.now()
    report_services.data_source_add(
        tenant=customer.tenant, kind="demo", settings={"seed": "t", "instances": 2}, now=now
    )
    out = report_services.report_generate(
        tenant=customer.tenant, month=Month.containing(now).previous(), now=now, require_plan=False
    )
    return out.report


def test_other_tenants_case_pages_are_not_found(two):
    mine, theirs = two
    case = open_case(theirs, subject="Their secret outage")
    attachment = case_attach(
        actor=theirs.admin,
        case=case,
        upload=SimpleUploadedFile("secret.txt", b"their data"),
        now=clock.now(),
    )
    client = client_for(mine.admin)
    for url in (
        reverse("web:case", args=[case.pk]),
        reverse("web:attachment", args=[case.pk, attachment.pk]),
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        reverse("web:case_reply", args=[case.pk]),
        reverse("web:case_attach", args=[case.pk]),
        reverse("web:case_rate", args=[case.pk]),
        reverse("web:case_state", args=[case.pk, "close"]),
    ):
        assert client.post(url, {"body": "hi", "score": 5}).status_code == 404, url
    listing = client.get(reverse("web:cases") + "?show=all").content.decode()
    home = client.get(reverse("home")).content.decode()
    assert "Their secret outage" not in listing and "Their secret outage" not in home
    case.refresh_from_db()
    assert case.communications.count() == 0  # nothing was written through a foreign URL
    # the owner still reaches both
    own = client_for(theirs.admin)
    assert own.get(reverse("web:case", args=[case.pk])).status_code == 200
    assert own.get(reverse("web:attachment", args=[case.pk, attachment.pk])).status_code == 200


def test_other_tenants_booking_is_not_found(two):
    mine, theirs = two
    start = local_date(clock.now()) + timedelta(days=30)
    booking = booking_services.booking_request(
        tenant=theirs.tenant,
        actor=theirs.admin,
        service_code="escort",
        start_date=start,
        days=1,
        event_description="Their launch",
        now=clock.now(),
    )
    client = client_for(mine.admin)
    assert client.get(reverse("web:booking", args=[booking.pk])).status_code == 404
    assert (
        client.post(reverse("web:booking_action", args=[booking.pk, "cancel"])).status_code == 404
    )
    assert "Their launch" not in client.get(reverse("web:services")).content.decode()
    booking.refresh_from_db()
    assert booking.status == "requested"


def test_other_tenants_report_is_not_found(two):
    mine, theirs = two
    report = _report_for(theirs)
    client = client_for(mine.admin)
    assert client.get(reverse("web:report_download", args=[report.pk])).status_code == 404
    url = reverse("web:report_download", args=[report.pk]) + "?format=html"
    assert client.get(url).status_code == 404
    assert "Other Bank" not in client.get(reverse("web:reports")).content.decode()
    own = client_for(theirs.admin).get(reverse("web:report_download", args=[report.pk]))
    assert own.status_code == 200
    assert b"".join(own.streaming_content)[:5] == b"%PDF-"


def test_unknown_ids_are_not_found_not_errors(two):
    mine, _ = two
    client = client_for(mine.admin)
    for url in ("/cases/999999/", "/services/999999/", "/reports/999999/download/"):
        assert client.get(url).status_code == 404, url


def test_staff_of_a_lower_tier_cannot_open_a_vip_case(two, staff):
    _, theirs = two
    case = open_case(theirs)
    response = client_for(staff["engineer"]).get(reverse("web:console_case", args=[case.pk]))
    assert response.status_code == 404
