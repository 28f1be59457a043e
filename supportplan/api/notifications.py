"""Notifications API: the caller's message centre and preferences, IM group robots (secrets
write-only), and for staff the delivery log with every attempt."""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils import translation
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from supportplan.accounts import permissions as perms
from supportplan.accounts.models import Role
from supportplan.core import clock
from supportplan.core.errors import NotFound, PermissionDenied
from supportplan.notifications import selectors, services, texts
from supportplan.notifications.models import (
    Channel,
    DeliveryAttempt,
    InAppNotification,
    Outbox,
    OutboxStatus,
    Platform,
    Robot,
    Team,
    Topic,
)

from .permissions import user_of
from .serializers import BlankChoicesMixin, RefuseReadOnlyMixin, id_field

VIEW_DELIVERIES = frozenset({Role.PLATFORM_ADMIN, Role.SUPPORT_MANAGER, Role.TAM})


def _language(request: Request) -> str:
    lang = translation.get_language() or "zh-hans"
    return "en" if lang.startswith("en") else "zh-hans"


# --------------------------------------------------------------------------- message centre


class InAppSerializer(BlankChoicesMixin, serializers.ModelSerializer[InAppNotification]):
    subject = serializers.SerializerMethodField()
    intro = serializers.SerializerMethodField()
    facts = serializers.SerializerMethodField()
    link = serializers.SerializerMethodField()
    unread = serializers.SerializerMethodField()

    class Meta:
        model = InAppNotification
        fields = [
            "id",
            "rule",
            "topic",
            "subject",
            "intro",
            "facts",
            "link",
            "created_at",
            "read_at",
            "unread",
        ]

    def _content(self, obj: InAppNotification) -> dict[str, Any]:
        return obj.content_in(self.context["language"])

    def get_subject(self, obj: InAppNotification) -> str:
        return str(self._content(obj).get("subject", ""))

    def get_intro(self, obj: InAppNotification) -> str:
        return str(self._content(obj).get("intro", ""))

    def get_facts(self, obj: InAppNotification) -> list[list[str]]:
        return list(self._content(obj).get("facts", []))

    def get_link(self, obj: InAppNotification) -> str:
        return str(self._content(obj).get("link", ""))

    def get_unread(self, obj: InAppNotification) -> bool:
        return obj.read_at is None


class InAppViewSet(viewsets.GenericViewSet):
    """The caller's own notices, newest first, in the caller's language."""

    serializer_class = InAppSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        unread = self.request.query_params.get("unread") in ("1", "true", "yes")
        return selectors.inbox_of(user_of(self.request), unread_only=unread)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        data = InAppSerializer(page, many=True, context={"language": _language(request)}).data
        response = self.get_paginated_response(data)
        response.data["unread_count"] = selectors.unread_count(user_of(request))
        return response

    @extend_schema(request=None, responses={200: dict})
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request: Request) -> Response:
        return Response({"unread_count": selectors.unread_count(user_of(request))})

    @extend_schema(request=None, responses={200: dict})
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        user = user_of(request)
        if not InAppNotification.objects.filter(user=user, pk=_int(pk)).exists():
            raise NotFound(texts.NOTIFICATION)
        services.in_app_mark_read(user=user, ids=[_int(pk)], now=clock.now())
        return Response({"unread_count": selectors.unread_count(user)})

    @extend_schema(request=None, responses={200: dict})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        user = user_of(request)
        marked = services.in_app_mark_read(user=user, now=clock.now())
        return Response({"marked": marked, "unread_count": 0})


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound(texts.NOTIFICATION) from None


# --------------------------------------------------------------------------- preferences


class PreferenceSerializer(RefuseReadOnlyMixin, serializers.Serializer):
    topic = serializers.CharField()
    channel = serializers.CharField()
    enabled = serializers.BooleanField()


