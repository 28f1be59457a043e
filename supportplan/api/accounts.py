"""The caller's identity and tenant: people, registered systems, cloud accounts."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from supportplan.accounts import permissions as perms
from supportplan.accounts import selectors, services
from supportplan.accounts.models import (
    CloudAccount,
    HandlerTier,
    RegisteredSystem,
    Role,
    Tenant,
    User,
)
from supportplan.core import clock
from supportplan.core.errors import NotFound

from .keys import ERRORS
from .permissions import user_of
from .serializers import BlankChoicesMixin, RefuseReadOnlyMixin


class TenantSerializer(RefuseReadOnlyMixin, BlankChoicesMixin, serializers.ModelSerializer[Tenant]):
    tam = serializers.SerializerMethodField()
    has_technical_contact = serializers.BooleanField(read_only=True)
    # A list of addresses, never null (the column is NOT NULL: null was a 500).
    report_emails = serializers.ListField(
        child=serializers.EmailField(), required=False, allow_empty=True, max_length=20
    )

    class Meta:
        model = Tenant
        fields = [
            "id",
            "name",
            "slug",
            "registered_email",
            "report_emails",
            "language",
            "technical_contact_name",
            "technical_contact_email",
            "technical_contact_phone",
            "has_technical_contact",
            "in_proof_of_concept",
            "tam",
        ]
        read_only_fields = ["id", "name", "slug", "tam", "in_proof_of_concept"]

    def get_tam(self, obj: Tenant) -> dict | None:
        if obj.tam is None:
            return None
        return {
            "id": obj.tam.pk,
            "name": obj.tam.get_full_name() or obj.tam.username,
            "email": obj.tam.email,
            "phone": obj.tam.phone,
        }


class UserSerializer(BlankChoicesMixin, serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "role",
            "tenant",
            "handler_tier",
            "language",
            "is_active",
        ]
        read_only_fields = fields


class SystemSerializer(
    RefuseReadOnlyMixin, BlankChoicesMixin, serializers.ModelSerializer[RegisteredSystem]
):
    class Meta:
        model = RegisteredSystem
        fields = ["id", "name", "classification", "description", "cloud"]


class CloudAccountSerializer(
    RefuseReadOnlyMixin, BlankChoicesMixin, serializers.ModelSerializer[CloudAccount]
):
    class Meta:
        model = CloudAccount
        fields = ["id", "cloud", "account_id", "display_name", "regions"]


class MeView(APIView):
    @extend_schema(responses=UserSerializer, summary="Who am I")
    def get(self, request: Request) -> Response:
        body = UserSerializer(user_of(request)).data
        body["is_staff"] = perms.is_staff(user_of(request))
        return Response(body)


class TenantViewSet(viewsets.GenericViewSet):
    """Customers see only their own tenant (any other id answers 404); staff see all."""

    serializer_class = TenantSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return perms.visible_tenants(user_of(self.request)).select_related("tam")

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(TenantSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(TenantSerializer(perms.tenant_for(user_of(request), pk)).data)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        tenant = perms.tenant_for(user_of(request), pk)
        perms.require_tenant_admin(user_of(request), tenant)
        serializer = TenantSerializer(tenant, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.tenant_update(
            tenant=tenant, actor=user_of(request), now=clock.now(), **serializer.validated_data
        )
        return Response(TenantSerializer(tenant).data)

    @extend_schema(
        request=SystemSerializer,
        responses={200: SystemSerializer(many=True), 201: SystemSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def systems(self, request: Request, pk: str | None = None) -> Response:
        tenant = perms.tenant_for(user_of(request), pk)
        if request.method == "POST":
            perms.require_tenant_admin(user_of(request), tenant)
            serializer = SystemSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            system = services.system_register(
                tenant=tenant, actor=user_of(request), now=clock.now(), **serializer.validated_data
            )
            return Response(SystemSerializer(system).data, status=201)
        return Response(SystemSerializer(selectors.systems_of(tenant), many=True).data)

    @extend_schema(
        request=CloudAccountSerializer,
        responses={200: CloudAccountSerializer(many=True), 201: CloudAccountSerializer},
    )
    @action(detail=True, methods=["get", "post"], url_path="cloud-accounts", pagination_class=None)
    def cloud_accounts(self, request: Request, pk: str | None = None) -> Response:
        tenant = perms.tenant_for(user_of(request), pk)
        if request.method == "POST":
            perms.require_tenant_admin(user_of(request), tenant)
            serializer = CloudAccountSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            account = services.cloud_account_add(
                tenant=tenant, actor=user_of(request), now=clock.now(), **serializer.validated_data
            )
            return Response(CloudAccountSerializer(account).data, status=201)
        return Response(CloudAccountSerializer(selectors.cloud_accounts_of(tenant), many=True).data)

    @extend_schema(responses=UserSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def users(self, request: Request, pk: str | None = None) -> Response:
        tenant = perms.tenant_for(user_of(request), pk)
        return Response(UserSerializer(selectors.users_of(tenant), many=True).data)


class PersonChangeSerializer(RefuseReadOnlyMixin, serializers.Serializer):
    # What may change about a person's access; every change is audited.

    role = serializers.ChoiceField(choices=Role.choices, required=False)
    handler_tier = serializers.ChoiceField(
        choices=["", *HandlerTier.values], required=False, allow_blank=True
    )
    is_active = serializers.BooleanField(required=False)


class MfaResetSerializer(serializers.Serializer):
    removed = serializers.ListField(child=serializers.CharField())


class PersonViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One person: a customer administrator manages their own organisation's people (a person
    of another organisation is not found); staff as their role allows."""

    serializer_class = UserSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return perms.people_visible_to(user_of(self.request)).order_by("pk")

    def _person(self, pk: str | None) -> User:
        person = self.get_queryset().filter(pk=pk).first()
        if person is None:
            raise NotFound(_("Person"))
        return person

    @extend_schema(
        request=PersonChangeSerializer,
        responses={200: UserSerializer, **ERRORS},
        summary="Change a person's role, handler tier or active state (audited)",
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        person = self._person(pk)
        data = PersonChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        person = services.user_access_change(
            actor=user_of(request), user=person, now=clock.now(), **data.validated_data
        )
        return Response(UserSerializer(person).data)

    @extend_schema(
        request=None,
        responses={200: MfaResetSerializer, **ERRORS},
        summary="Remove a person's second factors (audited)",
    )
    @action(detail=True, methods=["post"], url_path="mfa-reset")
    def mfa_reset(self, request: Request, pk: str | None = None) -> Response:
        person = self._person(pk)
        removed = services.user_mfa_reset(actor=user_of(request), user=person, now=clock.now())
        return Response({"removed": removed})
