"""A third provider with a free default plan is one catalog file: its clouds and which of
them grant the free plan come from the file, and cloud accounts on them are accepted."""

import copy

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.utils import translation

from supportplan.accounts.models import CloudAccount
from supportplan.catalog.services import catalog_load
from supportplan.catalog.texts import plan_list
from supportplan.core.testing import T0, make_tenant
from supportplan.subscriptions import selectors

from .factories import CATALOG_DIR

pytestmark = pytest.mark.django_db


def _alibaba() -> dict:
    data = yaml.safe_load((CATALOG_DIR / "tencent.yaml").read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    data["provider"]["code"] = "alibaba"
    data["provider"]["name"] = {"zh-hans": "阿里云服务", "en": "Alibaba Cloud services"}
    data["provider"]["clouds"] = [
        {"code": "alibaba", "name": {"zh-hans": "阿里云", "en": "Alibaba Cloud"}}
    ]
    default = next(p for p in data["plans"] if p["default"])
    default["granted_by_clouds"] = ["alibaba"]
    return data


def test_a_copy_of_the_tencent_catalog_as_alibaba_grants_its_free_plan(catalogs):
    catalog_load(source=_alibaba(), actor=None, now=T0)
    with_account, without = make_tenant(), make_tenant()
    account = CloudAccount(tenant=with_account, cloud="alibaba", account_id="ali-1")
    account.full_clean()  # the cloud the new catalog names is accepted
    account.save()
    pif = selectors.plan_in_force(with_account, "alibaba", T0)
    assert (pif.plan_code, pif.subscription_id) == ("s4", None)
    assert selectors.plan_in_force(without, "alibaba", T0) is None
    # an Alibaba account does not make the tenant a Tencent customer
    assert selectors.plan_in_force(with_account, "tencent", T0) is None


def test_a_cloud_no_catalog_names_is_refused_with_the_known_ones(catalogs):
    account = CloudAccount(tenant=make_tenant(), cloud="oracle", account_id="o-1")
    with pytest.raises(ValidationError) as err:
        account.full_clean()
    with translation.override("en"):
        assert err.value.message_dict["cloud"] == [
            "Unknown cloud “oracle”. Choose one of: huawei, alibaba, tencent, other."
        ]
    with translation.override("zh-hans"):
        assert err.value.message_dict["cloud"] == [
            "未知的云“oracle”。请从以下选择：huawei, alibaba, tencent, other。"
        ]


def test_the_free_plan_is_named_as_granted_by_an_account_not_for_sale(catalogs):
    from supportplan.catalog.selectors import current_catalog

    tencent = current_catalog("tencent")
    plans = (*tencent.plans, tencent.plans[0])  # a repeated plan is listed once
    with translation.override("en"):
        assert str(plan_list(tencent, plans)) == (
            "S4 Basic — granted by registering a Tencent Cloud account, S3 Business, "
            "S2 Enterprise, S1 Flagship (Tencent Cloud)"
        )
    with translation.override("zh-hans"):
        assert str(plan_list(tencent, plans)) == (
            "S4 基础版——注册腾讯云账号即可获得、S3 商业版、S2 企业版、S1 旗舰版（腾讯云）"
        )
