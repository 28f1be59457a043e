"""The seed catalogs as parsed values: every row of SPEC §1.1-1.3, asserted exactly."""

from datetime import timedelta
from decimal import Decimal

import pytest

from supportplan.catalog.domain import NotInCatalog, NotInPlan, Text, detect_software, scope_check

M = timedelta(minutes=1)
H = timedelta(hours=1)


# ---------------------------------------------------------------- §1.1 partner


def test_partner_provider(partner):
    assert partner.provider.code == "partner"
    assert partner.provider.currency == "CNY"
    assert partner.provider.name.get("zh-hans") == "软通动力"


@pytest.mark.parametrize(
    ("plan", "price", "tier", "channels", "zh", "en"),
    [
        ("basic", "480", "engineer", ["hotline", "ticket"], "基础级", "Basic"),
        (
            "dedicated",
            "26000",
            "expert",
            ["hotline", "ticket", "phone_line", "im_group"],
            "专属级",
            "Dedicated",
        ),
        (
            "vip",
            "50000",
            "senior_expert",
            ["hotline", "ticket", "phone_line", "im_group"],
            "VIP级",
            "VIP",
        ),
    ],
)
def test_partner_plans(partner, plan, price, tier, channels, zh, en):
    p = partner.plan(plan)
    assert p.monthly_price == Decimal(price)
    assert p.annual_price == Decimal(price) * 12
    assert p.handler_tier == tier
    assert [c.code for c in p.channels] == channels
    assert (p.name.get("zh-hans"), p.name.get("en")) == (zh, en)
    assert p.purchasable is True
    assert p.default is False
    assert p.billing_terms == ("monthly", "annual")


def test_partner_plan_order_and_no_default(partner):
    assert [p.code for p in partner.plans] == ["basic", "dedicated", "vip"]
    assert partner.default_plan() is None


@pytest.mark.parametrize(
    ("plan", "targets"),
    [
        (
            "basic",
            {
                "production_down": 30 * M,
                "production_abnormal": 3 * H,
                "system_abnormal": 8 * H,
                "general_guidance": 16 * H,
            },
        ),
        (
            "dedicated",
            {
                "core_production_down": 10 * M,
                "production_down": 30 * M,
                "production_abnormal": 3 * H,
                "system_abnormal": 8 * H,
                "general_guidance": 16 * H,
            },
        ),
        (
            "vip",
            {
                "core_production_down": 10 * M,
                "production_down": 30 * M,
                "production_abnormal": 3 * H,
                "system_abnormal": 8 * H,
                "general_guidance": 16 * H,
            },
        ),
    ],
)
def test_partner_first_response_targets(partner, plan, targets):
    p = partner.plan(plan)
    assert {s.code: p.target_for(s.code).first_response for s in p.severities} == targets
    assert [s.code for s in p.severities] == list(targets)  # most severe first
    for code in targets:
        assert p.target_for(code).resolution is None
        assert p.target_for(code).next_response is None


def test_basic_cannot_file_core_production_down(partner):
    with pytest.raises(NotInPlan) as err:
        partner.plan("basic").target_for("core_production_down")
    assert (err.value.kind, err.value.code, err.value.plan_code) == (
        "severity",
        "core_production_down",
        "basic",
    )
    assert [p.code for p in partner.plans_including_severity("core_production_down")] == [
        "dedicated",
        "vip",
    ]


@pytest.mark.parametrize(
    ("severity", "order", "urgent", "classes", "zh"),
    [
        ("core_production_down", 1, True, ("core_production",), "核心生产系统不可用"),
        ("production_down", 2, True, ("core_production", "production"), "生产系统不可用"),
        ("production_abnormal", 3, False, ("core_production", "production"), "生产系统异常"),
        (
            "system_abnormal",
            4,
            False,
            ("core_production", "production", "non_production"),
            "系统异常",
        ),
        (
            "general_guidance",
            5,
            False,
            ("core_production", "production", "non_production"),
            "一般性指导",
        ),
    ],
)
def test_partner_severities(partner, severity, order, urgent, classes, zh):
    s = partner.severity(severity)
    assert (s.order, s.urgent, s.system_classes, s.name.get("zh-hans")) == (
        order,
        urgent,
        classes,
        zh,
    )
    assert s.definition.zh_hans and s.definition.en


