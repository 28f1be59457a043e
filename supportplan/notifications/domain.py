"""Pure parts of notifications: robot request shapes and signatures, retry backoff, and the
plain message content every channel renders. No ORM, no clock: time comes in as arguments.

Robot formats (from each vendor's documentation):

WeCom (企业微信) group robot
    POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY
    {"msgtype": "markdown", "markdown": {"content": "..."}}   (content ≤ 4096 bytes)
    answer {"errcode": 0, "errmsg": "ok"}; no signature (the key in the URL is the secret).
Huawei WeLink group webhook robot
    POST https://open.welink.huaweicloud.com/api/werobot/v1/webhook/send?token=T&channel=standard
    {"messageType": "text", "content": {"text": "..."}, "timeStamp": <ms>, "uuid": "<32 hex>",
     "isAt": false, "isAtAll": false, "atAccounts": []}   (text 1–500 characters, text only;
    timeStamp valid 10 minutes; a fresh uuid per call); answer {"code": "0", ...}.
DingTalk custom robot (加签)
    POST https://oapi.dingtalk.com/robot/send?access_token=T&timestamp=<ms>&sign=<s>
    s = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")))
    {"msgtype": "markdown", "markdown": {"title": "...", "text": "..."}}
    answer {"errcode": 0, "errmsg": "ok"}.
Feishu / Lark custom robot (签名校验)
    POST https://open.feishu.cn/open-apis/bot/v2/hook/TOKEN (Lark: open.larksuite.com)
    {"timestamp": "<s>", "sign": "<s>", "msg_type": "text", "content": {"text": "..."}}
    sign = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b""))   (seconds, ≤ 1 h skew)
    answer {"code": 0, "msg": "success"}.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote_plus, urlsplit

WECOM = "wecom"
WELINK = "welink"
DINGTALK = "dingtalk"
FEISHU = "feishu"
PLATFORMS = (WECOM, WELINK, DINGTALK, FEISHU)

# Hosts each platform's webhooks live on. A robot URL elsewhere is refused (no server-side
# request forgery through a customer-supplied URL); tests add 127.0.0.1 by setting.
PLATFORM_HOSTS: dict[str, tuple[str, ...]] = {
    WECOM: ("qyapi.weixin.qq.com",),
    WELINK: ("open.welink.huaweicloud.com",),
    DINGTALK: ("oapi.dingtalk.com",),
    FEISHU: ("open.feishu.cn", "open.larksuite.com"),
}

WECOM_MARKDOWN_MAX_BYTES = 4096
WELINK_TEXT_MAX_CHARS = 500
DINGTALK_TEXT_MAX_BYTES = 20000
FEISHU_TEXT_MAX_BYTES = 18000  # the request body may not pass 20 KB


# --------------------------------------------------------------------------- content


@dataclass(frozen=True)
class Content:
    """One message, already in the recipient's language: a subject, a lead sentence, facts
    (label, value) and an optional link. E-mail, IM and in-app render the same content."""

    subject: str
    intro: str
    facts: tuple[tuple[str, str], ...] = ()
    link: str = ""
    footer: str = ""

    def as_text(self) -> str:
        lines = [self.subject, "", self.intro] if self.intro else [self.subject]
        if self.facts:
            lines.append("")
            lines.extend(f"{label}: {value}" for label, value in self.facts)
        if self.link:
            lines.extend(["", self.link])
        if self.footer:
            lines.extend(["", self.footer])
        return "\n".join(lines)

    def as_markdown(self) -> str:
        lines = [f"**{self.subject}**"]
        if self.intro:
            lines.append(self.intro)
        lines.extend(f"> {label}: {value}" for label, value in self.facts)
        if self.link:
            lines.append(f"[{self.link}]({self.link})")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "intro": self.intro,
            "facts": [list(f) for f in self.facts],
            "link": self.link,
            "footer": self.footer,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Content:
        return cls(
            subject=data.get("subject", ""),
            intro=data.get("intro", ""),
            facts=tuple((str(a), str(b)) for a, b in data.get("facts", [])),
            link=data.get("link", ""),
            footer=data.get("footer", ""),
        )


def truncate_bytes(text: str, limit: int, ellipsis: str = "…") -> str:
    """Cut `text` so its UTF-8 form fits `limit` bytes, never inside a character."""
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    budget = limit - len(ellipsis.encode("utf-8"))
    return raw[:budget].decode("utf-8", errors="ignore") + ellipsis


def truncate_chars(text: str, limit: int, ellipsis: str = "…") -> str:
    return text if len(text) <= limit else text[: limit - len(ellipsis)] + ellipsis


# --------------------------------------------------------------------------- robots


@dataclass(frozen=True)
class RobotRequest:
    """What goes on the wire: the full URL (with any signature query) and the JSON body."""

    url: str
    body: dict[str, Any]

    def body_bytes(self) -> bytes:
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """base64(HMAC-SHA256(secret, "timestamp\\nsecret")), before URL-encoding."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), string_to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """base64(HMAC-SHA256 keyed with "timestamp\\nsecret" over an empty message)."""
    key = f"{timestamp_s}\n{secret}".encode()
    digest = hmac.new(key, b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _append_query(url: str, query: str) -> str:
    return f"{url}{'&' if urlsplit(url).query else '?'}{query}"


def robot_request(
    platform: str,
    webhook_url: str,
    content: Content,
    *,
    secret: str,
    now: datetime,
    call_id: uuid.UUID,
) -> RobotRequest:
    """The request for one robot message. `now` stamps signatures; `call_id` is the WeLink
    uuid (a fresh one per call, as its documentation asks)."""
    if now.tzinfo is None:
        raise ValueError("robot_request needs an aware `now`")
    ms = int(now.timestamp() * 1000)
    body: dict[str, Any]
    if platform == WECOM:
        body = {
            "msgtype": "markdown",
            "markdown": {
                "content": truncate_bytes(content.as_markdown(), WECOM_MARKDOWN_MAX_BYTES)
            },
        }
        return RobotRequest(webhook_url, body)
    if platform == WELINK:
        body = {
            "messageType": "text",
            "content": {"text": truncate_chars(content.as_text(), WELINK_TEXT_MAX_CHARS)},
            "timeStamp": ms,
            "uuid": call_id.hex,
            "isAt": False,
            "isAtAll": False,
            "atAccounts": [],
        }
        return RobotRequest(webhook_url, body)
    if platform == DINGTALK:
        url = webhook_url
        if secret:
            sign = quote_plus(dingtalk_sign(secret, ms))
            url = _append_query(webhook_url, f"timestamp={ms}&sign={sign}")
        body = {
            "msgtype": "markdown",
            "markdown": {
                "title": truncate_chars(content.subject, 100),
                "text": truncate_bytes(content.as_markdown(), DINGTALK_TEXT_MAX_BYTES),
            },
        }
        return RobotRequest(url, body)
    if platform == FEISHU:
        seconds = int(now.timestamp())
        body = {
            "msg_type": "text",
            "content": {"text": truncate_bytes(content.as_text(), FEISHU_TEXT_MAX_BYTES)},
        }
        if secret:
            body = {"timestamp": str(seconds), "sign": feishu_sign(secret, seconds), **body}
        return RobotRequest(webhook_url, body)
    raise ValueError(f"unknown robot platform {platform!r}")


@dataclass(frozen=True)
class RobotAnswer:
    ok: bool
    permanent: bool  # retrying cannot help (bad token, bad signature, robot removed)
    detail: str


# Vendor error codes that mean "slow down / try later" (retry) rather than "wrong setup".
_RETRYABLE_CODES: dict[str, frozenset[str]] = {
    WECOM: frozenset({"-1", "45009", "45033"}),  # system busy, API frequency limit
    DINGTALK: frozenset({"-1", "130101", "660026"}),  # busy, sending too fast
    FEISHU: frozenset({"11232", "9499"}),  # rate limited
    WELINK: frozenset(),
}


def read_robot_answer(platform: str, status: int, text: str) -> RobotAnswer:
    """Decide from the HTTP status and JSON answer whether the robot accepted the message."""
    detail = f"HTTP {status}: {text[:300]}"
    if status in (408, 425, 429) or status >= 500:
        return RobotAnswer(False, False, detail)
    if status >= 400:
        return RobotAnswer(False, True, detail)
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        return RobotAnswer(False, False, detail)
    if not isinstance(data, dict):
        return RobotAnswer(False, False, detail)
    if platform in (WECOM, DINGTALK):
        code = str(data.get("errcode", "0"))
    elif platform == FEISHU:
        code = str(data.get("code", data.get("StatusCode", "0")))
    else:
        code = str(data.get("code", "0"))
    if code == "0":
        return RobotAnswer(True, False, detail)
    return RobotAnswer(False, code not in _RETRYABLE_CODES.get(platform, frozenset()), detail)


def webhook_problem(platform: str, url: str, extra_hosts: tuple[str, ...] = ()) -> str | None:
    """Why `url` cannot be this platform's webhook, or None when it can."""
    if platform not in PLATFORMS:
        return "platform"
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if host in extra_hosts and parts.scheme in ("http", "https"):
        return None
    if parts.scheme != "https":
        return "scheme"
    if host not in PLATFORM_HOSTS[platform]:
        return "host"
    return None


