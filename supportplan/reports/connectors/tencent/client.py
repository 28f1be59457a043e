"""Tencent Cloud connector plumbing: the settings, SDK profile and credentials, the retryer,
the COS client and small helpers shared by the resource and security modules.

Requests are signed TC3-HMAC-SHA256 by the SDK. Throttling (`RequestLimitExceeded*`)
and network errors are retried with exponential backoff by the SDK's StandardRetryer;
an API that still fails marks its section incomplete (e.g. monitoring down → the
resource section says so) instead of failing the report. Authentication failures on
the instance list fail the collection (`CollectionFailed`): a report without the
resource inventory would be wrong, not just incomplete.

Endpoint override (tests, private clouds): settings `endpoint` ("127.0.0.1:8123") and
`protocol` ("http") go into the SDK's HttpProfile. COS requests go to `cos_endpoint`
("host:port"), or to `endpoint` when only that is set, through CosConfig's IP/Port and
ServiceDomain: the Host header still names `<bucket>.cos.<region>.myqcloud.com`. COS
throttling (503 SlowDown, 429) and 5xx are retried with the same backoff.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ..base import Backoff, Connector

AUTH_ERRORS = ("AuthFailure", "UnauthorizedOperation")
PAGE = 100
COS_RETRY = {429, 500, 502, 503, 504}  # 503 SlowDown is COS's throttling answer


@dataclass
class TencentClient(Connector):
    """The connector's settings and its SDK clients; `TencentConnector` adds what it collects."""

    secret_id: str = ""
    secret_key: str = ""
    regions: list[str] = field(default_factory=lambda: ["ap-guangzhou"])
    endpoint: str = ""  # one override for cvm, monitor and billing (a local fake serves all)
    protocol: str = "https"
    period: int = 3600
    backoff_base: float = 1.0
    max_attempts: int = 4
    account: str = ""
    cos_endpoint: str = ""  # "host:port" for every COS request; default: `endpoint` if set
    max_waf_events: int = 10_000  # WAF attack log entries listed per month at most

    def _profile(self) -> Any:
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile

        http = HttpProfile(protocol=self.protocol, endpoint=self.endpoint or None, reqTimeout=30)
        profile = ClientProfile(httpProfile=http)
        backoff = Backoff(base=self.backoff_base)
        profile.retryer = _Retryer(max_attempts=self.max_attempts, backoff_fn=backoff.delay)
        profile.disable_region_breaker = True
        return profile

    def _cred(self) -> Any:
        from tencentcloud.common import credential

        return credential.Credential(self.secret_id, self.secret_key)

    # COS speaks its own XML protocol (qcloud_cos), with its own signature and errors.

    def _cos(self, region: str) -> Any:
        from qcloud_cos import CosConfig, CosS3Client

        kw: dict[str, Any] = {
            "Region": region,
            "SecretId": self.secret_id,
            "SecretKey": self.secret_key,
            "Scheme": self.protocol,
            "Timeout": 30,
        }
        target = self.cos_endpoint or self.endpoint
        if target:
            # every request goes to this host:port; the Host header still names the bucket
            # (<bucket>.cos.<region>.myqcloud.com) as the real service expects
            host, _, port = target.rpartition(":") if ":" in target else (target, "", "")
            kw.update(IP=host, Port=int(port) if port else None, ServiceDomain=target)
        return CosS3Client(CosConfig(**kw), retry=0)  # retries: _cos_call, with our backoff

    def _cos_call(self, fn: Any) -> Any:
        import time

        from qcloud_cos.cos_exception import CosClientError, CosServiceError

        backoff = Backoff(base=self.backoff_base)
        for n in range(self.max_attempts):
            try:
                return fn()
            except CosServiceError as exc:
                if exc.get_status_code() not in COS_RETRY or n == self.max_attempts - 1:
                    raise
            except CosClientError:  # network
                if n == self.max_attempts - 1:
                    raise
            time.sleep(backoff.delay(n))
        raise RuntimeError("unreachable: the loop returns or raises")


def _retryer_base() -> type:
    from tencentcloud.common.retry import StandardRetryer

    return StandardRetryer  # type: ignore[no-any-return]


class _Retryer(_retryer_base()):  # type: ignore[misc]
    """The SDK's StandardRetryer keeps the previous attempt's error: after a throttled
    call and a successful retry it retries again and finally raises the stale error
    (tencentcloud-sdk-python-common 3.1.x). Same policy, error reset per attempt."""

    def send_request(self, fn: Any) -> Any:
        import time

        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )

        for n in range(self._max_attempts):
            try:
                return fn()
            except TencentCloudSDKException as e:
                err = e
                if not self.should_retry(None, err) or n == self._max_attempts - 1:
                    raise
            sleep = self._backoff_fn(n)
            self.on_retry(n, sleep, None, err)
            time.sleep(sleep)
        raise RuntimeError("unreachable: the loop returns or raises")


def _dec(value: Any) -> Decimal:
    try:
        return Decimal(str(value or "0"))
    except InvalidOperation:
        return Decimal(0)


def _msg(exc: Any) -> str:
    return f"{exc.get_code()}: {exc.get_message()}"


def _cos_msg(exc: Any) -> str:
    if not hasattr(exc, "get_error_code"):
        return str(exc)  # CosClientError: network
    if isinstance(exc.get_digest_msg(), dict):
        return f"{exc.get_error_code()}: {exc.get_error_msg()}"
    return f"HTTP {exc.get_status_code()}"  # no COS error document (e.g. a proxy's page)