def test_production_down_does_not_fit_a_non_production_system(partner):
    assert partner.severity("production_down").fits("non_production") is False
    assert partner.severity("production_down").fits("production") is True
    assert partner.severity("core_production_down").fits("production") is False
    assert partner.severity("general_guidance").fits("non_production") is True


@pytest.mark.parametrize(
    ("channel", "calendar", "contact_en", "staff_logged", "plans"),
    [
        ("hotline", "7x24", "950808 ext. 6", True, ["basic", "dedicated", "vip"]),
        (
            "ticket",
            "7x24",
            "https://console.huaweicloud.com/ticket",
            False,
            ["basic", "dedicated", "vip"],
        ),
        ("phone_line", "7x24", None, True, ["dedicated", "vip"]),
        ("im_group", "5x8", None, False, ["dedicated", "vip"]),
    ],
)
def test_partner_channels(partner, channel, calendar, contact_en, staff_logged, plans):
    c = partner.channel(channel)
    assert c.calendar == calendar
    assert (c.contact.get("en") if c.contact else None) == contact_en
    assert c.staff_logged is staff_logged
    assert [p.code for p in partner.plans_including_channel(channel)] == plans


def test_partner_hotline_contact_in_chinese(partner):
    assert partner.channel("hotline").contact.get("zh-hans") == "950808转6"


def test_partner_im_group_is_welink_or_wecom(partner):
    assert [p.code for p in partner.channel("im_group").platforms] == ["welink", "wecom"]


@pytest.mark.parametrize(
    ("plan", "features"),
    [
        (
            "basic",
            [
                "third_party_support",
                "developer_center",
                "help_center",
                "community",
                "message_center",
                "icp_filing_center",
                "online_training",
            ],
        ),
        (
            "dedicated",
            [
                "third_party_support",
                "developer_center",
                "help_center",
                "community",
                "message_center",
                "icp_filing_center",
                "online_training",
                "monthly_report",
            ],
        ),
        (
            "vip",
            [
                "third_party_support",
                "developer_center",
                "help_center",
                "community",
                "message_center",
                "icp_filing_center",
                "online_training",
                "tam",
                "enterprise_care",
                "monthly_report",
            ],
        ),
    ],
)
def test_partner_features(partner, plan, features):
    assert [f.code for f in partner.plan(plan).features] == features


def test_partner_tam_works_5x8(partner):
    assert partner.feature("tam").calendar == "5x8"
    assert partner.plan("vip").staff_roles() == ("tam",)
    assert partner.plan("dedicated").staff_roles() == ()


@pytest.mark.parametrize(
    ("plan", "service", "quota", "max_requests", "unit"),
    [
        ("vip", "availability_check", 1, None, "times"),
        ("vip", "monitoring_optimisation", 1, None, "times"),
        ("vip", "escort", 3, None, "natural_days"),
        ("dedicated", "escort", 1, 1, "natural_days"),
    ],
)
def test_partner_service_quotas(partner, plan, service, quota, max_requests, unit):
    grant = partner.plan(plan).grant_for(service)
    assert (grant.quota, grant.max_requests, grant.service.unit) == (quota, max_requests, unit)
    assert grant.annual_only is True
    assert grant.available_on("monthly") is False
    assert grant.paid is False
    assert grant.service.locks_order is True


def test_partner_service_plans(partner):
    assert [p.code for p in partner.plans_including_service("availability_check")] == ["vip"]
    assert [p.code for p in partner.plans_including_service("monitoring_optimisation")] == ["vip"]
    assert [p.code for p in partner.plans_including_service("escort")] == ["dedicated", "vip"]
    assert partner.plan("basic").services == ()


@pytest.mark.parametrize(
    ("service", "days", "enforcement"),
    [
        ("availability_check", 3, "required"),
        ("monitoring_optimisation", 3, "required"),
        ("escort", 10, "recommended"),
    ],
)
def test_partner_lead_times(partner, service, days, enforcement):
    lead = partner.service(service).lead_time
    assert (lead.working_days, lead.enforcement, lead.required) == (
        days,
        enforcement,
        enforcement == "required",
    )


def test_escort_days_are_whole_and_urgent_events_get_10_minutes(partner):
    escort = partner.service("escort")
    assert escort.whole_days is True
    assert escort.urgent_first_response == 10 * M
    assert escort.during_calendar == "7x24"


# ---------------------------------------------------------------- §1.2 Tencent


