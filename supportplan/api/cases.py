"""Support cases over HTTP: open, list/search, read with thread and SLA, every transition,
attachments, what my plan allows, and the agent queue.

Tenant-scoped by construction: every case is fetched through `cases.selectors.case_for`
(another tenant's case answers 404, never 403, so existence is not confirmed). Writes call
one service each; refusals are `{"code", "message", "params"}` in the caller's language.
"""

from __future__ import annotations

import os
from typing import Any

from django.http import FileResponse, Http404
from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from supportplan.accounts import permissions as perms
from supportplan.accounts.models import HandlerTier, RegisteredSystem, User
from supportplan.api.parsers import JSONParser
from supportplan.cases import attachments, selectors, services, upstream
from supportplan.cases import domain as case_domain
from supportplan.cases.models import Attachment, Case, Communication
from supportplan.cases.texts import case_note_text
from supportplan.catalog.domain import Catalog, Text, detect_software, scope_check
from supportplan.core import clock
from supportplan.core.errors import DomainError, NotFound
from supportplan.core.models import AuditEntry

from .permissions import user_of
from .serializers import (
    BlankChoicesMixin,
    FieldTemplateMixin,
    RefuseReadOnlyMixin,
    id_field,
    validated,
)


def _text(value: Text | None) -> str | None:
    return value.get(get_language()) if value is not None else None


class _Catalogs:
    """Per-request memo: one catalog lookup per version however many cases are listed."""

    def __init__(self) -> None:
        self._by_version: dict[int, Catalog | None] = {}

    def get(self, version_id: int) -> Catalog | None:
        if version_id not in self._by_version:
            try:
                self._by_version[version_id] = upstream.catalog_for_version(version_id)
            except DomainError:
                self._by_version[version_id] = None
        return self._by_version[version_id]


def _catalogs(context: Any) -> _Catalogs:
    memo = context.get("catalogs")
    if memo is None:
        memo = context["catalogs"] = _Catalogs()
    return memo  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- serializers


class PersonSerializer(FieldTemplateMixin, BlankChoicesMixin, serializers.ModelSerializer[User]):
    name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "name", "role"]

    def get_name(self, obj: User) -> str:
        return obj.get_full_name() or obj.username


class CaseSerializer(FieldTemplateMixin, BlankChoicesMixin, serializers.ModelSerializer[Case]):
    severity_name = serializers.SerializerMethodField()
    channel_name = serializers.SerializerMethodField()
    tenant_name = serializers.CharField(source="tenant.name", read_only=True)
    assignee = PersonSerializer(read_only=True, allow_null=True)
    system_name = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "tenant",
            "tenant_name",
            "requester",
            "provider",
            "plan_code",
            "catalog_version_id",
            "channel",
            "channel_name",
            "severity",
            "severity_name",
            "subject",
            "state",
            "system",
            "system_name",
            "system_class",
            "cloud",
            "product",
            "handler_tier",
            "queue",
            "assignee",
            "escalation_level",
            "out_of_scope",
            "first_response_due",
            "sla_state",
            "sla_warned",
            "sla_breached",
            "created_at",
            "updated_at",
            "resolved_at",
            "closed_at",
        ]
        read_only_fields = fields

    def get_severity_name(self, obj: Case) -> str | None:
        catalog = _catalogs(self.context).get(obj.catalog_version_id)
        if catalog is None:
            return None
        try:
            return _text(catalog.severity(obj.severity).name)
        except LookupError:
            return None

    def get_channel_name(self, obj: Case) -> str | None:
        catalog = _catalogs(self.context).get(obj.catalog_version_id)
        if catalog is None:
            return None
        try:
            return _text(catalog.channel(obj.channel).name)
        except LookupError:
            return None

    def get_system_name(self, obj: Case) -> str | None:
        return obj.system.name if obj.system_id and obj.system else None

    def to_representation(self, instance: Case) -> dict[str, Any]:
        # The fields above, read straight from the columns: DRF's generic path copies and
        # binds 31 fields per case and looks each value up through its field (a fifth of
        # the CPU of opening a case, issue 16). The same values and types;
        # api/tests/test_case_representation.py holds the two paths equal. Subclasses
        # (CaseDetailSerializer) add fields and keep the generic path.
        if type(self) is not CaseSerializer:
            return super().to_representation(instance)
        c, dt = instance, _DATETIME.to_representation
        assignee = c.assignee if c.assignee_id is not None else None
        return {
            "id": c.pk,
            "tenant": c.tenant_id,
            "tenant_name": str(c.tenant.name),
            "requester": c.requester_id,
            "provider": _choice(c.provider),
            "plan_code": str(c.plan_code),
            "catalog_version_id": c.catalog_version_id,
            "channel": _choice(c.channel),
            "channel_name": self.get_channel_name(c),
            "severity": _choice(c.severity),
            "severity_name": self.get_severity_name(c),
            "subject": str(c.subject),
            "state": _choice(c.state),
            "system": c.system_id,
            "system_name": self.get_system_name(c),
            "system_class": _choice(c.system_class),
            "cloud": _choice(c.cloud),
            "product": str(c.product),
            "handler_tier": _choice(c.handler_tier),
            "queue": _choice(c.queue),
            "assignee": None
            if assignee is None
            else {
                "id": assignee.pk,
                "name": assignee.get_full_name() or assignee.username,
                "role": _choice(assignee.role),
            },
            "escalation_level": int(c.escalation_level),
            "out_of_scope": bool(c.out_of_scope),
            "first_response_due": dt(c.first_response_due) if c.first_response_due else None,
            "sla_state": _choice(c.sla_state),
            "sla_warned": bool(c.sla_warned),
            "sla_breached": bool(c.sla_breached),
            "created_at": dt(c.created_at),
            "updated_at": dt(c.updated_at),
            "resolved_at": dt(c.resolved_at) if c.resolved_at else None,
            "closed_at": dt(c.closed_at) if c.closed_at else None,
        }


