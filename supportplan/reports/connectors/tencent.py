"""Tencent Cloud connector, on the official SDK modules (tencentcloud-sdk-python-*).

- CVM `DescribeInstances` (2017-03-12), paged with Offset/Limit (Limit ≤ 100) until
  TotalCount is reached, per region;
- Cloud Monitor `GetMonitorData` (2018-07-24), namespace QCE/CVM, dimension InstanceId,
  at most 10 instances per request, period 3600 s over the month;
- Billing `DescribeBillSummaryByProduct` (2018-07-09), one request per month
  (BeginTime = EndTime = "YYYY-MM", the API refuses ranges across months).

Requests are signed TC3-HMAC-SHA256 by the SDK. Throttling (`RequestLimitExceeded*`)
and network errors are retried with exponential backoff by the SDK's StandardRetryer;
an API that still fails marks its section incomplete (e.g. monitoring down → the
resource section says so) instead of failing the report. Authentication failures on
the instance list fail the collection (`CollectionFailed`): a report without the
resource inventory would be wrong, not just incomplete.

Endpoint override (tests, private clouds): settings `endpoint` ("127.0.0.1:8123") and
`protocol` ("http") go into the SDK's HttpProfile.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np

from ..data import (
    CloudData,
    Incomplete,
    MetricSeries,
    Month,
    Resource,
    SpendLine,
)
from .base import TREND_MONTHS, Backoff, Connector, register

# our metric code -> QCE/CVM metric name (Tencent Cloud Observability docs, CVM metrics).
# Disk I/O, latency and packet loss are not CVM-namespace metrics (they live with CBS /
# network products) and are reported as "not reported by the data source".
METRICS = {
    "cpu_util": "CpuUsage",
    "mem_util": "MemUsage",
    "disk_util": "CvmDiskUsage",
    "bandwidth_in": "WanIntraffic",
    "bandwidth_out": "WanOuttraffic",
    "connections": "TcpCurrEstab",
}
STATUS = {"RUNNING": "running", "STOPPED": "stopped", "SHUTDOWN": "stopped"}
AUTH_ERRORS = ("AuthFailure", "UnauthorizedOperation")
PAGE = 100
MONITOR_BATCH = 10


@register("tencent")
@dataclass
class TencentConnector(Connector):
    secret_id: str = ""
    secret_key: str = ""
    regions: list[str] = field(default_factory=lambda: ["ap-guangzhou"])
    endpoint: str = ""  # one override for cvm, monitor and billing (a local fake serves all)
    protocol: str = "https"
    period: int = 3600
    backoff_base: float = 1.0
    max_attempts: int = 4
    account: str = ""

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

    def collect(self, month: Month) -> CloudData:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )

        from ..data import CollectionFailed

        if not self.secret_id or not self.secret_key:
            raise CollectionFailed("tencent", "SecretId/SecretKey are not set")
        incomplete: list[Incomplete] = []
        resources: list[Resource] = []
        for region in self.regions:
            try:
                resources += self._instances(region)
            except TencentCloudSDKException as exc:
                if exc.get_code().startswith(AUTH_ERRORS):
                    raise CollectionFailed(
                        "tencent:cvm", f"{exc.get_code()}: {exc.get_message()}"
                    ) from None
                incomplete.append(Incomplete("resources", f"tencent:cvm:{region}", _msg(exc)))
        metrics: list[MetricSeries] = []
        for region in self.regions:
            ids = [r.id for r in resources if r.region == region and r.status == "running"]
            metrics += self._metrics(region, ids, month, incomplete)
        spend = self._spend(month, incomplete)
        incomplete.append(
            Incomplete(
                "security",
                "tencent",
                "IAM, security-group rules, audit log, COS policies, DDoS and WAF need the "
                "CAM/VPC/CloudAudit/COS/Anti-DDoS/WAF SDK modules, which this connector does "
                "not use yet; upload them with the file connector",
            )
        )
        return CloudData(
            resources=tuple(resources),
            metrics=tuple(metrics),
            spend=tuple(spend),
            incomplete=tuple(incomplete),
            sources=(f"Tencent Cloud {self.account}".strip(),),
        )

    # -- CVM

    def _instances(self, region: str) -> list[Resource]:
        from tencentcloud.cvm.v20170312 import cvm_client, models

        client = cvm_client.CvmClient(self._cred(), region, self._profile())
        out: list[Resource] = []
        offset = 0
        while True:
            req = models.DescribeInstancesRequest()
            req.Offset = offset
            req.Limit = PAGE
            resp = client.DescribeInstances(req)
            for ins in resp.InstanceSet or []:
                out.append(_resource(ins, region))
            offset += len(resp.InstanceSet or [])
            if not resp.InstanceSet or offset >= (resp.TotalCount or 0):
                return out

    # -- Cloud Monitor

    def _metrics(
        self, region: str, ids: list[str], month: Month, incomplete: list[Incomplete]
    ) -> list[MetricSeries]:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )
        from tencentcloud.monitor.v20180724 import models, monitor_client

        if not ids:
            return []
        client = monitor_client.MonitorClient(self._cred(), region, self._profile())
        start = month.start.isoformat()
        end = month.end.isoformat()
        out: list[MetricSeries] = []
        for code, name in METRICS.items():
            for i in range(0, len(ids), MONITOR_BATCH):
                batch = ids[i : i + MONITOR_BATCH]
                req = models.GetMonitorDataRequest()
                req.from_json_string(
                    json.dumps(
                        {
                            "Namespace": "QCE/CVM",
                            "MetricName": name,
                            "Period": self.period,
                            "StartTime": start,
                            "EndTime": end,
                            "Instances": [
                                {"Dimensions": [{"Name": "InstanceId", "Value": rid}]}
                                for rid in batch
                            ],
                        }
                    )
                )
                try:
                    resp = client.GetMonitorData(req)
                except TencentCloudSDKException as exc:
                    incomplete.append(Incomplete("resources", f"tencent:monitor:{name}", _msg(exc)))
                    break  # the next metric may still work
                for point in resp.DataPoints or []:
                    rid = next(
                        (d.Value for d in point.Dimensions or [] if d.Name == "InstanceId"), ""
                    )
                    ts = np.asarray(point.Timestamps or [], dtype=np.int64)
                    vals = np.asarray(
                        [np.nan if v is None else v for v in point.Values or []], dtype=np.float64
                    )
                    keep = ~np.isnan(vals)
                    out.append(MetricSeries(rid, code, ts[keep], vals[keep]))
        return out

    # -- Billing

    def _spend(self, month: Month, incomplete: list[Incomplete]) -> list[SpendLine]:
        from tencentcloud.billing.v20180709 import billing_client, models
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )

        client = billing_client.BillingClient(self._cred(), "", self._profile())
        out: list[SpendLine] = []
        for m in month.back(TREND_MONTHS):
            req = models.DescribeBillSummaryByProductRequest()
            req.BeginTime = m.label
            req.EndTime = m.label
            try:
                resp = client.DescribeBillSummaryByProduct(req)
            except TencentCloudSDKException as exc:
                incomplete.append(Incomplete("spend", f"tencent:billing:{m.label}", _msg(exc)))
                continue
            for item in resp.SummaryOverview or []:
                out.append(
                    SpendLine(
                        m.label,
                        item.BusinessCodeName or item.BusinessCode or "?",
                        _dec(item.RealTotalCost),
                    )
                )
        return out


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


def _resource(ins: Any, region: str) -> Resource:
    created = None
    if ins.CreatedTime:
        created = datetime.fromisoformat(ins.CreatedTime.replace("Z", "+00:00")).astimezone(UTC)
    ips = (ins.PublicIpAddresses or []) + (ins.PrivateIpAddresses or [])
    tags = {t.Key: t.Value for t in (ins.Tags or [])}
    return Resource(
        cloud="tencent",
        product="CVM",
        id=ins.InstanceId,
        name=ins.InstanceName or ins.InstanceId,
        status=STATUS.get(ins.InstanceState or "", "other"),
        spec=f"{ins.InstanceType} ({ins.CPU} vCPU, {ins.Memory} GiB)",
        region=region,
        zone=ins.Placement.Zone if ins.Placement else "",
        created_at=created,
        ip=ips[0] if ips else "",
        ha_group=ins.DisasterRecoverGroupId or "",
        system=tags.get("system", ""),
    )


def _dec(value: Any) -> Decimal:
    try:
        return Decimal(str(value or "0"))
    except InvalidOperation:
        return Decimal(0)


def _msg(exc: Any) -> str:
    return f"{exc.get_code()}: {exc.get_message()}"
