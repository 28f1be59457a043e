"""Value-added service bookings over HTTP: request (with the lead-time warning), list, read,
confirm with the assigned people, deliver with notes or a report, accept, rate, cancel.

Tenant-scoped by construction: bookings are fetched through tenant-scoped querysets; another
tenant's booking answers 404 on every endpoint.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from supportplan.accounts import permissions as perms
from supportplan.accounts.models import User
from supportplan.api.parsers import JSONParser
from supportplan.bookings import selectors, services
from supportplan.bookings.models import Booking, EventKind
from supportplan.core import clock
from supportplan.subscriptions.services import not_found

from .permissions import user_of
from .serializers import BlankChoicesMixin, RefuseReadOnlyMixin, id_field, validated
from .subscriptions import TENANT_PARAM, _tenant, _visible


class BookingSerializer(BlankChoicesMixin, serializers.ModelSerializer[Booking]):
    provider = serializers.CharField(source="provider_code")
    plan = serializers.CharField(source="plan_code")
    service = serializers.CharField(source="service_code")
    days = serializers.IntegerField(source="quantity")
    order = serializers.SerializerMethodField()
    addon_order = serializers.SerializerMethodField()
    team = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField(
        help_text="[{code, message, params}]: message in the caller's language."
    )

    class Meta:
        model = Booking
        fields = [
            "id",
            "tenant",
            "provider",
            "plan",
            "service",
            "unit",
            "days",
            "start_date",
            "end_date",
            "event_kind",
            "event_description",
            "status",
            "warnings",
            "is_escort",
            "sla_override",
            "order",
            "addon_order",
            "team",
            "requested_at",
            "confirmed_at",
            "delivered_at",
            "delivery_notes",
            "report",
            "accepted_at",
            "rating",
            "rating_comment",
            "rated_at",
            "cancelled_at",
            "cancel_reason",
        ]
        read_only_fields = fields

    def get_warnings(self, obj: Booking) -> list[dict[str, Any]]:
        return selectors.warnings_of(obj)

    def get_order(self, obj: Booking) -> str:
        return obj.base_order.number

    def get_addon_order(self, obj: Booking) -> dict[str, Any] | None:
        order = obj.addon_order
        if order is None:
            return None
        return {
            "id": order.pk,
            "number": order.number,
            "amount": str(order.amount),
            "status": order.status,
        }

    def get_team(self, obj: Booking) -> list[dict[str, Any]]:
        return [
            {"id": u.pk, "name": u.get_full_name() or u.username, "role": u.role}
            for u in obj.team.all()
        ]


class BookingRequestSerializer(RefuseReadOnlyMixin, serializers.Serializer):
    tenant = id_field(required=False)
    service = serializers.CharField()
    start_date = serializers.DateField()
    # Kept as text so "1.5" reaches the service and gets its own clear refusal.
    days = serializers.CharField(required=False, allow_blank=True)
    event_kind = serializers.ChoiceField(choices=EventKind.choices, required=False, default="")
    event_description = serializers.CharField(required=False, allow_blank=True, default="")


class ConfirmSerializer(RefuseReadOnlyMixin, serializers.Serializer):
    team = serializers.ListField(child=id_field(), allow_empty=True, max_length=50)


class DeliverSerializer(RefuseReadOnlyMixin, serializers.Serializer):
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    report = serializers.FileField(required=False)


class BookingRateSerializer(RefuseReadOnlyMixin, serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class CancelSerializer(RefuseReadOnlyMixin, serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class BookingViewSet(viewsets.GenericViewSet):
    serializer_class = BookingSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def _base(self) -> Any:
        return (
            _visible(Booking.objects.all(), user_of(self.request))
            .select_related("base_order", "addon_order")
            .prefetch_related("team")
        )

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = self._base()
        tenant = self.request.query_params.get("tenant")
        if tenant:
            qs = qs.filter(tenant=_tenant(self.request, tenant))
        status = self.request.query_params.get("status")
        return qs.filter(status=status) if status else qs

    def _get(self, pk: Any) -> Booking:
        try:
            return self._base().get(pk=int(pk))
        except (Booking.DoesNotExist, ValueError, TypeError):
            raise not_found(Booking) from None

    def _out(self, pk: Any, status: int = 200) -> Response:
        return Response(BookingSerializer(self._get(pk)).data, status=status)

    @extend_schema(parameters=[TENANT_PARAM])
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(BookingSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return self._out(pk)

    @extend_schema(request=BookingRequestSerializer, responses=BookingSerializer)
    def create(self, request: Request) -> Response:
        data = validated(BookingRequestSerializer, request)
        tenant = _tenant(request, data.get("tenant"))
        perms.require_may_request_booking(user_of(request), tenant)
        booking = services.booking_request(
            tenant=tenant,
            actor=user_of(request),
            service_code=data["service"],
            start_date=data["start_date"],
            days=data.get("days"),
            event_kind=data["event_kind"],
            event_description=data["event_description"],
            now=clock.now(),
        )
        return self._out(booking.pk, status=201)

    @extend_schema(request=ConfirmSerializer, responses=BookingSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        booking = self._get(pk)
        perms.require_may_manage_bookings(user_of(request))
        data = validated(ConfirmSerializer, request)
        ids = data["team"]
        people = list(User.objects.filter(pk__in=ids))
        if len(people) != len(set(ids)):
            raise not_found(User)
        services.booking_confirm(
            booking=booking, actor=user_of(request), team=people, now=clock.now()
        )
        return self._out(pk)

    @extend_schema(request=DeliverSerializer, responses=BookingSerializer)
    @action(detail=True, methods=["post"])
    def deliver(self, request: Request, pk: str | None = None) -> Response:
        booking = self._get(pk)
        perms.require_may_manage_bookings(user_of(request))
        data = validated(DeliverSerializer, request)
        services.booking_deliver(
            booking=booking,
            actor=user_of(request),
            notes=data["notes"],
            report=data.get("report"),
            now=clock.now(),
        )
        return self._out(pk)

    @extend_schema(request=None, responses=BookingSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        booking = self._get(pk)
        perms.require_booking_customer(user_of(request), booking.tenant)
        services.booking_accept(booking=booking, actor=user_of(request), now=clock.now())
        return self._out(pk)

    @extend_schema(request=BookingRateSerializer, responses=BookingSerializer)
    @action(detail=True, methods=["post"])
    def rate(self, request: Request, pk: str | None = None) -> Response:
        booking = self._get(pk)
        perms.require_booking_customer(user_of(request), booking.tenant)
        data = validated(BookingRateSerializer, request)
        services.booking_rate(
            booking=booking,
            actor=user_of(request),
            rating=data["rating"],
            comment=data["comment"],
            now=clock.now(),
        )
        return self._out(pk)

    @extend_schema(request=CancelSerializer, responses=BookingSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        booking = self._get(pk)
        perms.require_may_request_booking(user_of(request), booking.tenant)
        data = validated(CancelSerializer, request)
        services.booking_cancel(
            booking=booking,
            actor=user_of(request),
            reason=data["reason"],
            now=clock.now(),
        )
        return self._out(pk)


def register(router: Any) -> None:
    router.register("bookings", BookingViewSet, basename="booking")
