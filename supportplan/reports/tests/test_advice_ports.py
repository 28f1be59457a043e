"""Security groups open to the Internet: port specs are parsed, so a range or "all" that
covers a sensitive port is flagged as precisely as the port itself, with the ports named;
a port template is reported as not checked instead of being ignored."""

import json
from datetime import UTC, date, datetime

import pytest
from django.utils import translation

from supportplan.reports.advice import SENSITIVE_PORTS, group_advice
from supportplan.reports.builder import build_report
from supportplan.reports.connectors.files import FileConnector
from supportplan.reports.data import (
    CloudData,
    CollectionFailed,
    Month,
    PlatformData,
    ReportData,
    SecurityData,
    SecurityGroup,
)
from supportplan.reports.ports import PortSpec, PortSpecError, parse_port_spec
from supportplan.reports.render import render_html

OCT = Month(2026, 10)
FULL = ((0, 65535),)


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("tcp/22", PortSpec("tcp/22", "ports", "tcp", ((22, 22),))),
        ("tcp/20-30", PortSpec("tcp/20-30", "ports", "tcp", ((20, 30),))),
        ("udp/8000-9000", PortSpec("udp/8000-9000", "ports", "udp", ((8000, 9000),))),
        ("TCP/80,443", PortSpec("TCP/80,443", "ports", "tcp", ((80, 80), (443, 443)))),
        (" tcp / 3000 - 4000 ", PortSpec("tcp / 3000 - 4000", "ports", "tcp", ((3000, 4000),))),
        ("tcp", PortSpec("tcp", "ports", "tcp", FULL)),
        ("tcp/all", PortSpec("tcp/all", "ports", "tcp", FULL)),
        ("all/22", PortSpec("all/22", "ports", "all", ((22, 22),))),
        ("all", PortSpec("all", "all", "all")),
        ("ALL", PortSpec("ALL", "all", "all")),
        ("-1", PortSpec("-1", "all", "all")),
        ("icmp", PortSpec("icmp", "protocol", "icmp")),
        ("icmpv6", PortSpec("icmpv6", "protocol", "icmpv6")),
        ("gre", PortSpec("gre", "protocol", "gre")),
        ("template/ptm-9xk2", PortSpec("template/ptm-9xk2", "template", template="ptm-9xk2")),
        ("template/ppmg-1", PortSpec("template/ppmg-1", "template", template="ppmg-1")),
    ],
)
def test_port_specs(text, spec):
    assert parse_port_spec(text) == spec


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "an empty port spec"),
        ("tcp/ssh", "'tcp/ssh': 'ssh' is not a port or a range like 20-30"),
        ("tcp/30-20", "'tcp/30-20': ports run from 0 to 65535, low end first"),
        ("tcp/70000", "'tcp/70000': ports run from 0 to 65535, low end first"),
        ("tcp/22,", "'tcp/22,': '' is not a port or a range like 20-30"),
        ("template/", "'template/' names no template id"),
        ("22", "'22': '22' is not a protocol"),
    ],
)
def test_bad_port_specs_say_what_to_write(text, message):
    with pytest.raises(PortSpecError) as exc:
        parse_port_spec(text)
    assert str(exc.value) == (
        f"{message}; write e.g. tcp/22, tcp/20-30, udp/8000-9000, all, icmp or template/<id>"
    )


def test_sensitive_ports():
    assert sorted(p for _proto, p in SENSITIVE_PORTS) == [22, 1433, 3306, 3389, 5432, 6379, 27017]
    assert {proto for proto, _p in SENSITIVE_PORTS} == {"tcp"}


EVERY = "22, 1433, 3306, 3389, 5432, 6379, 27017"


