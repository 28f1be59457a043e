"""The Huawei connector's security section (IAM MFA, OBS public buckets, Anti-DDoS, WAF)
against local servers that answer like the real APIs, through the official SDK modules.

OBS addresses a bucket as `<bucket>.<OBS host>`, which no local name resolves; the tests
give the connector an OBS host name under the reserved `.test` domain and route it to the
local server as a plain HTTP proxy (HTTP_PROXY), so the SDK's requests, its OBS signature
and its XML parsing run unchanged.
"""

from datetime import UTC, date, datetime

import pytest

from supportplan.reports.builder import build_report, build_security
from supportplan.reports.connectors.huawei import HuaweiConnector
from supportplan.reports.data import (
    BUSINESS_TZ,
    CloudData,
    Incomplete,
    Month,
    PlatformData,
    ReportData,
)
from supportplan.reports.render import render_html

from .fakes import FakeState, HuaweiHandler, serve

OCT = Month(2026, 10)
OBS_HOST = "http://obs.cn-north-4.test"


def ms(day: int, hour: int = 0, minute: int = 0, *, month: int = 10) -> int:
    """Asia/Shanghai wall clock in 2026, as the epoch milliseconds the APIs answer with."""
    local = datetime(2026, month, day, hour, minute, tzinfo=BUSINESS_TZ)
    return int(local.timestamp() * 1000)


def _state() -> FakeState:
    st = FakeState(secret_id="HWAK", secret_key="huawei-sk")
    st.instances = [
        {
            "id": "srv-0",
            "name": "app-0",
            "status": "ACTIVE",
            "created": "2025-06-01T00:00:00Z",
            "flavor": {"id": "s6.large.2", "name": "s6.large.2", "vcpus": "2", "ram": "4096"},
            "addresses": {},
            "metadata": {},
            "tags": [],
        }
    ]
    st.trackers = [
        {"id": "trk-1", "tracker_name": "system", "tracker_type": "system", "status": "enabled"}
    ]
    # 4 users; only ops-0 has a second factor (a bound virtual MFA device). ops-1's login
    # protection exists but is switched off.
    st.iam_users = [{"id": f"u-{i}", "name": f"ops-{i}"} for i in range(4)]
    st.mfa_devices = [{"serial_number": "iam/mfa/u-0", "user_id": "u-0"}]
    st.login_protects = [{"user_id": "u-1", "enabled": False, "verification_method": "vmfa"}]
    st.buckets = {
        "assets": {"grants": [("Everyone", "READ")], "policy_public": None},  # ACL public
        "site": {"grants": [], "policy_public": True},  # policy allows Principal "*"
        "logs": {"grants": [("partner-9", "READ")], "policy_public": False},
        "backup": {"grants": [], "policy_public": None},  # no policy at all
    }
    st.eips = [
        {
            "floating_ip_id": "eip-1",
            "floating_ip_address": "121.36.0.1",
            "network_type": "EIP",
            "status": "normal",
        },
        {
            "floating_ip_id": "eip-2",
            "floating_ip_address": "121.36.0.2",
            "network_type": "EIP",
            "status": "packetcleaning",
        },
    ]
    st.ddos_logs = {
        "eip-1": [
            {"start_time": ms(30, 23, 59, month=9), "end_time": ms(1), "status": 1},  # Sep
            {"start_time": ms(1), "end_time": ms(1, 0, 30), "status": 1},
            {"start_time": ms(31, 23, 59), "end_time": ms(1, 0, 10, month=11), "status": 2},
        ],
        "eip-2": [
            {"start_time": ms(15, 12), "end_time": ms(15, 13), "status": 1},
            {"start_time": ms(1, month=11), "end_time": ms(1, 1, month=11), "status": 1},  # Nov
        ],
    }
    st.waf_hosts = [
        {"id": "h-1", "hostname": "shop.example.com", "protect_status": 0},
        {"id": "h-2", "hostname": "api.example.com", "protect_status": 1},
    ]
    st.waf_events = [
        _waf_event("e-0", ms(30, 23, 59, month=9), "block"),  # September
        _waf_event("e-1", ms(1), "block"),
        _waf_event("e-2", ms(3, 10), "log"),
        _waf_event("e-3", ms(3, 11), "block"),
        _waf_event("e-4", ms(31, 23, 59), "block"),
        _waf_event("e-5", ms(1, month=11), "block"),  # November
    ]
    return st


def _waf_event(eid: str, at: int, action: str) -> dict:
    return {
        "id": eid,
        "time": at,
        "policyid": "pol-1",
        "sip": "203.0.113.9",
        "host": "api.example.com:443",
        "url": "/login",
        "attack": "sqli",
        "rule": "040002",
        "action": action,
        "host_id": "h-2",
    }


