"""Files posted in an IM group go into the case: the payloads are built with each vendor's
published signing / encryption and posted to the product; the vendor's open API (token and
file download, exactly the documented endpoints) is a local HTTP server on 127.0.0.1 that
checks the credentials, the token and the parameters as the real one does."""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from supportplan.cases import services as case_services
from supportplan.cases.models import Attachment
from supportplan.core import clock
from supportplan.integrations import im_crypto
from supportplan.integrations.im_files import FileRef, im_file_attach
from supportplan.integrations.models import ImConversation
from supportplan.integrations.tests.test_im import said as _said
from supportplan.integrations.tests.test_im import setup_group
from supportplan.notifications.tests.receivers import RobotReceiver

pytestmark = pytest.mark.django_db(transaction=True)

FEISHU = {"verification_token": "vt-1", "encrypt_key": "ek-1", "app_id": "cli_a1",
          "app_secret": "feishu-app-secret"}  # fmt: skip
DINGTALK = {"app_secret": "ding-secret", "app_key": "ding-key", "robot_code": "ding-robot"}
LOG = "2026-12-01 10:00:01 ERROR upstream timed out\n数据库连接失败\n".encode()
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


class Vendor:
    """Feishu's and DingTalk's open APIs as documented: token, then the file."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}  # key -> bytes, content type
        self.calls: list[str] = []
        vendor = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status: int, data: dict[str, Any]) -> None:
                self._send(status, json.dumps(data).encode(), "application/json")

            def _body(self) -> dict[str, Any]:
                return json.loads(self.rfile.read(int(self.headers["Content-Length"])))  # type: ignore[no-any-return]

            def do_POST(self) -> None:
                vendor.calls.append(f"POST {self.path}")
                data = self._body()
                if self.path == "/open-apis/auth/v3/tenant_access_token/internal":
                    if (data.get("app_id"), data.get("app_secret")) != (
                        "cli_a1",
                        "feishu-app-secret",
                    ):
                        return self._json(200, {"code": 10014, "msg": "app secret invalid"})
                    return self._json(200, {"code": 0, "msg": "ok", "expire": 7200,
                                            "tenant_access_token": "t-feishu-token"})  # fmt: skip
                if self.path == "/v1.0/oauth2/accessToken":
                    if (data.get("appKey"), data.get("appSecret")) != ("ding-key", "ding-secret"):
                        return self._json(400, {"code": "invalidClientSecret"})
                    return self._json(200, {"accessToken": "ding-token", "expireIn": 7200})
                if self.path == "/v1.0/robot/messageFiles/download":
                    if self.headers.get("x-acs-dingtalk-access-token") != "ding-token":
                        return self._json(401, {"code": "InvalidAuthentication"})
                    code = data.get("downloadCode", "")
                    if data.get("robotCode") != "ding-robot" or code not in vendor.files:
                        return self._json(400, {"code": "invalidParameter"})
                    return self._json(200, {"downloadUrl": f"{vendor.url}/dl/{code}?sig=x"})
                self._json(404, {"code": "notFound"})

            def do_GET(self) -> None:
                vendor.calls.append(f"GET {self.path}")
                url = urlparse(self.path)
                parts = url.path.split("/")
                if url.path.startswith("/open-apis/im/v1/messages/") and len(parts) == 8:
                    if self.headers.get("Authorization") != "Bearer t-feishu-token":
                        return self._json(400, {"code": 99991663, "msg": "token invalid"})
                    kind = parse_qs(url.query).get("type", [""])[0]
                    key = parts[7]
                    prefix = {"file": "file_", "image": "img_"}.get(kind, "?")
                    if key not in vendor.files or not key.startswith(prefix):
                        return self._json(400, {"code": 234003, "msg": "file not in message"})
                    return self._send(200, *vendor.files[key])
                if url.path.startswith("/dl/") and parts[2] in vendor.files:
                    return self._send(200, *vendor.files[parts[2]])
                self._json(404, {"code": "notFound"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def robots(settings):
    settings.NOTIFICATIONS_ROBOT_EXTRA_HOSTS = ["127.0.0.1"]
    made: dict[str, RobotReceiver] = {}
    yield made
    for receiver in made.values():
        receiver.stop()


@pytest.fixture
def vendor(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    server = Vendor()
    settings.SUPPORTPLAN_IM_API_BASE = {"feishu": server.url, "dingtalk": server.url}
    yield server
    server.stop()


def said(receiver):
    """The answer's text as each robot takes it (Feishu content.text, DingTalk markdown)."""
    out = []
    for r, text in zip(receiver.received, _said(receiver), strict=True):
        if isinstance(r.body.get("content"), dict):
            text = r.body["content"]["text"]
        elif "markdown" in r.body and "title" in r.body["markdown"]:
            text = r.body["markdown"]["title"]
        out.append(text)
    return out