@pytest.mark.parametrize(
    ("open_to_world", "expected"),
    [
        (("tcp/22",), ("open_security_group", "high", {"ports": ["tcp/22"]})),
        (("tcp/20-30",), ("open_security_group", "high", {"ports": ["tcp/20-30 (22)"]})),
        (("tcp/3000-4000",), ("open_security_group", "high", {"ports": ["tcp/3000-4000 (3306, 3389)"]})),
        (("tcp/1-65535",), ("open_security_group", "high", {"ports": [f"tcp/1-65535 ({EVERY})"]})),
        (("tcp",), ("open_security_group", "high", {"ports": [f"tcp ({EVERY})"]})),
        (("tcp/22,3389",), ("open_security_group", "high", {"ports": ["tcp/22,3389 (22, 3389)"]})),
        (("all",), ("open_security_group", "high", {"ports": ["all"]})),
        (("all/6379",), ("open_security_group", "high", {"ports": ["all/6379"]})),
        (("tcp/80", "tcp/443", "tcp/5000-5431", "tcp/5433-6378"), None),
        (("udp/8000-9000", "udp/3389", "udp/20-30"), None),  # only TCP ports are sensitive
        (("icmp", "gre"), None),
        ((), None),
        (("tcp/23-3305", "tcp/80", "all"), ("open_security_group", "high", {"ports": ["tcp/23-3305 (1433)", "all"]})),
        (("template/ptm-1",), ("security_group_unchecked", "low", {"templates": ["template/ptm-1"]})),
        (("tcp/ssh",), ("security_group_unchecked", "low", {"unrecognised": ["tcp/ssh"]})),
        (
            ("tcp/80", "tcp/3306", "template/ptm-1", "template/ppmg-2"),
            ("open_security_group", "high",
             {"ports": ["tcp/3306"], "templates": ["template/ptm-1", "template/ppmg-2"]}),
        ),
    ],
)  # fmt: skip
def test_group_advice(open_to_world, expected):
    advice = group_advice(SecurityGroup("sg-1", "ops", open_to_world))
    got = None if advice is None else (advice.code, advice.level, advice.evidence)
    assert got == expected
    if advice is not None:
        assert advice.subject == "ops (sg-1)"


def test_region_is_named_when_known():
    advice = group_advice(SecurityGroup("sg-1", "sg-1", ("tcp/20-30",), region="ap-guangzhou"))
    assert advice is not None
    assert (advice.subject, advice.evidence) == (
        "sg-1",
        {"ports": ["tcp/20-30 (22)"], "region": "ap-guangzhou"},
    )


GROUP = SecurityGroup(
    "sg-7", "ops", ("tcp/20-30", "tcp/80", "all", "template/ptm-1"), region="ap-guangzhou"
)


@pytest.mark.parametrize(
    ("lang", "title", "evidence"),
    [
        (
            "en",
            "Security group ops (sg-7) is open to the whole Internet",
            "Reachable from 0.0.0.0/0: tcp/20-30 (22), all. Region: ap-guangzhou. "
            "Not checked (port template): template/ptm-1.",
        ),
        (
            "zh-hans",
            "安全组 ops (sg-7) 对整个互联网开放",
            "对 0.0.0.0/0 开放：tcp/20-30 (22), all。地域：ap-guangzhou。"
            "未检查（端口模板）：template/ptm-1。",
        ),
    ],
)
def test_evidence_text_in_both_languages(lang, title, evidence):
    advice = group_advice(GROUP)
    assert advice is not None
    with translation.override(lang):
        assert (advice.title, advice.evidence_text) == (title, evidence)


@pytest.mark.parametrize(
    ("lang", "title", "evidence"),
    [
        (
            "en",
            "Security group web (sg-8) has Internet-open rules this report could not check",
            "Rules open to 0.0.0.0/0 whose ports are not known here. Region: ap-shanghai. "
            "Not checked (port template): template/ptm-2. "
            "Not checked (not a port specification): tcp/ssh.",
        ),
        (
            "zh-hans",
            "安全组 web (sg-8) 有对互联网开放、但本报告无法检查的规则",
            "有对 0.0.0.0/0 开放的规则，其端口在此无法获知。地域：ap-shanghai。"
            "未检查（端口模板）：template/ptm-2。未检查（不是有效的端口规格）：tcp/ssh。",
        ),
    ],
)
def test_unchecked_rules_are_reported_in_both_languages(lang, title, evidence):
    group = SecurityGroup("sg-8", "web", ("tcp/443", "template/ptm-2", "tcp/ssh"), "ap-shanghai")
    advice = group_advice(group)
    assert advice is not None and advice.level == "low"
    with translation.override(lang):
        assert (advice.title, advice.evidence_text) == (title, evidence)


def _report(groups) -> ReportData:
    cloud = CloudData(security=SecurityData(security_groups=tuple(groups)))
    return ReportData("Acme", 2026, 10, OCT.start, OCT.end, platform=PlatformData(), cloud=cloud)


