"""Files posted to the WeCom intelligent robot go into the case; WeLink's are answered with the
case's page. The WeCom callbacks are built with WeCom's message crypto (test_im.wecom_post); the
files behind their urls are encrypted as WeCom documents it (document/path/100719, 结构体说明:
AES-256-CBC with the callback's AESKey, IV its first 16 bytes, PKCS#7 to 32 bytes), here with
pycryptodome, independently of im_crypto, and served by a local HTTP server standing in for
WeCom's object storage (a signed url that refuses a wrong signature)."""

from __future__ import annotations

import base64
import logging
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlparse

import pytest
from Crypto.Cipher import AES
from Crypto.Util.Padding import pad

from supportplan.cases.models import Attachment, Case
from supportplan.core import clock
from supportplan.integrations import im_crypto
from supportplan.integrations.im_files import FileRef, im_file_attach
from supportplan.integrations.tests.test_im import AES_KEY, setup_group, wecom_post
from supportplan.integrations.tests.test_im import said as _said
from supportplan.integrations.tests.test_im_files import LOG, PNG, open_case
from supportplan.notifications.tests.receivers import RobotReceiver

pytestmark = pytest.mark.django_db(transaction=True)

WECOM = {"token": "wecom-token", "encoding_aes_key": AES_KEY}
SIGN = "q-sign-algorithm%3Dsha1%26q-signature%3D0f7b6576943685f82870bc8db306dbf0"
OWN_KEY = base64.b64encode(bytes(range(100, 132))).decode().rstrip("=")  # a long-connection aeskey


def wecom_encrypt_file(data: bytes, key_b64: str = AES_KEY) -> bytes:
    key = base64.b64decode(key_b64 + "=" * (-len(key_b64) % 4))
    return AES.new(key, AES.MODE_CBC, iv=key[:16]).encrypt(pad(data, 32))