# Stateless (never bound), so one instance serves every thread: DRF's own rendering of an
# instant (the current time zone, "Z" for UTC, the DATETIME_FORMAT setting).
_DATETIME = serializers.DateTimeField(read_only=True)


def _choice(value: Any) -> Any:
    # What DRF's ChoiceField answers for a stored choice: the plain value ("" and None as is).
    return value if value in ("", None) else str(value)


class CommunicationSerializer(
    FieldTemplateMixin, BlankChoicesMixin, serializers.ModelSerializer[Communication]
):
    author = PersonSerializer(read_only=True)
    text = serializers.SerializerMethodField(
        help_text="What the entry says in the caller's language: a system note (kind "
        "`system`, its code in `data.event`) rendered, anything a person wrote as `body`."
    )

    class Meta:
        model = Communication
        fields = ["id", "kind", "author", "by_staff", "body", "text", "data", "created_at"]
        read_only_fields = fields

    def get_text(self, obj: Communication) -> str:
        case = self.context.get("case")
        return case_note_text(case, obj.kind, obj.body, obj.data) if case else obj.body


class AttachmentSerializer(
    FieldTemplateMixin, BlankChoicesMixin, serializers.ModelSerializer[Attachment]
):
    class Meta:
        model = Attachment
        fields = [
            "id",
            "name",
            "content_type",
            "size",
            "sha256",
            "internal",
            "communication",
            "uploaded_by",
            "created_at",
        ]
        read_only_fields = fields


