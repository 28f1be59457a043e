"""Payments, advisories, the IM group robot, case assignment, pagination and the web-context
translations: each through the pages, with the services of the owning contexts underneath."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.translation import override as translation_override

from supportplan.accounts import services as accounts
from supportplan.advisories import services as adv_services
from supportplan.advisories.models import AdvisoryTarget, TargetStatus
from supportplan.cases.models import Case
from supportplan.core import clock
from supportplan.core.audit import AuditEntry
from supportplan.notifications.models import Robot
from supportplan.subscriptions import services as subs
from supportplan.subscriptions.models import Order, OrderStatus, Payment, PaymentStatus
from supportplan.subscriptions.selectors import current_agreement_version

from .conftest import client_for, make_customer
from .test_pages import open_case

# --------------------------------------------------------------------------- payments


def unpaid_upgrade(customer, plan="dedicated"):
    """A Basic customer's order for another plan, placed and left unpaid."""
    now = clock.now()
    return subs.order_place(
        tenant=customer.tenant,
        actor=customer.admin,
        provider_code="partner",
        plan_code=plan,
        term="monthly",
        count=1,
        now=now,
    )


@pytest.fixture
def nobody(catalogs):
    """A customer without a plan yet (so a first order is a plain purchase)."""
    customer = make_customer(None, None, name="Dongfang Logistics")
    accounts.tenant_update(
        tenant=customer.tenant,
        actor=None,
        now=clock.now() - timedelta(days=1),
        technical_contact_name="Li Lei",
        technical_contact_email="li@example.com",
    )
    return customer


def test_statements_link_an_unpaid_order_to_its_payment_page(nobody):
    order = unpaid_upgrade(nobody)
    page = client_for(nobody.admin).get(reverse("web:statements")).content.decode()
    assert reverse("web:order", args=[order.pk]) + "#pay" in page
    assert "Huawei Cloud partner · Dedicated" in page or "· Dedicated" in page
    zh = client_for(nobody.admin, "zh-hans").get(reverse("web:statements")).content.decode()
    assert "专属级" in zh and "partner · dedicated" not in zh


def test_bank_transfer_shows_the_exact_amount_and_the_reference_once(nobody):
    order = unpaid_upgrade(nobody)
    client = client_for(nobody.admin)
    page = client.get(reverse("web:order", args=[order.pk])).content.decode()
    assert "¥26,000.00" in page  # Dedicated, one month, to the cent
    data = {"accept": "on", "agreement_version": "2026-01", "method": "bank_transfer"}
    first = client.post(reverse("web:order_pay", args=[order.pk]), data)
    assert first.status_code == 302
    # The same form submitted again (double click, back button): no second payment.
    second = client.post(reverse("web:order_pay", args=[order.pk]), data)
    assert second.status_code == 302
    assert Payment.objects.filter(order=order).count() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT
    page = client.get(reverse("web:order", args=[order.pk])).content.decode()
    assert f"<strong data-transfer-reference>{order.number}</strong>" in page
    assert "<strong data-transfer-amount>¥26,000.00</strong>" in page
    assert "data-pay-form" not in page  # nothing more to pay


def test_test_gateway_pays_at_once_and_a_member_cannot_pay(nobody):
    order = unpaid_upgrade(nobody)
    refused = client_for(nobody.member).post(
        reverse("web:order_pay", args=[order.pk]),
        {"accept": "on", "agreement_version": "2026-01", "method": "test"},
    )
    assert refused.status_code == 302
    assert not Payment.objects.filter(order=order).exists()
    client = client_for(nobody.admin, "zh-hans")
    missing = client.post(reverse("web:order_pay", args=[order.pk]), {"method": "test"})
    assert missing.status_code == 400
    assert "请接受服务协议后继续" in missing.content.decode() or "服务协议" in (
        missing.content.decode()
    )
    assert not Payment.objects.filter(order=order).exists()
    ok = client.post(
        reverse("web:order_pay", args=[order.pk]),
        {"accept": "on", "agreement_version": "2026-01", "method": "test"},
    )
    assert ok.status_code == 302
    order.refresh_from_db()
    assert order.paid_at is not None
    assert Payment.objects.get(order=order).status == PaymentStatus.SUCCEEDED


