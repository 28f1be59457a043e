"""The catalog API returns exactly the seed tables (SPEC §1.1-1.3), value by value."""

from pathlib import Path

import pytest
import yaml

from supportplan.accounts.models import Role
from supportplan.catalog.services import catalog_load
from supportplan.core.testing import T0, api_client, make_user

pytestmark = pytest.mark.django_db

CATALOG_DIR = Path(__file__).resolve().parents[3] / "catalogs"
BASE = "/api/catalog/providers"


@pytest.fixture
def client():
    for name in ("partner", "tencent"):
        catalog_load(source=CATALOG_DIR / f"{name}.yaml", actor=None, now=T0)
    return api_client(make_user(Role.CUSTOMER_MEMBER))


def get(client, path, **params):
    response = client.get(f"{BASE}{path}", params)
    assert response.status_code == 200, response.json()
    return response.json()


def by_code(rows, key="code"):
    return {row[key]: row for row in rows}


# ------------------------------------------------------------------ providers


def test_providers(client):
    rows = get(client, "/")
    assert [
        (r["code"], r["name"], r["currency"], r["default_plan"], r["plans"], r["catalog_version"])
        for r in rows
    ] == [
        (
            "partner",
            {"zh-hans": "软通动力", "en": "iSoftStone"},
            "CNY",
            None,
            ["basic", "dedicated", "vip"],
            1,
        ),
        (
            "tencent",
            {"zh-hans": "腾讯云", "en": "Tencent Cloud"},
            "CNY",
            "s4",
            ["s4", "s3", "s2", "s1"],
            1,
        ),
    ]
    assert rows[0]["loaded_at"] == "2026-11-23T02:00:00Z"
    assert get(client, "/tencent/")["code"] == "tencent"


# ------------------------------------------------------------------ §1.1 partner plans

PARTNER_PLANS = {
    # code: (zh, en, monthly, annual, handler tier)
    "basic": ("基础级", "Basic", "480.00", "5760.00", "engineer"),
    "dedicated": ("专属级", "Dedicated", "26000.00", "312000.00", "expert"),
    "vip": ("VIP级", "VIP", "50000.00", "600000.00", "senior_expert"),
}

PARTNER_CHANNELS = {
    "basic": [("hotline", "7x24", False), ("ticket", "7x24", False)],
    "dedicated": [
        ("hotline", "7x24", False),
        ("ticket", "7x24", False),
        ("phone_line", "7x24", False),
        ("im_group", "5x8", False),
    ],
}
PARTNER_CHANNELS["vip"] = PARTNER_CHANNELS["dedicated"]

PARTNER_TARGETS = {
    "basic": [
        ("production_down", 30),
        ("production_abnormal", 180),
        ("system_abnormal", 480),
        ("general_guidance", 960),
    ],
    "dedicated": [
        ("core_production_down", 10),
        ("production_down", 30),
        ("production_abnormal", 180),
        ("system_abnormal", 480),
        ("general_guidance", 960),
    ],
}
PARTNER_TARGETS["vip"] = PARTNER_TARGETS["dedicated"]

SELF_SERVICE = [
    "developer_center",
    "help_center",
    "community",
    "message_center",
    "icp_filing_center",
    "online_training",
]
PARTNER_FEATURES = {
    "basic": ["third_party_support", *SELF_SERVICE],
    "dedicated": ["third_party_support", *SELF_SERVICE, "monthly_report"],
    "vip": ["third_party_support", *SELF_SERVICE, "tam", "enterprise_care", "monthly_report"],
}

# (service, quota, max_requests, paid, terms, unit, lead days, enforcement, locks order)
PARTNER_SERVICES = {
    "basic": [],
    "dedicated": [
        ("escort", 1, 1, False, ["annual"], "natural_days", 10, "recommended", True),
    ],
    "vip": [
        ("availability_check", 1, None, False, ["annual"], "times", 3, "required", True),
        ("monitoring_optimisation", 1, None, False, ["annual"], "times", 3, "required", True),
        ("escort", 3, None, False, ["annual"], "natural_days", 10, "recommended", True),
    ],
}