@pytest.mark.parametrize(
    ("plan", "purchasable", "default", "tier", "terms", "zh"),
    [
        ("s4", False, True, "engineer", (), "S4 基础版"),
        ("s3", True, False, "engineer", ("monthly", "annual"), "S3 商业版"),
        ("s2", True, False, "expert", ("monthly", "annual"), "S2 企业版"),
        ("s1", True, False, "senior_expert", ("monthly", "annual"), "S1 旗舰版"),
    ],
)
def test_tencent_plans(tencent, plan, purchasable, default, tier, terms, zh):
    p = tencent.plan(plan)
    assert (p.purchasable, p.default, p.handler_tier, p.billing_terms) == (
        purchasable,
        default,
        tier,
        terms,
    )
    assert p.name.get("zh-hans") == zh
    assert p.requires_technical_contact is purchasable


def test_tencent_default_plan_is_free_s4(tencent):
    s4 = tencent.default_plan()
    assert s4.code == "s4"
    assert s4.monthly_price == Decimal("0")
    assert s4.response_note.get("en") == "Accepted within 2 hours (any severity)"
    assert [p.code for p in tencent.plans] == ["s4", "s3", "s2", "s1"]


@pytest.mark.parametrize(
    ("plan", "down", "abnormal", "question"),
    [
        ("s4", 2 * H, 2 * H, 2 * H),
        ("s3", 30 * M, 1 * H, 2 * H),
        ("s2", 15 * M, 30 * M, 1 * H),
        ("s1", 15 * M, 30 * M, 1 * H),
    ],
)
def test_tencent_first_response_targets(tencent, plan, down, abnormal, question):
    p = tencent.plan(plan)
    assert p.target_for("business_down").first_response == down
    assert p.target_for("business_abnormal").first_response == abnormal
    assert p.target_for("usage_question").first_response == question


@pytest.mark.parametrize(
    ("plan", "channels", "hotline_name"),
    [
        ("s4", ["hotline", "ticket"], "热线电话"),
        ("s3", ["hotline", "ticket"], "热线电话"),
        ("s2", ["hotline", "ticket", "im_group"], "专属服务热线"),
        ("s1", ["hotline", "ticket", "im_group"], "专属服务热线"),
    ],
)
def test_tencent_channels(tencent, plan, channels, hotline_name):
    p = tencent.plan(plan)
    assert [c.code for c in p.channels] == channels
    assert p.channel("hotline").name.get("zh-hans") == hotline_name
    assert p.channel("hotline").dedicated is (hotline_name == "专属服务热线")


def test_tencent_channel_details(tencent):
    assert tencent.channel("hotline").contact.get("en") == "95716"
    assert tencent.channel("hotline").calendar == "7x24"
    assert tencent.channel("hotline").staff_logged is True
    assert tencent.channel("ticket").calendar == "7x24"
    assert tencent.channel("im_group").calendar == "7x24"
    assert [p.code for p in tencent.plans_including_channel("im_group")] == ["s2", "s1"]


@pytest.mark.parametrize(
    ("feature", "plans"),
    [
        ("help_docs", ["s4", "s3", "s2", "s1"]),
        ("smart_assistant", ["s4", "s3", "s2", "s1"]),
        ("community", ["s4", "s3", "s2", "s1"]),
        ("message_subscription", ["s4", "s3", "s2", "s1"]),
        ("api_sdk", ["s4", "s3", "s2", "s1"]),
        ("third_party_support", ["s4", "s3", "s2", "s1"]),
        ("tam", ["s1"]),
        ("business_manager", ["s2", "s1"]),
        ("architect", ["s1"]),
        ("showcase", ["s1"]),
    ],
)
def test_tencent_features(tencent, feature, plans):
    assert [p.code for p in tencent.plans_including_feature(feature)] == plans


def test_tencent_expert_escort_is_a_paid_add_on(tencent):
    assert [p.code for p in tencent.plans_including_service("expert_escort")] == ["s2", "s1"]
    grant = tencent.plan("s2").grant_for("expert_escort")
    assert (grant.paid, grant.quota, grant.quota_limited) == (True, None, False)
    assert grant.service.price == Decimal("8000")
    assert grant.service.unit == "natural_days"
    assert grant.service.locks_order is False
    assert tencent.plan("s1").staff_roles() == ("tam", "business_manager", "architect")


# ---------------------------------------------------------------- lookups and texts


