"""Huawei Cloud connector, on the official SDK modules (huaweicloudsdk*).

- ECS `ListServersDetails` (GET /v1/{project_id}/cloudservers/detail): `offset` is a
  page number (1-based) and `limit` the page size; `count` is the total;
- ECS `NovaListServerSecurityGroups` (GET /v2.1/{project_id}/servers/{id}/os-security-groups)
  for the groups and their rules (ingress open to 0.0.0.0/0 is a finding);
- CES `BatchListMetricData` (POST /V1.0/{project_id}/batch-query-metric-data), namespace
  SYS.ECS, dimension instance_id, period 3600 s, filter average, up to 100 metrics per call;
- BSS `ShowCustomerMonthlySum` (GET /v2/bills/customer-bills/monthly-sum?bill_cycle=YYYY-MM),
  paged with offset/limit, global credentials (domain id);
- IAM `KeystoneListUsers` (GET /v3/users?domain_id=..., global credentials): the number of
  IAM users (no paging: the API returns every user of the account);
- CTS `ListTrackers` (GET /v3/{project_id}/trackers?tracker_type=system): audit logging is
  on when the management (system) tracker's status is "enabled"; no tracker, or one that is
  "disabled" or "error", means off.

Requests are signed SDK-HMAC-SHA256 by the SDK. Throttling (HTTP 429 / APIGW.0308) and
5xx answers are retried with exponential backoff through the SDK invoker's `with_retry`;
what still fails marks its section incomplete; an authentication failure on the server
list fails the collection.

Endpoint override (tests, dedicated clouds): settings `endpoint` ("http://127.0.0.1:8124")
is given to every client builder's `with_endpoints`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np

from ..data import (
    CloudData,
    CollectionFailed,
    Incomplete,
    MetricSeries,
    Month,
    Resource,
    SecurityData,
    SecurityGroup,
    SpendLine,
)
from .base import TREND_MONTHS, Backoff, Connector, register

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
PAGE = 100
CES_BATCH = 100
RETRY_STATUS = {429, 500, 502, 503, 504}


@register("huawei")
@dataclass
class HuaweiConnector(Connector):
    ak: str = ""
    sk: str = ""
    project_id: str = ""
    domain_id: str = ""
    region: str = "cn-north-4"
    endpoint: str = ""  # e.g. "http://127.0.0.1:8124"; default: the region's public endpoints
    period: int = 3600
    backoff_base: float = 1.0
    max_attempts: int = 4
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
        else:
            from huaweicloudsdkecs.v2 import EcsClient as C  # type: ignore[no-redef]

            creds = BasicCredentials(self.ak, self.sk, self.project_id)
        builder = C.new_builder().with_credentials(creds).with_http_config(config)
        if self.endpoint:
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

    # -- collect

    def collect(self, month: Month) -> CloudData:
        from huaweicloudsdkcore.exceptions import exceptions

        if not self.ak or not self.sk or not self.project_id:
            raise CollectionFailed("huawei", "AK, SK and project id are not all set")
        incomplete: list[Incomplete] = []
        try:
            servers = self._servers()
        except exceptions.ServiceResponseException as exc:
            if exc.status_code in (401, 403):
                raise CollectionFailed("huawei:ecs", _msg(exc)) from None
            servers = []
            incomplete.append(Incomplete("resources", "huawei:ecs", _msg(exc)))
        except exceptions.SdkException as exc:
            raise CollectionFailed("huawei:ecs", str(exc)) from None
        resources = [_resource(s, self.region) for s in servers]
        groups: dict[str, SecurityGroup] = {}
        if self.with_security_groups:
            for s in servers:
                try:
                    self._groups(s.id, groups)
                except exceptions.SdkException as exc:
                    incomplete.append(
                        Incomplete("security", "huawei:ecs:security-groups", _msg(exc))
                    )
                    break
        metrics = self._metrics(
            [r.id for r in resources if r.status == "running"], month, incomplete
        )
        spend = self._spend(month, incomplete)
        iam_users = self._iam_users(incomplete)
        audit = self._audit_switch(incomplete)
        incomplete.append(
            Incomplete(
                "security",
                "huawei",
                "IAM users' MFA state, OBS bucket policies, Anti-DDoS and WAF are not "
                "collected by this connector yet; upload them with the file connector",
            )
        )
        return CloudData(
            resources=tuple(resources),
            metrics=tuple(metrics),
            security=SecurityData(
                iam_users=iam_users,
                security_groups=tuple(groups.values()),
                audit_logging_enabled=audit,
            ),
            spend=tuple(spend),
            incomplete=tuple(incomplete),
            sources=(f"Huawei Cloud {self.account}".strip(),),
        )

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

    def _groups(self, server_id: str, groups: dict[str, SecurityGroup]) -> None:
        from huaweicloudsdkecs.v2 import NovaListServerSecurityGroupsRequest

        resp = self._call(
            self._client("ecs").nova_list_server_security_groups_invoker(
                NovaListServerSecurityGroupsRequest(server_id=server_id)
            )
        )
        for g in resp.security_groups or []:
            if g.id in groups:
                continue
            open_ports = []
            for rule in g.rules or []:
                cidr = rule.ip_range.cidr if rule.ip_range else None
                if cidr not in ("0.0.0.0/0", "::/0"):
                    continue
                proto = (rule.ip_protocol or "all").lower()
                if proto in ("all", "-1") or rule.from_port in (None, -1):
                    open_ports.append("all")
                elif rule.from_port == rule.to_port:
                    open_ports.append(f"{proto}/{rule.from_port}")
                else:
                    open_ports.append(f"{proto}/{rule.from_port}-{rule.to_port}")
            groups[g.id] = SecurityGroup(g.id, g.name or g.id, tuple(sorted(set(open_ports))))

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

    def _iam_users(self, incomplete: list[Incomplete]) -> int | None:
        from huaweicloudsdkcore.exceptions import exceptions
        from huaweicloudsdkiam.v3 import KeystoneListUsersRequest

        if not self.domain_id:
            incomplete.append(
                Incomplete("security", "huawei:iam", "the domain id is not set: IAM users unknown")
            )
            return None
        try:
            resp = self._call(
                self._client("iam").keystone_list_users_invoker(
                    KeystoneListUsersRequest(domain_id=self.domain_id)
                )
            )
        except exceptions.SdkException as exc:
            incomplete.append(Incomplete("security", "huawei:iam", _msg(exc)))
            return None
        return len(resp.users or [])

    def _audit_switch(self, incomplete: list[Incomplete]) -> bool | None:
        from huaweicloudsdkcore.exceptions import exceptions
        from huaweicloudsdkcts.v3 import ListTrackersRequest

        try:
            resp = self._call(
                self._client("cts").list_trackers_invoker(
                    ListTrackersRequest(tracker_type="system")
                )
            )
        except exceptions.SdkException as exc:
            incomplete.append(Incomplete("security", "huawei:cts", _msg(exc)))
            return None
        return any(
            (t.tracker_type or "system") == "system" and t.status == "enabled"
            for t in resp.trackers or []
        )


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
    from huaweicloudsdkecs.v2.region.ecs_region import EcsRegion

    return EcsRegion.value_of(region)


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