@pytest.fixture
def obs_proxy(monkeypatch):
    """Route the `.test` OBS host names to the local server (see the module docstring)."""

    def route(endpoint: str) -> None:
        monkeypatch.setenv("HTTP_PROXY", f"http://{endpoint}")
        monkeypatch.setenv("http_proxy", f"http://{endpoint}")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        monkeypatch.setenv("no_proxy", "127.0.0.1")

    return route


def _huawei(endpoint: str, **kw) -> HuaweiConnector:
    kw.setdefault("obs_endpoint", OBS_HOST)
    return HuaweiConnector(
        ak="HWAK",
        sk="huawei-sk",
        project_id="proj-1",
        domain_id="dom-1",
        endpoint=f"http://{endpoint}",
        backoff_base=0.01,
        **kw,
    )


def _collect(st: FakeState, obs_proxy, **kw) -> CloudData:
    with serve(HuaweiHandler, st) as ep:
        obs_proxy(ep)
        return _huawei(ep, **kw).collect(OCT)


def _section(cloud: CloudData):
    return build_security(
        ReportData("T", 2026, 10, OCT.start, OCT.end, platform=PlatformData(), cloud=cloud)
    )


# the fake's default: no weekly statistics reach October (the service keeps four weeks)
ANTIDDOS_24H = Incomplete(
    "security",
    "huawei:antiddos",
    "Anti-DDoS weekly statistics reach back four weeks only, so for 2026-10-01 – 2026-10-31 "
    "only the Anti-DDoS events of the last 24 hours are counted.",
)


@pytest.fixture(autouse=True)
def _english():
    """Notes are translated when read; these tests read them in English (the report
    tests render both languages explicitly)."""
    from django.utils import translation

    with translation.override("en"):
        yield


def test_collects_the_whole_security_section(obs_proxy):
    st = _state()
    data = _collect(st, obs_proxy)
    assert st.bad_signatures == 0  # SDK-HMAC-SHA256 and the OBS signature both verified
    s = data.security
    assert (s.iam_users, s.iam_users_without_mfa) == (4, 3)
    assert s.public_buckets == ("assets", "site")
    assert s.waf_enabled is True
    assert s.audit_logging_enabled is True
    ddos = [(e.at, e.target, e.detail) for e in s.events if e.kind == "ddos"]
    assert ddos == [
        (datetime(2026, 9, 30, 16, 0, tzinfo=UTC), "121.36.0.1", "cleaning"),
        (datetime(2026, 10, 15, 4, 0, tzinfo=UTC), "121.36.0.2", "cleaning"),
        (datetime(2026, 10, 31, 15, 59, tzinfo=UTC), "121.36.0.1", "black hole"),
    ]
    waf = [(e.at, e.target, e.detail, e.blocked) for e in s.events if e.kind == "waf"]
    assert waf == [
        (datetime(2026, 9, 30, 16, 0, tzinfo=UTC), "api.example.com:443", "sqli /login", True),
        (datetime(2026, 10, 3, 2, 0, tzinfo=UTC), "api.example.com:443", "sqli /login", False),
        (datetime(2026, 10, 3, 3, 0, tzinfo=UTC), "api.example.com:443", "sqli /login", True),
        (datetime(2026, 10, 31, 15, 59, tzinfo=UTC), "api.example.com:443", "sqli /login", True),
    ]
    # the only note: Anti-DDoS cannot look back further than a day
    assert data.incomplete == (ANTIDDOS_24H,)
    sec = _section(data)
    assert (sec.ddos_events, sec.waf_attacks, sec.waf_blocked) == (3, 4, 3)
    assert sec.events_by_day == (
        ("10-01", 1, 1),
        ("10-03", 0, 2),
        ("10-15", 1, 0),
        ("10-31", 1, 1),
    )
    # users without MFA + two public buckets (WAF on, audit on, no open group)
    assert sec.findings == 3


def test_requests_carry_the_month_and_the_obs_subresources(obs_proxy):
    st = _state()
    _collect(st, obs_proxy)
    waf = [q for route, q in st.requests if route == "waf_events"]
    assert waf == [f"from={ms(1)}&page=1&pagesize=100&to={ms(1, month=11) - 1}"]
    assert st.calls["obs_list"] == 1
    assert sorted(q for route, q in st.requests if route == "obs_acl") == ["acl"] * 4
    # "assets" is already public by its ACL: its policy is not asked
    assert st.calls["obs_policy_status"] == 3
    assert {q for route, q in st.requests if route == "obs_policy_status"} == {"policyStatus"}
    assert st.calls["iam_mfa_devices"] == 1 and st.calls["iam_login_protects"] == 1
    assert st.calls["ddos_logs"] == 2  # one per protected EIP


