"""The plan advisor and the staffing planner in a real Chromium (Debian's), both languages,
with the fixtures of supportplan/web/tests/test_browser.py. Screenshots go to
test-artifacts/screenshots/.

Run: .venv/bin/pytest -p no:xdist supportplan/insights/tests/test_browser.py -m browser
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from supportplan.web.tests.test_browser import browser, go, open_page, shot  # noqa: F401

from .conftest import add_cases, local, night_history

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADLINE = {"en": "Keep Dedicated.", "zh-hans": "保留专属级。"}
EVIDENCE = {
    "en": "2 of your 4 cases were “Core production system down” (2 of them outside business "
    "hours); Basic does not offer that severity.",
    "zh-hans": "您的 4 个工单中有 2 个是“核心生产系统不可用”（其中 2 个在工作时间以外）；"
    "基础级不提供该严重性。",
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_customer_admin_reads_the_advice_and_a_member_is_turned_away(
    dedicated,
    language,
    open_page,  # noqa: F811
):
    night_history(dedicated)
    page = open_page(dedicated.admin, language)
    label = "Plan advisor" if language == "en" else "服务计划顾问"
    page.click(f"nav.mainnav a:has-text('{label}')")
    page.wait_for_load_state()
    assert page.inner_text("#advice h2") == HEADLINE[language]
    assert EVIDENCE[language] in page.inner_text("#advice .evidence")
    assert page.locator("#replay tbody tr").count() == 3
    assert page.locator("#plan-dedicated.current").count() == 1
    shot(page, f"plan-advisor-{language}")
    # a bad date: the reason in the reader's language, no traceback
    page.fill("#adv-from", "")
    go(page, "/insights/plan-advisor/?from=2026-02-30")
    assert "YYYY-MM-DD" in page.inner_text("#advisor-error")
    if language == "zh-hans":
        assert "开始日期必须是" in page.inner_text("#advisor-error")
    assert page.js_errors == []

    member = open_page(dedicated.member, language)
    assert member.locator(f"nav.mainnav a:has-text('{label}')").count() == 0
    go(member, "/insights/plan-advisor/")
    assert member.url.rstrip("/") == member.base  # sent home, with the reason
    assert member.locator(".flash-error").count() == 1


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_business_manager_and_support_manager_pages(
    dedicated,
    people,
    language,
    open_page,  # noqa: F811
):
    night_history(dedicated)
    add_cases(
        dedicated,
        [(local(3, 10), "production_down", "ticket", "production", 5) for _ in range(40)],
        tier="engineer",
    )
    page = open_page(people["business"], language)
    go(page, f"/console/plan-advisor/?tenant={dedicated.tenant.pk}")
    assert page.inner_text("#advice h2") == HEADLINE[language]
    assert page.locator("nav.mainnav a[href='/console/staffing/']").count() == 0
    shot(page, f"plan-advisor-console-{language}")

    manager = open_page(people["manager"], language)
    label = "Staffing" if language == "en" else "人员规划"
    manager.click(f"nav.mainnav a:has-text('{label}')")
    manager.wait_for_load_state()
    grid = manager.locator("#heat-engineer")
    assert grid.locator("td.heat-short").count() >= 1  # 2 engineers for a burst of 40
    assert (
        manager.locator("#heat-expert td.heat-idle").count()
        == 7 * 24 - manager.locator("#heat-expert td:not(.heat-idle)").count()
    )
    assert "Shifts are not recorded" in manager.inner_text("#roster-assumption") or (
        "系统未记录排班" in manager.inner_text("#roster-assumption")
    )
    shot(manager, f"staffing-{language}")
    with manager.expect_download() as info:
        manager.click("#staffing-csv")
    path = info.value.path()
    with open(path, encoding="utf-8-sig") as handle:
        text = handle.read()
    assert text.splitlines()[0] == "tier,day,hour,arrivals_per_hour,needed,rostered,gap,method"
    assert len(text.splitlines()) == 1 + 3 * 7 * 24
    go(manager, "/console/staffing/?goal=150")
    assert "150" in manager.inner_text("#staffing-error")
    assert manager.js_errors == []