def _plan_tuple(plan):
    return {
        "channels": [(c["code"], c["calendar"], c["dedicated"]) for c in plan["channels"]],
        "targets": [(s["severity"], s["first_response_minutes"]) for s in plan["severities"]],
        "features": [f["code"] for f in plan["features"]],
        "services": [
            (
                g["service"]["code"],
                g["quota"],
                g["max_requests"],
                g["paid"],
                g["terms"],
                g["service"]["unit"],
                (g["service"]["lead_time"] or {}).get("working_days"),
                (g["service"]["lead_time"] or {}).get("enforcement"),
                g["service"]["locks_order"],
            )
            for g in plan["services"]
        ],
    }


@pytest.mark.parametrize("code", ["basic", "dedicated", "vip"])
def test_partner_plan(client, code):
    plan = get(client, f"/partner/plans/{code}/")
    zh, en, monthly, annual, tier = PARTNER_PLANS[code]
    assert plan["name"] == {"zh-hans": zh, "en": en}
    assert (plan["monthly_price"], plan["annual_price"], plan["currency"]) == (
        monthly,
        annual,
        "CNY",
    )
    assert (plan["purchasable"], plan["default"], plan["billing_terms"]) == (
        True,
        False,
        ["monthly", "annual"],
    )
    assert plan["handler_tier"] == tier
    shape = _plan_tuple(plan)
    assert shape["channels"] == PARTNER_CHANNELS[code]
    assert shape["targets"] == PARTNER_TARGETS[code]
    assert shape["features"] == PARTNER_FEATURES[code]
    assert shape["services"] == PARTNER_SERVICES[code]
    for target in plan["severities"]:
        assert (target["resolution_minutes"], target["next_response_minutes"]) == (None, None)


def test_partner_plans_list_matches_the_detail(client):
    plans = get(client, "/partner/plans/")
    assert [p["code"] for p in plans] == ["basic", "dedicated", "vip"]
    assert plans[2] == get(client, "/partner/plans/vip/")


def test_partner_escort_urgent_response_and_hours(client):
    escort = by_code(get(client, "/partner/services/"))["escort"]
    assert escort["urgent_first_response_minutes"] == 10
    assert escort["during_calendar"] == "7x24"
    assert escort["whole_days"] is True
    assert escort["grants"] == [
        {
            "plan": "dedicated",
            "quota": 1,
            "max_requests": 1,
            "paid": False,
            "terms": ["annual"],
            "annual_only": True,
        },
        {
            "plan": "vip",
            "quota": 3,
            "max_requests": None,
            "paid": False,
            "terms": ["annual"],
            "annual_only": True,
        },
    ]


def test_partner_tam_hours(client):
    vip = get(client, "/partner/plans/vip/")
    tam = by_code(vip["features"])["tam"]
    assert (tam["calendar"], tam["staff_role"]) == ("5x8", "tam")
    assert tam["name"] == {"zh-hans": "专属技术服务经理", "en": "Technical account manager (TAM)"}


def test_self_service_features_carry_their_links(client):
    basic = by_code(get(client, "/partner/plans/basic/")["features"])
    assert (basic["help_center"]["url"], basic["third_party_support"]["url"]) == (
        "https://support.huaweicloud.com/",
        None,
    )
    s3 = by_code(get(client, "/tencent/plans/s3/")["features"])
    assert s3["message_subscription"]["url"] == (
        "https://console.cloud.tencent.com/message/subscription"
    )


def test_partner_channels(client):
    channels = by_code(get(client, "/partner/channels/"))
    assert [
        (
            c["code"],
            c["calendar"],
            c["contact"],
            c["staff_logged"],
            [p["code"] for p in c["platforms"]],
            c["plans"],
        )
        for c in channels.values()
    ] == [
        (
            "hotline",
            "7x24",
            {"zh-hans": "950808转6", "en": "950808 ext. 6"},
            True,
            [],
            ["basic", "dedicated", "vip"],
        ),
        (
            "ticket",
            "7x24",
            {
                "zh-hans": "https://console.huaweicloud.com/ticket",
                "en": "https://console.huaweicloud.com/ticket",
            },
            False,
            [],
            ["basic", "dedicated", "vip"],
        ),
        ("phone_line", "7x24", None, True, [], ["dedicated", "vip"]),
        ("im_group", "5x8", None, False, ["welink", "wecom"], ["dedicated", "vip"]),
    ]
    assert channels["im_group"]["platforms"][1]["name"] == {"zh-hans": "企业微信", "en": "WeCom"}


