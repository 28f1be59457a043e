"""The promise on the case forms and the clock on the case page, in a real Chromium, in both
languages (fixtures of test_browser: Debian's chromium against the live server).

Run: .venv/bin/pytest supportplan/web/tests/test_browser_promise.py -m browser -p no:xdist
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from supportplan.calendars import selectors as calendars
from supportplan.calendars.domain import is_open
from supportplan.cases.models import Case
from supportplan.core import clock

from . import test_browser as journeys
from .conftest import make_customer

# The browser fixtures of the main journeys, shared.
browser = journeys.browser
open_page = journeys.open_page
go, shot = journeys.go, journeys.shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "en": {"due": "First response due by", "why": "Why is the first response due at"},
    "zh-hans": {"due": "首次响应截止", "why": "为什么首次响应截止时间是"},
}


def minute(instant: datetime) -> str:
    return instant.astimezone(clock.BUSINESS_TZ).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_promise_follows_the_choices_and_the_case_explains_its_clock(
    catalogs, staff, language, open_page
):
    vip = make_customer("partner", "vip", name=f"Jinhai Bank {language}", tam=staff["tam"])
    page = open_page(vip.admin, language)
    go(page, "/cases/new/")
    assert page.locator("#promise").is_hidden()  # nothing chosen yet
    before = clock.now()
    page.select_option("#id_system", str(vip.systems["core_production"].pk))
    page.check("input[name=severity][value=core_production_down]")
    page.wait_for_selector("#promise [data-promise]")
    after = clock.now()
    box = page.inner_text("#promise")
    assert TEXT[language]["due"] in box
    shown = page.inner_text("#promise [data-promise-due]")
    assert shown in {minute(before + timedelta(minutes=10)), minute(after + timedelta(minutes=10))}
    assert ("7x24" in box) and ("10 min" in box if language == "en" else "10 分钟" in box)
    shot(page, f"case-new-promise-ticket-{language}")

    # The IM group (5x8): told and offered the ticket when it is closed right now.
    page.select_option("#id_channel", "im_group")
    page.wait_for_function(
        "() => (document.querySelector('#promise') || {}).innerText.indexOf('09:00–18:00') >= 0"
    )
    im_open = is_open(calendars.calendar_for("5x8"), clock.now()).value
    if im_open:
        assert page.locator("#promise [data-warning]").count() == 0
        assert "09:00–18:00" in page.inner_text("#promise")
    else:
        warning = page.locator("#promise [data-warning='sla.channel_closed']")
        assert warning.is_visible()
        shot(page, f"case-new-promise-im-closed-{language}")
        page.click("#promise [data-use-channel=ticket]")
        page.wait_for_function(
            "() => !document.querySelector(\"#promise [data-warning='sla.channel_closed']\")"
        )
        assert page.input_value("#id_channel") == "ticket"
    page.select_option("#id_channel", "ticket")
    page.wait_for_function(
        "() => (document.querySelector('#promise') || {}).innerText.indexOf('7x24') >= 0"
    )

    page.fill("#id_subject", "Core banking down")
    page.fill("#id_description", "Since 10:00 all payments fail.")
    with page.expect_navigation():
        page.click("form[data-case-form] button[type=submit]:not([name=preview])")
    assert re.search(r"/cases/\d+/$", page.url), page.inner_text("main")[:2000]
    case = Case.objects.get(tenant=vip.tenant)
    heading = page.inner_text("#clock-h")
    assert heading.startswith(TEXT[language]["why"])
    assert minute(case.first_response_due) in heading
    steps = page.locator("#clock [data-step]")
    kinds = [steps.nth(i).get_attribute("data-step") for i in range(steps.count())]
    assert kinds[:2] == ["started", "running"] and kinds[-1] == "due", kinds
    shot(page, f"case-clock-{language}")
    assert page.js_errors == []


def test_log_a_call_shows_the_promise(catalogs, staff, open_page):
    vip = make_customer("partner", "vip", name="Jinhai Bank call", tam=staff["tam"])
    page = open_page(staff["engineer"], "zh-hans")
    go(page, f"/console/hotline/?tenant={vip.tenant.pk}")
    page.select_option("#id_severity", "production_down")
    page.select_option("#id_system", str(vip.systems["production"].pk))
    page.wait_for_selector("#promise [data-promise]")
    assert TEXT["zh-hans"]["due"] in page.inner_text("#promise")
    shot(page, "console-hotline-promise-zh-hans")
    assert page.js_errors == []