def test_unknown_codes_name_the_known_ones(partner):
    with pytest.raises(NotInCatalog) as err:
        partner.plan("gold")
    assert err.value.known == ["basic", "dedicated", "vip"]
    with pytest.raises(NotInPlan):
        partner.plan("basic").channel("im_group")
    with pytest.raises(NotInPlan):
        partner.plan("basic").grant_for("escort")
    with pytest.raises(NotInPlan):
        partner.plan("basic").price_for("quarterly")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh-hans", "中"),
        ("zh-Hans", "中"),
        ("zh_CN", "中"),
        ("zh", "中"),
        ("en", "E"),
        ("fr", "E"),
        (None, "E"),
    ],
)
def test_text_get(lang, expected):
    assert Text(zh_hans="中", en="E").get(lang) == expected


# ---------------------------------------------------------------- §1.3 third-party scope


@pytest.mark.parametrize(
    ("provider", "software", "version", "platform", "in_scope", "reason_code", "matched"),
    [
        # issue 4's examples
        ("partner", "OpenVPN", "2.3", None, True, "in_scope", ">2.1"),
        ("tencent", "OpenVPN", "2.3", None, False, "version_not_supported", None),
        ("partner", "MySQL", "8.0", None, False, "version_not_supported", None),
        ("tencent", "MySQL", "8.0", None, False, "version_not_supported", None),
        ("tencent", "SQL Server", "2008 R2 SP3", None, True, "in_scope", "2008 R2 SP3"),
        # more of §1.3
        ("tencent", "openvpn", "2.4.12", "linux", True, "in_scope", ">=2.4"),
        ("partner", "open vpn", "2.1", "windows", False, "version_not_supported", None),
        ("partner", "mysql", "5.5.62", "linux", True, "in_scope", "5.x"),
        ("tencent", "mysql", "5.6.51", "windows", True, "in_scope", "5.6"),
        ("tencent", "mysql", "5.7", "CentOS 7.9", True, "in_scope", "5.7"),
        ("tencent", "mysql", "5.5", None, False, "version_not_supported", None),
        ("partner", "SQL Server", "2008", None, True, "in_scope", "2008"),
        ("partner", "mssql", "2012", "windows", True, "in_scope", "2012"),
        ("partner", "SQL Server", "2016", None, False, "version_not_supported", None),
        ("tencent", "SQL Server", "2012 SP3", None, True, "in_scope", "2012 SP3"),
        ("tencent", "SQL Server", "2016", "Windows Server 2019", True, "in_scope", "2016"),
        ("tencent", "SQL Server", "2012", None, False, "version_incomplete", None),
        ("tencent", "SQL Server", "2008", None, False, "version_incomplete", None),
        ("tencent", "SQL Server", "2008 R2 SP2", None, False, "version_not_supported", None),
        ("tencent", "SQL Server", "2016", "linux", False, "platform_not_supported", None),
        ("tencent", "vsftpd", "3.0.2", "linux", True, "in_scope", ">=3.0"),
        ("tencent", "vsftpd", "2.3.4", "linux", False, "version_not_supported", None),
        ("tencent", "vsftpd", "3.0.2", "windows", False, "platform_not_supported", None),
        ("tencent", "FileZilla Server", "0.9.60.2", "windows", True, "in_scope", "0.9.60.2"),
        ("tencent", "filezilla", "1.8.0", "windows", False, "version_not_supported", None),
        ("partner", "vsftpd", "3.0.2", "linux", False, "not_in_catalog", None),
        ("partner", "FileZilla Server", "0.9.60.2", "windows", False, "not_in_catalog", None),
        ("partner", "apache", "2.4.58", "linux", True, "in_scope", "2.2+"),
        ("tencent", "httpd", "2.0.65", None, False, "version_not_supported", None),
        ("tencent", "nginx", "1.18.0", "ubuntu", True, "in_scope", "1.8+"),
        ("partner", "nginx", "1.6.3", None, False, "version_not_supported", None),
        ("partner", "IIS", "10.0", "windows", True, "in_scope", "7.0+"),
        ("tencent", "IIS", "6.0", "windows", False, "version_not_supported", None),
        ("partner", "IIS", "10.0", "linux", False, "platform_not_supported", None),
        # native tools: any version on the right platform
        ("partner", "ssh", None, "linux", True, "in_scope", "*"),
        ("tencent", "SSH", "OpenSSH_7.4", None, True, "in_scope", "*"),
        ("partner", "ssh", None, "windows", False, "platform_not_supported", None),
        ("partner", "SCP", None, "linux", True, "in_scope", "*"),
        ("tencent", "rsync", "3.1.2", "linux", True, "in_scope", "*"),
        ("partner", "rsync", "3.1.2", "linux", False, "not_in_catalog", None),
        ("partner", "sftp", None, None, True, "in_scope", "*"),
        ("tencent", "mstsc", None, "windows", True, "in_scope", "*"),
        ("tencent", "mstsc", None, "linux", False, "platform_not_supported", None),
        ("partner", "iptables", None, "linux", True, "in_scope", "*"),
        ("tencent", "firewalld", None, "linux", True, "in_scope", "*"),
        ("partner", "Windows firewall", None, "windows", True, "in_scope", "*"),
        ("tencent", "windows 防火墙", None, "linux", False, "platform_not_supported", None),
        # outside the catalog or missing information
        ("partner", "Redis", "6.2", "linux", False, "not_in_catalog", None),
        ("tencent", "Tomcat", "9", None, False, "not_in_catalog", None),
        ("partner", "mysql", None, "linux", False, "version_missing", None),
        ("tencent", "mysql", "5.7", "macos", False, "unknown_platform", None),
    ],
)
def test_scope_check(
    partner, tencent, provider, software, version, platform, in_scope, reason_code, matched
):
    catalog = partner if provider == "partner" else tencent
    result = scope_check(catalog, software, version, platform)
    assert (result.in_scope, result.reason_code, result.matched) == (in_scope, reason_code, matched)
    assert result.reason.zh_hans and result.reason.en
    if reason_code in ("not_in_catalog", "version_not_supported", "platform_not_supported"):
        assert (
            result.where_to_go == catalog.out_of_scope_entry("software_not_in_catalog").where_to_go
        )
    else:
        assert result.where_to_go is None


