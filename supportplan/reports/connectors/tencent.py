"""Tencent Cloud connector, on the official SDK modules (tencentcloud-sdk-python-*).

- CVM `DescribeInstances` (2017-03-12), paged with Offset/Limit (Limit ≤ 100) until
  TotalCount is reached, per region;
- Cloud Monitor `GetMonitorData` (2018-07-24), namespace QCE/CVM, dimension InstanceId,
  at most 10 instances per request, period 3600 s over the month;
- Billing `DescribeBillSummaryByProduct` (2018-07-09), one request per month
  (BeginTime = EndTime = "YYYY-MM", the API refuses ranges across months).

Security section:
- CAM `ListUsers` (2019-01-16, every sub-user, no paging) -> IAM users; for each sub-user
  who may log in to the console, `DescribeSafeAuthFlagColl` (SubUin): no second factor in
  its login protection (LoginFlag phone/token/soft token/WeChat/mail/U2F/passkey/custom)
  counts as a user without MFA;
- VPC `DescribeSecurityGroups` (2017-03-12, Offset/Limit as strings, ≤ 100, per region:
  `SecurityGroup.region`) and `DescribeSecurityGroupPolicies` per group: ACCEPT ingress
  rules from 0.0.0.0/0 or ::/0 -> `SecurityGroup.open_to_world` ("tcp/22", "tcp/8000-9000", "all", "icmp");
- CloudAudit `DescribeAuditTracks` (2019-03-19, PageNumber/PageSize) and the older
  `ListAudits`: audit logging is on when any tracker's status is 1;
- COS (cos-python-sdk-v5, XML API): GET Service (`list_buckets`, Marker/IsTruncated),
  then per bucket `get_bucket_acl` (AllUsers READ/WRITE/FULL_CONTROL) and
  `get_bucket_policy` (an Allow statement for "*" / qcs::cam::anyone:anyone without an
  IP/VPC condition; 404 = no policy) -> public buckets;
- Anti-DDoS `DescribeOverviewDDoSEventList` (2020-03-09, Offset/Limit, Beijing-time
  window of the month) -> `SecurityEvent(kind="ddos")`;
- WAF `DescribeDomains` (2018-01-25, Offset/Limit): WAF is on when any domain's Status is
  1; `GetAttackTotalCount` (Domain "all", one call per Beijing day) -> the exact number of
  attacks per day; `SearchAttackLog` (Domain "all", Page from 0, 100 per page, at most
  `max_waf_events`) only splits each day into blocked and observed (blocked unless the
  entry's action is an observe/log action) and names domains and attack types ->
  `SecurityEvent(kind="waf", count=N)` per day and outcome; attacks the listing did not
  reach count as blocked, with a note saying how many.
A security API that fails leaves its figure unknown (None / empty) and adds
`Incomplete("security", "tencent:<service>", "<code>: <message>")`.

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

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, cast

import numpy as np
from django.utils.translation import gettext_lazy as _

from ..data import (
    BUSINESS_TZ,
    CloudData,
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
AUDIT_PAGE = 20
WAF_PAGE = 100  # SearchAttackLog: at most 100 entries per page
COS_RETRY = {429, 500, 502, 503, 504}  # 503 SlowDown is COS's throttling answer


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
        security = self._security(month, incomplete)
        return CloudData(
            resources=tuple(resources),
            metrics=tuple(metrics),
            security=security,
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

    # -- Security: CAM, VPC, CloudAudit, COS, Anti-DDoS, WAF

    def _security(self, month: Month, incomplete: list[Incomplete]) -> SecurityData:
        users, without_mfa = self._cam(incomplete)
        groups: list[SecurityGroup] = []
        for region in self.regions:
            groups += self._security_groups(region, incomplete)
        waf_enabled, waf_events = self._waf(month, incomplete)
        return SecurityData(
            iam_users=users,
            iam_users_without_mfa=without_mfa,
            security_groups=tuple(groups),
            audit_logging_enabled=self._audit(incomplete),
            public_buckets=tuple(self._public_buckets(incomplete)),
            waf_enabled=waf_enabled,
            events=tuple(self._ddos_events(month, incomplete) + waf_events),
        )

    def _cam(self, incomplete: list[Incomplete]) -> tuple[int | None, int | None]:
        from tencentcloud.cam.v20190116 import cam_client, models
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )

        client = cam_client.CamClient(self._cred(), "", self._profile())
        try:
            users = client.ListUsers(models.ListUsersRequest()).Data or []  # no paging: all
        except TencentCloudSDKException as exc:
            incomplete.append(Incomplete("security", "tencent:cam", _msg(exc)))
            return None, None
        without = 0
        for user in users:
            if user.ConsoleLogin != 1:
                continue  # API-only key: no console login to protect
            req = models.DescribeSafeAuthFlagCollRequest()
            req.SubUin = user.Uin
            try:
                flags = client.DescribeSafeAuthFlagColl(req)
            except TencentCloudSDKException as exc:
                incomplete.append(Incomplete("security", "tencent:cam", _msg(exc)))
                return len(users), None
            if not _second_factor(flags.LoginFlag):
                without += 1
        return len(users), without

    def _security_groups(self, region: str, incomplete: list[Incomplete]) -> list[SecurityGroup]:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )
        from tencentcloud.vpc.v20170312 import models, vpc_client

        client = vpc_client.VpcClient(self._cred(), region, self._profile())
        out: list[SecurityGroup] = []
        try:
            groups: list[Any] = []
            while True:
                req = models.DescribeSecurityGroupsRequest()
                req.Offset = str(len(groups))  # the API takes both as strings
                req.Limit = str(PAGE)
                resp = client.DescribeSecurityGroups(req)
                groups += resp.SecurityGroupSet or []
                if not resp.SecurityGroupSet or len(groups) >= (resp.TotalCount or 0):
                    break
            for g in groups:
                preq = models.DescribeSecurityGroupPoliciesRequest()
                preq.SecurityGroupId = g.SecurityGroupId
                policies = client.DescribeSecurityGroupPolicies(preq).SecurityGroupPolicySet
                ingress = policies.Ingress if policies else None
                out.append(
                    SecurityGroup(
                        g.SecurityGroupId,
                        g.SecurityGroupName or g.SecurityGroupId,
                        _open_to_world(ingress or []),
                        region=region,  # the region the group was listed in
                    )
                )
        except TencentCloudSDKException as exc:
            incomplete.append(Incomplete("security", f"tencent:vpc:{region}", _msg(exc)))
        return out

    def _audit(self, incomplete: list[Incomplete]) -> bool | None:
        """On when any tracker delivers logs: a track (DescribeAuditTracks, paged) or a
        tracker set up through the older API (ListAudits) with its status on."""
        from tencentcloud.cloudaudit.v20190319 import cloudaudit_client, models
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )

        client = cloudaudit_client.CloudauditClient(self._cred(), self.regions[0], self._profile())
        failed = False
        try:
            seen, page = 0, 1
            while True:
                req = models.DescribeAuditTracksRequest()
                req.PageNumber = page
                req.PageSize = AUDIT_PAGE
                resp = client.DescribeAuditTracks(req)
                tracks = resp.Tracks or []
                if any(t.Status == 1 for t in tracks):
                    return True
                seen += len(tracks)
                if not tracks or seen >= (resp.TotalCount or 0):
                    break
                page += 1
        except TencentCloudSDKException as exc:
            incomplete.append(Incomplete("security", "tencent:cloudaudit", _msg(exc)))
            failed = True
        try:
            audits = client.ListAudits(models.ListAuditsRequest()).AuditSummarys or []
        except TencentCloudSDKException as exc:
            incomplete.append(Incomplete("security", "tencent:cloudaudit", _msg(exc)))
            return None
        if any(a.AuditStatus == 1 for a in audits):
            return True
        return None if failed else False

    def _ddos_events(self, month: Month, incomplete: list[Incomplete]) -> list[SecurityEvent]:
        from tencentcloud.antiddos.v20200309 import antiddos_client, models
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )

        client = antiddos_client.AntiddosClient(self._cred(), "", self._profile())
        out: list[SecurityEvent] = []
        try:
            while True:
                req = models.DescribeOverviewDDoSEventListRequest()
                req.StartTime, req.EndTime = _window(month)
                req.Offset = len(out)
                req.Limit = PAGE
                resp = client.DescribeOverviewDDoSEventList(req)
                for e in resp.EventList or []:
                    detail = ", ".join(
                        x for x in (e.AttackType or "", f"{e.Mbps} Mbps" if e.Mbps else "") if x
                    )
                    out.append(
                        SecurityEvent(
                            kind="ddos",
                            at=_instant(e.StartTime) or month.start,
                            target=e.Vip or e.InstanceId or "",
                            detail=detail,
                        )
                    )
                if not resp.EventList or len(out) >= (resp.Total or 0):
                    return out
        except TencentCloudSDKException as exc:
            incomplete.append(Incomplete("security", "tencent:antiddos", _msg(exc)))
            return []

    def _waf(
        self, month: Month, incomplete: list[Incomplete]
    ) -> tuple[bool | None, list[SecurityEvent]]:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )
        from tencentcloud.waf.v20180125 import models, waf_client

        client = waf_client.WafClient(self._cred(), "", self._profile())
        enabled: bool | None = False
        try:
            seen = 0
            while True:
                req = models.DescribeDomainsRequest()
                req.Offset = seen
                req.Limit = PAGE
                resp = client.DescribeDomains(req)
                domains = resp.Domains or []
                if any(d.Status == 1 for d in domains):
                    enabled = True
                    break
                seen += len(domains)
                if not domains or seen >= (resp.Total or 0):
                    break
        except TencentCloudSDKException as exc:
            incomplete.append(Incomplete("security", "tencent:waf", _msg(exc)))
            enabled = None
        totals = self._waf_day_totals(client, month, incomplete)
        listed, capped = self._waf_log(client, month, incomplete)
        if totals is None:  # no exact counts: the listed entries, one attack each
            if capped:
                incomplete.append(
                    Incomplete(
                        "security",
                        "tencent:waf",
                        f"more than {self.max_waf_events} WAF attack log entries in "
                        f"{month.label}; the report counts the first {len(listed)}",
                    )
                )
            return enabled, listed
        events, unlisted = _waf_day_events(totals, listed)
        if unlisted:
            incomplete.append(
                Incomplete(
                    "security",
                    "tencent:waf",
                    _note(
                        _(
                            "{unlisted} of the {total} WAF attacks in {month} are not in the "
                            "attack log listing, so whether they were blocked or only observed "
                            "is unknown; they are counted as blocked."
                        ),
                        unlisted=unlisted,
                        total=sum(totals.values()),
                        month=month.label,
                    ),
                )
            )
        return enabled, events

    def _waf_day_totals(
        self, client: Any, month: Month, incomplete: list[Incomplete]
    ) -> dict[date, int] | None:
        """Attacks per Beijing day of the month (GetAttackTotalCount, every domain): exact
        counts however many there are, unlike the capped log listing. None when the API
        fails (the note names the error)."""
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )
        from tencentcloud.waf.v20180125 import models

        out: dict[date, int] = {}
        for day in _days(month):
            req = models.GetAttackTotalCountRequest()
            req.StartTime, req.EndTime = _day_window(day)
            req.Domain = "all"
            req.QueryString = ""
            try:
                out[day] = int(client.GetAttackTotalCount(req).TotalCount or 0)
            except TencentCloudSDKException as exc:
                incomplete.append(Incomplete("security", "tencent:waf", _msg(exc)))
                return None
        return out

    def _waf_log(
        self, client: Any, month: Month, incomplete: list[Incomplete]
    ) -> tuple[list[SecurityEvent], bool]:
        """The month's attack log entries (SearchAttackLog, Page from 0), at most
        `max_waf_events`: what was attacked, how, and whether it was blocked. Returns the
        entries and whether the listing stopped at the cap."""
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )
        from tencentcloud.waf.v20180125 import models

        events: list[SecurityEvent] = []
        try:
            page = 0
            while True:
                sreq = models.SearchAttackLogRequest()
                sreq.Domain = "all"
                sreq.StartTime, sreq.EndTime = _window(month)
                sreq.Context = ""  # paging is by Page now; the API wants it empty
                sreq.QueryString = ""
                sreq.Count = WAF_PAGE
                sreq.Sort = "asc"
                sreq.Page = page
                sresp = client.SearchAttackLog(sreq)
                rows = sresp.Data or []
                events += [_waf_event(r, month) for r in rows]
                if len(rows) < WAF_PAGE or sresp.ListOver:
                    return events, False
                if len(events) >= self.max_waf_events:
                    return events, True
                page += 1
        except TencentCloudSDKException as exc:
            incomplete.append(Incomplete("security", "tencent:waf", _msg(exc)))
            return [], False

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

    def _public_buckets(self, incomplete: list[Incomplete]) -> list[str]:
        from qcloud_cos.cos_exception import CosClientError, CosServiceError

        service = self._cos(self.regions[0])
        buckets: list[dict[str, Any]] = []
        marker = ""
        try:
            while True:
                page = self._cos_call(lambda m=marker: service.list_buckets(Marker=m))
                buckets += (page.get("Buckets") or {}).get("Bucket") or []
                marker = page.get("NextMarker") or ""
                if str(page.get("IsTruncated", "false")).lower() != "true" or not marker:
                    break
        except (CosServiceError, CosClientError) as exc:
            incomplete.append(Incomplete("security", "tencent:cos", _cos_msg(exc)))
            return []
        out: list[str] = []
        clients: dict[str, Any] = {}
        for b in buckets:
            name, region = b["Name"], b.get("Location") or self.regions[0]
            client = clients.setdefault(region, self._cos(region))
            try:
                acl = self._cos_call(lambda c=client, n=name: c.get_bucket_acl(Bucket=n))
                if _acl_public(acl) or self._policy_public(client, name):
                    out.append(name)
            except (CosServiceError, CosClientError) as exc:
                incomplete.append(Incomplete("security", "tencent:cos", f"{name}: {_cos_msg(exc)}"))
        return out

    def _policy_public(self, client: Any, bucket: str) -> bool:
        from qcloud_cos.cos_exception import CosServiceError

        try:
            resp = self._cos_call(lambda: client.get_bucket_policy(Bucket=bucket))
        except CosServiceError as exc:
            if exc.get_status_code() == 404:  # NoSuchBucketPolicy: no policy at all
                return False
            raise
        return _policy_allows_anyone(json.loads(resp["Policy"]))


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


# Login protection (登录保护) with any second factor counts as MFA.
SECOND_FACTORS = ("Phone", "Token", "Stoken", "Wechat", "Custom", "Mail", "U2FToken", "Passkey")
WORLD = ("0.0.0.0/0", "::/0")
ALL_PORTS = ("", "all", "0-65535", "1-65535")
ANYONE = ("*", "qcs::cam::anyone:anyone")
OBSERVED = ("observe", "observed", "log", "monitor", "pass", "观察", "放行")  # logged, not blocked


def _second_factor(flag: Any) -> bool:
    return bool(flag) and any(getattr(flag, f, 0) == 1 for f in SECOND_FACTORS)


def _open_to_world(ingress: list[Any]) -> tuple[str, ...]:
    """Ports that ACCEPT ingress rules open to 0.0.0.0/0 or ::/0, shaped like the Huawei
    connector's: "tcp/22", "udp/53", "tcp/8000-9000", "all"; ICMP/GRE by protocol name; a
    rule on a port template (not resolved) as "template/<id>"."""
    out: set[str] = set()
    for rule in ingress:
        if (rule.Action or "").upper() != "ACCEPT":
            continue
        if (rule.CidrBlock or "") not in WORLD and (rule.Ipv6CidrBlock or "") not in WORLD:
            continue
        tpl = rule.ServiceTemplate
        if tpl and (tpl.ServiceId or tpl.ServiceGroupId):
            out.add(f"template/{tpl.ServiceId or tpl.ServiceGroupId}")
            continue
        proto = (rule.Protocol or "all").lower()
        port = (rule.Port or "").strip().lower()
        if proto in ("icmp", "icmpv6", "gre"):
            out.add(proto)
        elif proto == "all" or port in ALL_PORTS:
            out.add("all")
        else:
            out.update(f"{proto}/{p.strip()}" for p in port.split(",") if p.strip())
    return tuple(sorted(out))


def _acl_public(acl: dict[str, Any]) -> bool:
    grants = (acl.get("AccessControlList") or {}).get("Grant") or []
    return any(
        str((g.get("Grantee") or {}).get("URI", "")).endswith("/AllUsers")
        and g.get("Permission") in ("READ", "WRITE", "FULL_CONTROL")
        for g in grants
    )


def _policy_allows_anyone(policy: Any) -> bool:
    """An Allow statement for anyone ("*" or qcs::cam::anyone:anyone) makes the bucket
    public, unless a condition pins the caller's address or VPC. COS policies are written
    with lower-case keys in Tencent's docs and capitalised ones by S3 tools: accept both."""

    def low(d: Any) -> dict[str, Any]:
        return {str(k).lower(): v for k, v in d.items()} if isinstance(d, dict) else {}

    for st in low(policy).get("statement") or []:
        st = low(st)
        if str(st.get("effect", "")).lower() != "allow":
            continue
        principal = st.get("principal")
        names: list[Any] = []
        if isinstance(principal, dict):
            for v in principal.values():
                names += v if isinstance(v, list) else [v]
        else:
            names = principal if isinstance(principal, list) else [principal]
        if not any(n in ANYONE for n in names):
            continue
        condition = json.dumps(st.get("condition") or {}).lower()
        if "ip" in condition or "vpc" in condition:
            continue
        return True
    return False


