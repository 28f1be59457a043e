"""Read-only catalog API: providers, plans, severities with their targets, channels, services,
the third-party scope, and a scope check.

Catalogs are not tenant data: every signed-in person may read them. Each provider-scoped
endpoint reads the current version, or an older one with ``?catalog_version=N`` (what a
subscription made under version N still gets). Texts are ``{"zh-hans": …, "en": …}``
pairs; durations are whole minutes; money is an exact decimal string.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from supportplan.catalog import selectors
from supportplan.catalog.domain import (
    Catalog,
    Plan,
    ScopeResult,
    Service,
    Severity,
    detect_software,
    scope_check,
)
from supportplan.catalog.models import CatalogVersion

from .serializers import RefuseReadOnlyMixin

TEXT_SCHEMA = {
    "type": "object",
    "properties": {"zh-hans": {"type": "string"}, "en": {"type": "string"}},
    "required": ["zh-hans", "en"],
}


@extend_schema_field(TEXT_SCHEMA)
class TextField(serializers.Field):
    """A catalog text in both product languages."""

    def to_representation(self, value: Any) -> dict[str, str]:
        return value.as_dict()


def _minutes(value: Any) -> int | None:
    return None if value is None else int(value.total_seconds() // 60)


# --------------------------------------------------------------------------- serializers


class ImPlatformSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = TextField()


class ChannelSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = TextField()
    dedicated_name = TextField(allow_null=True)
    description = TextField(allow_null=True)
    calendar = serializers.CharField(help_text="Service hours: 7x24 or 5x8.")
    contact = TextField(allow_null=True)
    platforms = ImPlatformSerializer(many=True)
    staff_logged = serializers.BooleanField(
        help_text="Staff record the case on the customer's behalf (hotline calls)."
    )
    plans = serializers.SerializerMethodField()

    def get_plans(self, obj: Any) -> list[str]:
        return [p.code for p in self.context["catalog"].plans_including_channel(obj.code)]


class PlanChannelSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = TextField(help_text="The dedicated line's name when `dedicated` is true.")
    dedicated = serializers.BooleanField()
    calendar = serializers.CharField(source="channel.calendar")
    contact = TextField(source="channel.contact", allow_null=True)
    staff_logged = serializers.BooleanField(source="channel.staff_logged")
    platforms = ImPlatformSerializer(source="channel.platforms", many=True)


class PlanTargetSerializer(serializers.Serializer):
    severity = serializers.CharField(source="severity.code")
    name = TextField(source="severity.name")
    order = serializers.IntegerField(source="severity.order")
    urgent = serializers.BooleanField(source="severity.urgent")
    first_response_minutes = serializers.SerializerMethodField()
    resolution_minutes = serializers.SerializerMethodField()
    next_response_minutes = serializers.SerializerMethodField()

    def get_first_response_minutes(self, obj: Any) -> int:
        return _minutes(obj.targets.first_response) or 0

    def get_resolution_minutes(self, obj: Any) -> int | None:
        return _minutes(obj.targets.resolution)

    def get_next_response_minutes(self, obj: Any) -> int | None:
        return _minutes(obj.targets.next_response)


class FeatureSerializer(serializers.Serializer):
    code = serializers.CharField()
    category = serializers.CharField()
    name = TextField()
    description = TextField(allow_null=True)
    calendar = serializers.CharField(allow_null=True)
    staff_role = serializers.CharField(allow_null=True)
    url = serializers.CharField(allow_null=True, help_text="https address of a self-service item")


class LeadTimeSerializer(serializers.Serializer):
    working_days = serializers.IntegerField()
    enforcement = serializers.ChoiceField(choices=["required", "recommended"])


class ServiceFieldsSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = TextField()
    description = TextField(allow_null=True)
    unit = serializers.CharField(help_text="times or natural_days")
    whole_days = serializers.BooleanField()
    lead_time = LeadTimeSerializer(allow_null=True)
    locks_order = serializers.BooleanField(
        help_text="Applying for it stops unsubscribing or downgrading the current order."
    )
    price = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text="Per unit, paid add-ons."
    )
    during_calendar = serializers.CharField(allow_null=True)
    urgent_first_response_minutes = serializers.SerializerMethodField()

    def get_urgent_first_response_minutes(self, obj: Any) -> int | None:
        service = obj if isinstance(obj, Service) else obj.service
        return _minutes(service.urgent_first_response)


class GrantSerializer(serializers.Serializer):
    service = ServiceFieldsSerializer()
    quota = serializers.IntegerField(allow_null=True, help_text="Per annual order, in `unit`.")
    max_requests = serializers.IntegerField(allow_null=True)
    paid = serializers.BooleanField()
    terms = serializers.ListField(child=serializers.CharField())
    annual_only = serializers.BooleanField()


class PlanSerializer(serializers.Serializer):
    provider = serializers.CharField(source="provider_code")
    code = serializers.CharField()
    rank = serializers.IntegerField()
    name = TextField()
    summary = TextField(allow_null=True)
    suitable_for = TextField(allow_null=True)
    currency = serializers.SerializerMethodField()
    monthly_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    annual_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    purchasable = serializers.BooleanField()
    default = serializers.BooleanField(help_text="Every customer has it without buying.")
    billing_terms = serializers.ListField(child=serializers.CharField())
    requires_technical_contact = serializers.BooleanField()
    handler_tier = serializers.CharField()
    response_note = TextField(allow_null=True)
    channels = PlanChannelSerializer(many=True)
    severities = PlanTargetSerializer(source="severity_targets", many=True)
    features = FeatureSerializer(many=True)
    services = GrantSerializer(many=True)

    def get_currency(self, obj: Plan) -> str:
        return str(self.context["catalog"].provider.currency)


class SeverityTargetsSerializer(serializers.Serializer):
    code = serializers.CharField()
    order = serializers.IntegerField()
    urgent = serializers.BooleanField()
    name = TextField()
    definition = TextField()
    system_classes = serializers.ListField(child=serializers.CharField())
    targets = serializers.SerializerMethodField()

    @extend_schema_field(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "plan": {"type": "string"},
                    "first_response_minutes": {"type": "integer"},
                    "resolution_minutes": {"type": "integer", "nullable": True},
                    "next_response_minutes": {"type": "integer", "nullable": True},
                },
            },
        }
    )
    def get_targets(self, obj: Severity) -> list[dict[str, Any]]:
        catalog: Catalog = self.context["catalog"]
        rows = []
        for plan in catalog.plans_including_severity(obj.code):
            targets = plan.target_for(obj.code)
            rows.append(
                {
                    "plan": plan.code,
                    "first_response_minutes": _minutes(targets.first_response),
                    "resolution_minutes": _minutes(targets.resolution),
                    "next_response_minutes": _minutes(targets.next_response),
                }
            )
        return rows


class ServiceGrantsSerializer(ServiceFieldsSerializer):
    grants = serializers.SerializerMethodField()

    @extend_schema_field(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "plan": {"type": "string"},
                    "quota": {"type": "integer", "nullable": True},
                    "max_requests": {"type": "integer", "nullable": True},
                    "paid": {"type": "boolean"},
                    "terms": {"type": "array", "items": {"type": "string"}},
                    "annual_only": {"type": "boolean"},
                },
            },
        }
    )
    def get_grants(self, obj: Service) -> list[dict[str, Any]]:
        catalog: Catalog = self.context["catalog"]
        rows = []
        for plan in catalog.plans_including_service(obj.code):
            grant = plan.grant_for(obj.code)
            rows.append(
                {
                    "plan": plan.code,
                    "quota": grant.quota,
                    "max_requests": grant.max_requests,
                    "paid": grant.paid,
                    "terms": list(grant.terms),
                    "annual_only": grant.annual_only,
                }
            )
        return rows


class PlatformVersionsSerializer(serializers.Serializer):
    platform = serializers.CharField()
    specifiers = serializers.SerializerMethodField()

    def get_specifiers(self, obj: Any) -> list[str]:
        return [s.text for s in obj.specifiers]


class CategorySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = TextField()


class CatalogSoftwareSerializer(serializers.Serializer):
    code = serializers.CharField()
    category = serializers.CharField(source="category.code")
    name = TextField()
    aliases = serializers.ListField(child=serializers.CharField())
    native = serializers.BooleanField(
        help_text="Native on the provider's images: any version on the listed platforms."
    )
    versions = PlatformVersionsSerializer(many=True)
    versions_note = TextField(allow_null=True)
    scope = TextField()


class OutOfScopeSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = TextField()
    description = TextField()
    where_to_go = TextField()


class ThirdPartySerializer(serializers.Serializer):
    description = TextField(source="third_party_description", allow_null=True)
    categories = CategorySerializer(many=True)
    software = CatalogSoftwareSerializer(many=True)
    out_of_scope = OutOfScopeSerializer(many=True)


class ProviderSerializer(serializers.Serializer):
    code = serializers.CharField(source="catalog.provider.code")
    name = TextField(source="catalog.provider.name")
    description = TextField(source="catalog.provider.description", allow_null=True)
    currency = serializers.CharField(source="catalog.provider.currency")
    catalog_version = serializers.IntegerField(source="version.number")
    catalog_version_id = serializers.IntegerField(source="version.pk")
    loaded_at = serializers.DateTimeField(source="version.loaded_at")
    sha256 = serializers.CharField(source="version.sha256")
    default_plan = serializers.SerializerMethodField()
    plans = serializers.SerializerMethodField()

    def get_default_plan(self, obj: Any) -> str | None:
        plan = obj.catalog.default_plan()
        return plan.code if plan else None

    def get_plans(self, obj: Any) -> list[str]:
        return [p.code for p in obj.catalog.plans]


class ScopeQuerySerializer(RefuseReadOnlyMixin, serializers.Serializer):
    software = serializers.CharField(max_length=100)
    version = serializers.CharField(max_length=60, required=False, allow_blank=True)
    platform = serializers.CharField(max_length=60, required=False, allow_blank=True)


class ScopeResultSerializer(serializers.Serializer):
    in_scope = serializers.BooleanField()
    reason_code = serializers.ChoiceField(
        choices=[
            "in_scope",
            "not_in_catalog",
            "unknown_platform",
            "platform_not_supported",
            "version_missing",
            "version_incomplete",
            "version_not_supported",
        ]
    )
    software = CatalogSoftwareSerializer(source="entry", allow_null=True)
    platform = serializers.CharField(allow_null=True)
    matched = serializers.CharField(allow_null=True, help_text="The specifier that matched.")
    reason = TextField()
    where_to_go = TextField(allow_null=True)


class DetectRequestSerializer(RefuseReadOnlyMixin, serializers.Serializer):
    text = serializers.CharField(max_length=20000)


class DetectionSerializer(serializers.Serializer):
    software = serializers.CharField(source="software.code")
    name = TextField(source="software.name")
    version = serializers.CharField(allow_null=True)
    platform = serializers.CharField(allow_null=True)
    start = serializers.IntegerField()
    matched = serializers.CharField()
    scope = serializers.SerializerMethodField()

    @extend_schema_field(ScopeResultSerializer)
    def get_scope(self, obj: Any) -> dict[str, Any]:
        result = scope_check(self.context["catalog"], obj.software.code, obj.version, obj.platform)
        return dict(ScopeResultSerializer(result).data)


# --------------------------------------------------------------------------- views


class _ProviderView:
    def __init__(self, catalog: Catalog, version: CatalogVersion) -> None:
        self.catalog, self.version = catalog, version


# Not "version": the scope check already takes the software's version.
VERSION_PARAM = OpenApiParameter(
    "catalog_version",
    OpenApiTypes.INT,
    description="Catalog version number (default: the current one).",
    required=False,
)


def _resolve(code: str, request: Request) -> tuple[Catalog, CatalogVersion]:
    version = selectors.version_at(code, request.query_params.get("catalog_version"))
    return selectors.catalog_for_version(version.pk), version


class CatalogProviderViewSet(viewsets.ViewSet):
    """Providers and their plan catalogs (read-only; catalogs change by loading a file)."""

    lookup_field = "code"
    lookup_value_regex = "[a-z][a-z0-9_]*"
    lookup_value_converter = "slug"

    @extend_schema(responses=ProviderSerializer(many=True), summary="Providers with a catalog")
    def list(self, request: Request) -> Response:
        rows = []
        for code in selectors.providers().values_list("code", flat=True):
            version = selectors.current_version(code)
            rows.append(_ProviderView(selectors.catalog_for_version(version.pk), version))
        return Response(ProviderSerializer(rows, many=True).data)

    @extend_schema(responses=ProviderSerializer, parameters=[VERSION_PARAM])
    def retrieve(self, request: Request, code: str) -> Response:
        catalog, version = _resolve(code, request)
        return Response(ProviderSerializer(_ProviderView(catalog, version)).data)

    @extend_schema(
        responses=PlanSerializer(many=True),
        parameters=[VERSION_PARAM],
        summary="Plans with prices, terms, channels, targets, features and services",
    )
    @action(detail=True, methods=["get"])
    def plans(self, request: Request, code: str) -> Response:
        catalog, _version = _resolve(code, request)
        return Response(PlanSerializer(catalog.plans, many=True, context={"catalog": catalog}).data)

    @extend_schema(responses=PlanSerializer, parameters=[VERSION_PARAM], summary="One plan")
    @action(detail=True, methods=["get"], url_path="plans/<slug:plan_code>")
    def plan(self, request: Request, code: str, plan_code: str) -> Response:
        catalog, _version = _resolve(code, request)
        plan = selectors.plan_in(catalog, plan_code)
        return Response(PlanSerializer(plan, context={"catalog": catalog}).data)

    @extend_schema(
        responses=SeverityTargetsSerializer(many=True),
        parameters=[VERSION_PARAM],
        summary="Severities with their first-response targets per plan",
    )
    @action(detail=True, methods=["get"])
    def severities(self, request: Request, code: str) -> Response:
        catalog, _version = _resolve(code, request)
        return Response(
            SeverityTargetsSerializer(
                catalog.severities, many=True, context={"catalog": catalog}
            ).data
        )

    @extend_schema(responses=ChannelSerializer(many=True), parameters=[VERSION_PARAM])
    @action(detail=True, methods=["get"])
    def channels(self, request: Request, code: str) -> Response:
        catalog, _version = _resolve(code, request)
        return Response(
            ChannelSerializer(catalog.channels, many=True, context={"catalog": catalog}).data
        )

    @extend_schema(
        responses=ServiceGrantsSerializer(many=True),
        parameters=[VERSION_PARAM],
        summary="Value-added services with their quota rules per plan",
    )
    @action(detail=True, methods=["get"])
    def services(self, request: Request, code: str) -> Response:
        catalog, _version = _resolve(code, request)
        return Response(
            ServiceGrantsSerializer(catalog.services, many=True, context={"catalog": catalog}).data
        )

    @extend_schema(
        responses=ThirdPartySerializer,
        parameters=[VERSION_PARAM],
        summary="Third-party software scope and the out-of-scope list",
    )
    @action(detail=True, methods=["get"], url_path="third-party")
    def third_party(self, request: Request, code: str) -> Response:
        catalog, _version = _resolve(code, request)
        return Response(ThirdPartySerializer(catalog).data)

    @extend_schema(
        parameters=[ScopeQuerySerializer, VERSION_PARAM],
        responses=ScopeResultSerializer,
        summary="Is this software, version and platform in the provider's third-party scope?",
    )
    @action(detail=True, methods=["get"], url_path="scope-check")
    def scope_check(self, request: Request, code: str) -> Response:
        catalog, _version = _resolve(code, request)
        query = ScopeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        result: ScopeResult = scope_check(
            catalog, data["software"], data.get("version") or None, data.get("platform") or None
        )
        return Response(ScopeResultSerializer(result).data)

    @extend_schema(
        request=DetectRequestSerializer,
        responses=DetectionSerializer(many=True),
        parameters=[VERSION_PARAM],
        summary="Find catalog software and versions named in a free text (to prefill a case)",
    )
    @action(detail=True, methods=["post"], url_path="detect-software")
    def detect_software(self, request: Request, code: str) -> Response:
        catalog, _version = _resolve(code, request)
        body = DetectRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        found = detect_software(catalog, body.validated_data["text"])
        return Response(DetectionSerializer(found, many=True, context={"catalog": catalog}).data)
