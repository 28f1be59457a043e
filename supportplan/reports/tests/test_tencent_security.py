"""The Tencent connector's security section, through the official SDK modules (CAM, VPC,
CloudAudit, Anti-DDoS, WAF; COS through cos-python-sdk-v5) against a local server that
answers like the real APIs: TC3-signed JSON actions (the shared fake in fakes.py,
extended here) and COS's XML API with its own q-sign-algorithm=sha1 signature."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit
from xml.sax.saxutils import escape

import pytest

from supportplan.reports.builder import build_report
from supportplan.reports.connectors.tencent import TencentConnector, attacks, resources, security
from supportplan.reports.data import (
    BUSINESS_TZ,
    CloudData,
    Incomplete,
    Month,
    PlatformData,
    ReportData,
)
from supportplan.reports.render import render_html

from .fakes import FakeState, TencentHandler, serve

OCT = Month(2026, 10)
ALL_USERS = "http://cam.qcloud.com/groups/global/AllUsers"
BUCKET_HOST = re.compile(
    r"^(?P<bucket>[a-z0-9-]+-\d+)\.cos\.(?P<region>[a-z0-9-]+)\.myqcloud\.com$"
)


@dataclass
class SecState(FakeState):
    cam_users: list[dict[str, Any]] = field(default_factory=list)
    login_flags: dict[int, dict[str, int]] = field(default_factory=dict)  # SubUin -> LoginFlag
    groups: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # region -> groups
    ingress: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # group id -> rules
    tracks: list[dict[str, Any]] = field(default_factory=list)
    audits: list[dict[str, Any]] = field(default_factory=list)
    ddos: list[dict[str, Any]] = field(default_factory=list)
    waf_domains: list[dict[str, Any]] = field(default_factory=list)
    waf_logs: list[dict[str, Any]] = field(default_factory=list)
    waf_unlisted: list[dict[str, Any]] = field(default_factory=list)  # counted, not listed
    buckets: list[dict[str, str]] = field(default_factory=list)  # Name, Location
    acl: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # bucket -> grants
    policy: dict[str, dict[str, Any]] = field(default_factory=dict)
    cos_page: int = 2000  # GET Service answers at most this many buckets per page
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    cos_requests: list[tuple[str, str, str]] = field(default_factory=list)  # host, path, query


def _limit(p: dict[str, Any], key: str, most: int) -> int:
    n = int(p.get(key, 20))
    assert 1 <= n <= most, f"{key}={n} is outside 1..{most}"
    return n


class SecHandler(TencentHandler):
    state: SecState  # type: ignore[assignment]

    # -- the JSON actions (dispatched on X-TC-Action by TencentHandler.do_POST)

    def _log(self, action: str, p: dict[str, Any]) -> None:
        self.state.requests.append((action, {**p, "_region": self.headers.get("X-TC-Region")}))

    def _ListUsers(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"Data": self.state.cam_users}

    def _DescribeSafeAuthFlagColl(self, p: dict[str, Any]) -> dict[str, Any]:
        self._log("DescribeSafeAuthFlagColl", p)
        none = dict.fromkeys(
            ("Phone", "Token", "Stoken", "Wechat", "Custom", "Mail", "U2FToken", "Passkey"), 0
        )
        flag = {**none, **self.state.login_flags.get(int(p["SubUin"]), {})}
        return {
            "LoginFlag": flag,
            "ActionFlag": none,
            "OffsiteFlag": {"VerifyFlag": 0, "NotifyPhone": 0, "NotifyEmail": 0,
                            "NotifyWechat": 0, "Tips": 0},
            "PromptTrust": 0,
        }  # fmt: skip

    def _DescribeSecurityGroups(self, p: dict[str, Any]) -> dict[str, Any]:
        self._log("DescribeSecurityGroups", p)
        limit = _limit(p, "Limit", 100)
        offset = int(p.get("Offset", 0))
        rows = self.state.groups.get(self.headers.get("X-TC-Region", ""), [])
        return {"TotalCount": len(rows), "SecurityGroupSet": rows[offset : offset + limit]}

    def _DescribeSecurityGroupPolicies(self, p: dict[str, Any]) -> dict[str, Any]:
        sg = p["SecurityGroupId"]
        rules = [{"PolicyIndex": i, "SecurityGroupId": sg, "Ipv6CidrBlock": "", "CidrBlock": "",
                  "Port": "", "Action": "ACCEPT", **r}
                 for i, r in enumerate(self.state.ingress.get(sg, []))]  # fmt: skip
        return {"SecurityGroupPolicySet": {"Version": "3", "Ingress": rules, "Egress": []}}

    def _DescribeAuditTracks(self, p: dict[str, Any]) -> dict[str, Any]:
        self._log("DescribeAuditTracks", p)
        size = _limit(p, "PageSize", 50)
        start = (int(p.get("PageNumber", 1)) - 1) * size
        rows = self.state.tracks
        return {"TotalCount": len(rows), "Tracks": rows[start : start + size]}

    def _ListAudits(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"AuditSummarys": self.state.audits}

    def _DescribeOverviewDDoSEventList(self, p: dict[str, Any]) -> dict[str, Any]:
        self._log("DescribeOverviewDDoSEventList", p)
        limit = _limit(p, "Limit", 100)
        offset = int(p.get("Offset", 0))
        rows = [e for e in self.state.ddos if p["StartTime"] <= e["StartTime"] <= p["EndTime"]]
        return {"Total": len(rows), "EventList": rows[offset : offset + limit]}

    def _DescribeDomains(self, p: dict[str, Any]) -> dict[str, Any]:
        self._log("DescribeDomains", p)
        limit = _limit(p, "Limit", 100)
        offset = int(p.get("Offset", 0))
        rows = self.state.waf_domains
        return {"Total": len(rows), "Domains": rows[offset : offset + limit]}

    def _attack_log(self) -> list[dict[str, Any]]:
        """The attack log as the service keeps it: an entry with "n" stands for n lines."""
        return [r for r in self.state.waf_logs for _ in range(r.get("n", 1))]

    def _SearchAttackLog(self, p: dict[str, Any]) -> dict[str, Any]:
        self._log("SearchAttackLog", p)
        count = _limit(p, "Count", 100)
        assert p.get("Context") == "", "paging is by Page; Context must be empty"
        rows = [r for r in self._attack_log() if p["StartTime"] <= r["_local"] <= p["EndTime"]]
        page = rows[int(p.get("Page", 0)) * count :][:count]
        data = [{"Content": json.dumps(r["content"]), "FileName": "", "Source": "",
                 "TimeStamp": str(r["ms"])} for r in page]  # fmt: skip
        over = int(p.get("Page", 0)) * count + len(page) >= len(rows)
        return {"Count": len(data), "Context": "", "Data": data, "ListOver": over,
                "SqlFlag": True}  # fmt: skip

    def _GetAttackTotalCount(self, p: dict[str, Any]) -> dict[str, Any]:
        """Every line of the attack log in [StartTime, EndTime] (ISO 8601, both inclusive),
        however many: the count is not limited like the listing."""
        self._log("GetAttackTotalCount", p)
        assert p["Domain"] == "all" and p["QueryString"] == ""
        lo = datetime.fromisoformat(p["StartTime"]).timestamp() * 1000
        hi = datetime.fromisoformat(p["EndTime"]).timestamp() * 1000 + 999
        extra = self.state.waf_unlisted  # attacks the log search does not return
        total = sum(r.get("n", 1) for r in self.state.waf_logs + extra if lo <= r["ms"] <= hi)
        return {"TotalCount": total}

    # -- COS: GET Service / GET Bucket acl / GET Bucket policy, XML, sha1 signature

    def do_GET(self) -> None:
        st = self.state
        parts = urlsplit(self.path)
        host = self.headers.get("Host", "")
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        st.cos_requests.append((host, parts.path, parts.query))
        m = BUCKET_HOST.match(host)
        op = "acl" if "acl" in query else "policy" if "policy" in query else "service"
        key = f"cos:{op}" if m is None else f"cos:{op}:{m['bucket']}"
        st.calls[key] += 1
        if not self._cos_signed(parts.path, query):
            st.bad_signatures += 1
            return self._cos_error(403, "SignatureDoesNotMatch", "The Signature you specified is invalid.")  # fmt: skip
        if st.throttle[key] > 0:
            st.throttle[key] -= 1
            return self._cos_error(503, "SlowDown", "Please reduce your request rate.")
        if key in st.fail:
            return self._cos_error(*st.fail[key])
        if m is None:
            return self._list_buckets(query)
        bucket = m["bucket"]
        known = {b["Name"]: b["Location"] for b in st.buckets}
        if known.get(bucket) != m["region"]:
            return self._cos_error(404, "NoSuchBucket", "The specified bucket does not exist.")
        if op == "acl":
            return self._acl(bucket)
        if bucket not in st.policy:
            return self._cos_error(404, "NoSuchBucketPolicy", "The bucket policy does not exist")
        return self._send(200, st.policy[bucket])

    def _cos_signed(self, path: str, query: dict[str, str]) -> bool:
        """COS request signature, recomputed independently of the SDK."""
        auth = dict(kv.split("=", 1) for kv in self.headers.get("Authorization", "").split("&") if "=" in kv)  # fmt: skip
        if auth.get("q-ak") != self.state.secret_id or auth.get("q-sign-algorithm") != "sha1":
            return False

        def enc(v: str) -> str:
            return quote(v, safe="-_.~")

        lower = {k.lower(): v for k, v in self.headers.items()}
        lower["host"] = lower.get("host", "").split(":")[0]  # ports never reach the real COS
        headers = [h for h in auth.get("q-header-list", "").split(";") if h]
        params = [p for p in auth.get("q-url-param-list", "").split(";") if p]
        lq = {k.lower(): v for k, v in query.items()}
        fmt = "\n".join(
            [
                "get",
                path,
                "&".join(f"{p}={enc(lq.get(p, ''))}" for p in sorted(params)),
                "&".join(f"{h}={enc(lower.get(h, ''))}" for h in sorted(headers)),
                "",
            ]
        )
        key_time = auth.get("q-key-time", "")
        to_sign = f"sha1\n{key_time}\n{hashlib.sha1(fmt.encode()).hexdigest()}\n"
        sign_key = hmac.new(self.state.secret_key.encode(), key_time.encode(), hashlib.sha1)
        expected = hmac.new(sign_key.hexdigest().encode(), to_sign.encode(), hashlib.sha1)
        return hmac.compare_digest(expected.hexdigest(), auth.get("q-signature", ""))

    def _xml(self, status: int, body: str) -> None:
        data = ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-cos-request-id", "cos-req-1")
        self.end_headers()
        self.wfile.write(data)

    def _cos_error(self, status: int, code: str, message: str) -> None:
        self._xml(status, f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>"
                          f"<Resource>{escape(self.headers.get('Host', ''))}</Resource>"
                          "<RequestId>cos-req-1</RequestId><TraceId>trace</TraceId></Error>")  # fmt: skip

    def _list_buckets(self, q: dict[str, str]) -> None:
        rows = sorted(self.state.buckets, key=lambda b: b["Name"])
        rows = [b for b in rows if b["Name"] > q.get("marker", "")]
        size = min(int(q.get("max-keys", "2000")), self.state.cos_page)
        page, more = rows[:size], len(rows) > size
        items = "".join(
            f"<Bucket><Name>{b['Name']}</Name><Location>{b['Location']}</Location>"
            "<CreationDate>2025-05-24T11:49:50Z</CreationDate><BucketType>cos</BucketType></Bucket>"
            for b in page
        )
        marker = f"<NextMarker>{page[-1]['Name']}</NextMarker>" if more else ""
        self._xml(200, "<ListAllMyBucketsResult><Owner><ID>qcs::cam::uin/100012345:uin/100012345"
                       "</ID><DisplayName>100012345</DisplayName></Owner>"
                       f"<Buckets>{items}</Buckets><Marker>{q.get('marker', '')}</Marker>"
                       f"{marker}<IsTruncated>{'true' if more else 'false'}</IsTruncated>"
                       f"<MaxKeys>{size}</MaxKeys></ListAllMyBucketsResult>")  # fmt: skip

    def _acl(self, bucket: str) -> None:
        xsi = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        grants = [
            f'<Grant><Grantee {xsi} xsi:type="CanonicalUser"><ID>qcs::cam::uin/100012345:'
            "uin/100012345</ID><DisplayName>100012345</DisplayName></Grantee>"
            "<Permission>FULL_CONTROL</Permission></Grant>"
        ]
        for grantee, perm in self.state.acl.get(bucket, []):
            grants.append(f'<Grant><Grantee {xsi} xsi:type="Group"><URI>{grantee}</URI></Grantee>'
                          f"<Permission>{perm}</Permission></Grant>")  # fmt: skip
        self._xml(200, "<AccessControlPolicy><Owner><ID>qcs::cam::uin/100012345:uin/100012345"
                       "</ID><DisplayName>100012345</DisplayName></Owner>"
                       f"<AccessControlList>{''.join(grants)}</AccessControlList>"
                       "</AccessControlPolicy>")  # fmt: skip


# --------------------------------------------------------------------------- data


def _user(uin: int, name: str, console: int = 1) -> dict[str, Any]:
    return {"Uin": uin, "Name": name, "Uid": uin + 1, "Remark": "", "ConsoleLogin": console,
            "PhoneNum": "", "CountryCode": "86", "Email": "", "CreateTime": "2025-01-01 10:00:00",
            "NickName": name}  # fmt: skip


def _group(sg: str, name: str) -> dict[str, Any]:
    return {"SecurityGroupId": sg, "SecurityGroupName": name, "SecurityGroupDesc": "",
            "ProjectId": "0", "IsDefault": False, "CreatedTime": "2025-01-01 10:00:00",
            "TagSet": [], "UpdateTime": "2025-01-01 10:00:00"}  # fmt: skip


def _waf_log(local: str, domain: str, attack: str, action: str, n: int = 1) -> dict[str, Any]:
    at = datetime.fromisoformat(local + "+08:00")
    return {
        "n": n,  # identical log lines
        "_local": local,
        "ms": int(at.timestamp() * 1000),
        "content": {"domain": domain, "attack_type": attack, "action": action,
                    "attack_ip": "203.0.113.9", "uri": "/login"},
    }  # fmt: skip


def _state() -> SecState:
    st = SecState()
    # 5 sub-users: 2 console users without any second factor, 1 API-only user (no console
    # login, so no login MFA to ask for), 2 protected by a soft token / a security phone
    st.cam_users = [_user(101, "ops-a"), _user(102, "ops-b"), _user(103, "ci", console=0),
                    _user(104, "dev-a"), _user(105, "dev-b")]  # fmt: skip
    st.login_flags = {104: {"Stoken": 1}, 105: {"Phone": 1}}
    st.groups = {
        "ap-guangzhou": [_group("sg-web", "web"), _group("sg-db", "db")],
        "ap-shanghai": [_group("sg-ops", "ops")],
    }
    st.ingress = {
        "sg-web": [
            {"Protocol": "TCP", "Port": "80,443", "CidrBlock": "0.0.0.0/0"},
            {"Protocol": "TCP", "Port": "22", "CidrBlock": "10.0.0.0/8"},  # private only
            {"Protocol": "ICMP", "Port": "ALL", "CidrBlock": "0.0.0.0/0"},
        ],
        "sg-db": [
            {"Protocol": "TCP", "Port": "3306", "CidrBlock": "0.0.0.0/0", "Action": "DROP"},
            {"Protocol": "TCP", "Port": "3306", "CidrBlock": "172.16.0.0/12"},
        ],
        "sg-ops": [
            {"Protocol": "TCP", "Port": "22", "Ipv6CidrBlock": "::/0"},
            {"Protocol": "UDP", "Port": "8000-9000", "CidrBlock": "0.0.0.0/0"},
            {"Protocol": "ALL", "Port": "ALL", "CidrBlock": "0.0.0.0/0"},
        ],
    }
    st.tracks = [
        {"Name": "cos-only", "ActionType": "Write", "ResourceType": "cos", "Status": 0,
         "EventNames": ["*"], "Storage": {"StorageType": "cos", "StorageRegion": "ap-guangzhou",
                                          "StorageName": "audit-1250000000", "StoragePrefix": ""},
         "CreateTime": "2025-01-01 10:00:00", "TrackId": 1},
        {"Name": "all", "ActionType": "*", "ResourceType": "*", "Status": 1, "EventNames": ["*"],
         "Storage": {"StorageType": "cls", "StorageRegion": "ap-guangzhou", "StorageName": "x",
                     "StoragePrefix": ""}, "CreateTime": "2025-01-01 10:00:00", "TrackId": 2},
    ]  # fmt: skip
    st.ddos = [
        {"Id": "ev-1", "Vip": "1.2.3.4", "StartTime": "2026-10-03 10:00:00",
         "EndTime": "2026-10-03 10:20:00", "AttackType": "UDPFLOOD", "AttackStatus": 1,
         "Mbps": 1200, "Pps": 90000, "Business": "basic", "InstanceId": "", "InstanceName": ""},
        {"Id": "ev-2", "Vip": "1.2.3.5", "StartTime": "2026-10-31 23:30:00",
         "EndTime": "2026-11-01 00:10:00", "AttackType": "SYNFLOOD", "AttackStatus": 1,
         "Mbps": 800, "Pps": 70000, "Business": "bgpip", "InstanceId": "bgpip-1",
         "InstanceName": "shop"},
        {"Id": "ev-0", "Vip": "1.2.3.4", "StartTime": "2026-09-30 23:59:59",
         "EndTime": "2026-10-01 00:05:00", "AttackType": "UDPFLOOD", "AttackStatus": 1,
         "Mbps": 100, "Pps": 100, "Business": "basic", "InstanceId": "", "InstanceName": ""},
    ]  # fmt: skip
    st.waf_domains = [
        {"Domain": "old.example.com", "DomainId": "d-1", "InstanceId": "waf-1", "Status": 0,
         "Edition": "sparta-waf", "Mode": 1},
        {"Domain": "shop.example.com", "DomainId": "d-2", "InstanceId": "waf-1", "Status": 1,
         "Edition": "sparta-waf", "Mode": 1},
    ]  # fmt: skip
    st.waf_logs = [
        _waf_log("2026-10-03 11:00:00", "shop.example.com", "xss", "block"),
        _waf_log("2026-10-04 09:00:00", "shop.example.com", "sqli", "block"),
        _waf_log("2026-10-04 09:05:00", "shop.example.com", "scan", "observe"),
        _waf_log("2026-11-01 00:00:00", "shop.example.com", "xss", "block"),  # November
    ]
    st.buckets = [
        {"Name": "assets-1250000000", "Location": "ap-guangzhou"},
        {"Name": "backup-1250000000", "Location": "ap-shanghai"},
        {"Name": "site-1250000000", "Location": "ap-shanghai"},
        {"Name": "logs-1250000000", "Location": "ap-guangzhou"},
    ]
    st.acl = {"assets-1250000000": [(ALL_USERS, "READ")]}  # public-read through the ACL
    st.policy = {
        # public through the policy: anyone may GetObject (lower-case keys, as COS writes)
        "site-1250000000": {"version": "2.0", "statement": [
            {"principal": {"qcs": ["qcs::cam::anyone:anyone"]}, "effect": "allow",
             "action": ["name/cos:GetObject"],
             "resource": ["qcs::cos:ap-shanghai:uid/1250000000:site-1250000000/*"]}]},
        # anyone, but only from the office network: not public
        "logs-1250000000": {"Version": "2.0", "Statement": [
            {"Principal": {"qcs": ["*"]}, "Effect": "Allow", "Action": ["name/cos:GetObject"],
             "Resource": ["*"], "Condition": {"ip_equal": {"qcs:ip": ["203.0.113.0/24"]}}}]},
        # a named account only: not public
        "backup-1250000000": {"Statement": [
            {"Principal": {"qcs": ["qcs::cam::uin/100099:uin/100099"]}, "Effect": "Allow",
             "Action": ["name/cos:GetObject"], "Resource": ["*"]}]},
    }  # fmt: skip
    return st


def _tencent(endpoint: str, **kw: Any) -> TencentConnector:
    return TencentConnector(
        secret_id="AKIDtest",
        secret_key="tencent-secret",
        regions=["ap-guangzhou", "ap-shanghai"],
        endpoint=endpoint,
        protocol="http",
        backoff_base=0.01,
        account="100012345",
        **kw,
    )


def _collect(st: SecState, **kw: Any) -> CloudData:
    with serve(SecHandler, st) as ep:
        return _tencent(ep, **kw).collect(OCT)


@pytest.fixture(autouse=True)
def _english():
    """Notes are translated when read; these tests read them in English (the report
    tests render both languages explicitly)."""
    from django.utils import translation

    with translation.override("en"):
        yield


def _security_notes(data: CloudData) -> list[Incomplete]:
    return [i for i in data.incomplete if i.section == "security"]


# --------------------------------------------------------------------------- tests


def test_every_security_figure_comes_from_its_api():
    st = _state()
    data = _collect(st)
    sec = data.security
    assert st.bad_signatures == 0
    assert _security_notes(data) == []
    assert (sec.iam_users, sec.iam_users_without_mfa) == (5, 2)
    # the API-only user is not asked about login protection
    assert sorted(p["SubUin"] for a, p in st.requests if a == "DescribeSafeAuthFlagColl") == [
        101,
        102,
        104,
        105,
    ]
    # each group carries the region its DescribeSecurityGroups call was made in
    assert [(g.id, g.name, g.open_to_world, g.region) for g in sec.security_groups] == [
        ("sg-web", "web", ("icmp", "tcp/443", "tcp/80"), "ap-guangzhou"),
        ("sg-db", "db", (), "ap-guangzhou"),  # the open rule DROPs; the ACCEPT one is private
        ("sg-ops", "ops", ("all", "tcp/22", "udp/8000-9000"), "ap-shanghai"),
    ]
    assert sec.audit_logging_enabled is True
    assert st.calls["ListAudits"] == 0  # a track is on: the older API is not needed
    assert sec.public_buckets == ("assets-1250000000", "site-1250000000")
    assert sec.waf_enabled is True
    ddos = [(e.at, e.target, e.detail, e.blocked) for e in sec.events if e.kind == "ddos"]
    assert ddos == [
        (datetime(2026, 10, 3, 2, 0, tzinfo=UTC), "1.2.3.4", "UDPFLOOD, 1200 Mbps", True),
        (datetime(2026, 10, 31, 15, 30, tzinfo=UTC), "1.2.3.5", "SYNFLOOD, 800 Mbps", True),
    ]
    # WAF: one event per Beijing day and outcome, counted by GetAttackTotalCount; the log
    # listing splits the day into blocked and observed and names domain and attack type
    waf = [(e.at, e.target, e.detail, e.blocked, e.count) for e in sec.events if e.kind == "waf"]
    assert waf == [
        (datetime(2026, 10, 2, 16, 0, tzinfo=UTC), "shop.example.com", "xss", True, 1),
        (datetime(2026, 10, 3, 16, 0, tzinfo=UTC), "shop.example.com", "sqli", True, 1),
        (datetime(2026, 10, 3, 16, 0, tzinfo=UTC), "shop.example.com", "scan", False, 1),
    ]
    # the month as the APIs take it: Beijing time, both ends inclusive
    window = [(p["StartTime"], p["EndTime"]) for a, p in st.requests if a == "SearchAttackLog"]
    assert window == [("2026-10-01 00:00:00", "2026-10-31 23:59:59")]
    days = [(p["StartTime"], p["EndTime"]) for a, p in st.requests if a == "GetAttackTotalCount"]
    assert len(days) == 31
    assert days[0] == ("2026-10-01T00:00:00+08:00", "2026-10-01T23:59:59+08:00")
    assert days[-1] == ("2026-10-31T00:00:00+08:00", "2026-10-31T23:59:59+08:00")
    regions = [p["_region"] for a, p in st.requests if a == "DescribeSecurityGroups"]
    assert regions == ["ap-guangzhou", "ap-shanghai"]
    # COS: the service listing, then each bucket at its own region's host
    hosts = sorted({h for h, _p, q in st.cos_requests if "acl" in q})
    assert hosts == [
        "assets-1250000000.cos.ap-guangzhou.myqcloud.com",
        "backup-1250000000.cos.ap-shanghai.myqcloud.com",
        "logs-1250000000.cos.ap-guangzhou.myqcloud.com",
        "site-1250000000.cos.ap-shanghai.myqcloud.com",
    ]
    # the ACL already makes "assets" public: its policy is not fetched
    assert st.calls["cos:policy:assets-1250000000"] == 0


def test_paging_through_every_listing(monkeypatch):
    for module in (resources, security, attacks):  # each pages with its own PAGE
        monkeypatch.setattr(module, "PAGE", 2)
    monkeypatch.setattr(security, "AUDIT_PAGE", 2)
    monkeypatch.setattr(attacks, "WAF_PAGE", 2)
    st = _state()
    st.groups["ap-guangzhou"] = [_group(f"sg-{i:02d}", f"g{i}") for i in range(5)]
    st.ingress["sg-03"] = [{"Protocol": "TCP", "Port": "3389", "CidrBlock": "0.0.0.0/0"}]
    st.tracks = [{**st.tracks[0], "TrackId": i, "Name": f"t{i}"} for i in range(4)] + [st.tracks[1]]
    st.waf_domains = [{**st.waf_domains[0], "DomainId": f"d-{i}"} for i in range(3)] + [
        st.waf_domains[1]
    ]
    st.ddos = st.ddos[:2] * 3  # six events in October
    st.waf_logs = st.waf_logs[:3] * 2 + st.waf_logs[3:]  # six in October, one in November
    st.cos_page = 3
    data = _collect(st)
    sec = data.security
    assert _security_notes(data) == []
    calls = [a for a, _p in st.requests]
    assert calls.count("DescribeSecurityGroups") == 3 + 1  # 5 groups by 2; ap-shanghai: 1
    assert [p["Offset"] for a, p in st.requests if a == "DescribeSecurityGroups"][:3] == [
        "0", "2", "4"
    ]  # fmt: skip
    assert [g.id for g in sec.security_groups] == [f"sg-{i:02d}" for i in range(5)] + ["sg-ops"]
    assert sec.security_groups[3].open_to_world == ("tcp/3389",)
    assert [p["PageNumber"] for a, p in st.requests if a == "DescribeAuditTracks"] == [1, 2, 3]
    assert sec.audit_logging_enabled is True  # the one track that is on is on page 3
    assert [p["Offset"] for a, p in st.requests if a == "DescribeDomains"] == [0, 2]
    assert sec.waf_enabled is True
    assert [p["Offset"] for a, p in st.requests if a == "DescribeOverviewDDoSEventList"] == [
        0, 2, 4
    ]  # fmt: skip
    assert sum(1 for e in sec.events if e.kind == "ddos") == 6
    assert [p["Page"] for a, p in st.requests if a == "SearchAttackLog"] == [0, 1, 2]
    assert sum(e.count for e in sec.events if e.kind == "waf") == 6
    assert st.calls["cos:service"] == 2  # four buckets, three per page
    assert sec.public_buckets == ("assets-1250000000", "site-1250000000")


def test_throttling_is_retried_then_answers():
    st = _state()
    for action in ("ListUsers", "DescribeSecurityGroupPolicies", "DescribeAuditTracks",
                   "DescribeOverviewDDoSEventList", "SearchAttackLog",
                   "GetAttackTotalCount"):  # fmt: skip
        st.throttle[action] = 2
    st.throttle["cos:service"] = 1
    st.throttle["cos:acl:assets-1250000000"] = 2  # COS answers 503 SlowDown
    data = _collect(st)
    assert _security_notes(data) == []
    assert st.calls["ListUsers"] == 3 and st.calls["DescribeAuditTracks"] == 3
    assert st.calls["GetAttackTotalCount"] == 31 + 2  # one per day, the first retried twice
    assert st.calls["cos:service"] == 2 and st.calls["cos:acl:assets-1250000000"] == 3
    sec = data.security
    assert (sec.iam_users, sec.iam_users_without_mfa, sec.audit_logging_enabled) == (5, 2, True)
    assert len(sec.security_groups) == 3
    assert sec.public_buckets == ("assets-1250000000", "site-1250000000")
    assert [(e.kind, e.count) for e in sec.events] == [("ddos", 1)] * 2 + [("waf", 1)] * 3


def test_throttled_past_the_retries_marks_the_source():
    st = _state()
    st.throttle["DescribeOverviewDDoSEventList"] = 99
    st.throttle["cos:acl:site-1250000000"] = 99
    data = _collect(st, max_attempts=2)
    assert st.calls["DescribeOverviewDDoSEventList"] == 2
    assert st.calls["cos:acl:site-1250000000"] == 2
    notes = [(i.source, i.reason) for i in _security_notes(data)]
    assert notes == [
        ("tencent:cos", "site-1250000000: SlowDown: Please reduce your request rate."),
        (
            "tencent:antiddos",
            "RequestLimitExceeded: Your current request times equals to `20` in a second",
        ),
    ]
    sec = data.security
    assert [e.kind for e in sec.events] == ["waf", "waf", "waf"]  # DDoS unknown, WAF kept
    assert sec.public_buckets == ("assets-1250000000",)  # site unknown, the rest checked


def test_one_service_failing_leaves_only_its_figure_unknown():
    st = _state()
    st.fail["ListUsers"] = (200, "UnauthorizedOperation", "no permission to cam:ListUsers")
    data = _collect(st)
    assert _security_notes(data) == [
        Incomplete("security", "tencent:cam", "UnauthorizedOperation: no permission to cam:ListUsers")
    ]  # fmt: skip
    sec = data.security
    assert (sec.iam_users, sec.iam_users_without_mfa) == (None, None)
    assert len(sec.security_groups) == 3 and sec.audit_logging_enabled is True
    assert sec.public_buckets == ("assets-1250000000", "site-1250000000")
    assert sec.waf_enabled is True and len(sec.events) == 5
    assert len(data.resources) == 0 and data.spend == ()  # nothing else marked incomplete
    assert [i.section for i in data.incomplete] == ["security"]


@pytest.mark.parametrize(
    ("key", "code", "sources", "check"),
    [
        ("DescribeSafeAuthFlagColl", "InternalError", ["tencent:cam"],
         lambda s: (s.iam_users, s.iam_users_without_mfa) == (5, None)),
        ("DescribeSecurityGroupPolicies", "UnauthorizedOperation",
         ["tencent:vpc:ap-guangzhou", "tencent:vpc:ap-shanghai"],
         lambda s: s.security_groups == () and s.iam_users_without_mfa == 2),
        ("DescribeOverviewDDoSEventList", "ResourceNotFound", ["tencent:antiddos"],
         lambda s: [e.kind for e in s.events] == ["waf"] * 3),
        ("DescribeDomains", "UnauthorizedOperation", ["tencent:waf"],
         lambda s: s.waf_enabled is None and len(s.events) == 5),
        # no exact totals: the listed entries count, one attack each, at their own time
        ("GetAttackTotalCount", "InternalError", ["tencent:waf"],
         lambda s: [(e.at.hour, e.count) for e in s.events if e.kind == "waf"]
         == [(3, 1), (1, 1), (1, 1)]),
    ],
)  # fmt: skip
def test_each_failing_api_names_itself(key, code, sources, check):
    st = _state()
    st.fail[key] = (200, code, "backend says no")
    data = _collect(st)
    assert [(i.source, i.reason) for i in _security_notes(data)] == [
        (source, f"{code}: backend says no") for source in sources
    ]
    assert check(data.security)


def test_audit_logging_off_and_unknown():
    st = _state()
    st.tracks = [{**st.tracks[0]}]  # one track, off
    st.audits = [{"AuditName": "legacy", "AuditStatus": 0, "CosBucketName": "a",
                  "LogFilePrefix": ""}]  # fmt: skip
    assert _collect(st).security.audit_logging_enabled is False

    st.audits[0]["AuditStatus"] = 1  # a tracker from the older API still logs
    assert _collect(st).security.audit_logging_enabled is True

    st.audits[0]["AuditStatus"] = 0
    st.fail["DescribeAuditTracks"] = (200, "InternalError", "down")
    data = _collect(st)
    assert data.security.audit_logging_enabled is None  # off in one list, unknown in the other
    assert [(i.source, i.reason) for i in _security_notes(data)] == [
        ("tencent:cloudaudit", "InternalError: down")
    ]


def test_no_waf_domain_means_waf_off():
    st = _state()
    st.waf_domains = [st.waf_domains[0]]  # configured, switched off
    assert _collect(st).security.waf_enabled is False
    st.waf_domains = []
    assert _collect(st).security.waf_enabled is False


def test_public_buckets_through_the_acl_and_through_the_policy():
    st = _state()
    st.acl = {
        "assets-1250000000": [(ALL_USERS, "WRITE")],  # public-write is public too
        "backup-1250000000": [("http://cam.qcloud.com/groups/global/AuthenticatedUsers", "READ")],
    }
    st.policy["logs-1250000000"]["Statement"][0].pop("Condition")  # now anyone, anywhere
    data = _collect(st)
    assert data.security.public_buckets == (
        "assets-1250000000",
        "logs-1250000000",
        "site-1250000000",
    )
    assert st.calls["cos:policy:backup-1250000000"] == 1  # no public ACL: policy read


def test_cos_listing_refused_leaves_buckets_unknown_only():
    st = _state()
    st.fail["cos:service"] = (403, "AccessDenied", "Access Denied.")
    data = _collect(st)
    assert [(i.source, i.reason) for i in _security_notes(data)] == [
        ("tencent:cos", "AccessDenied: Access Denied.")
    ]
    assert data.security.public_buckets == ()
    assert data.security.iam_users == 5


def test_waf_listing_failing_keeps_the_exact_totals():
    st = _state()
    st.fail["SearchAttackLog"] = (200, "InternalError", "backend says no")
    data = _collect(st)
    assert [(i.source, i.reason) for i in _security_notes(data)] == [
        ("tencent:waf", "InternalError: backend says no"),
        ("tencent:waf", "3 of the 3 WAF attacks in 2026-10 are not in the attack log listing, "
                        "so whether they were blocked or only observed is unknown; they are "
                        "counted as blocked."),
    ]  # fmt: skip
    waf = [
        (e.at.day, e.target, e.blocked, e.count) for e in data.security.events if e.kind == "waf"
    ]
    assert waf == [(2, "", True, 1), (3, "", True, 2)]  # UTC days of Beijing 10-03 and 10-04


def test_waf_totals_are_exact_beyond_the_listing_cap():
    """12,345 attacks in October: the log listing stops at max_waf_events entries, the
    report still counts every attack (GetAttackTotalCount per day)."""
    st = _state()
    st.waf_logs = [
        _waf_log("2026-10-05 10:00:00", "shop.example.com", "xss", "block", n=12_000),
        _waf_log("2026-10-05 11:00:00", "shop.example.com", "scan", "observe", n=40),
        _waf_log("2026-10-20 09:00:00", "api.example.com", "sqli", "block", n=305),
        _waf_log("2026-11-01 00:00:00", "shop.example.com", "xss", "block", n=999),  # Nov
    ]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(attacks, "WAF_PAGE", 10)
        data = _collect(st, max_waf_events=20)
    assert [p["Page"] for a, p in st.requests if a == "SearchAttackLog"] == [0, 1]
    waf = [(e.at, e.target, e.detail, e.blocked, e.count)
           for e in data.security.events if e.kind == "waf"]  # fmt: skip
    assert waf == [
        (datetime(2026, 10, 4, 16, tzinfo=UTC), "shop.example.com", "xss", True, 12_040),
        (datetime(2026, 10, 19, 16, tzinfo=UTC), "", "", True, 305),  # not reached
    ]
    assert [(i.source, i.reason) for i in _security_notes(data)] == [
        ("tencent:waf", "12325 of the 12345 WAF attacks in 2026-10 are not in the attack log "
                        "listing, so whether they were blocked or only observed is unknown; "
                        "they are counted as blocked."),
    ]  # fmt: skip
    report = ReportData("Acme", 2026, 10, OCT.start, OCT.end, platform=PlatformData(), cloud=data)
    s = build_report(report).security
    assert (s.waf_attacks, s.waf_blocked) == (12_345, 12_345)
    assert s.events_by_day == (("10-03", 1, 0), ("10-05", 0, 12_040), ("10-20", 0, 305),
                               ("10-31", 1, 0))  # fmt: skip


def test_waf_split_is_exact_when_the_whole_log_is_listed():
    st = _state()
    st.waf_logs = [
        _waf_log("2026-10-05 10:00:00", "shop.example.com", "xss", "block", n=150),
        _waf_log("2026-10-05 11:00:00", "shop.example.com", "scan", "observe", n=30),
        _waf_log("2026-10-05 12:00:00", "api.example.com", "sqli", "block", n=20),
        _waf_log("2026-10-06 23:59:59", "api.example.com", "sqli", "block", n=7),
    ]
    data = _collect(st)
    assert _security_notes(data) == []
    assert [p["Page"] for a, p in st.requests if a == "SearchAttackLog"] == [0, 1, 2]
    waf = [(e.at.astimezone(BUSINESS_TZ).day, e.target, e.detail, e.blocked, e.count)
           for e in data.security.events if e.kind == "waf"]  # fmt: skip
    assert waf == [
        (5, "api.example.com, shop.example.com", "xss, sqli", True, 170),
        (5, "shop.example.com", "scan", False, 30),
        (6, "api.example.com", "sqli", True, 7),
    ]


def test_waf_attacks_the_log_search_misses_are_counted_and_said():
    st = _state()
    st.waf_unlisted = [  # counted by GetAttackTotalCount, not returned by SearchAttackLog
        {"ms": int(datetime(2026, 10, 4, 12, tzinfo=BUSINESS_TZ).timestamp() * 1000), "n": 5}
    ]
    data = _collect(st)
    waf = [(e.detail, e.blocked, e.count) for e in data.security.events if e.kind == "waf"]
    assert waf == [("xss", True, 1), ("sqli", True, 6), ("scan", False, 1)]
    assert [i.reason for i in _security_notes(data)] == [
        "5 of the 8 WAF attacks in 2026-10 are not in the attack log listing, so whether they "
        "were blocked or only observed is unknown; they are counted as blocked."
    ]


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_waf_note_is_in_the_readers_language(lang):
    st = _state()
    st.fail["SearchAttackLog"] = (200, "InternalError", "backend says no")
    report = ReportData(
        "Acme", 2026, 10, OCT.start, OCT.end, platform=PlatformData(), cloud=_collect(st)
    )
    html = render_html(
        build_report(report), language=lang, generated_at=datetime(2026, 11, 1, 1, tzinfo=UTC),
        deadline=date(2026, 11, 10),
    ).html  # fmt: skip
    expected = {
        "en": "tencent:waf — 3 of the 3 WAF attacks in 2026-10 are not in the attack log listing",
        "zh-hans": "tencent:waf — 2026-10 的 3 次 WAF 攻击中有 3 次不在攻击日志列表中，",
    }[lang]
    assert expected in html


def test_wrong_key_on_cos_is_a_signature_failure():
    st = _state()
    with serve(SecHandler, st) as ep:
        conn = _tencent(ep)
        conn.regions = ["ap-guangzhou"]
        sec = conn._public_buckets(incomplete := [])
        assert st.bad_signatures == 0 and sec == ["assets-1250000000", "site-1250000000"]
        conn.secret_key = "wrong"
        assert conn._public_buckets(incomplete) == []
    assert st.bad_signatures == 1
    assert [i.reason for i in incomplete] == [
        "SignatureDoesNotMatch: The Signature you specified is invalid."
    ]


# --------------------------------------------------------------------------- the report


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_report_shows_the_tencent_security_figures(lang):
    data = _collect(_state())
    report = ReportData("Acme", 2026, 10, OCT.start, OCT.end, platform=PlatformData(), cloud=data)
    content = build_report(report)
    s = content.security
    assert (s.iam_users, s.iam_users_without_mfa, s.groups_total) == (5, 2, 3)
    assert [g.id for g in s.groups_open] == ["sg-web", "sg-ops"]
    assert s.audit_logging_enabled is True and s.waf_enabled is True
    assert s.public_buckets == ("assets-1250000000", "site-1250000000")
    assert (s.ddos_events, s.waf_attacks, s.waf_blocked) == (2, 3, 2)
    # Beijing days: 10-03 one DDoS and one WAF attack, 10-04 two WAF, 10-31 one DDoS
    assert s.events_by_day == (("10-03", 1, 1), ("10-04", 0, 2), ("10-31", 1, 0))
    assert s.findings == 5  # two open groups + two public buckets + users without MFA
    advice = [(a.code, a.subject, a.evidence) for a in content.advice if "group" in a.code]
    assert advice == [
        (
            "open_security_group",
            "ops (sg-ops)",
            {"ports": ["all", "tcp/22"], "region": "ap-shanghai"},
        )
    ]

    html = render_html(
        content, language=lang, generated_at=datetime(2026, 11, 1, 1, tzinfo=UTC),
        deadline=date(2026, 11, 10),
    ).html  # fmt: skip
    expected = {
        "en": ["5 users, 2 without MFA", "2 of 3 groups", "3 attacks, 2 blocked"],
        "zh-hans": ["5 个用户，2 个未开启 MFA", "3 个安全组中有 2 个", "3 次攻击，已拦截 2 次"],
    }[lang]
    for text in expected + [
        "web (sg-web, ap-guangzhou): icmp, tcp/443, tcp/80",
        "ops (sg-ops, ap-shanghai): all, tcp/22, udp/8000-9000",
        "assets-1250000000, site-1250000000",
    ]:
        assert text in html, text
