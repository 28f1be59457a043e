"""The IM enterprise group both ways: payloads built with each vendor's published algorithm
(WeCom message crypto, Feishu AES-256-CBC and signature, DingTalk HMAC) posted to the
product on 127.0.0.1; the bot's answers received by local HTTP receivers standing in for
the group robots."""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta

import httpx
import pytest

from supportplan.accounts.models import Role
from supportplan.cases import services as case_services
from supportplan.cases.models import Case
from supportplan.cases.tests.factories import customer, entitle, load_catalogs
from supportplan.core import clock
from supportplan.core.testing import make_user
from supportplan.integrations import im_crypto
from supportplan.integrations.imbot import im_group_add
from supportplan.notifications import services as notifications
from supportplan.notifications.tests.receivers import RobotReceiver

pytestmark = pytest.mark.django_db(transaction=True)
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"  # 43 characters, as WeCom generates


@pytest.fixture
def robots(settings):
    settings.NOTIFICATIONS_ROBOT_EXTRA_HOSTS = ["127.0.0.1"]
    made: dict[str, RobotReceiver] = {}
    yield made
    for receiver in made.values():
        receiver.stop()


def said(receiver: RobotReceiver) -> list[str]:
    out = []
    for r in receiver.received:
        body = r.body
        text = (
            body.get("text", {}).get("content")
            or body.get("markdown", {}).get("content")
            or json.dumps(body, ensure_ascii=False)
        )
        out.append(text)
    return out


def setup_group(robots, provider, plan, platform, secrets, chat_id):
    start = clock.now() - timedelta(days=30)
    load_catalogs(start)
    tenant, admin, systems = customer(None, None)
    entitle(tenant, provider, plan, start=start)
    make_user(Role.ENGINEER, handler_tier="engineer")
    make_user(Role.EXPERT, handler_tier="expert")
    make_user(Role.SENIOR_EXPERT, handler_tier="senior_expert")
    receiver = robots[platform] = RobotReceiver(platform)
    robot = notifications.robot_add(
        actor=admin, platform=platform, name="group robot", webhook_url=receiver.url(),
        now=clock.now(), tenant=tenant, secret="",
    )  # fmt: skip
    group = im_group_add(
        actor=admin, tenant=tenant, platform=platform, name="ops group", secrets=secrets,
        requester=admin, now=clock.now(), chat_id=chat_id, robot=robot,
    )  # fmt: skip
    return tenant, admin, systems, group, receiver


def wecom_post(url, secrets, message, *, timestamp=None, token=None):
    encrypted = im_crypto.wecom_encrypt(
        encoding_aes_key=secrets["encoding_aes_key"], receive_id="", message=json.dumps(message)
    )
    ts = str(int(timestamp if timestamp is not None else time.time()))
    nonce = uuid.uuid4().hex[:10]
    signature = im_crypto.wecom_signature(token or secrets["token"], ts, nonce, encrypted)
    return httpx.post(
        f"{url}?msg_signature={signature}&timestamp={ts}&nonce={nonce}",
        json={"encrypt": encrypted},
    )


def wecom_text(text, *, msgid=None, chat="wr-ops", user="zhangsan"):
    return {
        "msgid": msgid or uuid.uuid4().hex, "chatid": chat, "chattype": "group",
        "from": {"userid": user}, "msgtype": "text", "text": {"content": f"@support {text}"},
    }  # fmt: skip


