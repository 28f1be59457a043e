"""Loading catalogs as versions, diffs, selectors (database)."""

from datetime import timedelta
from decimal import Decimal

import pytest
import yaml

from supportplan.accounts.models import Role
from supportplan.catalog import selectors, usage
from supportplan.catalog.models import CatalogVersion, Plan, Provider
from supportplan.catalog.services import CatalogRefused, catalog_diff, catalog_load
from supportplan.catalog.usage import PlanUsage, register_usage_counter, unregister_usage_counter
from supportplan.core.models import AuditEntry
from supportplan.core.testing import T0, make_user

from .conftest import CATALOG_DIR

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _only_this_tests_usage_counters(monkeypatch):
    # Other apps register real counters; these tests control exactly which ones run.
    monkeypatch.setattr(usage, "_counters", [])


LATER = T0 + timedelta(days=30)


def seed(name: str) -> dict:
    return yaml.safe_load((CATALOG_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


def test_load_stores_a_version_with_plan_rows_and_an_audit_entry():
    admin = make_user(Role.PLATFORM_ADMIN)
    result = catalog_load(source=CATALOG_DIR / "partner.yaml", actor=admin, now=T0)
    assert result.created is True
    version = result.version
    assert (version.provider.code, version.number, version.loaded_at, version.loaded_by) == (
        "partner",
        1,
        T0,
        admin,
    )
    assert version.source_name == "partner.yaml"
    assert len(version.sha256) == 64
    rows = list(Plan.objects.filter(catalog_version=version).order_by("rank"))
    assert [
        (p.code, p.monthly_price, p.purchasable, p.is_default, p.handler_tier) for p in rows
    ] == [
        ("basic", Decimal("480.00"), True, False, "engineer"),
        ("dedicated", Decimal("26000.00"), True, False, "expert"),
        ("vip", Decimal("50000.00"), True, False, "senior_expert"),
    ]
    provider = Provider.objects.get(code="partner")
    assert (provider.name_zh_hans, provider.name_en, provider.currency) == (
        "软通动力",
        "iSoftStone",
        "CNY",
    )
    entry = AuditEntry.objects.get(action="catalog.loaded")
    assert entry.actor == admin
    assert entry.at == T0
    assert entry.target_id == str(version.pk)
    assert entry.data == {
        "provider": "partner",
        "number": 1,
        "previous_number": None,
        "sha256": version.sha256,
        "source": "partner.yaml",
        "plans": ["basic", "dedicated", "vip"],
        "changes": entry.data["changes"],
    }


def test_loading_the_same_document_twice_creates_nothing():
    first = catalog_load(source=CATALOG_DIR / "tencent.yaml", actor=None, now=T0)
    again = catalog_load(source=seed("tencent"), actor=None, now=LATER, filename="copy.yaml")
    assert again.created is False
    assert again.version.pk == first.version.pk
    assert CatalogVersion.objects.count() == 1
    assert AuditEntry.objects.filter(action="catalog.loaded").count() == 1


def test_a_new_version_leaves_the_old_one_intact():
    v1 = catalog_load(source=CATALOG_DIR / "tencent.yaml", actor=None, now=T0).version
    data = seed("tencent")
    data["plans"][2]["monthly_price"] = "22000"
    data["plans"][2]["severities"]["business_down"]["first_response"] = "10m"
    v2 = catalog_load(source=data, actor=None, now=LATER, filename="tencent-2027.yaml").version
    assert (v1.number, v2.number) == (1, 2)
    old, new = selectors.catalog_for_version(v1.pk), selectors.catalog_for_version(v2.pk)
    assert old.plan("s2").monthly_price == Decimal("20000")
    assert new.plan("s2").monthly_price == Decimal("22000")
    assert old.plan("s2").target_for("business_down").first_response == timedelta(minutes=15)
    assert new.plan("s2").target_for("business_down").first_response == timedelta(minutes=10)
    assert selectors.current_catalog("tencent").plan("s2").monthly_price == Decimal("22000")
    assert selectors.current_version("tencent").pk == v2.pk
    assert selectors.plan_row(v1.pk, "s2").monthly_price == Decimal("20000.00")
    assert selectors.current_plan_row("tencent", "s2").catalog_version_id == v2.pk
    entry = AuditEntry.objects.filter(action="catalog.loaded").order_by("at").last()
    assert (entry.data["number"], entry.data["previous_number"], entry.data["changes"]) == (2, 1, 2)


def test_a_broken_document_is_refused_and_nothing_is_stored():
    data = seed("tencent")
    data["plans"][2]["severities"]["business_dwn"] = data["plans"][2]["severities"].pop(
        "business_down"
    )
    data["plans"][0]["monthly_price"] = 0
    with pytest.raises(CatalogRefused) as err:
        catalog_load(source=data, actor=None, now=T0, filename="tencent.yaml")
    assert err.value.code == "catalog.invalid"
    assert err.value.problems == [
        'tencent.yaml:plans[0].monthly_price: must be text; quote it in YAML (e.g. "5.6", "480"), '
        "got 0",
        "tencent.yaml:plans[2].severities.business_dwn: unknown severity 'business_dwn' "
        "(known: business_abnormal, business_down, usage_question)",
    ]
    assert (Provider.objects.count(), CatalogVersion.objects.count(), Plan.objects.count()) == (
        0,
        0,
        0,
    )
    assert not AuditEntry.objects.filter(action="catalog.loaded").exists()


def test_selectors_explain_a_missing_catalog():
    with pytest.raises(selectors.CatalogNotLoaded) as err:
        selectors.current_catalog("aliyun")
    assert err.value.code == "catalog.not_loaded"
    assert err.value.status == 404
    assert "supportplan catalog load FILE" in err.value.message
    with pytest.raises(selectors.CatalogNotLoaded) as err:
        selectors.catalog_for_version(999)
    assert err.value.code == "catalog.version_unknown"
    catalog_load(source=CATALOG_DIR / "partner.yaml", actor=None, now=T0)
    with pytest.raises(selectors.CatalogNotLoaded) as err:
        selectors.current_plan_row("partner", "s1")
    assert err.value.code == "catalog.plan_unknown"
    assert list(selectors.current_catalogs()) == ["partner"]


def test_diff_before_anything_is_loaded_lists_every_plan_as_added():
    report = catalog_diff(source=CATALOG_DIR / "partner.yaml", as_of=T0)
    assert report.current_number is None
    assert report.identical is False
    added = [c.subject for c in report.changes if c.subject.count(".") == 1 and c.kind == "added"]
    assert added[:3] == ["plans.basic", "plans.dedicated", "plans.vip"]


def test_diff_lists_changes_and_who_is_on_the_affected_plans():
    catalog_load(source=CATALOG_DIR / "partner.yaml", actor=None, now=T0)
    data = seed("partner")
    data["plans"][2]["monthly_price"] = "52000"  # vip
    data["plans"][1]["services"]["escort"]["quota"] = 2  # dedicated
    data["channels"][3]["calendar"] = "7x24"  # im_group: dedicated + vip
    data["services"][2]["lead_time"]["working_days"] = 5  # escort: dedicated + vip
    data["plans"][0]["severities"]["general_guidance"]["resolution"] = "3d"  # basic

    def counter(provider_code, as_of):
        assert (provider_code, as_of) == ("partner", T0)
        return {"basic": PlanUsage(4, 4), "vip": PlanUsage(2, 3)}

    register_usage_counter(counter)
    try:
        report = catalog_diff(source=data, as_of=T0, filename="partner.yaml")
    finally:
        unregister_usage_counter(counter)
    assert report.current_number == 1
    assert [(str(c), c.plans) for c in report.changes] == [
        ("+ plans.basic.severities.general_guidance.resolution = 3d", ("basic",)),
        (
            "~ plans.dedicated.services.escort: quota=1 max_requests=1 paid=false terms=annual -> "
            "quota=2 max_requests=1 paid=false terms=annual",
            ("dedicated",),
        ),
        ("~ plans.vip.monthly_price: 50000 -> 52000", ("vip",)),
        ("~ channels.im_group.calendar: 5x8 -> 7x24", ("dedicated", "vip")),
        (
            "~ services.escort.lead_time: 10 working days, recommended -> 5 working days, "
            "recommended",
            ("dedicated", "vip"),
        ),
    ]
    assert [
        (i.plan, len(i.changes), i.usage.tenants, i.usage.subscriptions) for i in report.impacts
    ] == [("basic", 1, 4, 4), ("dedicated", 3, 0, 0), ("vip", 3, 2, 3)]
    assert report.usage_known is True
    # A diff writes nothing.
    assert CatalogVersion.objects.count() == 1


def test_diff_without_a_usage_counter_says_counts_are_unknown():
    catalog_load(source=CATALOG_DIR / "tencent.yaml", actor=None, now=T0)
    data = seed("tencent")
    data["services"][0]["price"] = "9000"
    report = catalog_diff(source=data, as_of=T0, filename="tencent.yaml")
    assert [str(c) for c in report.changes] == ["~ services.expert_escort.price: 8000 -> 9000"]
    assert [(i.plan, i.usage) for i in report.impacts] == [("s2", None), ("s1", None)]
    assert report.as_dict()["plans"] == [
        {"plan": "s2", "changes": 1, "tenants": None, "subscriptions": None},
        {"plan": "s1", "changes": 1, "tenants": None, "subscriptions": None},
    ]


def test_diff_of_an_identical_file():
    catalog_load(source=CATALOG_DIR / "tencent.yaml", actor=None, now=T0)
    report = catalog_diff(source=CATALOG_DIR / "tencent.yaml", as_of=T0)
    assert (report.identical, report.changes, report.current_number) == (True, (), 1)
