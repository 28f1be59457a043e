"""Inbound IM callbacks: POST /integrations/im/<group id>/ (WeCom also GETs it to verify).

Each group has its own URL and secrets, so a message is tied to one tenant: a signature made
with another group's secrets, a message from another chat, an old timestamp, an unsigned
post, all are refused (403) before anything is read."""

from __future__ import annotations

import hmac
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from supportplan.core import clock
from supportplan.notifications import secrets as stored_secrets

from . import im_crypto
from .im_files import FileRef
from .imbot import Inbound, group_secrets, im_message_receive
from .models import ImGroup

MAX_SKEW = timedelta(minutes=5)
MAX_BODY = 1024 * 1024
_MENTION = re.compile(r"^\s*(@\S+\s*)+")


def _refuse(reason: str) -> JsonResponse:
    return JsonResponse({"code": "im.refused", "message": reason}, status=403)


def _fresh(seconds: float, now: datetime) -> bool:
    return abs(now - datetime.fromtimestamp(seconds, UTC)) <= MAX_SKEW


def _strip(text: str) -> str:
    return _MENTION.sub("", text or "").strip()


@csrf_exempt
def im_callback(request: HttpRequest, group_id: int) -> HttpResponse:
    group = (
        ImGroup.objects.select_related("tenant", "requester", "robot")
        .filter(pk=group_id, active=True)
        .first()
    )
    if group is None:
        return JsonResponse({"code": "im.unknown_group", "message": "Unknown group."}, status=404)
    now = clock.now()
    if int(request.headers.get("Content-Length") or 0) > MAX_BODY:
        return _refuse("The message is too large.")
    body = request.read(MAX_BODY + 1) if request.method == "POST" else b""
    secrets = group_secrets(group)
    try:
        handler = {
            "wecom": _wecom, "feishu": _feishu, "dingtalk": _dingtalk, "welink": _welink,
        }[group.platform]  # fmt: skip
        answer = handler(request, body, secrets, group, now)
    except im_crypto.Refused as exc:
        return _refuse(str(exc))
    except (KeyError, ValueError, TypeError, AttributeError):
        return _refuse("The message is not one this platform sends.")
    if isinstance(answer, HttpResponse):
        return answer
    if group.chat_id and answer.chat_id and answer.chat_id != group.chat_id:
        return _refuse("The message comes from another group.")
    replies = im_message_receive(group=group, message=answer, now=now)
    if group.platform == "welink":
        return _welink_answer(secrets, answer.timestamp, {"answers": replies})
    return JsonResponse({"answers": replies})


def _wecom(
    request: HttpRequest, body: bytes, secrets: dict[str, str], group: ImGroup, now: datetime
) -> Inbound | HttpResponse:
    q = request.GET
    if not _fresh(float(q.get("timestamp", "0")), now):
        raise im_crypto.Refused("the timestamp is missing or more than 5 minutes off")
    common: dict[str, Any] = dict(
        token=secrets["token"], encoding_aes_key=secrets["encoding_aes_key"],
        receive_id=secrets.get("receive_id", ""), signature=q.get("msg_signature", ""),
        timestamp=q.get("timestamp", ""), nonce=q.get("nonce", ""),
    )  # fmt: skip
    if request.method == "GET":  # URL verification: answer the decrypted echostr
        return HttpResponse(im_crypto.wecom_decrypt(encrypted=q.get("echostr", ""), **common),
                            content_type="text/plain")  # fmt: skip
    message = json.loads(im_crypto.wecom_decrypt(encrypted=json.loads(body)["encrypt"], **common))
    text, files = _wecom_content(message)
    quote = message.get("quote")
    if isinstance(quote, dict):  # "@support" quoting a file someone posted in the group
        files += _wecom_content(quote)[1]
    return Inbound(
        message_id=str(message["msgid"]),
        sender_id=str(message["from"]["userid"]),
        sender_name=str(message["from"].get("name") or message["from"]["userid"]),
        text=_strip(text),
        chat_id=str(message.get("chatid", "")),
        files=files,
    )


