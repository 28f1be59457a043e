"""API: the plan advisor of one tenant and the provider's staffing plan (JSON and CSV).

Routes (added in supportplan/api/urls.py): /api/tenants/{id}/plan-advice/,
/api/staffing/plan/, /api/staffing/plan/csv/. Errors are the API's envelope
(supportplan.api.errors); another tenant's id answers 404, never 403.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.http import HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from supportplan.accounts import permissions as perms
from supportplan.api.permissions import user_of
from supportplan.core import clock

from . import access, domain, selectors


class InsightsErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="stable, dotted (e.g. insights.bad_date)")
    message = serializers.CharField(help_text="in the caller's language")
    params = serializers.DictField(required=False)
    field = serializers.CharField(required=False)


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    texts = {
        400: "bad parameter (date, number, provider)",
        403: "the caller's role may not read this",
        404: "no such tenant for this caller",
    }
    return {c: OpenApiResponse(InsightsErrorSerializer, description=texts[c]) for c in codes}


class AdviceTargetSerializer(serializers.Serializer):
    severity = serializers.CharField()
    name = serializers.CharField()
    first_response_seconds = serializers.IntegerField()


class AdviceRefusalSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    cases = serializers.IntegerField()
    outside_hours = serializers.IntegerField()


class AdviceServiceSerializer(serializers.Serializer):
    service = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    quota = serializers.IntegerField(allow_null=True)
    paid = serializers.BooleanField()
    used = serializers.IntegerField()


class PlanReplaySerializer(serializers.Serializer):
    plan = serializers.CharField()
    name = serializers.CharField()
    current = serializers.BooleanField()
    cases = serializers.IntegerField()
    offered = serializers.IntegerField(help_text="cases whose severity and channel it includes")
    answered = serializers.IntegerField()
    met = serializers.IntegerField(help_text="first responses before the due time it sets")
    missed = serializers.IntegerField()
    attainment = serializers.FloatField(allow_null=True)
    monthly_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    price_difference = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="per month, against the current plan"
    )
    targets = AdviceTargetSerializer(many=True)
    refused_severities = AdviceRefusalSerializer(many=True)
    refused_channels = AdviceRefusalSerializer(many=True)
    services = AdviceServiceSerializer(many=True)
    holiday_data_missing = serializers.ListField(child=serializers.IntegerField())


class AdviceReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    text = serializers.CharField()


class PlanAdviceSerializer(serializers.Serializer):
    tenant = serializers.IntegerField()
    provider = serializers.CharField()
    provider_name = serializers.CharField()
    # "from" is a Python keyword: declared below
    until = serializers.DateTimeField()
    currency = serializers.CharField()
    verdict = serializers.ChoiceField(["downgrade", "upgrade", "stay", "choose", "nothing"])
    plan = serializers.CharField(allow_null=True)
    plan_name = serializers.CharField(allow_null=True)
    headline = serializers.CharField()
    evidence = serializers.ListField(child=serializers.CharField())
    reasons = AdviceReasonSerializer(many=True)
    plans = PlanReplaySerializer(many=True)


PlanAdviceSerializer._declared_fields["from"] = serializers.DateTimeField()

RANGE_PARAMS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="first day; default 90 days ago"),
    OpenApiParameter("until", OpenApiTypes.DATE, description="last day (inclusive); default today"),
]


class TenantPlanAdviceView(APIView):
    @extend_schema(
        summary="Replay the tenant's cases through every plan of a provider and recommend",
        operation_id="tenants_plan_advice",
        parameters=[
            *RANGE_PARAMS,
            OpenApiParameter("provider", str, description="default: the tenant's plan's"),
        ],
        responses={200: PlanAdviceSerializer, **_errors(400, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        user = user_of(request)
        tenant = perms.tenant_for(user, pk)
        access.require_plan_advice(user, tenant)
        now = clock.now()
        result = selectors.plan_advice(
            tenant,
            now,
            provider=request.query_params.get("provider") or None,
            start=request.query_params.get("from") or None,
            end=request.query_params.get("until") or None,
        )
        return Response(selectors.advice_as_dict(result, get_language() or "en"))


class StaffingCellSerializer(serializers.Serializer):
    tier = serializers.CharField()
    day = serializers.ChoiceField(list(domain.DAY_CODES))
    hour = serializers.IntegerField(min_value=0, max_value=23)
    arrivals_per_hour = serializers.FloatField()
    needed = serializers.IntegerField()
    rostered = serializers.IntegerField()
    gap = serializers.IntegerField(help_text="rostered − needed; negative: short")
    method = serializers.CharField(help_text="erlang_c, erlang_a, both joined by +, or empty")


class StaffingPlanSerializer(serializers.Serializer):
    until = serializers.DateTimeField()
    weeks = serializers.FloatField()
    arrivals = serializers.IntegerField()
    aht_seconds = serializers.FloatField()
    patience_seconds = serializers.FloatField()
    goal = serializers.FloatField()
    roster = serializers.DictField(child=serializers.IntegerField())
    roster_assumption = serializers.CharField()
    cells = StaffingCellSerializer(many=True)


StaffingPlanSerializer._declared_fields["from"] = serializers.DateTimeField()

STAFFING_PARAMS = [
    *RANGE_PARAMS,
    OpenApiParameter("aht_minutes", float, description="handling time per case, default 30"),
    OpenApiParameter("patience_minutes", float, description="hotline callers' patience, default 3"),
    OpenApiParameter("goal", float, description="% of first responses on time, default 95"),
]


def _plan(request: Request) -> domain.StaffingPlan:
    access.require_staffing(user_of(request))
    q = request.query_params
    return selectors.staffing_plan(
        clock.now(),
        start=q.get("from") or None,
        end=q.get("until") or None,
        aht_minutes=q.get("aht_minutes"),
        patience_minutes=q.get("patience_minutes"),
        goal_percent=q.get("goal"),
    )


def staffing_as_dict(plan: domain.StaffingPlan) -> dict[str, Any]:
    i = plan.inputs
    return {
        "from": i.start.isoformat(),
        "until": i.end.isoformat(),
        "weeks": plan.weeks,
        "arrivals": plan.arrivals,
        "aht_seconds": i.aht_seconds,
        "patience_seconds": i.patience_seconds,
        "goal": i.goal,
        "roster": dict(i.roster),
        "roster_assumption": str(ROSTER_ASSUMPTION),
        "cells": domain.staffing_rows(plan),
    }


ROSTER_ASSUMPTION = _(
    "Shifts are not recorded: every active handler of a tier is counted for every hour of the week."
)


class StaffingPlanView(APIView):
    @extend_schema(
        summary="People needed per handler tier and hour of the week against the roster",
        operation_id="staffing_plan",
        parameters=STAFFING_PARAMS,
        responses={200: StaffingPlanSerializer, **_errors(400, 403)},
    )
    def get(self, request: Request) -> Response:
        return Response(staffing_as_dict(_plan(request)))


def staffing_csv(plan: domain.StaffingPlan) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=domain.CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(domain.staffing_rows(plan))
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    day = plan.inputs.start.astimezone(clock.BUSINESS_TZ).date().isoformat()
    response["Content-Disposition"] = f'attachment; filename="staffing-{day}.csv"'
    return response


class StaffingPlanCsvView(APIView):
    @extend_schema(
        summary="The staffing plan as CSV (one row per tier, day and hour)",
        operation_id="staffing_plan_csv",
        parameters=STAFFING_PARAMS,
        responses={(200, "text/csv"): OpenApiTypes.STR, **_errors(400, 403)},
    )
    def get(self, request: Request) -> HttpResponse:
        return staffing_csv(_plan(request))


def urlpatterns() -> list[Any]:
    from django.urls import path

    return [
        path(
            "tenants/<int:pk>/plan-advice/",
            TenantPlanAdviceView.as_view(),
            name="tenant-plan-advice",
        ),
        path("staffing/plan/", StaffingPlanView.as_view(), name="staffing-plan"),
        path("staffing/plan/csv/", StaffingPlanCsvView.as_view(), name="staffing-plan-csv"),
    ]