def test_login_protection_is_a_second_factor_and_disabled_users_do_not_count(obs_proxy):
    st = _state()
    st.login_protects = [
        {"user_id": "u-1", "enabled": True, "verification_method": "sms"},
        {"user_id": "u-2", "enabled": True, "verification_method": "vmfa"},
    ]
    st.iam_users.append({"id": "u-4", "name": "left-the-company", "enabled": False})
    data = _collect(st, obs_proxy)
    assert (data.security.iam_users, data.security.iam_users_without_mfa) == (5, 1)  # ops-3


@pytest.mark.parametrize(
    ("cloud", "dedicated", "expected"),
    [
        ([0, -1], [1], True),  # a dedicated-mode domain is protected
        ([0], [0, -1], False),  # every domain suspended or bypassed
        ([], [], False),  # no WAF domain at all
    ],
)
def test_waf_is_on_when_any_domain_is_protected(obs_proxy, cloud, dedicated, expected):
    st = _state()
    st.waf_hosts = [
        {"id": f"c-{i}", "hostname": f"c{i}.example.com", "protect_status": p}
        for i, p in enumerate(cloud)
    ]
    st.waf_premium_hosts = [
        {"id": f"d-{i}", "hostname": f"d{i}.example.com", "protect_status": p}
        for i, p in enumerate(dedicated)
    ]
    data = _collect(st, obs_proxy)
    assert data.security.waf_enabled is expected
    assert _section(data).findings == 3 + (0 if expected else 1)


def test_paging_beyond_one_page(obs_proxy, monkeypatch):
    from supportplan.reports.connectors.huawei import protection

    monkeypatch.setattr(protection, "PAGE", 2)  # Anti-DDoS, AAD and WAF list in pages of 2
    st = _state()
    st.eips = [
        {"floating_ip_id": f"eip-{i}", "floating_ip_address": f"121.36.1.{i}", "status": "normal"}
        for i in range(5)
    ]
    st.ddos_logs = {
        "eip-4": [{"start_time": ms(d), "end_time": ms(d, 1), "status": 1} for d in range(1, 6)]
    }
    st.waf_hosts = [{"id": f"h-{i}", "hostname": f"h{i}", "protect_status": 0} for i in range(5)]
    st.waf_hosts[4]["protect_status"] = 1  # on the third page
    st.waf_events = [_waf_event(f"e-{i}", ms(2, i), "block") for i in range(7)]
    data = _collect(st, obs_proxy)
    assert st.calls["ddos_status"] == 3  # 2 + 2 + 1
    assert st.calls["ddos_logs"] == 4 + 3  # four EIPs without events, then 2 + 2 + 1
    assert st.calls["waf_hosts"] == 3
    assert st.calls["waf_premium_hosts"] == 0  # cloud mode already showed protection
    assert st.calls["waf_events"] == 4  # 2 + 2 + 2 + 1
    assert data.security.waf_enabled is True
    sec = _section(data)
    assert (sec.ddos_events, sec.waf_attacks) == (5, 7)
    assert {e.target for e in data.security.events if e.kind == "ddos"} == {"121.36.1.4"}


def test_throttling_is_retried_then_answers(obs_proxy):
    st = _state()
    st.throttle["iam_mfa_devices"] = 2  # 429 APIGW.0308
    st.throttle["ddos_status"] = 1
    st.throttle["waf_events"] = 2
    st.throttle["waf_hosts"] = 1
    st.throttle["obs_acl"] = 1  # OBS: 503 SlowDown
    data = _collect(st, obs_proxy, max_attempts=3)
    assert st.calls["iam_mfa_devices"] == 3
    assert st.calls["ddos_status"] == 2
    assert st.calls["waf_events"] == 3
    assert st.calls["obs_acl"] == 5
    s = data.security
    assert (s.iam_users_without_mfa, s.public_buckets, s.waf_enabled) == (
        3,
        ("assets", "site"),
        True,
    )
    assert (_section(data).ddos_events, _section(data).waf_attacks) == (3, 4)
    assert data.incomplete == (ANTIDDOS_24H,)


def test_throttling_past_the_retries_marks_only_that_part(obs_proxy):
    st = _state()
    st.throttle["iam_login_protects"] = 9
    data = _collect(st, obs_proxy, max_attempts=2)
    assert st.calls["iam_login_protects"] == 2
    assert data.security.iam_users == 4 and data.security.iam_users_without_mfa is None
    [note] = [i for i in data.incomplete if i.source == "huawei:iam:mfa"]
    # the SDK transport reports the refused call with its path
    assert note.section == "security"
    assert note.reason.startswith("429: ") and "/v3.0/OS-USER/login-protects" in note.reason


