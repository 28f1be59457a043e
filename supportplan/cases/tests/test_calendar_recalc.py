"""An administrator's calendar edit moves open cases' due times (issue 3, part 7), end to end:
calendar service -> audited change -> recalculation task on commit -> the case's SLA columns."""

import pytest

from supportplan.calendars import services as calendar_services
from supportplan.calendars.models import REGION_CN, DayKind, HolidayDay, HolidayYear
from supportplan.cases.models import Case
from supportplan.core.models import AuditEntry
from supportplan.core.testing import make_user

from .factories import at, customer, load_catalogs
from .test_services import open_case

pytestmark = pytest.mark.django_db


def test_a_new_holiday_moves_an_open_5x8_case_and_is_audited(django_capture_on_commit_callbacks):
    load_catalogs()
    make_user("expert")
    admin = make_user("platform_admin")
    tenant, user, systems = customer("partner", "dedicated")
    case = open_case(
        user, tenant, "partner", "production_down", systems["production"],
        channel="im_group", im_platform="wecom", now=at("2026-11-23T17:50:00+08:00"),
    )  # fmt: skip
    # 10 minutes on Monday, 20 more on Tuesday morning.
    assert case.first_response_due == at("2026-11-24T09:20:00+08:00")

    year = HolidayYear.objects.get(region=REGION_CN, year=2026)
    with django_capture_on_commit_callbacks(execute=True):
        calendar_services.holiday_day_save(
            day=HolidayDay(holiday_year=year, date=at("2026-11-24T00:00:00+08:00").date(),
                           kind=DayKind.HOLIDAY, name_en="Company day", name_zh_hans="公司假日"),
            actor=admin, at=at("2026-11-23T18:30:00+08:00"),
        )  # fmt: skip

    # Tuesday is now a rest day: the remaining 20 minutes run on Wednesday morning.
    assert Case.objects.get(pk=case.pk).first_response_due == at("2026-11-25T09:20:00+08:00")
    change = AuditEntry.objects.filter(action="calendar.changed").latest("id")
    assert change.actor_id == admin.pk and "5x8" in change.data["calendars"]