def test_wecom_group_opens_asks_answers_and_hears_back(live_server, robots):
    secrets = {"token": "wecom-token", "encoding_aes_key": AES_KEY}
    tenant, admin, systems, group, robot = setup_group(
        robots, "partner", "vip", "wecom", secrets, "wr-ops"
    )
    url = f"{live_server.url}/integrations/im/{group.pk}/"
    # URL verification: WeCom GETs the URL with an encrypted echostr.
    echo = im_crypto.wecom_encrypt(encoding_aes_key=AES_KEY, receive_id="", message="12345")
    ts, nonce = str(int(time.time())), "n1"
    verify = httpx.get(url, params={
        "msg_signature": im_crypto.wecom_signature("wecom-token", ts, nonce, echo),
        "timestamp": ts, "nonce": nonce, "echostr": echo,
    })  # fmt: skip
    assert (verify.status_code, verify.text) == (200, "12345")

    first = wecom_post(url, secrets, wecom_text("支付数据库主库宕机"))
    assert first.status_code == 200, first.text
    assert first.json()["answers"] == [
        "问题的严重性是？请回复序号：\n1. 核心生产系统不可用\n2. 生产系统不可用\n"
        "3. 生产系统异常\n4. 系统异常\n5. 一般性指导"
    ]
    assert "1. 核心生产系统不可用" in said(robot)[-1]  # posted to the group too
    asked = wecom_post(url, secrets, wecom_text("1")).json()["answers"]  # core production down
    core = systems["core_production"]
    assert asked == [f"受影响的是哪个系统？请回复序号：\n1. {core.name} (核心生产系统)"]
    answer = wecom_post(url, secrets, wecom_text("1")).json()["answers"][0]
    case = Case.objects.get()
    assert (case.channel, case.im_platform, case.severity, case.system_id) == (
        "im_group", "wecom", "core_production_down", systems["core_production"].pk,
    )  # fmt: skip
    due = clock.to_business(case.first_response_due).strftime("%Y-%m-%d %H:%M")
    assert answer == f"工单 #{case.pk} 已提交：支付数据库主库宕机。首次响应截止 {due}（北京时间）。"
    assert "支付数据库主库宕机" in case.description

    more = wecom_post(url, secrets, wecom_text("从库也连不上了")).json()["answers"]
    assert more == [f"已追加到工单 #{case.pk}。"]
    assert case.communications.filter(body__contains="从库也连不上了").exists()
    status = wecom_post(url, secrets, wecom_text("状态")).json()["answers"][0]
    assert status.startswith(f"本群未关闭的工单：\n#{case.pk} 支付数据库主库宕机 — ")
    assert status.endswith(f"首次响应截止 {due}")

    # A staff public reply goes back to the group.
    engineer = Case.objects.get().assignee
    case_services.case_reply(
        actor=engineer, case=Case.objects.get(), body="正在切换，预计 10 分钟。", now=clock.now()
    )
    assert any("正在切换，预计 10 分钟。" in t for t in said(robot))

    # Replays, other groups' chats, wrong signatures, old timestamps: refused or ignored.
    before = Case.objects.get().communications.count()
    repeat = wecom_text("从库也连不上了 again", msgid="fixed-id")
    assert wecom_post(url, secrets, repeat).status_code == 200
    assert wecom_post(url, secrets, repeat).json() == {"answers": []}
    assert Case.objects.get().communications.count() == before + 1
    assert wecom_post(url, secrets, wecom_text("x", chat="wr-other")).status_code == 403
    assert wecom_post(url, secrets, wecom_text("x"), token="not-the-token").status_code == 403
    assert wecom_post(url, secrets, wecom_text("x"), timestamp=time.time() - 600).status_code == 403
    assert httpx.post(url, json={"encrypt": "AAAA"}).status_code == 403
    assert Case.objects.count() == 1


def test_feishu_encrypted_event_and_challenge(live_server, robots):
    secrets = {"verification_token": "vt-1", "encrypt_key": "ek-1"}
    tenant, admin, systems, group, robot = setup_group(
        robots, "tencent", "s1", "feishu", secrets, "oc_ops"
    )
    url = f"{live_server.url}/integrations/im/{group.pk}/"

    def post(event: dict, *, sign=True):
        body = json.dumps({"encrypt": im_crypto.feishu_encrypt("ek-1", json.dumps(event))}).encode()
        ts, nonce = str(int(time.time())), uuid.uuid4().hex
        headers = {"Content-Type": "application/json"}
        if sign:
            headers |= {
                "X-Lark-Request-Timestamp": ts, "X-Lark-Request-Nonce": nonce,
                "X-Lark-Signature": im_crypto.feishu_signature(ts, nonce, "ek-1", body),
            }  # fmt: skip
        return httpx.post(url, content=body, headers=headers)

    challenge = post({"challenge": "c-42", "token": "vt-1", "type": "url_verification"}, sign=False)
    assert challenge.json() == {"challenge": "c-42"}

    def message(text):
        return {
            "schema": "2.0",
            "header": {"event_id": uuid.uuid4().hex, "event_type": "im.message.receive_v1",
                       "token": "vt-1"},
            "event": {
                "sender": {"sender_id": {"open_id": "ou_li", "user_id": "li"}},
                "message": {"message_id": uuid.uuid4().hex, "chat_id": "oc_ops",
                            "message_type": "text",
                            "content": json.dumps({"text": f"@_user_1 {text}"})},
            },
        }  # fmt: skip

    assert "1. " in post(message("CDN 回源失败")).json()["answers"][0]
    post(message("3"))  # the least severe of S1: usage question, no system needed
    case = Case.objects.get()
    assert (case.channel, case.im_platform, case.severity) == ("im_group", "", "usage_question")
    assert post(message("x"), sign=False).status_code == 403
    wrong = message("x")
    wrong["header"]["token"] = "vt-other"
    assert post(wrong).status_code == 403


