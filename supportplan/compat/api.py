"""REST API for a person's access-key pairs: list, create (the secret is in that one answer),
revoke. Registered in supportplan/api/urls.py as /api/access-keys/."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from supportplan.api.permissions import user_of
from supportplan.core import clock
from supportplan.core.errors import NotFound

from .keys import access_key_create, access_key_revoke
from .models import AccessKey

WHAT_KEY = _("Access key")


class AccessKeySerializer(serializers.ModelSerializer[AccessKey]):
    state = serializers.SerializerMethodField()

    class Meta:
        model = AccessKey
        fields = [
            "id", "access_key_id", "description", "provider", "created_at", "expires_at",
            "revoked_at", "last_used_at", "state",
        ]  # fmt: skip
        read_only_fields = fields

    def get_state(self, key: AccessKey) -> str:
        if key.revoked_at:
            return "revoked"
        return "active" if key.usable_at(clock.now()) else "expired"


class NewAccessKeySerializer(serializers.Serializer):
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    days = serializers.IntegerField(
        min_value=1, max_value=3650, required=False, default=365,
        help_text="Valid this many days (1 to 3650).",
    )  # fmt: skip
    provider = serializers.CharField(max_length=40, required=False, allow_blank=True)


class CreatedAccessKeySerializer(AccessKeySerializer):
    secret_access_key = serializers.CharField(
        help_text="Shown in this answer only; store it where the script reads it."
    )

    class Meta(AccessKeySerializer.Meta):
        fields = [*AccessKeySerializer.Meta.fields, "secret_access_key"]
        read_only_fields = fields


class AccessKeyViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's own pairs for the AWS Support and Huawei OSM compatible APIs."""

    serializer_class = AccessKeySerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return AccessKey.objects.filter(user=user_of(self.request)).order_by("-created_at", "-pk")

    @extend_schema(
        request=NewAccessKeySerializer,
        responses={201: CreatedAccessKeySerializer},
        summary="Create an access-key pair (the secret is shown once)",
    )
    def create(self, request: Request) -> Response:
        user = user_of(request)
        data = NewAccessKeySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        made = access_key_create(
            actor=user, user=user, now=clock.now(),
            lifetime=timedelta(days=data.validated_data["days"]),
            description=data.validated_data.get("description", ""),
            provider=data.validated_data.get("provider", ""),
        )  # fmt: skip
        body: dict[str, Any] = dict(AccessKeySerializer(made.key).data)
        body["secret_access_key"] = made.secret_access_key
        response = Response(body, status=status.HTTP_201_CREATED)
        add_never_cache_headers(response)
        return response

    @extend_schema(request=None, responses=AccessKeySerializer, summary="Revoke a pair at once")
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        key = self.get_queryset().filter(pk=pk).first()
        if key is None:
            raise NotFound(WHAT_KEY)
        key = access_key_revoke(actor=user_of(request), key=key, now=clock.now())
        return Response(AccessKeySerializer(key).data)
