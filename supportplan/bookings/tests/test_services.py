"""Each booking rule with its exact error, the lifecycle, the order lock and the escort
override data a case uses."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from supportplan.accounts.models import Role
from supportplan.bookings import selectors, services
from supportplan.bookings.models import BookingStatus
from supportplan.core.errors import DomainError
from supportplan.core.models import AuditEntry
from supportplan.core.testing import T0, make_tenant, make_user
from supportplan.subscriptions import selectors as sub_selectors
from supportplan.subscriptions import services as sub_services
from supportplan.subscriptions.models import OrderStatus
from supportplan.subscriptions.tests.factories import buy, shanghai

pytestmark = pytest.mark.django_db

# T0 is Monday 2026-11-23 10:00 Asia/Shanghai.
MON_23 = date(2026, 11, 23)


def request(tenant, service, start, days=None, event="Double 11 promotion", now=T0):
    return services.booking_request(
        tenant=tenant, actor=None, service_code=service, start_date=start, days=days,
        event_kind="promotion", event_description=event, now=now,
    )  # fmt: skip


def refusal(tenant, service, start, **kw):
    with pytest.raises(DomainError) as err:
        request(tenant, service, start, **kw)
    return err.value


@pytest.fixture
def vip(catalogs):
    tenant = make_tenant()
    buy(tenant, "partner", "vip", term="annual")
    return tenant


def available(tenant, service):
    return {
        b.service_code: b.available for b in sub_selectors.quota_balances(tenant, "partner", T0)
    }[service]


def test_service_not_in_plan_names_the_plans_that_include_it(catalogs):
    tenant = make_tenant()
    buy(tenant, "partner", "basic", term="annual")
    err = refusal(tenant, "escort", date(2026, 12, 10), days=1)
    assert (err.code, err.params["plans"]) == (
        "booking.service_not_in_plan",
        "Dedicated, VIP (iSoftStone)",
    )
    err = refusal(tenant, "availability_check", date(2026, 12, 10))
    assert (err.code, err.params["plans"]) == ("booking.service_not_in_plan", "VIP (iSoftStone)")
    err = refusal(tenant, "massage", date(2026, 12, 10))
    assert err.code == "booking.service_unknown"


def test_monthly_purchase_does_not_include_annual_only_services(catalogs):
    tenant = make_tenant()
    buy(tenant, "partner", "dedicated", term="monthly", count=3)
    err = refusal(tenant, "escort", date(2026, 12, 10), days=1)
    assert (err.code, err.params["plans"], err.params["term"]) == (
        "booking.service_needs_annual",
        "Dedicated, VIP (iSoftStone)",
        "monthly",
    )


@pytest.mark.parametrize("days", ["1.5", 0, -1, "two"])
def test_escort_days_must_be_whole(vip, days):
    err = refusal(vip, "escort", date(2026, 12, 10), days=days)
    assert (err.code, err.params["value"]) == ("booking.days_not_whole", str(days))


def test_escort_needs_an_event_description(vip):
    assert (
        refusal(vip, "escort", date(2026, 12, 10), days=1, event="  ").code
        == "booking.event_required"
    )


def test_start_in_the_past_and_beyond_the_period(vip):
    err = refusal(vip, "escort", date(2026, 11, 22), days=1)
    assert (err.code, err.params["today"]) == ("booking.start_in_past", "2026-11-23")
    # the VIP year ends 2027-11-23 (exclusive): 2027-11-21 + 3 days would end on the 23rd
    err = refusal(vip, "escort", date(2027, 11, 21), days=3)
    assert (err.code, err.params["last_day"], err.params["booking_last"]) == (
        "booking.beyond_period",
        "2027-11-22",
        "2027-11-23",
    )


def test_required_lead_time_refuses_a_start_before_the_nth_working_day(vip):
    # applied Monday 2026-11-23, N = 3 → earliest Thursday 2026-11-26
    err = refusal(vip, "availability_check", date(2026, 11, 25))
    assert (err.code, err.params["earliest"], err.params["days"]) == (
        "booking.lead_time_required",
        "2026-11-26",
        3,
    )
    booking = request(vip, "availability_check", date(2026, 11, 26))
    assert (booking.status, booking.warnings) == (BookingStatus.REQUESTED, [])


def test_recommended_lead_time_accepts_with_a_warning(vip):
    # escort: 10 working days recommended; from Mon 2026-11-23 that is Mon 2026-12-07
    booking = request(vip, "escort", date(2026, 11, 30), days=1)
    assert booking.status == BookingStatus.REQUESTED
    assert [(w["code"], w["params"]["earliest"]) for w in booking.warnings] == [
        ("booking.lead_time_recommended", "2026-12-07")
    ]
    assert request(vip, "escort", date(2026, 12, 7), days=1).warnings == []


def test_escort_days_may_not_exceed_what_is_left(vip):
    err = refusal(vip, "escort", date(2026, 12, 10), days=4)
    assert (err.code, err.params["available"], err.params["requested"], err.status) == (
        "booking.quota_exceeded",
        3,
        4,
        409,
    )
    request(vip, "escort", date(2026, 12, 10), days=2)
    assert available(vip, "escort") == 1
    err = refusal(vip, "escort", date(2026, 12, 20), days=2)
    assert (err.code, err.params["available"]) == ("booking.quota_exceeded", 1)
    request(vip, "escort", date(2026, 12, 20), days=1)
    assert available(vip, "escort") == 0
    err = refusal(vip, "escort", date(2027, 1, 20), days=1)
    assert (err.code, err.params["available"]) == ("booking.quota_exceeded", 0)


def test_dedicated_escort_is_one_request_of_one_day(catalogs):
    tenant = make_tenant()
    buy(tenant, "partner", "dedicated", term="annual")
    err = refusal(tenant, "escort", date(2026, 12, 10), days=2)
    assert (err.code, err.params["available"]) == ("booking.quota_exceeded", 1)
    request(tenant, "escort", date(2026, 12, 10), days=1)
    err = refusal(tenant, "escort", date(2026, 12, 20), days=1)
    assert (err.code, err.params["max"]) == ("booking.requests_used_up", 1)


def test_lifecycle_and_cancellation_before_confirmation_releases_quota(vip):
    engineer = make_user(Role.EXPERT)
    tam = make_user(Role.TAM)
    booking = request(vip, "escort", date(2026, 12, 10), days=2)
    services.booking_cancel(booking=booking, actor=None, now=T0, reason="event moved")
    assert available(vip, "escort") == 3

    booking = request(vip, "escort", date(2026, 12, 10), days=2)
    with pytest.raises(DomainError) as err:
        services.booking_confirm(booking=booking, actor=tam, team=[], now=T0)
    assert err.value.code == "booking.team_required"
    customer = make_user(Role.CUSTOMER_MEMBER, tenant=vip)
    with pytest.raises(DomainError) as err:
        services.booking_confirm(booking=booking, actor=tam, team=[customer], now=T0)
    assert err.value.code == "booking.team_not_staff"
    services.booking_confirm(booking=booking, actor=tam, team=[engineer, tam], now=T0)
    with pytest.raises(DomainError) as err:
        services.booking_cancel(booking=booking, actor=None, now=T0)
    assert err.value.code == "booking.cancel_after_confirmation"
    services.booking_deliver(
        booking=booking, actor=tam, notes="Patrolled 48 h, no incident.", now=shanghai(2026, 12, 12)
    )
    services.booking_accept(booking=booking, actor=customer, now=shanghai(2026, 12, 13))
    with pytest.raises(DomainError) as err:
        services.booking_rate(booking=booking, actor=customer, rating=6, comment="", now=T0)
    assert err.value.code == "booking.rating_invalid"
    services.booking_rate(
        booking=booking, actor=customer, rating=5, comment="Great", now=shanghai(2026, 12, 13)
    )
    booking.refresh_from_db()
    assert (booking.status, booking.rating) == (BookingStatus.RATED, 5)
    (bal,) = [
        b for b in sub_selectors.quota_balances(vip, "partner", T0) if b.service_code == "escort"
    ]
    assert (bal.granted, bal.reserved, bal.used, bal.available) == (3, 0, 2, 1)
    codes = [
        e.action for e in AuditEntry.objects.filter(action__startswith="booking.").order_by("id")
    ]
    assert codes == [
        "booking.requested",
        "booking.cancelled",
        "booking.requested",
        "booking.confirmed",
        "booking.delivered",
        "booking.accepted",
        "booking.rated",
    ]


def test_a_booking_locks_the_order_downgrade_refused_with_since(catalogs):
    tenant = make_tenant()
    start = shanghai(2026, 1, 1)
    buy(tenant, "partner", "dedicated", now=start)
    request(tenant, "escort", date(2026, 12, 10), days=1)
    sub = sub_selectors.subscription_of(tenant, "partner")
    for attempt in (
        lambda: sub_services.subscription_change(
            subscription=sub, actor=None, plan_code="basic", now=T0
        ),
        lambda: sub_services.subscription_unsubscribe(subscription=sub, actor=None, now=T0),
    ):
        with pytest.raises(DomainError) as err:
            attempt()
        assert (
            err.value.code,
            err.value.status,
            err.value.params["since"],
            err.value.params["service"],
        ) == (
            "subscription.locked",
            409,
            "2026-11-23",
            "Escort service (basic)",
        )
        assert "2026-11-23" in err.value.message and "Escort service (basic)" in err.value.message
    preview = sub_services.subscription_change_preview(subscription=sub, plan_code="basic", now=T0)
    assert preview.as_dict()["allowed"] is False
    assert preview.as_dict()["refusal"]["code"] == "subscription.locked"
    # upgrades stay possible
    order = sub_services.subscription_change(subscription=sub, actor=None, plan_code="vip", now=T0)
    assert (order.kind, order.amount) == ("upgrade", Decimal("30772.60"))


def test_escort_override_intervals_and_team(vip):
    tam, expert = make_user(Role.TAM), make_user(Role.EXPERT)
    booking = request(vip, "escort", date(2026, 12, 10), days=2)
    # requested but not confirmed: no override yet
    assert selectors.escort_intervals(vip, T0, T0 + timedelta(days=60)).intervals == []
    services.booking_confirm(booking=booking, actor=tam, team=[tam, expert], now=T0)
    cover = selectors.escort_intervals(vip, T0, T0 + timedelta(days=60))
    # whole natural days in Asia/Shanghai: 12-10 00:00 to 12-12 00:00 (+08:00)
    assert cover.intervals == [(shanghai(2026, 12, 10, 0, 0), shanghai(2026, 12, 12, 0, 0))]
    assert cover.intervals[0][0].isoformat() == "2026-12-09T16:00:00+00:00"
    assert cover.team_user_ids == {tam.pk, expert.pk}
    assert cover.covers(shanghai(2026, 12, 11, 23, 59)) is True
    assert cover.covers(shanghai(2026, 12, 12, 0, 0)) is False
    other = make_tenant()
    assert selectors.escort_intervals(other, T0, T0 + timedelta(days=60)).intervals == []


def test_a_case_opened_during_an_escort_gets_the_10_minute_target_and_the_team_is_told(vip):
    from supportplan.accounts.services import system_register
    from supportplan.cases.services import case_open

    tam, expert = make_user(Role.TAM), make_user(Role.EXPERT)
    system = system_register(tenant=vip, name="Core", classification="core_production", now=T0)
    booking = request(vip, "escort", date(2026, 12, 10), days=1)
    services.booking_confirm(booking=booking, actor=tam, team=[tam, expert], now=T0)
    customer = make_user(Role.CUSTOMER_ADMIN, tenant=vip)
    during = shanghai(2026, 12, 10, 3, 0)
    case = case_open(
        actor=customer, tenant=vip, provider="partner", channel="ticket",
        severity="production_down", subject="Checkout down", description="500s everywhere",
        now=during, system=system,
    )  # fmt: skip
    assert case.sla_escort is True
    assert case.first_response_due == during + timedelta(minutes=10)
    told = AuditEntry.objects.get(action="booking.escort_case", tenant=vip)
    assert told.data["case_id"] == str(case.pk)
    assert sorted(told.data["team_user_ids"]) == sorted([tam.pk, expert.pk])
    # outside the escort: the plan's own 30-minute target, nobody extra is told
    after = shanghai(2026, 12, 11, 0, 0)
    case2 = case_open(
        actor=customer, tenant=vip, provider="partner", channel="ticket",
        severity="production_down", subject="Again", description="x", now=after, system=system,
    )  # fmt: skip
    assert (case2.sla_escort, case2.first_response_due) == (False, after + timedelta(minutes=30))
    assert AuditEntry.objects.filter(action="booking.escort_case").count() == 1


def test_tencent_expert_escort_is_a_paid_add_on(catalogs):
    tenant = make_tenant()
    buy(tenant, "tencent", "s2", term="monthly", count=2)
    booking = request(tenant, "expert_escort", date(2026, 12, 10), days=3)
    assert booking.status == BookingStatus.AWAITING_PAYMENT
    order = booking.addon_order
    assert (order.kind, order.amount, order.quantity, order.status) == (
        "addon",
        Decimal("24000.00"),
        3,
        OrderStatus.PLACED,
    )
    sub_services.order_accept_agreement(order=order, actor=None, version="2026-01", now=T0)
    sub_services.order_pay(order=order, actor=None, method="test", now=T0)
    booking.refresh_from_db()
    order.refresh_from_db()
    assert (booking.status, order.status) == (BookingStatus.REQUESTED, OrderStatus.FULFILLED)
    from supportplan.subscriptions.models import StatementLine

    line = StatementLine.objects.get(order=order)
    assert (line.kind, line.amount) == ("addon", Decimal("24000.00"))
    # S3 has no expert escort at all
    other = make_tenant()
    buy(other, "tencent", "s3", term="monthly")
    err = refusal(other, "expert_escort", date(2026, 12, 10), days=1)
    assert (err.code, err.params["plans"]) == (
        "booking.service_not_in_plan",
        "S2 Enterprise, S1 Flagship (Tencent Cloud)",
    )


def test_a_renewal_year_is_booked_on_the_renewal_order_and_its_quota(vip):
    renewal = buy(vip, "partner", "vip", term="annual")
    assert (renewal.kind, renewal.period_start, renewal.period_end) == (
        "renewal",
        date(2027, 11, 23),
        date(2028, 11, 23),
    )
    before = available(vip, "escort")
    booking = request(vip, "escort", date(2028, 1, 10), days=2)
    assert booking.base_order_id == renewal.pk
    assert (booking.bucket.order_id, booking.bucket.valid_from) == (renewal.pk, date(2027, 11, 23))
    # the first year's quota is untouched; the renewal year's has two days fewer
    assert available(vip, "escort") == before
    (renewed,) = [
        b
        for b in sub_selectors.balances(sub_selectors.buckets_at(vip, "partner", date(2028, 1, 10)))
        if b.service_code == "escort"
    ]
    assert (renewed.order_id, renewed.available) == (renewal.pk, before - 2)


def test_beyond_the_period_names_the_renewal_s_last_day(vip):
    buy(vip, "partner", "vip", term="annual")
    err = refusal(vip, "escort", date(2028, 11, 21), days=3)
    assert (err.code, err.params["last_day"], err.params["booking_last"]) == (
        "booking.beyond_period",
        "2028-11-22",
        "2028-11-23",
    )