def bank_payment(customer):
    order = unpaid_upgrade(customer)
    now = clock.now()
    subs.order_accept_agreement(
        order=order,
        actor=customer.admin,
        version=current_agreement_version(order.provider_code),
        now=now,
    )
    return subs.order_pay(order=order, actor=customer.admin, method="bank_transfer", now=now)


def test_staff_confirm_a_bank_transfer_once(nobody, staff):
    payment = bank_payment(nobody)
    manager = client_for(staff["manager"])
    page = manager.get(reverse("web:staff_payments")).content.decode()
    assert payment.order.number in page and "¥26,000.00" in page
    url = reverse("web:staff_payment_confirm", args=[payment.pk])
    prefix = f"p{payment.pk}-"
    wrong = manager.post(url, {prefix + "amount": "2600", prefix + "reference": "X1"})
    assert wrong.status_code == 400
    assert "is not the order&#x27;s amount" in wrong.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    body = {prefix + "amount": "26000.00", prefix + "reference": "BOC-778"}
    assert manager.post(url, body).status_code == 302
    assert manager.post(url, body).status_code == 302  # a double click changes nothing
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.reference == "BOC-778"
    assert payment.confirmed_by == staff["manager"]
    assert AuditEntry.objects.filter(action="order.paid", target_id=payment.order_id).count() == 1
    assert Order.objects.get(pk=payment.order_id).paid_at is not None


def test_only_finance_roles_confirm_payments(nobody, staff):
    payment = bank_payment(nobody)
    engineer = client_for(staff["engineer"], "zh-hans")
    assert engineer.get(reverse("web:staff_payments")).status_code == 403
    url = reverse("web:staff_payment_confirm", args=[payment.pk])
    prefix = f"p{payment.pk}-"
    assert engineer.post(url, {prefix + "amount": "26000"}).status_code == 403
    fail = reverse("web:staff_payment_fail", args=[payment.pk])
    assert engineer.post(fail, {f"f{payment.pk}-reason": "no"}).status_code == 403
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_staff_close_a_transfer_that_never_arrived(nobody, staff):
    from supportplan.notifications import services as notifications
    from supportplan.notifications.models import InAppNotification

    payment = bank_payment(nobody)
    manager = client_for(staff["manager"], "zh-hans")
    page = manager.get(reverse("web:staff_payments")).content.decode()
    assert "未到账？" in page and "按未到账关闭" in page
    url = reverse("web:staff_payment_fail", args=[payment.pk])
    prefix = f"f{payment.pk}-"
    empty = manager.post(url, {prefix + "reason": "  "})
    assert empty.status_code == 400
    assert "请填写关闭这笔转账的原因，客户会看到。" in empty.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING

    reason = "14 天内未收到附此参考号的转账"
    assert manager.post(url, {prefix + "reason": reason}).status_code == 302
    assert manager.post(url, {prefix + "reason": reason}).status_code == 302  # a double click
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    order = Order.objects.get(pk=payment.order_id)
    assert order.status == OrderStatus.AGREEMENT_ACCEPTED  # the customer can pay again
    (entry,) = AuditEntry.objects.filter(action="payment.failed", target_id=str(order.pk))
    assert entry.actor == staff["manager"] and entry.data["reason"] == reason
    # The customer's administrator is told, with the reason.
    notifications.dispatch_pending(now=clock.now())
    notice = InAppNotification.objects.get(user=nobody.admin, rule="payment.failed")
    assert reason in str(notice.content)
    assert payment.failure_reason == reason
    order_page = client_for(nobody.admin).get(reverse("web:order", args=[order.pk]))
    assert reverse("web:order_pay", args=[order.pk]) in order_page.content.decode()
    assert reason in order_page.content.decode()  # the customer sees why
    settled = manager.get(reverse("web:staff_payments") + "?show=done").content.decode()
    assert reason in settled

    # Confirming the closed transfer afterwards is refused inline, never a 500.
    confirm = reverse("web:staff_payment_confirm", args=[payment.pk])
    late = manager.post(confirm, {f"p{payment.pk}-amount": "26000.00"})
    assert late.status_code == 400
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED


# --------------------------------------------------------------------------- advisories


@pytest.fixture
def advisory(vip, basic, staff):
    now = clock.now() - timedelta(hours=1)
    for customer in (vip, basic):
        accounts.cloud_account_add(
            tenant=customer.tenant, cloud="huawei", account_id=f"hw-{customer.tenant.pk}", now=now
        )
    adv = adv_services.advisory_create(
        actor=staff["manager"],
        kind="security_vulnerability",
        severity="critical",
        title={"zh-hans": "OpenSSH 远程代码执行漏洞", "en": "OpenSSH remote code execution"},
        body={"zh-hans": "影响 OpenSSH 9.8 之前的版本。", "en": "Affects OpenSSH before 9.8."},
        actions={"zh-hans": "升级到 9.8。", "en": "Upgrade to 9.8."},
        clouds=["huawei"],
        now=now,
    )
    adv_services.advisory_publish(actor=staff["manager"], advisory=adv, now=now)
    return adv


def test_customer_reads_in_their_language_acknowledges_once_and_sees_the_plan(
    advisory, vip, basic, staff
):
    target = AdvisoryTarget.objects.get(advisory=advisory, tenant=vip.tenant)
    # Enterprise care: the TAM contacts first; until then the advisory is not shown.
    assert client_for(vip.admin).get(reverse("web:advisory", args=[advisory.pk])).status_code == 404
    tam = client_for(staff["tam"])
    url = reverse("web:staff_advisory_target", args=[advisory.pk, target.pk])
    r = tam.post(url, {f"t{target.pk}-handling_plan": "Patch the bastion hosts on Friday 22:00."})
    assert r.status_code == 302
    target.refresh_from_db()
    assert target.contacted_by == staff["tam"] and target.notified_at is not None

    zh = client_for(vip.member, "zh-hans")
    page = zh.get(reverse("web:advisory", args=[advisory.pk])).content.decode()
    assert "OpenSSH 远程代码执行漏洞" in page and "升级到 9.8。" in page
    assert "Patch the bastion hosts on Friday 22:00." in page
    ack = reverse("web:advisory_acknowledge", args=[advisory.pk])
    assert zh.post(ack).status_code == 302
    assert zh.post(ack).status_code == 302
    target.refresh_from_db()
    assert target.status == TargetStatus.ACKNOWLEDGED
    assert AuditEntry.objects.filter(action="advisory.acknowledged").count() == 1
    listing = zh.get(reverse("web:advisories")).content.decode()
    assert "已确认" in listing or "Acknowledged" not in listing

    # Another tenant's people never reach it through the customer page of a third one.
    other = make_customer("partner", "basic", name="Elsewhere Ltd")
    assert (
        client_for(other.admin).get(reverse("web:advisory", args=[advisory.pk])).status_code == 404
    )


def test_staff_page_shows_reach_and_refuses_an_empty_plan(advisory, vip, basic, staff):
    manager = client_for(staff["manager"], "zh-hans")
    page = manager.get(reverse("web:staff_advisory", args=[advisory.pk])).content.decode()
    assert vip.tenant.name in page and basic.tenant.name in page
    target = AdvisoryTarget.objects.get(advisory=advisory, tenant=basic.tenant)
    url = reverse("web:staff_advisory_target", args=[advisory.pk, target.pk])
    r = manager.post(url, {f"t{target.pk}-handling_plan": "  "})
    assert r.status_code == 400
    target.refresh_from_db()
    assert target.handling_plan == ""
    ok = manager.post(url, {f"t{target.pk}-handling_plan": "Upgrade during the weekend."})
    assert ok.status_code == 302
    target.refresh_from_db()
    assert target.handling_plan == "Upgrade during the weekend."
    listing = manager.get(reverse("web:staff_advisories")).content.decode()
    assert reverse("web:staff_advisory", args=[advisory.pk]) in listing


# --------------------------------------------------------------------------- IM group robot

WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcd-1234-efgh-5678"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "This is not a WeCom (企业微信) group robot webhook address"),
        ("zh-hans", "webhook"),
    ],
)
def test_robot_webhook_refusal_is_inline_in_both_languages(vip, language, expected):
    client = client_for(vip.admin, language)
    r = client.post(
        reverse("web:org_robot"),
        {
            "robot-platform": "wecom",
            "robot-name": "Ops group",
            "robot-webhook_url": "https://example.com/hook",
        },
    )
    assert r.status_code == 400
    html = r.content.decode()
    assert 'id="err-webhook_url"' in html and expected in html
    assert not Robot.objects.filter(tenant=vip.tenant).exists()


def test_robot_secret_is_never_shown_and_kept_when_left_empty(vip):
    client = client_for(vip.admin)
    r = client.post(
        reverse("web:org_robot"),
        {
            "robot-platform": "wecom",
            "robot-name": "Ops group",
            "robot-webhook_url": WECOM,
            "robot-secret": "s3cret-value-9",
        },
    )
    assert r.status_code == 302
    robot = Robot.objects.get(tenant=vip.tenant)
    page = client.get(reverse("web:org")).content.decode()
    assert "s3cret-value-9" not in page and "abcd-1234-efgh" not in page
    assert '<span class="secret-state" data-secret-state>set</span>' in page
    r = client.post(
        reverse("web:org_robot"),
        {"robot_id": robot.pk, f"robot{robot.pk}-name": "Ops war room"},
    )
    assert r.status_code == 302
    robot.refresh_from_db()
    assert robot.name == "Ops war room" and robot.has_secret


def test_only_customer_admins_configure_the_robot(vip, basic):
    r = client_for(vip.member).post(
        reverse("web:org_robot"),
        {"robot-platform": "wecom", "robot-name": "x", "robot-webhook_url": WECOM},
    )
    assert r.status_code == 302
    assert not Robot.objects.filter(tenant=vip.tenant).exists()
    # Basic has no IM group: refused with the plans that include it, in Chinese names.
    r = client_for(basic.admin, "zh-hans").post(
        reverse("web:org_robot"),
        {"robot-platform": "wecom", "robot-name": "x", "robot-webhook_url": WECOM},
    )
    assert r.status_code == 400
    html = r.content.decode()
    assert "专属级" in html and "Dedicated" not in html
    assert not Robot.objects.filter(tenant=basic.tenant).exists()


def test_robot_test_message_from_the_organisation_page(vip, settings):
    from supportplan.notifications import services as notifications
    from supportplan.notifications.tests.receivers import RobotReceiver

    settings.NOTIFICATIONS_ROBOT_EXTRA_HOSTS = ["127.0.0.1"]
    group = RobotReceiver("welink")
    try:
        robot = notifications.robot_add(
            actor=vip.admin,
            tenant=vip.tenant,
            platform="welink",
            name="Ops group",
            webhook_url=group.url(),
            now=clock.now(),
        )
        url = reverse("web:org_robot_test", args=[robot.pk])
        # A member sees the robot but cannot send through it.
        member = client_for(vip.member)
        assert "Send a test message" not in member.get(reverse("web:org")).content.decode()
        member.post(url)
        assert group.received == []

        admin = client_for(vip.admin, "zh-hans")
        assert "发送测试消息" in admin.get(reverse("web:org")).content.decode()
        answer = admin.post(url, follow=True)
        assert "华为 WeLink 机器人已接受测试消息，群里应已收到。" in answer.content.decode()
        (received,) = group.received
        assert received.body["content"]["text"].startswith("supportplan 测试消息\n\n")
    finally:
        group.stop()