def _wecom_file(kind: str, struct: Any) -> FileRef:
    """An intelligent robot image / file struct: {"url": ...} (the url mode, decrypted with the
    EncodingAESKey), or {"url": ..., "aeskey": ...} (the long-connection variant)."""
    aeskey = str(struct.get("aeskey") or "")
    return FileRef(
        kind, str(struct["url"]).strip(),
        aeskey=stored_secrets.encrypt(aeskey) if aeskey else "",  # it goes through the queue
    )  # fmt: skip


def _wecom_content(message: dict[str, Any]) -> tuple[str, tuple[FileRef, ...]]:
    """The text and the files of a WeCom intelligent robot message (document/path/100719):
    text, image, file, or mixed (text and images: how an image comes in a group)."""
    kind = message.get("msgtype")
    if kind == "text":
        return str(message.get("text", {}).get("content", "")), ()
    if kind in ("image", "file"):
        return "", (_wecom_file(kind, message[kind]),)
    if kind == "mixed":
        words, files = [], []
        for item in message["mixed"]["msg_item"]:
            if item.get("msgtype") == "text":
                words.append(str(item["text"]["content"]))
            elif item.get("msgtype") == "image":
                files.append(_wecom_file("image", item["image"]))
        return " ".join(words), tuple(files)
    if kind == "voice":  # WeCom gives the words it heard
        return str(message["voice"].get("content", "")), ()
    return "", ()


def _feishu(
    request: HttpRequest, body: bytes, secrets: dict[str, str], group: ImGroup, now: datetime
) -> Inbound | HttpResponse:
    data = json.loads(body)
    key = secrets.get("encrypt_key", "")
    if key:
        timestamp = request.headers.get("X-Lark-Request-Timestamp", "")
        nonce = request.headers.get("X-Lark-Request-Nonce", "")
        signature = request.headers.get("X-Lark-Signature", "")
        if signature:
            expected = im_crypto.feishu_signature(timestamp, nonce, key, body)
            if not hmac.compare_digest(expected, signature):
                raise im_crypto.Refused("X-Lark-Signature does not match")
            if not _fresh(float(timestamp or 0), now):
                raise im_crypto.Refused("the timestamp is missing or more than 5 minutes off")
        data = json.loads(im_crypto.feishu_decrypt(key, data["encrypt"]))
        # Feishu signs events, not the one-off URL verification it sends when the URL is saved.
        if not signature and data.get("type") != "url_verification":
            raise im_crypto.Refused("the event is not signed (X-Lark-Signature)")
    token = data.get("token") or data.get("header", {}).get("token")
    if token != secrets["verification_token"]:
        raise im_crypto.Refused("the verification token does not match")
    if data.get("type") == "url_verification":
        return JsonResponse({"challenge": data["challenge"]})
    header, event = data["header"], data["event"]
    if header.get("event_type") != "im.message.receive_v1":
        return JsonResponse({"answers": []})
    message = event["message"]
    content = json.loads(message.get("content") or "{}")
    sender = event["sender"]["sender_id"]
    kind = message.get("message_type")
    file = None
    if kind == "file":
        file = FileRef("file", str(content["file_key"]), str(content.get("file_name") or ""))
    elif kind == "image":
        file = FileRef("image", str(content["image_key"]))
    return Inbound(
        message_id=str(message["message_id"]),
        sender_id=str(sender.get("open_id") or sender.get("user_id")),
        sender_name=str(sender.get("user_id") or sender.get("open_id")),
        text=_strip(content.get("text", "")),
        chat_id=str(message.get("chat_id", "")),
        files=(file,) if file else (),
    )