def test_partner_severities_with_targets(client):
    rows = get(client, "/partner/severities/")
    assert [
        (
            s["code"],
            s["order"],
            s["urgent"],
            s["name"]["zh-hans"],
            s["system_classes"],
            [(t["plan"], t["first_response_minutes"]) for t in s["targets"]],
        )
        for s in rows
    ] == [
        (
            "core_production_down",
            1,
            True,
            "核心生产系统不可用",
            ["core_production"],
            [("dedicated", 10), ("vip", 10)],
        ),
        (
            "production_down",
            2,
            True,
            "生产系统不可用",
            ["core_production", "production"],
            [("basic", 30), ("dedicated", 30), ("vip", 30)],
        ),
        (
            "production_abnormal",
            3,
            False,
            "生产系统异常",
            ["core_production", "production"],
            [("basic", 180), ("dedicated", 180), ("vip", 180)],
        ),
        (
            "system_abnormal",
            4,
            False,
            "系统异常",
            ["core_production", "production", "non_production"],
            [("basic", 480), ("dedicated", 480), ("vip", 480)],
        ),
        (
            "general_guidance",
            5,
            False,
            "一般性指导",
            ["core_production", "production", "non_production"],
            [("basic", 960), ("dedicated", 960), ("vip", 960)],
        ),
    ]
    assert rows[4]["definition"]["zh-hans"].startswith("即非故障性求助")
    assert rows[2]["definition"]["en"].startswith("A production system (not a test")


# ------------------------------------------------------------------ §1.2 Tencent plans

TENCENT_PLANS = {
    # code: (zh, monthly, purchasable, default, terms, tier, technical contact)
    "s4": ("S4 基础版", "0.00", False, True, [], "engineer", False),
    "s3": ("S3 商业版", "3000.00", True, False, ["monthly", "annual"], "engineer", True),
    "s2": ("S2 企业版", "20000.00", True, False, ["monthly", "annual"], "expert", True),
    "s1": ("S1 旗舰版", "60000.00", True, False, ["monthly", "annual"], "senior_expert", True),
}
TENCENT_CHANNELS = {
    "s4": [("hotline", "7x24", False), ("ticket", "7x24", False)],
    "s3": [("hotline", "7x24", False), ("ticket", "7x24", False)],
    "s2": [("hotline", "7x24", True), ("ticket", "7x24", False), ("im_group", "7x24", False)],
    "s1": [("hotline", "7x24", True), ("ticket", "7x24", False), ("im_group", "7x24", False)],
}
TENCENT_TARGETS = {
    "s4": [("business_down", 120), ("business_abnormal", 120), ("usage_question", 120)],
    "s3": [("business_down", 30), ("business_abnormal", 60), ("usage_question", 120)],
    "s2": [("business_down", 15), ("business_abnormal", 30), ("usage_question", 60)],
    "s1": [("business_down", 15), ("business_abnormal", 30), ("usage_question", 60)],
}
TENCENT_SELF = [
    "help_docs",
    "smart_assistant",
    "community",
    "message_subscription",
    "api_sdk",
    "third_party_support",
]
TENCENT_FEATURES = {
    "s4": TENCENT_SELF,
    "s3": TENCENT_SELF,
    "s2": [*TENCENT_SELF, "business_manager"],
    "s1": [*TENCENT_SELF, "tam", "business_manager", "architect", "showcase"],
}
ESCORT_ADDON = (
    "expert_escort",
    None,
    None,
    True,
    ["monthly", "annual"],
    "natural_days",
    None,
    None,
    False,
)
TENCENT_SERVICES = {"s4": [], "s3": [], "s2": [ESCORT_ADDON], "s1": [ESCORT_ADDON]}


