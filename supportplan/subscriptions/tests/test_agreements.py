"""The service agreement is catalog data per provider, versioned; an order records the version
it was accepted under and the stored catalog version the text was read from (service and API)."""

import copy
from datetime import timedelta

import pytest
import yaml

from supportplan.accounts.models import Role
from supportplan.catalog import selectors as catalog_selectors
from supportplan.catalog.services import catalog_load
from supportplan.core.errors import DomainError
from supportplan.core.testing import T0, api_client, make_tenant, make_user
from supportplan.subscriptions import selectors, services

from .factories import CATALOG_DIR

pytestmark = pytest.mark.django_db


def _place(tenant, provider="partner", plan="basic"):
    return services.order_place(
        tenant=tenant,
        actor=None,
        provider_code=provider,
        plan_code=plan,
        term="monthly",
        count=1,
        now=T0,
    )


def _with_new_agreement(provider: str, version: str, effective: str) -> dict:
    data = yaml.safe_load((CATALOG_DIR / f"{provider}.yaml").read_text(encoding="utf-8"))
    newer = copy.deepcopy(data["agreements"][-1])
    newer.update(version=version, effective=effective)
    newer["title"] = {"zh-hans": "服务协议（修订）", "en": "Service agreement (revised)"}
    data["agreements"].append(newer)
    return data


def test_each_provider_publishes_its_own_agreement(catalogs):
    partner = selectors.current_agreement("partner")
    tencent = selectors.current_agreement("tencent")
    assert (partner.version, partner.effective.isoformat()) == ("2026-01", "2026-01-01")
    assert partner.title.en == "iSoftStone large-customer support plan service agreement"
    assert partner.title.zh_hans == "软通动力大客户支持计划服务协议"
    assert tencent.title.zh_hans == "腾讯云服务计划服务协议"
    assert len(partner.paragraphs("en")) == 7 and len(partner.paragraphs("zh-hans")) == 7


def test_the_order_records_the_version_and_the_catalog_it_was_read_from(catalogs):
    order = _place(make_tenant("Alpha"))
    services.order_accept_agreement(order=order, actor=None, version="2026-01", now=T0)
    order.refresh_from_db()
    assert order.agreement_version == "2026-01"
    assert order.agreement_catalog_version_id == catalog_selectors.current_version("partner").pk
    assert selectors.agreement_of(order).title.en == (
        "iSoftStone large-customer support plan service agreement"
    )


def test_an_outdated_version_is_refused_and_the_old_order_keeps_its_text(catalogs):
    tenant = make_tenant("Alpha")
    first = _place(tenant)
    services.order_accept_agreement(order=first, actor=None, version="2026-01", now=T0)
    first_catalog = catalog_selectors.current_version("partner").pk
    services.order_cancel(order=first, actor=None, now=T0)
    catalog_load(
        source=_with_new_agreement("partner", "2026-07", "2026-07-01"),
        actor=None,
        now=T0 + timedelta(minutes=1),
        filename="partner.yaml",
    )
    second = _place(tenant)
    with pytest.raises(DomainError) as refused:
        services.order_accept_agreement(order=second, actor=None, version="2026-01", now=T0)
    assert refused.value.code == "order.agreement_outdated"
    assert refused.value.message == (
        "You accepted agreement version 2026-01, but the current version is 2026-07. "
        "Read the current agreement and accept it."
    )
    second.refresh_from_db()
    assert (second.agreement_version, second.agreement_catalog_version_id) == ("", None)
    services.order_accept_agreement(order=second, actor=None, version="2026-07", now=T0)
    second.refresh_from_db()
    assert second.agreement_catalog_version_id != first_catalog
    assert selectors.agreement_of(second).title.en == "Service agreement (revised)"
    first.refresh_from_db()
    assert (first.agreement_version, first.agreement_catalog_version_id) == (
        "2026-01",
        first_catalog,
    )
    assert selectors.agreement_of(first).title.en == (
        "iSoftStone large-customer support plan service agreement"
    )


def test_a_provider_without_an_agreement_cannot_take_an_acceptance(catalogs):
    data = yaml.safe_load((CATALOG_DIR / "tencent.yaml").read_text(encoding="utf-8"))
    del data["agreements"]
    catalog_load(source=data, actor=None, now=T0, filename="tencent.yaml")
    order = _place(make_tenant("Alpha"), "tencent", "s3")
    with pytest.raises(DomainError) as refused:
        services.order_accept_agreement(order=order, actor=None, version="2026-01", now=T0)
    assert refused.value.code == "order.agreement_unpublished"
    assert refused.value.message == (
        "Tencent Cloud has not published a service agreement yet, so the order cannot be "
        "accepted. Please contact your service provider."
    )


@pytest.fixture
def now(monkeypatch):
    from supportplan.core import clock

    monkeypatch.setattr(clock, "now", lambda: T0)


def test_api_accepts_the_version_and_shows_it_on_the_order(catalogs, now):
    tenant = make_tenant("Alpha")
    client = api_client(make_user(Role.CUSTOMER_ADMIN, tenant=tenant))
    plans = client.get("/api/plans/?provider=tencent").json()[0]
    assert plans["agreement_version"] == "2026-01"
    assert plans["agreement"]["title"] == {
        "zh-hans": "腾讯云服务计划服务协议",
        "en": "Tencent Cloud service plan agreement",
    }
    payload = {"provider": "tencent", "plan": "s3", "term": "monthly", "count": 1}
    order = client.post("/api/orders/", payload, format="json").json()
    assert (order["agreement_version"], order["agreement"]) == ("", None)
    wrong = client.post(
        f"/api/orders/{order['id']}/accept-agreement/",
        {"agreement_version": "2025-12", "accept": True},
        format="json",
    )
    assert (wrong.status_code, wrong.json()["code"]) == (400, "order.agreement_outdated")
    r = client.post(
        f"/api/orders/{order['id']}/accept-agreement/",
        {"agreement_version": "2026-01", "accept": True},
        format="json",
    )
    assert r.status_code == 200
    body = client.get(f"/api/orders/{order['id']}/").json()
    assert body["agreement_version"] == "2026-01"
    assert body["agreement"] == {
        "version": "2026-01",
        "effective": "2026-01-01",
        "title": {
            "zh-hans": "腾讯云服务计划服务协议",
            "en": "Tencent Cloud service plan agreement",
        },
        "catalog_version_id": catalog_selectors.current_version("tencent").pk,
    }