@pytest.mark.parametrize(
    ("route", "error", "note"),
    [
        (
            "iam_mfa_devices",
            (403, "IAM.0002", "You are not authorized to perform the action"),
            Incomplete(
                "security",
                "huawei:iam:mfa",
                "IAM.0002: You are not authorized to perform the action",
            ),
        ),
        (
            "obs_list",
            (403, "AccessDenied", "Access Denied"),
            Incomplete("security", "huawei:obs", "AccessDenied: Access Denied"),
        ),
        (
            "ddos_status",
            (500, "10001000", "Internal error"),
            Incomplete("security", "huawei:antiddos", "10001000: Internal error"),
        ),
        (
            "waf_events",
            (500, "WAF.00011005", "internal error"),
            Incomplete("security", "huawei:waf:events", "WAF.00011005: internal error"),
        ),
        (
            "waf_premium_hosts",
            (403, "WAF.00011004", "no permission"),
            None,  # cloud mode already shows a protected domain: WAF is on, nothing missing
        ),
    ],
)
def test_one_service_failing_leaves_the_others_filled(obs_proxy, route, error, note):
    st = _state()
    st.fail[route] = error
    data = _collect(st, obs_proxy, max_attempts=2)
    s = data.security
    expected = {
        "iam_mfa_devices": None if route == "iam_mfa_devices" else 3,
        "public_buckets": () if route == "obs_list" else ("assets", "site"),
        "ddos": 0 if route == "ddos_status" else 3,
        "waf_attacks": 0 if route == "waf_events" else 4,
    }
    sec = _section(data)
    assert (s.iam_users_without_mfa, s.public_buckets, sec.ddos_events, sec.waf_attacks) == (
        expected["iam_mfa_devices"],
        expected["public_buckets"],
        expected["ddos"],
        expected["waf_attacks"],
    )
    assert (s.iam_users, s.audit_logging_enabled, s.waf_enabled) == (4, True, True)
    assert len(data.resources) == 1
    notes = [i for i in data.incomplete if i != ANTIDDOS_24H]
    assert notes == ([note] if note else [])


def test_waf_unknown_when_one_mode_fails_and_the_other_shows_no_protection(obs_proxy):
    st = _state()
    st.waf_hosts[1]["protect_status"] = 0
    st.fail["waf_premium_hosts"] = (403, "WAF.00011004", "no permission")
    data = _collect(st, obs_proxy, max_attempts=2)
    assert data.security.waf_enabled is None
    assert Incomplete("security", "huawei:waf", "dedicated: WAF.00011004: no permission") in (
        data.incomplete
    )


def test_one_bucket_failing_keeps_the_other_buckets(obs_proxy):
    st = _state()
    st.buckets["zz-gone"] = {"grants": [], "policy_public": None}
    st.fail["obs_policy_status"] = (405, "MethodNotAllowed", "The specified method is not allowed")
    data = _collect(st, obs_proxy, max_attempts=2)
    assert data.security.public_buckets == ("assets",)  # public by ACL, before the policy
    [note] = [i for i in data.incomplete if i.source == "huawei:obs"]
    assert note.reason == "; ".join(
        f"{b}: MethodNotAllowed: The specified method is not allowed"
        for b in ("site", "logs", "backup", "zz-gone")
    )


def test_obs_is_not_asked_behind_an_endpoint_override_without_obs_endpoint(obs_proxy):
    st = _state()
    data = _collect(st, obs_proxy, obs_endpoint="")
    assert st.calls["obs_list"] == 0
    assert data.security.public_buckets == ()
    assert (
        Incomplete(
            "security",
            "huawei:obs",
            "the endpoint is overridden but obs_endpoint is not set: OBS buckets are addressed as "
            "<bucket>.<OBS host>, so OBS needs its own host name",
        )
        in data.incomplete
    )


def test_one_eip_failing_keeps_the_other_eips_events(obs_proxy):
    st = _state()
    st.ddos_logs["eip-1"] = []
    del st.ddos_logs["eip-2"]
    st.eips.append({"floating_ip_id": "eip-9", "floating_ip_address": "121.36.0.9"})
    st.ddos_logs["eip-9"] = [{"start_time": ms(9, 9), "end_time": ms(9, 10), "status": 2}]
    st.released_eips = {"eip-2"}  # released between the two calls: 404
    data = _collect(st, obs_proxy)
    assert [(e.target, e.detail) for e in data.security.events if e.kind == "ddos"] == [
        ("121.36.0.9", "black hole")
    ]
    assert (
        Incomplete("security", "huawei:antiddos", "121.36.0.2: 10001013: The EIP does not exist")
        in data.incomplete
    )


