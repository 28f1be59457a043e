"""Huawei Cloud ECS servers, their CES metrics and BSS spend.

- ECS `ListServersDetails` (GET /v1/{project_id}/cloudservers/detail): `offset` is a
  page number (1-based) and `limit` the page size; `count` is the total;
- CES `BatchListMetricData` (POST /V1.0/{project_id}/batch-query-metric-data), namespace
  SYS.ECS, dimension instance_id, period 3600 s, filter average, up to 100 metrics per call;
- BSS `ShowCustomerMonthlySum` (GET /v2/bills/customer-bills/monthly-sum?bill_cycle=YYYY-MM),
  paged with offset/limit, global credentials (domain id).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np

from ...data import Incomplete, MetricSeries, Month, Resource, SpendLine
from ..base import TREND_MONTHS
from .client import PAGE, HuaweiBase, _dec, _msg, _tag

# our metric code -> (SYS.ECS metric name, factor to our unit). Byte rates -> MB/s or Mbit/s.
METRICS: dict[str, tuple[str, float]] = {
    "cpu_util": ("cpu_util", 1.0),
    "mem_util": ("mem_util", 1.0),
    "disk_util": ("disk_util_inband", 1.0),
    "disk_read": ("disk_read_bytes_rate", 1 / 1_000_000),
    "disk_write": ("disk_write_bytes_rate", 1 / 1_000_000),
    "bandwidth_in": ("network_incoming_bytes_rate_inband", 8 / 1_000_000),
    "bandwidth_out": ("network_outgoing_bytes_rate_inband", 8 / 1_000_000),
    "connections": ("network_vm_connections", 1.0),
    "disk_iops": ("disk_read_requests_rate", 1.0),
}
STATUS = {"ACTIVE": "running", "SHUTOFF": "stopped", "STOPPED": "stopped"}
CES_BATCH = 100


class ResourcesMixin(HuaweiBase):
    def _servers(self) -> list[Any]:
        from huaweicloudsdkecs.v2 import ListServersDetailsRequest

        client = self._client("ecs")
        out: list[Any] = []
        page = 1
        while True:
            resp = self._call(
                client.list_servers_details_invoker(
                    ListServersDetailsRequest(offset=page, limit=PAGE)
                )
            )
            batch = resp.servers or []
            out += batch
            if not batch or len(out) >= (resp.count or 0):
                return out
            page += 1

    def _metrics(
        self, ids: list[str], month: Month, incomplete: list[Incomplete]
    ) -> list[MetricSeries]:
        from huaweicloudsdkces.v1 import (
            BatchListMetricDataRequest,
            BatchListMetricDataRequestBody,
            MetricInfo,
            MetricsDimension,
        )
        from huaweicloudsdkcore.exceptions import exceptions

        if not ids:
            return []
        by_name = {name: (code, factor) for code, (name, factor) in METRICS.items()}
        wanted = [(rid, code) for rid in ids for code in METRICS]
        client = self._client("ces")
        out: list[MetricSeries] = []
        failed: set[str] = set()
        for i in range(0, len(wanted), CES_BATCH):
            batch = wanted[i : i + CES_BATCH]
            body = BatchListMetricDataRequestBody(
                metrics=[
                    MetricInfo(
                        namespace="SYS.ECS",
                        metric_name=METRICS[code][0],
                        dimensions=[MetricsDimension(name="instance_id", value=rid)],
                    )
                    for rid, code in batch
                ],
                period=str(self.period),
                filter="average",
                _from=int(month.start.timestamp() * 1000),
                to=int(month.end.timestamp() * 1000),
            )
            try:
                resp = self._call(
                    client.batch_list_metric_data_invoker(BatchListMetricDataRequest(body=body))
                )
            except exceptions.SdkException as exc:
                key = _msg(exc)
                if key not in failed:
                    failed.add(key)
                    incomplete.append(Incomplete("resources", "huawei:ces", key))
                continue
            for m in resp.metrics or []:
                code, factor = by_name.get(m.metric_name, (None, 1.0))
                if code is None:
                    continue
                rid = next((d.value for d in m.dimensions or [] if d.name == "instance_id"), "")
                points = [p for p in m.datapoints or [] if p.average is not None]
                ts = np.asarray([int(p.timestamp) // 1000 for p in points], dtype=np.int64)
                vals = np.asarray([float(p.average) * factor for p in points], dtype=np.float64)
                out.append(MetricSeries(rid, code, ts, vals))
        return out

    def _spend(self, month: Month, incomplete: list[Incomplete]) -> list[SpendLine]:
        from huaweicloudsdkbss.v2 import ShowCustomerMonthlySumRequest
        from huaweicloudsdkcore.exceptions import exceptions

        client = self._client("bss")
        out: list[SpendLine] = []
        for m in month.back(TREND_MONTHS):
            offset = 0
            try:
                while True:
                    resp = self._call(
                        client.show_customer_monthly_sum_invoker(
                            ShowCustomerMonthlySumRequest(
                                bill_cycle=m.label, offset=offset, limit=PAGE
                            )
                        )
                    )
                    rows = resp.bill_sums or []
                    for row in rows:
                        out.append(
                            SpendLine(
                                m.label,
                                row.service_type_name or row.service_type_code or "?",
                                _dec(row.consume_amount),
                            )
                        )
                    offset += len(rows)
                    if not rows or offset >= (resp.total_count or 0):
                        break
            except exceptions.SdkException as exc:
                incomplete.append(Incomplete("spend", f"huawei:bss:{m.label}", _msg(exc)))
        return out


def _resource(s: Any, region: str) -> Resource:
    created = None
    if s.created:
        created = datetime.fromisoformat(str(s.created).replace("Z", "+00:00")).astimezone(UTC)
    ip = ""
    for addrs in (s.addresses or {}).values():
        for a in addrs:
            ip = ip or a.addr
            if getattr(a, "os_ext_ip_stype", "") == "floating":
                ip = a.addr
    meta = s.metadata or {}
    flavor = s.flavor
    spec = (
        f"{flavor.id} ({flavor.vcpus} vCPU, {int(flavor.ram or 0) // 1024} GiB)" if flavor else ""
    )
    return Resource(
        cloud="huawei",
        product="ECS",
        id=s.id,
        name=s.name or s.id,
        status=STATUS.get(s.status or "", "other"),
        spec=spec,
        region=region,
        zone=s.os_ext_a_zavailability_zone or "",
        created_at=created,
        ip=ip,
        ha_group=(meta.get("server_group") or "") if isinstance(meta, dict) else "",
        system=(s.tags and _tag(s.tags, "system")) or "",
    )