def _dingtalk(
    request: HttpRequest, body: bytes, secrets: dict[str, str], group: ImGroup, now: datetime
) -> Inbound:
    timestamp = request.headers.get("timestamp", "")
    sign = request.headers.get("sign", "")
    if not timestamp or not sign:
        raise im_crypto.Refused("the timestamp and sign headers are required")
    expected = im_crypto.dingtalk_sign(secrets["app_secret"], timestamp)
    if not hmac.compare_digest(expected, sign):
        raise im_crypto.Refused("sign does not match")
    if not _fresh(int(timestamp) / 1000, now):
        raise im_crypto.Refused("the timestamp is more than 5 minutes off")
    data = json.loads(body)
    kind, content = data.get("msgtype"), data.get("content") or {}
    file = None
    if kind == "file":
        file = FileRef("file", str(content["downloadCode"]), str(content.get("fileName") or ""))
    elif kind == "picture":
        file = FileRef("image", str(content.get("downloadCode") or content["pictureDownloadCode"]))
    return Inbound(
        message_id=str(data["msgId"]),
        sender_id=str(data.get("senderStaffId") or data["senderId"]),
        sender_name=str(data.get("senderNick") or ""),
        text=_strip(data.get("text", {}).get("content", "")),
        chat_id=str(data.get("conversationId", "")),
        files=(file,) if file else (),
    )


def _welink_answer(secrets: dict[str, str], timestamp: str, extra: dict[str, Any]) -> JsonResponse:
    """WeLink wants {"msg": "success", "timestamp": <its own>} back, encrypted as it sent it."""
    plain = json.dumps({"msg": "success", "timestamp": timestamp, **extra}, ensure_ascii=False)
    return JsonResponse({"encrypt": im_crypto.welink_encrypt(secrets["app_secret"], plain)})


def _welink_text(content: Any) -> str:
    if isinstance(content, dict):
        return str(content.get("text") or content.get("content") or "")
    return str(content or "")


def _welink(
    request: HttpRequest, body: bytes, secrets: dict[str, str], group: ImGroup, now: datetime
) -> Inbound | HttpResponse:
    """The callback envelope and its crypto are WeLink's (im_crypto); the fields of a group
    message event are not published where we could read them, so the names below are ours
    (docs/integrations.md, "WeLink"): eventType, timestamp, msgId, groupId, sender, content."""
    if request.method != "POST":
        raise im_crypto.Refused("WeLink posts its callbacks")
    data = json.loads(im_crypto.welink_decrypt(secrets["app_secret"], json.loads(body)["encrypt"]))
    timestamp = str(data.get("timestamp") or "")
    if not timestamp or not _fresh(float(timestamp), now):
        raise im_crypto.Refused("the timestamp is missing or more than 5 minutes off")
    if data.get("eventType") not in WELINK_MESSAGE_EVENTS:  # "test" when the URL is saved
        return _welink_answer(secrets, timestamp, {"answers": []})
    sender = data.get("sender") or {}
    sender_id = sender.get("userId") or data.get("senderId") or data.get("userId")
    content = data.get("content")
    kind = data.get("msgType") or (content.get("msgType") if isinstance(content, dict) else "")
    files: tuple[FileRef, ...] = ()
    if kind in WELINK_FILE_TYPES:  # noticed only: WeLink documents no file download for bots
        name = content.get("fileName") if isinstance(content, dict) else ""
        files = (FileRef("file", "", str(name or "")),)
    return Inbound(
        message_id=str(data.get("msgId") or data["messageId"]),
        sender_id=str(sender_id),
        sender_name=str(sender.get("userName") or sender.get("userNameCn") or sender_id),
        text=_strip(_welink_text(data.get("content", data.get("text")))),
        chat_id=str(data.get("groupId") or data.get("chatId") or ""),
        timestamp=timestamp,
        files=files,
    )


WELINK_MESSAGE_EVENTS = {"message", "groupMessage", "robotMessage"}
WELINK_FILE_TYPES = {"file", "image", "picture"}  # our names, as for the event (docs)