def open_case(group, admin, sender_id):
    case = case_services.case_open(
        actor=admin, tenant=group.tenant, provider="tencent", channel="im_group",
        severity="usage_question", subject="CDN 回源失败", description="CDN 回源失败",
        now=clock.now(),
    )  # fmt: skip
    ImConversation.objects.update_or_create(
        group=group, sender_id=sender_id,
        defaults={"sender_name": sender_id, "case": case, "updated_at": clock.now()},
    )  # fmt: skip
    return case


def feishu_post(url, event):
    body = json.dumps({"encrypt": im_crypto.feishu_encrypt("ek-1", json.dumps(event))}).encode()
    ts, nonce = str(int(time.time())), uuid.uuid4().hex
    return httpx.post(url, content=body, headers={
        "Content-Type": "application/json", "X-Lark-Request-Timestamp": ts,
        "X-Lark-Request-Nonce": nonce,
        "X-Lark-Signature": im_crypto.feishu_signature(ts, nonce, "ek-1", body),
    })  # fmt: skip


def feishu_message(message_type, content, *, message_id=None, chat="oc_ops"):
    return {
        "schema": "2.0",
        "header": {"event_id": uuid.uuid4().hex, "event_type": "im.message.receive_v1",
                   "token": "vt-1"},
        "event": {
            "sender": {"sender_id": {"open_id": "ou_li", "user_id": "li"}},
            "message": {"message_id": message_id or f"om_{uuid.uuid4().hex}", "chat_id": chat,
                        "message_type": message_type, "content": json.dumps(content)},
        },
    }  # fmt: skip


def test_feishu_file_and_image_in_the_case_thread_are_attached(live_server, robots, vendor):
    tenant, admin, _s, group, robot = setup_group(
        robots, "tencent", "s1", "feishu", FEISHU, "oc_ops"
    )
    case = open_case(group, admin, "ou_li")
    url = f"{live_server.url}/integrations/im/{group.pk}/"
    vendor.files["file_v3_log"] = (LOG, "application/octet-stream")
    vendor.files["img_v3_shot"] = (PNG, "image/png")

    event = feishu_message("file", {"file_key": "file_v3_log", "file_name": "nginx-error.log"},
                           message_id="om_file1")  # fmt: skip
    answer = feishu_post(url, event)
    assert (answer.status_code, answer.json()) == (200, {"answers": []})
    attachment = Attachment.objects.get(case=case)
    assert (attachment.name, attachment.file.read(), attachment.tenant_id) == (
        "nginx-error.log", LOG, tenant.pk,
    )  # fmt: skip
    assert said(robot)[-1] == f"文件 nginx-error.log 已添加到工单 #{case.pk}。"
    assert "GET /open-apis/im/v1/messages/om_file1/resources/file_v3_log?type=file" in vendor.calls

    # The image message has no name: the key and the type the platform gives.
    feishu_post(url, feishu_message("image", {"image_key": "img_v3_shot"}, message_id="om_img1"))
    image = Attachment.objects.get(case=case, name="img_v3_shot.png")
    assert (image.name, image.file.read()) == ("img_v3_shot.png", PNG)
    assert "GET /open-apis/im/v1/messages/om_img1/resources/img_v3_shot?type=image" in vendor.calls

    # The platform's retry of the same message attaches nothing more.
    assert feishu_post(url, event).json() == {"answers": []}
    assert Attachment.objects.filter(case=case).count() == 2


def test_feishu_oversized_and_refused_files_answer_and_attach_nothing(
    live_server,
    robots,
    vendor,
    settings,
):
    settings.SUPPORTPLAN_ATTACHMENT_MAX_BYTES = 1024 * 1024
    _t, admin, _s, group, robot = setup_group(robots, "tencent", "s1", "feishu", FEISHU, "oc_ops")
    case = open_case(group, admin, "ou_li")
    url = f"{live_server.url}/integrations/im/{group.pk}/"
    vendor.files["file_big"] = (b"x" * (1024 * 1024 + 1), "application/octet-stream")
    vendor.files["file_exe"] = (b"MZ\x90\x00", "application/octet-stream")

    feishu_post(url, feishu_message("file", {"file_key": "file_big", "file_name": "dump.log"}))
    assert said(robot)[-1] == (
        f"文件未添加到工单 #{case.pk}：文件超过 1.0 MB，附件不能超过此大小。"
    )
    feishu_post(url, feishu_message("file", {"file_key": "file_exe", "file_name": "tool.exe"}))
    assert said(robot)[-1].startswith(f"文件未添加到工单 #{case.pk}：不能上传 .exe 类型的文件。")
    assert Attachment.objects.count() == 0


