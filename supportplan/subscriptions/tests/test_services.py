"""Each seed plan's purchase, renewal, expiry, upgrade (exact amount), refused downgrade,
payments that never charge twice, statements and the quota ledger."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from supportplan.catalog import selectors as catalog_selectors
from supportplan.core.audit import audit_trail
from supportplan.core.errors import DomainError
from supportplan.core.models import AuditEntry
from supportplan.core.testing import T0, make_tenant
from supportplan.subscriptions import domain, selectors, services
from supportplan.subscriptions.models import (
    OrderStatus,
    Payment,
    PaymentStatus,
    StatementLine,
    SubscriptionStatus,
)

from .factories import buy, shanghai, upgrade

pytestmark = pytest.mark.django_db


def balances(tenant, provider, at):
    return {
        b.service_code: (b.granted, b.available)
        for b in selectors.quota_balances(tenant, provider, at)
    }


@pytest.mark.parametrize(
    "provider,plan,term,count,amount,period_end,quotas",
    [
        ("partner", "basic", "monthly", 1, "480.00", "2026-12-23", {}),
        ("partner", "dedicated", "annual", 1, "312000.00", "2027-11-23", {"escort": (1, 1)}),
        ("partner", "dedicated", "monthly", 3, "78000.00", "2027-02-23", {}),
        (
            "partner",
            "vip",
            "annual",
            1,
            "600000.00",
            "2027-11-23",
            {"availability_check": (1, 1), "monitoring_optimisation": (1, 1), "escort": (3, 3)},
        ),
        ("tencent", "s3", "monthly", 2, "6000.00", "2027-01-23", {}),
        ("tencent", "s2", "annual", 1, "240000.00", "2027-11-23", {}),
        ("tencent", "s1", "annual", 2, "1440000.00", "2028-11-23", {}),
    ],
)
def test_each_seed_plan_can_be_bought(
    catalogs, provider, plan, term, count, amount, period_end, quotas
):
    tenant = make_tenant()
    quote = services.order_quote(
        tenant=tenant, provider_code=provider, plan_code=plan, term=term, count=count, now=T0
    )
    assert (
        quote.kind,
        quote.amount,
        quote.period_start.isoformat(),
        quote.period_end.isoformat(),
    ) == (
        "purchase",
        Decimal(amount),
        "2026-11-23",
        period_end,
    )
    order = buy(tenant, provider, plan, term=term, count=count)
    assert order.status == OrderStatus.FULFILLED
    assert order.amount == Decimal(amount)
    assert order.agreement_version == "2026-01"
    assert order.agreement_catalog_version_id == catalog_selectors.current_version(provider).pk
    assert order.agreement_accepted_at == T0
    pif = selectors.plan_in_force(tenant, provider, T0)
    assert (pif.plan_code, pif.term, pif.subscription_id, pif.order_id) == (
        plan,
        term,
        order.subscription_id,
        order.pk,
    )
    assert pif.period_start == T0
    assert pif.period_end == domain.local_midnight(quote.period_end)
    assert balances(tenant, provider, T0) == quotas
    line = StatementLine.objects.get(order=order)
    assert (line.amount, line.kind, str(line.period_start), str(line.period_end)) == (
        Decimal(amount),
        "purchase",
        "2026-11-23",
        period_end,
    )
    actions = [
        e.action
        for e in AuditEntry.objects.filter(tenant=tenant).order_by("id")
        if e.action.split(".")[0] in ("order", "subscription")
    ]
    assert actions == [
        "order.placed",
        "order.agreement_accepted",
        "order.payment_started",
        "order.paid",
        "subscription.activated",
    ]


def test_s4_is_free_for_tencent_customers_and_cannot_be_bought(catalogs):
    from supportplan.accounts.services import cloud_account_add

    stranger, customer = make_tenant(), make_tenant()
    cloud_account_add(tenant=customer, actor=None, now=T0, cloud="tencent", account_id="100001")
    assert selectors.plan_in_force(stranger, "tencent", T0) is None
    pif = selectors.plan_in_force(customer, "tencent", T0)
    assert (pif.plan_code, pif.subscription_id, pif.term) == ("s4", None, None)
    with pytest.raises(DomainError) as err:
        services.order_quote(
            tenant=customer,
            provider_code="tencent",
            plan_code="s4",
            term="monthly",
            count=1,
            now=T0,
        )
    assert err.value.code == "order.plan_not_purchasable"
    # the partner has no free plan: nobody has a partner plan without buying one
    assert selectors.plan_in_force(customer, "partner", T0) is None


def test_tencent_service_starts_only_once_a_technical_contact_is_named(catalogs):
    from supportplan.accounts.services import tenant_update

    tenant = make_tenant(technical_contact_name="", technical_contact_email="")
    order = buy(tenant, "tencent", "s2", term="monthly", count=1)
    assert order.status == OrderStatus.PAID
    assert order.subscription.status == SubscriptionStatus.PENDING_CONTACT
    # paid but not started: the tenant is a Tencent customer, so S4 applies meanwhile
    assert selectors.plan_in_force(tenant, "tencent", T0).plan_code == "s4"
    assert services.subscription_start_waiting(tenant=tenant, now=T0) == []

    later = T0 + timedelta(days=2)
    tenant_update(
        tenant=tenant, actor=None, now=later,
        technical_contact_name="Ops", technical_contact_email="ops@example.com",
    )  # fmt: skip
    started = services.subscription_start_waiting(tenant=tenant, now=later)
    assert [s.pk for s in started] == [order.subscription_id]
    pif = selectors.plan_in_force(tenant, "tencent", later)
    assert (pif.plan_code, pif.period_start, pif.period_end) == (
        "s2",
        later,
        domain.local_midnight(domain.local_date(later) + timedelta(days=30)),
    )


def test_at_most_one_plan_per_provider(catalogs):
    tenant = make_tenant()
    buy(tenant, "partner", "dedicated")
    with pytest.raises(DomainError) as err:
        services.order_place(
            tenant=tenant, actor=None, provider_code="partner", plan_code="vip",
            term="annual", count=1, now=T0,
        )  # fmt: skip
    assert (err.value.code, err.value.status) == ("order.change_plan_instead", 409)
    with translation.override("zh-hans"):
        assert err.value.message == (
            "您在 软通动力 已有 专属级。如需改为 VIP级，请变更订阅的计划，而不是新下订单。"
        )
    with translation.override("en"):
        assert err.value.message == (
            "You already have Dedicated with iSoftStone. To move to VIP, change the plan of "
            "your subscription instead of placing a new order."
        )
    with pytest.raises(DomainError) as err:
        services.order_place(
            tenant=tenant, actor=None, provider_code="partner", plan_code="dedicated",
            term="weekly", count=1, now=T0,
        )  # fmt: skip
    with translation.override("zh-hans"):
        assert err.value.message == "专属级 仅支持以下计费方式：包月 / 包年。"
    with translation.override("en"):
        assert err.value.message == "Dedicated is sold Monthly / Annual only."
    # another provider is independent
    buy(tenant, "tencent", "s3", term="monthly")
    assert [p.plan_code for p in selectors.plans_in_force(tenant, T0)] == ["dedicated", "s3"]


def test_renewal_continues_the_same_subscription_and_expiry_falls_back(catalogs):
    from supportplan.accounts.services import cloud_account_add

    tenant = make_tenant()
    cloud_account_add(tenant=tenant, actor=None, now=T0, cloud="tencent", account_id="42")
    first = buy(tenant, "tencent", "s3", term="monthly", count=1)
    renewal = buy(tenant, "tencent", "s3", term="monthly", count=2, now=T0 + timedelta(days=20))
    assert renewal.kind == "renewal"
    assert renewal.subscription_id == first.subscription_id
    assert (str(renewal.period_start), str(renewal.period_end)) == ("2026-12-23", "2027-02-23")
    assert AuditEntry.objects.filter(action="subscription.renewed", tenant=tenant).count() == 1
    in_renewal = shanghai(2027, 1, 5)
    assert selectors.plan_in_force(tenant, "tencent", in_renewal).order_id == renewal.pk

    after = shanghai(2027, 2, 23, 0, 0)
    assert selectors.plan_in_force(tenant, "tencent", after).plan_code == "s4"
    assert services.subscriptions_sweep(now=after)["expired"] == 1
    sub = first.subscription
    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.EXPIRED
    entry = AuditEntry.objects.get(action="subscription.expired", tenant=tenant)
    assert entry.data["fallback_plan"] == "s4"
    line = StatementLine.objects.get(tenant=tenant, kind="expiry")
    assert line.description == {
        "zh-hans": "S3 商业版已到期，回退到 S4 基础版",
        "en": "S3 Business expired; back to S4 Basic",
    }
    assert services.subscriptions_sweep(now=after)["expired"] == 0  # idempotent


def test_partner_expiry_falls_back_to_no_plan(catalogs):
    tenant = make_tenant()
    buy(tenant, "partner", "basic", term="monthly")
    after = shanghai(2026, 12, 23, 0, 0)
    assert selectors.plan_in_force(tenant, "partner", after - timedelta(microseconds=1)) is not None
    assert selectors.plan_in_force(tenant, "partner", after) is None
    services.subscriptions_sweep(now=after)
    assert (
        AuditEntry.objects.get(action="subscription.expired", tenant=tenant).data["fallback_plan"]
        is None
    )


def test_automatic_renewal_places_and_pays_the_next_order(catalogs):
    tenant = make_tenant()
    first = buy(tenant, "partner", "basic", term="monthly", auto_renew=True)
    too_early = shanghai(2026, 12, 15)
    assert services.subscriptions_sweep(now=too_early)["renewals"] == 0
    due = shanghai(2026, 12, 17)
    assert services.subscriptions_sweep(now=due)["renewals"] == 1
    assert services.subscriptions_sweep(now=due)["renewals"] == 0  # idempotent
    renewal = first.subscription.orders.get(kind="renewal")
    assert (renewal.status, str(renewal.period_start), str(renewal.period_end), renewal.amount) == (
        OrderStatus.FULFILLED,
        "2026-12-23",
        "2027-01-23",
        Decimal("480.00"),
    )


def test_upgrade_mid_period_costs_the_exact_daily_difference(catalogs):
    tenant = make_tenant()
    start = shanghai(2026, 1, 1)
    base = buy(tenant, "partner", "dedicated", now=start)
    sub = base.subscription
    preview = services.subscription_change_preview(subscription=sub, plan_code="vip", now=T0)
    assert preview.as_dict() == {
        "kind": "upgrade",
        "current_plan": "dedicated",
        "target_plan": "vip",
        "effective_at": T0.isoformat(),
        "effective_date": "2026-11-23",
        "amount": "30772.60",
        "currency": "CNY",
        "allowed": True,
        "calculation": {
            "old_period_price": "312000.00",
            "new_period_price": "600000.00",
            "period_days": 365,
            "remaining_days": 39,
        },
    }
    order = upgrade(sub, "vip", now=T0)
    assert (order.kind, order.amount, order.status) == ("upgrade", Decimal("30772.60"), "fulfilled")
    assert (
        selectors.plan_in_force(tenant, "partner", T0 - timedelta(seconds=1)).plan_code
        == "dedicated"
    )
    pif = selectors.plan_in_force(tenant, "partner", T0)
    assert (pif.plan_code, pif.order_id, pif.period_end) == (
        "vip",
        base.pk,
        domain.local_midnight(domain.local_date(start).replace(year=2027)),
    )
    # quota topped up to VIP's for the rest of the quota year
    assert balances(tenant, "partner", T0) == {
        "availability_check": (1, 1),
        "monitoring_optimisation": (1, 1),
        "escort": (3, 3),
    }
    lines = list(StatementLine.objects.filter(tenant=tenant).values_list("kind", "amount"))
    assert lines == [("purchase", Decimal("312000.00")), ("upgrade", Decimal("30772.60"))]
    assert (
        AuditEntry.objects.get(action="subscription.changed", tenant=tenant).data["from_plan"]
        == "dedicated"
    )


def test_downgrade_and_unsubscribe_wait_for_the_period_end(catalogs):
    tenant = make_tenant()
    base = buy(tenant, "partner", "vip", term="monthly", count=2)
    sub = base.subscription
    preview = services.subscription_change_preview(subscription=sub, plan_code="basic", now=T0)
    assert (preview.kind, preview.amount, str(preview.effective_date)) == (
        "downgrade",
        Decimal("0.00"),
        "2027-01-23",
    )
    services.subscription_change(subscription=sub, actor=None, plan_code="basic", now=T0)
    sub.refresh_from_db()
    assert sub.next_plan_code == "basic"
    assert selectors.plan_in_force(tenant, "partner", T0 + timedelta(days=30)).plan_code == "vip"
    # the next renewal is on the lower plan
    renewal = buy(tenant, "partner", "basic", term="monthly", now=T0 + timedelta(days=40))
    assert (renewal.kind, str(renewal.period_start)) == ("renewal", "2027-01-23")
    assert selectors.plan_in_force(tenant, "partner", shanghai(2027, 1, 23)).plan_code == "basic"

    services.subscription_unsubscribe(subscription=sub, actor=None, now=T0 + timedelta(days=41))
    sub.refresh_from_db()
    assert (sub.cancel_at_period_end, sub.auto_renew) == (True, False)
    kinds = list(StatementLine.objects.filter(tenant=tenant).values_list("kind", "amount"))
    assert kinds == [
        ("purchase", Decimal("100000.00")),
        ("downgrade", Decimal("0.00")),
        ("renewal", Decimal("480.00")),
        ("unsubscribe", Decimal("0.00")),
    ]
    # Sentences name the plans as the catalog does, never by their codes.
    texts = list(
        StatementLine.objects.filter(tenant=tenant, kind__in=["downgrade", "unsubscribe"])
        .order_by("at", "pk")
        .values_list("description", flat=True)
    )
    assert texts == [
        {
            "zh-hans": "降级 VIP级 → 基础级，自 2027-01-23 起生效（续费时）",
            "en": "Downgrade VIP → Basic, from 2027-01-23 (at renewal)",
        },
        {  # to the end of the renewal paid ahead, when the subscription really ends
            "zh-hans": "退订 VIP级，服务至 2027-02-22",
            "en": "Unsubscribed from VIP; service until 2027-02-22",
        },
    ]
    assert selectors.plan_in_force(tenant, "partner", shanghai(2027, 2, 22, 23, 59)).plan_code == (
        "basic"
    )
    assert services.subscriptions_sweep(now=shanghai(2027, 2, 22, 23, 59))["expired"] == 0
    assert services.subscriptions_sweep(now=shanghai(2027, 2, 23, 0, 0))["expired"] == 1


def test_a_downgrade_after_a_renewal_paid_ahead_applies_when_that_renewal_ends(catalogs):
    tenant = make_tenant()
    base = buy(tenant, "partner", "vip", term="monthly", count=1)  # to 2026-12-23
    sub = base.subscription
    renewal = buy(tenant, "partner", "vip", term="monthly", now=T0 + timedelta(days=20))
    assert str(renewal.period_end) == "2027-01-23"
    later = T0 + timedelta(days=21)
    preview = services.subscription_change_preview(subscription=sub, plan_code="basic", now=later)
    assert (preview.kind, str(preview.effective_date)) == ("downgrade", "2027-01-23")
    services.subscription_change(subscription=sub, actor=None, plan_code="basic", now=later)
    line = StatementLine.objects.get(tenant=tenant, kind="downgrade")
    assert line.description["en"] == "Downgrade VIP → Basic, from 2027-01-23 (at renewal)"
    # the paid renewal runs on VIP to its end; the next renewal is on Basic
    assert selectors.plan_in_force(tenant, "partner", shanghai(2027, 1, 22)).plan_code == "vip"
    nxt = buy(tenant, "partner", "basic", term="monthly", now=T0 + timedelta(days=50))
    assert (nxt.kind, str(nxt.period_start)) == ("renewal", "2027-01-23")


def test_bank_transfer_waits_for_staff_and_never_charges_twice(catalogs):
    from supportplan.accounts.models import Role
    from supportplan.core.testing import make_user

    tenant = make_tenant()
    staff = make_user(Role.BUSINESS_MANAGER)
    order = buy(tenant, "partner", "vip", method="bank_transfer")
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert selectors.plan_in_force(tenant, "partner", T0) is None
    payment = order.payments.get()
    assert payment.instructions["reference"] == order.number
    assert payment.instructions["amount"] == "600000.00"

    later = T0 + timedelta(days=1)
    services.payment_succeed(
        payment=payment,
        idempotency_key="bank-2026-0001",
        amount=Decimal("600000"),
        actor=staff,
        now=later,
    )
    # the same confirmation again (a double click, a retried request): nothing new
    again = services.payment_succeed(
        payment=payment,
        idempotency_key="bank-2026-0001",
        amount=Decimal("600000"),
        actor=staff,
        now=later,
    )
    assert again.pk == payment.pk
    # a second, different confirmation for the same order is refused
    with pytest.raises(DomainError) as err:
        services.payment_succeed(
            payment=payment,
            idempotency_key="bank-2026-0002",
            amount=Decimal("600000"),
            actor=staff,
            now=later,
        )
    assert err.value.code == "payment.order_already_paid"
    assert Payment.objects.filter(order=order, status=PaymentStatus.SUCCEEDED).count() == 1
    assert StatementLine.objects.filter(order=order).count() == 1
    assert AuditEntry.objects.filter(action="order.paid", target_id=str(order.pk)).count() == 1
    assert selectors.plan_in_force(tenant, "partner", later).period_start == later


def test_wrong_amount_and_outdated_agreement_are_refused(catalogs):
    tenant = make_tenant()
    order = services.order_place(
        tenant=tenant, actor=None, provider_code="partner", plan_code="basic",
        term="monthly", count=1, now=T0,
    )  # fmt: skip
    with pytest.raises(DomainError) as err:
        services.order_pay(order=order, actor=None, method="test", now=T0)
    assert err.value.code == "order.agreement_not_accepted"
    with pytest.raises(DomainError) as err:
        services.order_accept_agreement(order=order, actor=None, version="2025-01", now=T0)
    assert (err.value.code, err.value.params["current"]) == ("order.agreement_outdated", "2026-01")
    services.order_accept_agreement(order=order, actor=None, version="2026-01", now=T0)
    payment = services.order_pay(order=order, actor=None, method="bank_transfer", now=T0)
    with pytest.raises(DomainError) as err:
        services.payment_succeed(
            payment=payment, idempotency_key="k1", amount=Decimal("400"), actor=None, now=T0
        )
    assert err.value.code == "payment.amount_mismatch"
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT


def test_monthly_orders_grant_no_quota_and_annual_ones_reset_with_the_next(catalogs):
    tenant = make_tenant()
    buy(tenant, "partner", "vip", term="annual")
    renewal = buy(tenant, "partner", "vip", term="annual", now=shanghai(2027, 11, 1))
    assert str(renewal.period_start) == "2027-11-23"
    assert balances(tenant, "partner", shanghai(2027, 11, 22))["escort"] == (3, 3)
    assert balances(tenant, "partner", shanghai(2027, 11, 23))["escort"] == (3, 3)
    assert services.quota_expire_lapsed(now=shanghai(2027, 11, 23)) == 3
    assert services.quota_expire_lapsed(now=shanghai(2027, 11, 23)) == 0
    audit = audit_trail(renewal.subscription)
    assert [e.action for e in audit].count("subscription.renewed") == 1
