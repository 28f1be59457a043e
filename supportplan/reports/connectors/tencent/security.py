"""Tencent Cloud security posture:

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
  IP/VPC condition; 404 = no policy) -> public buckets.

Attacks (Anti-DDoS, WAF) are in attacks.py. A security API that fails leaves its figure
unknown (None / empty) and adds `Incomplete("security", "tencent:<service>", "<code>: <message>")`.
"""

from __future__ import annotations

import json
from typing import Any

from ...data import Incomplete, SecurityGroup
from .client import PAGE, TencentClient, _cos_msg, _msg

AUDIT_PAGE = 20
# Login protection (登录保护) with any second factor counts as MFA.
SECOND_FACTORS = ("Phone", "Token", "Stoken", "Wechat", "Custom", "Mail", "U2FToken", "Passkey")
WORLD = ("0.0.0.0/0", "::/0")
ALL_PORTS = ("", "all", "0-65535", "1-65535")
ANYONE = ("*", "qcs::cam::anyone:anyone")


class TencentSecurity(TencentClient):
    """CAM, VPC security groups, CloudAudit and COS; mixed into `TencentConnector`."""

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
