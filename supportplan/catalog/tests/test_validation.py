"""Broken catalog files are refused as a whole, with every problem as `file:path: message`."""

import copy
import json

import pytest
import yaml

from supportplan.catalog.files import read_catalog_file, read_catalog_text
from supportplan.catalog.validation import CatalogInvalid, parse_duration

from .conftest import CATALOG_DIR


def seed(name: str) -> dict:
    return yaml.safe_load((CATALOG_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


def problems_of(tmp_path, name: str, data_or_text) -> list[str]:
    path = tmp_path / name
    text = (
        data_or_text
        if isinstance(data_or_text, str)
        else yaml.safe_dump(data_or_text, allow_unicode=True, sort_keys=False)
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogInvalid) as err:
        read_catalog_file(path)
    return err.value.problems


def test_the_seed_catalogs_are_valid():
    for name in ("partner", "tencent"):
        data, catalog = read_catalog_file(CATALOG_DIR / f"{name}.yaml")
        assert catalog.provider.code == name
        assert data["format"] == 1


def test_a_misspelt_severity_in_a_plan(tmp_path):
    data = seed("tencent")
    sevs = data["plans"][2]["severities"]
    sevs["business_dwn"] = sevs.pop("business_down")
    assert problems_of(tmp_path, "tencent.yaml", data) == [
        "tencent.yaml:plans[2].severities.business_dwn: unknown severity 'business_dwn' "
        "(known: business_abnormal, business_down, usage_question)"
    ]


def test_every_problem_is_listed_at_once(tmp_path):
    data = seed("partner")
    data["plans"][0]["channels"].append("wechat")  # unknown channel
    data["plans"][1]["severities"]["production_down"]["first_response"] = "30 minutes"
    data["plans"][2]["monthly_price"] = 50000  # a number, not a decimal string
    data["plans"][0]["monthly_price"] = "480.5.0"
    data["plans"][2]["features"].append("free_lunch")
    data["plans"][2]["services"]["migration"] = {"quota": 1, "terms": ["annual"]}
    data["channels"][1]["code"] = "hotline"  # duplicate code
    data["third_party"]["software"][0]["versions"]["linux"] = ["~2.4"]
    data["severities"][0]["colour"] = "red"  # unknown field
    del data["severities"][1]["definition"]  # missing field
    assert problems_of(tmp_path, "partner.yaml", data) == [
        # schema pass
        "partner.yaml:plans[0].monthly_price: '480.5.0' must be a decimal amount written as a "
        'quoted string, e.g. "480" or "26000.00"',
        'partner.yaml:plans[2].monthly_price: must be text; quote it in YAML (e.g. "5.6", "480"), '
        "got 50000",
        "partner.yaml:severities[0]: unknown field(s) 'colour'; allowed: api_code, code, definition, "
        "name, order, system_classes, urgent",
        "partner.yaml:severities[1]: missing required field 'definition'",
        # cross-reference pass
        "partner.yaml:channels[0].code: duplicate code 'hotline' (codes must be unique in channels)",
        "partner.yaml:channels[1].code: duplicate code 'hotline' (codes must be unique in channels)",
        "partner.yaml:plans[0].channels[1]: unknown channel 'ticket' (known: hotline, im_group, "
        "phone_line)",
        "partner.yaml:plans[0].channels[2]: unknown channel 'wechat' (known: hotline, im_group, "
        "phone_line)",
        "partner.yaml:plans[1].channels[1]: unknown channel 'ticket' (known: hotline, im_group, "
        "phone_line)",
        "partner.yaml:plans[1].severities.production_down.first_response: bad duration "
        "'30 minutes': write minutes, hours or days like '10m', '3h', '1h30m', '2d'",
        "partner.yaml:plans[2].channels[1]: unknown channel 'ticket' (known: hotline, im_group, "
        "phone_line)",
        "partner.yaml:plans[2].features[10]: unknown feature 'free_lunch' (known: community, "
        "developer_center, enterprise_care, help_center, icp_filing_center, message_center, "
        "monthly_report, online_training, tam, third_party_support)",
        "partner.yaml:plans[2].services.migration: unknown service 'migration' (known: "
        "availability_check, escort, monitoring_optimisation)",
        "partner.yaml:third_party.software[0].versions.linux[0]: bad version specifier '~2.4': "
        "use '*', '>2.1', '>=2.4', '2.2+', '5.x', '5.6' or '2008 R2 SP3'",
    ]


def test_plan_rules(tmp_path):
    data = seed("tencent")
    s3, s2 = data["plans"][1], data["plans"][2]
    s3["default"] = True  # a second default, and purchasable
    s3["billing_terms"] = []
    s2["services"]["expert_escort"] = {"quota": 2, "paid": True, "terms": ["quarterly"]}
    data["services"][0].pop("price")
    data["plans"][3]["severities"]["usage_question"] = {
        "first_response": "1h",
        "resolution": "30m",
        "next_response": "0m",
    }
    data["plans"][3]["rank"] = 3
    data["plans"][0]["channels"][0] = {"code": "ticket", "dedicated": True}
    assert problems_of(tmp_path, "tencent.yaml", data) == [
        "tencent.yaml:plans[2].services.expert_escort.terms[0]: 'quarterly' is not one of: "
        "monthly, annual",
        "tencent.yaml:plans[0].default: only one plan can be the default (free) plan",
        "tencent.yaml:plans[1].default: only one plan can be the default (free) plan",
        "tencent.yaml:plans[0].channels[0]: channel 'ticket' has no dedicated_name, so it cannot "
        "be offered as dedicated",
        "tencent.yaml:plans[0].channels[1]: channel 'ticket' listed twice",
        "tencent.yaml:plans[1].billing_terms: a purchasable plan needs at least one billing term "
        "(monthly, annual)",
        "tencent.yaml:plans[1].default: the default plan is given to every customer, so it cannot "
        "also be purchasable",
        'tencent.yaml:plans[1].monthly_price: the default (free) plan must cost "0"',
        "tencent.yaml:plans[2].rank: duplicate rank 3 (ranks order upgrades and downgrades)",
        "tencent.yaml:plans[2].services.expert_escort.quota: a paid add-on has no quota (leave "
        "quota out or set paid: false)",
        "tencent.yaml:plans[2].services.expert_escort: service 'expert_escort' is granted as paid "
        "but has no price",
        "tencent.yaml:plans[3].rank: duplicate rank 3 (ranks order upgrades and downgrades)",
        "tencent.yaml:plans[3].severities.usage_question.next_response: duration '0m' must be "
        "longer than zero",
        "tencent.yaml:plans[3].severities.usage_question.resolution: resolution target is shorter "
        "than the first-response target",
        "tencent.yaml:plans[3].services.expert_escort: service 'expert_escort' is granted as paid "
        "but has no price",
    ]


def test_software_rules(tmp_path):
    data = seed("tencent")
    software = data["third_party"]["software"]
    software[1]["versions"] = {"linux": [">=7.0"]}  # ssh is native: any version
    software[2]["aliases"].append("ssh")  # mstsc claiming ssh's alias
    software[3]["category"] = "backup"
    software[4]["versions"] = {"macos": ["*"]}
    software[5]["code"] = "openvpn"
    data["out_of_scope"] = [
        o for o in data["out_of_scope"] if o["code"] != "software_not_in_catalog"
    ]
    assert problems_of(tmp_path, "tencent.yaml", data) == [
        "tencent.yaml:third_party.software[4].versions: 'macos' is not one of: linux, windows",
        "tencent.yaml:third_party.software[0].code: duplicate code 'openvpn' (codes must be unique "
        "in third_party.software)",
        "tencent.yaml:third_party.software[5].code: duplicate code 'openvpn' (codes must be unique "
        "in third_party.software)",
        "tencent.yaml:third_party.software[1].versions: native tools are supported in any version: "
        'use ["*"]',
        "tencent.yaml:third_party.software[2].aliases[3]: alias 'ssh' is already used by 'ssh'",
        "tencent.yaml:third_party.software[3].category: unknown category 'backup' (known: "
        "database, remote_access, security, web_server)",
        "tencent.yaml:out_of_scope: missing the 'software_not_in_catalog' entry (its where_to_go "
        "is shown for out-of-scope software)",
    ]


def test_yaml_surprises_are_explained(tmp_path):
    text = (CATALOG_DIR / "tencent.yaml").read_text(encoding="utf-8")
    text = text.replace('versions: {linux: ["5.6", "5.7"]', "versions: {linux: [5.6, 5.7]")
    text = text.replace("  currency: CNY\n", "  currency: CNY\n  currency: USD\n")
    assert problems_of(tmp_path, "tencent.yaml", text) == [
        "tencent.yaml:line 22: duplicate key 'currency' (YAML would silently keep only the last one)",
        "tencent.yaml:third_party.software[9].versions.linux[0]: must be text; quote it in YAML "
        '(e.g. "5.6", "480"), got 5.6',
        "tencent.yaml:third_party.software[9].versions.linux[1]: must be text; quote it in YAML "
        '(e.g. "5.6", "480"), got 5.7',
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["x.yaml:(top level): the file is empty"]),
        ("# only a comment\n", ["x.yaml:(top level): must be a mapping, got None"]),
        ("- a\n- b\n", ["x.yaml:(top level): must be a mapping, got ['a', 'b']"]),
        (
            "plans: [\n",
            ["x.yaml:line 2: not valid YAML: expected the node content, but found '<stream end>'"],
        ),
    ],
)
def test_not_a_catalog_at_all(tmp_path, text, expected):
    assert problems_of(tmp_path, "x.yaml", text) == expected


