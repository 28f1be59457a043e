"""Entitlement, scope and routing rules on the shipped catalogs (no database)."""

from pathlib import Path

import pytest
from django.utils import translation

from supportplan.cases import domain
from supportplan.catalog.files import read_catalog_file
from supportplan.core.errors import DomainError

CATALOGS = Path(__file__).resolve().parents[3] / "catalogs"


@pytest.fixture(scope="module")
def partner():
    return read_catalog_file(CATALOGS / "partner.yaml")[1]


@pytest.fixture(scope="module")
def tencent():
    return read_catalog_file(CATALOGS / "tencent.yaml")[1]


def _code(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except DomainError as exc:
        return exc.code
    return None


# Every plan × severity on a core production system: exactly what each plan allows.
SEVERITY_TABLE = [
    ("partner", "basic", "core_production_down", "case.severity_not_in_plan"),
    ("partner", "basic", "production_down", None),
    ("partner", "basic", "production_abnormal", None),
    ("partner", "basic", "system_abnormal", None),
    ("partner", "basic", "general_guidance", None),
    ("partner", "dedicated", "core_production_down", None),
    ("partner", "dedicated", "general_guidance", None),
    ("partner", "vip", "core_production_down", None),
    ("partner", "vip", "production_down", None),
    ("partner", "vip", "business_down", "case.unknown_severity"),
    ("tencent", "s4", "business_down", None),
    ("tencent", "s4", "business_abnormal", None),
    ("tencent", "s4", "usage_question", None),
    ("tencent", "s3", "business_down", None),
    ("tencent", "s2", "usage_question", None),
    ("tencent", "s1", "business_down", None),
    ("tencent", "s1", "core_production_down", "case.unknown_severity"),
]


@pytest.mark.parametrize(("provider", "plan", "severity", "code"), SEVERITY_TABLE)
def test_severity_per_plan(partner, tencent, provider, plan, severity, code):
    catalog = partner if provider == "partner" else tencent
    assert (
        _code(domain.check_severity, catalog, catalog.plan(plan), severity, "core_production")
        == code
    )


FIT_TABLE = [
    # severity, system class, code
    ("core_production_down", "core_production", None),
    ("core_production_down", "production", "case.severity_not_for_system"),
    ("core_production_down", "non_production", "case.severity_not_for_system"),
    ("production_down", "production", None),
    ("production_down", "non_production", "case.severity_not_for_system"),
    ("production_abnormal", "non_production", "case.severity_not_for_system"),
    ("system_abnormal", "non_production", None),
    ("general_guidance", "non_production", None),
    ("general_guidance", None, None),
    ("production_down", None, "case.system_required"),
]


@pytest.mark.parametrize(("severity", "system_class", "code"), FIT_TABLE)
def test_severity_fits_the_system(partner, severity, system_class, code):
    vip = partner.plan("vip")
    assert _code(domain.check_severity, partner, vip, severity, system_class) == code


def test_tencent_business_down_needs_a_production_system(tencent):
    s1 = tencent.plan("s1")
    assert (
        _code(domain.check_severity, tencent, s1, "business_down", "non_production")
        == "case.severity_not_for_system"
    )
    assert _code(domain.check_severity, tencent, s1, "business_abnormal", "non_production") is None


CHANNEL_TABLE = [
    # provider, plan, channel, logged by staff, im platform, code
    ("partner", "basic", "ticket", False, "", None),
    ("partner", "basic", "hotline", False, "", "case.channel_staff_logged"),
    ("partner", "basic", "hotline", True, "", None),
    ("partner", "basic", "im_group", False, "wecom", "case.channel_not_in_plan"),
    ("partner", "basic", "phone_line", True, "", "case.channel_not_in_plan"),
    ("partner", "dedicated", "im_group", False, "wecom", None),
    ("partner", "dedicated", "im_group", False, "welink", None),
    ("partner", "dedicated", "im_group", False, "dingtalk", "case.im_platform_invalid"),
    ("partner", "dedicated", "im_group", False, "", "case.im_platform_invalid"),
    ("partner", "dedicated", "phone_line", True, "", None),
    ("partner", "dedicated", "phone_line", False, "", "case.channel_staff_logged"),
    ("partner", "vip", "im_group", False, "welink", None),
    ("partner", "vip", "fax", False, "", "case.unknown_channel"),
    ("tencent", "s4", "ticket", False, "", None),
    ("tencent", "s4", "im_group", False, "", "case.channel_not_in_plan"),
    ("tencent", "s3", "im_group", False, "", "case.channel_not_in_plan"),
    ("tencent", "s3", "hotline", True, "", None),
    ("tencent", "s2", "im_group", False, "", None),
    ("tencent", "s1", "im_group", False, "", None),
    ("tencent", "s1", "hotline", False, "", "case.channel_staff_logged"),
]


@pytest.mark.parametrize(("provider", "plan", "channel", "staff", "im", "code"), CHANNEL_TABLE)
def test_channel_per_plan(partner, tencent, provider, plan, channel, staff, im, code):
    catalog = partner if provider == "partner" else tencent
    got = _code(
        domain.check_channel,
        catalog,
        catalog.plan(plan),
        channel,
        logged_by_staff=staff,
        im_platform=im,
    )
    assert got == code


def test_refusal_names_the_plans_that_include_it_in_both_languages(partner):
    with pytest.raises(DomainError) as info:
        domain.check_severity(
            partner, partner.plan("basic"), "core_production_down", "core_production"
        )
    err = info.value
    assert err.status == 403
    with translation.override("en"):
        assert err.message == (
            "Your Basic plan does not include the severity “Core production system down”. "
            "Plans that include it: Dedicated, VIP (iSoftStone)."
        )
        assert err.as_dict()["params"]["plans"] == "Dedicated, VIP (iSoftStone)"
    with translation.override("zh-hans"):
        assert (
            err.message
            == "您的基础级计划不包含严重性“核心生产系统不可用”。包含该级别的计划：专属级、VIP级（软通动力）。"
        )


def test_im_group_refusal_names_dedicated_and_vip(partner, tencent):
    with pytest.raises(DomainError) as info:
        domain.check_channel(partner, partner.plan("basic"), "im_group", logged_by_staff=False)
    with translation.override("en"):
        assert info.value.as_dict()["params"]["plans"] == "Dedicated, VIP (iSoftStone)"
    with pytest.raises(DomainError) as info:
        domain.check_channel(tencent, tencent.plan("s3"), "im_group", logged_by_staff=False)
    with translation.override("en"):
        assert (
            info.value.as_dict()["params"]["plans"] == "S2 Enterprise, S1 Flagship (Tencent Cloud)"
        )


def test_no_plan_names_the_plans_with_cases(partner):
    err = domain.no_plan_error(partner)
    assert err.code == "case.no_plan"
    with translation.override("en"):
        assert err.as_dict()["params"]["plans"] == "Basic, Dedicated, VIP (iSoftStone)"


SCOPE_TABLE = [
    # provider, software, version, platform, out of scope, code
    ("partner", "OpenVPN", "2.3", "", False, ""),
    ("tencent", "OpenVPN", "2.3", "", True, "software_not_in_catalog"),
    ("tencent", "openvpn", "2.4", "linux", False, ""),
    ("partner", "MySQL", "8.0", "", True, "software_not_in_catalog"),
    ("tencent", "MySQL", "8.0", "", True, "software_not_in_catalog"),
    ("tencent", "MySQL", "5.7", "linux", False, ""),
    ("tencent", "SQL Server", "2008 R2 SP3", "windows", False, ""),
    ("partner", "SQL Server", "2008", "windows", False, ""),
    ("partner", "Oracle", "19c", "linux", True, "software_not_in_catalog"),
    ("partner", "ssh", "", "linux", False, ""),
    ("partner", "", "", "", False, ""),
]


@pytest.mark.parametrize(
    ("provider", "software", "version", "platform", "out", "code"), SCOPE_TABLE
)
def test_third_party_scope(partner, tencent, provider, software, version, platform, out, code):
    catalog = partner if provider == "partner" else tencent
    decision = domain.assess_scope(catalog, software, version, platform)
    assert decision.out_of_scope is out
    assert decision.code == code
    if out:
        assert decision.where_to_go == catalog.out_of_scope_entry(code).where_to_go


def test_scope_input_that_cannot_be_judged_is_refused(partner):
    assert _code(domain.assess_scope, partner, "OpenVPN", "", "") == "case.software_version_missing"
    assert (
        _code(domain.assess_scope, partner, "OpenVPN", "2.4", "beos")
        == "case.software_unknown_platform"
    )
    assert _code(domain.assess_scope, partner, "", "2.4", "") == "case.software_required"


def test_staff_flagged_reason_comes_from_the_catalog(partner):
    decision = domain.assess_scope(partner, "", "", "", "code_development")
    assert decision.out_of_scope is True
    assert decision.where_to_go.en.startswith("For professional services")
    assert _code(domain.assess_scope, partner, "", "", "", "x") == "case.unknown_scope_reason"


def test_tiers():
    assert domain.tiers_up_to("engineer") == ("engineer",)
    assert domain.tiers_up_to("senior_expert") == ("engineer", "expert", "senior_expert")
    assert domain.tiers_up_to("") == ()
    assert domain.next_tier("engineer") == "expert"
    assert domain.next_tier("expert") == "senior_expert"
    assert domain.next_tier("senior_expert") is None
