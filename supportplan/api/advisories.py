"""Advisories API.

Staff draft and publish advisories, see every target (who has been reached and who not) and,
as TAMs, work their contact tasks. Customers see an advisory once their organisation was
notified, read it in their language and acknowledge it. Customer admins keep the software
inventory that targeting matches against.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from supportplan.accounts import permissions as perms
from supportplan.accounts.models import RegisteredSystem
from supportplan.advisories import selectors, services, texts
from supportplan.advisories.models import (
    PLANNED_EVENT,
    Advisory,
    AdvisoryTarget,
    Kind,
    SoftwareItem,
)
from supportplan.core import clock
from supportplan.core.errors import NotFound, PermissionDenied

from .permissions import user_of
from .serializers import BlankChoicesMixin, RefuseReadOnlyMixin, id_field


def _language() -> str:
    lang = translation.get_language() or "zh-hans"
    return "en" if lang.startswith("en") else "zh-hans"


class TargetSerializer(BlankChoicesMixin, serializers.ModelSerializer[AdvisoryTarget]):
    tenant_name = serializers.CharField(source="tenant.name", read_only=True)
    reached = serializers.BooleanField(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    advisory_title = serializers.SerializerMethodField()

    class Meta:
        model = AdvisoryTarget
        fields = [
            "id", "advisory", "advisory_title", "tenant", "tenant_name", "care", "matched", "tam",
            "status", "status_label", "reached", "contact_due", "contacted_at", "contacted_by",
            "contact_note", "handling_plan", "plan_recorded_at", "overdue_at", "notified_at",
            "notified_reason", "acknowledged_at", "acknowledged_by",
        ]  # fmt: skip
        read_only_fields = fields

    def get_advisory_title(self, obj: AdvisoryTarget) -> str:
        return obj.advisory.text("title", _language())


class CustomerTargetSerializer(BlankChoicesMixin, serializers.ModelSerializer[AdvisoryTarget]):
    """What a customer sees of their own organisation's row (no internal notes)."""

    class Meta:
        model = AdvisoryTarget
        fields = ["status", "notified_at", "handling_plan", "acknowledged_at", "acknowledged_by"]
        read_only_fields = fields


class AdvisorySerializer(
    RefuseReadOnlyMixin, BlankChoicesMixin, serializers.ModelSerializer[Advisory]
):
    kind = serializers.CharField()
    severity = serializers.CharField()
    kind_label = serializers.SerializerMethodField()
    severity_label = serializers.CharField(source="get_severity_display", read_only=True)
    title_text = serializers.SerializerMethodField()
    body_text = serializers.SerializerMethodField()
    actions_text = serializers.SerializerMethodField()
    title = serializers.JSONField()
    body = serializers.JSONField()
    actions = serializers.JSONField(required=False)
    clouds = serializers.JSONField(required=False)
    products = serializers.JSONField(required=False)
    regions = serializers.JSONField(required=False)
    software = serializers.JSONField(required=False)

    class Meta:
        model = Advisory
        fields = [
            "id", "kind", "kind_label", "severity", "severity_label", "title", "body", "actions",
            "title_text", "body_text", "actions_text", "clouds", "products", "regions", "software",
            "contact_within", "state", "created_at", "published_at",
        ]  # fmt: skip
        read_only_fields = ["state", "created_at", "published_at"]

    def get_kind_label(self, obj: Advisory) -> str:
        return str(Kind(obj.kind).label) if obj.kind in Kind.values else obj.kind

    def get_title_text(self, obj: Advisory) -> str:
        return obj.text("title", _language())

    def get_body_text(self, obj: Advisory) -> str:
        return obj.text("body", _language())

    def get_actions_text(self, obj: Advisory) -> str:
        return obj.text("actions", _language())


class TargetsSummarySerializer(serializers.Serializer):
    reached = serializers.IntegerField()
    not_reached = serializers.IntegerField()
    targets = TargetSerializer(many=True)