class PreferencesView(APIView):
    """Per topic, e-mail and in-app on or off (default on). PUT a list of changes."""

    @extend_schema(responses=PreferenceSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(_preferences(request))

    @extend_schema(
        request=PreferenceSerializer(many=True), responses=PreferenceSerializer(many=True)
    )
    def put(self, request: Request) -> Response:
        serializer = PreferenceSerializer(data=request.data, many=True)
        serializer.is_valid(raise_exception=True)
        now = clock.now()
        for item in serializer.validated_data:
            services.preference_set(user=user_of(request), now=now, **item)
        return Response(_preferences(request))


def _preferences(request: Request) -> list[dict[str, Any]]:
    values = selectors.preferences_of(user_of(request))
    return [
        {
            "topic": topic,
            "topic_label": str(Topic(topic).label),
            "channel": channel,
            "channel_label": str(Channel(channel).label),
            "enabled": enabled,
        }
        for (topic, channel), enabled in values.items()
    ]


# --------------------------------------------------------------------------- robots


class RobotSerializer(RefuseReadOnlyMixin, BlankChoicesMixin, serializers.ModelSerializer[Robot]):
    webhook_url = serializers.CharField(write_only=True, required=False)
    secret = serializers.CharField(write_only=True, required=False, allow_blank=True)
    has_secret = serializers.BooleanField(read_only=True)
    tenant = id_field(source="tenant_id", required=False, allow_null=True)
    platform = serializers.ChoiceField(choices=Platform.choices)
    team = serializers.SlugRelatedField(
        slug_field="code", queryset=Team.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Robot
        fields = [
            "id", "tenant", "team", "platform", "name", "webhook_url", "secret",
            "webhook_hint", "has_secret", "active", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["webhook_hint", "created_at", "updated_at"]


class RobotTestSerializer(serializers.Serializer):
    ok = serializers.BooleanField(help_text="Did the platform accept the message?")
    detail = serializers.CharField(help_text="The platform's answer (or why it was unreachable).")
    message = serializers.CharField(help_text="A sentence for the person, in their language.")


class RobotViewSet(viewsets.GenericViewSet):
    """IM group robots. Customers manage their organisation's group (admins); staff manage any
    tenant's and the staff teams'. The webhook address and signing secret are never returned."""

    serializer_class = RobotSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        user = user_of(self.request)
        qs = Robot.objects.select_related("team", "tenant").order_by("pk")
        if perms.is_staff(user):
            tenant_id = self.request.query_params.get("tenant")
            if tenant_id:
                qs = qs.filter(tenant=perms.tenant_for(user, tenant_id))
            return qs
        return selectors.robots_of_tenant(perms.tenant_for(user, user.tenant_id))

    def _robot(self, pk: str | None) -> Robot:
        try:
            return self.get_queryset().get(pk=int(pk or 0))
        except (Robot.DoesNotExist, ValueError):
            raise NotFound(texts.ROBOT) from None

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(RobotSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(RobotSerializer(self._robot(pk)).data)

    def create(self, request: Request) -> Response:
        user = user_of(request)
        serializer = RobotSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        team = data.get("team")
        tenant = None
        if team is None:
            tenant_id = data.get("tenant_id") or user.tenant_id
            tenant = perms.tenant_for(user, tenant_id)
        robot = services.robot_add(
            actor=user,
            tenant=tenant,
            team=team,
            platform=data["platform"],
            name=data.get("name", ""),
            webhook_url=data.get("webhook_url", ""),
            secret=data.get("secret", ""),
            now=clock.now(),
            language=_language(request),
        )
        return Response(RobotSerializer(robot).data, status=201)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        robot = self._robot(pk)
        serializer = RobotSerializer(robot, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.robot_update(
            actor=user_of(request),
            robot=robot,
            now=clock.now(),
            name=data.get("name"),
            webhook_url=data.get("webhook_url"),
            secret=data.get("secret"),
            active=data.get("active"),
            language=_language(request),
        )
        robot.refresh_from_db()
        return Response(RobotSerializer(robot).data)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        services.robot_remove(actor=user_of(request), robot=self._robot(pk), now=clock.now())
        return Response(status=204)

    @extend_schema(
        request=None,
        responses=RobotTestSerializer,
        summary="Send a test message now; what the robot's platform answered",
    )
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str | None = None) -> Response:
        result = services.robot_test(
            actor=user_of(request),
            robot=self._robot(pk),
            now=clock.now(),
            language=_language(request),
        )
        return Response({"ok": result.ok, "detail": result.detail, "message": result.message})


# --------------------------------------------------------------------------- delivery log


class AttemptSerializer(BlankChoicesMixin, serializers.ModelSerializer[DeliveryAttempt]):
    class Meta:
        model = DeliveryAttempt
        fields = ["number", "at", "ok", "permanent", "detail"]


class DeliverySerializer(BlankChoicesMixin, serializers.ModelSerializer[Outbox]):
    subject = serializers.CharField(read_only=True)
    recipient = serializers.SerializerMethodField()
    attempt_log = AttemptSerializer(many=True, read_only=True)
    event = serializers.CharField(source="rule", read_only=True)

    class Meta:
        model = Outbox
        fields = [
            "id", "event", "topic", "channel", "tenant", "recipient", "language", "subject",
            "status", "attempts", "created_at", "next_attempt_at", "give_up_at", "sent_at",
            "failed_at", "last_error", "attempt_log",
        ]  # fmt: skip

    def get_recipient(self, obj: Outbox) -> str:
        if obj.robot_id:
            return str(obj.robot) if obj.robot else "-"
        return obj.address


class DeliveryViewSet(viewsets.GenericViewSet):
    """Staff: every outgoing message and every attempt (filter ?status=failed&tenant=ID)."""

    serializer_class = DeliverySerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        user = user_of(self.request)
        if not perms.has_role(user, VIEW_DELIVERIES):
            raise PermissionDenied(
                "notification.log_staff_only",
                texts.LOG_STAFF_ONLY,
            )
        status = self.request.query_params.get("status") or None
        if status and status not in OutboxStatus.values:
            from supportplan.core.errors import DomainError

            raise DomainError(
                "notification.status_unknown",
                texts.STATUS_FILTER,
                statuses=", ".join(OutboxStatus.values),
                field="status",
            )
        tenant_id = self.request.query_params.get("tenant")
        tenant = perms.tenant_for(user, tenant_id) if tenant_id else None
        return selectors.delivery_log(status=status, tenant=tenant)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(DeliverySerializer(self._row(pk)).data)

    def _row(self, pk: str | None) -> Outbox:
        try:
            return self.get_queryset().get(pk=int(pk or 0))
        except (Outbox.DoesNotExist, ValueError):
            raise NotFound(texts.MESSAGE) from None

    @extend_schema(request=None, responses=DeliverySerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        row = services.outbox_retry(actor=user_of(request), outbox=self._row(pk), now=clock.now())
        return Response(DeliverySerializer(row).data)


def register(router: Any) -> None:
    router.register("notifications", InAppViewSet, basename="notification")
    router.register("notification-robots", RobotViewSet, basename="notification-robot")
    router.register("notification-deliveries", DeliveryViewSet, basename="notification-delivery")


def urlpatterns() -> list[Any]:
    return [
        path(
            "notification-preferences/", PreferencesView.as_view(), name="notification-preferences"
        )
    ]