def test_managers_set_up_team_robots_in_the_console(staff, settings):
    from supportplan.notifications.models import Team
    from supportplan.notifications.tests.receivers import RobotReceiver

    settings.NOTIFICATIONS_ROBOT_EXTRA_HOSTS = ["127.0.0.1"]
    team = Team.objects.create(code="senior", name="Senior experts", queues=["senior_expert"])
    team.members.add(staff["senior"])
    group = RobotReceiver("dingtalk")
    try:
        # Every staff member sees the teams; only managers get the forms.
        engineer = client_for(staff["engineer"])
        page = engineer.get(reverse("web:staff_teams")).content.decode()
        assert "Senior experts" in page and "Senior technical expert" in page
        assert "Add a group robot" not in page
        add = reverse("web:staff_team_robot_add", args=[team.pk])
        body = {
            f"team{team.pk}-platform": "dingtalk",
            f"team{team.pk}-name": "Senior group",
            f"team{team.pk}-webhook_url": group.url(),
            f"team{team.pk}-secret": "SEC-team-secret",
        }
        assert engineer.post(add, body).status_code == 403
        assert not Robot.objects.filter(team=team).exists()

        manager = client_for(staff["manager"], "zh-hans")
        bad = manager.post(add, {**body, f"team{team.pk}-webhook_url": "https://evil.example/x"})
        assert bad.status_code == 400 and not Robot.objects.filter(team=team).exists()
        assert manager.post(add, body).status_code == 302
        robot = Robot.objects.get(team=team)
        assert robot.has_secret and "SEC-team-secret" not in robot.secret_encrypted
        page = manager.get(reverse("web:staff_teams")).content.decode()
        assert "Senior group" in page and "SEC-team-secret" not in page

        test = reverse("web:staff_team_robot", args=[robot.pk, "test"])
        answer = manager.post(test, follow=True).content.decode()
        assert "钉钉自定义机器人已接受测试消息，群里应已收到。" in answer
        (received,) = group.received
        assert (
            received.query["sign"] and received.body["markdown"]["title"] == "supportplan 测试消息"
        )

        assert (
            manager.post(reverse("web:staff_team_robot", args=[robot.pk, "remove"])).status_code
            == 302
        )
        assert not Robot.objects.filter(team=team).exists()
    finally:
        group.stop()


# --------------------------------------------------------------------------- assignment


def test_managers_assign_only_eligible_people(vip, staff):
    case = open_case(vip)  # core production down on VIP: senior expert queue
    manager = client_for(staff["manager"])
    page = manager.get(reverse("web:console_case", args=[case.pk])).content.decode()
    form = page[page.index('id="assign"') :]
    form = form[: form.index("</form>")]
    assert f'value="{staff["senior"].pk}"' in form
    assert f'value="{staff["engineer"].pk}"' not in form
    assert f'value="{staff["expert"].pk}"' not in form
    url = reverse("web:console_action", args=[case.pk, "assign"])
    forged = manager.post(url, {"assign-assignee": staff["engineer"].pk})
    assert forged.status_code == 400
    assert Case.objects.get(pk=case.pk).assignee_id != staff["engineer"].pk
    assert manager.post(url, {"assign-assignee": staff["senior"].pk}).status_code == 302
    assert Case.objects.get(pk=case.pk).assignee_id == staff["senior"].pk
    # An engineer gets no assignment form at all.
    eng = client_for(staff["senior"]).get(reverse("web:console_case", args=[case.pk]))
    assert 'id="assign"' not in eng.content.decode()


# --------------------------------------------------------------------------- pagination


def test_case_list_pages_with_accessible_links(vip):
    for n in range(27):
        open_case(vip, severity="general_guidance", system=None, subject=f"Question {n:02d}")
    client = client_for(vip.admin)
    first = client.get(reverse("web:cases")).content.decode()
    assert 'aria-label="Pages"' in first and 'rel="next"' in first
    assert 'href="?page=2"' in first
    second = client.get(reverse("web:cases") + "?page=2").content.decode()
    assert 'aria-current="page"><span class="sr-only">Page </span>2</a>' in second
    assert second.count('href="/cases/') >= 2
    assert client.get(reverse("web:cases") + "?page=99").status_code == 200


def test_queue_counts_cover_every_page(vip, staff):
    for n in range(3):
        open_case(vip, severity="general_guidance", system=None, subject=f"Q{n}")
    page = client_for(staff["manager"]).get(reverse("web:queue")).content.decode()
    assert '<div class="value">3</div><div class="label">Running</div>' in page


# --------------------------------------------------------------------------- message centre


