"""The purchase flow over HTTP, staff confirmation, plan changes, statements (CSV), and
cross-tenant attempts refused on every endpoint."""

from datetime import timedelta

import pytest

from supportplan.accounts.models import Role
from supportplan.core.models import AuditEntry
from supportplan.core.testing import T0, api_client, make_tenant, make_user
from supportplan.subscriptions.models import Order, Payment, StatementLine, Subscription

from .factories import buy, shanghai

pytestmark = pytest.mark.django_db


@pytest.fixture
def now(monkeypatch):
    """The API reads clock.now(); pin it to T0 (Monday 2026-11-23 10:00 Shanghai)."""
    from supportplan.core import clock

    current = {"at": T0}
    monkeypatch.setattr(clock, "now", lambda: current["at"])
    return current


@pytest.fixture
def alpha(catalogs, now):
    tenant = make_tenant("Alpha Co")
    return (
        tenant,
        make_user(Role.CUSTOMER_ADMIN, tenant=tenant),
        make_user(Role.CUSTOMER_MEMBER, tenant=tenant),
    )


def test_plans_for_sale_with_prices(alpha):
    _t, admin, _m = alpha
    body = api_client(admin).get("/api/plans/?provider=partner").json()
    assert [(p["code"], p["monthly_price"], p["annual_price"]) for p in body[0]["plans"]] == [
        ("basic", "480.00", "5760.00"),
        ("dedicated", "26000.00", "312000.00"),
        ("vip", "50000.00", "600000.00"),
    ]
    tencent = api_client(admin).get("/api/plans/?provider=tencent").json()[0]
    assert [p["code"] for p in tencent["plans"]] == ["s3", "s2", "s1"]  # S4 is not for sale