class AdvisoryViewSet(viewsets.GenericViewSet):
    serializer_class = AdvisorySerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        user = user_of(self.request)
        if perms.is_staff(user):
            return selectors.advisories_for_staff()
        return selectors.advisories_for_tenant(perms.tenant_for(user, user.tenant_id))

    def _advisory(self, pk: str | None) -> Advisory:
        try:
            return self.get_queryset().get(pk=int(pk or 0))
        except (Advisory.DoesNotExist, ValueError):
            raise NotFound(texts.ADVISORY) from None

    def _body(self, advisory: Advisory) -> dict[str, Any]:
        user = user_of(self.request)
        body = dict(AdvisorySerializer(advisory).data)
        if not perms.is_staff(user):
            target = selectors.target_of(advisory, user.tenant)
            body["my_organisation"] = CustomerTargetSerializer(target).data if target else None
        return body

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(AdvisorySerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(self._body(self._advisory(pk)))

    @extend_schema(
        description=(
            "Draft an advisory (staff). Kinds: " + ", ".join(Kind.values) + ". "
            f"Kind '{PLANNED_EVENT}' is refused: planned events such as an annual security "
            "drill are out of the enterprise care plan's scope (see MDR products)."
        )
    )
    def create(self, request: Request) -> Response:
        serializer = AdvisorySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        advisory = services.advisory_create(
            actor=user_of(request),
            kind=data["kind"],
            severity=data["severity"],
            title=data["title"],
            body=data["body"],
            actions=data.get("actions"),
            clouds=data.get("clouds"),
            products=data.get("products"),
            regions=data.get("regions"),
            software=data.get("software"),
            contact_within=data.get("contact_within"),
            now=clock.now(),
        )
        return Response(self._body(advisory), status=201)

    @extend_schema(request=None, responses=TargetSerializer(many=True))
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        advisory = self._advisory(pk)
        targets = services.advisory_publish(
            actor=user_of(request), advisory=advisory, now=clock.now()
        )
        return Response(TargetSerializer(targets, many=True).data)

    @extend_schema(responses=TargetsSummarySerializer)
    @action(detail=True, methods=["get"])
    def targets(self, request: Request, pk: str | None = None) -> Response:
        """Who has been reached and who not (staff)."""
        user = user_of(request)
        if not perms.is_staff(user):
            raise PermissionDenied()
        advisory = self._advisory(pk)
        rows = list(selectors.targets_of(advisory))
        return Response(
            {
                "reached": sum(1 for t in rows if t.reached),
                "not_reached": sum(1 for t in rows if not t.reached),
                "targets": TargetSerializer(rows, many=True).data,
            }
        )

    @extend_schema(request=None, responses=CustomerTargetSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        target = services.advisory_acknowledge(
            actor=user_of(request), advisory=self._advisory(pk), now=clock.now()
        )
        return Response(CustomerTargetSerializer(target).data)


class ContactSerializer(RefuseReadOnlyMixin, serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    handling_plan = serializers.CharField(required=False, allow_blank=True, default="")


class PlanSerializer(RefuseReadOnlyMixin, serializers.Serializer):
    handling_plan = serializers.CharField(allow_blank=True)


class AdvisoryTaskViewSet(viewsets.GenericViewSet):
    """A TAM's contact tasks (managers see every task; ?all=1 includes done ones)."""

    serializer_class = TargetSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        user = user_of(self.request)
        if not perms.is_staff(user):
            raise PermissionDenied()
        open_only = self.request.query_params.get("all") not in ("1", "true")
        if perms.has_role(user, services.PUBLISH_ROLES - {"tam", "senior_expert"}):
            qs = AdvisoryTarget.objects.filter(care=True).select_related("advisory", "tenant")
            return (qs.filter(contacted_at__isnull=True) if open_only else qs).order_by(
                "contact_due", "pk"
            )
        return selectors.tasks_of(user, open_only=open_only)

    def _target(self, pk: str | None) -> AdvisoryTarget:
        user = user_of(self.request)
        qs = AdvisoryTarget.objects.select_related("advisory", "tenant")
        try:
            target = qs.get(pk=int(pk or 0))
        except (AdvisoryTarget.DoesNotExist, ValueError):
            raise NotFound(texts.TASK) from None
        if not perms.is_staff(user):
            raise NotFound(texts.TASK)
        return target

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(TargetSerializer(page, many=True).data)

    @extend_schema(request=ContactSerializer, responses=TargetSerializer)
    @action(detail=True, methods=["post"])
    def contact(self, request: Request, pk: str | None = None) -> Response:
        serializer = ContactSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        target = services.advisory_record_contact(
            actor=user_of(request),
            target=self._target(pk),
            now=clock.now(),
            **serializer.validated_data,
        )
        return Response(TargetSerializer(target).data)

    @extend_schema(request=PlanSerializer, responses=TargetSerializer)
    @action(detail=True, methods=["post"])
    def plan(self, request: Request, pk: str | None = None) -> Response:
        serializer = PlanSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        target = services.advisory_record_plan(
            actor=user_of(request),
            target=self._target(pk),
            now=clock.now(),
            **serializer.validated_data,
        )
        return Response(TargetSerializer(target).data)


class InventorySoftwareSerializer(
    RefuseReadOnlyMixin, BlankChoicesMixin, serializers.ModelSerializer[SoftwareItem]
):
    system = id_field(source="system_id", required=False, allow_null=True)

    class Meta:
        model = SoftwareItem
        fields = ["id", "tenant", "name", "version", "system", "created_at"]
        read_only_fields = ["tenant", "created_at"]


class SoftwareViewSet(viewsets.GenericViewSet):
    """The tenant's software inventory (?tenant=ID for staff)."""

    serializer_class = InventorySoftwareSerializer

    def _tenant(self):  # type: ignore[no-untyped-def]
        user = user_of(self.request)
        return perms.tenant_for(user, self.request.query_params.get("tenant") or user.tenant_id)

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.software_of(self._tenant())

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(InventorySoftwareSerializer(page, many=True).data)

    def create(self, request: Request) -> Response:
        tenant = self._tenant()
        serializer = InventorySoftwareSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        system = None
        if data.get("system_id"):
            # scoped to the tenant: another tenant's system answers like a missing one
            system = (
                RegisteredSystem.objects.for_tenant(tenant).filter(pk=data["system_id"]).first()
            )
            if system is None:
                raise NotFound(texts.SYSTEM)
        item = services.software_add(
            actor=user_of(request),
            tenant=tenant,
            name=data["name"],
            version=data.get("version", ""),
            system=system,
            now=clock.now(),
        )
        return Response(InventorySoftwareSerializer(item).data, status=201)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        try:
            item = self.get_queryset().get(pk=int(pk or 0))
        except (SoftwareItem.DoesNotExist, ValueError):
            raise NotFound(texts.SOFTWARE) from None
        services.software_remove(actor=user_of(request), item=item, now=clock.now())
        return Response(status=204)


def register(router: Any) -> None:
    router.register("advisories", AdvisoryViewSet, basename="advisory")
    router.register("advisory-tasks", AdvisoryTaskViewSet, basename="advisory-task")
    router.register("software-inventory", SoftwareViewSet, basename="software-item")