def test_no_eip_means_no_antiddos_note(obs_proxy):
    st = _state()
    st.eips, st.ddos_logs = [], {}
    data = _collect(st, obs_proxy)
    assert data.incomplete == ()
    assert _section(data).ddos_events == 0


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_the_report_shows_the_collected_figures(obs_proxy, lang):
    cloud = _collect(_state(), obs_proxy)
    data = ReportData("Acme", 2026, 10, OCT.start, OCT.end, PlatformData(), cloud)
    content = build_report(data)
    assert content.headline["security_findings"] == 3
    html = render_html(
        content,
        language=lang,
        generated_at=datetime(2026, 11, 1, 1, tzinfo=UTC),
        deadline=date(2026, 11, 10),
    ).html
    section = html.split('<section id="security">')[1].split("</section>")[0]
    if lang == "en":
        assert "4 users, 3 without MFA" in section
        assert "4 attacks, 3 blocked" in section
        assert "on · 4 attacks" in section
    else:
        assert "4 个用户，3 个未开启 MFA" in section
        assert "4 次攻击，已拦截 3 次" in section
    assert "assets, site" in section
    assert "<td>3</td>" in section  # DDoS events
    assert {
        "en": "huawei:antiddos — Anti-DDoS weekly statistics reach back four weeks only, so for "
        "2026-10-01 – 2026-10-31 only the Anti-DDoS events of the last 24 hours are counted.",
        "zh-hans": "huawei:antiddos — Anti-DDoS 周统计只保留最近四周，"
        "因此 2026-10-01 – 2026-10-31 只计入最近 24 小时内的 Anti-DDoS 事件。",
    }[lang] in section


# --------------------------------------------------------------------------- weekly Anti-DDoS


def _weeks() -> list[dict]:
    """Four weeks from Monday 2026-09-28: the first reaches into October by four days."""
    return [
        {"period_start_date": ms(28, month=9), "ddos_intercept_times": 10,
         "ddos_blackhole_times": 2},
        {"period_start_date": ms(5), "ddos_intercept_times": 0},
        {"period_start_date": ms(12), "ddos_intercept_times": 12_000},
        {"period_start_date": ms(19), "ddos_intercept_times": 7},
    ]  # fmt: skip


def test_weekly_statistics_count_the_month_and_name_the_days_they_miss(obs_proxy):
    st = _state()
    st.ddos_weeks = _weeks()
    data = _collect(st, obs_proxy)
    ddos = [(e.at, e.target, e.detail, e.count) for e in data.security.events if e.kind == "ddos"]
    assert ddos == [
        # the week of 09-28 starts in September: its event is clipped to the month's start
        (OCT.start, "Anti-DDoS", "week 2026-09-28 – 2026-10-04, 2 black hole", 10),
        (datetime(2026, 10, 11, 16, tzinfo=UTC), "Anti-DDoS", "week 2026-10-12 – 2026-10-18",
         12_000),
        (datetime(2026, 10, 18, 16, tzinfo=UTC), "Anti-DDoS", "week 2026-10-19 – 2026-10-25", 7),
        # a daily-log event after the last week; those of 10-01 and 10-15 are in their weeks
        (datetime(2026, 10, 31, 15, 59, tzinfo=UTC), "121.36.0.1", "black hole", 1),
    ]  # fmt: skip
    assert data.incomplete == (
        Incomplete(
            "security",
            "huawei:antiddos",
            "Anti-DDoS weekly statistics reach back four weeks only, so for 2026-10-26 – "
            "2026-10-31 only the Anti-DDoS events of the last 24 hours are counted.",
        ),
    )
    sec = _section(data)
    assert sec.ddos_events == 10 + 12_000 + 7 + 1
    assert [(d, n) for d, n, _w in sec.events_by_day if n] == [
        ("10-01", 10), ("10-12", 12_000), ("10-19", 7), ("10-31", 1)
    ]  # fmt: skip
    assert st.calls["ddos_weekly"] == 1


def test_weeks_covering_the_whole_month_leave_no_note(obs_proxy):
    st = _state()
    st.ddos_weeks = _weeks() + [{"period_start_date": ms(26), "ddos_intercept_times": 3}]
    data = _collect(st, obs_proxy)
    assert data.incomplete == ()
    assert _section(data).ddos_events == 10 + 12_000 + 7 + 3  # every daily event is in a week