def test_scope_texts_exact(partner, tencent):
    out = scope_check(tencent, "openvpn", "2.3", None)
    assert out.reason.en == "OpenVPN 2.3 is outside the supported versions (>=2.4)."
    assert out.reason.zh_hans == "OpenVPN 2.3 不在支持的版本范围内（支持的版本：>=2.4）。"
    assert (
        out.where_to_go.zh_hans == "此类问题可反馈软件提供商，或联系腾讯云云市场相关商家寻求帮助。"
    )
    assert out.entry.code == "openvpn"
    unknown = scope_check(partner, "Redis", "6.2", None)
    assert unknown.reason.en == "“Redis” is not in iSoftStone's third-party software catalog."
    assert unknown.entry is None
    assert unknown.where_to_go.en.startswith("Please ask the software's vendor or its community")


@pytest.mark.parametrize(
    ("provider", "text", "expected"),
    [
        (
            "tencent",
            "CentOS 7 上 MySQL 5.7 连不上，nginx/1.18.0 报 502",
            [("mysql", "5.7", "linux"), ("nginx", "1.18.0", "linux")],
        ),
        (
            "tencent",
            "Our SQL Server 2008 R2 SP3 on Windows Server 2012 refuses logins",
            [("sql_server", "2008 R2 SP3", "windows")],
        ),
        ("partner", "openvpn 2.3 client cannot connect", [("openvpn", "2.3", None)]),
        ("partner", "We use OpenVPN (version 2.5.1); it fails", [("openvpn", "2.5.1", None)]),
        ("partner", "OpenVPN版本号：2.4.9", [("openvpn", "2.4.9", None)]),
        ("partner", "mysql is slow. mysql 8.0.32 on ubuntu", [("mysql", "8.0.32", "linux")]),
        ("tencent", "Windows 防火墙 如何放行 3389 端口", [("windows_firewall", None, "windows")]),
        ("tencent", "vsftpd v3.0.2 and rsync", [("vsftpd", "3.0.2", None), ("scp", None, None)]),
        ("partner", "IIS7.5 网站打不开", [("iis", "7.5", None)]),
        ("partner", "MySQL server 5.6 down", [("mysql", None, None)]),
        ("partner", "my application crashes", []),
        ("partner", "sshd will not start; sftp too", [("ssh", None, None), ("sftp", None, None)]),
    ],
)
def test_detect_software(partner, tencent, provider, text, expected):
    catalog = partner if provider == "partner" else tencent
    found = detect_software(catalog, text)
    assert [(d.software.code, d.version, d.platform) for d in found] == expected
