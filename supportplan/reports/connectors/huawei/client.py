"""Huawei Cloud SDK plumbing shared by the connector's parts: the settings, one client per
service, `_call` with retry, the two paging loops, and small value helpers.

Requests are signed SDK-HMAC-SHA256 by the SDK. Throttling (HTTP 429 / APIGW.0308) and
5xx answers are retried with exponential backoff through the SDK invoker's `with_retry`.

Endpoint override (tests, dedicated clouds): settings `endpoint` ("http://127.0.0.1:8124")
is given to every client builder's `with_endpoints` except OBS, which takes `obs_endpoint`
("http://obs.cn-north-4.example.com"); with `endpoint` set and no `obs_endpoint`, OBS is not
asked (never the public cloud behind an override) and the section says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ..base import Backoff, Connector

# Page size of every paged list. resources.py, security.py and protection.py import it by
# name: a test that shrinks it patches the module whose calls it pages.
PAGE = 100
RETRY_STATUS = {429, 500, 502, 503, 504}
AAD_REGIONS = ("cn-north-4", "ap-southeast-1")


@dataclass
class HuaweiBase(Connector):
    """The connector's settings and SDK plumbing; `HuaweiConnector` adds the collection."""

    ak: str = ""
    sk: str = ""
    project_id: str = ""
    domain_id: str = ""
    region: str = "cn-north-4"
    endpoint: str = ""  # e.g. "http://127.0.0.1:8124"; default: the region's public endpoints
    period: int = 3600
    backoff_base: float = 1.0
    max_attempts: int = 4
    obs_endpoint: str = ""  # e.g. "http://obs.cn-north-4.example.com"; buckets are <b>.<host>
    account: str = ""
    with_security_groups: bool = True
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    # -- plumbing

    def _client(self, kind: str) -> Any:
        if kind in self._clients:
            return self._clients[kind]
        from huaweicloudsdkcore.auth.credentials import BasicCredentials, GlobalCredentials
        from huaweicloudsdkcore.http.http_config import HttpConfig

        config = HttpConfig.get_default_config()
        config.timeout = (5, 30)
        if kind == "bss":
            from huaweicloudsdkbss.v2 import BssClient as C

            creds: Any = GlobalCredentials(self.ak, self.sk, self.domain_id or None)
        elif kind == "iam":
            from huaweicloudsdkiam.v3 import IamClient as C  # type: ignore[no-redef]

            creds = GlobalCredentials(self.ak, self.sk, self.domain_id or None)
        elif kind == "cts":
            from huaweicloudsdkcts.v3 import CtsClient as C  # type: ignore[no-redef]

            creds = BasicCredentials(self.ak, self.sk, self.project_id)
        elif kind == "ces":
            from huaweicloudsdkces.v1 import CesClient as C  # type: ignore[no-redef]

            creds = BasicCredentials(self.ak, self.sk, self.project_id)
        elif kind == "antiddos":
            from huaweicloudsdkantiddos.v1 import AntiDDoSClient as C  # type: ignore[no-redef]

            creds = BasicCredentials(self.ak, self.sk, self.project_id)
        elif kind == "waf":
            from huaweicloudsdkwaf.v1 import WafClient as C  # type: ignore[no-redef]

            creds = BasicCredentials(self.ak, self.sk, self.project_id)
        elif kind in ("aad1", "aad2"):  # Advanced Anti-DDoS: global, account credentials
            if kind == "aad1":
                from huaweicloudsdkaad.v1 import AadClient as C  # type: ignore[no-redef]
            else:
                from huaweicloudsdkaad.v2 import AadClient as C  # type: ignore[no-redef]

            creds = GlobalCredentials(self.ak, self.sk, self.domain_id or None)
        elif kind == "vpc":
            from huaweicloudsdkvpc.v3 import VpcClient as C  # type: ignore[no-redef]

            creds = BasicCredentials(self.ak, self.sk, self.project_id)
        elif kind.startswith("obs:"):
            from huaweicloudsdkobs.v1 import ObsClient as C  # type: ignore[no-redef]
            from huaweicloudsdkobs.v1.obs_credentials import ObsCredentials

            creds = ObsCredentials(self.ak, self.sk)
        else:
            from huaweicloudsdkecs.v2 import EcsClient as C  # type: ignore[no-redef]

            creds = BasicCredentials(self.ak, self.sk, self.project_id)
        builder = C.new_builder().with_credentials(creds).with_http_config(config)
        if kind.startswith("obs:"):
            # one client per bucket location: a bucket answers on its own region's host
            builder = builder.with_endpoints([self.obs_endpoint or _obs_endpoint(kind[4:])])
        elif self.endpoint:
            builder = builder.with_endpoints([self.endpoint])
        else:
            builder = builder.with_region(_region(kind, self.region))
        client = builder.build()
        self._clients[kind] = client
        return client

    def _call(self, invoker: Any) -> Any:
        from huaweicloudsdkcore.exceptions import exceptions

        backoff = Backoff(base=self.backoff_base)

        class Strategy:
            def calculate_retry_delay_millis(self, n: int) -> int:
                return int(backoff.delay(n - 1) * 1000)

        def retry(resp: Any, exc: Any) -> bool:
            if isinstance(exc, exceptions.ServiceResponseException):
                return exc.status_code in RETRY_STATUS
            return isinstance(exc, exceptions.ConnectionException)

        return invoker.with_retry(retry, self.max_attempts - 1, Strategy()).invoke()

    def _paged(self, invoker: Any, items: str, *, pages: bool = False) -> list[Any]:
        """Every row of a `total`-counted list: offset paging, or page numbers from 1."""
        out: list[Any] = []
        page = 1
        while True:
            resp = self._call(invoker(page if pages else len(out)))
            batch = getattr(resp, items) or []
            out += batch
            if not batch or len(out) >= (resp.total or 0):
                return out
            page += 1

    def _marked(self, invoker: Any, items: str) -> list[Any]:
        """Every row of a marker-paged VPC v3 list: ask again from `page_info.next_marker`
        until a page comes without one."""
        out: list[Any] = []
        marker: str | None = None
        while True:
            resp = self._call(invoker(marker))
            batch = getattr(resp, items) or []
            out += batch
            nxt = resp.page_info.next_marker if resp.page_info else None
            if not batch or not nxt or nxt == marker:
                return out
            marker = nxt