def test_report_lists_every_group_with_its_evidence():
    groups = [
        GROUP,
        SecurityGroup("sg-8", "web", ("tcp/443", "template/ptm-2")),
        SecurityGroup("sg-9", "db", ("udp/3306",)),
        SecurityGroup("sg-10", "internal", ()),
    ]
    content = build_report(_report(groups))
    assert [(a.code, a.level, a.subject, a.evidence) for a in content.advice] == [
        (
            "open_security_group",
            "high",
            "ops (sg-7)",
            {"ports": ["tcp/20-30 (22)", "all"], "region": "ap-guangzhou",
             "templates": ["template/ptm-1"]},
        ),
        ("security_group_unchecked", "low", "web (sg-8)", {"templates": ["template/ptm-2"]}),
    ]  # fmt: skip
    # the security table still counts every group with an Internet-open rule
    assert [g.id for g in content.security.groups_open] == ["sg-7", "sg-8", "sg-9"]
    html = render_html(
        content,
        language="en",
        generated_at=datetime(2026, 11, 1, 1, tzinfo=UTC),
        deadline=date(2026, 11, 10),
    ).html
    for text in (
        "ops (sg-7, ap-guangzhou): tcp/20-30, tcp/80, all, template/ptm-1",
        "web (sg-8): tcp/443, template/ptm-2",
        "Reachable from 0.0.0.0/0: tcp/20-30 (22), all. Region: ap-guangzhou. "
        "Not checked (port template): template/ptm-1.",
        "Security group web (sg-8) has Internet-open rules this report could not check",
    ):
        assert text in html, text


# --------------------------------------------------------------------------- file connector


def test_file_connector_reads_region_and_checks_port_specs(tmp_path):
    groups = [
        {"id": "sg-1", "name": "ops", "region": "cn-hangzhou",
         "open_to_world": ["tcp/20-30", "template/ptm-1"]},
        {"id": "sg-2", "name": "web", "open_to_world": "tcp/80;tcp/443"},
    ]  # fmt: skip
    (tmp_path / "2026-10.json").write_text(json.dumps({"security": {"security_groups": groups}}))
    data = FileConnector(path=str(tmp_path / "{month}.json")).collect(OCT)
    assert data.security.security_groups == (
        SecurityGroup("sg-1", "ops", ("tcp/20-30", "template/ptm-1"), "cn-hangzhou"),
        SecurityGroup("sg-2", "web", ("tcp/80", "tcp/443"), ""),
    )


def test_file_connector_csv_groups_with_region(tmp_path):
    folder = tmp_path / "2026-10"
    folder.mkdir()
    (folder / "security_groups.csv").write_text(
        "id,name,open_to_world,region\nsg-1,ops,tcp/3000-4000;icmp,ap-beijing\nsg-2,db,,\n"
    )
    data = FileConnector(path=str(tmp_path / "{month}")).collect(OCT)
    assert data.security.security_groups == (
        SecurityGroup("sg-1", "ops", ("tcp/3000-4000", "icmp"), "ap-beijing"),
        SecurityGroup("sg-2", "db", (), ""),
    )
    advice = group_advice(data.security.security_groups[0])
    assert advice is not None
    assert advice.evidence == {"ports": ["tcp/3000-4000 (3306, 3389)"], "region": "ap-beijing"}


def test_file_connector_names_every_bad_port_spec(tmp_path):
    groups = [
        {"id": "sg-1", "name": "ops", "open_to_world": ["tcp/22", "tcp/ssh", 22]},
        {"id": "sg-2", "name": "web", "open_to_world": {"tcp": 80}},
    ]
    (tmp_path / "x.json").write_text(json.dumps({"security": {"security_groups": groups}}))
    with pytest.raises(CollectionFailed) as exc:
        FileConnector(path=str(tmp_path / "x.json")).collect(OCT)
    assert exc.value.reason == "; ".join(
        [
            "security.security_groups[1].open_to_world[2]: 'tcp/ssh': 'ssh' is not a port or "
            "a range like 20-30; write e.g. tcp/22, tcp/20-30, udp/8000-9000, all, icmp or "
            "template/<id>",
            'security.security_groups[1].open_to_world[3]: 22 must be text like "tcp/22"',
            'security.security_groups[2].open_to_world: must be a list such as ["tcp/22", "all"]',
        ]
    )