def test_wrong_format_and_missing_sections(tmp_path):
    assert problems_of(tmp_path, "x.yaml", "format: 2\nprovider: {code: x}\n") == [
        "x.yaml:(top level): missing required field 'severities'",
        "x.yaml:(top level): missing required field 'channels'",
        "x.yaml:(top level): missing required field 'features'",
        "x.yaml:(top level): missing required field 'services'",
        "x.yaml:(top level): missing required field 'plans'",
        "x.yaml:(top level): missing required field 'third_party'",
        "x.yaml:(top level): missing required field 'out_of_scope'",
        "x.yaml:format: must be 1 (this program reads catalog format 1)",
        "x.yaml:provider: missing required field 'name'",
        "x.yaml:provider: missing required field 'currency'",
    ]


def test_a_missing_file(tmp_path):
    with pytest.raises(CatalogInvalid) as err:
        read_catalog_file(tmp_path / "nope.yaml")
    assert err.value.problems == [f"{tmp_path / 'nope.yaml'}: no such file"]


def test_json_is_accepted_too():
    data = seed("partner")
    _, catalog = read_catalog_text(json.dumps(data, ensure_ascii=False), "partner.json")
    assert catalog.plan("vip").monthly_price == 50000


def test_mutating_one_file_does_not_touch_the_seed():
    data = seed("partner")
    before = copy.deepcopy(data)
    read_catalog_text(yaml.safe_dump(data, allow_unicode=True), "partner.yaml")
    assert data == before


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("10m", 10), ("3h", 180), ("1h30m", 90), ("2d", 2880), ("16h", 960)],
)
def test_durations(text, minutes):
    assert parse_duration(text).total_seconds() == minutes * 60


