"""The notifications API: message centre, preferences, robots (secrets never shown back),
and the staff delivery log. Tenancy is tried from the outside."""

import pytest

from supportplan.accounts.models import Role
from supportplan.core.testing import T0, api_client, make_user
from supportplan.notifications import services
from supportplan.notifications.models import InAppNotification, Outbox, Robot

from .factories import case_entry, platform_admin, tenant_on

pytestmark = pytest.mark.django_db

WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
DING = "https://oapi.dingtalk.com/robot/send?access_token=abcdef123456"


def test_message_centre_lists_own_notices_in_the_callers_language_and_marks_them_read(catalogs):
    tenant = tenant_on("partner", "basic")
    me = make_user(Role.CUSTOMER_MEMBER, tenant=tenant)
    other = make_user(Role.CUSTOMER_MEMBER, tenant=tenant)
    case_entry("case.replied", tenant, case_id=1, notify=[me.pk])
    case_entry("case.resolved", tenant, case_id=2, notify=[me.pk, other.pk])

    zh = api_client(me, language="zh-hans").get("/api/notifications/").json()
    assert zh["unread_count"] == 2
    assert [n["subject"] for n in zh["results"]] == [
        "[工单 #2] 已解决：Database connection refused",
        "[工单 #1] 技术支持有新回复：Database connection refused",
    ]
    en = api_client(me, language="en").get("/api/notifications/?unread=1").json()
    assert (
        en["results"][1]["subject"]
        == "[Case #1] New reply from support: Database connection refused"
    )
    first = en["results"][1]["id"]

    client = api_client(me)
    assert client.post(f"/api/notifications/{first}/read/").json() == {"unread_count": 1}
    assert client.get("/api/notifications/unread-count/").json() == {"unread_count": 1}
    others = InAppNotification.objects.get(user=other).pk
    response = api_client(me, language="zh-hans").post(f"/api/notifications/{others}/read/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert InAppNotification.objects.get(pk=others).read_at is None
    assert client.post("/api/notifications/read-all/").json() == {"marked": 1, "unread_count": 0}


def test_preferences_turn_email_off_per_topic_but_keep_in_app(catalogs):
    tenant = tenant_on("partner", "basic")
    me = make_user(Role.CUSTOMER_MEMBER, tenant=tenant, email="me@x.example")
    client = api_client(me)
    rows = client.get("/api/notification-preferences/").json()
    assert {
        "topic": "cases",
        "topic_label": "Support cases",
        "channel": "email",
        "channel_label": "E-mail",
        "enabled": True,
    } in rows
    response = client.put(
        "/api/notification-preferences/",
        [{"topic": "cases", "channel": "email", "enabled": False}],
        format="json",
    )
    assert response.status_code == 200
    case_entry("case.replied", tenant, notify=[me.pk])
    assert Outbox.objects.count() == 0
    assert InAppNotification.objects.filter(user=me).count() == 1


@pytest.mark.parametrize(
    "language,message",
    [
        ("en", "You can choose e-mail or in-app per topic; IM groups are set up per organisation."),
        ("zh-hans", "每个主题可选择邮件或站内消息；IM 群按组织统一配置。"),
    ],
)
def test_preference_refusal_in_both_languages(catalogs, language, message):
    me = make_user(Role.CUSTOMER_MEMBER, tenant=tenant_on("partner", "basic"))
    response = api_client(me, language=language).put(
        "/api/notification-preferences/",
        [{"topic": "cases", "channel": "im", "enabled": False}],
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "notification.channel_not_personal"
    assert response.json()["message"] == message


def test_customer_admin_adds_a_group_robot_whose_secrets_never_come_back(catalogs):
    tenant = tenant_on("partner", "vip")
    admin = make_user(Role.CUSTOMER_ADMIN, tenant=tenant)
    client = api_client(admin)
    response = client.post(
        "/api/notification-robots/",
        {"platform": "wecom", "name": "运维群", "webhook_url": WECOM, "secret": ""},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert "webhook_url" not in body and "secret" not in body
    assert body["tenant"] == tenant.pk and body["has_secret"] is False
    assert body["webhook_hint"] == "https://qyapi.weixin.qq.com/… …5aaa"
    robot = Robot.objects.get()
    assert WECOM not in robot.webhook_encrypted and "693a91f6" not in robot.webhook_encrypted
    listed = client.get("/api/notification-robots/").json()["results"]
    assert [r["name"] for r in listed] == ["运维群"] and "webhook_url" not in listed[0]
    # the secret can be replaced, never read
    response = client.patch(
        f"/api/notification-robots/{robot.pk}/", {"secret": "new"}, format="json"
    )
    assert response.json()["has_secret"] is True and "secret" not in response.json()


@pytest.mark.parametrize(
    "language,message",
    [
        (
            "en",
            "Your plan's IM group runs on WeCom (企业微信) group robot, Huawei WeLink robot only, not on DingTalk custom robot.",
        ),
        (
            "zh-hans",
            "您的服务计划的 IM 企业群仅支持企业微信群机器人, 华为 WeLink 机器人，不支持钉钉自定义机器人。",
        ),
    ],
)
def test_the_partner_im_group_is_welink_or_wecom_only(catalogs, language, message):
    tenant = tenant_on("partner", "vip")
    admin = make_user(Role.CUSTOMER_ADMIN, tenant=tenant)
    response = api_client(admin, language=language).post(
        "/api/notification-robots/",
        {"platform": "dingtalk", "name": "g", "webhook_url": DING},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "notification.im_platform_not_in_plan"
    assert response.json()["message"] == message
    assert Robot.objects.count() == 0


def test_a_plan_without_im_group_cannot_have_a_group_robot(catalogs):
    tenant = tenant_on("partner", "basic")
    admin = make_user(Role.CUSTOMER_ADMIN, tenant=tenant)
    response = api_client(admin, language="zh-hans").post(
        "/api/notification-robots/",
        {"platform": "wecom", "name": "g", "webhook_url": WECOM},
        format="json",
    )
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "notification.im_group_not_in_plan"
    assert body["message"].startswith("您的服务计划不包含 IM 企业群")
    assert "VIP" in body["params"]["plans"]


def test_robot_refusals_members_foreign_tenants_and_foreign_hosts(catalogs):
    vip = tenant_on("partner", "vip")
    other = tenant_on("tencent", "s2")
    member = make_user(Role.CUSTOMER_MEMBER, tenant=vip)
    admin = make_user(Role.CUSTOMER_ADMIN, tenant=vip)
    other_admin = make_user(Role.CUSTOMER_ADMIN, tenant=other)
    body = {"platform": "wecom", "name": "g", "webhook_url": WECOM}
    assert (
        api_client(member).post("/api/notification-robots/", body, format="json").status_code == 403
    )
    bad = api_client(admin).post(
        "/api/notification-robots/",
        {**body, "webhook_url": "https://169.254.169.254/latest"},
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["code"] == "notification.robot_webhook_invalid"
    foreign = api_client(other_admin).post(
        "/api/notification-robots/", {**body, "tenant": vip.pk}, format="json"
    )
    assert foreign.status_code == 404
    robot = services.robot_add(
        actor=admin, tenant=vip, platform="wecom", name="g", webhook_url=WECOM, now=T0
    )
    assert api_client(other_admin).get(f"/api/notification-robots/{robot.pk}/").status_code == 404
    assert (
        api_client(other_admin).delete(f"/api/notification-robots/{robot.pk}/").status_code == 404
    )
    assert api_client(other_admin).get("/api/notification-robots/").json()["results"] == []
    assert Robot.objects.filter(pk=robot.pk).exists()


def test_delivery_log_is_for_staff_and_shows_every_attempt(catalogs, smtp):
    tenant = tenant_on("partner", "basic")
    person = make_user(Role.CUSTOMER_MEMBER, tenant=tenant, email="p@x.example")
    smtp.refuse(1)
    case_entry("case.replied", tenant, notify=[person.pk])
    services.deliver_due(now=T0)
    from datetime import timedelta

    services.deliver_due(now=T0 + timedelta(seconds=30))
    response = api_client(person, language="en").get("/api/notification-deliveries/")
    assert response.status_code == 403 and response.json()["code"] == "notification.log_staff_only"
    staff = api_client(platform_admin())
    [row] = staff.get("/api/notification-deliveries/?status=sent").json()["results"]
    assert row["recipient"] == "p@x.example" and row["event"] == "case.replied"
    assert [(a["number"], a["ok"]) for a in row["attempt_log"]] == [(1, False), (2, True)]
    assert "451" in row["attempt_log"][0]["detail"]
    bad = staff.get("/api/notification-deliveries/?status=lost")
    assert bad.status_code == 400 and bad.json()["code"] == "notification.status_unknown"
    again = staff.post(f"/api/notification-deliveries/{row['id']}/retry/")
    assert again.status_code == 409 and again.json()["code"] == "notification.not_failed"


def test_a_test_message_reaches_the_group_and_says_what_the_platform_answered(
    catalogs, robot_receiver
):
    from supportplan.core.models import AuditEntry

    vip = tenant_on("partner", "vip")
    admin = make_user(Role.CUSTOMER_ADMIN, tenant=vip, first_name="Li", last_name="Lei")
    group = robot_receiver("wecom")
    robot = services.robot_add(
        actor=admin, tenant=vip, platform="wecom", name="运维群", webhook_url=group.url(), now=T0
    )
    response = api_client(admin, language="zh-hans").post(
        f"/api/notification-robots/{robot.pk}/test/"
    )
    assert response.status_code == 200
    assert response.json() == {
        "ok": True,
        "detail": 'HTTP 200: {"errcode": 0, "errmsg": "ok"}',
        "message": "企业微信群机器人已接受测试消息，群里应已收到。",
    }
    (received,) = group.received
    text = received.body["markdown"]["content"]
    lines = text.split("\n")
    assert lines[:4] == [
        "**supportplan 测试消息**",
        "群里收到这条消息，说明机器人已配置正确。",
        "> 机器人: 运维群",
        "> 发送人: Li Lei",
    ]
    assert lines[4].startswith("> 时间: 20") and len(lines) == 5
    entry = AuditEntry.objects.get(action="notification.robot.tested")
    assert entry.actor == admin and entry.tenant == vip and entry.data["ok"] is True


def test_a_refused_test_message_names_the_platforms_answer(catalogs, robot_receiver):
    vip = tenant_on("partner", "vip")
    admin = make_user(Role.CUSTOMER_ADMIN, tenant=vip)
    answer = '{"errcode": 93000, "errmsg": "invalid webhook url"}'
    group = robot_receiver("wecom", fail_next=1, fail_status=200, fail_body=answer)
    robot = services.robot_add(
        actor=admin, tenant=vip, platform="wecom", name="ops", webhook_url=group.url(), now=T0
    )
    response = api_client(admin, language="en").post(f"/api/notification-robots/{robot.pk}/test/")
    assert response.status_code == 200
    assert response.json() == {
        "ok": False,
        "detail": f"HTTP 200: {answer}",
        "message": (
            f"WeCom (企业微信) group robot did not accept the test message: HTTP 200: {answer}. "
            "Check the webhook address and the signing secret."
        ),
    }
    assert group.received == [] and group.refused == 1
    assert Outbox.objects.count() == 0  # nothing queued or retried


def test_only_the_tenants_admins_send_test_messages(catalogs, robot_receiver):
    vip = tenant_on("partner", "vip")
    other = tenant_on("tencent", "s2")
    admin = make_user(Role.CUSTOMER_ADMIN, tenant=vip)
    member = make_user(Role.CUSTOMER_MEMBER, tenant=vip)
    other_admin = make_user(Role.CUSTOMER_ADMIN, tenant=other)
    group = robot_receiver("wecom")
    robot = services.robot_add(
        actor=admin, tenant=vip, platform="wecom", name="ops", webhook_url=group.url(), now=T0
    )
    url = f"/api/notification-robots/{robot.pk}/test/"
    assert api_client(member).post(url).status_code == 403
    assert api_client(other_admin).post(url).status_code == 404
    assert group.received == []
