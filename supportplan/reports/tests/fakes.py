"""Local HTTP servers on 127.0.0.1 that answer like the Tencent Cloud and Huawei Cloud APIs.

They check the request signatures the way the real gateways do (TC3-HMAC-SHA256 and
SDK-HMAC-SHA256, recomputed here independently of the SDKs), page like the real APIs
and can be told to throttle or fail, so the connectors are exercised through the
official SDKs end to end.
"""

from __future__ import annotations

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
from urllib.parse import parse_qsl, quote, unquote, urlsplit


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
    security_groups: dict[str, list[dict[str, Any]]] = field(
        default_factory=dict
    )  # server -> groups
    iam_users: list[dict[str, Any]] = field(default_factory=list)  # Huawei IAM (domain)
    trackers: list[dict[str, Any]] = field(default_factory=list)  # Huawei CTS (project)
    domain_id: str = "dom-1"
    project_id: str = "proj-1"


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


class HuaweiHandler(_Base):
    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        st = self.state
        parts = urlsplit(self.path)
        payload = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
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
        if route == "iam_users" and self.headers.get("X-Domain-Id") != st.domain_id:
            # IAM is a global service: the real API wants the account (domain) credentials
            return self._error(403, "IAM.0002", "You are not authorized to perform the action")
        body = getattr(self, f"_{route}")(parts.path, query, json.loads(payload or b"{}"))
        self._send(200, body)

    def _route(self, method: str, path: str) -> str:
        if path.endswith("/cloudservers/detail"):
            return "list_servers"
        if path.endswith("/os-security-groups"):
            return "server_groups"
        if path.endswith("/batch-query-metric-data"):
            return "batch_metrics"
        if path.endswith("/customer-bills/monthly-sum"):
            return "monthly_sum"
        if path == "/v3/users":
            return "iam_users"
        if path.startswith("/v3/") and path.endswith("/trackers"):
            return "trackers"
        return "unknown"

    def _error(self, status: int, code: str, msg: str) -> None:
        self._send(status, {"error_code": code, "error_msg": msg}, {"X-Request-Id": "hw-req"})

    def _list_servers(self, path: str, q: dict[str, str], _b: Any) -> dict[str, Any]:
        page, limit = max(1, int(q.get("offset", "1"))), int(q.get("limit", "25"))
        rows = self.state.instances
        return {"count": len(rows), "servers": rows[(page - 1) * limit : page * limit]}

    def _server_groups(self, path: str, q: dict[str, str], _b: Any) -> dict[str, Any]:
        server = path.split("/servers/")[1].split("/")[0]
        return {"security_groups": self.state.security_groups.get(server, [])}

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
