"""Files and images posted in an IM group, into the case (issue 18: "later messages in that
thread, and files, go into the case").

The callback only notes the file (imbot); this task fetches it from the platform with the
app's credentials the administrator gave on the IM group page, and attaches it through
cases.attachments.case_attach, the web upload's own size and type checks. The platform's
documented APIs (base URL per vendor: settings.SUPPORTPLAN_IM_API_BASE):

- Feishu: POST /open-apis/auth/v3/tenant_access_token/internal {app_id, app_secret}, then
  GET /open-apis/im/v1/messages/{message_id}/resources/{file_key}?type=file|image with
  "Authorization: Bearer <tenant_access_token>".
- DingTalk: POST /v1.0/oauth2/accessToken {appKey, appSecret}, then
  POST /v1.0/robot/messageFiles/download {downloadCode, robotCode} with the header
  x-acs-dingtalk-access-token; its downloadUrl is then fetched.
- WeCom intelligent robot (document/path/100719): the message itself carries the file's url
  (valid 5 minutes, on WeCom's object storage); what it serves is AES-256-CBC encrypted with
  the group's EncodingAESKey (im_crypto.wecom_file_decrypt), or with the struct's own
  `aeskey` in the long-connection variant. No token: the url is signed by WeCom.

Tokens and secrets are never logged nor shown; a failed fetch is answered in the group."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import PurePath
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.tasks import task
from django.utils import translation
from django.utils.translation import gettext as _

from supportplan.cases.attachments import case_attach, max_attachment_bytes
from supportplan.cases.models import Case
from supportplan.core import clock
from supportplan.core.errors import DomainError
from supportplan.notifications import secrets as stored_secrets

from . import im_crypto
from .models import ImGroup, ImMessageSeen

TIMEOUT = httpx.Timeout(10.0, read=30.0)
DEFAULT_API_BASE = {
    "feishu": "https://open.feishu.cn",
    "dingtalk": "https://api.dingtalk.com",
}
IMAGE_SUFFIX = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif"}
FETCHABLE = ("feishu", "dingtalk", "wecom")
CREDENTIALS = {
    "feishu": ("app_id", "app_secret"),
    "dingtalk": ("app_key", "robot_code"),
    "wecom": ("encoding_aes_key",),  # always there: the callback needs it too
}
# Where a WeCom message's file url may point (its object storage); https only. The url comes
# from a signed, decrypted callback, but a leaked group secret must not make us fetch anywhere.
DEFAULT_WECOM_FILE_HOSTS = ("myqcloud.com", "qq.com")
SNIFFED = (
    (b"\x89PNG\r\n\x1a\n", ".png"), (b"\xff\xd8\xff", ".jpg"), (b"GIF8", ".gif"),
    (b"%PDF", ".pdf"), (b"PK\x03\x04", ".zip"), (b"\x1f\x8b", ".gz"),
)  # fmt: skip


@dataclass(frozen=True)
class FileRef:
    """A file or an image in a group message, as the platform names it."""

    kind: str  # "file" or "image"
    key: str  # Feishu file_key / image_key, DingTalk downloadCode
    name: str = ""  # the file's name where the platform gives it
    aeskey: str = ""  # WeCom long connection: the file's own key, stored encrypted


class FetchFailed(Exception):
    """The platform did not hand the file over (the reason is for the group, not secret)."""


def api_base(platform: str) -> str:
    configured = getattr(settings, "SUPPORTPLAN_IM_API_BASE", {}) or {}
    return str(configured.get(platform) or DEFAULT_API_BASE[platform]).rstrip("/")


def credentials_missing(platform: str, secrets: dict[str, str]) -> bool:
    return platform not in FETCHABLE or not all(secrets.get(k) for k in CREDENTIALS[platform])


def _read(response: httpx.Response, limit: int) -> bytes:
    if response.status_code != 200:
        raise FetchFailed(_("The platform refused to hand over the file (HTTP %(status)s).")
                          % {"status": response.status_code})  # fmt: skip
    data = bytearray()
    for chunk in response.iter_bytes():
        data += chunk
        if len(data) > limit:
            raise _too_large(limit)
    return bytes(data)


def _too_large(limit: int) -> DomainError:
    return DomainError(
        "case.attachment_too_large",
        _("The file is larger than %(limit)s MB, the most an attachment may be."),
        limit=round(limit / 1_048_576, 1),
    )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.status_code != 200 or not isinstance(answer, dict):
        raise FetchFailed(_("The platform refused to hand over the file (HTTP %(status)s).")
                          % {"status": response.status_code})  # fmt: skip
    return answer


def _feishu(client: httpx.Client, secrets: dict[str, str], message_id: str, ref: FileRef,
            limit: int) -> tuple[bytes, str]:  # fmt: skip
    base = api_base("feishu")
    token = _json(client.post(
        f"{base}/open-apis/auth/v3/tenant_access_token/internal",
        json={"app_id": secrets["app_id"], "app_secret": secrets["app_secret"]},
    ))  # fmt: skip
    if token.get("code") != 0 or not token.get("tenant_access_token"):
        raise FetchFailed(_("The platform refused the app credentials given on the IM group page."))
    url = f"{base}/open-apis/im/v1/messages/{message_id}/resources/{ref.key}"
    headers = {"Authorization": f"Bearer {token['tenant_access_token']}"}
    with client.stream("GET", url, params={"type": ref.kind}, headers=headers) as response:
        data = _read(response, limit)
        content_type = response.headers.get("content-type", "").split(";")[0].strip()
    return data, ref.name or f"{ref.key}{IMAGE_SUFFIX.get(content_type, '')}"


def _dingtalk(client: httpx.Client, secrets: dict[str, str], message_id: str, ref: FileRef,
              limit: int) -> tuple[bytes, str]:  # fmt: skip
    base = api_base("dingtalk")
    token = _json(client.post(
        f"{base}/v1.0/oauth2/accessToken",
        json={"appKey": secrets["app_key"], "appSecret": secrets["app_secret"]},
    ))  # fmt: skip
    if not token.get("accessToken"):
        raise FetchFailed(_("The platform refused the app credentials given on the IM group page."))
    found = _json(client.post(
        f"{base}/v1.0/robot/messageFiles/download",
        json={"downloadCode": ref.key, "robotCode": secrets["robot_code"]},
        headers={"x-acs-dingtalk-access-token": token["accessToken"]},
    ))  # fmt: skip
    if not found.get("downloadUrl"):
        raise FetchFailed(_("The platform refused to hand over the file (HTTP %(status)s).")
                          % {"status": 200})  # fmt: skip
    with client.stream("GET", str(found["downloadUrl"])) as response:
        data = _read(response, limit)
        content_type = response.headers.get("content-type", "").split(";")[0].strip()
    return data, ref.name or f"picture{IMAGE_SUFFIX.get(content_type, '.png')}"


def _wecom_host_allowed(url: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    hosts = getattr(settings, "SUPPORTPLAN_IM_WECOM_FILE_HOSTS", DEFAULT_WECOM_FILE_HOSTS)
    if not any(host == h or host.endswith(f".{h}") for h in hosts):
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and host == "127.0.0.1")


def _disposition_name(header: str) -> str:
    """The file name of a Content-Disposition header (RFC 6266 / RFC 5987 filename*)."""
    found = re.search(r"filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)", header)
    if found:
        return unquote(found.group(1).strip().strip('"'))
    found = re.search(r'filename\s*=\s*"([^"]+)"|filename\s*=\s*([^;]+)', header)
    if found:
        return (found.group(1) or found.group(2) or "").strip()
    return ""


def _sniffed_name(kind: str, data: bytes) -> str:
    for magic, suffix in SNIFFED:
        if data.startswith(magic):
            return f"{'image' if kind == 'image' else 'file'}{suffix}"
    return "image" if kind == "image" else "file"


def _wecom(client: httpx.Client, secrets: dict[str, str], message_id: str, ref: FileRef,
           limit: int) -> tuple[bytes, str]:  # fmt: skip
    if not _wecom_host_allowed(ref.key):
        raise FetchFailed(_("The file's address is not one of the platform's."))
    with client.stream("GET", ref.key) as response:
        encrypted = _read(response, limit + 32)  # PKCS#7 to 32 adds at most 32 bytes
        header = response.headers.get("content-disposition", "")
    try:
        data = im_crypto.wecom_file_decrypt(
            encrypted, encoding_aes_key=secrets["encoding_aes_key"],
            aeskey=stored_secrets.decrypt(ref.aeskey) if ref.aeskey else "",
        )  # fmt: skip
    except im_crypto.Refused:
        raise FetchFailed(_("The file could not be decrypted with the group's key.")) from None
    if len(data) > limit:
        raise _too_large(limit)
    return data, ref.name or _disposition_name(header) or _sniffed_name(ref.kind, data)


def _fetch(platform: str, secrets: dict[str, str], message_id: str, ref: FileRef,
           limit: int) -> tuple[bytes, str]:  # fmt: skip
    fetch = {"feishu": _feishu, "dingtalk": _dingtalk, "wecom": _wecom}[platform]
    try:
        with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
            return fetch(client, secrets, message_id, ref, limit)
    except httpx.HTTPError:
        raise FetchFailed(_("The platform could not be reached to fetch the file.")) from None


def im_file_attach(*, group: ImGroup, case_id: int, message_id: str, ref: FileRef,
                   now: datetime, index: int = 0) -> str:  # fmt: skip
    """Fetch the file and attach it; returns the answer for the group ("" for a repeat).
    `index` tells apart the files of one message (a WeCom mixed message's images)."""
    from .imbot import group_secrets

    once = (f"file:{message_id}" + (f"#{index}" if index else ""))[:200]
    if ImMessageSeen.objects.filter(group=group, message_id=once).exists():
        return ""
    case = Case.objects.filter(pk=case_id, tenant_id=group.tenant_id, channel="im_group").first()
    if case is None:  # never another organisation's case
        return _("Case #%(n)s is not one of this group's cases.") % {"n": case_id}
    secrets = group_secrets(group)
    if credentials_missing(group.platform, secrets):
        return _(
            "Files can't be fetched: the administrator adds the app credentials on the IM "
            "group page."
        )
    try:
        data, name = _fetch(group.platform, secrets, message_id, ref, max_attachment_bytes())
        with transaction.atomic():
            ImMessageSeen.objects.create(group=group, message_id=once, seen_at=now)
            attachment = case_attach(
                actor=group.requester, case=case, now=now,
                upload=SimpleUploadedFile(PurePath(name).name or "file", data),
            )  # fmt: skip
    except IntegrityError:
        return ""
    except (FetchFailed, DomainError) as exc:
        reason = exc.message if isinstance(exc, DomainError) else str(exc)
        return _("The file was not added to case #%(n)s: %(reason)s") % {
            "n": case.pk, "reason": reason,
        }  # fmt: skip
    return _("File %(name)s added to case #%(n)s.") % {"name": attachment.name, "n": case.pk}


@task()
def im_file_fetch(
    group_id: int, case_id: int, message_id: str, ref: str, index: int = 0
) -> dict[str, Any]:
    """Run out of the callback, so the platform gets its fast answer; the message id makes a
    second run change nothing."""
    from .imbot import say

    group = ImGroup.objects.select_related("tenant", "requester", "robot").get(pk=group_id)
    with translation.override(group.tenant.language or "zh-hans"):
        answer = im_file_attach(
            group=group, case_id=case_id, message_id=message_id,
            ref=FileRef(**json.loads(ref)), now=clock.now(), index=index,
        )  # fmt: skip
    if answer:
        say(group, answer)
    return {"answer": answer}


def enqueue(group: ImGroup, case: Case, message_id: str, ref: FileRef, index: int = 0) -> None:
    transaction.on_commit(lambda: im_file_fetch.enqueue(
        group_id=group.pk, case_id=case.pk, message_id=message_id, ref=json.dumps(asdict(ref)),
        index=index,
    ))  # fmt: skip
