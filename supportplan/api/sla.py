"""The first-response promise before a case is filed, and a case's clock explained.

- `GET /api/sla/quote/?provider=&severity=&channel=&system=&im_platform=` (staff: `tenant=`):
  what `POST /api/cases/` would promise right now, computed by the functions `case_open`
  calls; a severity or channel the plan refuses answers the same refusal.
- `GET /api/cases/{id}/clock/`: the first-response clock of a case step by step, derived
  from the case's event log (same tenancy as the case itself: another tenant's case is 404).

Instants are ISO 8601 in UTC (`…Z`) with the reader's local rendering beside them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from supportplan.accounts import permissions as perms
from supportplan.accounts.models import RegisteredSystem
from supportplan.calendars import answers
from supportplan.cases import domain as case_domain
from supportplan.cases import promise, selectors
from supportplan.core import clock
from supportplan.core.errors import NotFound
from supportplan.sla import explain

from .permissions import user_of
from .serializers import ErrorSerializer


def utc(instant: datetime | None) -> str | None:
    if instant is None:
        return None
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------- schema


ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


class CalendarBriefSerializer(serializers.Serializer):
    code = serializers.CharField()
    tz = serializers.CharField()
    hours = serializers.CharField(help_text="The service hours, for a person")


class SpecialDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    kind = serializers.ChoiceField(choices=["holiday", "adjusted_workday"])
    name = serializers.CharField(allow_blank=True)


class QuoteWarningSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="sla.channel_closed | calendar.holiday_data_missing")
    message = serializers.CharField()
    suggested_channel = serializers.CharField(allow_null=True)
    suggested_channel_name = serializers.CharField(allow_null=True)
    suggested_due_at = serializers.CharField(allow_null=True, help_text="ISO 8601 UTC")
    suggested_due_local = serializers.CharField(allow_null=True)


class QuoteSerializer(serializers.Serializer):
    provider = serializers.CharField()
    plan = serializers.CharField()
    plan_name = serializers.CharField()
    severity = serializers.CharField()
    severity_name = serializers.CharField()
    channel = serializers.CharField()
    channel_name = serializers.CharField()
    timezone = serializers.CharField(help_text="The reader's time zone for the *_local fields")
    opened_at = serializers.CharField(help_text="ISO 8601 UTC: the instant quoted for")
    opened_local = serializers.CharField()
    due_at = serializers.CharField(help_text="ISO 8601 UTC: the first response is due by")
    due_local = serializers.CharField()
    target_seconds = serializers.IntegerField()
    target = serializers.CharField(help_text="The target, for a person")
    rule = serializers.CharField(help_text="plan | escort")
    escort = serializers.BooleanField()
    provisional = serializers.BooleanField(
        help_text="A year without holiday data was crossed: the due time may move"
    )
    missing_years = serializers.ListField(child=serializers.IntegerField())
    calendar = CalendarBriefSerializer()
    special_days = SpecialDaySerializer(many=True)
    reasons = serializers.ListField(child=serializers.CharField())
    warnings = QuoteWarningSerializer(many=True)


class ClockStepSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[
            "started",
            "escort",
            "running",
            "closed",
            "paused",
            "severity_changed",
            "due",
            "breached",
            "met",
            "replied_late",
            "stopped",
            "now",
        ]
    )
    start = serializers.CharField(help_text="ISO 8601 UTC")
    end = serializers.CharField(allow_null=True, help_text="ISO 8601 UTC; null for an instant")
    start_local = serializers.CharField()
    end_local = serializers.CharField(allow_null=True)
    business_seconds = serializers.IntegerField(help_text="Business time this step counted")
    reason = serializers.CharField(
        allow_null=True, help_text="closed: overnight | rest_day | holiday | outside_hours"
    )
    text = serializers.CharField(help_text="The step, for a person")


class CaseClockSerializer(serializers.Serializer):
    case_id = serializers.IntegerField()
    as_of = serializers.CharField(help_text="ISO 8601 UTC")
    timezone = serializers.CharField()
    state = serializers.CharField(help_text="running | paused | met | breached | stopped")
    severity = serializers.CharField()
    calendar = serializers.CharField()
    rule = serializers.CharField(help_text="plan | escort")
    target_seconds = serializers.IntegerField()
    consumed_seconds = serializers.IntegerField()
    remaining_seconds = serializers.IntegerField()
    due_at = serializers.CharField(allow_null=True, help_text="ISO 8601 UTC")
    due_local = serializers.CharField(allow_null=True)
    provisional = serializers.BooleanField()
    missing_years = serializers.ListField(child=serializers.IntegerField())
    steps = ClockStepSerializer(many=True)


# --------------------------------------------------------------------------- bodies


def quote_body(q: promise.Quote) -> dict[str, Any]:
    p = q.promise
    tz = q.timezone
    return {
        "provider": q.provider,
        "plan": q.plan,
        "plan_name": q.plan_name,
        "severity": q.severity,
        "severity_name": q.severity_name,
        "channel": q.channel,
        "channel_name": q.channel_name,
        "timezone": str(tz),
        "opened_at": utc(p.opened_at),
        "opened_local": q.opened_local,
        "due_at": utc(p.due_at),
        "due_local": q.due_local,
        "target_seconds": int(p.target.total_seconds()),
        "target": explain.duration_words(p.target),
        "rule": p.source,
        "escort": p.escort,
        "provisional": p.provisional,
        "missing_years": list(p.missing_years),
        "calendar": {
            "code": p.calendar.code,
            "tz": p.calendar.tz,
            "hours": explain.hours_text(p.calendar),
        },
        "special_days": [
            {"date": f.day.isoformat(), "kind": f.kind, "name": f.label} for f in p.special_days
        ],
        "reasons": q.reasons,
        "warnings": [
            {
                "code": w.code,
                "message": w.message,
                "suggested_channel": w.suggested_channel,
                "suggested_channel_name": w.suggested_channel_name,
                "suggested_due_at": utc(w.suggested_due_at),
                "suggested_due_local": explain.local_text(w.suggested_due_at, tz)
                if w.suggested_due_at
                else None,
            }
            for w in q.warnings
        ],
    }


def clock_body(case: Any, c: promise.CaseClock) -> dict[str, Any]:
    t = c.timer
    return {
        "case_id": case.pk,
        "as_of": utc(c.result.as_of),
        "timezone": str(c.timezone),
        "state": str(t.state),
        "severity": c.result.severity,
        "calendar": t.calendar,
        "rule": t.source,
        "target_seconds": int(t.target.total_seconds()),
        "consumed_seconds": int(t.consumed.total_seconds()),
        "remaining_seconds": int(t.remaining.total_seconds()),
        "due_at": utc(t.due_at),
        "due_local": c.due_local,
        "provisional": bool(t.missing_years),
        "missing_years": list(t.missing_years),
        "steps": [
            {
                "kind": line.step.kind,
                "start": utc(line.step.start),
                "end": utc(line.step.end),
                "start_local": line.start_local,
                "end_local": line.end_local,
                "business_seconds": int(line.step.business.total_seconds()),
                "reason": line.step.detail.get("reason"),
                "text": line.text,
            }
            for line in c.lines
        ],
    }


# --------------------------------------------------------------------------- views


def _param(request: Request, name: str, required: bool = True) -> str:
    value = request.query_params.get(name, "").strip()
    if required and not value:
        raise answers.parameter_missing(name)
    return value


def system_of(tenant: Any, system_id: str) -> RegisteredSystem | None:
    if not system_id:
        return None
    system = None
    if system_id.isdigit():
        system = RegisteredSystem.objects.for_tenant(tenant).filter(pk=int(system_id)).first()
    if system is None:
        raise NotFound(case_domain.WHAT_SYSTEM)
    return system


class SlaQuoteView(APIView):
    @extend_schema(
        summary="The first-response promise of a case opened now (before it is filed)",
        operation_id="sla_quote",
        parameters=[
            OpenApiParameter("provider", str),
            OpenApiParameter("severity", str),
            OpenApiParameter("channel", str),
            OpenApiParameter("system", int, required=False, description="A registered system"),
            OpenApiParameter("im_platform", str, required=False),
            OpenApiParameter("tenant", int, required=False, description="Staff: for whom"),
        ],
        responses={200: QuoteSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        user = user_of(request)
        tenant = perms.tenant_for(
            user, request.query_params.get("tenant") if perms.is_staff(user) else None
        )
        provider = _param(request, "provider")
        severity = _param(request, "severity")
        channel = _param(request, "channel")
        q = promise.sla_quote(
            actor=user,
            tenant=tenant,
            provider=provider,
            severity=severity,
            channel=channel,
            system=system_of(tenant, _param(request, "system", required=False)),
            im_platform=_param(request, "im_platform", required=False),
            now=clock.now(),
        )
        return Response(quote_body(q))


class CaseClockView(APIView):
    @extend_schema(
        summary="Why the first response is due when it is: the case's clock step by step",
        operation_id="cases_clock",
        responses={200: CaseClockSerializer, **ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        user = user_of(request)
        case = selectors.case_for(user, pk)
        return Response(clock_body(case, promise.case_clock(case, user, clock.now())))


def urlpatterns() -> list[Any]:
    from django.urls import path

    return [
        path("sla/quote/", SlaQuoteView.as_view(), name="sla-quote"),
        path("cases/<int:pk>/clock/", CaseClockView.as_view(), name="case-clock"),
    ]
