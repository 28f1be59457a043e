"""Issue 15.20: an unfinished order blocks buying. The plans page says so before the customer
picks a plan, the buy page says it once (with the way to the order), and the customer can
cancel the order (web and API), audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supportplan.core.models import AuditEntry
from supportplan.core.testing import api_client
from supportplan.subscriptions.models import OrderStatus

from . import test_gaps
from .conftest import client_for

pytestmark = pytest.mark.django_db

nobody = test_gaps.nobody  # the fixture: a customer without a plan yet
unpaid_upgrade = test_gaps.unpaid_upgrade


@pytest.mark.parametrize(
    ("language", "warning"),
    [
        ("en", "is not finished yet: pay or cancel it before buying another plan"),
        ("zh-hans", "尚未完成：请先支付或取消，再购买该服务商的其他支持计划"),
    ],
)
def test_the_plans_page_warns_of_an_open_order_and_the_buy_page_says_it_once(
    nobody, language, warning
):
    order = unpaid_upgrade(nobody)
    client = client_for(nobody.admin, language)
    html = client.get(reverse("web:plans") + "?provider=partner").content.decode()
    assert warning in html and order.number in html
    assert reverse("web:order", args=[order.pk]) in html
    page = client.get(reverse("web:plan_change") + "?provider=partner&plan=vip")
    text = page.content.decode()
    assert text.count(warning) == 1
    assert 'name="confirm"' not in text  # no step that could only be refused


def test_the_customer_cancels_the_open_order_from_its_page_and_may_buy_again(nobody):
    order = unpaid_upgrade(nobody)
    client = client_for(nobody.admin)
    page = client.get(reverse("web:order", args=[order.pk])).content.decode()
    assert reverse("web:order_cancel", args=[order.pk]) in page
    response = client.post(reverse("web:order_cancel", args=[order.pk]), follow=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    messages = [str(m) for m in response.context["messages"]]
    assert messages == [f"Order {order.number} was cancelled; you can place another."]
    assert AuditEntry.objects.filter(action="order.cancelled", target_id=str(order.pk)).exists()
    html = client.get(reverse("web:plans") + "?provider=partner").content.decode()
    assert "data-open-order" not in html


def test_a_member_cannot_cancel_and_the_order_stays(nobody):
    order = unpaid_upgrade(nobody)
    client_for(nobody.member).post(reverse("web:order_cancel", args=[order.pk]))
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED


def test_the_api_cancels_an_open_order_and_the_refusal_names_the_provider(nobody):
    order = unpaid_upgrade(nobody)
    client = api_client(nobody.admin)
    res = client.post(
        "/api/orders/",
        {"provider": "partner", "plan": "vip", "term": "monthly", "count": 1},
        format="json",
    )
    assert res.status_code == 409
    assert res.json()["code"] == "order.open_order_exists"
    assert "iSoftStone" in res.json()["message"] and "partner" not in res.json()["message"]
    res = client.post(f"/api/orders/{order.pk}/cancel/", {}, format="json")
    assert res.status_code == 200 and res.json()["status"] == "cancelled"