@pytest.mark.parametrize("code", ["s4", "s3", "s2", "s1"])
def test_tencent_plan(client, code):
    plan = get(client, f"/tencent/plans/{code}/")
    zh, monthly, purchasable, default, terms, tier, contact = TENCENT_PLANS[code]
    assert plan["name"]["zh-hans"] == zh
    assert (plan["monthly_price"], plan["purchasable"], plan["default"]) == (
        monthly,
        purchasable,
        default,
    )
    assert (plan["billing_terms"], plan["handler_tier"], plan["requires_technical_contact"]) == (
        terms,
        tier,
        contact,
    )
    shape = _plan_tuple(plan)
    assert shape["channels"] == TENCENT_CHANNELS[code]
    assert shape["targets"] == TENCENT_TARGETS[code]
    assert shape["features"] == TENCENT_FEATURES[code]
    assert shape["services"] == TENCENT_SERVICES[code]
    hotline = plan["channels"][0]
    assert hotline["contact"] == {"zh-hans": "95716", "en": "95716"}
    expected_name = "专属服务热线" if code in ("s2", "s1") else "热线电话"
    assert hotline["name"]["zh-hans"] == expected_name


def test_s4_is_accepted_within_two_hours_for_any_severity(client):
    s4 = get(client, "/tencent/plans/s4/")
    assert s4["response_note"] == {
        "zh-hans": "2小时内受理（任何严重性）",
        "en": "Accepted within 2 hours (any severity)",
    }


def test_tencent_expert_escort_is_paid_per_day(client):
    escort = by_code(get(client, "/tencent/services/"))["expert_escort"]
    assert (escort["price"], escort["unit"], escort["lead_time"], escort["locks_order"]) == (
        "8000.00",
        "natural_days",
        None,
        False,
    )
    assert [(g["plan"], g["paid"], g["quota"]) for g in escort["grants"]] == [
        ("s2", True, None),
        ("s1", True, None),
    ]


def test_tencent_severities_with_targets(client):
    rows = get(client, "/tencent/severities/")
    assert [
        (
            s["code"],
            s["name"]["zh-hans"],
            s["urgent"],
            [(t["plan"], t["first_response_minutes"]) for t in s["targets"]],
        )
        for s in rows
    ] == [
        ("business_down", "业务不可用", True, [("s4", 120), ("s3", 30), ("s2", 15), ("s1", 15)]),
        (
            "business_abnormal",
            "业务/系统异常",
            False,
            [("s4", 120), ("s3", 60), ("s2", 30), ("s1", 30)],
        ),
        ("usage_question", "使用咨询", False, [("s4", 120), ("s3", 120), ("s2", 60), ("s1", 60)]),
    ]
    assert rows[0]["definition"]["zh-hans"] == "客户业务重要功能不可用，需要立即处理。"


def test_tencent_channels(client):
    channels = get(client, "/tencent/channels/")
    assert [(c["code"], c["calendar"], c["plans"]) for c in channels] == [
        ("hotline", "7x24", ["s4", "s3", "s2", "s1"]),
        ("ticket", "7x24", ["s4", "s3", "s2", "s1"]),
        ("im_group", "7x24", ["s2", "s1"]),
    ]
    assert channels[0]["dedicated_name"] == {
        "zh-hans": "专属服务热线",
        "en": "Dedicated service hotline",
    }


# ------------------------------------------------------------------ §1.3 third-party scope