class CaseDetailSerializer(CaseSerializer):
    description = serializers.CharField(read_only=True)
    thread = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    sla = serializers.SerializerMethodField()
    scope = serializers.SerializerMethodField()
    rating = serializers.SerializerMethodField()
    tam = PersonSerializer(read_only=True, allow_null=True)

    class Meta(CaseSerializer.Meta):
        fields = [
            *CaseSerializer.Meta.fields,
            "description",
            "im_platform",
            "tam",
            "logged_by",
            "software_name",
            "software_code",
            "software_version",
            "software_platform",
            "scope",
            "sla",
            "thread",
            "attachments",
            "rating",
        ]
        read_only_fields = fields

    def _user(self) -> User:
        return user_of(self.context["request"])

    def get_thread(self, obj: Case) -> list[dict[str, Any]]:
        rows = selectors.thread_of(obj, self._user())
        return CommunicationSerializer(  # type: ignore[return-value]
            rows, many=True, context={"case": obj}
        ).data

    def get_attachments(self, obj: Case) -> list[dict[str, Any]]:
        rows = selectors.attachments_of(obj, self._user())
        return AttachmentSerializer(rows, many=True).data  # type: ignore[return-value]

    def get_scope(self, obj: Case) -> dict[str, Any]:
        lang = get_language() or "en"
        key = "zh-hans" if lang.lower().startswith("zh") else "en"
        return {
            "out_of_scope": obj.out_of_scope,
            "code": obj.out_of_scope_code or None,
            "reason": obj.out_of_scope_reason.get(key) if obj.out_of_scope_reason else None,
            "where_to_go": obj.out_of_scope_where.get(key) if obj.out_of_scope_where else None,
            "best_effort": obj.best_effort,
        }

    def get_sla(self, obj: Case) -> dict[str, Any]:
        now = self.context.get("now") or clock.now()
        timer = services.compute_sla(obj, max(now, obj.created_at)).first_response
        return {
            "as_of": now,
            "state": str(timer.state),
            "target_minutes": int(timer.target.total_seconds() // 60),
            "calendar": timer.calendar,
            "source": timer.source,
            "due_at": timer.due_at,
            "consumed_seconds": int(timer.consumed.total_seconds()),
            "remaining_seconds": int(timer.remaining.total_seconds()),
            "paused": [{"start": p.start, "end": p.end, "reason": p.reason} for p in timer.paused],
            "warnings": [
                {"code": w.code, "at": w.at, "reached": w.reached} for w in timer.warnings
            ],
            "breached_at": timer.breached_at,
            "stopped_at": timer.stopped_at,
            "warned": obj.sla_warned,
            "breach_recorded": obj.sla_breached,
            "holiday_data_missing_years": list(timer.missing_years),
        }

    def get_rating(self, obj: Case) -> dict[str, Any] | None:
        rating = getattr(obj, "rating", None)
        if rating is None:
            return None
        return {"score": rating.score, "comment": rating.comment, "created_at": rating.created_at}


class CaseMovedSerializer(serializers.Serializer):
    """The answer to an action that succeeded but moved the case beyond what the caller may
    see (an escalation to a higher tier): where the case went, not the case itself."""

    id = serializers.IntegerField()
    visible = serializers.BooleanField(help_text="Always false: you no longer see this case.")
    queue = serializers.ChoiceField(choices=HandlerTier.choices)
    queue_name = serializers.CharField()
    escalation_level = serializers.IntegerField()
    assignee = PersonSerializer(allow_null=True)
    message = serializers.CharField()


def moved_body(case: Case) -> dict[str, Any]:
    assignee = case.assignee
    assignee_name = (assignee.get_full_name() or assignee.username) if assignee else None
    queue_name = str(HandlerTier(case.queue).label)
    return {
        "id": case.pk,
        "visible": False,
        "queue": case.queue,
        "queue_name": queue_name,
        "escalation_level": case.escalation_level,
        "assignee": PersonSerializer(assignee).data if assignee else None,
        "message": str(case_domain.moved_out_of_sight(case.pk, queue_name, assignee_name)),
    }


# What a case action answers: the case as the caller now sees it, or where it went.
CASE_AFTER_ACTION = PolymorphicProxySerializer(
    component_name="CaseAfterAction",
    serializers=[CaseDetailSerializer, CaseMovedSerializer],
    resource_type_field_name=None,
)


class OpenCaseSerializer(RefuseReadOnlyMixin, FieldTemplateMixin, serializers.Serializer):
    provider = serializers.CharField(
        required=False,
        help_text="Provider code; defaults to the only provider you have a plan with.",
    )
    channel = serializers.CharField(default="ticket")
    severity = serializers.CharField()
    subject = serializers.CharField(max_length=case_domain.SUBJECT_MAX, allow_blank=True)
    description = serializers.CharField(max_length=case_domain.DESCRIPTION_MAX, allow_blank=True)
    system = id_field(required=False, allow_null=True)
    cloud = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    product = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    im_platform = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    software_name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    software_version = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default=""
    )
    software_platform = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default=""
    )
    out_of_scope_code = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Staff only."
    )
    tenant = id_field(required=False, help_text="Staff recording a call only.")
    requester = id_field(required=False, help_text="Staff recording a call only.")


class BodySerializer(RefuseReadOnlyMixin, serializers.Serializer):
    body = serializers.CharField(max_length=case_domain.BODY_MAX, allow_blank=True)


