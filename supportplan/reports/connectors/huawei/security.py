"""Huawei Cloud account security: VPC security groups, IAM users and MFA, CTS audit
logging, public OBS buckets.

- the security groups of the ECS servers: their ids come with the server details
  (`security_groups`); VPC v3 `ListSecurityGroups` (GET /v3/{project_id}/vpc/security-groups,
  filtered by `id`, marker paging) gives their names and `ListSecurityGroupRules` (GET
  /v3/{project_id}/vpc/security-group-rules?security_group_id=..., marker paging) their
  rules, asked once per group however many servers share it. Enabled ingress *allow* rules
  from 0.0.0.0/0 or ::/0 are open to the world (a finding). (ECS `NovaListServerSecurityGroups`,
  one call per server, is deprecated in the SDK and not used.) A failure notes `huawei:vpc`;
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
  `<bucket>.<obs host>`, so OBS needs a host name endpoint (`obs_endpoint`), never an IP.
"""

from __future__ import annotations

from typing import Any

from ...data import Incomplete, SecurityGroup
from .client import PAGE, HuaweiBase, _msg

EVERYONE = {"Everyone", "http://acs.amazonaws.com/groups/global/AllUsers"}
WORLD = ("0.0.0.0/0", "::/0")
SG_IDS_PER_CALL = 50  # group ids per ListSecurityGroups request (query string length)
IP_PROTOCOLS = {"1": "icmp", "6": "tcp", "17": "udp", "47": "gre", "58": "icmpv6"}


class SecurityMixin(HuaweiBase):
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