PARTNER_SOFTWARE = [
    ("openvpn", "remote_access", False, [("linux", [">2.1"]), ("windows", [">2.1"])]),
    ("ssh", "remote_access", True, [("linux", ["*"])]),
    ("mstsc", "remote_access", True, [("windows", ["*"])]),
    ("scp", "remote_access", True, [("linux", ["*"])]),
    ("sftp", "remote_access", True, [("linux", ["*"])]),
    ("iptables_firewalld", "security", True, [("linux", ["*"])]),
    ("windows_firewall", "security", True, [("windows", ["*"])]),
    ("mysql", "database", False, [("linux", ["5.x"]), ("windows", ["5.x"])]),
    ("sql_server", "database", False, [("windows", ["2008", "2012"])]),
    ("apache", "web_server", False, [("linux", ["2.2+"]), ("windows", ["2.2+"])]),
    ("nginx", "web_server", False, [("linux", ["1.8+"]), ("windows", ["1.8+"])]),
    ("iis", "web_server", False, [("windows", ["7.0+"])]),
]
TENCENT_SOFTWARE = [
    ("openvpn", "remote_access", False, [("linux", [">=2.4"]), ("windows", [">=2.4"])]),
    ("ssh", "remote_access", True, [("linux", ["*"])]),
    ("mstsc", "remote_access", True, [("windows", ["*"])]),
    ("scp", "remote_access", True, [("linux", ["*"])]),
    ("sftp", "remote_access", True, [("linux", ["*"])]),
    ("vsftpd", "remote_access", False, [("linux", [">=3.0"])]),
    ("filezilla_server", "remote_access", False, [("windows", ["0.9.60.2"])]),
    ("iptables_firewalld", "security", True, [("linux", ["*"])]),
    ("windows_firewall", "security", True, [("windows", ["*"])]),
    ("mysql", "database", False, [("linux", ["5.6", "5.7"]), ("windows", ["5.6", "5.7"])]),
    ("sql_server", "database", False, [("windows", ["2008 R2 SP3", "2012 SP3", "2016"])]),
    ("apache", "web_server", False, [("linux", ["2.2+"]), ("windows", ["2.2+"])]),
    ("nginx", "web_server", False, [("linux", ["1.8+"]), ("windows", ["1.8+"])]),
    ("iis", "web_server", False, [("windows", ["7.0+"])]),
]


@pytest.mark.parametrize(
    ("provider", "expected"), [("partner", PARTNER_SOFTWARE), ("tencent", TENCENT_SOFTWARE)]
)
def test_third_party_catalog(client, provider, expected):
    body = get(client, f"/{provider}/third-party/")
    assert [
        (
            s["code"],
            s["category"],
            s["native"],
            [(v["platform"], v["specifiers"]) for v in s["versions"]],
        )
        for s in body["software"]
    ] == expected
    assert [c["code"] for c in body["categories"]] == [
        "remote_access",
        "security",
        "database",
        "web_server",
    ]
    assert [o["code"] for o in body["out_of_scope"]] == [
        "code_development",
        "software_not_in_catalog",
        "routine_operations",
    ]
    for entry in body["out_of_scope"]:
        assert entry["where_to_go"]["zh-hans"] and entry["where_to_go"]["en"]


def test_tencent_scp_entry_covers_rsync(client):
    scp = by_code(get(client, "/tencent/third-party/")["software"])["scp"]
    assert scp["name"] == {"zh-hans": "SCP & Rsync", "en": "SCP & Rsync"}
    assert "rsync" in scp["aliases"]


@pytest.mark.parametrize(
    ("provider", "params", "in_scope", "reason_code", "matched"),
    [
        ("partner", {"software": "OpenVPN", "version": "2.3"}, True, "in_scope", ">2.1"),
        (
            "tencent",
            {"software": "OpenVPN", "version": "2.3"},
            False,
            "version_not_supported",
            None,
        ),
        ("partner", {"software": "MySQL", "version": "8.0"}, False, "version_not_supported", None),
        ("tencent", {"software": "MySQL", "version": "8.0"}, False, "version_not_supported", None),
        (
            "tencent",
            {"software": "SQL Server", "version": "2008 R2 SP3"},
            True,
            "in_scope",
            "2008 R2 SP3",
        ),
        (
            "tencent",
            {"software": "vsftpd", "version": "3.0.2", "platform": "linux"},
            True,
            "in_scope",
            ">=3.0",
        ),
        ("partner", {"software": "vsftpd", "version": "3.0.2"}, False, "not_in_catalog", None),
        (
            "partner",
            {"software": "iis", "version": "8.5", "platform": "linux"},
            False,
            "platform_not_supported",
            None,
        ),
        ("tencent", {"software": "ssh", "platform": "CentOS 7"}, True, "in_scope", "*"),
    ],
)
def test_scope_check(client, provider, params, in_scope, reason_code, matched):
    body = get(client, f"/{provider}/scope-check/", **params)
    assert (body["in_scope"], body["reason_code"], body["matched"]) == (
        in_scope,
        reason_code,
        matched,
    )


