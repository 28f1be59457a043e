"""Calendar and SLA answers for the portal (countdowns, earliest start dates, deadlines).

Read-only; every signed-in person may ask (calendars and catalogs are not tenant data).
Instants are ISO 8601 with the Asia/Shanghai offset; answers list the calendar facts they
used and warn when a year's holiday data is missing.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from supportplan.calendars import answers, selectors
from supportplan.calendars.models import Calendar
from supportplan.core import clock

from .permissions import IsProviderStaff


def _param(request: Request, name: str, required: bool = True) -> str:
    value = request.query_params.get(name, "").strip()
    if required and not value:
        raise answers.parameter_missing(name)
    return value


def _int(request: Request, name: str) -> int:
    return answers.parse_int(_param(request, name), name)


class CalendarListView(APIView):
    @extend_schema(
        summary="Business calendars with their windows and known holiday years",
        operation_id="calendars_list",
        responses={200: {"type": "array", "items": {"type": "object"}}},
    )
    def get(self, request: Request) -> Response:
        codes = list(Calendar.objects.order_by("code").values_list("code", flat=True))
        return Response([answers.calendar_facts(selectors.calendar_for(c)) for c in codes])


class CalendarDetailView(APIView):
    @extend_schema(summary="One business calendar", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, code: str) -> Response:
        return Response(answers.calendar_facts(selectors.calendar_for(code)))


class WorkdayView(APIView):
    @extend_schema(
        summary="The N-th working day after a date",
        responses={200: OpenApiTypes.OBJECT},
        parameters=[
            OpenApiParameter(
                "after", OpenApiTypes.DATE, required=True, description="YYYY-MM-DD (not counted)"
            ),
            OpenApiParameter("n", int, required=True),
            OpenApiParameter("calendar", str, required=False, description="default 5x8"),
        ],
    )
    def get(self, request: Request) -> Response:
        cal = selectors.calendar_for(_param(request, "calendar", required=False) or "5x8")
        after = answers.parse_day(_param(request, "after"), "after")
        return Response(answers.workday(cal, after, _int(request, "n")))


class ReportDeadlineView(APIView):
    @extend_schema(
        summary="Monthly-report delivery deadline",
        responses={200: OpenApiTypes.OBJECT},
        parameters=[
            OpenApiParameter(
                "month", str, required=True, pattern=r"^\d{4}-\d{2}$", description="YYYY-MM"
            )
        ],
    )
    def get(self, request: Request) -> Response:
        return Response(
            answers.report_deadline(selectors.working_days_calendar(), _param(request, "month"))
        )


class SlaDueView(APIView):
    @extend_schema(
        summary="First-response due time of a case opened now or at `opened`",
        responses={200: OpenApiTypes.OBJECT},
        parameters=[
            OpenApiParameter("provider", str, required=True),
            OpenApiParameter("plan", str, required=True),
            OpenApiParameter("severity", str, required=True),
            OpenApiParameter("channel", str, required=True),
            OpenApiParameter(
                "opened",
                OpenApiTypes.DATETIME,
                required=False,
                description="ISO 8601 with offset; default now",
            ),
        ],
    )
    def get(self, request: Request) -> Response:
        from supportplan.catalog.selectors import current_catalog

        opened_text = _param(request, "opened", required=False)
        opened = answers.parse_instant(opened_text, "opened") if opened_text else clock.now()
        answer: dict[str, Any] = answers.sla_due(
            current_catalog(_param(request, "provider")),
            plan=_param(request, "plan"),
            severity=_param(request, "severity"),
            channel=_param(request, "channel"),
            opened=opened,
            calendars=selectors.calendar_for,
        )
        return Response(answer)


class HolidayDataCheckView(APIView):
    permission_classes = [IsProviderStaff]

    @extend_schema(
        summary="Missing holiday data administrators must act on",
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        warnings = selectors.holiday_data_warnings(clock.now())
        return Response(
            {
                "ok": not warnings,
                "warnings": [
                    {
                        "code": w.code,
                        "level": w.level,
                        "region": w.region,
                        "year": w.year,
                        "calendars": list(w.calendars),
                        "message": w.message,
                    }
                    for w in warnings
                ],
            }
        )


def urlpatterns() -> list[Any]:
    from django.urls import path

    return [
        path("calendars/", CalendarListView.as_view(), name="calendar-list"),
        path("calendars/workday/", WorkdayView.as_view(), name="calendar-workday"),
        path("calendars/check/", HolidayDataCheckView.as_view(), name="calendar-check"),
        path("calendars/report-deadline/", ReportDeadlineView.as_view(), name="report-deadline"),
        # last: any other segment is a calendar code
        path("calendars/<str:code>/", CalendarDetailView.as_view(), name="calendar-detail"),
        path("sla/due/", SlaDueView.as_view(), name="sla-due"),
    ]
