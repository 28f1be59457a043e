"""Huawei Cloud connector, on the official SDK modules (huaweicloudsdk*).

- ECS `ListServersDetails` (GET /v1/{project_id}/cloudservers/detail): `offset` is a
  page number (1-based) and `limit` the page size; `count` is the total;
- the security groups of those servers: their ids come with the server details
  (`security_groups`); VPC v3 `ListSecurityGroups` (GET /v3/{project_id}/vpc/security-groups,
  filtered by `id`, marker paging) gives their names and `ListSecurityGroupRules` (GET
  /v3/{project_id}/vpc/security-group-rules?security_group_id=..., marker paging) their
  rules, asked once per group however many servers share it. Enabled ingress *allow* rules
  from 0.0.0.0/0 or ::/0 are open to the world (a finding). (ECS `NovaListServerSecurityGroups`,
  one call per server, is deprecated in the SDK and not used.) A failure notes `huawei:vpc`;
- CES `BatchListMetricData` (POST /V1.0/{project_id}/batch-query-metric-data), namespace
  SYS.ECS, dimension instance_id, period 3600 s, filter average, up to 100 metrics per call;
- BSS `ShowCustomerMonthlySum` (GET /v2/bills/customer-bills/monthly-sum?bill_cycle=YYYY-MM),
  paged with offset/limit, global credentials (domain id);
- IAM `KeystoneListUsers` (GET /v3/users?domain_id=..., global credentials): the number of
  IAM users (no paging: the API returns every user of the account);
- CTS `ListTrackers` (GET /v3/{project_id}/trackers?tracker_type=system): audit logging is
  on when the management (system) tracker's status is "enabled"; no tracker, or one that is
  "disabled" or "error", means off;
- IAM `ListUserMfaDevices` (GET /v3.0/OS-MFA/virtual-mfa-devices) and `ListUserLoginProtects`
  (GET /v3.0/OS-USER/login-protects), global credentials: an enabled IAM user with neither a
  bound virtual MFA device nor enabled login protection (a second factor by virtual MFA, SMS
  or e-mail at console sign-in) counts as "without MFA"; disabled users cannot sign in and
  are not counted;
- OBS `ListBuckets` (GET / on obs.{region}), then per bucket `GetBucketAcl` (GET /?acl) and
  `GetBucketPolicyPublicStatus` (GET /?policyStatus), XML, signed with the OBS signature by
  the SDK's ObsCredentials. A bucket is public when its ACL grants anything to `Everyone`
  or OBS rates its policy public (IsPublic true; 404 NoSuchBucketPolicy = no policy). The
  SDK module has no GetBucketPolicy (only SetBucketPolicy), so the policy is judged by OBS
  itself through policyStatus, not parsed here. Its `IsPublic` is read from the raw XML:
  the SDK turns the text "false" into True (bool("false")). Buckets are addressed as
  `<bucket>.<obs host>`, so OBS needs a host name endpoint (`obs_endpoint`), never an IP;
- Anti-DDoS `ListDDosStatus` (GET /v1/{project_id}/antiddos, offset/limit, `total`) for the
  protected EIPs; `ListWeeklyReports` (GET /v1/{project_id}/antiddos/weekly, the last four
  weeks) -> one `SecurityEvent(kind="ddos", count=ddos_intercept_times)` per week that
  overlaps the month, at the week's start clipped to the month; `ListDailyLog` (GET
  /v1/{project_id}/antiddos/{floating_ip_id}/logs, offset/limit, events kept 24 hours) for
  cleaning (1) and black-hole (2) events that start in the month outside every week (inside
  one they are already counted). The part of the month no week covers is named in a note;
- Advanced Anti-DDoS (huaweicloudsdkaad, global credentials, only with `domain_id`): v1
  `ListInstance` (GET /v1/aad/instances), then per instance v2 `ListDDoSAttackEvent` (POST
  /v2/aad/instances/{id}/ddos-info/attack/events, month in milliseconds, offset/limit) ->
  one DDoS event per attack at its own start time;
- WAF `ListHost` (cloud mode) and `ListPremiumHost` (dedicated mode), page/pagesize: WAF is
  on when any protected domain has protect_status 1; `ListEvent` (GET
  /v1/{project_id}/waf/event?from=&to=, milliseconds, page/pagesize) for the month's attack
  events (blocked = action "block").

Requests are signed SDK-HMAC-SHA256 by the SDK. Throttling (HTTP 429 / APIGW.0308) and
5xx answers are retried with exponential backoff through the SDK invoker's `with_retry`;
what still fails marks its section incomplete; an authentication failure on the server
list fails the collection.

Endpoint override (tests, dedicated clouds): settings `endpoint` ("http://127.0.0.1:8124")
is given to every client builder's `with_endpoints` except OBS, which takes `obs_endpoint`
("http://obs.cn-north-4.example.com"); with `endpoint` set and no `obs_endpoint`, OBS is not
asked (never the public cloud behind an override) and the section says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, cast

import numpy as np
from django.utils.translation import gettext_lazy as _

from ..data import (
    BUSINESS_TZ,
    CloudData,
    CollectionFailed,
    Incomplete,
    MetricSeries,
    Month,
    Resource,
    SecurityData,
    SecurityEvent,
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
DDOS_STATUS = {1: "cleaning", 2: "black hole"}  # ListDailyLog status
EVERYONE = {"Everyone", "http://acs.amazonaws.com/groups/global/AllUsers"}
PAGE = 100
CES_BATCH = 100
RETRY_STATUS = {429, 500, 502, 503, 504}
AAD_REGIONS = ("cn-north-4", "ap-southeast-1")
WORLD = ("0.0.0.0/0", "::/0")
SG_IDS_PER_CALL = 50  # group ids per ListSecurityGroups request (query string length)
IP_PROTOCOLS = {"1": "icmp", "6": "tcp", "17": "udp", "47": "gre", "58": "icmpv6"}


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
            try:
                self._groups(servers, groups)
            except exceptions.SdkException as exc:
                incomplete.append(Incomplete("security", "huawei:vpc", _msg(exc)))
        metrics = self._metrics(
            [r.id for r in resources if r.status == "running"], month, incomplete
        )
        spend = self._spend(month, incomplete)
        users = self._iam_users(incomplete)
        without_mfa = self._iam_users_without_mfa(users, incomplete)
        audit = self._audit_switch(incomplete)
        buckets = self._public_buckets(incomplete)
        waf_enabled = self._waf_enabled(incomplete)
        events = (
            self._ddos_events(month, incomplete)
            + self._aad_events(month, incomplete)
            + self._waf_events(month, incomplete)
        )
        return CloudData(
            resources=tuple(resources),
            metrics=tuple(metrics),
            security=SecurityData(
                iam_users=len(users) if users is not None else None,
                iam_users_without_mfa=without_mfa,
                security_groups=tuple(groups.values()),
                audit_logging_enabled=audit,
                public_buckets=tuple(buckets),
                waf_enabled=waf_enabled,
                events=tuple(sorted(events, key=lambda e: (e.at, e.kind, e.target))),
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

    def _groups(self, servers: list[Any], groups: dict[str, SecurityGroup]) -> None:
        """The groups the servers are in (ids from the server details, in order of first
        appearance), each with the port specs its rules open to the world. One VPC rules
        lookup per group, however many servers share it; groups already collected stay in
        `groups` when a later lookup fails (the caller notes the error)."""
        from huaweicloudsdkvpc.v3 import ListSecurityGroupRulesRequest, ListSecurityGroupsRequest

        attached: dict[str, str] = {}  # group id -> the name ECS gives (may be the id)
        for s in servers:
            for g in s.security_groups or []:
                if g.id:
                    attached.setdefault(g.id, g.name or "")
        if not attached:
            return
        client = self._client("vpc")
        ids = list(attached)
        names: dict[str, str] = {}
        for i in range(0, len(ids), SG_IDS_PER_CALL):
            chunk = ids[i : i + SG_IDS_PER_CALL]
            for g in self._marked(
                lambda marker, chunk=chunk: client.list_security_groups_invoker(
                    ListSecurityGroupsRequest(id=chunk, limit=PAGE, marker=marker)
                ),
                "security_groups",
            ):
                names[g.id] = g.name or ""
        for gid in ids:
            rules = self._marked(
                lambda marker, gid=gid: client.list_security_group_rules_invoker(
                    ListSecurityGroupRulesRequest(
                        security_group_id=[gid], limit=PAGE, marker=marker
                    )
                ),
                "security_group_rules",
            )
            specs = {
                x for r in rules if r.security_group_id in (None, gid) for x in _open_to_world(r)
            }
            name = names.get(gid) or attached[gid] or gid  # VPC's name; ECS's if VPC has none
            groups[gid] = SecurityGroup(gid, name, tuple(sorted(specs)), region=self.region)

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

    def _iam_users(self, incomplete: list[Incomplete]) -> list[Any] | None:
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
        return list(resp.users or [])

    def _iam_users_without_mfa(
        self, users: list[Any] | None, incomplete: list[Incomplete]
    ) -> int | None:
        from huaweicloudsdkcore.exceptions import exceptions
        from huaweicloudsdkiam.v3 import ListUserLoginProtectsRequest, ListUserMfaDevicesRequest

        if users is None:
            return None  # the user list already marked the section
        client = self._client("iam")
        try:
            devices = self._call(
                client.list_user_mfa_devices_invoker(ListUserMfaDevicesRequest())
            ).virtual_mfa_devices
            protects = self._call(
                client.list_user_login_protects_invoker(ListUserLoginProtectsRequest())
            ).login_protects
        except exceptions.SdkException as exc:
            incomplete.append(Incomplete("security", "huawei:iam:mfa", _msg(exc)))
            return None
        second_factor = {d.user_id for d in devices or [] if d.serial_number}
        second_factor |= {p.user_id for p in protects or [] if p.enabled}
        return sum(1 for u in users if u.enabled is not False and u.id not in second_factor)

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

    # -- OBS

    def _public_buckets(self, incomplete: list[Incomplete]) -> list[str]:
        from huaweicloudsdkcore.exceptions import exceptions
        from huaweicloudsdkobs.v1 import (
            GetBucketAclRequest,
            GetBucketPolicyPublicStatusRequest,
            ListBucketsRequest,
        )

        if self.endpoint and not self.obs_endpoint:
            incomplete.append(
                Incomplete(
                    "security",
                    "huawei:obs",
                    "the endpoint is overridden but obs_endpoint is not set: OBS buckets are "
                    "addressed as <bucket>.<OBS host>, so OBS needs its own host name",
                )
            )
            return []
        try:
            resp = self._call(self._client(f"obs:{self.region}").list_buckets_invoker(
                ListBucketsRequest()
            ))  # fmt: skip
        except (exceptions.SdkException, ValueError) as exc:
            incomplete.append(Incomplete("security", "huawei:obs", _obs_msg(exc)))
            return []
        public: list[str] = []
        failed: list[str] = []
        for b in (resp.buckets.bucket if resp.buckets else None) or []:
            client = self._client(f"obs:{b.location or self.region}")
            try:
                acl = self._call(client.get_bucket_acl_invoker(
                    GetBucketAclRequest(bucket_name=b.name, acl="")
                ))  # fmt: skip
                grants = (acl.access_control_list.grant if acl.access_control_list else None) or []
                if any(_to_everyone(g.grantee) for g in grants):
                    public.append(b.name)
                    continue
                try:
                    status = self._call(client.get_bucket_policy_public_status_invoker(
                        GetBucketPolicyPublicStatusRequest(bucket_name=b.name, policy_status="")
                    ))  # fmt: skip
                except exceptions.ServiceResponseException as exc:
                    if exc.status_code == 404 and _obs_code(exc) == "NoSuchBucketPolicy":
                        continue  # no bucket policy at all
                    raise
                if _xml_flag(status.raw_content, "IsPublic"):
                    public.append(b.name)
            except (exceptions.SdkException, ValueError) as exc:
                failed.append(f"{b.name}: {_obs_msg(exc)}")
        if failed:
            incomplete.append(Incomplete("security", "huawei:obs", "; ".join(failed)))
        return public

    # -- Anti-DDoS

    def _ddos_events(self, month: Month, incomplete: list[Incomplete]) -> list[SecurityEvent]:
        from huaweicloudsdkantiddos.v1 import ListDailyLogRequest, ListDDosStatusRequest
        from huaweicloudsdkcore.exceptions import exceptions

        client = self._client("antiddos")
        events: list[SecurityEvent] = []
        try:
            eips = self._paged(
                lambda offset: client.list_d_dos_status_invoker(
                    ListDDosStatusRequest(offset=str(offset), limit=str(PAGE))
                ),
                "ddos_status",
            )
        except exceptions.SdkException as exc:
            incomplete.append(Incomplete("security", "huawei:antiddos", _msg(exc)))
            return []
        if not eips:
            return []  # no protected EIP: nothing basic Anti-DDoS could have scrubbed
        weekly, covered = self._ddos_weeks(month, incomplete)
        failed: list[str] = []
        for eip in eips:
            try:
                logs = self._paged(
                    lambda offset, eip=eip: client.list_daily_log_invoker(
                        ListDailyLogRequest(
                            floating_ip_id=eip.floating_ip_id,
                            sort_dir="asc",
                            offset=str(offset),
                            limit=str(PAGE),
                        )
                    ),
                    "logs",
                )
            except exceptions.SdkException as exc:
                failed.append(f"{eip.floating_ip_address or eip.floating_ip_id}: {_msg(exc)}")
                continue
            for log in logs:
                at = _ms(log.start_time)
                if at is None or not month.start <= at < month.end:
                    continue
                if any(lo <= at < hi for lo, hi in covered or ()):
                    continue  # already counted in that week's statistics
                events.append(
                    SecurityEvent(
                        kind="ddos",
                        at=at,
                        target=eip.floating_ip_address or eip.floating_ip_id,
                        detail=DDOS_STATUS.get(log.status, str(log.status)),
                        blocked=True,
                    )
                )
        if failed:
            incomplete.append(Incomplete("security", "huawei:antiddos", "; ".join(failed)))
        if covered is not None:
            missing = _uncovered(month, covered)
            if missing:
                incomplete.append(
                    Incomplete(
                        "security",
                        "huawei:antiddos",
                        _note(
                            _(
                                "Anti-DDoS weekly statistics reach back four weeks only, so for "
                                "{dates} only the Anti-DDoS events of the last 24 hours are "
                                "counted."
                            ),
                            dates="; ".join(_span_text(a, b) for a, b in missing),
                        ),
                    )
                )
        return weekly + events

    def _ddos_weeks(
        self, month: Month, incomplete: list[Incomplete]
    ) -> tuple[list[SecurityEvent], list[tuple[datetime, datetime]] | None]:
        """Anti-DDoS weekly statistics (`ListWeeklyReports`, every EIP of the project): one
        event per week that overlaps the month, at the week's start clipped to the month,
        count = the week's interceptions (scrubbing and black holes). Also returns the
        parts of the month the weeks cover (None when the API fails)."""
        from huaweicloudsdkantiddos.v1 import ListWeeklyReportsRequest
        from huaweicloudsdkcore.exceptions import exceptions

        try:
            resp = self._call(
                self._client("antiddos").list_weekly_reports_invoker(ListWeeklyReportsRequest())
            )
        except exceptions.SdkException as exc:
            incomplete.append(Incomplete("security", "huawei:antiddos", _msg(exc)))
            return [], None
        events: list[SecurityEvent] = []
        covered: list[tuple[datetime, datetime]] = []
        for week in resp.weekdata or []:
            start = _ms(week.period_start_date)
            if start is None:
                continue
            end = start + timedelta(days=7)
            lo, hi = max(start, month.start), min(end, month.end)
            if lo >= hi:
                continue
            covered.append((lo, hi))
            n = int(week.ddos_intercept_times or 0)
            if n < 1:
                continue
            detail = f"week {_local_day(start)} – {_local_day(end - timedelta(seconds=1))}"
            if week.ddos_blackhole_times:
                detail += f", {week.ddos_blackhole_times} black hole"
            events.append(
                SecurityEvent(kind="ddos", at=lo, target="Anti-DDoS", detail=detail, count=n)
            )
        return events, covered

    # -- Advanced Anti-DDoS (AAD)

    def _aad_events(self, month: Month, incomplete: list[Incomplete]) -> list[SecurityEvent]:
        """Attack events of every AAD instance (v1 `ListInstance`, then v2
        `ListDDoSAttackEvent` per instance for the month, offset/limit), with their own
        start times: AAD keeps them, unlike basic Anti-DDoS. AAD is a global service asked
        with the account (domain) credentials: without `domain_id` it is not asked."""
        from huaweicloudsdkaad.v1 import ListInstanceRequest
        from huaweicloudsdkaad.v2 import (
            ListDDoSAttackEventRequest,
            ListDDoSAttackEventRequestBody,
        )
        from huaweicloudsdkcore.exceptions import exceptions

        if not self.domain_id:
            return []
        try:
            resp = self._call(self._client("aad1").list_instance_invoker(ListInstanceRequest()))
        except exceptions.SdkException as exc:
            incomplete.append(Incomplete("security", "huawei:aad", _msg(exc)))
            return []
        client = self._client("aad2")
        start, end = int(month.start.timestamp() * 1000), int(month.end.timestamp() * 1000) - 1
        out: list[SecurityEvent] = []
        failed: list[str] = []
        for ins in resp.items or []:
            try:
                rows = self._paged(
                    lambda offset, ins=ins: client.list_d_do_s_attack_event_invoker(
                        ListDDoSAttackEventRequest(
                            instance_id=ins.instance_id,
                            body=ListDDoSAttackEventRequestBody(
                                start_time=str(start), end_time=str(end), offset=offset,
                                limit=PAGE,
                            ),
                        )
                    ),
                    "data",
                )  # fmt: skip
            except exceptions.SdkException as exc:
                failed.append(f"{ins.instance_name or ins.instance_id}: {_msg(exc)}")
                continue
            for e in rows:
                at = _ms(e.start_time)
                if at is None or not month.start <= at < month.end:
                    continue
                peak = f"{_dec(e.max_drop_kbps) / 1000:g} Mbit/s" if e.max_drop_kbps else ""
                out.append(
                    SecurityEvent(
                        kind="ddos",
                        at=at,
                        target=e.zone_ip or ins.instance_name or ins.instance_id,
                        detail=", ".join(x for x in (e.attack_types or "", peak) if x),
                        blocked=True,
                    )
                )
        if failed:
            incomplete.append(Incomplete("security", "huawei:aad", "; ".join(failed)))
        return out

    # -- WAF

    def _waf_enabled(self, incomplete: list[Incomplete]) -> bool | None:
        from huaweicloudsdkcore.exceptions import exceptions
        from huaweicloudsdkwaf.v1 import ListHostRequest, ListPremiumHostRequest

        client = self._client("waf")
        kinds: list[tuple[str, Any]] = [
            ("cloud", lambda page: client.list_host_invoker(
                ListHostRequest(page=page, pagesize=PAGE)
            )),
            ("dedicated", lambda page: client.list_premium_host_invoker(
                ListPremiumHostRequest(page=str(page), pagesize=str(PAGE))
            )),
        ]  # fmt: skip
        errors: list[str] = []
        for label, invoker in kinds:
            try:
                hosts = self._paged(invoker, "items", pages=True)
            except exceptions.SdkException as exc:
                errors.append(f"{label}: {_msg(exc)}")
                continue
            if any(h.protect_status == 1 for h in hosts):
                return True
        if errors:
            incomplete.append(Incomplete("security", "huawei:waf", "; ".join(errors)))
            return None
        return False

    def _waf_events(self, month: Month, incomplete: list[Incomplete]) -> list[SecurityEvent]:
        from huaweicloudsdkcore.exceptions import exceptions
        from huaweicloudsdkwaf.v1 import ListEventRequest

        client = self._client("waf")
        start, end = int(month.start.timestamp() * 1000), int(month.end.timestamp() * 1000)
        try:
            rows = self._paged(
                lambda page: client.list_event_invoker(
                    ListEventRequest(_from=start, to=end - 1, page=page, pagesize=PAGE)
                ),
                "items",
                pages=True,
            )
        except exceptions.SdkException as exc:
            incomplete.append(Incomplete("security", "huawei:waf:events", _msg(exc)))
            return []
        out = []
        for r in rows:
            at = _ms(r.time)
            if at is None or not month.start <= at < month.end:
                continue
            out.append(
                SecurityEvent(
                    kind="waf",
                    at=at,
                    target=r.host or "",
                    detail=" ".join(x for x in (r.attack, r.url) if x),
                    blocked=r.action == "block",
                )
            )
        return out

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


def _open_to_world(rule: Any) -> list[str]:
    """The port specs (grammar in ports.py) a VPC v3 security-group rule opens to the whole
    Internet: an enabled ingress allow rule from 0.0.0.0/0 or ::/0. No protocol = every
    protocol ("all"); tcp/udp without `multiport` = every port of it ("tcp"); `multiport`
    "22,80-90" gives one spec per part ("tcp/22", "tcp/80-90"); icmp and other protocols
    have no ports ("icmp"). An IP protocol number is named when known ("6" -> tcp)."""
    if (rule.direction or "").lower() != "ingress" or (rule.action or "").lower() != "allow":
        return []
    if rule.enabled is False or (rule.remote_ip_prefix or "") not in WORLD:
        return []
    proto = (rule.protocol or "").strip().lower()
    proto = IP_PROTOCOLS.get(proto, proto)
    if proto in ("", "all", "any", "-1"):
        return ["all"]
    ports = [p.strip() for p in (rule.multiport or "").split(",") if p.strip()]
    if proto not in ("tcp", "udp") or not ports:
        return [proto]
    out = []
    for p in ports:
        lo, _dash, hi = p.partition("-")
        out.append(f"{proto}/{lo}" if not hi or hi == lo else f"{proto}/{lo}-{hi}")
    return out


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


def _to_everyone(grantee: Any) -> bool:
    return grantee is not None and (grantee.canned in EVERYONE or grantee.id in EVERYONE)


def _xml_flag(raw: Any, tag: str) -> bool:
    """A boolean element of an OBS XML answer ("true"/"false", any case)."""
    from defusedxml.ElementTree import fromstring

    root = fromstring(raw)
    for el in root.iter():
        if el.tag.rsplit("}", 1)[-1] == tag:
            return (el.text or "").strip().lower() == "true"
    raise ValueError(f"no {tag} in the answer")


def _obs_error(exc: Any) -> tuple[str, str]:
    """OBS answers errors in XML (<Error><Code/><Message/>); the SDK keeps the raw text."""
    from defusedxml.ElementTree import ParseError, fromstring

    text = getattr(exc, "error_msg", "") or ""
    if text.lstrip().startswith("<"):
        try:
            root = fromstring(text)
        except ParseError:
            return "", text
        return root.findtext("Code") or "", root.findtext("Message") or ""
    return "", text


def _obs_code(exc: Any) -> str:
    return _obs_error(exc)[0]


def _obs_msg(exc: Any) -> str:
    code, message = _obs_error(exc)
    if code:
        return f"{code}: {message}" if message else code
    return _msg(exc)


def _ms(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    return datetime.fromtimestamp(int(value) / 1000, UTC)


def _note(text: Any, **params: Any) -> str:
    """A note for the reader, translated when the report is rendered in its language."""
    from django.utils.text import format_lazy

    return cast(str, format_lazy(text, **params))


def _local_day(at: datetime) -> str:
    return at.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d")


def _uncovered(
    month: Month, covered: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """The parts of the month no interval in `covered` reaches, in order."""
    out: list[tuple[datetime, datetime]] = []
    at = month.start
    for lo, hi in sorted(covered):
        if lo > at:
            out.append((at, lo))
        at = max(at, hi)
    if at < month.end:
        out.append((at, month.end))
    return out


def _span_text(lo: datetime, hi: datetime) -> str:
    """[lo, hi) in Beijing time: whole days as dates ("2026-10-26 – 2026-10-31"), other
    bounds to the minute."""
    a, b = lo.astimezone(BUSINESS_TZ), hi.astimezone(BUSINESS_TZ)
    if a.time() == b.time() == datetime.min.time():
        last = (b - timedelta(days=1)).strftime("%Y-%m-%d")
        first = a.strftime("%Y-%m-%d")
        return first if first == last else f"{first} – {last}"
    return f"{a:%Y-%m-%d %H:%M} – {b:%Y-%m-%d %H:%M}"