def test_weeks_missing_in_the_middle_are_named_to_the_minute(obs_proxy):
    st = _state()
    # weeks that start at 09:30 (the service's own clock), with 10-12 09:30 .. 10-19 09:30 gone
    st.ddos_weeks = [
        {"period_start_date": ms(28, 9, 30, month=9), "ddos_intercept_times": 1},
        {"period_start_date": ms(5, 9, 30), "ddos_intercept_times": 1},
        {"period_start_date": ms(19, 9, 30), "ddos_intercept_times": 1},
        {"period_start_date": ms(26, 9, 30), "ddos_intercept_times": 1},
    ]
    data = _collect(st, obs_proxy)
    [note] = data.incomplete
    assert note.reason == (
        "Anti-DDoS weekly statistics reach back four weeks only, so for 2026-10-12 09:30 – "
        "2026-10-19 09:30 only the Anti-DDoS events of the last 24 hours are counted."
    )
    # 10-15 12:00 falls in the gap: the daily log still counts it
    assert [e.target for e in data.security.events if e.kind == "ddos"].count("121.36.0.2") == 1


def test_weekly_statistics_failing_keep_the_daily_events(obs_proxy):
    st = _state()
    st.ddos_weeks = _weeks()
    st.fail["ddos_weekly"] = (500, "10001000", "Internal error")
    data = _collect(st, obs_proxy, max_attempts=2)
    assert st.calls["ddos_weekly"] == 2  # 500 is retried once, then noted
    assert data.incomplete == (
        Incomplete("security", "huawei:antiddos", "10001000: Internal error"),
    )
    assert _section(data).ddos_events == 3  # the three daily-log events of October


def test_weekly_statistics_throttled_then_answering(obs_proxy):
    st = _state()
    st.ddos_weeks = _weeks()
    st.throttle["ddos_weekly"] = 2
    data = _collect(st, obs_proxy, max_attempts=3)
    assert st.calls["ddos_weekly"] == 3
    assert _section(data).ddos_events == 10 + 12_000 + 7 + 1


# --------------------------------------------------------------------------- Advanced Anti-DDoS


def _aad_event(ip: str, at: int, kind: str = "UDP flood", kbps: str = "1200000") -> dict:
    return {"zone_ip": ip, "start_time": str(at), "end_time": str(at + 600_000),
            "max_drop_kbps": kbps, "max_drop_pps": "90000", "max_in_kbps": kbps,
            "max_in_pps": "90000", "attack_types": kind, "attack_ips": "",
            "attack_ips_desc": "", "attack_status": "normal"}  # fmt: skip


def _aad_state() -> FakeState:
    st = _state()
    st.eips, st.ddos_logs = [], {}  # no basic Anti-DDoS: only AAD counts
    st.aad_instances = [
        {"instance_id": "aad-1", "instance_name": "shop-ddos", "ips": [], "instance_status": 0},
        {"instance_id": "aad-2", "instance_name": "api-ddos", "ips": [], "instance_status": 0},
    ]
    st.aad_events = {
        "aad-1": [
            _aad_event("139.9.0.1", ms(30, 23, month=9)),  # September
            _aad_event("139.9.0.1", ms(2, 8)),
            _aad_event("139.9.0.1", ms(31, 23, 50), "SYN flood", "800000"),
            _aad_event("139.9.0.1", ms(1, 0, 0, month=11)),  # November
        ],
        "aad-2": [_aad_event("139.9.0.2", ms(14, 3))],
    }
    return st


def test_advanced_anti_ddos_events_have_their_own_times(obs_proxy):
    st = _aad_state()
    data = _collect(st, obs_proxy)
    ddos = [(e.at, e.target, e.detail, e.count) for e in data.security.events if e.kind == "ddos"]
    assert ddos == [
        (datetime(2026, 10, 2, 0, tzinfo=UTC), "139.9.0.1", "UDP flood, 1200 Mbit/s", 1),
        (datetime(2026, 10, 13, 19, tzinfo=UTC), "139.9.0.2", "UDP flood, 1200 Mbit/s", 1),
        (datetime(2026, 10, 31, 15, 50, tzinfo=UTC), "139.9.0.1", "SYN flood, 800 Mbit/s", 1),
    ]
    assert data.incomplete == ()
    # one listing, then one events call per instance (the fake filters by the month window)
    assert st.calls["aad_instances"] == 1 and st.calls["aad_events"] == 2
    assert _section(data).ddos_events == 3


