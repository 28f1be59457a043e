"""Connectors against local fake APIs (through the official SDKs), the file connector and
the demo generator."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import pytest

from supportplan.reports.connectors.demo import DemoConnector
from supportplan.reports.connectors.files import FileConnector
from supportplan.reports.connectors.huawei import HuaweiConnector
from supportplan.reports.connectors.tencent import TencentConnector
from supportplan.reports.data import CollectionFailed, Month

from .fakes import FakeState, HuaweiHandler, TencentHandler, serve

OCT = Month(2026, 10)
T0 = int(OCT.start.timestamp())


def _tencent_state(n: int = 23) -> FakeState:
    st = FakeState()
    for i in range(n):
        st.instances.append(
            {
                "InstanceId": f"ins-{i:04d}",
                "InstanceName": f"web-{i}",
                "InstanceState": "RUNNING" if i % 5 else "STOPPED",
                "InstanceType": "S5.LARGE8",
                "CPU": 4,
                "Memory": 8,
                "CreatedTime": "2025-03-01T02:00:00Z",
                "PrivateIpAddresses": [f"10.0.0.{i}"],
                "Placement": {"Zone": "ap-guangzhou-3"},
                "Tags": [{"Key": "system", "Value": "Shop"}] if i == 1 else [],
            }
        )
    st.metrics["CpuUsage"] = {
        f"ins-{i:04d}": ([T0 + 3600 * k for k in range(3)], [10.0 + i, 20.0 + i, 30.0 + i])
        for i in range(n)
    }
    st.bills = {
        "2026-10": [
            {"BusinessCode": "p_cvm", "BusinessCodeName": "CVM", "RealTotalCost": "1200.50"},
            {"BusinessCode": "p_cdb", "BusinessCodeName": "CDB", "RealTotalCost": "300.25"},
        ],
        "2026-09": [
            {"BusinessCode": "p_cvm", "BusinessCodeName": "CVM", "RealTotalCost": "1000.00"}
        ],
    }
    return st


def _tencent(endpoint: str, **kw) -> TencentConnector:
    return TencentConnector(
        secret_id="AKIDtest",
        secret_key="tencent-secret",
        endpoint=endpoint,
        protocol="http",
        backoff_base=0.01,
        account="100012345",
        **kw,
    )


def test_tencent_collects_pages_metrics_and_spend_through_the_sdk():
    st = _tencent_state(23)
    with serve(TencentHandler, st) as ep:
        data = _tencent(ep).collect(OCT)
    assert st.bad_signatures == 0
    assert st.calls["DescribeInstances"] == 1  # 23 instances fit one page of 100
    assert [r.id for r in data.resources] == [f"ins-{i:04d}" for i in range(23)]
    r1 = data.resources[1]
    assert (r1.status, r1.spec, r1.ip, r1.zone, r1.system) == (
        "running",
        "S5.LARGE8 (4 vCPU, 8 GiB)",
        "10.0.0.1",
        "ap-guangzhou-3",
        "Shop",
    )
    assert data.resources[0].status == "stopped"
    running = [r.id for r in data.resources if r.status == "running"]
    # 18 running instances in batches of at most 10 -> 2 calls per metric, 6 metrics
    assert st.calls["GetMonitorData"] == 12
    cpu = {s.resource_id: s for s in data.metrics if s.metric == "cpu_util"}
    assert sorted(cpu) == running
    assert cpu["ins-0001"].values.tolist() == [11.0, 21.0, 31.0]
    assert cpu["ins-0001"].timestamps.tolist() == [T0, T0 + 3600, T0 + 7200]
    assert st.calls["DescribeBillSummaryByProduct"] == 6  # one per trend month
    assert sorted((s.month, s.product, s.amount) for s in data.spend) == [
        ("2026-09", "CVM", Decimal("1000.00")),
        ("2026-10", "CDB", Decimal("300.25")),
        ("2026-10", "CVM", Decimal("1200.50")),
    ]
    # this fake does not serve the security APIs (test_tencent_security.py's does)
    assert {i.section for i in data.incomplete} == {"security"}


def test_tencent_pages_beyond_100_instances():
    st = _tencent_state(230)
    st.metrics = {}
    with serve(TencentHandler, st) as ep:
        data = _tencent(ep).collect(OCT)
    assert st.calls["DescribeInstances"] == 3
    assert len({r.id for r in data.resources}) == 230


def test_tencent_throttling_is_retried_with_backoff():
    st = _tencent_state(3)
    st.throttle["DescribeInstances"] = 2
    st.throttle["GetMonitorData"] = 1
    with serve(TencentHandler, st) as ep:
        data = _tencent(ep).collect(OCT)
    assert st.calls["DescribeInstances"] == 3  # two refusals, then the answer
    assert len(data.resources) == 3
    assert not [i for i in data.incomplete if i.section == "resources"]


def test_tencent_partial_failure_marks_the_section_incomplete():
    st = _tencent_state(3)
    st.fail["GetMonitorData:MemUsage"] = (200, "InternalError", "backend timeout")
    st.throttle["DescribeBillSummaryByProduct"] = 99  # never recovers
    with serve(TencentHandler, st) as ep:
        data = _tencent(ep, max_attempts=2).collect(OCT)
    notes = {(i.section, i.source): i.reason for i in data.incomplete}
    assert notes[("resources", "tencent:monitor:MemUsage")] == "InternalError: backend timeout"
    assert ("spend", "tencent:billing:2026-10") in notes
    assert {s.metric for s in data.metrics} == {
        "cpu_util",
        "disk_util",
        "bandwidth_in",
        "bandwidth_out",
        "connections",
    }
    assert len(data.resources) == 3


def test_tencent_wrong_key_fails_the_collection():
    st = _tencent_state(1)
    with serve(TencentHandler, st) as ep:
        conn = _tencent(ep)
        conn.secret_key = "wrong"
        with pytest.raises(CollectionFailed) as exc:
            conn.collect(OCT)
    assert "AuthFailure.SignatureFailure" in exc.value.reason
    assert st.bad_signatures == 1


# --------------------------------------------------------------------------- Huawei


def _huawei_state(n: int = 7) -> FakeState:
    st = FakeState(secret_id="HWAK", secret_key="huawei-sk")
    for i in range(n):
        st.instances.append(
            {
                "id": f"srv-{i}",
                "name": f"app-{i}",
                "status": "ACTIVE" if i != 2 else "SHUTOFF",
                "created": "2025-06-01T00:00:00Z",
                "flavor": {"id": "s6.xlarge.2", "name": "s6.xlarge.2", "vcpus": "4", "ram": "8192"},
                "addresses": {
                    "vpc-1": [{"addr": f"192.168.0.{i}", "version": 4, "OS-EXT-IPS:type": "fixed"}]
                },
                "OS-EXT-AZ:availability_zone": "cn-north-4a",
                "metadata": {},
                "tags": ["system=Core banking"] if i == 0 else [],
                "security_groups": [{"name": "default", "id": "sg-1"}] if i == 0 else [],
            }
        )
    st.metrics["cpu_util"] = {f"srv-{i}": ([T0, T0 + 3600], [5.0 * i, 7.0 * i]) for i in range(n)}
    st.metrics["network_incoming_bytes_rate_inband"] = {"srv-1": ([T0], [1_000_000.0])}
    st.vpc_groups = [{"id": "sg-1", "name": "default"}]
    st.vpc_rules = [
        {"id": "r1", "security_group_id": "sg-1", "direction": "ingress", "action": "allow",
         "protocol": "tcp", "multiport": "22", "remote_ip_prefix": "0.0.0.0/0"},
        {"id": "r2", "security_group_id": "sg-1", "direction": "ingress", "action": "allow",
         "protocol": "tcp", "multiport": "443", "remote_ip_prefix": "10.0.0.0/8"},
    ]  # fmt: skip
    st.iam_users = [
        {"id": f"u-{i}", "name": f"ops-{i}", "enabled": i != 3, "pwd_strength": "high"}
        for i in range(4)
    ]
    st.trackers = [
        {
            "id": "trk-1",
            "tracker_name": "system",
            "tracker_type": "system",
            "status": "enabled",
            "create_time": 1735660800000,
            "obs_info": {"bucket_name": "cts-logs", "file_prefix_name": ""},
        },
        {"id": "trk-2", "tracker_name": "obs-data", "tracker_type": "data", "status": "enabled"},
    ]
    st.bills = {
        "2026-10": [
            {
                "service_type_code": "hws.service.type.ec2",
                "service_type_name": "ECS",
                "consume_amount": 812.4,
            }
        ],
    }
    return st


def _huawei(endpoint: str, **kw) -> HuaweiConnector:
    kw.setdefault("domain_id", "dom-1")
    return HuaweiConnector(
        ak="HWAK",
        sk="huawei-sk",
        project_id="proj-1",
        endpoint=f"http://{endpoint}",
        backoff_base=0.01,
        **kw,
    )


def test_huawei_collects_through_the_sdk_with_paging_and_security_groups(monkeypatch):
    from supportplan.reports.connectors.huawei import resources

    monkeypatch.setattr(resources, "PAGE", 3)  # 7 servers -> pages 1, 2, 3
    st = _huawei_state(7)
    with serve(HuaweiHandler, st) as ep:
        data = _huawei(ep).collect(OCT)
    assert st.bad_signatures == 0
    assert st.calls["list_servers"] == 3
    assert [r.id for r in data.resources] == [f"srv-{i}" for i in range(7)]
    r0 = data.resources[0]
    assert (r0.status, r0.spec, r0.ip, r0.zone, r0.system) == (
        "running",
        "s6.xlarge.2 (4 vCPU, 8 GiB)",
        "192.168.0.0",
        "cn-north-4a",
        "Core banking",
    )
    assert data.resources[2].status == "stopped"
    cpu = {s.resource_id: s.values.tolist() for s in data.metrics if s.metric == "cpu_util"}
    assert cpu["srv-3"] == [15.0, 21.0]
    assert "srv-2" not in cpu  # stopped: not asked for
    bw = [s for s in data.metrics if s.metric == "bandwidth_in" and s.resource_id == "srv-1"][0]
    assert bw.values.tolist() == [8.0]  # 1 MB/s = 8 Mbit/s
    assert [(g.id, g.open_to_world, g.region) for g in data.security.security_groups] == [
        ("sg-1", ("tcp/22",), "cn-north-4")  # the connector's region: ECS lists per region
    ]
    assert [(s.month, s.product, s.amount) for s in data.spend] == [
        ("2026-10", "ECS", Decimal("812.4"))
    ]
    assert st.calls["iam_users"] == 1 and st.calls["trackers"] == 1
    sec = _security_section(data)
    # ops-3 is disabled; the three others have no MFA (test_huawei_security.py has the rest)
    assert (sec.iam_users, sec.iam_users_without_mfa, sec.audit_logging_enabled) == (4, 3, True)
    assert (sec.groups_total, [g.id for g in sec.groups_open]) == (1, ["sg-1"])
    assert sec.findings == 3  # the group open on tcp/22, users without MFA, no WAF domain
    notes = [(i.section, i.source) for i in data.incomplete]
    assert notes == [("security", "huawei:obs")]  # no obs_endpoint behind the override


def _security_section(cloud):
    from supportplan.reports.builder import build_security
    from supportplan.reports.data import PlatformData, ReportData

    return build_security(
        ReportData("T", 2026, 10, OCT.start, OCT.end, platform=PlatformData(), cloud=cloud)
    )


def test_huawei_audit_switch_off_is_a_finding():
    st = _huawei_state(1)
    st.trackers = [{"id": "trk-1", "tracker_name": "system", "tracker_type": "system",
                    "status": "disabled"}]  # fmt: skip
    st.iam_users = st.iam_users[:2]
    with serve(HuaweiHandler, st) as ep:
        data = _huawei(ep).collect(OCT)
    sec = _security_section(data)
    assert (sec.iam_users, sec.audit_logging_enabled) == (2, False)
    assert sec.findings == 4  # audit off + sg-1 open on tcp/22 + users without MFA + no WAF

    st.trackers = []  # CTS never enabled: no tracker at all
    with serve(HuaweiHandler, st) as ep:
        data = _huawei(ep).collect(OCT)
    assert _security_section(data).audit_logging_enabled is False


def test_huawei_iam_and_cts_failures_mark_the_security_section():
    st = _huawei_state(1)
    st.fail["iam_users"] = (403, "IAM.0002", "You are not authorized to perform the action")
    st.throttle["trackers"] = 5  # past the retries
    with serve(HuaweiHandler, st) as ep:
        data = _huawei(ep, max_attempts=3).collect(OCT)
    assert st.calls["trackers"] == 3
    sec = _security_section(data)
    assert (sec.iam_users, sec.audit_logging_enabled) == (None, None)
    assert sec.findings == 2  # sg-1 open on tcp/22 + no WAF domain
    notes = [(i.section, i.source, i.reason) for i in data.incomplete]
    assert (
        "security",
        "huawei:iam",
        "IAM.0002: You are not authorized to perform the action",
    ) in notes
    cts = [r for sec_, src, r in notes if (sec_, src) == ("security", "huawei:cts")]
    assert len(cts) == 1 and "429" in cts[0]  # still throttled after the retries
    assert len(data.resources) == 1  # the rest was collected


def test_huawei_without_domain_id_leaves_iam_unknown():
    st = _huawei_state(1)
    with serve(HuaweiHandler, st) as ep:
        data = _huawei(ep, domain_id="").collect(OCT)
    assert st.calls["iam_users"] == 0
    assert data.security.iam_users is None and data.security.audit_logging_enabled is True
    assert ("security", "huawei:iam") in [(i.section, i.source) for i in data.incomplete]


def test_huawei_throttling_retried_and_partial_failure_marked(monkeypatch):
    st = _huawei_state(2)
    st.throttle["list_servers"] = 2
    st.fail["batch_metrics"] = (500, "CES.0014", "Internal error")
    with serve(HuaweiHandler, st) as ep:
        data = _huawei(ep, max_attempts=3).collect(OCT)
    assert st.calls["list_servers"] == 3
    assert len(data.resources) == 2
    assert data.metrics == ()
    notes = [(i.section, i.source, i.reason) for i in data.incomplete]
    assert ("resources", "huawei:ces", "CES.0014: Internal error") in notes


def test_huawei_wrong_key_fails_the_collection():
    st = _huawei_state(1)
    with serve(HuaweiHandler, st) as ep:
        conn = _huawei(ep)
        conn.sk = "wrong"
        with pytest.raises(CollectionFailed) as exc:
            conn.collect(OCT)
    assert "APIGW.0301" in exc.value.reason


# --------------------------------------------------------------------------- file + demo


def test_file_connector_json(tmp_path):
    (tmp_path / "2026-10.json").write_text(
        json.dumps(
            {
                "resources": [
                    {
                        "product": "ECS",
                        "id": "i-1",
                        "name": "web",
                        "status": "running",
                        "system": "Shop",
                    }
                ],
                "metrics": [
                    {
                        "resource_id": "i-1",
                        "metric": "cpu_util",
                        "points": [["2026-10-01T00:00:00+08:00", 12.5], [T0 + 7200, 20]],
                    }
                ],
                "security": {
                    "iam_users": 4,
                    "iam_users_without_mfa": 1,
                    "audit_logging_enabled": False,
                    "public_buckets": ["pub"],
                    "security_groups": [
                        {"id": "sg-9", "name": "ops", "open_to_world": ["tcp/3389"]}
                    ],
                    "events": [
                        {
                            "kind": "waf",
                            "at": "2026-10-03T10:00:00+08:00",
                            "target": "shop.example",
                            "detail": "XSS",
                        }
                    ],
                },
                "spend": [{"month": "2026-10", "product": "ECS", "amount": "99.90"}],
            }
        )
    )
    data = FileConnector(path=str(tmp_path / "{month}.json"), cloud="alibaba").collect(OCT)
    assert data.resources[0].cloud == "alibaba"
    assert data.metrics[0].timestamps.tolist() == [T0, T0 + 7200]
    assert data.metrics[0].values.tolist() == [12.5, 20.0]
    assert data.security.audit_logging_enabled is False
    assert data.security.events[0].at == datetime(2026, 10, 3, 2, 0, tzinfo=UTC)
    assert data.spend[0].amount == Decimal("99.90")


def test_file_connector_csv_folder(tmp_path):
    d = tmp_path / "2026-10"
    d.mkdir()
    (d / "resources.csv").write_text(
        "id,name,product,status\ni-1,web,ECS,running\ni-2,db,RDS,stopped\n"
    )
    (d / "metrics.csv").write_text(
        f"resource_id,metric,timestamp,value\ni-1,mem_util,{T0},40\ni-1,mem_util,{T0 + 60},60\n"
    )
    (d / "spend.csv").write_text("month,product,amount\n2026-10,ECS,10.5\n2026-09,ECS,9\n")
    data = FileConnector(path=str(tmp_path / "{month}")).collect(OCT)
    assert [(r.id, r.status) for r in data.resources] == [("i-1", "running"), ("i-2", "stopped")]
    assert data.metrics[0].values.tolist() == [40.0, 60.0]
    assert [s.amount for s in data.spend] == [Decimal("10.5"), Decimal("9")]


def test_file_connector_names_every_problem(tmp_path):
    (tmp_path / "x.json").write_text(
        json.dumps(
            {
                "resources": [{"id": "i-1", "status": "exploded"}],
                "metrics": [{"metric": "cpu", "points": []}],
                "spend": [{"month": "Oct", "amount": "1"}],
            }
        )
    )
    with pytest.raises(CollectionFailed) as exc:
        FileConnector(path=str(tmp_path / "x.json")).collect(OCT)
    reason = exc.value.reason
    assert "resources[1] (i-1): status 'exploded' must be one of running, stopped, other" in reason
    assert "metrics[1]: metric 'cpu' is unknown" in reason
    assert "spend[1]: month 'Oct' must be written YYYY-MM" in reason


def test_file_connector_missing_file(tmp_path):
    with pytest.raises(CollectionFailed) as exc:
        FileConnector(path=str(tmp_path / "{month}.json")).collect(OCT)
    assert "2026-10.json does not exist" in exc.value.reason


def test_demo_generator_is_deterministic():
    a = DemoConnector(seed="acme", instances=5).collect(OCT)
    b = DemoConnector(seed="acme", instances=5).collect(OCT)
    c = DemoConnector(seed="other", instances=5).collect(OCT)
    assert [r.id for r in a.resources] == [r.id for r in b.resources]
    assert all(
        np.array_equal(x.values, y.values) for x, y in zip(a.metrics, b.metrics, strict=True)
    )
    assert [r.id for r in a.resources] != [r.id for r in c.resources]
