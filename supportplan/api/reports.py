"""Monthly service reports: customers list and download their own; staff generate,
preview, resend, see deadlines at risk and manage data sources (secrets write-only)."""

from typing import Any

from django.http import FileResponse, HttpResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from supportplan.accounts import permissions as perms
from supportplan.accounts.models import CloudAccount
from supportplan.core import clock
from supportplan.core.errors import DomainError, NotFound
from supportplan.reports import messages, selectors, services
from supportplan.reports.data import Month
from supportplan.reports.models import DataSource, Report
from supportplan.reports.render import STORED_REPORT_CSP

from .permissions import IsProviderStaff, user_of
from .serializers import BlankChoicesMixin, RefuseReadOnlyMixin, id_field


class ReportSerializer(BlankChoicesMixin, serializers.ModelSerializer[Report]):
    tenant_name = serializers.CharField(source="tenant.name", read_only=True)
    period = serializers.CharField(read_only=True)
    reason = serializers.SerializerMethodField()
    state_reason = serializers.SerializerMethodField(
        help_text="Why the last generation failed (state `failed`), in the caller's language."
    )
    html_url = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "tenant",
            "tenant_name",
            "period",
            "year",
            "month",
            "status",
            "state",
            "state_reason",
            "state_at",
            "language",
            "deadline",
            "generated_at",
            "sent_at",
            "sent_to",
            "reason",
            "headline",
            "html_url",
            "pdf_url",
        ]
        read_only_fields = fields

    def get_reason(self, obj: Report) -> dict[str, str] | None:
        if not obj.reason_code:
            return None
        return {
            "code": obj.reason_code,
            "message": services.reason_text(obj.reason_code, obj.reason_detail),
        }

    def get_state_reason(self, obj: Report) -> str | None:
        return services.state_reason_text(obj) or None

    def get_html_url(self, obj: Report) -> str | None:
        return f"/api/reports/{obj.pk}/html/" if obj.html_file else None

    def get_pdf_url(self, obj: Report) -> str | None:
        return f"/api/reports/{obj.pk}/pdf/" if obj.pdf_file else None


class GenerateSerializer(RefuseReadOnlyMixin, serializers.Serializer):
    tenant = id_field()
    month = serializers.CharField(help_text="YYYY-MM, the month the report is about")
    force = serializers.BooleanField(default=False)
    send = serializers.BooleanField(default=False, help_text="E-mail it once it is ready.")


class AtRiskSerializer(serializers.Serializer):
    tenant = serializers.IntegerField()
    tenant_name = serializers.CharField()
    period = serializers.CharField()
    deadline = serializers.DateField()
    due_at = serializers.DateTimeField()
    state = serializers.CharField()
    overdue = serializers.BooleanField()
    report = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField(allow_null=True)


