"""Talking to a cloud vendor's ticket API with its official client (boto3's `support`,
huaweicloudsdkosm). One small adapter per API: open, reply, read the thread, resolve."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Protocol

from supportplan.notifications import secrets as stored_secrets

from .models import VendorAccount, VendorApi


@dataclass(frozen=True)
class VendorMessage:
    key: str  # stable: the same message gives the same key on every poll
    body: str
    author: str
    at: str


@dataclass(frozen=True)
class VendorThread:
    state: str
    closed: bool
    messages: list[VendorMessage]


class VendorUnavailable(Exception):
    """The vendor refused or could not be reached; the message says why (no secrets)."""


class Adapter(Protocol):
    def open(
        self, *, subject: str, body: str, severity: str, service: str,
        files: list[tuple[str, bytes]],
    ) -> str: ...  # fmt: skip
    def reply(self, ticket_id: str, body: str) -> None: ...
    def thread(self, ticket_id: str) -> VendorThread: ...
    def resolve(self, ticket_id: str) -> None: ...


def message_key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


class AwsSupport:
    def __init__(self, account: VendorAccount) -> None:
        import boto3
        from botocore.config import Config

        self.client = boto3.client(
            "support",
            endpoint_url=account.endpoint,
            region_name=account.region or "us-east-1",
            aws_access_key_id=account.access_key_id,
            aws_secret_access_key=stored_secrets.decrypt(account.secret_encrypted),
            config=Config(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=20),
        )

    def _call(self, name: str, **kwargs: Any) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, name)(**kwargs)  # type: ignore[no-any-return]
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise VendorUnavailable(f"{error.get('Code')}: {error.get('Message')}") from None
        except BotoCoreError as exc:
            raise VendorUnavailable(type(exc).__name__) from None

    def open(
        self, *, subject: str, body: str, severity: str, service: str,
        files: list[tuple[str, bytes]],
    ) -> str:  # fmt: skip
        extra: dict[str, Any] = {"serviceCode": service} if service else {}
        if files:
            staged = self._call(
                "add_attachments_to_set",
                attachments=[{"fileName": n, "data": d} for n, d in files[:3]],
            )
            extra["attachmentSetId"] = staged["attachmentSetId"]
        made = self._call(
            "create_case", subject=subject, communicationBody=body, severityCode=severity,
            **extra,
        )  # fmt: skip
        return str(made["caseId"])

    def reply(self, ticket_id: str, body: str) -> None:
        self._call("add_communication_to_case", caseId=ticket_id, communicationBody=body)

    def thread(self, ticket_id: str) -> VendorThread:
        cases = self._call("describe_cases", caseIdList=[ticket_id], includeResolvedCases=True,
                           includeCommunications=False)["cases"]  # fmt: skip
        state = cases[0]["status"] if cases else "unknown"
        rows = self._call("describe_communications", caseId=ticket_id, maxResults=100)
        messages = [
            VendorMessage(
                message_key(c["timeCreated"], c.get("submittedBy", ""), c["body"]),
                c["body"], c.get("submittedBy", ""), c["timeCreated"],
            )
            for c in reversed(rows.get("communications", []))
        ]  # fmt: skip
        return VendorThread(state=state, closed=state == "resolved", messages=messages)

    def resolve(self, ticket_id: str) -> None:
        self._call("resolve_case", caseId=ticket_id)


class HuaweiOsm:
    def __init__(self, account: VendorAccount) -> None:
        from huaweicloudsdkcore.auth.credentials import GlobalCredentials
        from huaweicloudsdkcore.http.http_config import HttpConfig
        from huaweicloudsdkosm.v2 import OsmClient

        config = HttpConfig.get_default_config()
        config.timeout = (5, 20)
        config.retry_times = 1
        credentials = GlobalCredentials(
            account.access_key_id, stored_secrets.decrypt(account.secret_encrypted),
            domain_id=account.region or "supportplan",
        )  # fmt: skip
        self.client = (
            OsmClient.new_builder().with_http_config(config).with_credentials(credentials)
            .with_endpoints([account.endpoint]).build()
        )  # fmt: skip

    def _call(self, name: str, request: Any) -> Any:
        from huaweicloudsdkcore.exceptions.exceptions import SdkException

        try:
            return getattr(self.client, name)(request)
        except SdkException as exc:
            raise VendorUnavailable(
                f"{getattr(exc, 'error_code', '')}: {getattr(exc, 'error_msg', exc)}"
            ) from None

    def open(
        self, *, subject: str, body: str, severity: str, service: str,
        files: list[tuple[str, bytes]],
    ) -> str:  # fmt: skip
        import io

        from huaweicloudsdkcore.http.formdata import FormFile
        from huaweicloudsdkosm.v2 import (
            CreateCasesRequest,
            CreateOrderIncidentV2Req,
            UploadAccessoryRequest,
            UploadAccessoryRequestBody,
        )

        ids = []
        for name, data in files[:3]:
            stream = io.BytesIO(data)
            stream.name = name
            made = self._call(
                "upload_accessory",
                UploadAccessoryRequest(body=UploadAccessoryRequestBody(file=FormFile(stream))),
            )
            ids.append(made.accessory_id)
        created = self._call(
            "create_cases",
            CreateCasesRequest(
                body=CreateOrderIncidentV2Req(
                    simple_description=f"{subject}\n{body}", severity_id=severity or None,
                    product_category_id=service or None,
                    accessory_ids=ids or None,
                )
            ),
        )  # fmt: skip
        return str(created.incident_id)

    def reply(self, ticket_id: str, body: str) -> None:
        from huaweicloudsdkosm.v2 import (
            CreateMessageDoV2,
            CreateMessagesRequest,
            CreateMessageV2Req,
        )

        self._call(
            "create_messages",
            CreateMessagesRequest(
                case_id=ticket_id, body=CreateMessageV2Req(message=CreateMessageDoV2(content=body))
            ),
        )

    def thread(self, ticket_id: str) -> VendorThread:
        from huaweicloudsdkosm.v2 import ShowCaseDetailRequest

        detail = self._call("show_case_detail", ShowCaseDetailRequest(case_id=ticket_id))
        info = detail.incident_detail_info
        messages = [
            VendorMessage(
                message_key(str(m.create_time), m.replier or "", m.content or ""),
                m.content or "", m.replier_name or m.replier or "", str(m.create_time),
            )
            for m in reversed(info.message_list or [])
        ]  # fmt: skip
        return VendorThread(state=str(info.status), closed=info.status in (2, 3), messages=messages)

    def resolve(self, ticket_id: str) -> None:
        from huaweicloudsdkosm.v2 import UpdateCasesRequest, WorkOrderOperateV2Req

        self._call(
            "update_cases",
            UpdateCasesRequest(
                case_id=ticket_id, action_id="confirm", body=WorkOrderOperateV2Req()
            ),
        )


def adapter_for(account: VendorAccount) -> Adapter:
    if account.api == VendorApi.AWS_SUPPORT:
        return AwsSupport(account)
    return HuaweiOsm(account)