def _window(month: Month) -> tuple[str, str]:
    """The month as the security APIs take it: Beijing time, both ends inclusive."""
    fmt = "%Y-%m-%d %H:%M:%S"
    last = month.end - timedelta(seconds=1)
    return month.start.astimezone(BUSINESS_TZ).strftime(fmt), last.astimezone(BUSINESS_TZ).strftime(
        fmt
    )


def _instant(value: Any) -> datetime | None:
    """Epoch seconds or milliseconds, or an ISO-like text (no zone = Beijing time)."""
    text = str(value or "").strip()
    if not text:
        return None
    if text.isdigit():
        n = int(text)
        return datetime.fromtimestamp(n / 1000 if n > 10**11 else n, UTC)
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=BUSINESS_TZ)
    return at.astimezone(UTC)


def _waf_event(row: Any, month: Month) -> SecurityEvent:
    try:
        content = json.loads(row.Content or "{}")
    except ValueError:
        content = {}
    if not isinstance(content, dict):
        content = {}
    at = _instant(row.TimeStamp) or _instant(content.get("timestamp")) or month.start
    action = str(content.get("action", "")).strip().lower()
    return SecurityEvent(
        kind="waf",
        at=at,
        target=str(content.get("domain") or content.get("host") or ""),
        detail=str(content.get("attack_type") or content.get("rule_name") or ""),
        blocked=action not in OBSERVED,
    )