def test_advanced_anti_ddos_pages_and_throttling(obs_proxy, monkeypatch):
    from supportplan.reports.connectors.huawei import protection

    monkeypatch.setattr(protection, "PAGE", 2)  # Anti-DDoS, AAD and WAF list in pages of 2
    st = _aad_state()
    st.aad_events["aad-2"] = [_aad_event("139.9.0.2", ms(d, 12)) for d in range(1, 6)]
    st.throttle["aad_instances"] = 1
    st.throttle["aad_events"] = 2
    data = _collect(st, obs_proxy, max_attempts=3)
    assert st.calls["aad_instances"] == 2
    # aad-1: two events in the window, one page (+2 throttled); aad-2: 5 by 2 = 3 pages
    assert st.calls["aad_events"] == 1 + 2 + 3
    assert data.incomplete == ()
    assert _section(data).ddos_events == 2 + 5


def test_one_aad_instance_failing_keeps_the_others(obs_proxy):
    st = _aad_state()
    st.aad_instances.insert(0, {"instance_id": "aad-0", "instance_name": "old", "ips": []})
    st.released_aad = {"aad-0"}  # listed, but released before its events are asked: 404
    data = _collect(st, obs_proxy)
    assert data.incomplete == (
        Incomplete("security", "huawei:aad", "old: AAD.10001: The instance does not exist"),
    )
    assert _section(data).ddos_events == 3  # the two other instances' events


def test_aad_listing_failing_leaves_the_rest_filled(obs_proxy):
    st = _aad_state()
    st.fail["aad_instances"] = (403, "AAD.00000003", "no permission to aad:instance:list")
    data = _collect(st, obs_proxy, max_attempts=2)
    assert data.incomplete == (
        Incomplete("security", "huawei:aad", "AAD.00000003: no permission to aad:instance:list"),
    )
    s = data.security
    assert (s.iam_users, s.public_buckets, s.waf_enabled) == (4, ("assets", "site"), True)
    assert _section(data).ddos_events == 0 and _section(data).waf_attacks == 4


def test_aad_is_not_asked_without_the_domain_id(obs_proxy):
    st = _aad_state()
    with serve(HuaweiHandler, st) as ep:
        obs_proxy(ep)
        conn = _huawei(ep)
        conn.domain_id = ""
        data = conn.collect(OCT)
    assert st.calls["aad_instances"] == 0
    assert [i.source for i in data.incomplete] == ["huawei:iam"]  # the domain id note


# --------------------------------------------------------------------------- security groups


def _rule(rid: str, group: str, **kw) -> dict:
    """A VPC v3 rule: ingress, allow, from 0.0.0.0/0 unless told otherwise."""
    return {"id": rid, "security_group_id": group, "direction": "ingress", "action": "allow",
            "remote_ip_prefix": "0.0.0.0/0", **kw}  # fmt: skip


def _sg_state() -> FakeState:
    """Three servers sharing two groups. ECS names sg-ops by its id (the server details may
    give a UUID for the name); VPC knows its real name. sg-idle is on no server."""
    st = _state()
    web = {"name": "web-public", "id": "sg-web"}
    ops = {"name": "sg-ops", "id": "sg-ops"}
    st.instances = [
        {**st.instances[0], "id": f"srv-{i}", "name": f"app-{i}", "security_groups": groups}
        for i, groups in enumerate([[web, ops], [web], [ops, web]])
    ]
    st.vpc_groups = [
        {"id": "sg-idle", "name": "idle"},
        {"id": "sg-ops", "name": "ops-ssh"},
        {"id": "sg-web", "name": "web-public"},
    ]
    st.vpc_rules = [
        _rule("w1", "sg-web", protocol="tcp", multiport="80"),
        _rule("w2", "sg-web", protocol="tcp", multiport="443", ethertype="IPv6",
              remote_ip_prefix="::/0"),
        _rule("w3", "sg-web", protocol="tcp", multiport="443"),  # the same port again
        _rule("w4", "sg-web", protocol="tcp", multiport="22", remote_ip_prefix="10.0.0.0/8"),
        _rule("w5", "sg-web", direction="egress"),  # outbound: not a finding
        _rule("w6", "sg-web", protocol="tcp", multiport="3389", action="deny"),
        _rule("w7", "sg-web", protocol="tcp", multiport="8080", enabled=False),
        _rule("w8", "sg-web", remote_ip_prefix=None, remote_group_id="sg-web"),
        _rule("o1", "sg-ops", protocol="tcp", multiport="22,3000-3010,8443-8443"),
        _rule("o2", "sg-ops", protocol="icmp"),  # no ports: the protocol itself
        _rule("o3", "sg-ops", protocol="udp", ethertype="IPv6", remote_ip_prefix="::/0"),
        _rule("o4", "sg-ops", protocol="17", multiport="500"),  # an IP protocol number
        _rule("i1", "sg-idle"),  # every protocol from anywhere, but on no server
    ]  # fmt: skip
    return st