def _region(kind: str, region: str) -> Any:
    if kind == "bss":
        from huaweicloudsdkbss.v2.region.bss_region import BssRegion

        return BssRegion.value_of("cn-north-1")
    if kind == "iam":
        from huaweicloudsdkiam.v3.region.iam_region import IamRegion

        return IamRegion.value_of(region)
    if kind == "cts":
        from huaweicloudsdkcts.v3.region.cts_region import CtsRegion

        return CtsRegion.value_of(region)
    if kind == "ces":
        from huaweicloudsdkces.v1.region.ces_region import CesRegion

        return CesRegion.value_of(region)
    if kind == "antiddos":
        from huaweicloudsdkantiddos.v1.region.antiddos_region import AntiDDoSRegion

        return AntiDDoSRegion.value_of(region)
    if kind in ("aad1", "aad2"):
        from huaweicloudsdkaad.v2.region.aad_region import AadRegion

        # one global endpoint; the module knows it under a few region names only
        return AadRegion.value_of(region if region in AAD_REGIONS else "cn-north-4")
    if kind == "waf":
        from huaweicloudsdkwaf.v1.region.waf_region import WafRegion

        return WafRegion.value_of(region)
    if kind == "vpc":
        from huaweicloudsdkvpc.v3.region.vpc_region import VpcRegion

        return VpcRegion.value_of(region)
    from huaweicloudsdkecs.v2.region.ecs_region import EcsRegion

    return EcsRegion.value_of(region)


def _tag(tags: Any, key: str) -> str:
    for t in tags:
        if isinstance(t, str) and t.startswith(f"{key}="):
            return t.split("=", 1)[1]
    return ""


def _dec(value: Any) -> Decimal:
    try:
        return Decimal(str(value if value is not None else "0"))
    except InvalidOperation:
        return Decimal(0)


def _msg(exc: Any) -> str:
    code = getattr(exc, "error_code", "") or getattr(exc, "status_code", "")
    msg = getattr(exc, "error_msg", "") or str(exc)
    return f"{code}: {msg}" if code else str(msg)


def _obs_endpoint(region: str) -> str:
    from huaweicloudsdkobs.v1.region.obs_region import ObsRegion

    return str(ObsRegion.value_of(region).endpoints[0])


def _ms(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    return datetime.fromtimestamp(int(value) / 1000, UTC)
