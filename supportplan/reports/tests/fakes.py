"""Local HTTP servers on 127.0.0.1 that answer like the Tencent Cloud and Huawei Cloud APIs.

They check the request signatures the way the real gateways do (TC3-HMAC-SHA256 and
SDK-HMAC-SHA256, recomputed here independently of the SDKs), page like the real APIs
and can be told to throttle or fail, so the connectors are exercised through the
official SDKs end to end.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import SplitResult, parse_qsl, quote, unquote, urlsplit
from xml.sax.saxutils import escape


@dataclass
class FakeState:
    secret_id: str = "AKIDtest"
    secret_key: str = "tencent-secret"
    instances: list[dict[str, Any]] = field(default_factory=list)
    # metric name -> instance id -> (timestamps, values)
    metrics: dict[str, dict[str, tuple[list[int], list[float]]]] = field(default_factory=dict)
    bills: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # month -> items
    throttle: Counter[str] = field(default_factory=Counter)  # action -> times to refuse first
    fail: dict[str, tuple[int, str, str]] = field(
        default_factory=dict
    )  # key -> (status, code, msg)
    calls: Counter[str] = field(default_factory=Counter)
    bad_signatures: int = 0
    # Huawei VPC v3: security groups ({"id", "name"}) and their rules (VPC v3 rule fields:
    # security_group_id, direction, action, protocol, multiport, remote_ip_prefix, ...); the
    # servers name their groups themselves (ECS server details, "security_groups")
    vpc_groups: list[dict[str, Any]] = field(default_factory=list)
    vpc_rules: list[dict[str, Any]] = field(default_factory=list)
    iam_users: list[dict[str, Any]] = field(default_factory=list)  # Huawei IAM (domain)
    trackers: list[dict[str, Any]] = field(default_factory=list)  # Huawei CTS (project)
    domain_id: str = "dom-1"
    project_id: str = "proj-1"
    # Huawei security section
    mfa_devices: list[dict[str, Any]] = field(default_factory=list)  # IAM virtual MFA
    login_protects: list[dict[str, Any]] = field(default_factory=list)  # IAM login protection
    # OBS bucket name -> {"location", "grants": [(grantee, permission)], "policy_public": bool|None}
    buckets: dict[str, dict[str, Any]] = field(default_factory=dict)
    eips: list[dict[str, Any]] = field(default_factory=list)  # Anti-DDoS protected EIPs
    ddos_logs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # eip id -> events
    released_eips: set[str] = field(default_factory=set)  # listed, but gone when asked (404)
    # Anti-DDoS ListWeeklyReports "weekdata": {period_start_date (ms), ddos_intercept_times,
    # ddos_blackhole_times}; the real service keeps the last four weeks
    ddos_weeks: list[dict[str, Any]] = field(default_factory=list)
    # Advanced Anti-DDoS (AAD, global): instances and, per instance id, its attack events
    aad_instances: list[dict[str, Any]] = field(default_factory=list)
    aad_events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    released_aad: set[str] = field(default_factory=set)  # listed, but gone when asked (404)
    waf_hosts: list[dict[str, Any]] = field(default_factory=list)  # cloud mode
    waf_premium_hosts: list[dict[str, Any]] = field(default_factory=list)  # dedicated mode
    waf_events: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (route, query) as received


@contextmanager
def serve(handler_cls: type[BaseHTTPRequestHandler], state: FakeState) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_cls)
    server.state = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _Base(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        return

    @property
    def state(self) -> FakeState:
        return self.server.state  # type: ignore[attr-defined, no-any-return]

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)


# --------------------------------------------------------------------------- Tencent


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def tc3_signature(
    secret_key: str, service: str, timestamp: int, host: str, ctype: str, payload: bytes
) -> str:
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{ctype}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(
        ["TC3-HMAC-SHA256", str(timestamp), scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    k = _hmac(_hmac(_hmac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    return hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()


class TencentHandler(_Base):
    def do_POST(self) -> None:
        st = self.state
        length = int(self.headers.get("Content-Length", "0"))
        payload = self.rfile.read(length)
        action = self.headers.get("X-TC-Action", "")
        st.calls[action] += 1
        auth = self.headers.get("Authorization", "")
        request_id = f"req-{sum(st.calls.values())}"
        try:
            cred = auth.split("Credential=")[1].split(",")[0]
            secret_id, _date, service, _ = cred.split("/")
            signature = auth.split("Signature=")[1]
        except (IndexError, ValueError):
            return self._error(
                "AuthFailure.SignatureFailure", "malformed Authorization", request_id
            )
        if secret_id != st.secret_id:
            return self._error(
                "AuthFailure.SecretIdNotFound", "The SecretId is not found", request_id
            )
        expected = tc3_signature(
            st.secret_key,
            service,
            int(self.headers.get("X-TC-Timestamp", "0")),
            self.headers.get("Host", ""),
            self.headers.get("Content-Type", ""),
            payload,
        )
        if not hmac.compare_digest(expected, signature):
            st.bad_signatures += 1
            return self._error(
                "AuthFailure.SignatureFailure",
                "The provided credentials could not be validated",
                request_id,
            )
        if st.throttle[action] > 0:
            st.throttle[action] -= 1
            return self._error(
                "RequestLimitExceeded",
                "Your current request times equals to `20` in a second",
                request_id,
            )
        params = json.loads(payload or b"{}")
        handler = getattr(self, f"_{action}", None)
        if handler is None:
            return self._error("InvalidAction", f"{action} not found", request_id)
        key = f"{action}:{params.get('MetricName', '')}".rstrip(":")
        if key in st.fail:
            _status, code, msg = st.fail[key]
            return self._error(code, msg, request_id)
        body = handler(params)
        body["RequestId"] = request_id
        self._send(200, {"Response": body})

    def _error(self, code: str, message: str, request_id: str) -> None:
        # Tencent answers errors with HTTP 200 and an Error object
        self._send(
            200,
            {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}},
        )

    def _DescribeInstances(self, p: dict[str, Any]) -> dict[str, Any]:
        offset, limit = int(p.get("Offset", 0)), int(p.get("Limit", 20))
        if limit > 100:
            return {
                "Error": {"Code": "InvalidParameterValue.LimitExceeded", "Message": "Limit ≤ 100"}
            }
        rows = self.state.instances
        return {"TotalCount": len(rows), "InstanceSet": rows[offset : offset + limit]}

    def _GetMonitorData(self, p: dict[str, Any]) -> dict[str, Any]:
        name = p["MetricName"]
        if len(p.get("Instances", [])) > 10:
            raise AssertionError("GetMonitorData takes at most 10 instances per request")
        points = []
        for ins in p.get("Instances", []):
            rid = ins["Dimensions"][0]["Value"]
            ts, vals = self.state.metrics.get(name, {}).get(rid, ([], []))
            points.append(
                {
                    "Dimensions": [{"Name": "InstanceId", "Value": rid}],
                    "Timestamps": ts,
                    "Values": vals,
                }
            )
        return {
            "MetricName": name,
            "Period": p.get("Period"),
            "StartTime": p.get("StartTime"),
            "EndTime": p.get("EndTime"),
            "DataPoints": points,
            "Msg": "",
        }

    def _DescribeBillSummaryByProduct(self, p: dict[str, Any]) -> dict[str, Any]:
        assert p["BeginTime"] == p["EndTime"], "the billing API refuses ranges across months"
        items = self.state.bills.get(p["BeginTime"], [])
        total = sum(float(i["RealTotalCost"]) for i in items)
        return {
            "Ready": 1,
            "SummaryTotal": {"RealTotalCost": f"{total:.2f}"},
            "SummaryOverview": items,
        }


# --------------------------------------------------------------------------- Huawei


def sdk_hmac_signature(
    sk: str,
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    signed: list[str],
    payload: bytes,
    date: str,
) -> str:
    segments = [quote(unquote(s), safe="~") for s in path.split("/")]
    uri = "/".join(segments)
    if not uri.endswith("/"):
        uri += "/"
    pairs = sorted(parse_qsl(query, keep_blank_values=True))
    cq = "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in pairs)
    lower = {k.lower(): v.strip() for k, v in headers.items()}
    ch = "".join(f"{h}:{lower.get(h, '')}\n" for h in signed)
    body_hash = lower.get("x-sdk-content-sha256") or hashlib.sha256(payload).hexdigest()
    canonical = "\n".join([method, uri, cq, ch, ";".join(signed), body_hash])
    to_sign = "\n".join(["SDK-HMAC-SHA256", date, hashlib.sha256(canonical.encode()).hexdigest()])
    return hmac.new(sk.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


GLOBAL_ROUTES = {"iam_users", "iam_mfa_devices", "iam_login_protects", "aad_instances",
                 "aad_events"}  # fmt: skip  # IAM: domain credentials
OBS_SUBRESOURCES = {"acl", "policy", "policyStatus", "bucketStatus", "publicAccessBlock"}


def obs_signature(sk: str, method: str, bucket: str, query: str, headers: dict[str, str]) -> str:
    """OBS signature (V2): HMAC-SHA1 over verb, MD5, type, date, x-obs-* and the resource."""
    lower = {k.lower(): v for k, v in headers.items()}
    date = "" if "x-obs-date" in lower else lower.get("date", "")
    obs = "".join(f"{k}:{lower[k]}\n" for k in sorted(lower) if k.startswith("x-obs-"))
    resource = f"/{bucket}/" if bucket else "/"
    subs = sorted(
        (k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k in OBS_SUBRESOURCES
    )
    if subs:
        resource += "?" + "&".join(f"{k}={v}" if v else k for k, v in subs)
    to_sign = (
        f"{method}\n{lower.get('content-md5', '')}\n{lower.get('content-type', '')}\n"
        f"{date}\n{obs}{resource}"
    )
    return base64.b64encode(hmac.new(sk.encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


class HuaweiHandler(_Base):
    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        st = self.state
        parts = urlsplit(self.path)
        payload = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
        if self.headers.get("Authorization", "").startswith("OBS "):
            return self._obs(method, parts, payload)
        route = self._route(method, parts.path)
        st.calls[route] += 1
        auth = self.headers.get("Authorization", "")
        try:
            ak = auth.split("Access=")[1].split(",")[0]
            signed = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
            signature = auth.split("Signature=")[1]
        except IndexError:
            return self._error(401, "APIGW.0301", "Incorrect IAM authentication information")
        if ak != st.secret_id:
            return self._error(
                401, "APIGW.0301", "Incorrect IAM authentication information: AK not found"
            )
        expected = sdk_hmac_signature(
            st.secret_key,
            method,
            parts.path,
            parts.query,
            dict(self.headers.items()),
            signed,
            payload,
            self.headers.get("X-Sdk-Date", ""),
        )
        if not hmac.compare_digest(expected, signature):
            st.bad_signatures += 1
            return self._error(
                401,
                "APIGW.0301",
                "Incorrect IAM authentication information: verify aksk signature fail",
            )
        if st.throttle[route] > 0:
            st.throttle[route] -= 1
            return self._error(429, "APIGW.0308", "The throttling threshold has been reached")
        if route in st.fail:
            return self._error(*st.fail[route])
        query = dict(parse_qsl(parts.query))
        if route in GLOBAL_ROUTES and self.headers.get("X-Domain-Id") != st.domain_id:
            # IAM is a global service: the real API wants the account (domain) credentials
            return self._error(403, "IAM.0002", "You are not authorized to perform the action")
        st.requests.append((route, parts.query))
        body = getattr(self, f"_{route}")(parts.path, query, json.loads(payload or b"{}"))
        if isinstance(body, tuple):  # (status, error_code, error_msg)
            return self._error(*body)
        self._send(200, body)

    def _route(self, method: str, path: str) -> str:
        if path.endswith("/cloudservers/detail"):
            return "list_servers"
        if path.startswith("/v3/") and path.endswith("/vpc/security-groups"):
            return "vpc_security_groups"
        if path.startswith("/v3/") and path.endswith("/vpc/security-group-rules"):
            return "vpc_security_group_rules"
        if path.endswith("/batch-query-metric-data"):
            return "batch_metrics"
        if path.endswith("/customer-bills/monthly-sum"):
            return "monthly_sum"
        if path == "/v3/users":
            return "iam_users"
        if path.startswith("/v3/") and path.endswith("/trackers"):
            return "trackers"
        if path == "/v3.0/OS-MFA/virtual-mfa-devices":
            return "iam_mfa_devices"
        if path == "/v3.0/OS-USER/login-protects":
            return "iam_login_protects"
        if path.endswith("/antiddos"):
            return "ddos_status"
        if path.endswith("/antiddos/weekly"):
            return "ddos_weekly"
        if path == "/v1/aad/instances":
            return "aad_instances"
        if path.startswith("/v2/aad/instances/") and path.endswith("/ddos-info/attack/events"):
            return "aad_events"
        if "/antiddos/" in path and path.endswith("/logs"):
            return "ddos_logs"
        if path.endswith("/waf/instance"):
            return "waf_hosts"
        if path.endswith("/premium-waf/host"):
            return "waf_premium_hosts"
        if path.endswith("/waf/event"):
            return "waf_events"
        return "unknown"

    def _error(self, status: int, code: str, msg: str) -> None:
        self._send(status, {"error_code": code, "error_msg": msg}, {"X-Request-Id": "hw-req"})

    def _list_servers(self, path: str, q: dict[str, str], _b: Any) -> dict[str, Any]:
        page, limit = max(1, int(q.get("offset", "1"))), int(q.get("limit", "25"))
        rows = self.state.instances
        return {"count": len(rows), "servers": rows[(page - 1) * limit : page * limit]}

    # -- VPC v3 (marker paging: `marker` = the id of the last row already seen)

    def _multi(self, key: str) -> list[str]:
        """Every value of a repeated query parameter (`id=a&id=b`), as the API reads it."""
        return [v for k, v in parse_qsl(urlsplit(self.path).query) if k == key]

    @staticmethod
    def _marker_page(rows: list[dict[str, Any]], q: dict[str, str], key: str) -> Any:
        limit = int(q.get("limit", "2000"))
        if not 1 <= limit <= 2000:
            return (400, "VPC.0601", "Invalid limit: it must be between 1 and 2000")
        start = 0
        if q.get("marker"):
            ids = [r["id"] for r in rows]
            if q["marker"] not in ids:
                return (400, "VPC.0601", f"Invalid marker {q['marker']}")
            start = ids.index(q["marker"]) + 1
        page = rows[start : start + limit]
        info: dict[str, Any] = {"current_count": len(page)}
        if page:
            info["previous_marker"] = page[0]["id"]
        if page and start + limit < len(rows):
            info["next_marker"] = page[-1]["id"]
        return {"request_id": "vpc-req", key: page, "page_info": info}

    def _vpc_security_groups(self, path: str, q: dict[str, str], _b: Any) -> Any:
        project = path.split("/")[2]
        rows = [
            {"description": "", "project_id": project, "enterprise_project_id": "0",
             "created_at": "2025-06-01T00:00:00",
             "updated_at": "2025-06-01T00:00:00", "tags": [], **g}
            for g in self.state.vpc_groups
            if project == self.state.project_id
        ]  # fmt: skip
        if ids := self._multi("id"):
            rows = [g for g in rows if g["id"] in ids]
        return self._marker_page(rows, q, "security_groups")

    def _vpc_security_group_rules(self, path: str, q: dict[str, str], _b: Any) -> Any:
        project = path.split("/")[2]
        rows = [
            {"description": "", "ethertype": "IPv4", "action": "allow", "priority": 1,
             "protocol": "", "multiport": "", "remote_group_id": None,
             "remote_ip_prefix": None, "remote_address_group_id": None, "project_id": project,
             "enabled": True, "created_at": "2025-06-01T00:00:00",
             "updated_at": "2025-06-01T00:00:00", **r}
            for r in self.state.vpc_rules
            if project == self.state.project_id
        ]  # fmt: skip
        if groups := self._multi("security_group_id"):
            for g in groups:  # a failure for one group only: fail["<route>:<group id>"]
                if f"vpc_security_group_rules:{g}" in self.state.fail:
                    return self.state.fail[f"vpc_security_group_rules:{g}"]
            rows = [r for r in rows if r["security_group_id"] in groups]
        for key in ("direction", "action"):
            if key in q:
                rows = [r for r in rows if r[key] == q[key]]
        return self._marker_page(rows, q, "security_group_rules")

    def _batch_metrics(self, path: str, q: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        out = []
        for m in body["metrics"]:
            rid = m["dimensions"][0]["value"]
            ts, vals = self.state.metrics.get(m["metric_name"], {}).get(rid, ([], []))
            out.append(
                {
                    "namespace": m["namespace"],
                    "metric_name": m["metric_name"],
                    "dimensions": m["dimensions"],
                    "datapoints": [
                        {"average": v, "timestamp": t * 1000} for t, v in zip(ts, vals, strict=True)
                    ],
                    "unit": "%",
                }
            )
        return {"metrics": out}

    def _monthly_sum(self, path: str, q: dict[str, str], _b: Any) -> dict[str, Any]:
        rows = self.state.bills.get(q["bill_cycle"], [])
        offset, limit = int(q.get("offset", "0")), int(q.get("limit", "10"))
        return {
            "total_count": len(rows),
            "bill_sums": rows[offset : offset + limit],
            "currency": "CNY",
        }

    def _iam_users(self, path: str, q: dict[str, str], _b: Any) -> dict[str, Any]:
        # KeystoneListUsers: every user of the account, no paging
        if q.get("domain_id", self.state.domain_id) != self.state.domain_id:
            return {"links": {"self": "https://iam.example/v3/users"}, "users": []}
        users = [
            {
                "domain_id": self.state.domain_id,
                "enabled": True,
                "pwd_status": True,
                "links": {"self": f"https://iam.example/v3/users/{u['id']}"},
                **u,
            }
            for u in self.state.iam_users
        ]
        return {"links": {"self": "https://iam.example/v3/users"}, "users": users}

    def _trackers(self, path: str, q: dict[str, str], _b: Any) -> dict[str, Any]:
        project = path.split("/")[2]
        if project != self.state.project_id:
            return {"trackers": []}
        rows = self.state.trackers
        if "tracker_type" in q:
            rows = [t for t in rows if t.get("tracker_type") == q["tracker_type"]]
        if "tracker_name" in q:
            rows = [t for t in rows if t.get("tracker_name") == q["tracker_name"]]
        return {
            "trackers": [
                {"project_id": project, "domain_id": self.state.domain_id, **t} for t in rows
            ]
        }

    # -- IAM MFA (global, no paging)

    def _iam_mfa_devices(self, path: str, q: dict[str, str], _b: Any) -> dict[str, Any]:
        return {"virtual_mfa_devices": self.state.mfa_devices}

    def _iam_login_protects(self, path: str, q: dict[str, str], _b: Any) -> dict[str, Any]:
        return {"login_protects": self.state.login_protects}

    # -- Anti-DDoS (offset/limit, limit 1..100)

    def _ddos_status(self, path: str, q: dict[str, str], _b: Any) -> Any:
        offset, limit = int(q.get("offset", "0")), int(q.get("limit", "100"))
        if not 1 <= limit <= 100:
            return (400, "10001001", "Invalid limit")
        rows = self.state.eips
        return {"total": len(rows), "ddosStatus": rows[offset : offset + limit]}

    def _ddos_logs(self, path: str, q: dict[str, str], _b: Any) -> Any:
        eip = path.split("/antiddos/")[1].split("/")[0]
        if eip in self.state.released_eips or eip not in {
            e["floating_ip_id"] for e in self.state.eips
        }:
            return (404, "10001013", "The EIP does not exist")
        offset, limit = int(q.get("offset", "0")), int(q.get("limit", "100"))
        if not 1 <= limit <= 100:
            return (400, "10001001", "Invalid limit")
        rows = sorted(
            self.state.ddos_logs.get(eip, []),
            key=lambda r: r["start_time"],
            reverse=q.get("sort_dir", "desc") == "desc",
        )
        return {"total": len(rows), "logs": rows[offset : offset + limit]}

    def _ddos_weekly(self, path: str, q: dict[str, str], _b: Any) -> Any:
        weeks = self.state.ddos_weeks
        return {
            "ddos_intercept_times": sum(w.get("ddos_intercept_times", 0) for w in weeks),
            "weekdata": [
                {"ddos_intercept_times": 0, "ddos_blackhole_times": 0, "max_attack_bps": 0,
                 "max_attack_conns": 0, **w}
                for w in weeks
            ],
            "top10": [],
        }  # fmt: skip

    # -- Advanced Anti-DDoS (AAD): instances (no paging), attack events (offset/limit)

    def _aad_instances(self, path: str, q: dict[str, str], _b: Any) -> Any:
        rows = self.state.aad_instances
        return {"count": len(rows), "items": rows}

    def _aad_events(self, path: str, q: dict[str, str], body: dict[str, Any]) -> Any:
        instance = path.split("/instances/")[1].split("/")[0]
        if instance in self.state.released_aad or instance not in {
            i["instance_id"] for i in self.state.aad_instances
        }:
            return (404, "AAD.10001", "The instance does not exist")
        offset, limit = int(body.get("offset", 0)), int(body.get("limit", 10))
        if not 1 <= limit <= 100:
            return (400, "AAD.10002", "limit must be 1..100")
        lo, hi = int(body["start_time"]), int(body["end_time"])
        rows = sorted(
            (e for e in self.state.aad_events.get(instance, [])
             if lo <= int(e["start_time"]) <= hi),
            key=lambda e: int(e["start_time"]),
        )  # fmt: skip
        return {"total": len(rows), "data": rows[offset : offset + limit]}

    # -- WAF (page/pagesize, page from 1)

    @staticmethod
    def _page(rows: list[dict[str, Any]], q: dict[str, str]) -> Any:
        page, size = int(q.get("page", "1")), int(q.get("pagesize", "10"))
        if page < 1 or not 1 <= size <= 100:
            return (400, "WAF.00011001", "bad.request: page or pagesize out of range")
        return {"total": len(rows), "items": rows[(page - 1) * size : page * size]}

    def _waf_hosts(self, path: str, q: dict[str, str], _b: Any) -> Any:
        return self._page(self.state.waf_hosts, q)

    def _waf_premium_hosts(self, path: str, q: dict[str, str], _b: Any) -> Any:
        return self._page(self.state.waf_premium_hosts, q)

    def _waf_events(self, path: str, q: dict[str, str], _b: Any) -> Any:
        if ("from" in q) != ("to" in q):
            return (400, "WAF.00011001", "bad.request: from and to go together")
        lo, hi = int(q.get("from", "0")), int(q.get("to", str(2**62)))
        rows = [e for e in self.state.waf_events if lo <= e["time"] <= hi]
        return self._page(sorted(rows, key=lambda e: e["time"]), q)

    # -- OBS (XML, OBS signature, bucket in the Host name)

    def _obs(self, method: str, parts: SplitResult, payload: bytes) -> None:
        st = self.state
        host = (self.headers.get("Host") or "").split(":")[0]
        bucket = "" if host.split(".")[0] == "obs" else host.split(".")[0]
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        route = "obs_list" if not bucket else "obs_acl" if "acl" in query else (
            "obs_policy_status" if "policyStatus" in query else "obs_other"
        )  # fmt: skip
        st.calls[route] += 1
        st.requests.append((route, parts.query))
        try:
            ak, signature = self.headers["Authorization"][4:].split(":", 1)
        except ValueError:
            return self._obs_error(403, "AccessDenied", "Access Denied")
        if ak != st.secret_id:
            return self._obs_error(403, "InvalidAccessKeyId", "The AK you provided does not exist")
        expected = obs_signature(
            st.secret_key, method, bucket, parts.query, dict(self.headers.items())
        )
        if not hmac.compare_digest(expected, signature):
            st.bad_signatures += 1
            return self._obs_error(
                403, "SignatureDoesNotMatch", "The request signature we calculated does not match"
            )
        if st.throttle[route] > 0:
            st.throttle[route] -= 1
            return self._obs_error(503, "SlowDown", "Please reduce your request rate.")
        if route in st.fail:
            return self._obs_error(*st.fail[route])
        ns = 'xmlns="http://obs.myhwclouds.com/doc/2015-06-30/"'
        if route == "obs_list":
            rows = "".join(
                f"<Bucket><Name>{escape(n)}</Name><CreationDate>2025-01-01T00:00:00.000Z"
                f"</CreationDate><Location>{escape(b.get('location', 'cn-north-4'))}</Location>"
                "<BucketType>OBJECT</BucketType></Bucket>"
                for n, b in st.buckets.items()
            )
            return self._xml(
                f"<ListAllMyBucketsResult {ns}><Owner><ID>owner-1</ID></Owner>"
                f"<Buckets>{rows}</Buckets></ListAllMyBucketsResult>"
            )
        if bucket not in st.buckets:
            return self._obs_error(404, "NoSuchBucket", "The specified bucket does not exist")
        b = st.buckets[bucket]
        if route == "obs_acl":
            grants = [("owner-1", "FULL_CONTROL"), *b.get("grants", [])]
            xml_grants = "".join(
                "<Grant><Grantee>"
                + (f"<Canned>{who}</Canned>" if who == "Everyone" else f"<ID>{who}</ID>")
                + f"</Grantee><Permission>{perm}</Permission><Delivered>false</Delivered></Grant>"
                for who, perm in grants
            )
            return self._xml(
                f"<AccessControlPolicy {ns}><Owner><ID>owner-1</ID></Owner>"
                f"<AccessControlList>{xml_grants}</AccessControlList></AccessControlPolicy>"
            )
        if route == "obs_policy_status":
            if b.get("policy_public") is None:
                return self._obs_error(
                    404, "NoSuchBucketPolicy", "The bucket policy does not exist"
                )
            flag = "true" if b["policy_public"] else "false"
            return self._xml(f"<PolicyStatus {ns}><IsPublic>{flag}</IsPublic></PolicyStatus>")
        return self._obs_error(405, "MethodNotAllowed", "not served by this fake")

    def _xml(self, body: str, status: int = 200) -> None:
        data = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-obs-request-id", "obs-req")
        self.end_headers()
        self.wfile.write(data)

    def _obs_error(self, status: int, code: str, message: str) -> None:
        self._xml(
            f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>"
            "<RequestId>obs-req</RequestId><HostId>obs-host</HostId></Error>",
            status,
        )