@pytest.mark.parametrize("bad", ["", "30", "30 minutes", "1.5h", "m", "-5m", "0h", "PT30M"])
def test_bad_durations(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_mapping_key_order_does_not_matter():
    # PostgreSQL's jsonb reorders mapping keys; a stored version must read back the same.
    data = seed("partner")
    shuffled = copy.deepcopy(data)
    for plan in shuffled["plans"]:
        plan["services"] = dict(reversed(list(plan["services"].items())))
        plan["severities"] = dict(reversed(list(plan["severities"].items())))
    a = read_catalog_text(json.dumps(data), "a.json")[1]
    b = read_catalog_text(json.dumps(shuffled), "b.json")[1]
    assert a == b
    assert [g.code for g in b.plan("vip").services] == [
        "availability_check",
        "monitoring_optimisation",
        "escort",
    ]


def test_clouds_that_grant_the_free_plan_must_be_named_by_the_provider(tmp_path):
    data = seed("tencent")
    data["provider"]["clouds"].append({"code": "other", "name": {"zh-hans": "其他", "en": "Other"}})
    data["plans"][0]["granted_by_clouds"] = ["tencent", "alibaba"]
    data["plans"][1]["granted_by_clouds"] = ["tencent"]
    assert problems_of(tmp_path, "tencent.yaml", data) == [
        "tencent.yaml:provider.clouds[1].code: 'other' is built in (any other cloud); name a "
        "real cloud",
        "tencent.yaml:plans[0].granted_by_clouds[1]: unknown cloud 'alibaba': list it under "
        "provider.clouds first (known: other, tencent)",
        "tencent.yaml:plans[1].granted_by_clouds: only the default (free) plan is granted by a "
        "cloud account",
    ]


# ---------------------------------------------------------------- agreement, links, scope, FAQ


def test_the_seed_catalogs_carry_agreement_links_scope_and_faq(partner, tencent):
    assert [(a.version, a.effective.isoformat()) for a in partner.agreements] == [
        ("2026-01", "2026-01-01")
    ]
    assert [(f.code, f.url) for f in partner.self_service_links()] == [
        ("developer_center", "https://developer.huaweicloud.com/"),
        ("help_center", "https://support.huaweicloud.com/"),
        ("community", "https://bbs.huaweicloud.com/"),
        ("message_center", "https://console.huaweicloud.com/message/"),
        ("icp_filing_center", "https://beian.huaweicloud.com/"),
        ("online_training", "https://edu.huaweicloud.com/"),
    ]
    assert [(f.code, f.url) for f in tencent.self_service_links()] == [
        ("help_docs", "https://cloud.tencent.com/document/product"),
        ("community", "https://cloud.tencent.com/developer/ask"),
        ("message_subscription", "https://console.cloud.tencent.com/message/subscription"),
    ]
    assert partner.plan_scope.covers[0].zh_hans == "公有云技术、产品、解决方案使用咨询。"
    assert partner.plan_scope.excludes[0].en == "Code development."
    assert [q.question.zh_hans for q in partner.faq] == [
        "支持计划可以解决哪些问题？",
        "我的问题多久可以获得解决？",
        "我购买了VIP级支持计划，能免费获得上云迁移等专业服务吗？",
    ]
    assert tencent.plan_scope is None and tencent.faq == ()


@pytest.mark.parametrize(
    "url",
    ["http://support.huaweicloud.com/", "javascript:alert(1)", "https://", "support.example.com"],
)
def test_a_self_service_link_must_be_https(tmp_path, url):
    data = seed("partner")
    data["features"][1]["url"] = url
    assert problems_of(tmp_path, "partner.yaml", data) == [
        f"partner.yaml:features[1].url: {url!r} must be an https:// address such as "
        "https://support.example.com/help"
    ]


def test_agreement_versions_are_checked(tmp_path):
    data = seed("partner")
    second = copy.deepcopy(data["agreements"][0])
    second["effective"] = "2026-02-30"
    third = copy.deepcopy(data["agreements"][0])
    third["version"] = "2026 07"
    del third["title"]
    data["agreements"] += [second, third]
    assert problems_of(tmp_path, "partner.yaml", data) == [
        "partner.yaml:agreements[2]: missing required field 'title'",
        "partner.yaml:agreements[2].version: '2026 07' must be a version id of up to 20 "
        "letters, digits, '.', '_' or '-', such as 2026-01",
        "partner.yaml:agreements[1].version: duplicate agreement version '2026-01' "
        "(also agreements[0])",
        "partner.yaml:agreements[1].effective: '2026-02-30' is not a real date",
        "partner.yaml:agreements[2].effective: two agreement versions take effect on "
        "2026-01-01 (also agreements[0]); which one is current would be ambiguous",
    ]


def test_scope_and_faq_texts_need_both_languages(tmp_path):
    data = seed("partner")
    del data["plan_scope"]["excludes"][0]["en"]
    data["faq"][1] = {"question": data["faq"][1]["question"]}
    assert problems_of(tmp_path, "partner.yaml", data) == [
        "partner.yaml:faq[1]: missing required field 'answer'",
        "partner.yaml:plan_scope.excludes[0]: missing required field 'en'",
    ]


def test_a_catalog_stored_before_agreements_existed_still_reads(tmp_path):
    data = seed("tencent")
    del data["agreements"]
    for feature in data["features"]:
        feature.pop("url", None)
    path = tmp_path / "tencent.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    catalog = read_catalog_file(path)[1]
    assert (catalog.agreement, catalog.self_service_links()) == (None, ())