def test_feishu_file_without_app_credentials_or_case_answers_clearly(live_server, robots, vendor):
    signing = {k: FEISHU[k] for k in ("verification_token", "encrypt_key")}
    _t, admin, _s, group, robot = setup_group(robots, "tencent", "s1", "feishu", signing, "oc_ops")
    url = f"{live_server.url}/integrations/im/{group.pk}/"
    vendor.files["file_v3_log"] = (LOG, "text/plain")
    event = feishu_message("file", {"file_key": "file_v3_log", "file_name": "a.log"})
    assert feishu_post(url, event).json() == {
        "answers": ["先提交工单（@我并说明问题），再发送文件。"]
    }
    open_case(group, admin, "ou_li")
    assert feishu_post(url, feishu_message("file", {"file_key": "file_v3_log"})).json() == {
        "answers": ["无法获取文件：请管理员在 IM 群页面填写应用凭据。"]
    }
    assert Attachment.objects.count() == 0
    assert vendor.calls == []


def dingtalk_post(url, body, secret="ding-secret"):
    stamp = str(int(time.time() * 1000))
    return httpx.post(
        url, json=body, headers={"timestamp": stamp, "sign": im_crypto.dingtalk_sign(secret, stamp)}
    )


def dingtalk_file(msgtype, content, *, msg_id=None):
    return {
        "msgtype": msgtype, "content": content, "msgId": msg_id or uuid.uuid4().hex,
        "senderNick": "王五", "senderStaffId": "wangwu", "conversationId": "cid-ops",
        "conversationType": "2", "isInAtList": True,
    }  # fmt: skip


def test_dingtalk_file_and_picture_are_attached(live_server, robots, vendor):
    _t, admin, _s, group, robot = setup_group(
        robots, "tencent", "s1", "dingtalk", DINGTALK, "cid-ops"
    )
    case = open_case(group, admin, "wangwu")
    url = f"{live_server.url}/integrations/im/{group.pk}/"
    vendor.files["dc-file"] = (LOG, "application/octet-stream")
    vendor.files["dc-pic"] = (PNG, "image/png")

    body = dingtalk_file("file", {"downloadCode": "dc-file", "fileName": "slow-query.log"})
    assert dingtalk_post(url, body).json() == {"answers": []}
    attachment = Attachment.objects.get(case=case)
    assert (attachment.name, attachment.file.read()) == ("slow-query.log", LOG)
    assert said(robot)[-1] == f"文件 slow-query.log 已添加到工单 #{case.pk}。"
    assert vendor.calls[:3] == [
        "POST /v1.0/oauth2/accessToken", "POST /v1.0/robot/messageFiles/download",
        "GET /dl/dc-file?sig=x",
    ]  # fmt: skip
    dingtalk_post(url, dingtalk_file("picture", {"downloadCode": "dc-pic"}))
    picture = Attachment.objects.get(case=case, name="picture.png")
    assert (picture.name, picture.file.read()) == ("picture.png", PNG)

    # The platform refuses (an unknown download code): said in the group, nothing attached.
    dingtalk_post(url, dingtalk_file("file", {"downloadCode": "dc-gone", "fileName": "x.log"}))
    assert said(robot)[-1] == f"文件未添加到工单 #{case.pk}：平台拒绝提供该文件（HTTP 400）。"
    assert Attachment.objects.filter(case=case).count() == 2


def test_another_tenants_group_cannot_attach_to_this_tenants_case(live_server, robots, vendor):
    _t, admin, _s, group, robot = setup_group(
        robots, "tencent", "s1", "dingtalk", DINGTALK, "cid-ops"
    )
    case = open_case(group, admin, "wangwu")
    robots["dingtalk-first"] = robots.pop("dingtalk")  # stopped by the fixture too
    _t2, _a2, _s2, other, other_robot = setup_group(
        robots, "tencent", "s1", "dingtalk", DINGTALK, "cid-other"
    )
    vendor.files["dc-file"] = (LOG, "text/plain")
    url = f"{live_server.url}/integrations/im/{other.pk}/"
    body = dingtalk_file("file", {"downloadCode": "dc-file", "fileName": "a.log"})
    body["conversationId"] = "cid-other"
    assert dingtalk_post(url, body).json() == {
        "answers": ["先提交工单（@我并说明问题），再发送文件。"]
    }
    # Even the task, given the other organisation's case number, refuses it.
    with __import__("django").utils.translation.override("zh-hans"):
        answer = im_file_attach(
            group=other, case_id=case.pk, message_id="m-x",
            ref=FileRef("file", "dc-file", "a.log"), now=clock.now(),
        )  # fmt: skip
    assert answer == f"工单 #{case.pk} 不是本群的工单。"
    assert Attachment.objects.count() == 0