class ReportViewSet(viewsets.GenericViewSet):
    """Customers see their own tenant's finished reports; any other id answers 404."""

    serializer_class = ReportSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.reports_visible_to(user_of(self.request))

    def list(self, request: Request) -> Response:
        qs = self.get_queryset()
        if perms.is_staff(user_of(request)):
            if request.query_params.get("tenant"):
                qs = qs.filter(tenant_id=_int(request.query_params["tenant"], "tenant"))
            if request.query_params.get("status"):
                qs = qs.filter(status=request.query_params["status"])
        if request.query_params.get("month"):
            m = Month.parse(request.query_params["month"])
            qs = qs.filter(year=m.year, month=m.month)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(ReportSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(ReportSerializer(selectors.report_for(user_of(request), pk)).data)

    @extend_schema(responses={(200, "text/html"): str})
    @action(detail=True, methods=["get"])
    def html(self, request: Request, pk: str | None = None) -> HttpResponse:
        report = selectors.report_for(user_of(request), pk)
        if not report.html_file:
            raise NotFound(_("Report"))
        with report.html_file.open("rb") as fh:
            body = fh.read()
        response = HttpResponse(body, content_type="text/html; charset=utf-8")
        response["Content-Security-Policy"] = STORED_REPORT_CSP
        add_never_cache_headers(response)
        return response

    @extend_schema(responses={(200, "application/pdf"): bytes})
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: str | None = None) -> FileResponse:
        report = selectors.report_for(user_of(request), pk)
        if not report.pdf_file:
            raise NotFound(_("Report"))
        response = FileResponse(
            report.pdf_file.open("rb"),
            as_attachment=request.query_params.get("inline") != "1",
            filename=f"service-report-{report.tenant.slug}-{report.period}.pdf",
            content_type="application/pdf",
        )
        add_never_cache_headers(response)
        return response

    @extend_schema(
        request=GenerateSerializer,
        responses={202: ReportSerializer, 200: ReportSerializer},
        description=(
            "Queue the generation (a worker generates it): 202 with the report in state "
            "`queued`; poll `GET /api/reports/{id}/` for `collecting`, `rendering`, `done` or "
            "`failed` (with `state_reason`). 200 when it is already queued or finished "
            "(unless `force`). Only months that are over can be generated."
        ),
    )
    @action(detail=False, methods=["post"], permission_classes=[IsProviderStaff])
    def generate(self, request: Request) -> Response:
        s = GenerateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        tenant = perms.tenant_for(user_of(request), s.validated_data["tenant"])
        month = Month.parse(s.validated_data["month"])
        queued = services.report_enqueue(
            tenant=tenant,
            month=month,
            now=clock.now(),
            actor=user_of(request),
            force=s.validated_data["force"],
            send=s.validated_data["send"],
        )
        return Response(ReportSerializer(queued.report).data, status=202 if queued.queued else 200)

    @extend_schema(request=None, responses=ReportSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsProviderStaff])
    def send(self, request: Request, pk: str | None = None) -> Response:
        report = selectors.report_for(user_of(request), pk)
        report = services.report_send(
            report=report, now=clock.now(), actor=user_of(request), resend=True
        )
        return Response(ReportSerializer(report).data)

    @extend_schema(
        parameters=[OpenApiParameter("month", str, description="YYYY-MM; default: every month")],
        responses=AtRiskSerializer(many=True),
        summary="Report deadlines at risk (staff)",
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="at-risk",
        permission_classes=[IsProviderStaff],
        pagination_class=None,
    )
    def at_risk(self, request: Request) -> Response:
        now = clock.now()
        month = (
            Month.parse(request.query_params["month"])
            if request.query_params.get("month")
            else None
        )
        rows = selectors.deadlines_at_risk(now, month)
        return Response(
            [
                {
                    "tenant": r.tenant.pk,
                    "tenant_name": r.tenant.name,
                    "period": r.month,
                    "deadline": r.deadline,
                    "due_at": r.due_at,
                    "state": r.state,
                    "overdue": r.overdue,
                    "report": r.report.pk if r.report else None,
                    "reason": services.reason_text(r.report.reason_code, r.report.reason_detail)
                    if r.report and r.report.reason_code
                    else None,
                }
                for r in rows
            ]
        )


class DataSourceSerializer(
    RefuseReadOnlyMixin, BlankChoicesMixin, serializers.ModelSerializer[DataSource]
):
    secret = serializers.JSONField(write_only=True, required=False)
    credentials = serializers.SerializerMethodField()
    cloud_account = serializers.PrimaryKeyRelatedField(
        queryset=CloudAccount.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = DataSource
        fields = [
            "id",
            "tenant",
            "cloud_account",
            "kind",
            "settings",
            "enabled",
            "secret",
            "credentials",
        ]
        read_only_fields = ["id", "enabled", "credentials"]

    def get_credentials(self, obj: DataSource) -> str:
        return "set" if obj.has_secret else ""

    def validate_settings(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise serializers.ValidationError(messages.SETTINGS_NOT_OBJECT)
        secretish = [
            k for k in value if any(w in k.lower() for w in ("secret", "key", "password", "sk"))
        ]
        if secretish:
            raise serializers.ValidationError(
                str(messages.SECRET_IN_SETTINGS) % {"keys": ", ".join(secretish)}
            )
        return value


class DataSourceViewSet(viewsets.GenericViewSet):
    """Staff only. Credentials are write-only: reads show "set" and never the value."""

    serializer_class = DataSourceSerializer
    permission_classes = [IsProviderStaff]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return DataSource.objects.select_related("tenant").order_by("tenant__name", "id")

    def list(self, request: Request) -> Response:
        qs = self.get_queryset()
        if request.query_params.get("tenant"):
            qs = qs.filter(tenant_id=_int(request.query_params["tenant"], "tenant"))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(DataSourceSerializer(page, many=True).data)

    def create(self, request: Request) -> Response:
        s = DataSourceSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        perms.require_role(user_of(request), perms.MANAGE_TENANTS)
        source = services.data_source_add(
            tenant=s.validated_data["tenant"],
            kind=s.validated_data["kind"],
            settings=s.validated_data.get("settings") or {},
            secret=s.validated_data.get("secret") or None,
            cloud_account=s.validated_data.get("cloud_account"),
            now=clock.now(),
            actor=user_of(request),
        )
        return Response(DataSourceSerializer(source).data, status=201)


def _int(value: str, field: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise DomainError("invalid", messages.NOT_A_NUMBER, name=field, field=field) from None
