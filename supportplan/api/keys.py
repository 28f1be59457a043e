"""Personal REST API keys (/api/api-keys/): list, create (the key is in that one answer, not
stored), revoke; and the older password-for-token exchange, kept throttled."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, throttling, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from supportplan.accounts import api_keys
from supportplan.accounts.models import ApiKey, ApiKeyScope, Role, User
from supportplan.core import clock
from supportplan.core.errors import NotFound

from .permissions import user_of
from .serializers import ErrorSerializer, RefuseReadOnlyMixin, id_field

WHAT_KEY = _("API key")


ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


class ApiKeySerializer(serializers.ModelSerializer[ApiKey]):
    state = serializers.SerializerMethodField()
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = ApiKey
        fields = [
            "id", "prefix", "name", "scope", "user", "username", "created_at", "expires_at",
            "revoked_at", "last_used_at", "state",
        ]  # fmt: skip
        read_only_fields = fields

    def get_state(self, key: ApiKey) -> str:
        return key.state_at(clock.now())


class NewApiKeySerializer(RefuseReadOnlyMixin, serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    scope = serializers.ChoiceField(
        choices=ApiKeyScope.values,
        help_text="read_only: GET only; cases: /api/cases/ only; full: all the person may do.",
    )
    days = serializers.IntegerField(
        min_value=1, max_value=api_keys.MAX_DAYS, required=False, default=90
    )
    user = id_field(
        required=False, help_text="A colleague's id (organisation administrators); default: you."
    )


class CreatedApiKeySerializer(ApiKeySerializer):
    key = serializers.CharField(help_text="Shown in this answer only; it is not stored.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields


def manageable_keys(user: User) -> QuerySet[ApiKey]:
    """The caller's own keys; an organisation administrator's also those of its people."""
    qs = ApiKey.objects.select_related("user")
    if user.role == Role.CUSTOMER_ADMIN and user.tenant_id:
        return qs.filter(user__tenant_id=user.tenant_id)
    return qs.filter(user=user)


class ApiKeyViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Keys for scripts: `Authorization: Bearer <key>`."""

    serializer_class = ApiKeySerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return manageable_keys(user_of(self.request)).order_by("-created_at", "-pk")

    @extend_schema(
        request=NewApiKeySerializer,
        responses={201: CreatedApiKeySerializer, **ERRORS},
        summary="Create an API key (shown once)",
    )
    def create(self, request: Request) -> Response:
        actor = user_of(request)
        data = NewApiKeySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        owner = actor
        if "user" in data.validated_data and data.validated_data["user"] != actor.pk:
            found = (
                User.objects.filter(
                    pk=data.validated_data["user"], tenant_id=actor.tenant_id
                ).first()
                if actor.role == Role.CUSTOMER_ADMIN and actor.tenant_id
                else None
            )
            if found is None:
                raise NotFound(_("Person"))
            owner = found
        made = api_keys.api_key_create(
            actor=actor, user=owner, now=clock.now(),
            scope=data.validated_data["scope"], days=data.validated_data["days"],
            name=data.validated_data.get("name", ""),
        )  # fmt: skip
        body: dict[str, Any] = dict(ApiKeySerializer(made.key).data)
        body["key"] = made.secret
        response = Response(body, status=status.HTTP_201_CREATED)
        add_never_cache_headers(response)
        return response

    @extend_schema(
        request=None,
        responses={200: ApiKeySerializer, **ERRORS},
        summary="Revoke an API key at once",
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        key = self.get_queryset().filter(pk=pk).first()
        if key is None:
            raise NotFound(WHAT_KEY)
        key = api_keys.api_key_revoke(actor=user_of(request), key=key, now=clock.now())
        return Response(ApiKeySerializer(key).data)


class TokenThrottle(throttling.AnonRateThrottle):
    """Per client address, counted in the shared (database) cache: every app server sees it."""

    scope = "api-token"
    rate = "20/min"


class TokenView(ObtainAuthToken):
    """The older exchange of a password for a never-expiring token, kept for existing
    scripts: throttled, and behind the same sign-in lock as every door. New scripts should
    use an API key (/api/api-keys/)."""

    throttle_classes = [TokenThrottle]

    @extend_schema(deprecated=True, summary="Exchange a password for a token (use API keys)")
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)