def _cos_msg(exc: Any) -> str:
    if not hasattr(exc, "get_error_code"):
        return str(exc)  # CosClientError: network
    if isinstance(exc.get_digest_msg(), dict):
        return f"{exc.get_error_code()}: {exc.get_error_msg()}"
    return f"HTTP {exc.get_status_code()}"  # no COS error document (e.g. a proxy's page)


def _note(text: Any, **params: Any) -> str:
    """A note for the reader, translated when the report is rendered in its language."""
    from django.utils.text import format_lazy

    return cast(str, format_lazy(text, **params))


def _days(month: Month) -> list[date]:
    first = month.start.date()
    return [first + timedelta(days=i) for i in range((month.end.date() - first).days)]


def _day_window(day: date) -> tuple[str, str]:
    """One Beijing day as GetAttackTotalCount takes it: ISO 8601, both ends inclusive."""
    start = datetime(day.year, day.month, day.day, tzinfo=BUSINESS_TZ)
    return start.isoformat(), (start + timedelta(days=1, seconds=-1)).isoformat()


def _waf_day_events(
    totals: dict[date, int], listed: list[SecurityEvent]
) -> tuple[list[SecurityEvent], int]:
    """One event per day and outcome whose count is the day's exact total: the listed
    entries split it into observed (logged only) and blocked and name the domains and
    attack types; attacks the listing did not reach count as blocked. Returns the events
    and how many attacks were not listed."""
    by_day: dict[date, list[SecurityEvent]] = {}
    for e in listed:
        by_day.setdefault(e.at.astimezone(BUSINESS_TZ).date(), []).append(e)
    out: list[SecurityEvent] = []
    unlisted = 0
    for day, total in sorted(totals.items()):
        if total <= 0:
            continue
        rows = by_day.get(day, [])
        observed = [e for e in rows if not e.blocked]
        n_observed = min(len(observed), total)
        unlisted += max(0, total - len(rows))
        at = datetime(day.year, day.month, day.day, tzinfo=BUSINESS_TZ).astimezone(UTC)
        for blocked, part, n in (
            (True, [e for e in rows if e.blocked], total - n_observed),
            (False, observed, n_observed),
        ):
            if n > 0:
                out.append(
                    SecurityEvent(
                        kind="waf",
                        at=at,
                        target=", ".join(sorted({e.target for e in part if e.target})),
                        detail=_most_first(e.detail for e in part),
                        blocked=blocked,
                        count=n,
                    )
                )
    return out, unlisted


def _most_first(values: Any) -> str:
    counts = Counter(v for v in values if v)
    return ", ".join(v for v, _n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
