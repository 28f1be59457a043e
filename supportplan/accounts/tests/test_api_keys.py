"""Personal REST API keys: shown once, stored as a fingerprint, expiring, scoped, revocable,
audited; through the API and the portal page."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from supportplan.accounts import api_keys
from supportplan.accounts.models import ApiKey, Role
from supportplan.core import clock
from supportplan.core.models import AuditEntry
from supportplan.core.testing import NEVER_CACHE, T0, api_client, make_tenant, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    tenant = make_tenant("Acme")
    return {
        "tenant": tenant,
        "admin": make_user(
            Role.CUSTOMER_ADMIN, tenant=tenant, username="acme-admin", language="en"
        ),
        "member": make_user(
            Role.CUSTOMER_MEMBER, tenant=tenant, username="acme-bob", language="en"
        ),
    }


@pytest.fixture
def now(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: T0)
    return T0


def bearer(key: str, language: str = "en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_created_key_is_shown_once_and_stored_as_a_fingerprint(org, now):
    response = api_client(org["member"]).post(
        reverse("api-key-list"), {"name": "export", "scope": "read_only", "days": 30}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response["Cache-Control"] == NEVER_CACHE
    body = response.json()
    raw = body["key"]
    stored = ApiKey.objects.get(pk=body["id"])
    assert raw.startswith(stored.prefix + "_") and len(raw) == len(stored.prefix) + 1 + 64
    assert stored.secret_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(ApiKey.objects.filter(pk=stored.pk).values().get())
    expires = datetime.fromisoformat(body["expires_at"])
    assert (body["scope"], body["state"], expires) == (
        "read_only",
        "active",
        T0 + timedelta(days=30),
    )
    listed = api_client(org["member"]).get(reverse("api-key-list")).json()
    assert "key" not in listed["results"][0]
    entry = AuditEntry.objects.get(action="api_key.created")
    assert (entry.actor_id, entry.data) == (
        org["member"].pk,
        {"user_id": org["member"].pk, "prefix": stored.prefix, "scope": "read_only",
         "expires_at": "2026-12-23T02:00:00+00:00"},
    )  # fmt: skip
    assert raw not in str(entry.data)


def test_read_only_key_reads_but_does_not_write(org, now):
    raw = api_keys.api_key_create(
        actor=org["member"], user=org["member"], scope="read_only", days=10, now=now
    ).secret
    response = bearer(raw).get(reverse("me"))
    assert (response.status_code, response.json()["username"]) == (200, "acme-bob")
    assert ApiKey.objects.get().last_used_at == now
    response = bearer(raw).post(reverse("api-key-list"), {"scope": "full"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "api_key.scope"
    assert ApiKey.objects.count() == 1
    zh = bearer(raw, "zh-hans").post(reverse("api-key-list"), {"scope": "full"}, format="json")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh.json()["message"]), zh.json()


def test_cases_key_reaches_only_case_routes(org, now):
    raw = api_keys.api_key_create(
        actor=org["member"], user=org["member"], scope="cases", days=10, now=now
    ).secret
    assert bearer(raw).get(reverse("case-list")).status_code == 200
    response = bearer(raw).get(reverse("me"))
    assert (response.status_code, response.json()["code"]) == (403, "api_key.scope")


def test_full_key_does_what_the_person_may(org, now):
    raw = api_keys.api_key_create(
        actor=org["member"], user=org["member"], scope="full", days=10, now=now
    ).secret
    response = bearer(raw).post(reverse("api-key-list"), {"scope": "cases"}, format="json")
    assert response.status_code == 201


def test_expired_revoked_wrong_and_deactivated_keys_are_refused(org, now, monkeypatch):
    made = api_keys.api_key_create(
        actor=org["member"], user=org["member"], scope="full", days=1, now=now
    )
    raw = made.secret
    assert bearer(raw[:-1] + ("0" if raw[-1] != "0" else "1")).get(reverse("me")).status_code == 401
    monkeypatch.setattr(clock, "now", lambda: T0 + timedelta(days=1))
    response = bearer(raw).get(reverse("me"))
    assert (response.status_code, response.json()["code"]) == (401, "auth.failed")
    monkeypatch.setattr(clock, "now", lambda: T0)
    assert bearer(raw).get(reverse("me")).status_code == 200
    api_keys.api_key_revoke(actor=org["admin"], key=made.key, now=now)
    assert bearer(raw).get(reverse("me")).status_code == 401
    other = api_keys.api_key_create(
        actor=org["admin"], user=org["member"], scope="full", days=5, now=now
    ).secret
    from supportplan.accounts.services import user_access_change

    user_access_change(actor=org["admin"], user=org["member"], now=now, is_active=False)
    assert bearer(other).get(reverse("me")).status_code == 401
    assert [e.action for e in AuditEntry.objects.filter(action__startswith="api_key.")] == [
        "api_key.created", "api_key.revoked", "api_key.created",
    ]  # fmt: skip


def test_api_key_header_alternative_and_other_bearer_tokens(org, now):
    raw = api_keys.api_key_create(
        actor=org["member"], user=org["member"], scope="read_only", days=10, now=now
    ).secret
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert client.get(reverse("me")).status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Bearer not-one-of-ours")
    response = client.get(reverse("me"))
    assert (response.status_code, response.json()["code"]) == (401, "auth.required")


def test_tenant_admin_makes_and_revokes_a_colleagues_key(org, now):
    admin = api_client(org["admin"])
    response = admin.post(
        reverse("api-key-list"), {"scope": "cases", "user": org["member"].pk}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["username"] == "acme-bob"
    key_id = response.json()["id"]
    # the member sees their own; the admin sees the organisation's
    assert [
        k["id"] for k in api_client(org["member"]).get(reverse("api-key-list")).json()["results"]
    ] == [key_id]
    response = admin.post(reverse("api-key-revoke", args=[key_id]))
    assert response.json()["state"] == "revoked"
    entry = AuditEntry.objects.get(action="api_key.revoked")
    assert (entry.actor_id, entry.tenant_id) == (org["admin"].pk, org["tenant"].pk)
    # a member cannot make keys for the administrator
    response = api_client(org["member"]).post(
        reverse("api-key-list"), {"scope": "full", "user": org["admin"].pk}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_bad_expiry_and_scope_are_clear_errors(org, now):
    client = api_client(org["member"])
    response = client.post(reverse("api-key-list"), {"scope": "root", "days": 9999}, format="json")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"scope", "days"}


def test_token_endpoint_still_works_and_is_throttled(org, now):
    client = APIClient()
    url = reverse("api-token")
    ok = client.post(url, {"username": "acme-bob", "password": "pw-for-tests-123"}, format="json")
    assert ok.status_code == 200 and len(ok.json()["token"]) == 40
    codes = [
        client.post(url, {"username": "acme-admin", "password": "pw-for-tests-123"}).status_code
        for _ in range(20)
    ]
    assert codes == [200] * 19 + [429]
    response = client.post(url, {"username": "acme-bob", "password": "pw-for-tests-123"})
    assert response.json()["code"] == "throttled" and int(response["Retry-After"]) > 0


def test_portal_page_shows_the_key_once_and_revokes(org, now):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(org["admin"])
    url = reverse("web:api_keys")
    response = client.post(
        url,
        {"name": "nightly export", "scope": "read_only", "days": "30", "owner": org["member"].pk},
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == NEVER_CACHE
    key = ApiKey.objects.get()
    assert key.user == org["member"]
    page = response.content.decode()
    assert f"{key.prefix}_" in page and "Copy the key now" in page
    again = client.get(url).content.decode()
    assert "Copy the key now" not in again and "nightly export" in again
    zh = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    zh.force_login(make_user(Role.CUSTOMER_MEMBER, tenant=org["tenant"], username="acme-zh"))
    assert "只读" in zh.get(url).content.decode()
    response = client.post(reverse("web:api_key_revoke", args=[key.pk]))
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at == now
    stranger = make_user(Role.CUSTOMER_ADMIN, username="other-admin")
    other = Client()
    other.force_login(stranger)
    assert other.post(reverse("web:api_key_revoke", args=[key.pk])).status_code == 404
