"""The monthly report's optimisation advice carries the plan advisor's recommendation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation

from supportplan.core import clock

from .conftest import add_cases, local

pytestmark = pytest.mark.django_db


def test_the_report_month_gets_the_advisors_downgrade_in_the_tenants_language(dedicated):
    from supportplan.insights.selectors import report_plan_advice

    add_cases(dedicated, [(local(d, 11), "general_guidance", "ticket", "production", 30)
                          for d in (3, 4, 5)])  # fmt: skip
    dedicated.tenant.language = "zh-hans"
    end = clock.now()
    got = report_plan_advice(dedicated.tenant, end - timedelta(days=30), end, end)
    assert got == {
        "verdict": "downgrade",
        "plan": "basic",
        "plan_name": "基础级",
        "headline": "建议考虑基础级：它以更低的价格覆盖您的实际使用情况。",
        "reason": "基础级包含您这 3 个工单用到的全部严重性和支持渠道。"
        "按基础级计算，3 次首次响应中有 3 次能达到目标。"
        "按专属级计算，3 次首次响应中有 3 次能达到目标。"
        "基础级每月便宜 25,520 CNY。",
    }
    # nothing to say (no cases): no item
    dedicated.tenant.language = "en"
    assert report_plan_advice(dedicated.tenant, end, end, end - timedelta(days=200)) is None


def test_derive_advice_turns_it_into_an_item():
    from dataclasses import replace

    from supportplan.reports.builder import build_report
    from supportplan.reports.connectors.demo import demo_report_data
    from supportplan.reports.data import Month

    data = demo_report_data("plan-advice", Month(2026, 10))
    advice = {
        "verdict": "downgrade",
        "plan": "basic",
        "plan_name": "Basic",
        "headline": "Consider Basic: it covers what you used for less.",
        "reason": "Basic costs 25,520 CNY less per month.",
    }
    data = replace(data, platform=replace(data.platform, plan_advice=advice))  # type: ignore[type-var]
    content = build_report(data)
    items = [a for a in content.advice if a.code == "plan_advice"]
    assert len(items) == 1
    with translation.override("en"):
        assert (items[0].title, items[0].recommendation, items[0].evidence_text) == (
            "Plan review: Basic",
            "Consider Basic: it covers what you used for less.",
            "Basic costs 25,520 CNY less per month.",
        )
    with translation.override("zh-hans"):
        assert items[0].title == "服务计划评估：Basic"
    stored = [i for i in content.headline["advice_items"] if i["code"] == "plan_advice"]  # type: ignore[attr-defined]
    assert stored[0]["evidence"]["verdict"] == "downgrade"
