"""Onboarding in the real browser (Playwright + Debian's chromium), in English and Chinese:
a business manager creates an organisation in the console and invites its administrator;
the administrator follows the e-mailed link (read from a real SMTP server, aiosmtpd), sets a
password, invites a colleague, who joins; the administrator changes the colleague's role and
deactivates them; an invitation that expired says so and works again once re-sent."""

import os
import re
from datetime import timedelta

import pytest

from supportplan.accounts.models import Role, Tenant, User
from supportplan.core import clock
from supportplan.core.testing import make_user
from supportplan.signin.models import Invitation

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("ONBOARDING_SCREENSHOTS", "")
PASSWORD = "Quiet-River-2026"

TEXTS = {
    "en": {
        "sign_in": "Sign in",
        "create": "Create and invite",
        "created": "Jinhai Bank was created and its administrator invited at admin@jinhai.example.",
        "subject": "You are invited to Jinhai Bank on supportplan",
        "join_h1": "Join Jinhai Bank",
        "join": "Join",
        "invite_open": "Invite a colleague",
        "invite": "Send invitation",
        "invited": "An invitation was sent to {email}.",
        "change_role": "Change role",
        "role_changed": "The role of colleague was changed.",
        "admin_role": "Customer administrator",
        "deactivate": "Deactivate",
        "deactivated": "colleague is deactivated and can no longer sign in.",
        "deactivated_state": "Deactivated",
        "expired": "This invitation has expired. Ask whoever invited you to send it again.",
        "send_again": "Send again",
        "sent_again": "The invitation to late@jinhai.example was sent again.",
    },
    "zh-hans": {
        "sign_in": "登录",
        "create": "创建并邀请",
        "created": "Jinhai Bank 已创建，已向其管理员 admin@jinhai.example 发送邀请。",
        "subject": "邀请您加入 supportplan 上的 Jinhai Bank",
        "join_h1": "加入 Jinhai Bank",
        "join": "加入",
        "invite_open": "邀请同事",
        "invite": "发送邀请",
        "invited": "已向 {email} 发送邀请。",
        "change_role": "更改角色",
        "role_changed": "colleague 的角色已更改。",
        "admin_role": "客户管理员",
        "deactivate": "停用",
        "deactivated": "colleague 已停用，不能再登录。",
        "deactivated_state": "已停用",
        "expired": "此邀请已过期。请让邀请您的人重新发送。",
        "send_again": "重新发送",
        "sent_again": "已向 late@jinhai.example 重新发送邀请。",
    },
}


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def _link(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(r"/invitations/[\w-]+/", text).group(0)  # type: ignore[union-attr]


def _flash(page) -> str:
    return page.inner_text("main .flash-list")


def _accept(page, path: str, username: str, texts: dict) -> None:
    page.goto(page.base + path)
    page.wait_for_url("**/invitations/accept/")
    assert page.inner_text("main h1") == texts["join_h1"]
    page.fill("#id_username", username)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    with page.expect_navigation():
        page.click(f'main button:has-text("{texts["join"]}")')


def _invite(page, email: str, role: str, language: str, texts: dict) -> None:
    page.goto(f"{page.base}/organisation/")
    page.click(f'main summary:has-text("{texts["invite_open"]}")')
    page.fill("#id_invite-email", email)
    page.select_option("#id_invite-role", role)
    page.select_option("#id_invite-language", language)
    with page.expect_navigation():
        page.click(f'main button:has-text("{texts["invite"]}")')
    assert _flash(page) == texts["invited"].format(email=email)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_onboarding_journey_in_the_browser(browser_for, smtp, monkeypatch, language):
    from supportplan.cases.tests.factories import load_catalogs

    load_catalogs()  # the clouds the console knows
    texts = TEXTS[language]
    manager = make_user(Role.BUSINESS_MANAGER, username="biz", language=language)
    manager.set_password(PASSWORD)
    manager.save()

    # 1. the business manager creates the organisation and invites its administrator
    staff = browser_for(language)
    staff.goto(f"{staff.base}/login/")
    staff.fill("#id_username", "biz")
    staff.fill("#id_password", PASSWORD)
    with staff.expect_navigation():
        staff.click(f'main button:has-text("{texts["sign_in"]}")')
    staff.goto(f"{staff.base}/console/organisations/")
    staff.fill("#id_name", "Jinhai Bank")
    staff.fill("#id_registered_email", "it@jinhai.example")
    staff.select_option("#id_language", language)
    staff.fill("#id_technical_contact_name", "Wang Wei")
    staff.fill("#id_technical_contact_email", "ops@jinhai.example")
    staff.fill("#id_cloud_accounts", "huawei hw-001")
    staff.select_option("#id_business_manager", str(manager.pk))
    staff.fill("#id_admin_email", "admin@jinhai.example")
    _shot(staff, f"onboard-1-console-{language}")
    with staff.expect_navigation():
        staff.click(f'main button:has-text("{texts["create"]}")')
    _shot(staff, f"onboard-1b-created-{language}")
    assert _flash(staff) == texts["created"]
    tenant = Tenant.objects.get(name="Jinhai Bank")
    assert (tenant.business_manager, tenant.language) == (manager, language)
    [mail] = smtp.messages
    assert (mail["To"], mail["Subject"]) == ("admin@jinhai.example", texts["subject"])

    # 2. the administrator accepts: sets a user name and password, is signed in
    admin = browser_for(language)
    _accept(admin, _link(mail), "jinhai-admin", texts)
    assert admin.url == f"{admin.base}/"
    assert "jinhai-admin · Jinhai Bank" in admin.inner_text("header")
    boss = User.objects.get(username="jinhai-admin")
    assert (boss.tenant, boss.role, boss.language) == (tenant, Role.CUSTOMER_ADMIN, language)

    # 3. invites a colleague, who joins
    _invite(admin, "colleague@jinhai.example", "customer_member", language, texts)
    _shot(admin, f"onboard-2-invited-{language}")
    colleague_page = browser_for(language)
    _accept(colleague_page, _link(smtp.messages[1]), "colleague", texts)
    colleague = User.objects.get(username="colleague")
    assert (colleague.tenant, colleague.role) == (tenant, Role.CUSTOMER_MEMBER)

    # 4. sets the colleague's role, then deactivates them
    admin.goto(f"{admin.base}/organisation/")
    admin.select_option(f"#role-{colleague.pk}", "customer_admin")
    with admin.expect_navigation():
        admin.click(f'main button:has-text("{texts["change_role"]}"):has-text("colleague")')
    assert _flash(admin) == texts["role_changed"]
    row = admin.locator("#users tbody tr", has_text="colleague@jinhai.example")
    assert texts["admin_role"] in row.inner_text()
    with admin.expect_navigation():
        admin.click(f'main button:has-text("{texts["deactivate"]}"):has-text("colleague")')
    assert _flash(admin) == texts["deactivated"]
    row = admin.locator("#users tbody tr", has_text="colleague@jinhai.example")
    assert texts["deactivated_state"] in row.inner_text()
    _shot(admin, f"onboard-3-people-{language}")
    colleague.refresh_from_db()
    assert (colleague.role, colleague.is_active) == (Role.CUSTOMER_ADMIN, False)
    colleague_page.goto(f"{colleague_page.base}/")
    assert colleague_page.url.startswith(f"{colleague_page.base}/login/")  # signed out

    # 5. an invitation left for eight days: the link says it expired; re-sent, it works
    _invite(admin, "late@jinhai.example", "customer_member", language, texts)
    late = Invitation.objects.get(email="late@jinhai.example")
    later = late.expires_at + timedelta(hours=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    visitor = browser_for(language)
    first_link = _link(smtp.messages[2])
    visitor.goto(visitor.base + first_link)
    assert visitor.inner_text("main .notice-error") == texts["expired"]
    _shot(visitor, f"onboard-4-expired-{language}")
    admin.goto(f"{admin.base}/organisation/")
    with admin.expect_navigation():
        admin.click(f'main button:has-text("{texts["send_again"]}"):has-text("late@")')
    assert _flash(admin) == texts["sent_again"]
    second_link = _link(smtp.messages[3])
    assert second_link != first_link
    _accept(visitor, second_link, "late-joiner", texts)
    assert User.objects.get(username="late-joiner").tenant == tenant
