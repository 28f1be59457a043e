"""Connecting IM groups: the page (Organisation → IM groups) and /api/im-groups/ — who may,
what is shown (the callback URL, the steps, secrets masked, generated ones once), what is
audited, and that a disconnected group's URL refuses messages."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest

from supportplan.accounts.models import Role
from supportplan.cases.models import Case
from supportplan.cases.tests.factories import customer, entitle, load_catalogs
from supportplan.core import clock
from supportplan.core.models import AuditEntry
from supportplan.core.testing import NEVER_CACHE, api_client, make_user
from supportplan.integrations import im_crypto
from supportplan.integrations.imbot import group_secrets
from supportplan.integrations.models import ImGroup

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings):
    settings.NOTIFICATIONS_ROBOT_EXTRA_HOSTS = ["127.0.0.1"]
    start = clock.now() - timedelta(days=30)
    load_catalogs(start)
    tenant, admin, systems = customer(None, None)
    entitle(tenant, "partner", "vip", start=start)
    make_user(Role.ENGINEER, handler_tier="engineer")
    make_user(Role.EXPERT, handler_tier="expert")
    make_user(Role.SENIOR_EXPERT, handler_tier="senior_expert")
    member = make_user(Role.CUSTOMER_MEMBER, tenant=tenant)
    return {"tenant": tenant, "admin": admin, "member": member, "systems": systems}


def test_api_connects_a_wecom_group_with_secrets_made_once_and_masked_after(world):
    client = api_client(world["admin"])
    answer = client.post(
        "/api/im-groups/",
        {"platform": "wecom", "name": "运维群", "chat_id": "wr-ops",
         "robot_webhook": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k-123456"},
        format="json",
    )  # fmt: skip
    assert answer.status_code == 201, answer.content
    body = answer.json()
    group = ImGroup.objects.get()
    stored = group_secrets(group)
    assert body["generated_secrets"] == stored  # the token and EncodingAESKey, this once
    assert len(stored["encoding_aes_key"]) == 43 and len(stored["token"]) == 32
    assert im_crypto.wecom_decrypt(  # a key WeCom accepts: 43 characters, 32 bytes
        token=stored["token"], encoding_aes_key=stored["encoding_aes_key"], receive_id="",
        signature=im_crypto.wecom_signature(stored["token"], "1", "n", enc := im_crypto.wecom_encrypt(
            encoding_aes_key=stored["encoding_aes_key"], receive_id="", message="hi")),
        timestamp="1", nonce="n", encrypted=enc,
    ) == "hi"  # fmt: skip
    assert body["callback_url"] == f"http://testserver/integrations/im/{group.pk}/"
    assert body["steps"][1] == (
        f"Set the URL to {body['callback_url']}, and paste the Token and EncodingAESKey shown here."
    )
    assert (body["platform"], body["chat_id"], body["robot"]) == ("wecom", "wr-ops", "运维群")
    assert answer["Cache-Control"] == NEVER_CACHE
    assert (group.requester, group.robot.platform) == (world["admin"], "wecom")
    listed = client.get("/api/im-groups/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [r["id"] for r in rows] == [group.pk]
    assert rows[0]["secrets"] == [
        {"name": "Token", "hint": f"…{stored['token'][-4:]}"},
        {"name": "EncodingAESKey", "hint": f"…{stored['encoding_aes_key'][-4:]}"},
    ]
    text = json.dumps(listed)
    assert stored["token"] not in text and stored["encoding_aes_key"] not in text
    assert "generated_secrets" not in text
    entry = AuditEntry.objects.get(action="im.group_connected")
    assert (entry.actor_id, entry.tenant_id, entry.data) == (
        world["admin"].pk, world["tenant"].pk, {"platform": "wecom", "name": "运维群"},
    )  # fmt: skip
    assert stored["token"] not in json.dumps(list(AuditEntry.objects.values("data")))


def test_api_refusals_are_enveloped_and_in_the_callers_language(world):
    member = api_client(world["member"], language="zh-hans")
    refused = member.post(
        "/api/im-groups/", {"platform": "welink", "name": "x", "app_secret": "s"}, format="json"
    )
    assert refused.status_code == 403
    assert refused.json() == {
        "code": "im.forbidden", "message": "只有贵组织的管理员可以接入 IM企业群。", "params": {},
    }  # fmt: skip
    admin = api_client(world["admin"], language="en")
    missing = admin.post("/api/im-groups/", {"platform": "welink", "name": "x"}, format="json")
    assert missing.status_code == 400
    assert missing.json()["code"] == "im.secret_missing"
    assert missing.json()["message"] == "Give the platform's app_secret."
    unknown = admin.post("/api/im-groups/", {"platform": "slack", "name": "x"}, format="json")
    assert unknown.status_code == 400 and set(unknown.json()) >= {"code", "message"}
    assert ImGroup.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_api_disconnect_refuses_later_messages_and_other_tenants_never_see_it(world, live_server):
    import httpx

    admin = api_client(world["admin"])
    made = admin.post(
        "/api/im-groups/", {"platform": "welink", "name": "WeLink 群", "app_secret": "wl-s",
                            "chat_id": "g1"}, format="json",
    ).json()  # fmt: skip
    other_tenant, other_admin, _ = customer(None, None)
    outsider = api_client(other_admin)
    assert outsider.get(f"/api/im-groups/{made['id']}/").status_code == 404
    gone = outsider.delete(f"/api/im-groups/{made['id']}/")
    assert (gone.status_code, gone.json()["code"]) == (404, "not_found")
    assert api_client(world["member"]).delete(f"/api/im-groups/{made['id']}/").status_code == 403
    assert ImGroup.objects.get().active
    url = f"{live_server.url}/integrations/im/{made['id']}/"
    event = {"eventType": "test", "timestamp": str(int(time.time()))}
    assert (
        httpx.post(
            url, json={"encrypt": im_crypto.welink_encrypt("wl-s", json.dumps(event))}
        ).status_code
        == 200
    )
    assert admin.delete(f"/api/im-groups/{made['id']}/").status_code == 204
    assert AuditEntry.objects.filter(action="im.group_disconnected").count() == 1
    again = httpx.post(url, json={"encrypt": im_crypto.welink_encrypt("wl-s", json.dumps(event))})
    assert (again.status_code, again.json()["code"]) == (404, "im.unknown_group")
    assert admin.get("/api/im-groups/").json() in (
        [],
        {"count": 0, "next": None, "previous": None, "results": []},
    )


def test_schema_documents_the_im_group_endpoints(world):
    schema = api_client(world["admin"]).get("/api/schema/", {"format": "json"}).json()
    create = schema["paths"]["/api/im-groups/"]["post"]
    assert {"201", "400", "403", "404"} <= set(create["responses"])
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "NewImGroupRequest"
    )
    assert set(schema["paths"]["/api/im-groups/{id}/"]) >= {"get", "delete"}


def test_the_admin_connects_on_the_page_and_members_only_see(world, client):
    client.force_login(world["admin"])
    org = client.get("/organisation/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="/org/im-groups/"' in org
    page = client.post(
        "/org/im-groups/",
        {"platform": "welink", "name": "Ops on WeLink", "chat_id": "g-ops",
         "app_secret": "welink-app-secret-123"},
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    assert page.status_code == 200
    text = page.content.decode()
    group = ImGroup.objects.get()
    assert f"http://testserver/integrations/im/{group.pk}/" in text
    # the admin reads the page in their own language (zh-Hans)
    assert f"在回调设置中，将回调地址设为 http://testserver/integrations/im/{group.pk}/。" in text
    assert "welink-app-secret-123" not in text  # typed, never shown back
    assert page["Cache-Control"] == NEVER_CACHE
    listing = client.get("/org/im-groups/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "…-123" in listing and "welink-app-secret-123" not in listing
    assert "在 WeLink 开放平台" in listing

    client.force_login(world["member"])
    seen = client.get("/org/im-groups/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Ops on WeLink" in seen and 'id="im-group-form"' not in seen
    tried = client.post("/org/im-groups/", {"platform": "wecom", "name": "evil"})
    assert tried.status_code == 302 and ImGroup.objects.count() == 1
    removed = client.post(f"/org/im-groups/{group.pk}/remove/")
    assert removed.status_code == 302 and ImGroup.objects.get().active

    client.force_login(world["admin"])
    assert client.post(f"/org/im-groups/{group.pk}/remove/").status_code == 302
    assert not ImGroup.objects.get().active
    assert Case.objects.count() == 0


def test_an_organisation_with_plans_of_two_providers_chooses_the_groups_provider(world):
    start = clock.now() - timedelta(days=30)
    entitle(world["tenant"], "tencent", "s2", start=start)
    client = api_client(world["admin"])
    body = {"platform": "dingtalk", "name": "值班群", "app_secret": "ding-secret"}
    refused = client.post("/api/im-groups/", body, format="json")
    assert refused.status_code == 400, refused.content
    assert refused.json()["code"] == "im.provider_required"
    assert not ImGroup.objects.exists()
    made = client.post("/api/im-groups/", {**body, "provider": "tencent"}, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["provider"] == "tencent"
    assert ImGroup.objects.get().provider == "tencent"
    # the page asks for the provider only in this case
    from supportplan.web.tests.conftest import client_for

    page = client_for(world["admin"]).get("/org/im-groups/").content.decode()
    assert 'name="provider"' in page