class SeveritySerializer(RefuseReadOnlyMixin, serializers.Serializer):
    severity = serializers.CharField()
    reason = serializers.CharField(max_length=case_domain.REASON_MAX, allow_blank=True)


class MessageSerializer(RefuseReadOnlyMixin, serializers.Serializer):
    message = serializers.CharField(
        max_length=case_domain.NOTE_MAX, required=False, allow_blank=True, default=""
    )


class SummarySerializer(RefuseReadOnlyMixin, serializers.Serializer):
    summary = serializers.CharField(
        max_length=case_domain.NOTE_MAX, required=False, allow_blank=True, default=""
    )


class ReasonSerializer(RefuseReadOnlyMixin, serializers.Serializer):
    reason = serializers.CharField(
        max_length=case_domain.REASON_MAX, required=False, allow_blank=True, default=""
    )


class CaseRateSerializer(RefuseReadOnlyMixin, serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(
        max_length=case_domain.NOTE_MAX, required=False, allow_blank=True, default=""
    )


class AssignSerializer(RefuseReadOnlyMixin, serializers.Serializer):
    assignee = id_field()


class ScopeFlagSerializer(RefuseReadOnlyMixin, serializers.Serializer):
    code = serializers.CharField()


class BestEffortSerializer(RefuseReadOnlyMixin, serializers.Serializer):
    help = serializers.BooleanField()
    note = serializers.CharField(
        max_length=case_domain.NOTE_MAX, required=False, allow_blank=True, default=""
    )


class UploadSerializer(RefuseReadOnlyMixin, serializers.Serializer):
    file = serializers.FileField()
    internal = serializers.BooleanField(required=False, default=False)


class DetectSerializer(RefuseReadOnlyMixin, serializers.Serializer):
    provider = serializers.CharField()
    text = serializers.CharField(max_length=case_domain.DESCRIPTION_MAX, allow_blank=True)


# --------------------------------------------------------------------------- helpers


def _provider_for(user: User, tenant: Any, requested: str | None) -> str:
    if requested:
        return requested
    entitlements = upstream.plans_in_force(tenant, clock.now())
    if len(entitlements) == 1:
        return entitlements[0].provider
    raise case_domain.provider_required([e.provider for e in entitlements])


def _system_for(tenant: Any, system_id: int | None) -> RegisteredSystem | None:
    if system_id is None:
        return None
    system = RegisteredSystem.objects.for_tenant(tenant).filter(pk=system_id).first()
    if system is None:
        raise NotFound(case_domain.WHAT_SYSTEM)
    return system


CASE_FILTERS = [
    OpenApiParameter("state", str, many=True, description="open, in_progress, ..."),
    OpenApiParameter("severity", str, many=True),
    OpenApiParameter("provider", str),
    OpenApiParameter("tenant", int, description="Staff: one tenant's cases."),
    OpenApiParameter("assignee", int),
    OpenApiParameter("queue", str),
    OpenApiParameter("active", bool),
    OpenApiParameter("out_of_scope", bool),
    OpenApiParameter("q", str, description="Search subject and description, or #id."),
]


def _bool(value: str | None) -> bool | None:
    if value in (None, ""):
        return None
    return value.lower() in ("1", "true", "yes")


def _int(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)  # type: ignore[arg-type]
    except ValueError:
        raise case_domain.invalid_filter(name) from None


# --------------------------------------------------------------------------- views


class CaseViewSet(viewsets.GenericViewSet):
    serializer_class = CaseSerializer
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.cases_visible_to(user_of(self.request))

    def _case(self, pk: Any) -> Case:
        return selectors.case_for(user_of(self.request), pk)

    def _detail(self, case: Case, code: int = 200) -> Response:
        """The case after an action, as the caller may still see it; when the action moved it
        out of their sight (escalated past their tier), where it went: the action succeeded,
        so never a 404."""
        try:
            fresh = selectors.case_for(user_of(self.request), case.pk)
        except NotFound:
            moved = Case.objects.select_related("assignee").get(pk=case.pk)
            return Response(moved_body(moved), status=code)
        return Response(
            CaseDetailSerializer(fresh, context=self.get_serializer_context()).data, status=code
        )

    def _input(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        return validated(serializer_class, self.request)

    @extend_schema(parameters=CASE_FILTERS, summary="List and search cases I may see")
    def list(self, request: Request) -> Response:
        params = request.query_params
        filters = selectors.CaseFilters(
            state=params.getlist("state") or None,
            severity=params.getlist("severity") or None,
            provider=params.get("provider") or None,
            tenant_id=_int(params.get("tenant"), "tenant"),
            assignee_id=_int(params.get("assignee"), "assignee"),
            queue=params.get("queue") or None,
            active=_bool(params.get("active")),
            out_of_scope=_bool(params.get("out_of_scope")),
            search=params.get("q", ""),
        )
        page = self.paginate_queryset(selectors.case_list(user_of(request), filters))
        data = CaseSerializer(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    @extend_schema(
        request=OpenCaseSerializer,
        responses={201: CaseSerializer},
        summary="Open a case (staff: record a call for a customer)",
    )
    def create(self, request: Request) -> Response:
        user = user_of(request)
        data = self._input(OpenCaseSerializer)
        requester = None
        if perms.is_staff(user):
            tenant = perms.tenant_for(user, data.pop("tenant", None))
            requester_id = data.pop("requester", None)
            if requester_id is not None:
                requester = User.objects.filter(pk=requester_id, tenant=tenant).first()
                if requester is None:
                    raise NotFound(case_domain.WHAT_REQUESTER)
        else:
            data.pop("tenant", None)
            data.pop("requester", None)
            tenant = perms.tenant_for(user, None)
        system = _system_for(tenant, data.pop("system", None))
        provider = _provider_for(user, tenant, data.pop("provider", None))
        case = services.case_open(
            actor=user,
            tenant=tenant,
            provider=provider,
            requester=requester,
            system=system,
            now=clock.now(),
            **data,
        )
        # The new case without thread or live replay: its SLA columns say everything yet.
        body = CaseSerializer(case, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(responses=CaseDetailSerializer, summary="A case with its thread and SLA state")
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(
            CaseDetailSerializer(self._case(pk), context=self.get_serializer_context()).data
        )

    @extend_schema(request=BodySerializer, responses=CASE_AFTER_ACTION, summary="Public reply")
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: str | None = None) -> Response:
        case = self._case(pk)
        services.case_reply(
            actor=user_of(request), case=case, body=self._input(BodySerializer)["body"],
            now=clock.now(),
        )  # fmt: skip
        return self._detail(case)

    @extend_schema(
        request=BodySerializer,
        responses={201: CASE_AFTER_ACTION},
        summary="Internal note (staff)",
    )
    @action(detail=True, methods=["post"])
    def notes(self, request: Request, pk: str | None = None) -> Response:
        case = self._case(pk)
        services.case_add_note(
            actor=user_of(request), case=case, body=self._input(BodySerializer)["body"],
            now=clock.now(),
        )  # fmt: skip
        return self._detail(case, status.HTTP_201_CREATED)

    @extend_schema(
        request=SeveritySerializer, responses=CASE_AFTER_ACTION, summary="Change severity"
    )
    @action(detail=True, methods=["post"])
    def severity(self, request: Request, pk: str | None = None) -> Response:
        case = self._case(pk)
        data = self._input(SeveritySerializer)
        services.case_change_severity(actor=user_of(request), case=case, now=clock.now(), **data)
        return self._detail(case)

    @extend_schema(
        request=MessageSerializer, responses=CASE_AFTER_ACTION, summary="Wait on customer"
    )
    @action(detail=True, methods=["post"])
    def wait(self, request: Request, pk: str | None = None) -> Response:
        case = self._case(pk)
        services.case_wait_on_customer(
            actor=user_of(request), case=case, now=clock.now(), **self._input(MessageSerializer)
        )
        return self._detail(case)

    @extend_schema(request=None, responses=CASE_AFTER_ACTION, summary="Resume a waiting case")
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        case = self._case(pk)
        services.case_resume(actor=user_of(request), case=case, now=clock.now())
        return self._detail(case)

    @extend_schema(request=SummarySerializer, responses=CASE_AFTER_ACTION, summary="Resolve")
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        case = self._case(pk)
        services.case_resolve(
            actor=user_of(request), case=case, now=clock.now(), **self._input(SummarySerializer)
        )
        return self._detail(case)

    @extend_schema(request=ReasonSerializer, responses=CASE_AFTER_ACTION, summary="Reopen")
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        case = self._case(pk)
        services.case_reopen(
            actor=user_of(request), case=case, now=clock.now(), **self._input(ReasonSerializer)
        )
        return self._detail(case)

    @extend_schema(request=None, responses=CASE_AFTER_ACTION, summary="Close")
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        case = self._case(pk)
        services.case_close(actor=user_of(request), case=case, now=clock.now())
        return self._detail(case)

    @extend_schema(request=CaseRateSerializer, responses=CASE_AFTER_ACTION, summary="Rate (1–5)")
    @action(detail=True, methods=["post"])
    def rate(self, request: Request, pk: str | None = None) -> Response:
        case = self._case(pk)
        services.case_rate(
            actor=user_of(request), case=case, now=clock.now(), **self._input(CaseRateSerializer)
        )
        return self._detail(case)

    @extend_schema(request=AssignSerializer, responses=CASE_AFTER_ACTION, summary="Assign")
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        case = self._case(pk)
        assignee_id = self._input(AssignSerializer)["assignee"]
        assignee = User.objects.filter(pk=assignee_id, tenant__isnull=True).first()
        if assignee is None:
            raise NotFound(case_domain.WHAT_ASSIGNEE)
        services.case_assign(actor=user_of(request), case=case, assignee=assignee, now=clock.now())
        return self._detail(case)

    @extend_schema(request=None, responses=CASE_AFTER_ACTION, summary="Take the case myself")
    @action(detail=True, methods=["post"])
    def take(self, request: Request, pk: str | None = None) -> Response:
        case = self._case(pk)
        services.case_take(actor=user_of(request), case=case, now=clock.now())
        return self._detail(case)

    @extend_schema(request=ReasonSerializer, responses=CASE_AFTER_ACTION, summary="Escalate")
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, pk: str | None = None) -> Response:
        case = self._case(pk)
        services.case_escalate(
            actor=user_of(request), case=case, now=clock.now(), **self._input(ReasonSerializer)
        )
        return self._detail(case)

    @extend_schema(
        request=ScopeFlagSerializer, responses=CASE_AFTER_ACTION, summary="Flag out of scope"
    )
    @action(detail=True, methods=["post"], url_path="out-of-scope")
    def out_of_scope(self, request: Request, pk: str | None = None) -> Response:
        case = self._case(pk)
        services.case_flag_out_of_scope(
            actor=user_of(request), case=case, now=clock.now(),
            code=self._input(ScopeFlagSerializer)["code"],
        )  # fmt: skip
        return self._detail(case)

    @extend_schema(
        request=BestEffortSerializer,
        responses=CASE_AFTER_ACTION,
        summary="Decide best-effort help for an out-of-scope case",
    )
    @action(detail=True, methods=["post"], url_path="best-effort")
    def best_effort(self, request: Request, pk: str | None = None) -> Response:
        case = self._case(pk)
        services.case_decide_best_effort(
            actor=user_of(request), case=case, now=clock.now(), **self._input(BestEffortSerializer)
        )
        return self._detail(case)

    @extend_schema(methods=["GET"], request=None, responses=AttachmentSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": UploadSerializer},
        responses={201: AttachmentSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def attachments(self, request: Request, pk: str | None = None) -> Response:
        case = self._case(pk)
        user = user_of(request)
        if request.method == "POST":
            data = self._input(UploadSerializer)
            attachment = attachments.case_attach(
                actor=user, case=case, upload=data["file"], internal=data["internal"],
                now=clock.now(),
            )  # fmt: skip
            return Response(AttachmentSerializer(attachment).data, status=201)
        return Response(AttachmentSerializer(selectors.attachments_of(case, user), many=True).data)

    # The file is served with its own content type, whatever it is.
    @extend_schema(responses={(200, "*/*"): OpenApiTypes.BINARY})
    @action(
        detail=True,
        methods=["get"],
        url_path="attachments/<int:attachment_id>/download",
    )
    def download(self, request: Request, pk: str | None = None, attachment_id: str = "") -> Any:
        case = self._case(pk)
        attachment = selectors.attachment_for(user_of(request), case, attachment_id)
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        return FileResponse(
            handle,
            as_attachment=True,
            filename=attachment.name,
            content_type=attachment.content_type,
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("provider", str),
            OpenApiParameter("tenant", int, description="Staff: whose plan."),
        ],
        responses=OpenApiTypes.OBJECT,
        summary="Severities and channels my plan allows, with their targets",
    )
    @action(detail=False, methods=["get"])
    def entitlements(self, request: Request) -> Response:
        user = user_of(request)
        tenant = perms.tenant_for(
            user, request.query_params.get("tenant") if perms.is_staff(user) else None
        )
        now = clock.now()
        wanted = request.query_params.get("provider")
        result = []
        for ent in upstream.plans_in_force(tenant, now):
            if wanted and ent.provider != wanted:
                continue
            catalog = upstream.catalog_for_version(ent.catalog_version_id)
            plan = catalog.plan(ent.plan_code)
            result.append(
                {
                    "provider": ent.provider,
                    "plan": plan.code,
                    "plan_name": _text(plan.name),
                    "catalog_version_id": ent.catalog_version_id,
                    "handler_tier": plan.handler_tier,
                    "response_note": _text(plan.response_note),
                    "severities": [
                        {
                            "code": st.severity.code,
                            "name": _text(st.severity.name),
                            "definition": _text(st.severity.definition),
                            "urgent": st.severity.urgent,
                            "system_classes": list(st.severity.system_classes),
                            "first_response_minutes": int(
                                st.targets.first_response.total_seconds() // 60
                            ),
                        }
                        for st in plan.severity_targets
                    ],
                    "channels": [
                        {
                            "code": pc.code,
                            "name": _text(pc.name),
                            "calendar": pc.channel.calendar,
                            "contact": _text(pc.channel.contact),
                            "staff_logged": pc.channel.staff_logged,
                            "platforms": [
                                {"code": p.code, "name": _text(p.name)}
                                for p in pc.channel.platforms
                            ],
                        }
                        for pc in plan.channels
                    ],
                }
            )
        if wanted and not result:
            catalog_now = upstream.current_catalog(wanted)
            if catalog_now is None:
                raise NotFound(case_domain.WHAT_PROVIDER)
            raise case_domain.no_plan_error(catalog_now)
        return Response({"tenant": tenant.pk, "plans": result})

    @extend_schema(
        request=DetectSerializer,
        responses=OpenApiTypes.OBJECT,
        summary="Find third-party software named in a description (to prefill the fields)",
    )
    @action(detail=False, methods=["post"], url_path="detect-software")
    def detect_software(self, request: Request) -> Response:
        data = self._input(DetectSerializer)
        catalog = upstream.current_catalog(data["provider"])
        if catalog is None:
            raise NotFound(case_domain.WHAT_PROVIDER)
        found = []
        for d in detect_software(catalog, data["text"]):
            check = scope_check(catalog, d.software.code, d.version, d.platform)
            found.append(
                {
                    "software": d.software.code,
                    "name": _text(d.software.name),
                    "version": d.version,
                    "platform": d.platform,
                    "matched": d.matched,
                    "start": d.start,
                    "in_scope": check.in_scope,
                    "reason_code": check.reason_code,
                    "reason": _text(check.reason),
                    "where_to_go": _text(check.where_to_go),
                }
            )
        return Response({"detections": found})

    @extend_schema(
        parameters=[OpenApiParameter("mine", bool)],
        responses=CaseSerializer(many=True),
        summary="Agent queue: cases I may work, most urgent SLA first (max 50)",
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def queue(self, request: Request) -> Response:
        user = user_of(request)
        if not perms.is_staff(user):
            raise case_domain.queue_staff_only()
        rows = selectors.agent_queue(user, mine=bool(_bool(request.query_params.get("mine"))))
        return Response(CaseSerializer(rows, many=True, context=self.get_serializer_context()).data)


class BenchCeilingView(APIView):
    """Benchmark ceiling: the same stack (auth, DRF, one INSERT), no case logic.

    Answers 404 unless the server runs with SUPPORTPLAN_BENCH_CEILING=1 (benchmarks only).
    """

    @extend_schema(exclude=True)
    def post(self, request: Request) -> Response:
        if os.environ.get("SUPPORTPLAN_BENCH_CEILING") != "1":
            raise Http404
        user = user_of(request)
        now = clock.now()
        AuditEntry.objects.create(action="bench.ceiling", at=now, actor=user, data={"n": 1})
        return Response({"ok": True}, status=201)