@pytest.mark.parametrize(
    ("language", "label"), [("en", "2 unread notifications"), ("zh-hans", "2 条未读消息")]
)
def test_top_bar_counts_my_unread_notices_until_read(vip, staff, language, label):
    from supportplan.notifications import services as notifications
    from supportplan.notifications.models import InAppNotification

    notifications.dispatch_pending(now=clock.now())  # the purchase's notices: read them
    for person in (vip.admin, vip.member):
        notifications.in_app_mark_read(user=person, now=clock.now(), ids=None)
    for subject in ("Core banking down", "Batch jobs stuck"):
        open_case(vip, subject=subject)
    notifications.dispatch_pending(now=clock.now())
    mine = InAppNotification.objects.filter(user=vip.admin, read_at__isnull=True)
    assert mine.count() == 2  # one "opened" notice per case for the requester
    badge = (
        f'<span class="unread-badge" title="{label}"><span aria-hidden="true">2</span>'
        f'<span class="sr-only">{label}</span></span>'
    )
    client = client_for(vip.admin, language)
    assert badge in client.get(reverse("home")).content.decode()
    # The member of the same tenant was not told: no badge of the admin's count.
    member_page = client_for(vip.member, language).get(reverse("home")).content.decode()
    assert "unread-badge" not in member_page
    client.post(reverse("web:inbox_read"))  # "mark all as read"
    assert "unread-badge" not in client.get(reverse("home")).content.decode()


# --------------------------------------------------------------------------- translations


def test_web_words_are_not_taken_from_other_catalogs(vip, staff):
    open_case(vip)
    page = client_for(staff["manager"], "zh-hans").get(reverse("web:queue")).content.decode()
    assert "过滤器" not in page
    assert '<button type="submit">筛选</button>' in page


def test_no_english_plan_name_in_chinese_statement(nobody):
    unpaid_upgrade(nobody)
    page = client_for(nobody.admin, "zh-hans").get(reverse("web:statements")).content.decode()
    assert "Dedicated" not in page


def test_no_web_word_is_overridden_by_another_catalog():
    """Django merges every app's catalog and the apps listed before web win: a msgid web uses
    without a context must not have a different Chinese text in any other app's catalog
    (e.g. admin's 过滤器 for web's Filter button). Give such words the "web" context."""
    import gettext
    from pathlib import Path

    from django.apps import apps

    def catalog(path):
        with open(path, "rb") as handle:
            return gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]

    mo = Path("LC_MESSAGES/django.mo")
    web = catalog(Path(apps.get_app_config("web").path) / "locale/zh_Hans" / mo)
    clashes = []
    configs = list(apps.get_app_configs())
    before_web = configs[: [c.label for c in configs].index("web")]  # later apps lose to web
    for app in before_web:
        path = Path(app.path) / "locale/zh_Hans" / mo
        if app.label == "web" or not path.exists():
            continue
        other = catalog(path)
        clashes += [
            f"{key!r}: web {value!r}, {app.label} {other[key]!r}"
            for key, value in web.items()
            if key and key in other and other[key] != value
        ]
    assert clashes == []


def test_booking_warning_is_shown_in_the_readers_language(vip):
    from supportplan.bookings import services as booking_services

    now = clock.now()
    with translation_override("en"):  # requested by someone reading English
        booking = booking_services.booking_request(
            tenant=vip.tenant,
            actor=vip.admin,
            service_code="escort",
            start_date=(now + timedelta(days=3)).date(),
            now=now,
            days=1,
            event_kind="launch",
            event_description="Product launch night.",
        )
    assert [w["code"] for w in booking.warnings] == ["booking.lead_time_recommended"]
    assert "Escort" in booking.warnings[0]["message"]
    page = client_for(vip.admin, "zh-hans").get(reverse("web:booking", args=[booking.pk]))
    html = page.content.decode()
    assert "We recommend" not in html and "Escort" not in html
    assert "建议提前 10 个工作日申请云上保障护航服务（基础版）" in html


def test_amount_shown_is_the_order_amount(nobody):
    order = unpaid_upgrade(nobody)
    assert order.amount == Decimal("26000.00")