# --------------------------------------------------------------------------- retries


BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(minutes=30)


def backoff(
    attempts: int, base: timedelta = BACKOFF_BASE, cap: timedelta = BACKOFF_CAP
) -> timedelta:
    """Wait after the `attempts`-th failed attempt: 30 s, 1 min, 2 min, 4 min … at most 30 min."""
    if attempts < 1:
        return timedelta(0)
    return min(base * (2 ** min(attempts - 1, 20)), cap)


@dataclass(frozen=True)
class AttemptOutcome:
    status: str  # "sent" | "pending" | "failed"
    next_attempt_at: datetime | None = None


def after_attempt(
    *, ok: bool, permanent: bool, attempts: int, now: datetime, give_up_at: datetime
) -> AttemptOutcome:
    """What happens to an outbox row after an attempt: sent, retried later, or given up."""
    if ok:
        return AttemptOutcome("sent")
    if permanent:
        return AttemptOutcome("failed")
    next_at = now + backoff(attempts)
    if next_at > give_up_at:
        return AttemptOutcome("failed")
    return AttemptOutcome("pending", next_at)


@dataclass
class Recipients:
    """Who hears of one event, gathered by the dispatch table."""

    user_ids: list[int] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)

    def add_users(self, *ids: Any) -> None:
        for pk in ids:
            if isinstance(pk, int) and pk not in self.user_ids:
                self.user_ids.append(pk)