def test_dingtalk_signed_robot_callback(live_server, robots):
    secrets = {"app_secret": "ding-secret"}
    tenant, admin, systems, group, robot = setup_group(
        robots, "tencent", "s2", "dingtalk", secrets, "cid-ops"
    )
    url = f"{live_server.url}/integrations/im/{group.pk}/"

    def post(text, *, secret="ding-secret", ts=None):
        stamp = str(int((ts if ts is not None else time.time()) * 1000))
        body = {
            "msgtype": "text", "text": {"content": f" {text}"}, "msgId": uuid.uuid4().hex,
            "senderNick": "王五", "senderStaffId": "wangwu", "conversationId": "cid-ops",
            "conversationType": "2", "isInAtList": True,
        }  # fmt: skip
        return httpx.post(
            url,
            json=body,
            headers={"timestamp": stamp, "sign": im_crypto.dingtalk_sign(secret, stamp)},
        )

    assert post("直播推流中断").status_code == 200
    assert "1. " in said(robot)[-1]
    assert post("x", secret="wrong").status_code == 403
    assert post("x", ts=time.time() - 3600).status_code == 403
    assert httpx.post(url, json={"msgId": "1"}).status_code == 403
    assert Case.objects.count() == 0


def welink_said(receiver: RobotReceiver) -> list[str]:
    return [r.body["content"]["text"] for r in receiver.received]


def test_welink_callback_is_decrypted_with_the_sdk_algorithm():
    """WeLink's own Python SDK (welink/api/callback/CallBackV1.py) encrypts with pycryptodome:
    AES-GCM, key SHA-1(SHA-1(app secret))[:16], base64(IV) + base64(ciphertext + tag). Built
    that way, independently of im_crypto, the message decrypts; with another secret it does not."""
    import base64
    import hashlib

    aes = pytest.importorskip("Crypto.Cipher.AES")
    key = hashlib.sha1(hashlib.sha1(b"welink-app-secret").digest()).digest()[:-4]
    iv = b"0805644218522078"
    cipher = aes.new(key, aes.MODE_GCM, nonce=iv)
    text, tag = cipher.encrypt_and_digest(b'{"eventType": "test", "timestamp": "1"}')
    sealed = base64.b64encode(iv).decode() + base64.b64encode(text + tag).decode()
    assert im_crypto.welink_decrypt("welink-app-secret", sealed) == (
        '{"eventType": "test", "timestamp": "1"}'
    )
    assert im_crypto.welink_encrypt("welink-app-secret", "x", iv=iv) == (
        base64.b64encode(iv).decode()
        + base64.b64encode(
            b"".join(aes.new(key, aes.MODE_GCM, nonce=iv).encrypt_and_digest(b"x"))
        ).decode()
    )
    # The documentation page's example carries the ciphertext hex-encoded inside the base64.
    hexed = (
        base64.b64encode(iv).decode()
        + base64.b64encode((text + tag).hex().upper().encode()).decode()
    )
    assert im_crypto.welink_decrypt("welink-app-secret", hexed).startswith('{"eventType"')
    with pytest.raises(im_crypto.Refused):
        im_crypto.welink_decrypt("another-secret", sealed)
    with pytest.raises(im_crypto.Refused):
        im_crypto.welink_decrypt("welink-app-secret", sealed[:30] + "A" + sealed[31:])


def welink_post(url, secret, event, *, timestamp=None):
    event = {"timestamp": str(int(timestamp if timestamp is not None else time.time())), **event}
    return httpx.post(url, json={"encrypt": im_crypto.welink_encrypt(secret, json.dumps(event))})


def welink_text(text, *, msg_id=None, group="wl-group-ops", user="lisi"):
    return {
        "eventType": "message", "msgId": msg_id or uuid.uuid4().hex, "groupId": group,
        "sender": {"userId": user, "userName": "李四"}, "content": {"text": f"@support {text}"},
    }  # fmt: skip


def welink_answer(response, secret):
    assert response.status_code == 200, response.text
    return json.loads(im_crypto.welink_decrypt(secret, response.json()["encrypt"]))


