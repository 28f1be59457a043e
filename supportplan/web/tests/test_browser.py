"""The main journeys in a real Chromium (Debian's /usr/bin/chromium, never downloaded),
against pytest-django's live server, in both languages. Screenshots of key pages go to
test-artifacts/screenshots/ for review.

Run: .venv/bin/pytest supportplan/web -m browser
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between page actions are ordinary synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from supportplan.cases.models import Case
from supportplan.core import clock

from .conftest import PASSWORD, make_customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make system-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, live_server):
    contexts = []

    def make(user, language="en", *, mobile=False):
        viewport = {"width": 390, "height": 844} if mobile else {"width": 1360, "height": 900}
        context = browser.new_context(
            viewport=viewport,
            locale="zh-CN" if language == "zh-hans" else "en-US",
            extra_http_headers={"Accept-Language": "zh-CN" if language == "zh-hans" else "en"},
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.js_errors = errors  # type: ignore[attr-defined]
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.click("main button[type=submit]")
        # The switcher: sets the cookie and the person's saved language.
        if page.input_value("#lang-select") != language:
            with page.expect_navigation():
                page.select_option("#lang-select", language)
        page.base = live_server.url  # type: ignore[attr-defined]
        return page

    yield make
    for context in contexts:
        context.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def go(page, path: str) -> None:
    page.goto(page.base + path)
    page.wait_for_load_state()


# --------------------------------------------------------------------------- journeys


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_basic_customer_is_refused_core_production_down(catalogs, language, open_page):
    basic = make_customer("partner", "basic", name=f"Qingyun Retail {language}")
    page = open_page(basic.admin, language)
    go(page, "/cases/new/")
    option = page.locator("input[name=severity][value=core_production_down]")
    assert option.is_disabled()
    note = page.locator("#sevdef-core_production_down .not-in-plan")
    expected = (
        "Not included in your plan. Plans that include it: Dedicated, VIP (iSoftStone)."
        if language == "en"
        else "您的服务计划不包含此级别。包含它的计划：专属级、VIP级（软通动力）。"
    )
    assert expected in note.inner_text()
    shot(page, f"case-new-basic-refused-{language}")

    # A forged submission (the disabled radio re-enabled) is refused by the service, inline.
    page.evaluate(
        """() => { const r = document.querySelector('input[value=core_production_down]');
                   r.disabled = false; r.removeAttribute('aria-disabled'); }"""
    )
    page.check("input[name=severity][value=core_production_down]")
    page.select_option("#id_system", str(basic.systems["core_production"].pk))
    page.fill("#id_subject", "Shop down")
    page.fill("#id_description", "Nothing loads.")
    with page.expect_navigation():
        page.click("form[data-case-form] button[type=submit]:not([name=preview])")
    error = page.locator("#err-severity").inner_text()
    if language == "en":
        assert "does not include the severity" in error and "Dedicated" in error
    else:
        assert "不包含" in error
    assert not Case.objects.filter(tenant=basic.tenant).exists()
    assert page.js_errors == []


def test_vip_journey_open_answer_tam(catalogs, staff, open_page):
    vip = make_customer("partner", "vip", name="Jinhai Bank", tam=staff["tam"])
    page = open_page(vip.admin, "en")
    go(page, "/")
    shot(page, "home-vip-en")
    go(page, "/cases/new/")
    page.select_option("#id_system", str(vip.systems["core_production"].pk))
    page.check("input[name=severity][value=core_production_down]")
    page.fill("#id_subject", "Core banking down")
    page.fill(
        "#id_description",
        "Since 10:00 all payments fail. MySQL 5.7 on CentOS 7 refuses connections.",
    )
    # The scope answer appears before submitting, with the software prefilled.
    page.wait_for_selector("#scope-answer .notice", timeout=10_000)
    assert page.input_value("#id_software_name") == "MySQL"
    assert page.input_value("#id_software_version") == "5.7"
    assert "In scope" in page.inner_text("#scope-answer")
    shot(page, "case-new-vip-scope-en")
    with page.expect_navigation():
        page.click("form[data-case-form] button[type=submit]:not([name=preview])")
    shot(page, "debug-after-open")
    assert re.search(r"/cases/\d+/$", page.url), page.inner_text("main")[:2000]
    case = Case.objects.get(tenant=vip.tenant)
    assert case.first_response_target == timedelta(minutes=10)
    timer = page.locator(".big-timer time.countdown")
    first = timer.inner_text()
    assert re.fullmatch(r"(9m \d\ds|10m 00s) left", first), first
    assert page.locator(".big-timer .sla").get_attribute("class") == "sla sla-running"
    page.wait_for_function(
        "t => document.querySelector('.big-timer time.countdown').textContent !== t", arg=first
    )
    shot(page, "case-vip-countdown-en")

    # The handler of the VIP tier answers it from the console.
    handler = case.assignee or staff["senior"]
    console = open_page(handler, "zh-hans")
    go(console, "/console/")
    row = console.locator(f"a[href='/console/cases/{case.pk}/']").first
    assert row.is_visible()
    shot(console, "console-queue-zh-hans")
    with console.expect_navigation():
        row.click()
    console.fill("#id_body", "我们正在处理，数据库连接池已耗尽，正在扩容。")
    with console.expect_navigation():
        console.click("form[action$='/reply/'] button[type=submit]")
    case.refresh_from_db()
    assert case.first_responded_at is not None
    assert case.sla_state == "met"
    assert "达成" in console.locator(".big-timer .sla").inner_text()
    shot(console, "console-case-answered-zh-hans")

    # The customer sees the answer; the TAM sees the case among their tenants.
    go(page, f"/cases/{case.pk}/")
    assert "数据库连接池已耗尽" in page.inner_text(".thread")
    assert page.locator(".big-timer .sla").get_attribute("class") == "sla sla-met"
    tam = open_page(staff["tam"], "en")
    go(tam, "/console/tam/")
    assert "Jinhai Bank" in tam.inner_text("main")
    assert tam.locator(f"a[href='/console/cases/{case.pk}/']").count() >= 1
    shot(tam, "console-tam-en")
    for p in (page, console, tam):
        assert p.js_errors == []


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_escort_booking_refuses_a_too_early_date(catalogs, language, open_page):
    vip = make_customer("partner", "vip", name=f"Escort Bank {language}")
    page = open_page(vip.admin, language)
    go(page, "/services/")
    shot(page, f"services-{language}")
    go(page, "/services/book/partner/escort/")
    date_input = page.locator("#id_start_date")
    earliest = date_input.get_attribute("data-earliest")
    assert earliest and earliest in page.inner_text("#lead-time")
    yesterday = (clock.to_business(clock.now()) - timedelta(days=1)).date().isoformat()
    date_input.fill(yesterday)
    page.fill("#id_days", "1")
    page.fill("#id_event_description", "Double 11 promotion")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    error = page.locator("#err-start_date").inner_text()
    assert yesterday in error
    assert ("in the past" in error) if language == "en" else ("已过" in error or "过去" in error)
    shot(page, f"booking-refused-{language}")
    date_input = page.locator("#id_start_date")
    date_input.fill(earliest)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/services/\d+/$"))
    assert earliest in page.inner_text("main")
    shot(page, f"booking-detail-{language}")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_customer_downloads_the_monthly_report(catalogs, language, open_page):
    from supportplan.reports import services as report_services
    from supportplan.reports.data import Month

    vip = make_customer("partner", "vip", name=f"Report Bank {language}")
    now = clock.now()
    report_services.data_source_add(
        tenant=vip.tenant,
        kind="demo",
        settings={"seed": "web", "cloud": "huawei", "instances": 4, "systems": ["Core"]},
        now=now,
    )
    month = Month.containing(now).previous()
    out = report_services.report_generate(
        tenant=vip.tenant, month=month, now=now, require_plan=False
    )
    assert out.report.status == "ready", out.report.reason_detail
    page = open_page(vip.admin, language)
    go(page, "/reports/")
    shot(page, f"reports-{language}")
    with page.expect_download() as info:
        page.click("a[data-report-pdf]")
    download = info.value
    assert download.suggested_filename.endswith(f"{month.year}-{month.month:02d}.pdf")
    assert Path(download.path()).read_bytes()[:5] == b"%PDF-"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_screenshots_of_key_pages(catalogs, staff, language, open_page):
    vip = make_customer("partner", "vip", name=f"Jinhai Bank {language}", tam=staff["tam"])
    from supportplan.cases import services as case_services

    for sev, cls in (("production_abnormal", "production"), ("general_guidance", None)):
        case_services.case_open(
            actor=vip.admin, tenant=vip.tenant, provider="partner", channel="ticket",
            severity=sev, subject=f"{sev} example", description="Example for the screenshot.",
            system=vip.systems[cls] if cls else None, now=clock.now(),
        )  # fmt: skip
    page = open_page(vip.admin, language)
    for path, name in (
        ("/", "home"),
        ("/plans/", "plans"),
        ("/cases/", "cases"),
        ("/organisation/", "organisation"),
        ("/statements/", "statements"),
    ):
        go(page, path)
        shot(page, f"{name}-{language}")
    mobile = open_page(vip.member, language, mobile=True)
    go(mobile, "/")
    shot(mobile, f"home-mobile-{language}")
    go(mobile, "/cases/new/")
    shot(mobile, f"case-new-mobile-{language}")
    manager = open_page(staff["manager"], language)
    go(manager, "/console/dashboard/")
    shot(manager, f"dashboard-{language}")
    go(manager, "/console/hotline/?tenant=" + str(vip.tenant.pk))
    shot(manager, f"hotline-{language}")
    for p in (page, mobile, manager):
        assert p.js_errors == []


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_customer_pays_by_bank_transfer_and_staff_confirm(catalogs, staff, language, open_page):
    """An order left unpaid: the customer sees the exact amount, chooses bank transfer and gets
    the reference to quote; a stale copy of the form (second tab) adds no second payment;
    a support manager confirms the transfer in the console and the order is paid."""
    from supportplan.accounts import services as accounts
    from supportplan.subscriptions import services as subs
    from supportplan.subscriptions.models import Order, Payment

    customer = make_customer(None, None, name=f"Dongfang Logistics {language}")
    accounts.tenant_update(
        tenant=customer.tenant,
        actor=None,
        now=clock.now() - timedelta(days=1),
        technical_contact_name="Li Lei",
        technical_contact_email="li@example.com",
    )
    order = subs.order_place(
        tenant=customer.tenant,
        actor=customer.admin,
        provider_code="partner",
        plan_code="dedicated",
        term="monthly",
        count=1,
        now=clock.now(),
    )
    zh = language == "zh-hans"
    page = open_page(customer.admin, language)
    go(page, "/statements/")
    assert ("专属级" if zh else "Dedicated") in page.inner_text("#orders")
    with page.expect_navigation():
        page.click(f"#orders a[href='/statements/orders/{order.pk}/#pay']")
    assert page.inner_text(".amount-due") == "¥26,000.00"
    stale = page.context.new_page()  # the same order open in a second tab
    stale.goto(page.url)
    page.check("input[name=method][value=bank_transfer]")
    page.check("#id_accept")
    shot(page, f"order-pay-{language}")
    with page.expect_navigation():
        page.click("form[data-pay-form] button[type=submit]")
    assert page.inner_text("[data-transfer-reference]") == order.number
    assert page.inner_text("[data-transfer-amount]") == "¥26,000.00"
    assert (
        ("付款附言" in page.inner_text("#transfer"))
        if zh
        else ("Reference to quote" in page.inner_text("#transfer"))
    )
    shot(page, f"order-bank-transfer-{language}")
    stale.check("input[name=method][value=bank_transfer]")
    stale.check("#id_accept")
    with stale.expect_navigation():
        stale.click("form[data-pay-form] button[type=submit]")
    assert stale.inner_text("[data-transfer-reference]") == order.number
    assert Payment.objects.filter(order=order).count() == 1

    console = open_page(staff["manager"], language)
    go(console, "/console/payments/")
    payment = Payment.objects.get(order=order)
    row = console.locator(f"#payment-{payment.pk}")
    assert order.number in row.inner_text() and "¥26,000.00" in row.inner_text()
    row.locator("input[name$='-amount']").fill("2600")  # a typo: refused, nothing paid
    with console.expect_navigation():
        row.locator("form.confirm-payment button[type=submit]").click()
    error = console.inner_text(f"#payment-{payment.pk} .errorlist")
    expected = (
        "到账金额（2600）与订单金额（26000.00）不符。"
        if zh
        else "The amount received (2600) is not the order's amount (26000.00)."
    )
    assert expected in error, error
    assert Order.objects.get(pk=order.pk).paid_at is None
    row = console.locator(f"#payment-{payment.pk}")
    row.locator("input[name$='-amount']").fill("26000.00")
    row.locator("input[name$='-reference']").fill("BOC-20261123-778")
    shot(console, f"console-payments-{language}")
    row.locator("details.fail-payment summary").click()  # the other way out, not taken here
    assert row.locator("textarea[name$='-reason'], input[name$='-reason']").is_visible()
    shot(console, f"console-payment-not-received-{language}")
    row.locator("details.fail-payment summary").click()
    with console.expect_navigation():
        row.locator("form.confirm-payment button[type=submit]").click()
    assert Order.objects.get(pk=order.pk).paid_at is not None
    assert ("已确认" if zh else "confirmed") in console.inner_text(".flash-list")

    go(page, f"/statements/orders/{order.pk}/")
    status = page.locator("[data-order-status]").get_attribute("data-order-status")
    assert status in ("paid", "fulfilled")
    shot(page, f"order-paid-{language}")
    for p in (page, stale, console):
        assert getattr(p, "js_errors", []) == []


# --------------------------------------------------------------------------- issue 15.19


def _nav_texts(page) -> list[str]:
    return [t.strip() for t in page.locator("nav.mainnav a").all_inner_texts()]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_navigation_shows_only_pages_the_person_may_open(catalogs, staff, language, open_page):
    engineer = open_page(staff["engineer"], language)
    go(engineer, "/console/")
    links = engineer.locator("nav.mainnav a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert "/console/payments/" not in hrefs and "/console/dashboard/" not in hrefs
    texts = _nav_texts(engineer)
    assert ("收款" if language == "zh-hans" else "Payments") not in texts
    # every link the engineer is shown opens
    for href in hrefs:
        response = engineer.request.get(engineer.base + href)
        assert response.status == 200, href
    shot(engineer, f"nav-engineer-{language}")
    manager = open_page(staff["manager"], language)
    go(manager, "/console/")
    manager_hrefs = [
        manager.locator("nav.mainnav a").nth(i).get_attribute("href")
        for i in range(manager.locator("nav.mainnav a").count())
    ]
    assert "/console/dashboard/" in manager_hrefs


def test_inbox_mark_as_read_button_is_visible_and_actions_say_what_happened(
    catalogs, staff, open_page
):
    from supportplan.notifications import services as notifications

    from .test_pages import open_case

    vip = make_customer("partner", "vip", name="Inbox Bank")
    notifications.dispatch_pending(now=clock.now())
    notifications.in_app_mark_read(user=vip.admin, now=clock.now(), ids=None)
    case = open_case(vip, subject="Core banking down")
    notifications.dispatch_pending(now=clock.now())
    page = open_page(vip.admin, "zh-hans")
    go(page, "/notifications/")
    button = page.locator("main li button, main form button").filter(has_text="标为已读").first
    colours = button.evaluate(
        """b => { const s = getComputedStyle(b);
                  let card = b.closest('.card') || document.body;
                  return [s.color, getComputedStyle(card).backgroundColor]; }"""
    )
    assert colours[0] != colours[1], colours
    assert colours[0] not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
    shot(page, "inbox-mark-read-zh-hans")

    engineer = open_page(staff["manager"], "zh-hans")
    go(engineer, f"/console/cases/{case.pk}/")
    engineer.fill("#id_body", "我们正在排查。")
    with engineer.expect_navigation():
        engineer.locator("form[action$='/reply/'] button[type=submit]").first.click()
    flash = engineer.locator(".messages, .flash, [role=status]").first.inner_text()
    assert "已保存" not in flash
    assert "回复已发布" in flash


# --------------------------------------------------------------------------- issue 15.13


def test_reply_states_its_limits_before_sending(catalogs, open_page, settings, tmp_path):
    from .test_pages import open_case

    settings.SUPPORTPLAN_ATTACHMENT_MAX_BYTES = 1_048_576
    vip = make_customer("partner", "vip", name="Limits Bank")
    case = open_case(vip, subject="Core banking down")
    page = open_page(vip.admin, "zh-hans")
    go(page, f"/cases/{case.pk}/")
    page.fill("#id_body", "日志如下")
    counter = page.locator("#count-body")
    assert counter.inner_text() == "已输入 4 个字符，最多 50000 个"
    big = tmp_path / "dump.log"
    big.write_bytes(b"x" * 2_200_000)
    page.set_input_files("#id_file", str(big))
    alert = page.locator("p.file-limit")
    assert alert.is_visible()
    assert alert.inner_text() == "文件大小为 2.1 MB；附件最大 1 MB。"
    assert page.eval_on_selector("#id_file", "i => i.files.length") == 0
    shot(page, "reply-limits-zh-hans")
    assert page.js_errors == []


def test_typed_text_survives_leaving_the_page_and_a_refused_post(catalogs, open_page, settings):
    """Issue 15.13: a reply kept in the tab (sessionStorage, static app.js) comes back after
    navigating away, and after a post refused for its size (413) when the person goes Back;
    once sent and accepted, it is forgotten."""
    from .test_pages import open_case

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    vip = make_customer("partner", "vip", name="Draft Bank")
    case = open_case(vip, subject="Core banking down")
    page = open_page(vip.admin, "zh-hans")
    go(page, f"/cases/{case.pk}/")
    page.fill("#id_body", "交易日志摘要")
    go(page, "/cases/")
    go(page, f"/cases/{case.pk}/")
    assert page.input_value("#id_body") == "交易日志摘要"
    assert page.locator("#count-body").inner_text() == "已输入 6 个字符，最多 50000 个"

    long_text = "数据库连接超时" * 6000  # 42,000 characters: 126 kB in UTF-8
    page.fill("#id_body", long_text)
    with page.expect_navigation():
        page.click("form[action$='/reply/'] button[type=submit]")
    assert page.locator("h1").inner_text() == "请求过大"
    assert page.locator("a").inner_text() == "返回首页"
    shot(page, "draft-refused-zh-hans")
    page.go_back()
    page.wait_for_load_state()
    assert page.input_value("#id_body") == long_text
    assert case.communications.count() == 0

    page.fill("#id_body", "请查看附件")
    with page.expect_navigation():
        page.click("form[action$='/reply/'] button[type=submit]")
    assert case.communications.get().body == "请查看附件"
    assert page.input_value("#id_body") == ""
    go(page, f"/cases/{case.pk}/")
    assert page.input_value("#id_body") == ""
    assert page.js_errors == []