class Cos:
    """WeCom's object storage as the robot's urls use it: GET /<object>?sign=..., the
    encrypted bytes, and the file's name in Content-Disposition (RFC 5987) where it has one."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}  # object -> encrypted bytes, disposition
        self.calls: list[str] = []
        cos = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                cos.calls.append(self.path)
                url = urlparse(self.path)
                name = url.path.rsplit("/", 1)[-1]
                if parse_qs(url.query).get("sign") != [unquote(SIGN)] or name not in cos.objects:
                    body = b"<Error><Code>AccessDenied</Code></Error>"
                    self.send_response(403)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                data, disposition = cos.objects[name]
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                if disposition:
                    self.send_header("Content-Disposition", disposition)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def put(self, name: str, data: bytes, *, filename: str = "", key: str = AES_KEY) -> str:
        disposition = f"attachment; filename*=UTF-8''{quote(filename)}" if filename else ""
        self.objects[name] = (wecom_encrypt_file(data, key), disposition)
        return f"{self.url}/BHoPdA3/{name}?sign={SIGN}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def cos(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SUPPORTPLAN_IM_WECOM_FILE_HOSTS = ("127.0.0.1",)
    server = Cos()
    yield server
    server.stop()


def said(receiver: RobotReceiver) -> list[str]:
    """The answers as the WeCom robot took them (markdown, the first line in bold)."""
    return [text.removeprefix("**").removesuffix("**") for text in _said(receiver)]


def mixed(items, *, msgid=None, chat="wr-ops", user="zhangsan"):
    return {
        "msgid": msgid or uuid.uuid4().hex, "aibotid": "AIBOTID", "chatid": chat,
        "chattype": "group", "from": {"userid": user}, "response_url": "RESPONSEURL",
        "msgtype": "mixed", "mixed": {"msg_item": items},
    }  # fmt: skip


def text_quoting(text, quote, *, msgid=None, chat="wr-ops", user="zhangsan"):
    return {
        "msgid": msgid or uuid.uuid4().hex, "aibotid": "AIBOTID", "chatid": chat,
        "chattype": "group", "from": {"userid": user}, "msgtype": "text",
        "text": {"content": f"@support {text}"}, "quote": quote,
    }  # fmt: skip


def test_wecom_image_in_a_mixed_message_and_a_quoted_file_go_into_the_case(
    live_server, robots, cos
):
    tenant, admin, _s, group, robot = setup_group(robots, "tencent", "s1", "wecom", WECOM, "wr-ops")
    case = open_case(group, admin, "zhangsan")
    url = f"{live_server.url}/integrations/im/{group.pk}/"
    shot = cos.put("7571665296904772241", PNG)
    log = cos.put("7571665296904772242", LOG, filename="nginx-错误.log")

    # In a group an image comes as a mixed message: the words and the image.
    message = mixed(
        [{"msgtype": "text", "text": {"content": "@support 报错截图"}},
         {"msgtype": "image", "image": {"url": shot}}],
        msgid="CAIQrcjMjQYY/NGagIOAgAMg6PDc/w0=",
    )  # fmt: skip
    first = wecom_post(url, WECOM, message)
    assert (first.status_code, first.json()) == (200, {"answers": [f"已追加到工单 #{case.pk}。"]})
    image = Attachment.objects.get(case=case)
    assert (image.name, image.file.read(), image.tenant_id) == ("image.png", PNG, tenant.pk)
    # The file's answer comes from the task, before the callback's own answer is posted.
    assert said(robot)[-2:] == [
        f"文件 image.png 已添加到工单 #{case.pk}。",
        f"已追加到工单 #{case.pk}。",
    ]
    assert case.communications.filter(body="zhangsan: 报错截图").count() == 1

    # A file in a group reaches the robot when someone mentions it quoting the file.
    wecom_post(url, WECOM, text_quoting("看这个日志", {"msgtype": "file", "file": {"url": log}}))
    attached = Attachment.objects.get(case=case, name="nginx-错误.log")
    assert attached.file.read() == LOG
    assert said(robot)[-2:] == [
        f"文件 nginx-错误.log 已添加到工单 #{case.pk}。", f"已追加到工单 #{case.pk}。",
    ]  # fmt: skip
    assert case.communications.filter(body="zhangsan: 看这个日志").count() == 1

    # WeCom's retry of the same message, and the task run again, add nothing.
    assert wecom_post(url, WECOM, message).json() == {"answers": []}
    again = im_file_attach(
        group=group, case_id=case.pk, message_id=message["msgid"],
        ref=FileRef("image", shot), now=clock.now(),
    )  # fmt: skip
    assert again == ""
    assert Attachment.objects.filter(case=case).count() == 2
    assert case.communications.filter(body="zhangsan: 报错截图").count() == 1
    assert [c.split("?")[0] for c in cos.calls] == [
        "/BHoPdA3/7571665296904772241", "/BHoPdA3/7571665296904772242",
    ]  # fmt: skip


def test_wecom_file_with_its_own_aeskey_and_several_images_of_one_message(live_server, robots, cos):
    """The long-connection variant (document/path/101463, 多媒体资源解密) gives each url its own
    aeskey; a mixed message with two images attaches both, once each."""
    _t, admin, _s, group, robot = setup_group(robots, "tencent", "s1", "wecom", WECOM, "wr-ops")
    case = open_case(group, admin, "zhangsan")
    url = f"{live_server.url}/integrations/im/{group.pk}/"
    own = cos.put("own", LOG, filename="slow.log", key=OWN_KEY)
    one, two = cos.put("one", PNG), cos.put("two", b"\xff\xd8\xff\xe0" + bytes(300))

    wecom_post(url, WECOM, text_quoting("", {"msgtype": "file",
                                             "file": {"url": own, "aeskey": OWN_KEY}}))  # fmt: skip
    assert Attachment.objects.get(case=case, name="slow.log").file.read() == LOG
    message = mixed([{"msgtype": "image", "image": {"url": one}},
                     {"msgtype": "image", "image": {"url": two}}])  # fmt: skip
    assert wecom_post(url, WECOM, message).json() == {"answers": []}
    assert sorted(a.name for a in Attachment.objects.filter(case=case)) == [
        "image.jpg", "image.png", "slow.log",
    ]  # fmt: skip
    assert said(robot)[-2:] == [
        f"文件 image.png 已添加到工单 #{case.pk}。", f"文件 image.jpg 已添加到工单 #{case.pk}。",
    ]  # fmt: skip


def test_wecom_files_too_large_refused_undecryptable_or_elsewhere_attach_nothing(
    live_server, robots, cos, settings
):
    settings.SUPPORTPLAN_ATTACHMENT_MAX_BYTES = 1024 * 1024
    _t, admin, _s, group, robot = setup_group(robots, "tencent", "s1", "wecom", WECOM, "wr-ops")
    case = open_case(group, admin, "zhangsan")
    url = f"{live_server.url}/integrations/im/{group.pk}/"

    def post_file(file_url):
        wecom_post(url, WECOM, text_quoting("", {"msgtype": "file", "file": {"url": file_url}}))
        return said(robot)[-1]

    big = cos.put("big", b"x" * (1024 * 1024 + 1), filename="dump.log")
    assert post_file(big) == f"文件未添加到工单 #{case.pk}：文件超过 1.0 MB，附件不能超过此大小。"
    exe = cos.put("exe", b"MZ\x90\x00", filename="tool.exe")
    assert post_file(exe).startswith(f"文件未添加到工单 #{case.pk}：不能上传 .exe 类型的文件。")
    other_key = cos.put("other", LOG, filename="a.log", key=OWN_KEY)  # not this group's key
    assert post_file(other_key) == f"文件未添加到工单 #{case.pk}：无法用本群的密钥解密该文件。"
    assert post_file(big.replace("sign=q", "sign=x")) == (
        f"文件未添加到工单 #{case.pk}：平台拒绝提供该文件（HTTP 403）。"
    )
    calls = len(cos.calls)
    elsewhere = "https://files.example.com/BHoPdA3/big?sign=1"
    assert post_file(elsewhere) == f"文件未添加到工单 #{case.pk}：文件地址不属于该平台。"
    assert len(cos.calls) == calls  # never fetched
    assert Attachment.objects.count() == 0


def test_wecom_file_of_one_tenants_group_never_reaches_another_tenants_case(
    live_server, robots, cos
):
    _ta, admin_a, _sa, group_a, _ra = setup_group(robots, "tencent", "s1", "wecom", WECOM, "wr-a")
    case_a = open_case(group_a, admin_a, "zhangsan")
    robots["wecom-a"] = robots.pop("wecom")
    other = {"token": "token-b", "encoding_aes_key": "b" * 43}
    _tb, _ab, _sb, group_b, robot_b = setup_group(robots, "tencent", "s1", "wecom", other, "wr-b")
    file_url = cos.put("a", LOG, filename="a.log", key="b" * 43)
    url_b = f"{live_server.url}/integrations/im/{group_b.pk}/"
    quoted = text_quoting(f"#{case_a.pk} 日志", {"msgtype": "file", "file": {"url": file_url}},
                          chat="wr-b")  # fmt: skip
    assert wecom_post(url_b, other, quoted).json() == {
        "answers": ["先提交工单（@我并说明问题），再发送文件。"]
    }
    # Tenant A's group URL refuses what was sealed with tenant B's secrets.
    url_a = f"{live_server.url}/integrations/im/{group_a.pk}/"
    assert wecom_post(url_a, other, quoted).status_code == 403
    # The task itself, handed tenant A's case number by tenant B's group, refuses it.
    from django.utils import translation

    with translation.override("zh-hans"):
        answer = im_file_attach(
            group=group_b, case_id=case_a.pk, message_id="m-x",
            ref=FileRef("file", file_url), now=clock.now(),
        )  # fmt: skip
    assert answer == f"工单 #{case_a.pk} 不是本群的工单。"
    assert Attachment.objects.count() == 0
    assert cos.calls == []


def test_welink_file_is_answered_with_the_case_page(live_server, robots, settings):
    """WeLink documents no way for a bot to download a file posted in a group: the bot says
    where to attach it, in the organisation's language, with the case's link."""
    from supportplan.integrations.tests.test_im import welink_answer, welink_post, welink_said

    settings.SUPPORTPLAN_SITE_URL = "https://support.example.cn"
    secret = "welink-app-secret"
    tenant, admin, _s, group, robot = setup_group(
        robots, "tencent", "s1", "welink", {"app_secret": secret}, "wl-group-ops"
    )
    case = open_case(group, admin, "lisi")
    url = f"{live_server.url}/integrations/im/{group.pk}/"
    event = {
        "eventType": "message", "msgId": "wl-file-1", "groupId": "wl-group-ops",
        "msgType": "file", "sender": {"userId": "lisi", "userName": "李四"},
        "content": {"fileName": "nginx-error.log"},
    }  # fmt: skip
    answer = welink_answer(welink_post(url, secret, event), secret)
    expected = (
        f"无法从群里把文件添加到工单 #{case.pk}，请在工单页面上传附件："
        f"https://support.example.cn/cases/{case.pk}/"
    )
    assert answer["answers"] == [expected]
    assert welink_said(robot)[-1] == expected
    assert welink_answer(welink_post(url, secret, event), secret)["answers"] == []  # a retry
    tenant.language = "en"
    tenant.save(update_fields=["language"])
    event["msgId"] = "wl-file-2"
    assert welink_answer(welink_post(url, secret, event), secret)["answers"] == [
        f"Files posted in this group can't be added to case #{case.pk} from here; attach them "
        f"on the case's page: https://support.example.cn/cases/{case.pk}/"
    ]
    assert Attachment.objects.count() == 0
    assert Case.objects.get().communications.filter(body__contains="nginx").count() == 0


def test_wecom_file_fetch_writes_no_key_nor_signed_url_to_the_log(
    live_server, robots, cos, written_log
):
    """The configured LOGGING at DEBUG (notifications' log-capture test) while a file is fetched
    through httpx, which logs every request's URL: neither the EncodingAESKey, nor a file's
    aeskey, nor the url's signature, nor the callback's token is written."""
    _t, admin, _s, group, robot = setup_group(robots, "tencent", "s1", "wecom", WECOM, "wr-ops")
    case = open_case(group, admin, "zhangsan")
    url = f"{live_server.url}/integrations/im/{group.pk}/"
    own = cos.put("own", LOG, filename="slow.log", key=OWN_KEY)
    logging.getLogger("httpx").setLevel(logging.DEBUG)
    wecom_post(url, WECOM, text_quoting("", {"msgtype": "file",
                                             "file": {"url": own, "aeskey": OWN_KEY}}))  # fmt: skip
    assert Attachment.objects.get(case=case).name == "slow.log"
    text = written_log.getvalue()
    assert "/BHoPdA3/own?sign=[redacted]" in text  # httpx did log the request
    for secret in (AES_KEY, OWN_KEY, SIGN, "q-signature", WECOM["token"]):
        assert secret not in text


def test_wecom_file_decryption_matches_the_documented_algorithm():
    data = LOG * 3
    sealed = wecom_encrypt_file(data)
    assert len(sealed) % 32 == 0
    assert im_crypto.wecom_file_decrypt(sealed, encoding_aes_key=AES_KEY) == data
    assert im_crypto.wecom_file_encrypt(data, encoding_aes_key=AES_KEY) == sealed
    own = wecom_encrypt_file(data, OWN_KEY)
    assert im_crypto.wecom_file_decrypt(own, encoding_aes_key=AES_KEY, aeskey=OWN_KEY) == data
    with pytest.raises(im_crypto.Refused):
        im_crypto.wecom_file_decrypt(own, encoding_aes_key=AES_KEY)
    with pytest.raises(im_crypto.Refused):
        im_crypto.wecom_file_decrypt(sealed[:-1], encoding_aes_key=AES_KEY)