SG_EXPECTED = [
    ("sg-web", "web-public", ("tcp/443", "tcp/80"), "cn-north-4"),
    ("sg-ops", "ops-ssh", ("icmp", "tcp/22", "tcp/3000-3010", "tcp/8443", "udp", "udp/500"),
     "cn-north-4"),
]  # fmt: skip


def _groups(data: CloudData) -> list[tuple]:
    return [(g.id, g.name, g.open_to_world, g.region) for g in data.security.security_groups]


def test_security_groups_come_from_vpc_once_per_group(obs_proxy):
    st = _sg_state()
    data = _collect(st, obs_proxy)
    assert st.bad_signatures == 0
    assert _groups(data) == SG_EXPECTED
    # three servers, two groups: one name lookup for both, one rules lookup per group
    assert (st.calls["vpc_security_groups"], st.calls["vpc_security_group_rules"]) == (1, 2)
    asked = [q for route, q in st.requests if route.startswith("vpc_")]
    assert asked == [
        "id=sg-ops&id=sg-web&limit=100",  # the SDK sorts the query
        "limit=100&security_group_id=sg-web",
        "limit=100&security_group_id=sg-ops",
    ]
    assert data.incomplete == (ANTIDDOS_24H,)
    sec = _section(data)
    assert (sec.groups_total, [g.id for g in sec.groups_open]) == (2, ["sg-web", "sg-ops"])
    # users without MFA + two public buckets + the two open groups
    assert sec.findings == 5


def test_servers_without_groups_do_not_ask_vpc(obs_proxy):
    st = _state()  # its one server lists no security group
    data = _collect(st, obs_proxy)
    assert data.security.security_groups == ()
    assert st.calls["vpc_security_groups"] == st.calls["vpc_security_group_rules"] == 0


def test_security_groups_and_rules_are_paged_with_the_marker(obs_proxy, monkeypatch):
    from supportplan.reports.connectors.huawei import security

    monkeypatch.setattr(security, "PAGE", 3)
    monkeypatch.setattr(security, "SG_IDS_PER_CALL", 1)  # one group id per name lookup
    st = _sg_state()
    data = _collect(st, obs_proxy)
    assert _groups(data) == SG_EXPECTED
    asked = [q for route, q in st.requests if route.startswith("vpc_")]
    assert asked == [
        "id=sg-web&limit=3",
        "id=sg-ops&limit=3",
        "limit=3&security_group_id=sg-web",  # w1-w3
        "limit=3&marker=w3&security_group_id=sg-web",  # w4-w6
        "limit=3&marker=w6&security_group_id=sg-web",  # w7-w8, no next marker
        "limit=3&security_group_id=sg-ops",  # o1-o3
        "limit=3&marker=o3&security_group_id=sg-ops",  # o4
    ]


def test_vpc_throttling_is_retried_then_answers(obs_proxy):
    st = _sg_state()
    st.throttle["vpc_security_groups"] = 1
    st.throttle["vpc_security_group_rules"] = 2
    data = _collect(st, obs_proxy)
    assert _groups(data) == SG_EXPECTED
    assert (st.calls["vpc_security_groups"], st.calls["vpc_security_group_rules"]) == (2, 4)
    assert data.incomplete == (ANTIDDOS_24H,)


def test_vpc_failing_marks_the_security_groups_and_keeps_the_rest(obs_proxy):
    st = _sg_state()
    st.fail["vpc_security_group_rules"] = (
        403,
        "VPC.0002",
        "Policy doesn't allow vpc:securityGroupRules:get to be performed.",
    )
    data = _collect(st, obs_proxy)
    assert st.calls["vpc_security_group_rules"] == 1  # not asked again for the other group
    assert data.security.security_groups == ()
    assert data.incomplete == (
        Incomplete(
            "security",
            "huawei:vpc",
            "VPC.0002: Policy doesn't allow vpc:securityGroupRules:get to be performed.",
        ),
        ANTIDDOS_24H,
    )
    s = data.security
    assert (s.iam_users, s.public_buckets, s.waf_enabled) == (4, ("assets", "site"), True)
    assert len(data.resources) == 3


def test_groups_read_before_a_failing_group_stay(obs_proxy):
    st = _sg_state()
    st.fail["vpc_security_group_rules:sg-ops"] = (500, "VPC.0500", "System error.")
    data = _collect(st, obs_proxy, max_attempts=2)
    assert _groups(data) == SG_EXPECTED[:1]
    assert st.calls["vpc_security_group_rules"] == 1 + 2  # sg-web, then sg-ops tried twice
    assert data.incomplete == (
        Incomplete("security", "huawei:vpc", "VPC.0500: System error."),
        ANTIDDOS_24H,
    )
