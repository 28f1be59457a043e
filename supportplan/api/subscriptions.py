"""Buying and running a support plan over HTTP: plans for sale, quote, order, agreement,
payment (and staff confirmation of bank transfers), subscription state with entitlements and
quota balances, plan changes with a preview, statements (JSON and CSV).

Tenant-scoped by construction: customers act on their own tenant (a `tenant` they send is
checked, another tenant answers 404); orders, payments and subscriptions are fetched through
tenant-scoped querysets, so another tenant's id answers 404 on every endpoint. Money is an
exact decimal string in CNY.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from supportplan.accounts import permissions as perms
from supportplan.accounts.models import Tenant, User
from supportplan.catalog import selectors as catalog_selectors
from supportplan.catalog.domain import Catalog, Plan
from supportplan.core import clock
from supportplan.core.tenancy import for_tenant
from supportplan.subscriptions import domain, payments, selectors, services
from supportplan.subscriptions.models import (
    Order,
    Payment,
    Subscription,
)

from .catalog import TextField
from .permissions import user_of
from .serializers import BlankChoicesMixin, RefuseReadOnlyMixin, id_field, validated

TENANT_PARAM = OpenApiParameter(
    "tenant", OpenApiTypes.INT, description="Staff: the tenant (customers: always their own)."
)


def _visible(qs: Any, user: User) -> Any:
    """Customers see their own tenant's rows only; provider staff see every tenant's."""
    if perms.is_staff(user):
        return qs
    return for_tenant(qs, user.tenant)


def _tenant(request: Request, value: Any = None) -> Tenant:
    user = user_of(request)
    if value in (None, ""):
        value = request.query_params.get("tenant") or (
            request.data.get("tenant") if hasattr(request.data, "get") else None
        )
    return perms.tenant_for(user, value)


def _lang_text(pair: dict[str, str]) -> str:
    lang = (get_language() or "en").lower()
    return pair.get("zh-hans", "") if lang.startswith("zh") else pair.get("en", "")


# --------------------------------------------------------------------------- plans for sale


def _minutes(value: Any) -> int | None:
    return None if value is None else int(value.total_seconds() // 60)


def plan_entitlements(catalog: Catalog, plan: Plan, term: str | None) -> dict[str, Any]:
    """What a plan gives (from its catalog version), and which services the term includes."""
    return {
        "handler_tier": plan.handler_tier,
        "channels": [
            {"code": pc.code, "name": pc.name.as_dict(), "calendar": pc.channel.calendar}
            for pc in plan.channels
        ],
        "severities": [
            {
                "code": st.severity.code,
                "name": st.severity.name.as_dict(),
                "first_response_minutes": _minutes(st.targets.first_response),
            }
            for st in plan.severity_targets
        ],
        "features": [{"code": f.code, "name": f.name.as_dict()} for f in plan.features],
        "services": [
            {
                "code": g.code,
                "name": g.service.name.as_dict(),
                "unit": g.service.unit,
                "quota_per_year": g.quota,
                "max_requests": g.max_requests,
                "terms": list(g.terms),
                "paid": g.paid,
                "price_per_unit": str(g.service.price) if g.service.price is not None else None,
                "included_in_term": term in g.terms if term else None,
                "lead_time": (
                    {
                        "working_days": g.service.lead_time.working_days,
                        "enforcement": g.service.lead_time.enforcement,
                    }
                    if g.service.lead_time
                    else None
                ),
                "locks_order": g.service.locks_order,
            }
            for g in plan.services
        ],
    }


class PlansForSaleView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("provider", OpenApiTypes.STR)],
        responses={200: {"type": "array", "items": {"type": "object"}}},
        summary="Plans for sale with their prices",
    )
    def get(self, request: Request) -> Response:
        wanted = request.query_params.get("provider")
        catalogs = catalog_selectors.current_catalogs()
        if wanted and wanted not in catalogs:
            raise services.not_found(catalog_selectors.Provider)
        body = []
        for code, catalog in sorted(catalogs.items()):
            if wanted and code != wanted:
                continue
            body.append(
                {
                    "provider": code,
                    "provider_name": catalog.provider.name.as_dict(),
                    "currency": catalog.provider.currency,
                    "agreement_version": catalog.agreement.version if catalog.agreement else "",
                    "agreement": (
                        {
                            "version": catalog.agreement.version,
                            "effective": catalog.agreement.effective.isoformat(),
                            "title": catalog.agreement.title.as_dict(),
                            "text": catalog.agreement.text.as_dict(),
                        }
                        if catalog.agreement
                        else None
                    ),
                    "durations": {
                        "monthly": list(range(1, domain.MAX_MONTHS + 1)),
                        "annual": list(range(1, domain.MAX_YEARS + 1)),
                    },
                    "plans": [
                        {
                            "code": p.code,
                            "rank": p.rank,
                            "name": p.name.as_dict(),
                            "summary": p.summary.as_dict() if p.summary else None,
                            "monthly_price": str(domain.money(p.monthly_price)),
                            "annual_price": str(domain.money(p.annual_price)),
                            "billing_terms": list(p.billing_terms),
                            "requires_technical_contact": p.requires_technical_contact,
                            **plan_entitlements(catalog, p, None),
                        }
                        for p in catalog.purchasable_plans()
                    ],
                    "payment_methods": [
                        {"code": c, "name": str(payments.PROVIDERS[c].name)}
                        for c in payments.enabled_codes()
                    ],
                }
            )
        return Response(body)


# --------------------------------------------------------------------------- quote & orders


class QuoteRequestSerializer(RefuseReadOnlyMixin, serializers.Serializer):
    tenant = id_field(required=False)
    provider = serializers.CharField()
    plan = serializers.CharField()
    term = serializers.ChoiceField(choices=domain.TERMS)
    count = serializers.IntegerField(min_value=1, max_value=36)
    auto_renew = serializers.BooleanField(required=False, default=False)


class PaymentSerializer(BlankChoicesMixin, serializers.ModelSerializer[Payment]):
    class Meta:
        model = Payment
        fields = [
            "id",
            "provider",
            "status",
            "amount",
            "reference",
            "instructions",
            "created_at",
            "completed_at",
            "failure_reason",
        ]
        read_only_fields = fields


class AcceptedAgreementSerializer(serializers.Serializer):
    version = serializers.CharField()
    effective = serializers.DateField()
    title = TextField()
    catalog_version_id = serializers.IntegerField(
        help_text="the stored catalog version the accepted text was read from"
    )


class OrderSerializer(BlankChoicesMixin, serializers.ModelSerializer[Order]):
    number = serializers.CharField(read_only=True)
    provider = serializers.CharField(source="provider_code")
    plan = serializers.CharField(source="plan_code")
    service = serializers.CharField(source="service_code")
    payments = PaymentSerializer(many=True, read_only=True)
    agreement = serializers.SerializerMethodField()

    @extend_schema_field(AcceptedAgreementSerializer(allow_null=True))
    def get_agreement(self, obj: Order) -> dict[str, Any] | None:
        """The agreement the order was accepted under (null until accepted)."""
        found = selectors.agreement_of(obj)
        if found is None:
            return None
        return {
            "version": found.version,
            "effective": found.effective.isoformat(),
            "title": found.title.as_dict(),
            "catalog_version_id": obj.agreement_catalog_version_id,
        }

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "tenant",
            "subscription",
            "kind",
            "status",
            "provider",
            "plan",
            "term",
            "count",
            "months",
            "monthly_price",
            "amount",
            "currency",
            "service",
            "quantity",
            "base_order",
            "period_start",
            "period_end",
            "auto_renew",
            "agreement_version",
            "agreement_accepted_at",
            "agreement",
            "locked_at",
            "locked_by_service",
            "placed_at",
            "paid_at",
            "fulfilled_at",
            "cancelled_at",
            "payments",
        ]
        read_only_fields = fields


class AgreementSerializer(RefuseReadOnlyMixin, serializers.Serializer):
    agreement_version = serializers.CharField()
    accept = serializers.BooleanField()


class PaySerializer(RefuseReadOnlyMixin, serializers.Serializer):
    method = serializers.CharField()


class QuoteView(APIView):
    @extend_schema(request=QuoteRequestSerializer, responses=OpenApiTypes.OBJECT, summary="Quote")
    def post(self, request: Request) -> Response:
        data = validated(QuoteRequestSerializer, request)
        tenant = _tenant(request, data.get("tenant"))
        quote = services.order_quote(
            tenant=tenant,
            provider_code=data["provider"],
            plan_code=data["plan"],
            term=data["term"],
            count=data["count"],
            now=clock.now(),
        )
        return Response(quote.as_dict())


def _orders(user: User) -> Any:
    return _visible(Order.objects.all(), user).select_related("plan").prefetch_related("payments")


class OrderViewSet(viewsets.GenericViewSet):
    serializer_class = OrderSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = _orders(user_of(self.request))
        tenant = self.request.query_params.get("tenant")
        if tenant:
            qs = qs.filter(tenant=_tenant(self.request, tenant))
        status = self.request.query_params.get("status")
        return qs.filter(status=status) if status else qs

    def _get(self, pk: Any) -> Order:
        try:
            return _orders(user_of(self.request)).get(pk=int(pk))
        except (Order.DoesNotExist, ValueError, TypeError):
            raise services.not_found(Order) from None

    @extend_schema(parameters=[TENANT_PARAM])
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(OrderSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(OrderSerializer(self._get(pk)).data)

    @extend_schema(request=QuoteRequestSerializer, responses=OrderSerializer, summary="Place")
    def create(self, request: Request) -> Response:
        data = validated(QuoteRequestSerializer, request)
        tenant = _tenant(request, data.get("tenant"))
        perms.require_may_buy(user_of(request), tenant)
        order = services.order_place(
            tenant=tenant,
            actor=user_of(request),
            provider_code=data["provider"],
            plan_code=data["plan"],
            term=data["term"],
            count=data["count"],
            auto_renew=data["auto_renew"],
            now=clock.now(),
        )
        return Response(OrderSerializer(self._get(order.pk)).data, status=201)

    @extend_schema(request=AgreementSerializer, responses=OrderSerializer)
    @action(detail=True, methods=["post"], url_path="accept-agreement")
    def accept_agreement(self, request: Request, pk: str | None = None) -> Response:
        order = self._get(pk)
        perms.require_may_buy(user_of(request), order.tenant)
        data = validated(AgreementSerializer, request)
        if not data["accept"]:
            services.refuse_unaccepted(order)
        services.order_accept_agreement(
            order=order,
            actor=user_of(request),
            version=data["agreement_version"],
            now=clock.now(),
        )
        return Response(OrderSerializer(self._get(pk)).data)

    @extend_schema(request=PaySerializer, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def pay(self, request: Request, pk: str | None = None) -> Response:
        order = self._get(pk)
        perms.require_may_buy(user_of(request), order.tenant)
        data = validated(PaySerializer, request)
        services.order_pay(
            order=order,
            actor=user_of(request),
            method=data["method"],
            now=clock.now(),
        )
        return Response(OrderSerializer(self._get(pk)).data)

    @extend_schema(request=None, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        order = self._get(pk)
        perms.require_may_buy(user_of(request), order.tenant)
        services.order_cancel(order=order, actor=user_of(request), now=clock.now())
        return Response(OrderSerializer(self._get(pk)).data)


# --------------------------------------------------------------------------- payments (staff)


class ConfirmPaymentSerializer(RefuseReadOnlyMixin, serializers.Serializer):
    idempotency_key = serializers.CharField(required=False, allow_blank=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    reference = serializers.CharField(required=False, allow_blank=True, default="")
    result = serializers.ChoiceField(
        choices=["succeeded", "failed"], required=False, default="succeeded"
    )


class PaymentViewSet(viewsets.GenericViewSet):
    """Staff confirm bank transfers; the test gateway's callback is replayed here too.
    The idempotency key comes from the body or the `Idempotency-Key` header."""

    serializer_class = PaymentSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return _visible(Payment.objects.all(), user_of(self.request)).select_related("order")

    def _get(self, pk: Any) -> Payment:
        try:
            return self.get_queryset().get(pk=int(pk))
        except (Payment.DoesNotExist, ValueError, TypeError):
            raise services.not_found(Payment) from None

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(PaymentSerializer(self._get(pk)).data)

    @extend_schema(request=ConfirmPaymentSerializer, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        payment = self._get(pk)
        perms.require_may_confirm_payments(user_of(request))
        data = validated(ConfirmPaymentSerializer, request)
        key = data.get("idempotency_key") or request.headers.get("Idempotency-Key", "")
        if data["result"] == "failed":
            services.payment_fail(
                payment=payment,
                idempotency_key=key,
                actor=user_of(request),
                now=clock.now(),
                reason=data["reference"],
            )
        else:
            services.payment_succeed(
                payment=payment,
                idempotency_key=key,
                amount=data["amount"],
                actor=user_of(request),
                now=clock.now(),
                reference=data["reference"],
            )
        return Response(OrderSerializer(_orders(user_of(request)).get(pk=payment.order_id)).data)


# --------------------------------------------------------------------------- subscriptions


def _lock_info(order: Order | None) -> dict[str, Any] | None:
    if order is None or order.locked_at is None:
        return None
    return {
        "since": domain.local_date(order.locked_at).isoformat(),
        "locked_at": order.locked_at.isoformat(),
        "service": order.locked_by_service,
    }


def subscription_state(subscription: Subscription, now: Any) -> dict[str, Any]:
    period = selectors.current_period(subscription, now)
    catalog = catalog_selectors.catalog_for_version(subscription.plan.catalog_version_id)
    in_force = None
    entitlements = None
    if period is not None:
        catalog = catalog_selectors.catalog_for_version(period.plan.catalog_version_id)
        plan = catalog.plan(period.plan_code)
        base = period.base_order
        in_force = {
            "plan": plan.code,
            "plan_name": plan.name.as_dict(),
            "term": period.term,
            "starts_at": period.starts_at.isoformat(),
            "ends_at": period.ends_at.isoformat(),
            "order": base.number,
            "order_id": base.pk,
            "period_start": base.period_start.isoformat() if base.period_start else None,
            "period_end": base.period_end.isoformat() if base.period_end else None,
            "catalog_version_id": period.plan.catalog_version_id,
        }
        entitlements = plan_entitlements(catalog, plan, period.term)
        lock = _lock_info(base)
    else:
        lock = None
    upcoming = [
        {
            "plan": p.plan_code,
            "term": p.term,
            "starts_at": p.starts_at.isoformat(),
            "ends_at": p.ends_at.isoformat(),
        }
        for p in selectors.future_periods(subscription, now)
    ]
    return {
        "id": subscription.pk,
        "tenant": subscription.tenant_id,
        "provider": subscription.provider_code,
        "plan": subscription.plan_code,
        "status": subscription.status,
        "auto_renew": subscription.auto_renew,
        "next_plan": subscription.next_plan_code or None,
        "cancel_at_period_end": subscription.cancel_at_period_end,
        "started_at": subscription.started_at.isoformat() if subscription.started_at else None,
        "paid_until": subscription.ends_at.isoformat() if subscription.ends_at else None,
        "in_force": in_force,
        "upcoming": upcoming,
        "entitlements": entitlements,
        "quotas": [
            b.as_dict()
            for b in selectors.quota_balances(subscription.tenant, subscription.provider_code, now)
        ],
        "lock": lock,
        "currency": catalog.provider.currency,
    }


class ChangeSerializer(RefuseReadOnlyMixin, serializers.Serializer):
    plan = serializers.CharField()


class AutoRenewSerializer(RefuseReadOnlyMixin, serializers.Serializer):
    auto_renew = serializers.BooleanField()


class SubscriptionViewSet(viewsets.GenericViewSet):
    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = _visible(Subscription.objects.all(), user_of(self.request)).select_related(
            "plan", "tenant"
        )
        tenant = self.request.query_params.get("tenant")
        return qs.filter(tenant=_tenant(self.request, tenant)) if tenant else qs

    def _get(self, pk: Any) -> Subscription:
        try:
            return self.get_queryset().get(pk=int(pk))
        except (Subscription.DoesNotExist, ValueError, TypeError):
            raise services.not_found(Subscription) from None

    @extend_schema(
        parameters=[TENANT_PARAM], responses=OpenApiTypes.OBJECT, operation_id="subscriptions_list"
    )
    def list(self, request: Request) -> Response:
        now = clock.now()
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([subscription_state(s, now) for s in page or []])

    @extend_schema(responses=OpenApiTypes.OBJECT, summary="State, entitlements, quota balances")
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(subscription_state(self._get(pk), clock.now()))

    @extend_schema(
        parameters=[OpenApiParameter("plan", OpenApiTypes.STR)],
        responses=OpenApiTypes.OBJECT,
        summary="Preview a plan change: price and effective date (no plan: unsubscribe)",
    )
    @action(detail=True, methods=["get"], url_path="change-preview")
    def change_preview(self, request: Request, pk: str | None = None) -> Response:
        subscription = self._get(pk)
        preview = services.subscription_change_preview(
            subscription=subscription,
            plan_code=request.query_params.get("plan") or None,
            now=clock.now(),
        )
        return Response(preview.as_dict())

    @extend_schema(request=ChangeSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"])
    def change(self, request: Request, pk: str | None = None) -> Response:
        subscription = self._get(pk)
        perms.require_may_buy(user_of(request), subscription.tenant)
        data = validated(ChangeSerializer, request)
        result = services.subscription_change(
            subscription=subscription,
            actor=user_of(request),
            plan_code=data["plan"],
            now=clock.now(),
        )
        if isinstance(result, Order):
            return Response(
                {
                    "kind": "upgrade",
                    "order": OrderSerializer(_orders(user_of(request)).get(pk=result.pk)).data,
                },
                status=201,
            )
        return Response(
            {"kind": "downgrade", "subscription": subscription_state(result, clock.now())}
        )

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"])
    def unsubscribe(self, request: Request, pk: str | None = None) -> Response:
        subscription = self._get(pk)
        perms.require_may_buy(user_of(request), subscription.tenant)
        services.subscription_unsubscribe(
            subscription=subscription, actor=user_of(request), now=clock.now()
        )
        return Response(subscription_state(self._get(pk), clock.now()))

    @extend_schema(request=AutoRenewSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"], url_path="auto-renew")
    def auto_renew(self, request: Request, pk: str | None = None) -> Response:
        subscription = self._get(pk)
        perms.require_may_buy(user_of(request), subscription.tenant)
        data = validated(AutoRenewSerializer, request)
        services.subscription_set_auto_renew(
            subscription=subscription,
            actor=user_of(request),
            auto_renew=data["auto_renew"],
            now=clock.now(),
        )
        return Response(subscription_state(self._get(pk), clock.now()))

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str | None = None) -> Response:
        """Start a paid plan that waited for a technical contact (once one is named)."""
        subscription = self._get(pk)
        perms.require_may_buy(user_of(request), subscription.tenant)
        tenant = subscription.tenant
        services.require_technical_contact(tenant)
        services.subscription_start_waiting(tenant=tenant, now=clock.now())
        return Response(subscription_state(self._get(pk), clock.now()))


# --------------------------------------------------------------------------- statements

STATEMENT_COLUMNS = [
    "date",
    "order",
    "kind",
    "provider",
    "plan",
    "description",
    "period_start",
    "period_end",
    "amount",
    "currency",
]


def _statement_rows(lines: Any) -> list[dict[str, Any]]:
    rows = []
    for line in lines:
        rows.append(
            {
                "date": domain.local_date(line.at).isoformat(),
                "order": line.order.number if line.order_id else "",
                "kind": line.kind,
                "provider": line.provider_code,
                "plan": line.plan_code,
                "description": _lang_text(line.description),
                "period_start": line.period_start.isoformat() if line.period_start else "",
                "period_end": line.period_end.isoformat() if line.period_end else "",
                "amount": str(line.amount),
                "currency": line.currency,
            }
        )
    return rows


def _date_param(request: Request, name: str) -> date | None:
    return services.parse_statement_date(name, request.query_params.get(name))


STATEMENT_PARAMS = [
    TENANT_PARAM,
    OpenApiParameter("from", OpenApiTypes.DATE),
    OpenApiParameter("until", OpenApiTypes.DATE, description="exclusive"),
]


def _statement_lines(request: Request) -> tuple[Tenant, Any]:
    tenant = _tenant(request)
    lines = selectors.statement_of(
        tenant, start=_date_param(request, "from"), end=_date_param(request, "until")
    ).select_related("order")
    return tenant, lines


class StatementView(APIView):
    @extend_schema(parameters=STATEMENT_PARAMS, responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        tenant, lines = _statement_lines(request)
        rows = _statement_rows(lines)
        total = sum((line.amount for line in lines), Decimal("0"))
        return Response({"tenant": tenant.pk, "lines": rows, "total": str(domain.money(total))})


class StatementCsvView(APIView):
    @extend_schema(parameters=STATEMENT_PARAMS, responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request: Request) -> HttpResponse:
        tenant, lines = _statement_lines(request)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=STATEMENT_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(_statement_rows(lines))
        # A BOM so spreadsheet programs open the Chinese text as UTF-8.
        response = HttpResponse(
            "\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="statement-{tenant.slug}.csv"'
        return response


def urlpatterns() -> list[Any]:
    from django.urls import path

    return [
        path("plans/", PlansForSaleView.as_view(), name="plans-for-sale"),
        path("quotes/", QuoteView.as_view(), name="quote"),
        path("statements/", StatementView.as_view(), name="statement"),
        path("statements/csv/", StatementCsvView.as_view(), name="statement-csv"),
    ]


def register(router: Any) -> None:
    router.register("orders", OrderViewSet, basename="order")
    router.register("payments", PaymentViewSet, basename="payment")
    router.register("subscriptions", SubscriptionViewSet, basename="subscription")