def test_scope_check_texts(client):
    body = get(client, "/tencent/scope-check/", software="openvpn", version="2.3", platform="linux")
    assert body["reason"] == {
        "zh-hans": "OpenVPN 2.3 不在支持的版本范围内（支持的版本：>=2.4）。",
        "en": "OpenVPN 2.3 is outside the supported versions (>=2.4).",
    }
    assert body["where_to_go"] == {
        "zh-hans": "此类问题可反馈软件提供商，或联系腾讯云云市场相关商家寻求帮助。",
        "en": "Please ask the software provider, or a vendor in the Tencent Cloud Marketplace, "
        "for help.",
    }
    assert body["platform"] == "linux"
    assert body["software"]["code"] == "openvpn"


def test_scope_check_needs_a_software_name(client):
    response = client.get(f"{BASE}/partner/scope-check/", {"version": "2.3"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "software" in response.json()["fields"]


def test_detect_software(client):
    response = client.post(
        f"{BASE}/tencent/detect-software/",
        {"text": "CentOS 7 上 MySQL 8.0 连不上，nginx/1.18.0 正常"},
        format="json",
    )
    assert response.status_code == 200
    assert [
        (d["software"], d["version"], d["platform"], d["scope"]["in_scope"])
        for d in response.json()
    ] == [("mysql", "8.0", "linux", False), ("nginx", "1.18.0", "linux", True)]


# ------------------------------------------------------------------ versions and errors


def test_an_older_version_stays_readable(client):
    data = yaml.safe_load((CATALOG_DIR / "partner.yaml").read_text(encoding="utf-8"))
    data["plans"][2]["monthly_price"] = "55000"
    catalog_load(source=data, actor=None, now=T0, filename="partner-2027.yaml")
    assert get(client, "/partner/plans/vip/")["monthly_price"] == "55000.00"
    assert get(client, "/partner/plans/vip/", catalog_version=1)["monthly_price"] == "50000.00"
    assert get(client, "/partner/", catalog_version=1)["catalog_version"] == 1
    assert get(client, "/partner/")["catalog_version"] == 2


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/aliyun/plans/", 404, "catalog.not_loaded"),
        ("/partner/plans/gold/", 404, "catalog.plan_unknown"),
        ("/partner/plans/?catalog_version=9", 404, "catalog.version_unknown"),
        ("/partner/plans/?catalog_version=latest", 400, "catalog.version_invalid"),
    ],
)
def test_errors(client, path, status, code):
    response = client.get(f"{BASE}{path}")
    assert response.status_code == status
    assert response.json()["code"] == code


def test_refusals_speak_the_callers_language(client):
    user = make_user(Role.CUSTOMER_MEMBER)
    zh = api_client(user, language="zh-hans").get(f"{BASE}/partner/plans/gold/").json()
    en = api_client(user, language="en").get(f"{BASE}/partner/plans/gold/").json()
    assert en["message"] == "Provider “partner” has no plan “gold” (plans: basic, dedicated, vip)."
    assert zh["message"] == "服务商“partner”没有“gold”计划（可选计划：basic, dedicated, vip）。"


def test_sign_in_required():
    response = api_client().get(f"{BASE}/")
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "auth.required"


def test_staff_and_customers_read_the_same_catalog(client):
    staff = api_client(make_user(Role.ENGINEER))
    assert staff.get(f"{BASE}/tencent/plans/").json() == get(client, "/tencent/plans/")


def test_plans_endpoint_query_count(client, django_assert_max_num_queries):
    get(client, "/tencent/plans/")  # warm the parsed-catalog cache
    with django_assert_max_num_queries(6):
        get(client, "/tencent/plans/")


def test_catalog_endpoints_are_in_the_openapi_schema(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/catalog/providers/",
        "/api/catalog/providers/{code}/",
        "/api/catalog/providers/{code}/plans/",
        "/api/catalog/providers/{code}/plans/{plan_code}/",
        "/api/catalog/providers/{code}/severities/",
        "/api/catalog/providers/{code}/channels/",
        "/api/catalog/providers/{code}/services/",
        "/api/catalog/providers/{code}/third-party/",
        "/api/catalog/providers/{code}/scope-check/",
        "/api/catalog/providers/{code}/detect-software/",
    ):
        assert path in paths, path