def test_welink_group_opens_asks_answers_and_hears_back(live_server, robots):
    secret = "welink-app-secret"
    tenant, admin, systems, group, robot = setup_group(
        robots, "partner", "vip", "welink", {"app_secret": secret}, "wl-group-ops"
    )
    url = f"{live_server.url}/integrations/im/{group.pk}/"
    # Saving the URL in WeLink's console sends the "test" event; the answer echoes its
    # timestamp, encrypted with the app secret, as the documentation asks.
    ts = str(int(time.time()))
    test = welink_answer(welink_post(url, secret, {"eventType": "test", "timestamp": ts}), secret)
    assert test == {"msg": "success", "timestamp": ts, "answers": []}

    first = welink_answer(welink_post(url, secret, welink_text("支付数据库主库宕机")), secret)
    assert first["msg"] == "success"
    assert first["answers"] == [
        "问题的严重性是？请回复序号：\n1. 核心生产系统不可用\n2. 生产系统不可用\n"
        "3. 生产系统异常\n4. 系统异常\n5. 一般性指导"
    ]
    assert welink_said(robot)[-1].startswith("问题的严重性是？请回复序号：")
    core = systems["core_production"]
    asked = welink_answer(welink_post(url, secret, welink_text("1")), secret)["answers"]
    assert asked == [f"受影响的是哪个系统？请回复序号：\n1. {core.name} (核心生产系统)"]
    opened = welink_answer(welink_post(url, secret, welink_text("1")), secret)["answers"][0]
    case = Case.objects.get()
    assert (case.channel, case.im_platform, case.severity, case.system_id, case.tenant_id) == (
        "im_group", "welink", "core_production_down", core.pk, tenant.pk,
    )  # fmt: skip
    due = clock.to_business(case.first_response_due).strftime("%Y-%m-%d %H:%M")
    assert opened == f"工单 #{case.pk} 已提交：支付数据库主库宕机。首次响应截止 {due}（北京时间）。"
    assert "李四" in case.description

    more = welink_answer(welink_post(url, secret, welink_text("从库也连不上了")), secret)
    assert more["answers"] == [f"已追加到工单 #{case.pk}。"]
    assert case.communications.filter(body="李四: 从库也连不上了").exists()
    status = welink_answer(welink_post(url, secret, welink_text("状态")), secret)["answers"][0]
    assert status.startswith(f"本群未关闭的工单：\n#{case.pk} 支付数据库主库宕机 — ")
    assert status.endswith(f"首次响应截止 {due}")

    case_services.case_reply(
        actor=Case.objects.get().assignee, case=Case.objects.get(), body="已定位，正在切换。",
        now=clock.now(),
    )  # fmt: skip
    assert welink_said(robot)[-1] == f"技术支持回复了工单 #{case.pk}：\n\n已定位，正在切换。"

    # Replays, other chats, other secrets, old or missing timestamps, unsigned posts.
    before = Case.objects.get().communications.count()
    repeat = welink_text("再补充一句", msg_id="wl-fixed")
    assert welink_answer(welink_post(url, secret, repeat), secret)["answers"] == [
        f"已追加到工单 #{case.pk}。"
    ]
    assert welink_answer(welink_post(url, secret, repeat), secret)["answers"] == []
    assert Case.objects.get().communications.count() == before + 1
    assert welink_post(url, secret, welink_text("x", group="wl-other")).status_code == 403
    assert welink_post(url, "another-secret", welink_text("x")).status_code == 403
    old = welink_post(url, secret, welink_text("x"), timestamp=time.time() - 600)
    assert (old.status_code, old.json()["code"]) == (403, "im.refused")
    no_time = {"encrypt": im_crypto.welink_encrypt(secret, json.dumps(welink_text("x")))}
    assert httpx.post(url, json=no_time).status_code == 403
    assert httpx.post(url, json={"eventType": "message", "content": "x"}).status_code == 403
    assert httpx.post(url, content=b"not json").status_code == 403
    assert Case.objects.get().communications.count() == before + 1
    assert Case.objects.count() == 1


def test_welink_message_for_one_group_is_refused_by_another_tenants_group(live_server, robots):
    """Each group has its own URL and app secret: tenant B's group URL refuses a message
    encrypted for tenant A's, and nothing is opened for either."""
    _ta, _aa, _sa, group_a, _ra = setup_group(
        robots, "partner", "vip", "welink", {"app_secret": "secret-a"}, "wl-a"
    )
    robots["welink-a"] = robots.pop("welink")
    _tb, _ab, _sb, group_b, _rb = setup_group(
        robots, "partner", "vip", "welink", {"app_secret": "secret-b"}, "wl-b"
    )
    url_b = f"{live_server.url}/integrations/im/{group_b.pk}/"
    answer = welink_post(url_b, "secret-a", welink_text("宕机", group="wl-a"))
    assert answer.status_code == 403
    assert Case.objects.count() == 0
