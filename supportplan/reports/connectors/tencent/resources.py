"""Tencent Cloud resources, monitoring and spend:

- CVM `DescribeInstances` (2017-03-12), paged with Offset/Limit (Limit ≤ 100) until
  TotalCount is reached, per region;
- Cloud Monitor `GetMonitorData` (2018-07-24), namespace QCE/CVM, dimension InstanceId,
  at most 10 instances per request, period 3600 s over the month;
- Billing `DescribeBillSummaryByProduct` (2018-07-09), one request per month
  (BeginTime = EndTime = "YYYY-MM", the API refuses ranges across months).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import numpy as np

from ...data import Incomplete, MetricSeries, Month, Resource, SpendLine
from ..base import TREND_MONTHS
from .client import PAGE, TencentClient, _dec, _msg

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
MONITOR_BATCH = 10


class TencentResources(TencentClient):
    """CVM instances, Cloud Monitor metrics and billing; mixed into `TencentConnector`."""

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
