"""Administrators edit holiday data in the Django admin; edits go through the services
(audited, cache invalidated) and missing data is announced from 1 November."""

from datetime import date, timedelta

import pytest
from django.test import Client

from supportplan.accounts.models import Role
from supportplan.calendars import selectors
from supportplan.calendars.domain import add_business_time
from supportplan.calendars.models import DayKind, HolidayDay, HolidayYear
from supportplan.core.models import AuditEntry
from supportplan.core.testing import make_user

from .test_services import sh

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(Role.PLATFORM_ADMIN, language="en"))
    return client


def test_admin_index_warns_when_holiday_data_is_missing(admin_client):
    # Without any holiday data the current year is missing whatever today is.
    HolidayDay.objects.all().delete()
    HolidayYear.objects.all().delete()
    r = admin_client.get("/admin/")
    assert r.status_code == 200
    text = r.content.decode()
    assert "is missing: calendars 5x8 count only weekends this year" in text
    assert "supportplan calendar import-notice" in text


def test_admin_adds_a_holiday_through_the_service(admin_client):
    hy = HolidayYear.objects.get(year=2026)
    r = admin_client.post(
        "/admin/calendars/holidayday/add/",
        {
            "holiday_year": hy.pk,
            "date": "2026-11-24",
            "kind": DayKind.HOLIDAY,
            "name_zh_hans": "公司日",
            "name_en": "Company day",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    day = HolidayDay.objects.get(date=date(2026, 11, 24))
    assert (day.source, day.region) == ("admin", "cn")
    entry = AuditEntry.objects.filter(action="calendar.changed").latest("id")
    assert entry.data["reason"] == "holiday_saved"
    assert entry.actor is not None
    due = add_business_time(selectors.calendar_for("5x8"), sh(2026, 11, 23, 17), timedelta(hours=2))
    assert due.value == sh(2026, 11, 25, 10)


def test_admin_refuses_an_adjusted_working_day_on_a_weekday(admin_client):
    hy = HolidayYear.objects.get(year=2026)
    r = admin_client.post(
        "/admin/calendars/holidayday/add/",
        {"holiday_year": hy.pk, "date": "2026-11-25", "kind": DayKind.WORKDAY},
    )
    assert r.status_code == 200  # the form again, with the error
    assert "is a weekday and already a working day" in r.content.decode()
    assert not HolidayDay.objects.filter(date=date(2026, 11, 25)).exists()


def test_admin_refuses_overlapping_windows(admin_client):
    from supportplan.calendars.models import Calendar

    five = Calendar.objects.get(code="5x8")
    windows = list(five.windows.order_by("weekday"))
    data = {
        "code": "5x8",
        "name_zh_hans": five.name_zh_hans,
        "name_en": five.name_en,
        "tz": "Asia/Shanghai",
        "holiday_region": "cn",
        "windows-TOTAL_FORMS": str(len(windows) + 1),
        "windows-INITIAL_FORMS": str(len(windows)),
        "windows-MIN_NUM_FORMS": "0",
        "windows-MAX_NUM_FORMS": "1000",
    }
    for i, w in enumerate(windows):
        data.update(
            {
                f"windows-{i}-id": str(w.pk),
                f"windows-{i}-calendar": str(five.pk),
                f"windows-{i}-weekday": str(w.weekday),
                f"windows-{i}-start": "09:00",
                f"windows-{i}-end": "18:00",
            }
        )
    n = len(windows)
    data.update(
        {
            f"windows-{n}-calendar": str(five.pk),
            f"windows-{n}-weekday": "0",
            f"windows-{n}-start": "17:00",
            f"windows-{n}-end": "19:00",
        }
    )
    r = admin_client.post(f"/admin/calendars/calendar/{five.pk}/change/", data)
    assert r.status_code == 200
    assert "overlap" in r.content.decode()
    assert five.windows.count() == n
