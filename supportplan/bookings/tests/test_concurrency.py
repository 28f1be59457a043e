"""Fifty simultaneous requests for the last escort day give exactly one booking.

PostgreSQL only (SQLite serialises writers anyway): each thread has its own connection, all
start together behind a barrier, and the quota bucket row lock decides.
"""

from datetime import date

import pytest

from supportplan.bookings import services
from supportplan.bookings.models import Booking
from supportplan.core.errors import DomainError
from supportplan.core.testing import T0, make_tenant, race
from supportplan.subscriptions import selectors as sub_selectors
from supportplan.subscriptions.models import QuotaEntry
from supportplan.subscriptions.tests.factories import buy, load_catalogs

THREADS = 50


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_simultaneous_requests_for_the_last_escort_day_give_one_booking():
    load_catalogs()
    tenant = make_tenant()
    buy(tenant, "partner", "vip", term="annual")
    services.booking_request(
        tenant=tenant, actor=None, service_code="escort", start_date=date(2026, 12, 10),
        days=2, event_description="Launch", now=T0,
    )  # fmt: skip

    def attempt(i: int) -> str:
        try:
            services.booking_request(
                tenant=tenant, actor=None, service_code="escort",
                start_date=date(2026, 12, 20), days=1, event_description=f"Promotion {i}", now=T0,
            )  # fmt: skip
        except DomainError as exc:
            return exc.code
        return "booked"

    results = race(attempt, THREADS)

    assert sorted(set(results)) == ["booked", "booking.quota_exceeded"]
    assert results.count("booked") == 1
    assert results.count("booking.quota_exceeded") == THREADS - 1
    assert Booking.objects.filter(tenant=tenant, start_date=date(2026, 12, 20)).count() == 1
    (escort,) = [
        b for b in sub_selectors.quota_balances(tenant, "partner", T0) if b.service_code == "escort"
    ]
    assert (escort.granted, escort.reserved, escort.available) == (3, 3, 0)
    assert QuotaEntry.objects.filter(tenant=tenant, kind="reserve").count() == 2