def test_customer_admin_buys_vip_by_bank_transfer_and_staff_confirm_once(alpha):
    tenant, admin, member = alpha
    client = api_client(admin)
    quote = client.post(
        "/api/quotes/",
        {"provider": "partner", "plan": "vip", "term": "annual", "count": 1},
        format="json",
    ).json()
    assert (quote["amount"], quote["period_start"], quote["period_end"]) == (
        "600000.00",
        "2026-11-23",
        "2027-11-23",
    )
    payload = {"provider": "partner", "plan": "vip", "term": "annual", "count": 1}
    denied = api_client(member).post("/api/orders/", payload, format="json")
    assert (denied.status_code, denied.json()["code"]) == (403, "tenant.admin_required")
    order = client.post("/api/orders/", payload, format="json").json()
    assert (order["status"], order["amount"], order["number"]) == (
        "placed",
        "600000.00",
        f"SP{order['id']:08d}",
    )
    r = client.post(f"/api/orders/{order['id']}/pay/", {"method": "bank_transfer"}, format="json")
    assert (r.status_code, r.json()["code"]) == (400, "order.agreement_not_accepted")
    r = client.post(
        f"/api/orders/{order['id']}/accept-agreement/",
        {"agreement_version": "2026-01", "accept": True},
        format="json",
    )
    assert r.json()["agreement_version"] == "2026-01"
    r = client.post(
        f"/api/orders/{order['id']}/pay/", {"method": "bank_transfer"}, format="json"
    ).json()
    assert r["status"] == "awaiting_payment"
    payment = r["payments"][0]
    assert payment["instructions"]["reference"] == order["number"]

    # the customer cannot confirm their own transfer
    r = client.post(
        f"/api/payments/{payment['id']}/confirm/", {"amount": "600000.00"}, format="json"
    )
    assert (r.status_code, r.json()["code"]) == (403, "payment.confirm_forbidden")
    staff = api_client(make_user(Role.BUSINESS_MANAGER))
    for _ in range(2):  # a retried request with the same key changes nothing
        r = staff.post(
            f"/api/payments/{payment['id']}/confirm/",
            {"amount": "600000.00", "reference": "ICBC 0001"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="bank-0001",
        )
        assert (r.status_code, r.json()["status"]) == (200, "fulfilled")
    r = staff.post(
        f"/api/payments/{payment['id']}/confirm/", {"amount": "600000.00"}, format="json",
        HTTP_IDEMPOTENCY_KEY="bank-0002",
    )  # fmt: skip
    assert (r.status_code, r.json()["code"]) == (409, "payment.order_already_paid")
    assert Payment.objects.filter(status="succeeded").count() == 1

    sub = client.get("/api/subscriptions/").json()["results"][0]
    assert (sub["plan"], sub["status"], sub["in_force"]["period_end"]) == (
        "vip",
        "active",
        "2027-11-23",
    )
    assert {q["service"]: q["available"] for q in sub["quotas"]} == {
        "availability_check": 1,
        "escort": 3,
        "monitoring_optimisation": 1,
    }
    assert [s["code"] for s in sub["entitlements"]["services"]] == [
        "availability_check",
        "monitoring_optimisation",
        "escort",
    ]


def test_upgrade_preview_and_statement_csv(alpha, now):
    tenant, admin, _m = alpha
    now["at"] = shanghai(2026, 1, 1)
    buy(tenant, "partner", "dedicated", now=now["at"])
    now["at"] = T0
    sub = Subscription.objects.get(tenant=tenant)
    client = api_client(admin)
    preview = client.get(f"/api/subscriptions/{sub.pk}/change-preview/?plan=vip").json()
    assert (
        preview["amount"],
        preview["effective_date"],
        preview["calculation"]["remaining_days"],
    ) == (
        "30772.60",
        "2026-11-23",
        39,
    )
    down = client.get(f"/api/subscriptions/{sub.pk}/change-preview/?plan=basic").json()
    assert (down["kind"], down["effective_date"], down["amount"]) == (
        "downgrade",
        "2027-01-01",
        "0.00",
    )
    r = client.post(f"/api/subscriptions/{sub.pk}/change/", {"plan": "vip"}, format="json")
    assert r.status_code == 201
    upgrade = r.json()["order"]
    client.post(
        f"/api/orders/{upgrade['id']}/accept-agreement/",
        {"agreement_version": "2026-01", "accept": True},
        format="json",
    )
    client.post(f"/api/orders/{upgrade['id']}/pay/", {"method": "test"}, format="json")
    assert client.get(f"/api/subscriptions/{sub.pk}/").json()["in_force"]["plan"] == "vip"

    csv = client.get("/api/statements/csv/", HTTP_ACCEPT_LANGUAGE="en")
    assert csv["Content-Type"] == "text/csv; charset=utf-8"
    lines = csv.content.decode("utf-8-sig").splitlines()
    purchase = Order.objects.get(tenant=tenant, kind="purchase").number
    assert lines == [
        "date,order,kind,provider,plan,description,period_start,period_end,amount,currency",
        f"2026-01-01,{purchase},purchase,partner,dedicated,"
        f'"Purchase Dedicated, 1 year (order {purchase})",2026-01-01,2027-01-01,312000.00,CNY',
        f"2026-11-23,{upgrade['number']},upgrade,partner,vip,"
        f'"Upgrade Dedicated → VIP, daily difference for the rest of the period (order {upgrade["number"]})",'
        "2026-01-01,2027-01-01,30772.60,CNY",
    ]
    body = client.get("/api/statements/").json()
    assert body["total"] == "342772.60"
    zh = api_client(admin, language="zh-hans").get("/api/statements/").json()
    assert zh["lines"][0]["description"] == f"购买 专属级 1 年（订单 {purchase}）"


def test_locked_downgrade_is_refused_in_both_languages(alpha):
    from supportplan.bookings.services import booking_request

    tenant, admin, _m = alpha
    buy(tenant, "partner", "vip")
    booking_request(
        tenant=tenant, actor=None, service_code="availability_check",
        start_date=T0.date() + timedelta(days=3), now=T0,
    )  # fmt: skip
    sub = Subscription.objects.get(tenant=tenant)
    number = Order.objects.get(tenant=tenant).number
    expected = {
        "en": f"The current order {number} can no longer be downgraded: Availability check was "
        "applied for under it on 2026-11-23, and a quota-limited value-added service locks the "
        "order until the period ends on 2027-11-23. Upgrades are still possible.",
        "zh-hans": f"当期订单 {number} 已无法降级：您已于 2026-11-23 在该订单下申请了可用性检查；"
        "一旦申请限额增值服务，当期订单在本期结束（2027-11-23）前将被锁定。升级仍然可以。",
    }
    for language, message in expected.items():
        r = api_client(admin, language=language).post(
            f"/api/subscriptions/{sub.pk}/change/", {"plan": "basic"}, format="json"
        )
        body = r.json()
        assert (r.status_code, body["code"], body["params"]["since"], body["message"]) == (
            409,
            "subscription.locked",
            "2026-11-23",
            message,
        )
    r = api_client(admin).post(f"/api/subscriptions/{sub.pk}/unsubscribe/")
    assert r.json()["code"] == "subscription.locked"


def test_other_tenants_orders_subscriptions_payments_and_statements_answer_404(alpha):
    tenant, admin, _m = alpha
    other = make_tenant("Beta Co")
    order = buy(other, "partner", "vip", method="bank_transfer")
    payment = order.payments.get()
    theirs = buy(other, "tencent", "s3", term="monthly")
    sub = theirs.subscription
    client = api_client(admin)
    before = (AuditEntry.objects.count(), StatementLine.objects.count(), Order.objects.count())
    attempts = [
        ("get", f"/api/orders/{order.pk}/", None),
        (
            "post",
            f"/api/orders/{order.pk}/accept-agreement/",
            {"agreement_version": "2026-01", "accept": True},
        ),
        ("post", f"/api/orders/{order.pk}/pay/", {"method": "test"}),
        ("post", f"/api/orders/{order.pk}/cancel/", None),
        ("get", f"/api/payments/{payment.pk}/", None),
        (
            "post",
            f"/api/payments/{payment.pk}/confirm/",
            {"amount": "600000.00", "idempotency_key": "x"},
        ),
        ("get", f"/api/subscriptions/{sub.pk}/", None),
        ("get", f"/api/subscriptions/{sub.pk}/change-preview/?plan=s1", None),
        ("post", f"/api/subscriptions/{sub.pk}/change/", {"plan": "s1"}),
        ("post", f"/api/subscriptions/{sub.pk}/unsubscribe/", None),
        ("post", f"/api/subscriptions/{sub.pk}/auto-renew/", {"auto_renew": True}),
        ("post", f"/api/subscriptions/{sub.pk}/start/", None),
        ("get", f"/api/statements/?tenant={other.pk}", None),
        ("get", f"/api/statements/csv/?tenant={other.pk}", None),
        ("get", f"/api/orders/?tenant={other.pk}", None),
        ("get", f"/api/subscriptions/?tenant={other.pk}", None),
        (
            "post",
            "/api/quotes/",
            {
                "tenant": other.pk,
                "provider": "partner",
                "plan": "basic",
                "term": "monthly",
                "count": 1,
            },
        ),
        (
            "post",
            "/api/orders/",
            {
                "tenant": other.pk,
                "provider": "partner",
                "plan": "basic",
                "term": "monthly",
                "count": 1,
            },
        ),
    ]
    for method, url, payload in attempts:
        r = getattr(client, method)(url, payload, format="json")
        assert (url, r.status_code, r.json()["code"]) == (url, 404, "not_found")
    assert (
        AuditEntry.objects.count(),
        StatementLine.objects.count(),
        Order.objects.count(),
    ) == before
    assert client.get("/api/orders/").json()["results"] == []
    assert client.get("/api/statements/").json()["lines"] == []


def test_order_list_query_count_does_not_grow_with_orders(alpha, django_assert_max_num_queries):
    tenant, admin, _m = alpha
    buy(tenant, "partner", "basic", term="monthly")
    buy(tenant, "tencent", "s3", term="monthly")
    client = api_client(admin)
    with django_assert_max_num_queries(8):
        assert len(client.get("/api/orders/").json()["results"]) == 2
    for _ in range(3):
        buy(tenant, "partner", "basic", term="monthly", now=T0 + timedelta(days=1))
    with django_assert_max_num_queries(8):
        assert len(client.get("/api/orders/").json()["results"]) == 5


def test_bad_input_gets_clear_errors(alpha):
    _t, admin, _m = alpha
    client = api_client(admin)
    r = client.post(
        "/api/quotes/",
        {"provider": "partner", "plan": "vip", "term": "annual", "count": 4},
        format="json",
    )
    assert (r.status_code, r.json()["code"], r.json()["params"]["maximum"]) == (
        400,
        "order.duration_invalid",
        3,
    )
    r = client.post(
        "/api/quotes/",
        {"provider": "partner", "plan": "gold", "term": "annual", "count": 1},
        format="json",
    )
    assert (r.json()["code"], r.json()["params"]["known"]) == (
        "order.plan_unknown",
        "basic, dedicated, vip",
    )
    r = client.get("/api/statements/?from=yesterday")
    assert r.json()["code"] == "statement.date_invalid"
    zh = api_client(admin, language="zh-hans").post(
        "/api/quotes/",
        {"provider": "tencent", "plan": "s4", "term": "monthly", "count": 1},
        format="json",
    )
    assert zh.json()["code"] == "order.plan_not_purchasable"
