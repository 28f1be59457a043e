"""REST API for a tenant's Alertmanager receivers (/api/alert-receivers/): list, create (the
token is in that one answer, with the webhook URL and a config snippet), deactivate."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from supportplan.accounts.models import RegisteredSystem
from supportplan.api.permissions import user_of
from supportplan.api.serializers import ErrorSerializer
from supportplan.core import clock
from supportplan.core.errors import NotFound

from .im_setup import (
    SECRET_LABELS,
    callback_steps,
    im_group_connect,
    im_group_disconnect,
    secret_hints,
)
from .models import AlertReceiver, ImGroup, ImPlatform
from .services import alert_receiver_create, alert_receiver_deactivate, webhook_snippet

WHAT_RECEIVER = _("Alert receiver")


class RuleSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=100)  # type: ignore[assignment]
    value = serializers.CharField(max_length=200)
    severity = serializers.CharField(max_length=40)


class AlertReceiverSerializer(serializers.ModelSerializer[AlertReceiver]):
    rules = RuleSerializer(many=True)

    class Meta:
        model = AlertReceiver
        fields = [
            "id", "name", "system", "provider", "rules", "default_severity",
            "resolve_on_recovery", "max_cases", "window_minutes", "token_hint", "active",
            "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class NewReceiverSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    default_severity = serializers.CharField(max_length=40)
    rules = RuleSerializer(many=True, required=False)
    system = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    provider = serializers.CharField(max_length=40, required=False, allow_blank=True)
    resolve_on_recovery = serializers.BooleanField(required=False, default=False)
    max_cases = serializers.IntegerField(required=False, default=5, min_value=1, max_value=1000)
    window_minutes = serializers.IntegerField(
        required=False, default=60, min_value=1, max_value=1440
    )


class CreatedReceiverSerializer(AlertReceiverSerializer):
    token = serializers.CharField()
    webhook_url = serializers.CharField()
    alertmanager_config = serializers.CharField()

    class Meta(AlertReceiverSerializer.Meta):
        fields = [*AlertReceiverSerializer.Meta.fields, "token", "webhook_url",
                  "alertmanager_config"]  # fmt: skip
        read_only_fields = fields


class AlertReceiverViewSet(
    mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """The caller's organisation's receivers (tenant administrators create and remove them)."""

    serializer_class = AlertReceiverSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        user = user_of(self.request)
        if user.tenant_id is None:
            return AlertReceiver.objects.none()
        return AlertReceiver.objects.filter(tenant_id=user.tenant_id, active=True)

    @extend_schema(
        request=NewReceiverSerializer,
        responses={201: CreatedReceiverSerializer},
        summary="Create an Alertmanager receiver (the token is shown once)",
    )
    def create(self, request: Request) -> Response:
        user = user_of(request)
        data = NewReceiverSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values: dict[str, Any] = dict(data.validated_data)
        tenant = user.tenant
        if tenant is None:
            raise NotFound(WHAT_RECEIVER)
        system = None
        if values.pop("system", None) is not None:
            system = (
                RegisteredSystem.objects.for_tenant(tenant)
                .filter(pk=data.validated_data["system"])
                .first()
            )
            if system is None:
                raise NotFound(_("System"))
        made = alert_receiver_create(
            actor=user, tenant=tenant, system=system, now=clock.now(),
            rules=[dict(r) for r in values.pop("rules", [])], **values,
        )  # fmt: skip
        url = request.build_absolute_uri(f"/integrations/alertmanager/{made.receiver.pk}/")
        body: dict[str, Any] = dict(AlertReceiverSerializer(made.receiver).data)
        body |= {
            "token": made.token,
            "webhook_url": url,
            "alertmanager_config": webhook_snippet(url, made.token),
        }
        response = Response(body, status=status.HTTP_201_CREATED)
        add_never_cache_headers(response)
        return response

    @extend_schema(summary="Deactivate a receiver (its URL refuses notifications from now on)")
    def destroy(self, request: Request, pk: Any = None) -> Response:  # type: ignore[override]
        found = self.get_queryset().filter(pk=pk).first()
        if found is None:
            raise NotFound(WHAT_RECEIVER)
        alert_receiver_deactivate(actor=user_of(request), receiver=found, now=clock.now())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --------------------------------------------------------------------------- IM groups

WHAT_GROUP = _("IM group")


ApiErrorSerializer = ErrorSerializer


ERRORS = {400: ApiErrorSerializer, 403: ApiErrorSerializer, 404: ApiErrorSerializer}


class SecretHintSerializer(serializers.Serializer):
    name = serializers.CharField()
    hint = serializers.CharField()


class ImGroupSerializer(serializers.ModelSerializer[ImGroup]):
    callback_url = serializers.SerializerMethodField()
    secrets = serializers.SerializerMethodField()
    robot = serializers.SerializerMethodField()

    class Meta:
        model = ImGroup
        fields = ["id", "name", "platform", "provider", "chat_id", "callback_url", "secrets",
                  "robot", "active", "created_at"]  # fmt: skip
        read_only_fields = fields

    def get_callback_url(self, group: ImGroup) -> str:
        path = reverse("integrations-im", args=[group.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    @extend_schema_field(SecretHintSerializer(many=True))
    def get_secrets(self, group: ImGroup) -> list[dict[str, str]]:
        return [{"name": n, "hint": h} for n, h in secret_hints(group)]

    def get_robot(self, group: ImGroup) -> str | None:
        return group.robot.name if group.robot else None


class NewImGroupSerializer(serializers.Serializer):
    platform = serializers.ChoiceField(choices=ImPlatform.choices)
    provider = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default="",
        help_text="The provider whose plan the group's cases are filed under; required when "
        "the organisation has plans of several providers.",
    )  # fmt: skip
    name = serializers.CharField(max_length=100)
    chat_id = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    token = serializers.CharField(max_length=100, required=False, allow_blank=True)
    encoding_aes_key = serializers.CharField(max_length=43, required=False, allow_blank=True)
    app_secret = serializers.CharField(max_length=200, required=False, allow_blank=True)
    verification_token = serializers.CharField(max_length=200, required=False, allow_blank=True)
    encrypt_key = serializers.CharField(max_length=200, required=False, allow_blank=True)
    app_id = serializers.CharField(
        max_length=200, required=False, allow_blank=True,
        help_text="Feishu, optional: with app_secret, files posted in the group are fetched.",
    )  # fmt: skip
    app_key = serializers.CharField(
        max_length=200, required=False, allow_blank=True,
        help_text="DingTalk, optional: with robot_code, files posted in the group are fetched.",
    )  # fmt: skip
    robot_code = serializers.CharField(max_length=200, required=False, allow_blank=True)
    robot_webhook = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default=""
    )
    robot_secret = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


class CreatedImGroupSerializer(ImGroupSerializer):
    generated_secrets = serializers.DictField(child=serializers.CharField())
    steps = serializers.ListField(child=serializers.CharField())

    class Meta(ImGroupSerializer.Meta):
        fields = [*ImGroupSerializer.Meta.fields, "generated_secrets", "steps"]
        read_only_fields = fields


class ImGroupViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    """The caller's organisation's IM enterprise groups (its administrators connect and
    disconnect them); secrets are only ever shown masked, generated ones once."""

    serializer_class = ImGroupSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        user = user_of(self.request)
        if user.tenant_id is None:
            return ImGroup.objects.none()
        return (
            ImGroup.objects.filter(tenant_id=user.tenant_id, active=True)
            .select_related("robot")
            .order_by("name", "pk")
        )

    @extend_schema(responses={200: ImGroupSerializer, 404: ApiErrorSerializer})
    def retrieve(self, request: Request, pk: Any = None) -> Response:  # type: ignore[override]
        found = self.get_queryset().filter(pk=pk).first()
        if found is None:
            raise NotFound(WHAT_GROUP)
        return Response(ImGroupSerializer(found, context={"request": request}).data)

    @extend_schema(
        request=NewImGroupSerializer,
        responses={201: CreatedImGroupSerializer, **ERRORS},
        summary="Connect an IM group (secrets made for you are in this answer only)",
    )
    def create(self, request: Request) -> Response:
        user = user_of(request)
        data = NewImGroupSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values: dict[str, Any] = dict(data.validated_data)
        if user.tenant is None:
            raise NotFound(WHAT_GROUP)
        made = im_group_connect(
            actor=user, tenant=user.tenant, platform=values["platform"], name=values["name"],
            chat_id=values["chat_id"], now=clock.now(),
            secrets={k: values.get(k) or "" for k in SECRET_LABELS},
            robot_webhook=values["robot_webhook"], robot_secret=values["robot_secret"],
            provider=values["provider"],
        )  # fmt: skip
        body: dict[str, Any] = dict(
            ImGroupSerializer(made.group, context={"request": request}).data
        )
        body |= {
            "generated_secrets": made.generated,
            "steps": callback_steps(made.group.platform, body["callback_url"]),
        }
        response = Response(body, status=status.HTTP_201_CREATED)
        add_never_cache_headers(response)
        return response

    @extend_schema(
        responses={204: None, 403: ApiErrorSerializer, 404: ApiErrorSerializer},
        summary="Disconnect a group (its callback URL refuses messages from now on)",
    )
    def destroy(self, request: Request, pk: Any = None) -> Response:  # type: ignore[override]
        found = self.get_queryset().select_related("tenant").filter(pk=pk).first()
        if found is None:
            raise NotFound(WHAT_GROUP)
        im_group_disconnect(actor=user_of(request), group=found, now=clock.now())
        return Response(status=status.HTTP_204_NO_CONTENT)
